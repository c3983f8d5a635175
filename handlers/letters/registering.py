"""Registering: ``来信`` (a letter, typed or scanned, and its kind under 第八十八条: the
four kinds go to the 县政府办公室, every other letter to the 信访局), and ``12345`` /
``信箱`` (an item of the hotline or the 县长信箱 with the moment it was received and the
first unit it goes to, which is responsible for it: 首问负责, 第四十四条). Both are
registered by the office staff or the 信访局."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.clock import from_epoch_ms
from bot.dialog import Form, FormField
from bot.errors import UserFacingError
from bot.outgoing import Outgoing, file_to
from bot.router import CommandContext
from handlers.agenda import fields
from handlers.approvals.card import date_time_text
from handlers.common.answers import labelled_choice, spaced_text
from handlers.common.material import fetched_file, material_shown
from handlers.common.moments import past_moment
from handlers.common.staging import conclude_form, stage_and_send
from handlers.common.units import unit_name
from handlers.letters.card import create_card
from handlers.letters.model import (
    HOTLINE,
    LETTER,
    LETTERS,
    MAILBOX,
    ROUTES,
    handling_role,
    limits,
    new_record,
    next_number,
)
from handlers.letters.people import ensure_registrar, petition_unit, unit_head
from handlers.supervision.units import unit_of_name

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session

LETTER_FORM_ID = "letter"
HOTLINE_FORM_ID = "hotline"

_writer = spaced_text(1, 40, "lx_writer_empty")
_contact = spaced_text(3, 60, "lx_contact_empty")


def _content(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> dict[str, Any]:
    """The letter as typed, or its scan sent as a file (Word, PDF or OFD)."""
    if not isinstance(answer, dict) and len(str(answer).strip()) < 4:
        raise UserFacingError("lx_content_empty")
    return fields.text_or_file(answer, ctx, values)


def _route(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    text = str(answer).strip()
    messages = ctx.services.messages
    for route in ROUTES:
        if text in (
            messages.label("letter_routes", route),
            messages.label("letter_routes_short", route),
        ):
            return route
    names = "、".join(messages.label("letter_routes", r) for r in ROUTES)
    raise UserFacingError("lx_bad_route", names=names)


def _office_of(services: Services, route: str) -> str:
    unit = services.directory.unit_with_role(handling_role(route))
    if unit is None or unit_head(services, unit.unit_id) is None:
        raise UserFacingError("lx_no_office", route=services.messages.label("letter_routes", route))
    return unit.unit_id


def _letter_summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    services = ctx.services
    label = services.forms.label_of
    office = _office_of(services, values["route"])
    return [
        (label(LETTER_FORM_ID, "writer"), values["writer"]),
        (label(LETTER_FORM_ID, "contact"), values["contact"]),
        (
            label(LETTER_FORM_ID, "content"),
            material_shown(services.messages, values["content"], 200),
        ),
        (label(LETTER_FORM_ID, "route"), services.messages.label("letter_routes", values["route"])),
        (services.messages.word("lx_office"), unit_name(services, office)),
    ]


async def _stored_content(services: Services, material: Mapping[str, Any]) -> dict[str, Any]:
    """The typed text, or the scan fetched from DingTalk and stored with the item."""
    return {"text": material.get("text", ""), "file": await fetched_file(services, material)}


def _scan_to(services: Services, item: Mapping[str, Any]) -> list[Outgoing]:
    """The scan, as a file, to whoever holds the card besides the one who sent it."""
    file = item.get("file")
    people = [u for u in item.get("delivered", []) if u != item["registered_by"]]
    if not file or not people:
        return []
    return [
        file_to(f"letters:{item['id']}:scan", user_ids=people, path=file["path"], name=file["name"])
    ]


async def _submit_letter(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    now = services.clock.now()
    office = _office_of(services, values["route"])
    content = await _stored_content(services, values["content"])

    def store(session: Session) -> None:
        item = new_record(
            number=next_number(session, LETTER, now.year),
            channel=LETTER,
            route=values["route"],
            writer=values["writer"],
            contact=values["contact"],
            content=content,
            received=now,
            registered_by=ctx.sender.user_id,
            office_unit=office,
            unit="",
            now=now,
        )
        session.collection(LETTERS).insert(item)
        outgoing = create_card(services, session, item) + _scan_to(services, item)
        conclude_form(
            ctx,
            session,
            outgoing,
            "lx_registered",
            number=item["id"],
            office=unit_name(services, office),
            route=values["route"],
        )

    return await stage_and_send(services, store)


LETTER_FORM = Form(
    LETTER_FORM_ID,
    (
        FormField("writer", _writer),
        FormField("contact", _contact),
        FormField("content", _content, accepts_file=True),
        FormField("route", _route),
    ),
    _submit_letter,
    _letter_summary,
)


# -- 12345 and 县长信箱 -------------------------------------------------------------------


_channel = labelled_choice((HOTLINE, MAILBOX), "letter_channels", "lx_bad_channel")


_received = past_moment("lx_bad_received")


def _first_unit(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    unit = unit_of_name(ctx.services.directory, str(answer))
    if unit_head(ctx.services, unit) is None:
        raise UserFacingError("lx_unit_without_head", unit=str(answer).strip()[:30])
    return unit


def _hotline_summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    services = ctx.services
    label = services.forms.label_of
    received = from_epoch_ms(values["received"])
    due = limits(received.date(), services.config.rules, extended=False)
    return [
        (
            label(HOTLINE_FORM_ID, "channel"),
            services.messages.label("letter_channels", values["channel"]),
        ),
        (label(HOTLINE_FORM_ID, "writer"), values["writer"]),
        (label(HOTLINE_FORM_ID, "contact"), values["contact"]),
        (
            label(HOTLINE_FORM_ID, "content"),
            material_shown(services.messages, values["content"], 200),
        ),
        (label(HOTLINE_FORM_ID, "received"), date_time_text(services.messages, values["received"])),
        (label(HOTLINE_FORM_ID, "unit"), unit_name(services, values["unit"])),
        (
            services.messages.word("lx_limits"),
            services.messages.text(
                "lx_deadline",
                notice=due.notice.isoformat(),
                finish=due.finish.isoformat(),
                noticed=False,
                extended=False,
                answered=False,
            ),
        ),
    ]


def _registering_office(services: Services, user_id: str) -> str:
    """The 信访局 when one of its members registers the item, else the 县政府办公室."""
    person = services.directory.person(user_id)
    bureau = petition_unit(services.directory)
    if person is not None and bureau and person.unit_id == bureau:
        return bureau
    office = services.directory.unit_with_role("gov_office")
    return office.unit_id if office else ""


async def _submit_hotline(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    now = services.clock.now()
    content = await _stored_content(services, values["content"])

    def store(session: Session) -> None:
        item = new_record(
            number=next_number(session, values["channel"], now.year),
            channel=values["channel"],
            route="general",
            writer=values["writer"],
            contact=values["contact"],
            content=content,
            received=from_epoch_ms(values["received"]),
            registered_by=ctx.sender.user_id,
            office_unit=_registering_office(services, ctx.sender.user_id),
            unit=values["unit"],
            now=now,
        )
        session.collection(LETTERS).insert(item)
        outgoing = create_card(services, session, item) + _scan_to(services, item)
        due = limits(
            from_epoch_ms(item["received_ms"]).date(), services.config.rules, extended=False
        )
        conclude_form(
            ctx,
            session,
            outgoing,
            "lx_hotline_registered",
            number=item["id"],
            unit=unit_name(services, item["unit"]),
            notice=due.notice.isoformat(),
            finish=due.finish.isoformat(),
        )

    return await stage_and_send(services, store)


HOTLINE_FORM = Form(
    HOTLINE_FORM_ID,
    (
        FormField("channel", _channel),
        FormField("writer", _writer),
        FormField("contact", _contact),
        FormField("content", _content, accepts_file=True),
        FormField("received", _received),
        FormField("unit", _first_unit),
    ),
    _submit_hotline,
    _hotline_summary,
)


async def start_letter(ctx: CommandContext) -> list[Outgoing]:
    ensure_registrar(ctx)
    return await ctx.services.forms.begin(ctx, LETTER_FORM_ID)


def _hotline_command(channel: str) -> Any:
    async def begin(ctx: CommandContext) -> list[Outgoing]:
        """The command names the channel: its label is the form's first answer."""
        ensure_registrar(ctx)
        services = ctx.services
        first = (
            f"{services.forms.label_of(HOTLINE_FORM_ID, 'channel')}："
            f"{services.messages.label('letter_channels', channel)}"
        )
        args = "\n".join(line for line in (first, ctx.args.strip()) if line)
        return await services.forms.begin(replace(ctx, args=args), HOTLINE_FORM_ID)

    return begin


start_hotline = _hotline_command(HOTLINE)
start_mailbox = _hotline_command(MAILBOX)
