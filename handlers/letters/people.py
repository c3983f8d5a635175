"""Who takes part: the government office and the 信访局 register letters and 12345 items
(第四十四、八十八条); the office director or the 信访局 head handles a letter by its kind;
county leaders give their 批示; unit heads answer for their units."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config_schema import OFFICE_ROLES
from bot.errors import NotAuthorized
from handlers.supervision.people import director

if TYPE_CHECKING:
    from bot.config import OrgDirectory, Person
    from bot.router import CommandContext
    from bot.services import Services

PETITION_ROLE = "petition_bureau"


def petition_unit(directory: OrgDirectory) -> str:
    unit = directory.unit_with_role(PETITION_ROLE)
    return unit.unit_id if unit else ""


def may_register(person: Person, directory: OrgDirectory) -> bool:
    """Office staff and the 信访局's members."""
    unit = petition_unit(directory)
    return bool(person.roles & OFFICE_ROLES) or (bool(unit) and person.unit_id == unit)


def ensure_registrar(ctx: CommandContext) -> None:
    if not may_register(ctx.sender, ctx.services.directory):
        raise NotAuthorized("lx_registrar_only")


def unit_head(services: Services, unit_id: str) -> str | None:
    """Who answers for a unit: the office director for the 县政府办公室 (第八十八条 sends
    its letters to him), the unit's head elsewhere."""
    unit = services.directory.unit(unit_id)
    if unit is not None and "gov_office" in unit.roles:
        return director(services)
    head = services.directory.unit_head(unit_id)
    return head.user_id if head else None


def petition_head(services: Services) -> str | None:
    unit = petition_unit(services.directory)
    return unit_head(services, unit) if unit else None
