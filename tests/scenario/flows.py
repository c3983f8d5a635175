"""Helpers for scenario tests of approval flows: find a person's card, press a button."""

from __future__ import annotations

import json
from typing import Any

from bot.config import OrgDirectory
from tests.harness import Control


def staff_of(directory: OrgDirectory, unit_id: str) -> str:
    head = directory.unit_head(unit_id)
    return next(p.user_id for p in directory.members(unit_id) if head is None or p != head)


def head_of(directory: OrgDirectory, unit_id: str) -> str:
    head = directory.unit_head(unit_id)
    assert head is not None
    return head.user_id


def head_with_role(directory: OrgDirectory, unit_role: str) -> str:
    unit = directory.unit_with_role(unit_role)
    assert unit is not None
    return head_of(directory, unit.unit_id)


def cards(control: Control, user: str) -> list[dict[str, Any]]:
    return [i for i in control.bot_items(user) if i.get("kind") == "card"]


def card_of(control: Control, user: str, title_part: str = "") -> dict[str, Any]:
    found = [c for c in cards(control, user) if title_part in str(c["cardData"].get("title"))]
    assert found, f"{user} holds no card {title_part!r}"
    return found[-1]


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    raw = card["cardData"].get("actions") or "[]"
    return list(json.loads(raw)) if card["cardData"].get("can_act") == "true" else []


def press(
    control: Control, user: str, card: dict[str, Any], button: str, opinion: str = ""
) -> dict[str, Any]:
    """Click the button labelled ``button`` on ``user``'s view of ``card``, the way the
    card-platform template sends it: params bound to the button, the typed opinion."""
    assert any(a["text"] == button for a in actions(card)), f"no button {button!r}"
    inputs = {"local_opinion": opinion} if opinion else {}
    result: dict[str, Any] = control.post(
        f"/sandbox/cards/{card['outTrackId']}/click",
        {"userId": user, "text": button, "inputs": inputs},
    )
    return result


def wait_card(
    control: Control, user: str, predicate: Any, title_part: str = "", timeout: float = 20
) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + timeout
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        found = [c for c in cards(control, user) if title_part in str(c["cardData"].get("title"))]
        if found:
            last = found[-1]
            if predicate(last):
                return last
        time.sleep(0.1)
    raise AssertionError(f"card of {user} never matched; last: {last.get('cardData')}")
