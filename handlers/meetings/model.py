"""Meetings of the county government as stored records (第四十九–五十三、六十三–六十五条):
who sits on each kind, the agenda, attendance and the figures the office is warned about.

A meeting is one row in ``meetings``; its agenda entries point at agenda-item flows
(handlers/agenda/items.py). States: planned (accepting items) → locked (the submission
deadline passed: only urgent additions the county head agrees to) → distributed (agenda
and materials sent) → held (the start time passed; decisions are recorded) → minuted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from bot.clock import TZ, from_epoch_ms
from bot.config_schema import LEADER_ROLES
from bot.errors import UserFacingError
from bot.lifecycle import Lifecycle
from messages.vocabulary import DAY_AND_TIME, input_word

if TYPE_CHECKING:
    from bot.calendar import WorkCalendar
    from bot.config import OrgDirectory, Person
    from storage.session import Session

MEETINGS = "meetings"
# An agenda item's number (议题 YT2026-0001), typed alone or named in a note.
ITEM_NUMBER = re.compile(r"YT\d{4}-\d{4}", re.IGNORECASE)
KINDS = ("plenary", "executive", "mayor_office", "topical")
# Who may chair: the county leadership (第五十、五十一、五十二、五十三条).
CHAIR_ROLES = LEADER_ROLES | {"office_director"}
# Leaders who ask the county head for leave from a meeting (第六十三条).
LEAVE_ASKING_ROLES = CHAIR_ROLES
# Leaders who propose agenda items (上会建议) for the departments they are in charge of.
PROPOSER_ROLES = LEADER_ROLES
# Sit in without being counted for the quorum (列席, 第五十一、五十二条).
OBSERVER_ROLES = ("office_deputy", "admin_section")
# A meeting's life: items are collected while it is planned; the agenda is fixed
# (locked) at the item deadline and sent out (distributed) with the materials; it is
# held, then its minutes are issued. Until it is held it may be cancelled.
MEETING_LIFECYCLE = Lifecycle.of(
    "meeting",
    "planned",
    {
        "planned": ("locked", "distributed", "held", "cancelled"),
        "locked": ("distributed", "held", "cancelled"),
        "distributed": ("held", "cancelled"),
        "held": ("minuted",),
    },
    final=("minuted", "cancelled"),
)
# An item's place on one meeting's agenda (第五十四条): on it; moved on to the next
# meeting (the meeting was cancelled, or the deputy who proposed it will be absent); kept
# after all when the county head decides to study it without him.
AGENDA_ENTRY_LIFECYCLE = Lifecycle.of(
    "agenda_entry",
    "on",
    {"on": ("moved",), "moved": ("kept",), "kept": ("moved",)},
    final=(),
    key="status",
)
ACCEPTING = ("planned",)
UPCOMING = ("planned", "locked", "distributed")
ATTEND = "attend"
LEAVE_PENDING = "leave_pending"
ON_LEAVE = "leave"
SUBSTITUTE = "substitute"


def parse_when(text: str) -> datetime | None:
    """``2026-12-10 09:00`` / ``2026年12月10日 下午3:00`` as Beijing time; None if not."""
    found = DAY_AND_TIME.match(text)
    if not found:
        return None
    year, month, day, half, hour, minute = found.groups()
    h = int(hour)
    if half == input_word("dates.afternoon") and h < 12:
        h += 12
    try:
        return datetime.combine(
            date(int(year), int(month), int(day)), time(h, int(minute or 0)), TZ
        )
    except ValueError:
        return None


def leadership(directory: OrgDirectory) -> list[str]:
    """县长、副县长、县政府党组成员、县政府办公室主任 (第五十一、五十二条)."""
    people: list[str] = []
    for role in ("county_head", "executive_deputy", "deputy_head", "party_member"):
        people += [p.user_id for p in directory.holders(role)]
    people += [p.user_id for p in directory.holders("office_director")]
    return list(dict.fromkeys(people))


def members_for(
    kind: str, directory: OrgDirectory, chair: str, units: list[str], consult: list[str]
) -> list[str]:
    """The people the quorum counts: by kind, as the rules list them."""
    if kind in ("executive", "mayor_office"):
        return leadership(directory)
    if kind == "plenary":  # 第五十条: and the heads of the government's departments
        heads = [
            h.user_id
            for u in directory.config.units.values()
            if u.kind == "department" and (h := directory.unit_head(u.unit_id)) is not None
        ]
        return list(dict.fromkeys([*leadership(directory), *heads]))
    # 专题会议 (第五十三条): the chair, the leaders consulted, the units concerned.
    heads = [h.user_id for u in units if (h := directory.unit_head(u)) is not None]
    return list(dict.fromkeys([chair, *consult, *heads]))


def observers_for(kind: str, directory: OrgDirectory, members: list[str]) -> list[str]:
    if kind == "topical":  # the office organises it (第五十六、六十一条)
        people = [
            p.user_id
            for role in ("office_director", "admin_section")
            for p in directory.holders(role)
        ]
    else:
        people = [p.user_id for role in OBSERVER_ROLES for p in directory.holders(role)]
    return [p for p in dict.fromkeys(people) if p not in members]


def is_leader(person: Person | None) -> bool:
    return person is not None and bool(person.roles & LEAVE_ASKING_ROLES)


def stored_meeting(session: Session, number: str) -> dict[str, Any]:
    """The meeting stored under ``number``; an unknown number is refused."""
    meeting = session.collection(MEETINGS).get(number)
    if meeting is None:
        raise UserFacingError("agenda_unknown_meeting", number=number[:20])
    return meeting


def attendees(meeting: Mapping[str, Any]) -> list[str]:
    """Everyone the agenda goes to: members, observers and the speaking units' heads."""
    people = [*meeting["members"], *meeting["observers"]]
    people += [e["speaker"] for e in on_agenda(meeting) if e.get("speaker")]
    return list(dict.fromkeys(people))


def on_agenda(meeting: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [e for e in meeting["agenda"] if e["status"] in ("on", "kept")]


def agenda_minutes(meeting: Mapping[str, Any]) -> int:
    return sum(int(e.get("minutes") or 0) for e in on_agenda(meeting))


def speaking_units(meeting: Mapping[str, Any]) -> list[str]:
    return list(dict.fromkeys(e["unit"] for e in on_agenda(meeting)))


def expected_members(meeting: Mapping[str, Any]) -> tuple[int, int]:
    """(members expected to attend, members): leave granted or pending counts as away; a
    unit's substitute attends for it (第六十三条)."""
    away = {
        user
        for user, entry in meeting["attendance"].items()
        if entry["status"] in (ON_LEAVE, LEAVE_PENDING)
    }
    members = meeting["members"]
    return sum(1 for m in members if m not in away), len(members)


def has_quorum(meeting: Mapping[str, Any]) -> bool:
    """More than half of the members (第五十一、五十二条)."""
    present, total = expected_members(meeting)
    return present * 2 > total


def starts_at(meeting: Mapping[str, Any]) -> datetime:
    return from_epoch_ms(int(meeting["start_ms"]))


def stamp(ms: int) -> str:
    """A stored moment as chat texts show it (Beijing time)."""
    return f"{from_epoch_ms(int(ms)):%Y-%m-%d %H:%M}"


def next_meeting(
    session: Session, kind: str, after_ms: int, *, exclude: str | None = None
) -> dict[str, Any] | None:
    """The next meeting of ``kind`` still accepting items, starting after ``after_ms``."""
    found = session.collection(MEETINGS).find(
        lambda d: (
            d["kind"] == kind
            and d["state"] in ACCEPTING
            and d["start_ms"] > after_ms
            and d["id"] != exclude
        )
    )
    return min(found, key=lambda d: d["start_ms"]) if found else None


def propose_dates(
    calendar: WorkCalendar, today: date, weekday: int, lead_days: int, count: int = 2
) -> list[date]:
    """常务会议 twice a month (第五十一条): the first working ``weekday`` (0 = Monday) on or
    after the 1st and the 16th of each month, far enough ahead (``lead_days`` working
    days) for departments to submit items before the deadline."""
    earliest, _ = calendar.add_workdays(today, lead_days)
    found: list[date] = []
    month = date(today.year, today.month, 1)
    while len(found) < count:
        for start_day in (1, 16):
            day = month.replace(day=start_day)
            for _ in range(15):
                if day.weekday() == weekday and calendar.is_workday(day):
                    break
                day = date.fromordinal(day.toordinal() + 1)
            if day > earliest and len(found) < count:
                found.append(day)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return found
