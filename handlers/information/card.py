"""The information card: one per item (the approval card template), held by the submitter,
his unit head and the office's information staff. The staff's private view carries
采用（县级）, 采用（市级）, 采用（省级） and 不采用 until the first of them decides."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.card_buttons import button
from handlers.approvals.card import date_time_text
from handlers.common.held_card import HeldCard
from handlers.common.units import unit_name
from handlers.information.model import (
    ADOPTED,
    CHOICES,
    INFORMATION,
    NOT_ADOPTED_CHOICE,
    SUBMITTED,
)
from handlers.information.people import staff
from handlers.supervision.people import name_of

if TYPE_CHECKING:
    from bot.services import Services
    from messages.render import Messages

INFORMATION_ACT = "information.act"
COLORS = {SUBMITTED: "blue", ADOPTED: "green"}


def information_card_id(number: str) -> str:
    return "xx" + hashlib.sha256(number.encode()).hexdigest()[:30]


def holders(services: Services, item: Mapping[str, Any]) -> list[str]:
    head = services.directory.unit_head(item["unit"])
    people = [item["by"], head.user_id if head else None, *staff(services)]
    return [p for p in dict.fromkeys(people) if p]


def choices_for(services: Services, item: Mapping[str, Any], user_id: str) -> tuple[str, ...]:
    if item["state"] != SUBMITTED or user_id not in staff(services):
        return ()
    return CHOICES


def _fields(services: Services, item: Mapping[str, Any]) -> list[dict[str, str]]:
    word, messages = services.messages.word, services.messages
    rows = [
        (word("info_number"), item["id"]),
        (word("info_unit"), unit_name(services, item["unit"])),
        (word("info_by"), name_of(services, item["by"])),
        (word("info_category"), messages.label("information_categories", item["category"])),
        (word("info_submitted"), date_time_text(messages, item["submitted_ms"])),
    ]
    if item.get("request"):
        rows.append((word("info_request"), item["request"]))
    if item.get("file"):
        rows.append((word("info_file"), word("attachment", name=item["file"]["name"])))
    return [{"label": k, "value": v} for k, v in rows]


def status_text(messages: Messages, item: Mapping[str, Any]) -> str:
    """待审核, 已采用（市级）, 未采用."""
    level = item.get("level")
    return messages.text(
        "info_status",
        state=messages.label("information_states", item["state"]),
        level=messages.label("information_levels", level) if level else "",
    )


def public(services: Services, item: Mapping[str, Any]) -> dict[str, Any]:
    messages = services.messages
    state = item["state"]
    decided = state != SUBMITTED
    status = status_text(messages, item)
    return {
        "title": messages.word("info_card_title", title=item["title"]),
        "status": status,
        "status_color": COLORS.get(state, "gray"),
        "summary": item["text"][:600]
        or messages.word("attachment", name=(item.get("file") or {}).get("name", "")),
        "fields": _fields(services, item),
        "deadline": "",
        "trail": messages.fragment(
            "info_trail",
            decided=decided,
            at=date_time_text(messages, item["decided_ms"]) if decided else "",
            who=name_of(services, item["decided_by"]) if decided else "",
            status=status,
            reason=item.get("reason", ""),
        ),
        "result": status if decided else "",
    }


def private(services: Services, item: Mapping[str, Any], user_id: str) -> dict[str, Any]:
    choices = choices_for(services, item, user_id)
    return {
        "can_act": bool(choices),
        "opinion_required": False,  # only 不采用 needs a reason, checked on the click
        "note": services.messages.text("info_card_note") if choices else "",
        "actions": [
            button(
                INFORMATION_ACT,
                services.messages.label("information_buttons", choice),
                "danger" if choice == NOT_ADOPTED_CHOICE else "primary",
                flow=item["id"],
                assignment=item["state"],
                decision=choice,
            )
            for choice in choices
        ],
    }


# The card stays with those who had it when the item was submitted.
INFORMATION_CARD = HeldCard(
    INFORMATION, information_card_id, holders, public, private, deliver_newcomers=False
)
create_card = INFORMATION_CARD.create
refresh_card = INFORMATION_CARD.refresh
