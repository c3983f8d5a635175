"""The letter card (the approval card template): one per letter or 12345/信箱 item, held
by whoever registered it, the office that handles it, the county leader asked for his
批示, the 信访局 once he has given it and every unit it was with. The buttons sit in the
private data of whoever owes the next step and follow the item's state."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.card_buttons import button
from handlers.approvals.card import date_time_text
from handlers.common.held_card import HeldCard
from handlers.common.units import unit_name
from handlers.letters.model import (
    ANSWERED,
    HANDLING,
    INSTRUCTING,
    LETTER,
    LETTERS,
    ORGANISING,
    REGISTERED,
    limits_of,
)
from handlers.letters.people import petition_head, unit_head
from handlers.supervision.card import log_trail
from handlers.supervision.people import name_of

if TYPE_CHECKING:
    from bot.services import Services

LETTER_ACT = "letters.act"
# The main answers of whoever owes the next step, by state; 已告知 and 延期 are added
# while they are still open to him.
MAIN_CHOICES = {
    REGISTERED: ("instruct", "assign", "answer_phone", "answer_written"),
    INSTRUCTING: ("instructed",),
    ORGANISING: ("assign",),
    HANDLING: ("answer_phone", "answer_written", "forward"),
}
PRIMARY = {"instructed", "answer_phone", "answer_written", "notice"}


def letter_card_id(number: str) -> str:
    return "lx" + hashlib.sha256(number.encode()).hexdigest()[:30]


def actor(services: Services, item: Mapping[str, Any]) -> str | None:
    """Who owes the next step in the item's present state (None once answered)."""
    state = item["state"]
    if state == REGISTERED:
        return unit_head(services, item["office_unit"])
    if state == INSTRUCTING:
        return str(item["leader"]) or None
    if state == ORGANISING:
        return petition_head(services)
    if state == HANDLING:
        return unit_head(services, item["unit"])
    return None


def choices_for(services: Services, item: Mapping[str, Any], user_id: str) -> tuple[str, ...]:
    state = item["state"]
    if state == ANSWERED or user_id != actor(services, item):
        return ()
    extra_first = () if item.get("noticed_ms") or state == INSTRUCTING else ("notice",)
    extra_last = () if item.get("extended_ms") or state == INSTRUCTING else ("extend",)
    return (*extra_first, *MAIN_CHOICES[state], *extra_last)


def holders(services: Services, item: Mapping[str, Any]) -> list[str]:
    people = [
        item.get("registered_by"),
        unit_head(services, item["office_unit"]) if item.get("office_unit") else None,
        item.get("leader") or None,
        petition_head(services) if item.get("instruction") else None,
        *(unit_head(services, u) for u in item.get("units", [])),
    ]
    return [p for p in dict.fromkeys(people) if p]


def _fields(services: Services, item: Mapping[str, Any]) -> list[dict[str, str]]:
    word, label, messages = services.messages.word, services.messages.label, services.messages
    rows = [
        (word("lx_number"), item["id"]),
        (word("lx_channel"), label("letter_channels", item["channel"])),
    ]
    if item["channel"] == LETTER:
        rows.append((word("lx_route"), label("letter_routes", item["route"])))
    rows += [
        (word("lx_writer"), item["writer"]),
        (word("lx_contact"), item["contact"]),
        (word("lx_received"), date_time_text(messages, item["received_ms"])),
    ]
    if item.get("office_unit"):
        rows.append((word("lx_office"), unit_name(services, item["office_unit"])))
    if item.get("unit"):
        rows.append((word("lx_unit"), unit_name(services, item["unit"])))
    if item.get("leader"):
        rows.append((word("lx_leader"), name_of(services, item["leader"])))
    if item.get("instruction"):
        rows.append((word("lx_instruction"), item["instruction"]))
    if item.get("answered_ms"):
        rows.append((word("lx_reply_way"), label("letter_reply_ways", item["reply_way"])))
        rows.append((word("lx_replied"), date_time_text(messages, item["answered_ms"])))
    return [{"label": k, "value": v} for k, v in rows]


def public(services: Services, item: Mapping[str, Any]) -> dict[str, Any]:
    messages = services.messages
    state = item["state"]
    due = limits_of(item, services.config.rules)
    file = item.get("file") or {}
    return {
        "title": messages.word(
            "lx_card_title",
            channel=messages.label("letter_channels", item["channel"]),
            writer=item["writer"],
        ),
        "status": messages.label("letter_states", state),
        "status_color": "green" if state == ANSWERED else "blue",
        "summary": item["text"][:600] or messages.word("attachment", name=file.get("name", "")),
        "fields": _fields(services, item),
        "deadline": messages.text(
            "lx_deadline",
            notice=due.notice.isoformat(),
            finish=due.finish.isoformat(),
            noticed=bool(item.get("noticed_ms")),
            extended=bool(item.get("extended_ms")),
            answered=state == ANSWERED,
        ),
        "trail": log_trail(services, item, "letter_log"),
        "result": item.get("answer", ""),
    }


def private(services: Services, item: Mapping[str, Any], user_id: str) -> dict[str, Any]:
    choices = choices_for(services, item, user_id)
    return {
        "can_act": bool(choices),
        "opinion_required": False,  # which answers need words is checked on the click
        "note": services.messages.text("lx_card_note", state=item["state"]) if choices else "",
        "actions": [
            button(
                LETTER_ACT,
                services.messages.label("letter_buttons", choice),
                "primary" if choice in PRIMARY else "normal",
                flow=item["id"],
                assignment=item["state"],
                decision=choice,
            )
            for choice in choices
        ],
    }


LETTER_CARD = HeldCard(LETTERS, letter_card_id, holders, public, private, card_key="letter")
create_card = LETTER_CARD.create
refresh_card = LETTER_CARD.refresh
