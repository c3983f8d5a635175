"""A stored record that owns one card on the approval template (a supervision item, an
emergency, a letter, an information item): everyone holding it sees the public data, each
holder his own buttons. The record keeps the card's id, version and who has it; creating
and refreshing stage the DingTalk calls and store the record, inside the caller's storage
call; a click is checked against the card and applied in one storage call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.cards import CARDS
from bot.clock import to_epoch_ms
from bot.errors import NotAuthorized
from bot.outgoing import Outgoing, card_create, card_deliver, card_update
from bot.router import CardContext, CardResult

if TYPE_CHECKING:
    from datetime import datetime

    from bot.services import Services
    from handlers.approvals.actions import FlowAct
    from storage.session import Session

Record = dict[str, Any]
# What a click does, inside the storage call: the record as changed and what to send.
Apply = Callable[["Session"], tuple[Record, list[Outgoing]]]


class Answering(Protocol):
    """An answer on the card (a button of the approval card, ``text`` what was typed in
    its opinion box), applied inside the caller's storage call."""

    def __call__(
        self,
        services: Services,
        session: Session,
        number: str,
        user: str,
        decision: str,
        /,
        *,
        text: str,
        now: datetime,
    ) -> tuple[Record, list[Outgoing]]: ...


@dataclass(frozen=True)
class HeldCard:
    collection: str  # where the record is stored
    card_id: Callable[[str], str]  # the record's number -> its outTrackId
    holders: Callable[[Services, Record], Sequence[str]]
    public: Callable[[Services, Record], dict[str, Any]]
    private: Callable[[Services, Record, str], dict[str, Any]]
    card_key: str = ""  # the key naming the record in CARDS, when not ``collection``
    deliver_newcomers: bool = True  # False: the card stays with its first holders

    @property
    def key(self) -> str:
        return self.card_key or self.collection

    def create(self, services: Services, session: Session, record: Record) -> list[Outgoing]:
        """The card, delivered to every holder; the record stored with it."""
        card = self.card_id(record["id"])
        people = list(self.holders(services, record))
        record["card_id"], record["card_version"], record["delivered"] = card, 0, people
        session.collection(CARDS).insert({"id": card, self.key: record["id"]})
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
        holders = self.holders(services, record) if self.deliver_newcomers else ()
        newcomers = [u for u in holders if u not in delivered]
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

    async def act(self, ctx: CardContext, number: str, apply: Apply) -> CardResult:
        """A click on the card of record ``number``: refused unless the clicked card is
        that record's (the params are the client's word); ``apply`` runs in one storage
        call that stages what it sends; the clicker sees his new view."""
        services = ctx.services
        if ctx.card.get(self.key) != number:
            raise NotAuthorized(
                "card_not_yours", assignee_name=services.messages.word("assignee_unknown")
            )

        def act(session: Session) -> CardResult:
            record, outgoing = apply(session)
            services.outbox.stage(session, outgoing)
            return CardResult(
                card_data=self.public(services, record),
                private_data=self.private(services, record, ctx.user_id),
            )

        return await services.db.run(act)

    async def answer(self, ctx: CardContext, payload: FlowAct, answer: Answering) -> CardResult:
        """A button of the approval card: ``flow`` is the record's number, ``decision``
        the answer, ``opinion`` what the clicker typed."""
        now = ctx.services.clock.now()
        return await self.act(
            ctx,
            payload.flow,
            lambda session: answer(
                ctx.services,
                session,
                payload.flow,
                ctx.user_id,
                payload.decision,
                text=payload.opinion or "",
                now=now,
            ),
        )
