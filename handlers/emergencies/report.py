"""突发事件: a town, department or the office reports an event (第八十三条). The first
report reaches the 应急管理局, the 县委办公室 and the 县政府办公室 at once, each with a
收悉 button; a report made later than the limit after the event happened is marked 迟报.
续报 and 终报 attach to it; the 终报 closes the event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import to_epoch_ms
from bot.dialog import Form, FormField
from bot.errors import NotAuthorized, RuleViolation, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.scheduler import schedule_reminder
from handlers.common.answers import (
    labelled_choice,
    spaced_text,
    trimmed_text,
    yes_no,
)
from handlers.common.moments import past_moment
from handlers.common.numbers import next_number
from handlers.common.staging import conclude_form, stage_and_send
from handlers.emergencies.card import create_card, refresh_card
from handlers.emergencies.model import (
    CLOSED,
    EMERGENCIES,
    EMERGENCY_LIFECYCLE,
    GRADES,
    OPEN,
    REPORTING_KINDS,
    add_report,
    delay_minutes,
    receivers,
)

if TYPE_CHECKING:
    from bot.config import OrgDirectory, Person
    from bot.services import Services
    from storage.session import Session

KIND = "emergency"
FOLLOWUP = "emergency_followup"
FOLLOWUP_KINDS = ("update", "final")


def may_report(person: Person, directory: OrgDirectory) -> bool:
    """Towns, departments, development zones, enterprises, mines and the office report:
    their heads and their duty officers (any member on duty)."""
    unit = directory.unit(person.unit_id)
    return unit is not None and unit.kind in REPORTING_KINDS


_moment = past_moment("ev_bad_time")


def _learned(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> int:
    learned = _moment(answer, ctx, values)
    if learned < values.get("happened", learned):
        raise UserFacingError("ev_learned_before_happened")
    return learned


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    messages = ctx.services.messages
    label = ctx.services.forms.label_of
    rows = [
        (label(KIND, "what"), values["what"]),
        (label(KIND, "place"), values["place"]),
        (label(KIND, "happened"), _shown_time(ctx, values["happened"])),
    ]
    if values.get("learned"):
        rows.append((label(KIND, "learned"), _shown_time(ctx, values["learned"])))
    rows += [
        (label(KIND, "casualties"), values["casualties"]),
        (label(KIND, "measures"), values["measures"]),
        (
            label(KIND, "grade"),
            messages.label("emergency_grades", values.get("grade") or "unknown"),
        ),
        (label(KIND, "sensitive"), messages.word("yes" if values.get("sensitive") else "no")),
    ]
    return rows


def _shown_time(ctx: CommandContext, ms: int) -> str:
    from handlers.approvals.card import date_time_text

    return date_time_text(ctx.services.messages, ms)


def _new_event(ctx: CommandContext, values: Mapping[str, Any], number: str) -> dict[str, Any]:
    services = ctx.services
    now_ms = to_epoch_ms(services.clock.now())
    unit = services.directory.unit(ctx.sender.unit_id)
    head = services.directory.unit_head(ctx.sender.unit_id)
    return {
        "id": number,
        **EMERGENCY_LIFECYCLE.begin(OPEN),
        "what": values["what"],
        "place": values["place"],
        "unit": unit.unit_id if unit else "",
        "reporter": ctx.sender.user_id,
        "watchers": [head.user_id] if head and head.user_id != ctx.sender.user_id else [],
        "happened_ms": values["happened"],
        "learned_ms": values.get("learned") or now_ms,
        "reported_ms": now_ms,
        "grade": values.get("grade") or "unknown",
        "sensitive": bool(values.get("sensitive")),
        "receivers": receivers(services),
        "acks": {},
        "dings": 0,
        "reports": [],
    }


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    now = services.clock.now()
    rules = services.config.rules
    if not receivers(services):
        raise UserFacingError("ev_no_receivers")

    def report(session: Session) -> None:
        event = _new_event(ctx, values, next_number(session, KIND, "TF", now.year))
        situation = {"situation": values["what"], "casualties": values["casualties"]}
        add_report(
            event, "first", ctx.sender.user_id, now, {**situation, "measures": values["measures"]}
        )
        session.collection(EMERGENCIES).insert(event)
        outgoing = create_card(services, session, event)
        # No 收悉 within the limit: a DING to whoever has not (real minutes).
        schedule_reminder(
            session,
            f"emergency:{event['id']}:ding:1",
            now + timedelta(minutes=rules.emergency_ack_minutes),
            [],
            action={"type": "emergency.ding", "event": event["id"], "round": 1},
        )
        late = delay_minutes(services, event)
        conclude_form(ctx, session, outgoing, "ev_reported", number=event["id"], late=late)

    return await stage_and_send(services, report)


EMERGENCY_FORM = Form(
    KIND,
    (
        FormField("what", spaced_text(4, 100, "ev_what_empty")),
        FormField("place", spaced_text(2, 100, "ev_place_empty")),
        FormField("happened", _moment),
        FormField("learned", _learned, optional=True),
        FormField("casualties", trimmed_text(1, 500, "ev_casualties_empty")),
        FormField("measures", trimmed_text(2, 1000, "ev_measures_empty")),
        FormField(
            "grade", labelled_choice(GRADES, "emergency_grades", "ev_bad_grade"), optional=True
        ),
        FormField("sensitive", yes_no, optional=True),
    ),
    _submit,
    _summary,
)


async def start_emergency(ctx: CommandContext) -> list[Outgoing]:
    if not may_report(ctx.sender, ctx.services.directory):
        raise NotAuthorized("ev_not_reporting_unit")
    return await ctx.services.forms.begin(ctx, KIND)


# -- 续报 and 终报 ----------------------------------------------------------------------


async def _number(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    number = str(answer).strip().upper()[:20]
    event = await ctx.services.db.run(lambda s: s.collection(EMERGENCIES).get(number))
    if event is None:
        raise UserFacingError("ev_unknown", number=number)
    if event["state"] == CLOSED:
        raise RuleViolation("ev_closed", number=number)
    if not _may_follow_up(ctx.services, event, ctx.sender):
        raise NotAuthorized("ev_not_yours", number=number)
    return number


def _may_follow_up(services: Services, event: Mapping[str, Any], person: Person) -> bool:
    """The reporting unit, and the 应急管理局 that follows the event."""
    bureau = services.directory.unit_with_role("emergency_bureau")
    return person.unit_id == event["unit"] or (
        bureau is not None and person.unit_id == bureau.unit_id
    )


def _followup_summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    label = ctx.services.forms.label_of
    return [
        (label(FOLLOWUP, "number"), values["number"]),
        (label(FOLLOWUP, "kind"), ctx.services.messages.label("emergency_reports", values["kind"])),
        (label(FOLLOWUP, "situation"), values["situation"]),
    ]


async def _submit_followup(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    now = services.clock.now()

    def report(session: Session) -> None:
        event = session.collection(EMERGENCIES).get(values["number"])
        if event is None or event["state"] == CLOSED:
            raise RuleViolation("ev_closed", number=values["number"])
        fields_ = {"situation": values["situation"], "casualties": values.get("casualties") or ""}
        add_report(event, values["kind"], ctx.sender.user_id, now, fields_)
        if values["kind"] == "final":
            EMERGENCY_LIFECYCLE.move(event, CLOSED)
            event["closed_ms"] = to_epoch_ms(now)
        outgoing = refresh_card(services, session, event)
        conclude_form(
            ctx, session, outgoing, "ev_followed_up", number=event["id"], kind=values["kind"]
        )

    return await stage_and_send(services, report)


FOLLOWUP_FORM = Form(
    FOLLOWUP,
    (
        FormField("number", _number),
        FormField("kind", labelled_choice(FOLLOWUP_KINDS, "emergency_reports", "ev_bad_kind")),
        FormField("situation", trimmed_text(4, 2000, "ev_situation_empty")),
        FormField("casualties", trimmed_text(1, 500, "ev_casualties_empty"), optional=True),
    ),
    _submit_followup,
    _followup_summary,
)


def _followup_command(kind: str) -> Any:
    """续报 / 终报 [编号]: the kind given by the command, the number on its own line."""

    async def begin(ctx: CommandContext) -> list[Outgoing]:
        messages, label = ctx.services.messages, ctx.services.forms.label_of
        lines = ctx.args.strip().splitlines()
        if lines and ":" not in lines[0] and "：" not in lines[0]:
            lines[0] = f"{label(FOLLOWUP, 'number')}：{lines[0]}"
        lines.insert(0, f"{label(FOLLOWUP, 'kind')}：{messages.label('emergency_reports', kind)}")
        return await ctx.services.forms.begin(replace(ctx, args="\n".join(lines)), FOLLOWUP)

    return begin


start_update = _followup_command("update")
start_final = _followup_command("final")
