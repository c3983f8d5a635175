"""The supervision card: one card per item (the approval card template,
messages/cards/approval.json), held by the office director, the lead unit's head, the
co-units' heads and the leader in charge. Everyone sees the item and its trail; the
buttons are in each holder's private data and follow the item's state."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.card_buttons import button
from handlers.approvals.card import date_time_text
from handlers.common.held_card import HeldCard
from handlers.common.units import unit_name
from handlers.supervision.model import (
    CLOSING,
    GRADES,
    OPEN,
    PENDING,
    SIGNED,
    SUPERVISION,
    lead_unit,
)
from handlers.supervision.people import director, heads, name_of

if TYPE_CHECKING:
    from bot.services import Services

SUPERVISION_ACT = "supervision.act"
STATUS_COLORS = {PENDING: "blue", OPEN: "blue", SIGNED: "blue", CLOSING: "blue"}
FINAL_COLORS = {"closed": "green", "refused": "gray"}
# The buttons a holder gets, by his part in the item and the item's state.
LEAD_CHOICES = {OPEN: ("sign", "progress", "apply_close"), SIGNED: ("progress", "apply_close")}
CO_CHOICES = {OPEN: ("co_report",), SIGNED: ("co_report",)}
DIRECTOR_CHOICES = {PENDING: ("approve", "refuse"), CLOSING: ("return", *GRADES)}
DANGER = {"refuse", "return", "fail"}
PRIMARY = {"approve", "sign", "apply_close", "excellent"}
_CHOICES: dict[str, Mapping[str, tuple[str, ...]]] = {
    "director": DIRECTOR_CHOICES,
    "lead": LEAD_CHOICES,
    "co": CO_CHOICES,
}


def supervision_card_id(number: str) -> str:
    return "sv" + hashlib.sha256(number.encode()).hexdigest()[:30]


def part_of(services: Services, item: Mapping[str, Any], user_id: str) -> str | None:
    """The holder's part: "director", "lead" or "co" (None: he only reads)."""
    if user_id == director(services):
        return "director"
    if user_id in heads(services, [lead_unit(item)]):
        return "lead"
    if user_id in heads(services, list(item.get("co_units", []))):
        return "co"
    return None


def choices_for(services: Services, item: Mapping[str, Any], user_id: str) -> tuple[str, ...]:
    part = part_of(services, item, user_id)
    return _CHOICES[part].get(item["state"], ()) if part else ()


def holders(services: Services, item: Mapping[str, Any]) -> list[str]:
    people = [
        director(services),
        *heads(services, [lead_unit(item)]),
        *heads(services, list(item.get("co_units", []))),
        item.get("leader") or None,
        item.get("instructed_by") or None,
    ]
    if item["state"] == PENDING:  # only the director decides whether it is opened
        people = [director(services), item.get("opened_by")]
    return [p for p in dict.fromkeys(people) if p]


def _fields(services: Services, item: Mapping[str, Any]) -> list[dict[str, str]]:
    label = services.messages.label
    word = services.messages.word
    rows = [
        (word("sv_number"), item["id"]),
        (word("sv_source"), label("supervision_sources", item["source"])),
        (word("sv_lead"), unit_name(services, lead_unit(item))),
    ]
    if item.get("co_units"):
        names = "、".join(unit_name(services, u) for u in item["co_units"])
        rows.append((word("sv_co"), names))
    if item.get("leader"):
        rows.append((word("sv_leader"), name_of(services, item["leader"])))
    return [{"label": k, "value": v} for k, v in rows]


def log_trail(services: Services, item: Mapping[str, Any], kinds: str) -> str:
    """The card's trail of the item's log (supervision and letters keep the same log),
    each entry's kind shown by its label in the ``kinds`` section."""
    lines = [
        {
            "at": date_time_text(services.messages, entry["at_ms"]),
            "who": name_of(services, entry["by"]),
            "what": services.messages.label(kinds, entry["kind"]),
            "text": entry.get("text", ""),
            "file": (entry.get("file") or {}).get("name", ""),
        }
        for entry in item.get("log", [])
    ]
    return services.messages.fragment("sv_trail", lines=lines)


def public(services: Services, item: Mapping[str, Any]) -> dict[str, Any]:
    messages = services.messages
    state = item["state"]
    grade = item.get("grade")
    return {
        "title": messages.word("sv_card_title", title=item["title"]),
        "status": messages.label("supervision_states", state),
        "status_color": STATUS_COLORS.get(state) or FINAL_COLORS.get(state, "gray"),
        "summary": item["text"][:600],
        "fields": _fields(services, item),
        "deadline": messages.text(
            "sv_deadline",
            due=item["due"],
            given=item.get("due_given", True),
            provisional=item.get("provisional", False),
            days=services.config.rules.feedback_working_days,
        ),
        "trail": log_trail(services, item, "supervision_log"),
        "result": messages.label("supervision_grades", grade) if grade else "",
    }


def private(services: Services, item: Mapping[str, Any], user_id: str) -> dict[str, Any]:
    choices = choices_for(services, item, user_id)
    return {
        "can_act": bool(choices),
        "opinion_required": False,  # which answers need words is checked on the click
        "note": services.messages.text(
            "sv_card_note", part=part_of(services, item, user_id) or "", state=item["state"]
        )
        if choices
        else "",
        "actions": [
            button(
                SUPERVISION_ACT,
                services.messages.label("supervision_buttons", choice),
                "danger" if choice in DANGER else "primary" if choice in PRIMARY else "normal",
                flow=item["id"],
                assignment=item["state"],  # a click from a view of another state is stale
                decision=choice,
            )
            for choice in choices
        ],
    }


SUPERVISION_CARD = HeldCard(SUPERVISION, supervision_card_id, holders, public, private)
create_card = SUPERVISION_CARD.create
refresh_card = SUPERVISION_CARD.refresh
