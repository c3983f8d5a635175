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
    """The card update for ``flow`` as stored now; ``tag`` keeps its outbox key apart
    from the engine's own updates (``update:<trail length>``)."""
    view = ApprovalCardView(services)
    view.bind(services.workflow)
    payload = {
        "out_track_id": flow["card_id"],
        "card_data": view.public(flow),
        "private_data": {u: view.private(flow, u) for u in card_holders(flow)},
    }
    return Outgoing(f"{flow['card_id']}:update:{tag}", "card_update", payload)
