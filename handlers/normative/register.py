"""规范性文件登记 (第二十三、二十五条): the issuing unit (or the government office, for
documents of the county government) registers each normative document — title, 文号,
issuing unit, issued date, 试行 or not, and the passed 合法性审查 (HF…) it went through
(第二十四条). Without a passed review it is refused. The register gives it the unified
registration number (GF…) and its validity period."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.dialog import Form, FormField
from bot.errors import NotAuthorized, RuleViolation, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.workflow import END_APPROVED, FLOWS
from handlers.agenda.fields import REVIEW_NUMBER
from handlers.common.answers import spaced_text, yes_no
from handlers.common.commands import form_command
from handlers.common.moments import typed_day
from handlers.common.numbers import next_number
from handlers.common.office import is_office
from handlers.common.staging import conclude_form
from handlers.common.units import unit_name
from handlers.normative.model import COUNTY, NORMATIVE, new_record
from handlers.requests.flow import SUBMITTING_KINDS
from messages.vocabulary import word_list

if TYPE_CHECKING:
    from bot.config import OrgDirectory, Person
    from bot.services import Services
    from storage.session import Session


def may_register(person: Person, directory: OrgDirectory) -> bool:
    """The government office's staff, and the members of departments and towns."""
    unit = directory.unit(person.unit_id)
    return is_office(person, directory) or (unit is not None and unit.kind in SUBMITTING_KINDS)


def _ensure_may_register(ctx: CommandContext) -> None:
    if not may_register(ctx.sender, ctx.services.directory):
        raise NotAuthorized("nd_register_not_allowed")


_title = spaced_text(4, 80, "nd_bad_title")
_doc_number = spaced_text(4, 40, "nd_bad_doc_number")


def _issuer(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    """The county government (office staff only) or a unit; a unit's members register
    only their own unit's documents."""
    text = str(answer).strip()
    office = is_office(ctx.sender, ctx.services.directory)
    if text in word_list("normative.county_government"):
        if not office:
            raise NotAuthorized("nd_county_office_only")
        return COUNTY
    unit = ctx.services.directory.unit_named(text, SUBMITTING_KINDS)
    if unit is None:
        raise UserFacingError("nd_unknown_unit", name=text)
    if not office and unit.unit_id != ctx.sender.unit_id:
        raise NotAuthorized("nd_other_unit", unit=unit.name)
    return unit.unit_id


def _issued(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    day = typed_day(str(answer))
    if day is None:
        raise UserFacingError("nd_bad_date")
    if day > ctx.services.clock.now().date():
        raise UserFacingError("nd_date_future")
    return day.isoformat()


def _issuer_of(ctx: CommandContext, values: Mapping[str, Any]) -> str:
    """The issuer named, else the sender's own: the office registers for the county."""
    if values.get("issuer"):
        return str(values["issuer"])
    return COUNTY if is_office(ctx.sender, ctx.services.directory) else ctx.sender.unit_id


def responsible_unit(services: Services, issuer: str) -> str:
    """Who answers for the document: its unit, or the government office for the county's."""
    if issuer != COUNTY:
        return issuer
    office = services.directory.unit_with_role("gov_office")
    return office.unit_id if office else ""


def issuer_name(services: Services, record: Mapping[str, Any]) -> str:
    if record.get("county"):
        return services.messages.label("normative_labels", "county")
    return unit_name(services, record["unit"])


def check_review(session: Session, number: str, issuer: str) -> None:
    """A passed 合法性审查 (第二十三、二十四条) of the issuing unit (any unit's, for the
    county's documents), not yet quoted by another registration."""
    review = session.collection(FLOWS).get(number)
    if review is None or review["kind"] != "legality":
        raise UserFacingError("agenda_unknown_review", number=number)
    if review["state"] != "closed" or review["outcome"] != END_APPROVED:
        raise RuleViolation("nd_review_not_passed", number=number)
    if review["data"].get("subject") != "normative":
        raise RuleViolation("nd_review_not_normative", number=number)
    if issuer != COUNTY and review["unit_id"] != issuer:
        raise RuleViolation("nd_review_other_unit", number=number)
    used = session.collection(NORMATIVE).find(lambda d: d["review"] == number)
    if used:
        raise RuleViolation("nd_review_used", number=number, registered=used[0]["id"])


async def _review(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    found = REVIEW_NUMBER.search(str(answer))
    if found is None:
        raise RuleViolation("nd_needs_review")
    number = found.group(0).upper()
    issuer = _issuer_of(ctx, values)
    await ctx.services.db.run(lambda s: check_review(s, number, issuer))
    return number


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    services = ctx.services
    label = services.forms.label_of
    issuer = _issuer_of(ctx, values)
    yes_no_label = services.messages.label("normative_labels", "yes" if values["trial"] else "no")
    return [
        (label("normative", "title"), values["title"]),
        (label("normative", "doc_number"), values["doc_number"]),
        (
            label("normative", "issuer"),
            issuer_name(services, {"county": issuer == COUNTY, "unit": issuer}),
        ),
        (label("normative", "issued"), values["issued"]),
        (label("normative", "trial"), yes_no_label),
        (label("normative", "review"), values["review"]),
    ]


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    now = services.clock.now()
    issuer = _issuer_of(ctx, values)

    def store(session: Session) -> None:
        check_review(session, values["review"], issuer)  # again, inside the storage call
        record = new_record(
            number=next_number(session, NORMATIVE, "GF", now.year),
            title=values["title"],
            doc_number=values["doc_number"],
            unit=responsible_unit(services, issuer),
            county=issuer == COUNTY,
            issuer_name=issuer_name(services, {"county": issuer == COUNTY, "unit": issuer}),
            issued=date.fromisoformat(values["issued"]),
            trial=values["trial"],
            review=values["review"],
            rules=services.config.rules,
            by=ctx.sender.user_id,
            now=now,
        )
        session.collection(NORMATIVE).insert(record)
        conclude_form(
            ctx,
            session,
            [],
            "nd_registered",
            number=record["id"],
            title=record["title"],
            until=record["valid_until"],
            trial=record["trial"],
            years=services.config.rules.normative_trial_years
            if record["trial"]
            else services.config.rules.normative_valid_years,
        )

    await services.db.run(store)
    services.outbox.wake()
    services.site_changed()  # 统一公布 (第二十五条): the register page on the website
    return []


NORMATIVE_FORM = Form(
    NORMATIVE,
    (
        FormField("title", _title),
        FormField("doc_number", _doc_number),
        FormField("issuer", _issuer, optional=True),
        FormField("issued", _issued),
        FormField("trial", yes_no),
        FormField("review", _review),
    ),
    _submit,
    _summary,
)

start_register = form_command(NORMATIVE, _ensure_may_register)
