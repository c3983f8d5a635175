"""Supervision items (督办事项, 第三十八、八十四–八十六条) as stored records: their
lifecycle, their numbers (DB2026-0001…), deadlines on the working-day calendar and the
traffic light the office reads them by."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.clock import to_epoch_ms
from bot.lifecycle import Lifecycle
from handlers.common.checks import one_of

if TYPE_CHECKING:
    from bot.calendar import WorkCalendar
    from storage.session import Session

SUPERVISION = "supervision"
# Where an item comes from (第三十八、八十四、八十七条); labels in flows.toml.
SOURCES = ("superior", "county_party", "meeting", "leader", "instruction")
GRADES = ("excellent", "good", "pass", "fail")

PENDING, REFUSED = "pending", "refused"  # waiting for the office director; not opened
OPEN, SIGNED = "open", "signed"  # sent to the lead unit; its head has signed for it
CLOSING, CLOSED = "closing", "closed"  # the unit asks to close; the office has graded it
SUPERVISION_LIFECYCLE = Lifecycle.of(
    "supervision",
    (PENDING, OPEN),
    {
        PENDING: (OPEN, REFUSED),
        OPEN: (SIGNED, CLOSING),
        SIGNED: (CLOSING,),
        # 退回 sends it back to the unit; only the office's grade closes it (never silence).
        CLOSING: (SIGNED, CLOSED),
    },
    final=(REFUSED, CLOSED),
)
RUNNING = (OPEN, SIGNED, CLOSING)  # opened and not yet closed
CHASED = (OPEN, SIGNED)  # the unit still owes its result

# The traffic light of 督办 (第八十五条).
ON_TIME, DUE_SOON, OVERDUE = "on_time", "due_soon", "overdue"


@dataclass(frozen=True)
class Due:
    day: date
    given: bool  # False: the 10 working days of 第八十五条
    provisional: bool  # computed over a year whose holidays are not yet published


def due_for(calendar: WorkCalendar, today: date, given: date | None, working_days: int) -> Due:
    """The deadline given, or ``working_days`` working days from today (第八十五条)."""
    if given is not None:
        return Due(given, True, calendar.is_provisional(given))
    day, provisional = calendar.add_workdays(today, working_days)
    return Due(day, False, provisional)


def effective_due(calendar: WorkCalendar, item: Mapping[str, Any]) -> date:
    """A deadline on a rest day runs to the next working day."""
    return calendar.next_workday(date.fromisoformat(item["due"]), include_self=True)


def light(calendar: WorkCalendar, item: Mapping[str, Any], today: date) -> str:
    due = effective_due(calendar, item)
    if today > due:
        return OVERDUE
    if calendar.workdays_between(today, due) <= 1:
        return DUE_SOON
    return ON_TIME


def lead_unit(item: Mapping[str, Any]) -> str:
    # Items recorded from meeting decisions before the ledger kept "owner_unit" only.
    return str(item.get("lead_unit") or item.get("owner_unit") or "")


def next_number(session: Session, year: int) -> str:
    return f"DB{year}-{session.counter_next(f'supervision:{year}'):04d}"


def new_item(
    *,
    number: str,
    state: str,
    source: str,
    title: str,
    text: str,
    lead: str,
    co_units: Sequence[str],
    leader: str,
    due: Due,
    opened_by: str,
    now: datetime,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    one_of(source, SOURCES, "supervision source")
    return {
        "id": number,
        **SUPERVISION_LIFECYCLE.begin(state),
        "source": source,
        "title": title,
        "text": text,
        "lead_unit": lead,
        "owner_unit": lead,
        "co_units": list(co_units),
        "leader": leader,
        "due": due.day.isoformat(),
        "due_given": due.given,
        "provisional": due.provisional,
        "opened_by": opened_by,
        "created_ms": to_epoch_ms(now),
        "log": [],
        "grade": None,
        "closed_ms": None,
        **(extra or {}),
    }


def log_entry(
    item: dict[str, Any],
    kind: str,
    by: str,
    now: datetime,
    text: str = "",
    file: Mapping[str, Any] | None = None,
) -> None:
    """The item's trail: every answer, feedback and decision with who and when."""
    entry: dict[str, Any] = {"kind": kind, "by": by, "at_ms": to_epoch_ms(now), "text": text}
    if file:
        entry["file"] = dict(file)
    item.setdefault("log", []).append(entry)


def with_defaults(item: dict[str, Any]) -> dict[str, Any]:
    """Items recorded from meeting decisions before the ledger had these fields."""
    item.setdefault("title", str(item.get("text", ""))[:30])
    item.setdefault("lead_unit", item.get("owner_unit", ""))
    for key, value in (("co_units", []), ("leader", ""), ("log", []), ("grade", None)):
        item.setdefault(key, value)
    item.setdefault("due_given", True)
    item.setdefault("closed_ms", None)
    return item


def find_items(session: Session, states: Sequence[str]) -> list[dict[str, Any]]:
    found = session.collection(SUPERVISION).find(lambda d: d["state"] in states)
    return [with_defaults(item) for item in found]


def get_item(session: Session, number: str) -> dict[str, Any] | None:
    item = session.collection(SUPERVISION).get(number)
    return with_defaults(item) if item is not None else None
