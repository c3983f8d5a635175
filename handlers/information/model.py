"""政务信息 (第七十九–八十二条) as stored records: the information a unit submits (XX2026-0001),
the office's decision whether to adopt it and at which level, and the office's 约稿
requests (YG2026-0001) with the units that answered and those that missed them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.clock import to_epoch_ms
from bot.lifecycle import Lifecycle
from handlers.common.checks import one_of

if TYPE_CHECKING:
    from storage.session import Session

INFORMATION = "information"
INFO_REQUESTS = "information_requests"
# The seven kinds of content of 第八十条 (一)–(七); labels in flows.toml.
CATEGORIES = ("decisions", "policies", "implementation", "economy", "opinion", "practice", "ideas")
# Where adopted information was used: the county, the city or the province.
LEVELS = ("county", "city", "province")
NOT_ADOPTED_CHOICE = "reject"
CHOICES = (*LEVELS, NOT_ADOPTED_CHOICE)  # the office staff's buttons

SUBMITTED, ADOPTED, NOT_ADOPTED = "submitted", "adopted", "not_adopted"
INFORMATION_LIFECYCLE = Lifecycle.of(
    "information",
    SUBMITTED,
    {SUBMITTED: (ADOPTED, NOT_ADOPTED)},  # the first decision counts
    final=(ADOPTED, NOT_ADOPTED),
)


def new_item(
    *,
    number: str,
    title: str,
    category: str,
    material: Mapping[str, Any],
    file: Mapping[str, Any] | None,
    unit: str,
    by: str,
    request: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": number,
        **INFORMATION_LIFECYCLE.begin(SUBMITTED),
        "title": title,
        "category": one_of(category, CATEGORIES, "information category"),
        "text": str(material.get("text", "")),
        "file": dict(file) if file else None,
        "unit": unit,
        "by": by,
        "request": request,
        "submitted_ms": to_epoch_ms(now),
        "level": None,
        "reason": "",
        "decided_by": None,
        "decided_ms": None,
    }


def decide(item: dict[str, Any], choice: str, by: str, reason: str, now: datetime) -> None:
    """采用 at a level, or 不采用 with a reason."""
    if choice in LEVELS:
        INFORMATION_LIFECYCLE.move(item, ADOPTED)
        item["level"] = choice
    else:
        INFORMATION_LIFECYCLE.move(item, NOT_ADOPTED)
    item["reason"] = reason
    item["decided_by"] = by
    item["decided_ms"] = to_epoch_ms(now)


# -- 约稿 ---------------------------------------------------------------------------------


def new_request(
    *,
    number: str,
    topic: str,
    units: Sequence[str],
    deadline: date,
    by: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": number,
        "topic": topic,
        "units": list(units),
        "deadline": deadline.isoformat(),
        "by": by,
        "created_ms": to_epoch_ms(now),
        "answers": {},  # unit -> {"item", "at_ms", "late"}
        "misses": {},  # unit -> {"flagged_ms", "serious_ms", "serious_by"}
    }


def answer_request(request: dict[str, Any], unit: str, item: str, now: datetime) -> bool:
    """Records the unit's first answer; True if it came on or before the deadline."""
    late = now.date() > date.fromisoformat(request["deadline"])
    request["answers"].setdefault(unit, {"item": item, "at_ms": to_epoch_ms(now), "late": late})
    return not late


def missing_units(request: Mapping[str, Any], today: date) -> list[str]:
    """Units whose deadline has passed (the deadline day is theirs in full) without an
    answer and that are not flagged yet."""
    if today <= date.fromisoformat(request["deadline"]):
        return []
    answered, flagged = request["answers"], request["misses"]
    return [u for u in request["units"] if u not in answered and u not in flagged]


def flag_miss(request: dict[str, Any], unit: str, now: datetime) -> None:
    request["misses"][unit] = {
        "flagged_ms": to_epoch_ms(now),
        "serious_ms": None,
        "serious_by": None,
    }


def mark_serious(request: dict[str, Any], unit: str, by: str, now: datetime) -> bool:
    """造成严重后果 (第八十二条) on a flagged miss; False if it was marked already."""
    miss = request["misses"][unit]
    if miss.get("serious_ms"):
        return False
    miss["serious_ms"], miss["serious_by"] = to_epoch_ms(now), by
    return True


def get_item(session: Session, number: str) -> dict[str, Any] | None:
    return session.collection(INFORMATION).get(number)


def get_request(session: Session, number: str) -> dict[str, Any] | None:
    return session.collection(INFO_REQUESTS).get(number)
