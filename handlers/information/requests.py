"""约稿: the office asks chosen units for information on a topic by a deadline (第八十一
条: information that meets the leaders' needs, in time). Each unit head is told how to
answer; an item submitted with the number fulfils it for the unit. Every working morning
the units whose deadline passed without an answer are flagged, once; the office director
may mark a flagged miss as 造成严重后果 — only those go to 通报批评 (第八十二条)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.dialog import Form, FormField
from bot.errors import NotAuthorized, RuleViolation, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from handlers.common.answers import day_from_today, spaced_text
from handlers.common.notify import markdown_message
from handlers.common.numbers import next_number
from handlers.common.staging import conclude_form, stage_and_send
from handlers.common.units import headed_units, unit_name
from handlers.information.model import (
    INFO_REQUESTS,
    flag_miss,
    get_request,
    mark_serious,
    missing_units,
    new_request,
)
from handlers.information.people import ensure_info_office, is_director, staff
from handlers.requests.flow import SUBMITTING_KINDS
from handlers.supervision.people import name_of
from handlers.supervision.units import split_names

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session

KIND = "info_request"
_NUMBER = re.compile(r"^\s*(YG\d{4}-\d{4})\b\s*(.*)$", re.IGNORECASE | re.DOTALL)


def units_of(services: Services, text: str) -> list[str]:
    """Towns, departments, zones, enterprises and mines named, each with a head."""
    found, unknown = [], []
    for name in split_names(text):
        unit = services.directory.unit_named(name, SUBMITTING_KINDS)
        if unit is None or services.directory.unit_head(unit.unit_id) is None:
            unknown.append(name)
        else:
            found.append(unit.unit_id)
    if unknown or not found:
        raise UserFacingError("info_unknown_units", names="、".join(unknown)[:60])
    return list(dict.fromkeys(found))


# -- the 约稿 form ------------------------------------------------------------------------


def _units(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> list[str]:
    return units_of(ctx.services, str(answer))


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    label = ctx.services.forms.label_of
    names = "、".join(unit_name(ctx.services, u) for u in values["units"])
    return [
        (label(KIND, "topic"), values["topic"]),
        (label(KIND, "units"), names),
        (label(KIND, "deadline"), values["deadline"]),
    ]


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    now = services.clock.now()

    def store(session: Session) -> None:
        request = new_request(
            number=next_number(session, KIND, "YG", now.year),
            topic=values["topic"],
            units=values["units"],
            deadline=date.fromisoformat(values["deadline"]),
            by=ctx.sender.user_id,
            now=now,
        )
        session.collection(INFO_REQUESTS).insert(request)
        rendered = services.messages.markdown(
            "info_request_notice",
            number=request["id"],
            topic=request["topic"],
            deadline=request["deadline"],
            by=name_of(services, request["by"]),
        )
        outgoing = [
            markdown_message(f"information:{request['id']}:notice:{unit}", head, rendered)
            for unit, head in headed_units(services.directory, request["units"])
        ]
        conclude_form(
            ctx,
            session,
            outgoing,
            "info_requested",
            number=request["id"],
            count=len(request["units"]),
            deadline=request["deadline"],
        )

    return await stage_and_send(services, store)


REQUEST_FORM = Form(
    KIND,
    (
        FormField("topic", spaced_text(4, 100, "info_topic_bad")),
        FormField("units", _units),
        FormField("deadline", day_from_today("info_date_past", "info_bad_date")),
    ),
    _submit,
    _summary,
)


# -- 约稿 YG2026-0001 [严重后果 单位…] ---------------------------------------------------


async def start_request(ctx: CommandContext) -> list[Outgoing]:
    """约稿 opens the form; 约稿 <编号> shows how the units answered; 约稿 <编号> 严重后果
    <单位> marks flagged misses for 通报批评 (the office director)."""
    ensure_info_office(ctx)
    found = _NUMBER.match(ctx.args)
    if found is None:
        return await ctx.services.forms.begin(ctx, KIND)
    number, rest = found.group(1).upper(), found.group(2).strip()
    serious = ctx.services.messages.label("information_words", "serious")
    if rest.startswith(serious):
        return await _mark_serious(ctx, number, rest.removeprefix(serious))
    if rest:
        raise UserFacingError("info_request_usage", number=number)
    return await _status(ctx, number)


async def _status(ctx: CommandContext, number: str) -> list[Outgoing]:
    services = ctx.services
    request = await services.db.run(lambda s: get_request(s, number))
    if request is None:
        raise UserFacingError("info_request_unknown", number=number)
    return [ctx.markdown("info_request_status", **request_view(services, request))]


def request_view(services: Services, request: Mapping[str, Any]) -> dict[str, Any]:
    rows = []
    for unit in request["units"]:
        answer = request["answers"].get(unit)
        miss = request["misses"].get(unit)
        rows.append(
            {
                "unit": unit_name(services, unit),
                "item": answer["item"] if answer else "",
                "late": bool(answer and answer["late"]),
                "missed": miss is not None,
                "serious": bool(miss and miss.get("serious_ms")),
            }
        )
    return {
        "number": request["id"],
        "topic": request["topic"],
        "deadline": request["deadline"],
        "rows": rows,
    }


async def _mark_serious(ctx: CommandContext, number: str, names: str) -> list[Outgoing]:
    services = ctx.services
    if not is_director(ctx.sender):
        raise NotAuthorized("info_director_only")
    units = units_of(services, names)
    now = services.clock.now()

    def mark(session: Session) -> None:
        request = get_request(session, number)
        if request is None:
            raise UserFacingError("info_request_unknown", number=number)
        for unit in units:
            if unit not in request["misses"]:
                raise RuleViolation(
                    "info_not_missed", number=number, unit=unit_name(services, unit)
                )
        marked = [u for u in units if mark_serious(request, u, ctx.sender.user_id, now)]
        session.collection(INFO_REQUESTS).update(number, request)
        outgoing = []
        for unit, head in headed_units(services.directory, marked):
            rendered = services.messages.markdown(
                "info_serious_notice",
                number=number,
                topic=request["topic"],
                unit=unit_name(services, unit),
            )
            key = f"information:{number}:serious:{unit}"
            outgoing.append(markdown_message(key, head, rendered))
        conclude_form(
            ctx,
            session,
            outgoing,
            "info_serious_marked",
            number=number,
            units="、".join(unit_name(services, u) for u in units),
            already=len(units) - len(marked),
        )

    return await stage_and_send(services, mark)


# -- the working-morning check ------------------------------------------------------------


async def flag_missed(services: Services, today: date) -> list[Outgoing]:
    """Units past their 约稿 deadline without an answer: flagged on the request, their
    head and the office told once (in the storage call that flags them)."""
    now = services.clock.now()

    def flag(session: Session) -> None:
        requests = session.collection(INFO_REQUESTS).find(lambda d: bool(missing_units(d, today)))
        outgoing: list[Outgoing] = []
        for request in sorted(requests, key=lambda r: str(r["id"])):
            missed = missing_units(request, today)
            for unit in missed:
                flag_miss(request, unit, now)
            session.collection(INFO_REQUESTS).update(request["id"], request)
            outgoing += _miss_notices(services, request, missed)
        services.outbox.stage(session, outgoing)

    await services.db.run(flag)
    services.outbox.wake()
    return []


def _miss_notices(
    services: Services, request: Mapping[str, Any], units: list[str]
) -> list[Outgoing]:
    """Each unit's head about his unit; the requester and the information staff once
    about all the units flagged this morning."""
    context = {"number": request["id"], "topic": request["topic"], "deadline": request["deadline"]}
    outgoing = []
    for unit, head in headed_units(services.directory, units):
        rendered = services.messages.markdown(
            "info_missed", to_unit=True, units=unit_name(services, unit), **context
        )
        key = f"information:{request['id']}:missed:{unit}:{head}"
        outgoing.append(markdown_message(key, head, rendered))
    names = "、".join(unit_name(services, u) for u in units)
    office = services.messages.markdown("info_missed", to_unit=False, units=names, **context)
    for user in dict.fromkeys([request["by"], *staff(services)]):
        key = f"information:{request['id']}:missed:{'+'.join(units)}:{user}"
        outgoing.append(markdown_message(key, user, office))
    return outgoing
