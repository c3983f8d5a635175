"""The flow's one DingTalk card: who holds it, and staging its creation, its delivery to
newcomers and everyone's refreshed view in the outbox (inside the engine's storage call)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.flow_model import CardView, Changes, FlowDef
from bot.outgoing import Outgoing

if TYPE_CHECKING:
    from bot.services import Services


def card_holders(doc: Mapping[str, Any]) -> list[str]:
    """Everyone who holds the flow's card: the submitter and every assignee so far."""
    people = [doc["submitter"], *doc["data"].get("watchers", [])]
    for a in doc["assignments"]:
        people += [*a.get("previous", []), a["user"]]
    return list(dict.fromkeys(people))


class FlowCards:
    def __init__(self, services: Services, flows: Mapping[str, FlowDef], view: CardView) -> None:
        self._services = services
        self._flows = flows
        self._view = view

    def _template_id(self, doc: Mapping[str, Any]) -> str:
        key = self._flows[doc["kind"]].card
        return self._services.config.cards[key]

    def _private(self, doc: Mapping[str, Any], holders: list[str]) -> dict[str, Any]:
        return {u: self._view.private(doc, u) for u in holders}

    def stage_create(self, doc: dict[str, Any], changes: Changes) -> None:
        holders = card_holders(doc)
        private = self._private(doc, holders)
        changes.outgoing.append(
            Outgoing(
                f"{doc['card_id']}:create",
                "card",
                {
                    "template_id": self._template_id(doc),
                    "out_track_id": doc["card_id"],
                    "card_data": self._view.public(doc),
                    "user_ids": holders,
                    "group_ids": [],
                    "private_data": private,
                },
            )
        )
        doc["delivered"] = holders

    def stage_refresh(self, doc: dict[str, Any], changes: Changes, actor: str | None) -> None:
        """New assignees get the card; everyone's view is brought up to date."""
        delivered = list(doc.get("delivered", []))
        newcomers = [u for u in card_holders(doc) if u not in delivered]
        version = len(doc["trail"])
        if newcomers:
            changes.outgoing.append(
                Outgoing(
                    f"{doc['card_id']}:deliver:{version}",
                    "card_deliver",
                    {"out_track_id": doc["card_id"], "user_ids": newcomers, "group_ids": []},
                )
            )
            doc["delivered"] = delivered + newcomers
        public = self._view.public(doc)
        private = self._private(doc, card_holders(doc))
        changes.card_data = public
        if actor is not None:
            changes.private = {actor: private[actor]}
        # Everyone's view, the actor's too: his ACK answer may never be applied (DingTalk
        # drops it after 2 s, or the click was queued while the bot was down).
        changes.outgoing.append(
            Outgoing(
                f"{doc['card_id']}:update:{version}",
                "card_update",
                {"out_track_id": doc["card_id"], "card_data": public, "private_data": private},
            )
        )
