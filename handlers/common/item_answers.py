"""The answers on a tracked item (来信 and 督办 items): the gate every answer passes before
it changes anything (the item must exist, the user must hold part of it, and its state
must offer the answer), then the item's own table of what each answer does."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.errors import NotAuthorized, UserFacingError
from bot.outgoing import Outgoing

if TYPE_CHECKING:
    from datetime import datetime

    from bot.services import Services
    from storage.session import Session

Item = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Refusals:
    """The templates an item's answers are refused with, and the label table of its
    states (named in the "not now" refusal)."""

    unknown: str
    not_yours: str
    not_now: str
    states: str


@dataclass
class Answer:
    """One admitted answer being applied to ``item`` inside the caller's storage call:
    ``text`` as kept (one line), ``file`` what a report in chat carried."""

    services: Services
    session: Session
    item: Item
    user: str
    text: str
    file: Mapping[str, Any] | None
    now: datetime


# What one decision does to the item; returns what to send besides the card update.
Apply = Callable[[Answer], list[Outgoing]]


@dataclass(frozen=True)
class ItemAnswers:
    """How one kind of tracked item takes answers: where an item is found, whether the
    user holds it, which answers his part offers now, the refusal of an answer that
    lacks the text it needs, what each answer does and the card refreshed after it."""

    refusals: Refusals
    find: Callable[[Session, str], Item | None]
    holds: Callable[[Services, Item, str], bool]
    choices: Callable[[Services, Item, str], Collection[str]]
    check_text: Callable[[Answer, str], None]
    apply: Mapping[str, Apply]
    refresh_card: Callable[[Services, Session, Item], list[Outgoing]]

    def answer(
        self,
        services: Services,
        session: Session,
        number: str,
        user: str,
        decision: str,
        *,
        text: str = "",
        file: Mapping[str, Any] | None = None,
        now: datetime,
    ) -> tuple[Item, list[Outgoing]]:
        """Applies one answer inside the caller's storage call; returns the stored item
        and what to send. Refusals raise before anything changes."""
        item = admitted(
            services,
            self.refusals,
            number,
            self.find(session, number),
            holds=lambda item: self.holds(services, item, user),
            choices=lambda item: self.choices(services, item, user),
            decision=decision,
        )
        a = Answer(services, session, item, user, one_line(text), file, now)
        self.check_text(a, decision)
        outgoing = self.apply[decision](a)
        outgoing += self.refresh_card(services, session, item)
        return item, outgoing


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
