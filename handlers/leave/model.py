"""Absences of leaders (请销假): half-day periods, the stored absence records, and the
stand-in rule the workflow engine asks when it assigns a step (第五、一百零二条).

A period is a pair of *slots*: every calendar day has two, 上午 (0) and 下午 (1);
``slot = date.toordinal() * 2 + half``. Periods are inclusive at both ends, so
"11月25日上午 至 11月25日下午" is one day and two periods overlap when neither ends
before the other starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from bot.clock import TZ
from bot.lifecycle import Lifecycle
from bot.outgoing import Outgoing, markdown_to

if TYPE_CHECKING:
    from bot.config import OrgDirectory
    from bot.services import Services
    from storage.session import Session

ABSENCES = "absences"
AM, PM = 0, 1
# Statuses of an absence record. "urgent": reported at once (紧急外出), not approved.
PENDING, APPROVED, URGENT = "pending", "approved", "urgent"
REJECTED, WITHDRAWN = "rejected", "withdrawn"
# A request waits for its approver; an urgent departure (紧急外出) is reported at once
# and regularised later by a separate request.
ABSENCE_LIFECYCLE = Lifecycle.of(
    "absence",
    (PENDING, URGENT),
    {PENDING: (APPROVED, REJECTED, WITHDRAWN)},
    final=(APPROVED, REJECTED, WITHDRAWN, URGENT),
    key="status",
)
AWAY = (APPROVED, URGENT)  # the leader is (or will be) away
PLANNED = (APPROVED, URGENT, PENDING)  # counts for the AB rule

# -- slots ---------------------------------------------------------------------------


def slot(day: date, half: int) -> int:
    if half not in (AM, PM):
        raise ValueError("half must be AM or PM")
    return day.toordinal() * 2 + half


def slot_day(value: int) -> tuple[date, int]:
    return date.fromordinal(value // 2), value % 2


def slot_at(moment: datetime) -> int:
    local = moment.astimezone(TZ)
    return slot(local.date(), AM if local.hour < 12 else PM)


def slot_start(value: int) -> datetime:
    """The moment a slot begins (Beijing time): 00:00 or 12:00."""
    day, half = slot_day(value)
    return datetime.combine(day, time(12, 0) if half == PM else time(0, 0), tzinfo=TZ)


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Inclusive half-day periods (start_slot, end_slot)."""
    return a[0] <= b[1] and b[0] <= a[1]


def days_in(start_slot: int, end_slot: int) -> float:
    """Calendar days of an inclusive period, in half days."""
    return max(0, end_slot - start_slot + 1) / 2


def effective_end(absence: Mapping[str, Any]) -> int:
    """Where an absence really ended: its return date, or earlier on 销假."""
    returned = absence.get("returned_slot")
    end = int(absence["end_slot"])
    return min(end, int(returned)) if returned is not None else end


# -- records ---------------------------------------------------------------------------


def is_running(absence: Mapping[str, Any], at_slot: int) -> bool:
    return (
        absence["status"] in AWAY
        and absence.get("returned_ms") is None
        and absence["start_slot"] <= at_slot <= absence["end_slot"]
    )


def running_absence(session: Session, user_id: str, at: datetime) -> dict[str, Any] | None:
    now_slot = slot_at(at)
    found = session.collection(ABSENCES).find(
        lambda d: d["user"] == user_id and is_running(d, now_slot)
    )
    return min(found, key=lambda d: d["start_slot"]) if found else None


def conflicts(
    session: Session, user_id: str, period: tuple[int, int], *, exclude: str | None = None
) -> list[dict[str, Any]]:
    """Absences of ``user_id`` (approved, reported or pending) overlapping ``period``."""
    return session.collection(ABSENCES).find(
        lambda d: (
            d["user"] == user_id
            and d["id"] != exclude
            and d["status"] in PLANNED
            and d.get("returned_ms") is None
            and overlaps((d["start_slot"], d["end_slot"]), period)
        )
    )


def required_stand_in(directory: OrgDirectory, user_id: str) -> str | None:
    """The stand-in the rules fix: the executive deputy for the county head (第五条:
    "县长外出期间，由常务副县长主持县政府全面工作"); None for everyone else."""
    person = directory.person(user_id)
    if person is not None and "county_head" in person.roles:
        return directory.sole("executive_deputy").user_id
    return None


def stand_in_for(directory: OrgDirectory, user_id: str, chosen: str | None) -> str | None:
    """Who stands in: the one the rules fix whatever was named (also for records
    stored before the rule was enforced), else the one named, else the AB partner."""
    return required_stand_in(directory, user_id) or chosen or directory.ab_partner(user_id)


def default_stand_in(directory: OrgDirectory, user_id: str) -> str | None:
    """The AB partner; for the county head, the executive deputy (第五条)."""
    return stand_in_for(directory, user_id, None)


def stand_in_away(
    session: Session, directory: OrgDirectory, absence: Mapping[str, Any]
) -> dict[str, Any] | None:
    """When the stand-in has an absence of his own in the period (e.g. the executive
    deputy away while the county head is): its number and who follows him in the chain
    (第一百零二条), "" when the chain comes back to the leader (the office decides)."""
    stand_in = absence.get("stand_in")
    if not stand_in:
        return None
    period = (int(absence["start_slot"]), effective_end(absence))
    found = conflicts(session, stand_in, period)
    if not found:
        return None
    first = min(found, key=lambda d: d["start_slot"])
    nxt = stand_in_for(directory, stand_in, first.get("stand_in"))
    return {"number": first["id"], "next": nxt if nxt and nxt != absence["user"] else ""}


def presides(directory: OrgDirectory, user_id: str, stand_in: str | None) -> bool:
    """The executive deputy standing in for the county head presides over the county
    government's whole work (第五条), more than acting for one leader (第一百零二条)."""
    person = directory.person(user_id)
    deputy = directory.person(stand_in) if stand_in else None
    return (
        person is not None
        and deputy is not None
        and "county_head" in person.roles
        and "executive_deputy" in deputy.roles
    )


# -- the engine's delegation hook --------------------------------------------------------


class LeaveDelegation:
    """While a leader's absence runs, his steps go to his stand-in; a stand-in who is
    himself away passes them on along the chain. A loop or a missing stand-in leaves the
    step with the leader and tells the government office (never a silent block)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def chain(
        self, session: Session, user_id: str, at: datetime
    ) -> tuple[str, str | None, list[str]]:
        """(assignee, acting_for, the people passed over) — a broken chain gives
        (user_id, None, chain) with the chain that was tried."""
        directory = self._services.directory
        absence = running_absence(session, user_id, at)
        if absence is None:
            return user_id, None, []
        tried = [user_id]
        current = absence
        while True:
            nxt = stand_in_for(directory, current["user"], current.get("stand_in"))
            if not nxt or nxt in tried:
                return user_id, None, tried + ([nxt] if nxt else [])
            away = running_absence(session, nxt, at)
            if away is None:
                return nxt, user_id, tried
            tried.append(nxt)
            current = away

    def resolve(self, session: Session, user_id: str, at: datetime) -> tuple[str, str | None]:
        assignee, acting_for, tried = self.chain(session, user_id, at)
        if tried and acting_for is None:
            self._services.outbox.stage(session, [self._no_stand_in(user_id, tried, at)])
        return assignee, acting_for

    def _no_stand_in(self, user_id: str, tried: list[str], at: datetime) -> Outgoing:
        directory = self._services.directory

        def name(uid: str) -> str:
            person = directory.person(uid)
            return person.name if person else uid

        rendered = self._services.messages.markdown(
            "leave_no_stand_in",
            name=name(user_id),
            chain=[name(u) for u in tried],
            loop=len(tried) > 1 and tried[-1] in tried[:-1],
        )
        key = f"leave:no-stand-in:{user_id}:{at.astimezone(TZ).date().isoformat()}"
        return office_message(self._services, key, rendered.title, rendered.text)


def office_message(services: Services, key: str, title: str, text: str) -> Outgoing:
    """To the government office's group, or its director when no group is configured."""
    group = services.directory.group_for("gov_office")
    if group is not None:
        return markdown_to(key, conversation_id=group.conversation_id, title=title, text=text)
    director = services.directory.sole("office_director").user_id
    return markdown_to(key, user_id=director, title=title, text=text)
