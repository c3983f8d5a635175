"""督办: the office opens a supervision item (第三十八、八十四、八十五条) — source, content,
lead unit and co-units, the leader in charge, the deadline (10 working days when none
is given) — and the office director approves it on its card before the units get it.
Meeting decisions with an owner and a deadline enter the same ledger at once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.dialog import Form, FormField
from bot.errors import UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from handlers.common.answers import day_from_today, labelled_choice
from handlers.common.commands import form_command
from handlers.common.staging import conclude_form, stage_and_send
from handlers.supervision.card import create_card
from handlers.supervision.listing import list_items
from handlers.supervision.model import (
    OPEN,
    PENDING,
    SOURCES,
    SUPERVISION,
    Due,
    due_for,
    new_item,
    next_number,
)
from handlers.supervision.people import ensure_office, is_county_leader
from handlers.supervision.units import unit_of_name, units_named

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session


# -- fields -----------------------------------------------------------------------------


def _title(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    text = " ".join(str(answer).split())
    if len(text) < 2:
        raise UserFacingError("sv_title_empty")
    return text[:60]


_source = labelled_choice(SOURCES, "supervision_sources", "sv_bad_source")


def _content(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    text = str(answer).strip()
    if len(text) < 4:
        raise UserFacingError("sv_content_empty")
    return text[:2000]


def _lead(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    unit_id = unit_of_name(ctx.services.directory, str(answer))
    if ctx.services.directory.unit_head(unit_id) is None:
        raise UserFacingError("sv_unit_without_head", unit=str(answer).strip()[:30])
    return unit_id


def _co_units(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> list[str]:
    units = units_named(ctx.services.directory, str(answer))
    if values.get("lead") in units:
        raise UserFacingError("sv_lead_in_co")
    return units


def _leader(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    person = ctx.services.directory.person_named(str(answer).strip())
    if person is None or not is_county_leader(person):
        raise UserFacingError("sv_not_a_leader", name=str(answer).strip()[:20])
    return person.user_id


# A 完成时限: a day from today on (also the deadline of work a meeting assigns).
due_answer = day_from_today("decision_date_past", "decision_bad_date")


def _leader_of(services: Services, values: Mapping[str, Any]) -> str:
    """The leader named, else the one who answers for the lead unit by 分工 (its leader
    in charge, else the county head)."""
    if values.get("leader"):
        return str(values["leader"])
    return services.directory.responsible_leader(values["lead"]).user_id


def _due_of(services: Services, values: Mapping[str, Any], now: datetime) -> Due:
    given = date.fromisoformat(values["due"]) if values.get("due") else None
    days = services.config.rules.feedback_working_days
    return due_for(services.calendar, now.date(), given, days)


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    services = ctx.services
    label = services.forms.label_of
    unit = services.directory.unit
    leader = services.directory.person(_leader_of(services, values))
    due = _due_of(services, values, services.clock.now())
    rows = [
        (label("supervision", "title"), values["title"]),
        (
            label("supervision", "source"),
            services.messages.label("supervision_sources", values["source"]),
        ),
        (label("supervision", "content"), values["content"]),
        (label("supervision", "lead"), unit(values["lead"]).name),  # type: ignore[union-attr]
    ]
    if values.get("co_units"):
        names = "、".join(unit(u).name for u in values["co_units"])  # type: ignore[union-attr]
        rows.append((label("supervision", "co_units"), names))
    rows += [
        (label("supervision", "leader"), leader.name if leader else ""),
        (
            label("supervision", "due"),
            services.messages.text(
                "sv_deadline",
                due=due.day.isoformat(),
                given=due.given,
                provisional=due.provisional,
                days=services.config.rules.feedback_working_days,
            ),
        ),
    ]
    return rows


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    now = services.clock.now()

    def store(session: Session) -> None:
        item = new_item(
            number=next_number(session, now.year),
            state=PENDING,
            source=values["source"],
            title=values["title"],
            text=values["content"],
            lead=values["lead"],
            co_units=values.get("co_units") or [],
            leader=_leader_of(services, values),
            due=_due_of(services, values, now),
            opened_by=ctx.sender.user_id,
            now=now,
        )
        session.collection(SUPERVISION).insert(item)
        outgoing = create_card(services, session, item)
        conclude_form(ctx, session, outgoing, "sv_opened", number=item["id"], due=item["due"])

    return await stage_and_send(services, store)


SUPERVISION_FORM = Form(
    "supervision",
    (
        FormField("title", _title),
        FormField("source", _source),
        FormField("content", _content),
        FormField("lead", _lead),
        FormField("co_units", _co_units, optional=True),
        FormField("leader", _leader, optional=True),
        FormField("due", due_answer, optional=True),
    ),
    _submit,
    _summary,
)


def open_from_decision(
    services: Services,
    session: Session,
    *,
    title: str,
    text: str,
    lead: str,
    due: date,
    opened_by: str,
    now: datetime,
    extra: Mapping[str, Any],
) -> tuple[str, list[Outgoing]]:
    """A meeting decision with an owner and a deadline: opened at once (the meeting
    decided it), its card to the lead unit's head. Inside the decision's storage call."""
    leader = services.directory.responsible_leader(lead)
    item = new_item(
        number=next_number(session, now.year),
        state=OPEN,
        source="meeting",
        title=title,
        text=text,
        lead=lead,
        co_units=[],
        leader=leader.user_id,
        due=due_for(services.calendar, now.date(), due, 0),
        opened_by=opened_by,
        now=now,
        extra=extra,
    )
    session.collection(SUPERVISION).insert(item)
    return item["id"], create_card(services, session, item)


async def start_supervision(ctx: CommandContext) -> list[Outgoing]:
    """督办 alone lists the running items; with the form's fields it opens one."""
    if not ctx.args.strip():
        return await list_items(ctx)
    return await new_supervision(ctx)


new_supervision = form_command("supervision", ensure_office)
