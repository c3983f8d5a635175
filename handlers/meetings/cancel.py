"""取消会议 <编号>: the office director calls off a planned meeting. Its reminders stop,
every item on its agenda moves to the next meeting of the same kind (or waits for one to
be planned), and everyone holding the card is told. To change the date, cancel and plan
the meeting again: the waiting items join it by themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.errors import NotAuthorized, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.scheduler import cancel_reminders
from bot.workflow import FLOWS
from handlers.common.notify import markdown_message
from handlers.common.staging import stage_and_send
from handlers.meetings.card import refresh_meeting_card
from handlers.meetings.model import (
    AGENDA_ENTRY_LIFECYCLE,
    MEETING_LIFECYCLE,
    UPCOMING,
    attendees,
    on_agenda,
    stamp,
    stored_meeting,
)
from handlers.meetings.moves import move_on

if TYPE_CHECKING:
    from storage.session import Session


async def cancel_meeting(ctx: CommandContext) -> list[Outgoing]:
    services = ctx.services
    if "office_director" not in ctx.sender.roles:
        raise NotAuthorized("meeting_cancel_only_director")
    number = ctx.args.strip().upper()
    if not number:
        return [ctx.text("meeting_cancel_usage")]
    key = f"reply:{ctx.message.msg_id}:cancelled"

    def cancel(session: Session) -> None:
        meeting = stored_meeting(session, number)
        if meeting["state"] not in UPCOMING:
            raise UserFacingError(
                "meeting_cancel_too_late",
                number=number,
                state=services.messages.label("meeting_states", meeting["state"]),
            )
        people = attendees(meeting)
        entries = on_agenda(meeting)
        MEETING_LIFECYCLE.move(meeting, "cancelled")
        cancel_reminders(session, f"meeting:{number}:")
        outgoing: list[Outgoing] = []
        flows = session.collection(FLOWS)
        for entry in entries:
            flow = flows.get(entry["item"])
            if flow is None:
                continue
            AGENDA_ENTRY_LIFECYCLE.move(entry, "moved")
            outgoing += move_on(
                services, session, meeting, meeting["kind"], entry, flow, "meeting_cancelled"
            )
            flows.update(flow["id"], flow)
        outgoing += refresh_meeting_card(services, session, meeting)
        notice = services.messages.markdown(
            "meeting_cancelled",
            number=number,
            title=meeting["title"],
            when=stamp(meeting["start_ms"]),
            items=len(entries),
        )
        outgoing += [
            markdown_message(f"meeting:{number}:cancelled:{user}", user, notice)
            for user in people
            if user != ctx.sender.user_id
        ]
        reply = ctx.text("meeting_cancel_done", number=number, items=len(entries))
        services.outbox.stage(session, [*outgoing, Outgoing(key, reply.kind, reply.payload)])

    return await stage_and_send(services, cancel)
