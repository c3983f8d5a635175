"""The government office's own staff (the roles of OFFICE_ROLES): who may record meetings,
open supervision items, review deliveries and judge information."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.config_schema import OFFICE_ROLES
from bot.errors import NotAuthorized

if TYPE_CHECKING:
    from bot.config import OrgDirectory, Person
    from bot.router import CommandContext


def is_office(person: Person, directory: OrgDirectory) -> bool:
    return bool(person.roles & OFFICE_ROLES)


def office_only(error: str) -> Callable[[CommandContext], None]:
    """A guard for a form command: anyone else is refused with ``error``."""

    def ensure_office(ctx: CommandContext) -> None:
        if not is_office(ctx.sender, ctx.services.directory):
            raise NotAuthorized(error)

    return ensure_office
