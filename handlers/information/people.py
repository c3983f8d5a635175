"""Who takes part in 政务信息: towns, departments, development zones, enterprises and mines
submit (第七十九条); the office's information staff decide whether it is adopted; the office
asks for information (约稿) and keeps the 通报 and 考核 (第八十二条)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.errors import NotAuthorized
from handlers.common.office import is_office
from handlers.requests.flow import SUBMITTING_KINDS

if TYPE_CHECKING:
    from bot.config import OrgDirectory, Person
    from bot.router import CommandContext
    from bot.services import Services

# The office's information staff: they decide whether information is adopted.
STAFF_ROLES = ("admin_section", "office_clerk")


def may_submit(person: Person, directory: OrgDirectory) -> bool:
    unit = directory.unit(person.unit_id)
    return unit is not None and unit.kind in SUBMITTING_KINDS


def is_info_office(person: Person, directory: OrgDirectory) -> bool:
    """The office: 约稿 and 信息通报."""
    return is_office(person, directory)


def ensure_info_office(ctx: CommandContext) -> None:
    if not is_info_office(ctx.sender, ctx.services.directory):
        raise NotAuthorized("info_office_only")


def staff(services: Services) -> list[str]:
    people = [p.user_id for role in STAFF_ROLES for p in services.directory.holders(role)]
    return list(dict.fromkeys(people))


def is_director(person: Person) -> bool:
    return "office_director" in person.roles
