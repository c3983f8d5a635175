"""The meeting card (messages/cards/meeting.json): every attendee holds one card per
meeting showing the agenda, the attendance list and the office's warnings, kept up to
date in place. Buttons (确认参加 / 请假 / 提出异议) are in each holder's private data."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.card_buttons import button
from bot.cards import CARDS
from bot.clock import to_epoch_ms
from bot.outgoing import Outgoing
from handlers.approvals.card import date_time_text
from handlers.meetings.model import (
    ATTEND,
    LEAVE_PENDING,
    MEETINGS,
    ON_LEAVE,
    SUBSTITUTE,
    agenda_minutes,
    attendees,
    expected_members,
    is_leader,
    on_agenda,
    speaking_units,
)

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session

MEETING_ACT = "meeting.act"
STATUS_COLORS = {
    "planned": "blue",
    "locked": "blue",
    "distributed": "green",
    "held": "gray",
    "minuted": "gray",
}


def meeting_card_id(meeting_id: str) -> str:
    return "gm" + hashlib.sha256(meeting_id.encode()).hexdigest()[:30]


def _name(services: Services, user_id: str) -> str:
    person = services.directory.person(user_id)
    return person.name if person else user_id


def meeting_rows(services: Services, meeting: Mapping[str, Any]) -> list[tuple[str, str]]:
    word = services.messages.word
    label = services.messages.label
    rows = []
    if meeting["id"]:
        rows.append((word("meeting_number"), meeting["id"]))
    if meeting["title"]:
        rows.append((word("meeting_topic"), meeting["title"]))
    rows += [
        (word("meeting_kind"), label("meeting_kinds", meeting["kind"])),
        (word("meeting_time"), date_time_text(services.messages, meeting["start_ms"])),
        (word("meeting_place"), meeting["place"]),
        (word("meeting_chair"), _name(services, meeting["chair"])),
    ]
    if meeting["consult"]:
        rows.append(
            (word("meeting_consult"), "、".join(_name(services, u) for u in meeting["consult"]))
        )
    rows += [
        (word("meeting_members"), str(len(meeting["members"]))),
        (word("meeting_deadline"), date_time_text(services.messages, meeting["deadline_ms"])),
    ]
    return rows


def agenda_lines(services: Services, meeting: Mapping[str, Any]) -> list[dict[str, str]]:
    directory = services.directory
    label = services.messages.label
    lines = []
    for entry in meeting["agenda"]:
        unit = directory.unit(entry["unit"])
        decision = entry.get("decision") or {}
        lines.append(
            {
                "item": entry["item"],
                "title": entry["title"],
                "unit": unit.name if unit else entry["unit"],
                "minutes": str(entry.get("minutes") or ""),
                "status": label("agenda_entry_status", entry["status"]),
                "urgent": "true" if entry.get("urgent") else "",
                "decision": label("meeting_decisions", decision["result"]) if decision else "",
            }
        )
    return lines


def warnings(services: Services, meeting: Mapping[str, Any]) -> list[str]:
    """What the office is warned about (第五十一、六十四、六十五条)."""
    rules = services.config.rules
    messages = services.messages
    found = []
    minutes = agenda_minutes(meeting)
    if minutes > rules.max_meeting_minutes:
        found.append(
            messages.text("meeting_warn_long", minutes=minutes, limit=rules.max_meeting_minutes)
        )
    units = len(speaking_units(meeting))
    if units > rules.max_speaking_units:
        found.append(
            messages.text("meeting_warn_speakers", units=units, limit=rules.max_speaking_units)
        )
    present, total = expected_members(meeting)
    if total and present * 2 <= total:
        found.append(messages.text("meeting_warn_quorum", present=present, total=total))
    return found


def _attendance(services: Services, meeting: Mapping[str, Any]) -> dict[str, Any]:
    directory = services.directory
    confirmed, away, substitutes = [], [], []
    for user, entry in meeting["attendance"].items():
        person = directory.person(user)
        unit = directory.unit(person.unit_id) if person else None
        row = {
            "name": _name(services, user),
            "unit": unit.name if unit else "",
            "reason": entry.get("reason", ""),
            "substitute": entry.get("substitute", ""),
            "pending": entry["status"] == LEAVE_PENDING,
        }
        if entry["status"] == ATTEND:
            confirmed.append(row)
        elif entry["status"] in (ON_LEAVE, LEAVE_PENDING):
            away.append(row)
        elif entry["status"] == SUBSTITUTE:
            substitutes.append(row)
    present, total = expected_members(meeting)
    return {
        "present": present,
        "total": total,
        "confirmed": confirmed,
        "away": away,
        "substitutes": substitutes,
        "unanswered": len([u for u in attendees(meeting) if u not in meeting["attendance"]]),
    }


def public(services: Services, meeting: Mapping[str, Any]) -> dict[str, Any]:
    messages = services.messages
    state = meeting["state"]
    return {
        "title": meeting["title"],
        "status": messages.label("meeting_states", state),
        "status_color": STATUS_COLORS.get(state, "gray"),
        "fields": [{"label": k, "value": v} for k, v in meeting_rows(services, meeting)],
        "agenda": messages.fragment(
            "meeting_agenda",
            lines=agenda_lines(services, meeting),
            minutes=agenda_minutes(meeting),
            fixed=state != "planned",
        ),
        "attendance": messages.fragment("meeting_attendance", **_attendance(services, meeting)),
        "warnings": messages.fragment("meeting_warnings", lines=warnings(services, meeting)),
    }


def private(services: Services, meeting: Mapping[str, Any], user_id: str) -> dict[str, Any]:
    messages = services.messages
    if meeting["state"] not in ("planned", "locked", "distributed"):
        return {"can_act": False, "actions": [], "is_unit": False, "note": ""}
    entry = meeting["attendance"].get(user_id)
    person = services.directory.person(user_id)
    leader = is_leader(person)
    choices = ["attend", "leave" if leader else "substitute"]
    if meeting["state"] == "distributed" and on_agenda(meeting):
        choices.append("object")
    note = messages.text(
        "meeting_my_status",
        status=messages.label("attendance_status", entry["status"]) if entry else "",
        substitute=(entry or {}).get("substitute", ""),
    )
    return {
        "can_act": True,
        "is_unit": not leader,
        "note": note,
        "actions": [
            button(
                MEETING_ACT,
                messages.label("meeting_buttons", choice),
                "primary" if choice == "attend" else "normal",
                meeting=meeting["id"],
                choice=choice,
            )
            for choice in choices
        ],
    }


def create_meeting_card(
    services: Services, session: Session, meeting: dict[str, Any]
) -> list[Outgoing]:
    """Called in the storage call that plans the meeting."""
    card = meeting_card_id(meeting["id"])
    meeting["card_id"] = card
    meeting["card_version"] = 0
    holders = attendees(meeting)
    meeting["delivered"] = holders
    session.collection(CARDS).insert({"id": card, "meeting": meeting["id"]})
    session.collection(MEETINGS).update(meeting["id"], meeting)
    return [
        Outgoing(
            f"{card}:create",
            "card",
            {
                "template_id": services.config.cards["meeting"],
                "out_track_id": card,
                "card_data": public(services, meeting),
                "user_ids": holders,
                "group_ids": [],
                "private_data": {u: private(services, meeting, u) for u in holders},
            },
        )
    ]


def refresh_meeting_card(
    services: Services, session: Session, meeting: dict[str, Any]
) -> list[Outgoing]:
    """Brings every holder's view up to date (and hands the card to newcomers such as a
    speaking unit's head); stores the meeting. Called in the changing storage call."""
    if not meeting.get("card_id"):
        return []
    meeting["card_version"] = int(meeting.get("card_version", 0)) + 1
    meeting["updated_ms"] = to_epoch_ms(services.clock.now())
    version = meeting["card_version"]
    card = meeting["card_id"]
    delivered = list(meeting.get("delivered", []))
    newcomers = [u for u in attendees(meeting) if u not in delivered]
    outgoing = []
    if newcomers:
        outgoing.append(
            Outgoing(
                f"{card}:deliver:{version}",
                "card_deliver",
                {"out_track_id": card, "user_ids": newcomers, "group_ids": []},
            )
        )
        meeting["delivered"] = delivered + newcomers
    outgoing.append(
        Outgoing(
            f"{card}:update:{version}",
            "card_update",
            {
                "out_track_id": card,
                "card_data": public(services, meeting),
                "private_data": {u: private(services, meeting, u) for u in meeting["delivered"]},
            },
        )
    )
    session.collection(MEETINGS).update(meeting["id"], meeting)
    return outgoing
