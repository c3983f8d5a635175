"""The emergency card (the approval card template): one per event, held by the three
receivers and the reporting unit. The receivers' view carries 收悉 until they press it;
everyone sees the situation as reported last, the trail of reports and acknowledgements,
and whether the first report was late (迟报)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.card_buttons import button
from handlers.approvals.card import date_time_text
from handlers.common.held_card import HeldCard
from handlers.common.units import unit_name
from handlers.emergencies.model import CLOSED, EMERGENCIES, delay_minutes, unacknowledged
from handlers.supervision.people import name_of

if TYPE_CHECKING:
    from bot.services import Services

EMERGENCY_ACK = "emergency.ack"


def emergency_card_id(number: str) -> str:
    return "tf" + hashlib.sha256(number.encode()).hexdigest()[:30]


def holders(event: Mapping[str, Any]) -> list[str]:
    return list(dict.fromkeys([*event["receivers"], event["reporter"], *event.get("watchers", [])]))


def _fields(services: Services, event: Mapping[str, Any]) -> list[dict[str, str]]:
    word, messages = services.messages.word, services.messages
    rows = [
        (word("ev_number"), event["id"]),
        (word("ev_unit"), unit_name(services, event["unit"])),
        (word("ev_place"), event["place"]),
        (word("ev_happened"), date_time_text(messages, event["happened_ms"])),
        (word("ev_learned"), date_time_text(messages, event["learned_ms"])),
        (
            word("ev_reported"),
            messages.text(
                "ev_reported_at",
                at=date_time_text(messages, event["reported_ms"]),
                late=delay_minutes(services, event),
            ),
        ),
        (word("ev_grade"), messages.label("emergency_grades", event["grade"])),
    ]
    if event.get("sensitive"):
        rows.append((word("ev_sensitive"), word("yes")))
    return [{"label": k, "value": v} for k, v in rows]


def _trail(services: Services, event: Mapping[str, Any]) -> str:
    messages = services.messages
    lines = [
        {
            "at_ms": r["at_ms"],
            "at": date_time_text(messages, r["at_ms"]),
            "who": name_of(services, r["by"]),
            "what": messages.label("emergency_reports", r["kind"]),
            "text": r["situation"],
        }
        for r in event.get("reports", [])
    ]
    lines += [
        {
            "at_ms": at_ms,
            "at": date_time_text(messages, at_ms),
            "who": name_of(services, user),
            "what": messages.word("ev_acked"),
            "text": "",
        }
        for user, at_ms in event.get("acks", {}).items()
    ]
    lines.sort(key=lambda line: int(line["at_ms"]))
    return messages.fragment("ev_trail", lines=lines)


def public(services: Services, event: Mapping[str, Any]) -> dict[str, Any]:
    messages = services.messages
    waiting = unacknowledged(event)
    latest = event["reports"][-1]
    status = messages.text(
        "ev_status",
        closed=event["state"] == CLOSED,
        waiting=len(waiting),
        total=len(event["receivers"]),
    )
    return {
        "title": messages.word("ev_card_title", what=event["what"]),
        "status": status,
        "status_color": "gray" if event["state"] == CLOSED else "red" if waiting else "blue",
        "summary": messages.fragment("ev_situation", report=latest),
        "fields": _fields(services, event),
        "deadline": "",
        "trail": _trail(services, event),
        "result": latest["situation"] if event["state"] == CLOSED else "",
    }


def private(services: Services, event: Mapping[str, Any], user_id: str) -> dict[str, Any]:
    may_ack = user_id in unacknowledged(event)
    note = services.messages.text(
        "ev_card_note",
        receiver=user_id in event["receivers"],
        acked=user_id in event.get("acks", {}),
        closed=event["state"] == CLOSED,
        number=event["id"],
    )
    actions = [
        button(
            EMERGENCY_ACK,
            services.messages.word("ev_ack_button"),
            "primary",
            flow=event["id"],
            assignment="ack",
            decision="ack",
        )
    ]
    return {
        "can_act": may_ack,
        "opinion_required": False,
        "note": note,
        "actions": actions if may_ack else [],
    }


def _holders(services: Services, event: Mapping[str, Any]) -> list[str]:
    return holders(event)


EMERGENCY_CARD = HeldCard(EMERGENCIES, emergency_card_id, _holders, public, private)
create_card = EMERGENCY_CARD.create
refresh_card = EMERGENCY_CARD.refresh
