"""Written reports of visits (第九十八条): a department notified that leaders or a
delegation will come to the county for 视察、检查、调研、考察 reports it in writing to the
县委办公室 and the 县政府办公室. Only the visits the article lists are reported here; any
other level is refused with the article's list. Each report is stored in
``visit_reports`` under its number and reaches the heads of both offices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.clock import to_epoch_ms
from bot.dialog import Form, FormField
from bot.errors import RuleViolation, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from handlers.common.answers import day_from_today, first_named, spaced_text, trimmed_text
from handlers.common.commands import form_command
from handlers.common.notify import markdown_message
from handlers.common.numbers import next_number
from handlers.common.staging import conclude_form, stage_and_send
from handlers.common.summary import plain_summary
from handlers.common.units import role_heads
from handlers.contracts.submitting import submitting_unit_only

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session

FORM = "visit_report"
VISIT_REPORTS = "visit_reports"
# 第九十八条's visits, in its order.
LEVELS = ("ministry", "province", "city_bureau", "city_vice", "leadership", "delegation")
RECEIVING_ROLES = ("party_office", "gov_office")


def visit_level(text: str) -> str:
    """The article's category a typed level names; anything else is refused."""
    level = first_named(text, LEVELS, "visit_levels")
    if level is None:
        raise RuleViolation("visit_not_qualifying", level=text[:30])
    return level


def _level(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    return visit_level(str(answer).strip())


def receivers(services: Services) -> list[str]:
    """The heads of the 县委办公室 and the 县政府办公室."""
    return role_heads(services.directory, RECEIVING_ROLES)


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    fields = ("visitor", "level", "date", "purpose", "arrangements")
    return plain_summary(ctx, FORM, values, fields, {"level": "visit_levels"})


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    now = services.clock.now()
    people = receivers(services)
    if len(people) < len(RECEIVING_ROLES):
        raise UserFacingError("visit_no_receivers")
    unit = services.directory.unit(ctx.sender.unit_id)
    unit_name = unit.name if unit else ""
    level = services.messages.label("visit_levels", values["level"])

    def report(session: Session) -> None:
        number = next_number(session, FORM, "KC", now.year)
        session.collection(VISIT_REPORTS).insert(
            {
                "id": number,
                "unit": ctx.sender.unit_id,
                "reporter": ctx.sender.user_id,
                "reported_ms": to_epoch_ms(now),
                "visitor": values["visitor"],
                "level": values["level"],
                "date": values["date"],
                "purpose": values["purpose"],
                "arrangements": values["arrangements"],
                "receivers": people,
            }
        )
        rendered = services.messages.markdown(
            "visit_report_notice",
            number=number,
            unit=unit_name,
            reporter=ctx.sender.name,
            level=level,
            **{k: values[k] for k in ("visitor", "date", "purpose", "arrangements")},
        )
        notices = [markdown_message(f"visit:{number}:{u}", u, rendered) for u in people]
        conclude_form(ctx, session, notices, "visit_reported", number=number)

    return await stage_and_send(services, report)


VISIT_FORM = Form(
    FORM,
    (
        FormField("visitor", spaced_text(2, 80, "visit_bad_visitor")),
        FormField("level", _level),
        FormField("date", day_from_today("visit_date_past", "visit_bad_date")),
        FormField("purpose", spaced_text(2, 200, "visit_bad_purpose")),
        FormField("arrangements", trimmed_text(4, 2000, "visit_bad_arrangements")),
    ),
    _submit,
    _summary,
)

start_visit_report = form_command(FORM, submitting_unit_only("visit_not_for_unit"))
