"""议定: after the meeting the office records each item's decision (第五十八条). It takes
effect at once: the submitting unit is told; work assigned with an owner and a deadline
is kept for supervision (督办)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.clock import to_epoch_ms
from bot.dialog import Form, FormField, close_dialog
from bot.errors import RuleViolation, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.workflow import FLOWS
from handlers.common.answers import labelled_choice, trimmed_text
from handlers.common.commands import form_command
from handlers.common.notify import markdown_message
from handlers.common.office import office_only
from handlers.common.staging import stage_and_send
from handlers.meetings.card import refresh_meeting_card
from handlers.meetings.model import MEETINGS, on_agenda
from handlers.supervision.opening import due_answer, open_from_decision
from handlers.supervision.units import unit_of_name

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session

RESULTS = ("pass", "pass_in_principle", "pass_amended", "defer", "reject")
# The office records meetings (decisions, minutes).
ensure_office = office_only("meeting_office_only")


def _entry(meeting: Mapping[str, Any], item: str) -> dict[str, Any] | None:
    return next((e for e in on_agenda(meeting) if e["item"] == item), None)


# -- 议定 --------------------------------------------------------------------------------


async def _item(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> dict[str, str]:
    number = str(answer).strip().upper()

    def find(session: Session) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        flow = session.collection(FLOWS).get(number)
        if flow is None or flow["kind"] != "agenda" or not flow["data"].get("meeting"):
            return flow, None
        return flow, session.collection(MEETINGS).get(flow["data"]["meeting"])

    flow, meeting = await ctx.services.db.run(find)
    if flow is None or flow["kind"] != "agenda":
        raise UserFacingError("agenda_unknown_item", number=number[:20])
    if meeting is None or _entry(meeting, number) is None:
        raise UserFacingError("decision_not_on_agenda", number=number)
    if meeting["state"] not in ("held",):
        raise RuleViolation("decision_before_meeting", number=number, meeting=meeting["title"])
    return {"item": number, "meeting": meeting["id"], "title": flow["title"]}


_result = labelled_choice(RESULTS, "meeting_decisions", "decision_bad_result")


_text = trimmed_text(2, 2000, "decision_text_empty")


def _owner(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    return unit_of_name(ctx.services.directory, str(answer))


def _has_owner(values: Mapping[str, Any]) -> bool:
    return bool(values.get("owner"))


def _decision_summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    label = ctx.services.forms.label_of
    unit = ctx.services.directory.unit(values["owner"]) if values.get("owner") else None
    rows = [
        (label("decision", "item"), f"{values['item']['item']} {values['item']['title']}"),
        (
            label("decision", "result"),
            ctx.services.messages.label("meeting_decisions", values["result"]),
        ),
        (label("decision", "text"), values["text"]),
    ]
    if unit is not None:
        rows += [(label("decision", "owner"), unit.name), (label("decision", "due"), values["due"])]
    return rows


async def _record_decision(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    now = services.clock.now()
    chosen = values["item"]
    key = f"reply:{ctx.message.msg_id}:decided"

    def record(session: Session) -> None:
        meeting = session.collection(MEETINGS).get(chosen["meeting"])
        entry = _entry(meeting, chosen["item"]) if meeting else None
        if meeting is None or entry is None or meeting["state"] != "held":
            raise UserFacingError("decision_not_on_agenda", number=chosen["item"])
        decision = {
            "result": values["result"],
            "text": values["text"],
            "by": ctx.sender.user_id,
            "at_ms": to_epoch_ms(now),
            "supervision": None,
        }
        outgoing: list[Outgoing] = []
        if values.get("owner"):
            decision["supervision"], items = _supervise(
                services, session, meeting, entry, values, now
            )
            outgoing += items
        entry["decision"] = decision
        flows = session.collection(FLOWS)
        flow = flows.get(entry["item"])
        if flow is not None:
            flow["data"]["decision"] = decision
            flows.update(flow["id"], flow)
        rendered = services.messages.markdown(
            "decision_taken",
            meeting=meeting["title"],
            number=entry["item"],
            title=entry["title"],
            result=services.messages.label("meeting_decisions", values["result"]),
            text=values["text"],
        )
        outgoing += [
            markdown_message(f"decision:{entry['item']}:{to_epoch_ms(now)}:{user}", user, rendered)
            for user in dict.fromkeys([entry["submitter"], entry["speaker"]])
        ]
        outgoing += refresh_meeting_card(services, session, meeting)
        close_dialog(session, ctx.sender.user_id)
        reply = ctx.text(
            "decision_recorded", number=entry["item"], supervision=decision["supervision"] or ""
        )
        services.outbox.stage(session, [*outgoing, Outgoing(key, reply.kind, reply.payload)])

    return await stage_and_send(services, record)


def _supervise(
    services: Services,
    session: Session,
    meeting: dict[str, Any],
    entry: dict[str, Any],
    values: Mapping[str, Any],
    now: datetime,
) -> tuple[str, list[Outgoing]]:
    """Work the meeting assigned enters the supervision ledger with its owner and
    deadline (第八十四条); the owner's head gets its card and this notice."""
    number, outgoing = open_from_decision(
        services,
        session,
        title=entry["title"],
        text=values["text"],
        lead=values["owner"],
        due=date.fromisoformat(values["due"]),
        opened_by=meeting["chair"],
        now=now,
        extra={"meeting": meeting["id"], "item": entry["item"]},
    )
    head = services.directory.unit_head(values["owner"])
    if head is None:
        return number, outgoing
    rendered = services.messages.markdown(
        "supervision_assigned",
        number=number,
        meeting=meeting["title"],
        title=entry["title"],
        text=values["text"],
        due=values["due"],
    )
    return number, [
        *outgoing,
        markdown_message(f"supervision:{number}:assigned", head.user_id, rendered),
    ]


DECISION_FORM = Form(
    "decision",
    (
        FormField("item", _item),
        FormField("result", _result),
        FormField("text", _text),
        FormField("owner", _owner, optional=True),
        FormField("due", due_answer, applies=_has_owner),
    ),
    _record_decision,
    _decision_summary,
)


start_decision = form_command("decision", ensure_office)
