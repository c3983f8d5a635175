"""A 发文 card brought up to date by the documents feature itself (after 修改发文 or
撤销公文), for everyone who holds it; staged in the same storage call as the change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.flow_cards import card_holders
from bot.outgoing import Outgoing
from handlers.approvals.card import ApprovalCardView

if TYPE_CHECKING:
    from bot.services import Services


def refreshed_card(services: Services, flow: dict[str, Any], tag: str) -> Outgoing:
    """The card update for ``flow`` as stored now, keyed ``<card>:update:<tag>``.

    The outbox sends a key only once, so a key used twice would swallow a card update.
    The engine keys its own updates by the trail length (``update:<number>``); ``tag``
    names the event in words, never a bare number, and counts what repeats (e.g.
    ``revised-<number of versions>``; ``revoked`` happens once), so the two schemes
    never meet and no event of ours repeats a key."""
    if tag.isdigit():
        raise ValueError(f"card update tag {tag!r} would collide with the engine's keys")
    view = ApprovalCardView(services)
    view.bind(services.workflow)
    payload = {
        "out_track_id": flow["card_id"],
        "card_data": view.public(flow),
        "private_data": {u: view.private(flow, u) for u in card_holders(flow)},
    }
    return Outgoing(f"{flow['card_id']}:update:{tag}", "card_update", payload)
