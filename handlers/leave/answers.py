"""The answers of the leave forms (请假, 紧急外出, 延期): each field's check, the check of
the whole period and the rows of the summary shown before sending."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.clock import TZ
from bot.dialog import Form
from bot.errors import UserFacingError
from bot.router import CommandContext
from handlers.common.answers import TextParser, spaced_text
from handlers.leave.model import AM, PM, presides, required_stand_in, slot_at, stand_in_for
from handlers.leave.texts import kind_text, name_of, when_text
from handlers.leave.when import parse_when

KINDS = ("meeting", "trip", "study", "visit", "vacation", "family", "medical")


def _today(ctx: CommandContext) -> date:
    return ctx.services.clock.now().astimezone(TZ).date()


def _form_start(ctx: CommandContext, values: Mapping[str, Any]) -> Any:
    """The start answered, or now for 紧急外出 (the form without start and number)."""
    start = values.get("start")
    if start is None and "number" not in values:
        start = slot_at(ctx.services.clock.now())
    return start


def kind(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    text = str(answer).strip()
    for candidate in KINDS:
        if kind_text(ctx.services, candidate) == text:
            return candidate
    names = "、".join(kind_text(ctx.services, k) for k in KINDS)
    raise UserFacingError("leave_bad_kind", kinds=names)


def start(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> int:
    return parse_when(str(answer), _today(ctx), AM)


def end(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> int:
    last = parse_when(str(answer), _today(ctx), PM)
    first = _form_start(ctx, values)
    if first is not None and last < int(first):
        raise UserFacingError("leave_bad_period")
    return last


def short_text(limit: int) -> TextParser:
    return spaced_text(1, limit, "leave_bad_text", limit=limit)


def stand_in(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    text = str(answer).strip()
    person = ctx.services.directory.person_named(text)
    if person is None:
        raise UserFacingError("leave_unknown_person", name=text[:20])
    if person.user_id == ctx.sender.user_id:
        raise UserFacingError("leave_stand_in_self")
    fixed = required_stand_in(ctx.services.directory, ctx.sender.user_id)
    if fixed is not None and person.user_id != fixed:
        # The county head's stand-in is always the executive deputy (第五条).
        raise UserFacingError(
            "leave_stand_in_fixed", name=person.name, deputy=name_of(ctx.services, fixed)
        )
    return person.user_id


def number(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    return str(answer).strip().upper()[:20]


def check_period(ctx: CommandContext, values: Mapping[str, Any]) -> None:
    if "start" in values and values["end"] < values["start"]:
        raise UserFacingError("leave_bad_period")


def _stand_in_row(ctx: CommandContext, values: Mapping[str, Any], form: Form) -> tuple[str, str]:
    services = ctx.services
    user = ctx.sender.user_id
    chosen = values.get("stand_in")
    person = stand_in_for(services.directory, user, str(chosen) if chosen else None)
    value = services.messages.text(
        "leave_stand_in_value",
        name=name_of(services, person),
        default=not chosen,
        presides=presides(services.directory, user, person),
    )
    return services.forms.label(form, "stand_in"), value


def summary_rows(
    ctx: CommandContext, values: Mapping[str, Any], form: Form
) -> list[tuple[str, str]]:
    """What the sender is asked to confirm, in the order of the paper form."""
    services = ctx.services
    forms = services.forms
    rows: list[tuple[str, str]] = []
    if "number" in values:
        rows.append((forms.label(form, "number"), str(values["number"])))
    if "kind" in values:
        rows.append((forms.label(form, "kind"), kind_text(services, values["kind"])))
    first = _form_start(ctx, values)
    if first is not None:
        rows.append((services.messages.label("leave_labels", "start"), when_text(services, first)))
    rows.append((forms.label(form, "end"), when_text(services, values["end"])))
    for key in ("destination", "reason"):
        if key in values:
            rows.append((forms.label(form, key), str(values[key])))
    if "contact" in values:
        rows.append(_stand_in_row(ctx, values, form))
        rows.append((forms.label(form, "contact"), str(values["contact"])))
    return rows
