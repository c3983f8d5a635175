"""The gate every answer on a tracked item passes before it changes anything (来信 and
督办 items): the item must exist, the user must hold part of it, and its state must offer
the answer."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.errors import NotAuthorized, UserFacingError

if TYPE_CHECKING:
    from bot.services import Services

Item = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Refusals:
    """The templates an item's answers are refused with, and the label table of its
    states (named in the "not now" refusal)."""

    unknown: str
    not_yours: str
    not_now: str
    states: str


def admitted(
    services: Services,
    refusals: Refusals,
    number: str,
    item: Item | None,
    *,
    holds: Callable[[Item], bool],
    choices: Callable[[Item], Collection[str]],
    decision: str,
) -> Item:
    """``item`` once ``decision`` may be taken on it: refused when the number is unknown,
    when ``holds`` says the user holds no part of it, or when its ``choices`` for him do
    not offer the decision now."""
    if item is None:
        raise UserFacingError(refusals.unknown, number=number[:20])
    if not holds(item):
        raise NotAuthorized(refusals.not_yours, number=number)
    if decision not in choices(item):
        state = services.messages.label(refusals.states, item["state"])
        raise UserFacingError(refusals.not_now, number=number, state=state)
    return item


def one_line(text: str) -> str:
    """An answer's text as it is kept: one line, at most 2,000 characters."""
    return " ".join(text.split())[:2000]
