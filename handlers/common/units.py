"""Units by name: those named in a form answer, one after another (发文's recipients, a
请示's co-signing departments), and the name a unit is shown by."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from bot.errors import UserFacingError
from messages.vocabulary import LIST_SEPARATORS

if TYPE_CHECKING:
    from bot.config import OrgDirectory
    from bot.services import Services


def unit_ids_listed(
    directory: OrgDirectory,
    text: str,
    kinds: Collection[str],
    *,
    leaving_out: str | None = None,
) -> list[str]:
    """The ids of the units of ``kinds`` named in ``text``, each once, in the order named,
    without ``leaving_out``; names of no such unit are refused, all together."""
    found: list[str] = []
    unknown: list[str] = []
    for name in (n.strip() for n in LIST_SEPARATORS.split(text) if n.strip()):
        unit = directory.unit_named(name, kinds)
        if unit is None:
            unknown.append(name)
        elif unit.unit_id != leaving_out and unit.unit_id not in found:
            found.append(unit.unit_id)
    if unknown:
        raise UserFacingError("request_unknown_units", names="、".join(unknown))
    return found


def unit_name(services: Services, unit_id: str) -> str:
    """The unit's name; its id when the directory no longer knows it."""
    unit = services.directory.unit(unit_id)
    return unit.name if unit else unit_id


def headed_units(directory: OrgDirectory, unit_ids: Iterable[str]) -> list[tuple[str, str]]:
    """Each of ``unit_ids`` that has a head, with the head's user id, in the order given;
    a unit without a head is passed over."""
    found = []
    for unit_id in unit_ids:
        head = directory.unit_head(unit_id)
        if head is not None:
            found.append((unit_id, head.user_id))
    return found


def role_heads(directory: OrgDirectory, unit_roles: Iterable[str]) -> list[str]:
    """The heads of the units holding ``unit_roles`` (e.g. the 县委办公室 and the
    县政府办公室), each once, in that order; a role nobody holds is passed over."""
    found = []
    for role in unit_roles:
        unit = directory.unit_with_role(role)
        head = directory.unit_head(unit.unit_id) if unit else None
        if head is not None:
            found.append(head.user_id)
    return list(dict.fromkeys(found))
