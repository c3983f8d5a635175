"""A stored record that owns one card on the approval template (a supervision item, an
emergency): everyone holding it sees the public data, each holder his own buttons. The
record keeps the card's id, version and who has it; creating and refreshing stage the
DingTalk calls and store the record, inside the caller's storage call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.cards import CARDS
from bot.clock import to_epoch_ms
from bot.outgoing import Outgoing, card_create, card_deliver, card_update

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session

Record = dict[str, Any]


@dataclass(frozen=True)
class HeldCard:
    collection: str  # where the record is stored; also the key naming it in CARDS
    card_id: Callable[[str], str]  # the record's number -> its outTrackId
    holders: Callable[[Services, Record], Sequence[str]]
    public: Callable[[Services, Record], dict[str, Any]]
    private: Callable[[Services, Record, str], dict[str, Any]]

    def create(self, services: Services, session: Session, record: Record) -> list[Outgoing]:
        """The card, delivered to every holder; the record stored with it."""
        card = self.card_id(record["id"])
        people = list(self.holders(services, record))
        record["card_id"], record["card_version"], record["delivered"] = card, 0, people
        session.collection(CARDS).insert({"id": card, self.collection: record["id"]})
        session.collection(self.collection).update(record["id"], record)
        return [
            card_create(
                f"{card}:create",
                template_id=services.config.cards["approval"],
                out_track_id=card,
                card_data=self.public(services, record),
                user_ids=people,
                private_data={u: self.private(services, record, u) for u in people},
            )
        ]

    def refresh(self, services: Services, session: Session, record: Record) -> list[Outgoing]:
        """Every holder's view brought up to date, the card handed to new holders; the
        record stored."""
        if not record.get("card_id"):  # recorded before it had a card
            return self.create(services, session, record)
        record["card_version"] = int(record.get("card_version", 0)) + 1
        record["updated_ms"] = to_epoch_ms(services.clock.now())
        version, card = record["card_version"], record["card_id"]
        delivered = list(record.get("delivered", []))
        newcomers = [u for u in self.holders(services, record) if u not in delivered]
        outgoing = []
        if newcomers:
            outgoing.append(card_deliver(f"{card}:deliver:{version}", card, user_ids=newcomers))
            record["delivered"] = delivered + newcomers
        outgoing.append(
            card_update(
                f"{card}:update:{version}",
                card,
                card_data=self.public(services, record),
                private_data={u: self.private(services, record, u) for u in record["delivered"]},
            )
        )
        session.collection(self.collection).update(record["id"], record)
        return outgoing
