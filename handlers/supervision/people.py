"""Who takes part in supervision: the government office opens and reviews items (第八十四
条), unit heads answer for their units, county leaders are in charge or instruct."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.config_schema import LEADER_ROLES
from handlers.common.office import office_only

if TYPE_CHECKING:
    from bot.config import Person
    from bot.services import Services

# Opening items and registering 批示件 is the office's work (第八十四、八十七条).
ensure_office = office_only("sv_office_only")


def is_county_leader(person: Person | None) -> bool:
    return person is not None and bool(person.roles & LEADER_ROLES)


def director(services: Services) -> str | None:
    found = services.directory.holders("office_director")
    return found[0].user_id if found else None


def heads(services: Services, unit_ids: Iterable[str]) -> list[str]:
    found = (services.directory.unit_head(u) for u in unit_ids)
    return [p.user_id for p in found if p is not None]


def name_of(services: Services, user_id: str) -> str:
    person = services.directory.person(user_id)
    return person.name if person else user_id
