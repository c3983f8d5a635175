"""Units named in supervision forms: lead units, co-units and the units a 批示件 goes to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.errors import UserFacingError
from handlers.requests.flow import SUBMITTING_KINDS
from messages.vocabulary import NAME_SEPARATORS

if TYPE_CHECKING:
    from bot.config import OrgDirectory

UNIT_KINDS = SUBMITTING_KINDS | {"office"}


def split_names(text: str) -> list[str]:
    return [n for n in NAME_SEPARATORS.split(text) if n]


def unit_of_name(directory: OrgDirectory, name: str) -> str:
    unit = directory.unit_named(name.strip(), UNIT_KINDS)
    if unit is None:
        raise UserFacingError("request_unknown_units", names=name.strip()[:30])
    return unit.unit_id


def units_named(directory: OrgDirectory, text: str) -> list[str]:
    return list(dict.fromkeys(unit_of_name(directory, n) for n in split_names(text)))
