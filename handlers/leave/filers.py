"""Who must file leave (第一百零一条) and who approves it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config_schema import LEADER_ROLES
from bot.errors import UserFacingError
from bot.router import CommandContext

if TYPE_CHECKING:
    from bot.config import OrgDirectory, Person

# Units whose responsible person files his own leave with the county government.
FILING_UNIT_KINDS = frozenset(
    {"office", "department", "town", "dev_zone", "enterprise", "coal_mine"}
)


def must_file(person: Person, directory: OrgDirectory) -> bool:
    """Members of the county government and the responsible persons of towns, the
    development zone, departments and county enterprises (and county coal mines)."""
    if person.roles & LEADER_ROLES:
        return True
    unit = directory.unit(person.unit_id)
    return unit is not None and unit.kind in FILING_UNIT_KINDS and unit.head_id == person.user_id


def approver_for(directory: OrgDirectory, person: Person) -> str | None:
    """The county head; for the head of a county-managed coal mine the deputy head in
    charge of it. None for the county head himself: his absence is filed (报备)."""
    if "county_head" in person.roles:
        return None
    unit = directory.unit(person.unit_id)
    if unit is not None and unit.kind == "coal_mine" and unit.county_managed:
        leader = directory.leader_in_charge(unit.unit_id)
        if leader is not None and leader.user_id != person.user_id:
            return leader.user_id
    return directory.sole("county_head").user_id


def ensure_must_file(ctx: CommandContext) -> None:
    directory = ctx.services.directory
    if not must_file(ctx.sender, directory):
        unit = directory.unit(ctx.sender.unit_id)
        raise UserFacingError("leave_not_required", unit=unit.name if unit else "")
