"""A meeting's deadlines, run by the scheduler in the storage call that fires them (each
step changes the meeting in place; the card is refreshed and stored once afterwards):

- ``meeting.lock`` — the submission deadline: the agenda is fixed (第五十四条);
- ``meeting.distribute`` — the agenda and every item's materials go to all attendees
  (第五十六条); items of a deputy head who will be absent move on (第五十四条);
- ``meeting.eve`` — the working day before: attendees reminded, the office director
  warned when no more than half of the members will attend (第五十一、五十二条);
- ``meeting.soon`` — 30 minutes before: be seated 5 minutes early (第六十三条);
- ``meeting.start`` — the meeting is held: decisions can be recorded (第五十八条).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.outgoing import Outgoing, file_to
from handlers.common.notify import markdown_message
from handlers.leave.model import running_absence
from handlers.meetings.card import agenda_lines, refresh_meeting_card, warnings
from handlers.meetings.model import (
    MEETING_LIFECYCLE,
    MEETINGS,
    ON_LEAVE,
    SUBSTITUTE,
    attendees,
    expected_members,
    has_quorum,
    on_agenda,
    stamp,
    starts_at,
)
from handlers.meetings.moves import flag_absent_proposer
from handlers.meetings.planning import office_planners

if TYPE_CHECKING:
    from bot.scheduler import DeadlineAction
    from bot.services import Services
    from storage.session import Session

Step = Callable[["Services", "Session", dict[str, Any]], list[Outgoing]]


def _to(
    services: Services,
    meeting: dict[str, Any],
    step: str,
    template: str,
    people: list[str],
    **context: Any,
) -> list[Outgoing]:
    rendered = services.messages.markdown(template, **context)
    return [
        markdown_message(f"meeting:{meeting['id']}:{step}:{user}", user, rendered)
        for user in dict.fromkeys(people)
    ]


def _common(services: Services, meeting: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": meeting["id"],
        "title": meeting["title"],
        "when": stamp(meeting["start_ms"]),
        "place": meeting["place"],
        "lines": agenda_lines(services, {**meeting, "agenda": on_agenda(meeting)}),
        "warnings": warnings(services, meeting),
    }


def _lock(services: Services, session: Session, meeting: dict[str, Any]) -> list[Outgoing]:
    if meeting["state"] != "planned":
        return []
    MEETING_LIFECYCLE.move(meeting, "locked")
    outgoing = _to(
        services,
        meeting,
        "locked",
        "meeting_locked",
        office_planners(services.directory),
        **_common(services, meeting),
    )
    return outgoing


def _absent_proposers(
    services: Services, session: Session, meeting: dict[str, Any]
) -> list[Outgoing]:
    """Deputy heads on leave from this meeting, or away (请假) when it starts."""
    outgoing: list[Outgoing] = []
    start = starts_at(meeting)
    for deputy in dict.fromkeys(e.get("deputy") for e in on_agenda(meeting) if e["status"] == "on"):
        if not deputy:
            continue
        granted = (meeting["attendance"].get(deputy) or {}).get("status") == ON_LEAVE
        if granted or running_absence(session, deputy, start) is not None:
            outgoing += flag_absent_proposer(services, session, meeting, deputy)
    return outgoing


def _distribute(services: Services, session: Session, meeting: dict[str, Any]) -> list[Outgoing]:
    if meeting["state"] not in ("planned", "locked"):
        return []
    outgoing = _lock(services, session, meeting)
    outgoing += _absent_proposers(services, session, meeting)
    MEETING_LIFECYCLE.move(meeting, "distributed")
    people = attendees(meeting)
    outgoing += _to(
        services, meeting, "agenda", "meeting_agenda_sent", people, **_common(services, meeting)
    )
    for entry in on_agenda(meeting):
        outgoing += [
            file_to(
                f"meeting:{meeting['id']}:file:{entry['item']}:{i}",
                user_ids=people,
                path=f["path"],
                name=f["name"],
            )
            for i, f in enumerate(entry.get("files", []))
        ]
    return outgoing


def _eve(services: Services, session: Session, meeting: dict[str, Any]) -> list[Outgoing]:
    if meeting["state"] not in ("planned", "locked", "distributed"):
        return []
    outgoing = _absent_proposers(services, session, meeting)
    away = {u for u, e in meeting["attendance"].items() if e["status"] in (ON_LEAVE, SUBSTITUTE)}
    outgoing += _to(
        services,
        meeting,
        "eve",
        "meeting_eve",
        [u for u in attendees(meeting) if u not in away],
        **_common(services, meeting),
    )
    if not has_quorum(meeting):
        present, total = expected_members(meeting)
        director = services.directory.sole("office_director").user_id
        outgoing += _to(
            services,
            meeting,
            "quorum",
            "meeting_quorum_warning",
            [director],
            present=present,
            total=total,
            **_common(services, meeting),
        )
    return outgoing


def _soon(services: Services, session: Session, meeting: dict[str, Any]) -> list[Outgoing]:
    if meeting["state"] not in ("planned", "locked", "distributed"):
        return []
    away = {u for u, e in meeting["attendance"].items() if e["status"] in (ON_LEAVE, SUBSTITUTE)}
    return _to(
        services,
        meeting,
        "soon",
        "meeting_soon",
        [u for u in attendees(meeting) if u not in away],
        **_common(services, meeting),
    )


def _start(services: Services, session: Session, meeting: dict[str, Any]) -> list[Outgoing]:
    if meeting["state"] not in ("planned", "locked", "distributed"):
        return []
    MEETING_LIFECYCLE.move(meeting, "held")
    outgoing = _to(
        services,
        meeting,
        "held",
        "meeting_held",
        office_planners(services.directory),
        **_common(services, meeting),
    )
    return outgoing


STEPS: dict[str, Step] = {
    "meeting.lock": _lock,
    "meeting.distribute": _distribute,
    "meeting.eve": _eve,
    "meeting.soon": _soon,
    "meeting.start": _start,
}


def meeting_actions(services: Services) -> dict[str, DeadlineAction]:
    def bind(step: Step) -> DeadlineAction:
        def run(session: Session, action: dict[str, Any]) -> list[Outgoing]:
            meeting = session.collection(MEETINGS).get(str(action["meeting"]))
            if meeting is None:
                return []
            before = json.dumps(meeting, sort_keys=True)
            outgoing = step(services, session, meeting)
            if json.dumps(meeting, sort_keys=True) != before:  # one card update per step
                outgoing += refresh_meeting_card(services, session, meeting)
            return outgoing

        return run

    return {name: bind(step) for name, step in STEPS.items()}
