"""紧急外出: reported at once to the approver and both offices; the regular form must
follow within 1 working day after return (reminders here, sent from ops.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from bot.calendar import Deadline
from bot.clock import TZ, to_epoch_ms
from bot.dialog import close_dialog
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.scheduler import schedule_reminder
from handlers.common.numbers import next_number
from handlers.common.staging import stage_and_send
from handlers.leave.filers import approver_for
from handlers.leave.flow import REMIND_AT, filing_messages, schedule_absence
from handlers.leave.model import (
    ABSENCE_LIFECYCLE,
    ABSENCES,
    URGENT,
    slot_at,
    slot_day,
    stand_in_for,
)

if TYPE_CHECKING:
    from bot.config import Person
    from bot.services import Services
    from storage.session import Session


def _urgent_absence(
    services: Services, sender: Person, values: Mapping[str, Any], absence_id: str, now: datetime
) -> dict[str, Any]:
    """From now until the end given (at least now)."""
    directory = services.directory
    start = slot_at(now)
    return {
        "id": absence_id,
        "flow": None,
        "user": sender.user_id,
        "unit_id": sender.unit_id,
        "kind": values["kind"],
        "start_slot": start,
        "end_slot": max(int(values["end"]), start),
        "destination": values["destination"],
        "reason": values["reason"],
        "stand_in": stand_in_for(directory, sender.user_id, values.get("stand_in")),
        "contact": values["contact"],
        "approver": approver_for(directory, sender),
        **ABSENCE_LIFECYCLE.begin(URGENT),
        "created_ms": to_epoch_ms(now),
        "returned_ms": None,
        "regularised": None,
    }


def _schedule_regularise(
    services: Services, session: Session, absence: Mapping[str, Any]
) -> Deadline:
    """Reminders to regularise (补办): the first working day after the return and the
    day after the deadline. Returns the deadline (1 working day after the return)."""
    calendar = services.calendar
    end_day, _ = slot_day(absence["end_slot"])
    due = calendar.deadline(datetime.combine(end_day, time(12, 0), tzinfo=TZ), 1)
    first = calendar.next_workday(end_day)
    for stage, day in ((1, first), (2, calendar.next_workday(due.day))):
        schedule_reminder(
            session,
            f"leave:{absence['id']}:regularise:{stage}",
            datetime.combine(day, REMIND_AT, tzinfo=TZ),
            [],
            action={"type": "leave.regularise", "absence": absence["id"], "stage": stage},
        )
    return due


async def submit_urgent(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    now = services.clock.now()
    key = f"reply:{ctx.message.msg_id}:submitted"

    def submit(session: Session) -> None:
        absence_id = next_number(session, "urgent", "JJ", now.year)
        absence = _urgent_absence(services, ctx.sender, values, absence_id, now)
        session.collection(ABSENCES).insert(absence)
        items = filing_messages(services, session, absence, None, urgent=True)
        items += schedule_absence(services, session, absence, now)
        due = _schedule_regularise(services, session, absence)
        close_dialog(session, ctx.sender.user_id)
        reply = ctx.text(
            "leave_urgent_done",
            number=absence_id,
            deadline=f"{due.at:%Y-%m-%d %H:%M}",
            provisional=due.provisional,
        )
        services.outbox.stage(session, [*items, Outgoing(key, reply.kind, reply.payload)])

    return await stage_and_send(services, submit)
