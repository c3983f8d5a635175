"""安排会议: the office plans a meeting (第四十九–五十三条); 会议: upcoming meetings with
their agendas; the working-morning check that a 常务会议 is planned (twice a month).

Planning stores the meeting with its submission deadline (default 5 working days before)
and schedules, in the same storage call, the lock, the distribution of the agenda
(default 1 working day before), the eve reminder with the quorum check, the 30-minute
reminder and the start (handlers/meetings/schedule.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import TZ, from_epoch_ms, to_epoch_ms
from bot.dialog import Form, FormField, close_dialog
from bot.errors import NotAuthorized, RuleViolation, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.scheduler import schedule_reminder
from handlers.common.answers import spaced_text
from handlers.common.notify import markdown_message
from handlers.common.staging import stage_and_send
from handlers.meetings.card import agenda_lines, create_meeting_card, meeting_rows
from handlers.meetings.model import (
    CHAIR_ROLES,
    KINDS,
    MEETINGS,
    UPCOMING,
    members_for,
    observers_for,
    parse_when,
    propose_dates,
    stamp,
)
from handlers.meetings.moves import adopt_carried_items
from messages.vocabulary import NAME_SEPARATORS

if TYPE_CHECKING:
    from bot.config import OrgDirectory, Person
    from bot.services import Services
    from storage.session import Session

PLANNER_ROLES = frozenset({"office_director", "admin_section"})
MAX_LISTED = 8


def may_plan(person: Person, directory: OrgDirectory) -> bool:
    return bool(person.roles & PLANNER_ROLES)


def office_planners(directory: OrgDirectory) -> list[str]:
    return [
        p.user_id for role in ("office_director", "admin_section") for p in directory.holders(role)
    ]


# -- the form ---------------------------------------------------------------------------


def _kind(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    text = str(answer).strip()
    word = ctx.services.messages.label
    for kind in KINDS:
        if text in (word("meeting_kinds", kind), word("meeting_kinds_short", kind)):
            return kind
    raise UserFacingError("meeting_bad_kind")


def _when(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> int:
    moment = parse_when(str(answer))
    if moment is None:
        raise UserFacingError("meeting_bad_time")
    if moment <= ctx.services.clock.now():
        raise UserFacingError("meeting_time_past")
    return to_epoch_ms(moment)


_place = spaced_text(2, 40, "meeting_bad_place")


def _chair(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    person = ctx.services.directory.person_named(str(answer))
    if person is None:
        raise UserFacingError("meeting_unknown_person", name=str(answer).strip()[:20])
    if not person.roles & CHAIR_ROLES:
        raise RuleViolation("meeting_bad_chair", name=person.name)
    return person.user_id


def _consult(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> list[str]:
    people: list[str] = []
    for name in [n for n in NAME_SEPARATORS.split(str(answer)) if n]:
        person = ctx.services.directory.person_named(name)
        if person is None:
            raise UserFacingError("meeting_unknown_person", name=name[:20])
        if not person.roles & {"deputy_head", "party_member", "executive_deputy", "county_head"}:
            raise RuleViolation("meeting_bad_consult", name=person.name)
        if person.user_id != values.get("chair"):
            people.append(person.user_id)
    return list(dict.fromkeys(people))


def _units(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> list[str]:
    directory = ctx.services.directory
    found: list[str] = []
    unknown: list[str] = []
    for name in [n for n in NAME_SEPARATORS.split(str(answer)) if n]:
        unit = directory.unit_named(
            name, {"department", "town", "dev_zone", "enterprise", "coal_mine"}
        )
        if unit is None:
            unknown.append(name)
        elif unit.unit_id not in found:
            found.append(unit.unit_id)
    if unknown:
        raise UserFacingError("request_unknown_units", names="、".join(unknown))
    return found


def _topical(values: Mapping[str, Any]) -> bool:
    return values.get("kind") == "topical"


def _topic(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> str:
    topic = " ".join(str(answer).split())
    if not 2 <= len(topic) <= 60:
        raise UserFacingError("meeting_bad_topic")
    return topic


def deadlines(services: Services, start_ms: int) -> tuple[datetime, datetime]:
    """(item submission deadline, agenda distribution time) for a meeting start."""
    rules = services.config.rules
    calendar = services.calendar
    start = from_epoch_ms(start_ms)
    last_day, _ = calendar.add_workdays(start.date(), -rules.agenda_deadline_working_days)
    send_day, _ = calendar.add_workdays(start.date(), -rules.agenda_distribution_working_days)
    return (
        datetime.combine(last_day, calendar.day_end, TZ),
        datetime.combine(send_day, time(9, 0), TZ),
    )


def _check(ctx: CommandContext, values: Mapping[str, Any]) -> None:
    if values.get("kind") == "topical" and not values.get("chair"):
        raise RuleViolation("meeting_topical_needs_chair")


def _summary(ctx: CommandContext, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    services = ctx.services
    chair = values.get("chair") or services.directory.sole("county_head").user_id
    draft = _draft(services, values, chair, "", ctx.sender.user_id)
    rows = meeting_rows(services, draft)
    if draft["deadline_ms"] <= to_epoch_ms(services.clock.now()):
        rows.append(
            (services.messages.word("note"), services.messages.text("meeting_deadline_passed"))
        )
    return rows


def _draft(
    services: Services, values: Mapping[str, Any], chair: str, meeting_id: str, planner: str
) -> dict[str, Any]:
    directory = services.directory
    kind = values["kind"]
    units = list(values.get("units") or [])
    consult = list(values.get("consult") or [])
    members = members_for(kind, directory, chair, units, consult)
    deadline, distribute = deadlines(services, values["when"])
    return {
        "id": meeting_id,
        "kind": kind,
        "title": values.get("topic") or "",
        "start_ms": values["when"],
        "place": values["place"],
        "chair": chair,
        "consult": consult,
        "units": units,
        "members": members,
        "observers": observers_for(kind, directory, members),
        "deadline_ms": to_epoch_ms(deadline),
        "distribute_ms": to_epoch_ms(distribute),
        "state": "planned",
        "agenda": [],
        "attendance": {},
        "objections": [],
        "planner": planner,
        "card_id": "",
        "minutes_flow": None,
    }


def _schedule(session: Session, services: Services, meeting: dict[str, Any]) -> None:
    start = from_epoch_ms(meeting["start_ms"])
    eve_day, _ = services.calendar.add_workdays(start.date(), -1)
    moments = {
        "lock": from_epoch_ms(meeting["deadline_ms"]),
        "distribute": from_epoch_ms(meeting["distribute_ms"]),
        "eve": datetime.combine(eve_day, time(16, 0), TZ),
        "soon": start - timedelta(minutes=30),
        "start": start,
    }
    for step, due in moments.items():
        schedule_reminder(
            session,
            f"meeting:{meeting['id']}:{step}",
            due,
            [],
            action={"type": f"meeting.{step}", "meeting": meeting["id"]},
        )


async def _submit(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    services = ctx.services
    chair = values.get("chair") or services.directory.sole("county_head").user_id
    key = f"reply:{ctx.message.msg_id}:planned"

    def plan(session: Session) -> None:
        start = from_epoch_ms(values["when"])
        seq = session.counter_next(f"meeting:{start.year}")
        meeting = _draft(services, values, chair, f"HY{start.year}-{seq:04d}", ctx.sender.user_id)
        if not meeting["title"]:
            ordinal = session.counter_next(f"meeting:{meeting['kind']}:{start.year}")
            meeting["title"] = services.messages.word(
                "meeting_default_title",
                year=start.year,
                n=ordinal,
                kind=services.messages.label("meeting_kinds", meeting["kind"]),
            )
        session.collection(MEETINGS).insert(meeting)
        outgoing = adopt_carried_items(services, session, meeting)
        outgoing += create_meeting_card(services, session, meeting)
        outgoing += _consultation(services, session, meeting)
        _schedule(session, services, meeting)
        close_dialog(session, ctx.sender.user_id)
        reply = ctx.text(
            "meeting_planned",
            number=meeting["id"],
            title=meeting["title"],
            deadline=stamp(meeting["deadline_ms"]),
            carried=len(meeting["agenda"]),
        )
        services.outbox.stage(session, [*outgoing, Outgoing(key, reply.kind, reply.payload)])

    return await stage_and_send(services, plan)


def _consultation(services: Services, session: Session, meeting: dict[str, Any]) -> list[Outgoing]:
    """专题会议 spanning two deputy heads: the chair consults the others first (第五十三条)."""
    if not meeting["consult"]:
        return []
    chair = services.directory.person(meeting["chair"])
    _, changes = services.workflow.start(
        session,
        flow_id=f"{meeting['id']}-ZQ",
        kind="consult",
        submitter=meeting["chair"],
        unit_id=chair.unit_id if chair else "",
        title=meeting["title"],
        data={
            "meeting": meeting["id"],
            "consulted": meeting["consult"],
            "watchers": [meeting["planner"]],
        },
    )
    return changes.outgoing


PLAN_FORM = Form(
    "meeting",
    (
        FormField("kind", _kind),
        FormField("topic", _topic, optional=True),
        FormField("when", _when),
        FormField("place", _place),
        FormField("chair", _chair, optional=True),
        FormField("consult", _consult, optional=True, applies=_topical),
        FormField("units", _units, optional=True, applies=_topical),
    ),
    _submit,
    _summary,
    _check,
)


async def start_planning(ctx: CommandContext) -> list[Outgoing]:
    if not may_plan(ctx.sender, ctx.services.directory):
        raise NotAuthorized("meeting_plan_not_allowed")
    return await ctx.services.forms.begin(ctx, "meeting")


# -- 会议 ---------------------------------------------------------------------------------


async def list_meetings(ctx: CommandContext) -> list[Outgoing]:
    services = ctx.services
    now_ms = to_epoch_ms(services.clock.now())

    def upcoming(session: Session) -> list[dict[str, Any]]:
        found = session.collection(MEETINGS).find(
            lambda d: d["state"] in (*UPCOMING, "held") and d["start_ms"] + 86_400_000 > now_ms
        )
        return sorted(found, key=lambda d: d["start_ms"])[:MAX_LISTED]

    meetings = await services.db.run(upcoming)
    person = ctx.sender
    visible = [m for m in meetings if _may_see(person, m)]
    proposals: list[str] = []
    if not any(m["kind"] == "executive" for m in meetings) and may_plan(person, services.directory):
        proposals = [_day(services, d) for d in _proposals(services, services.clock.now().date())]
    if not visible:
        return [ctx.markdown("meeting_list_empty", proposals=proposals)]
    rows = [
        {"rows": meeting_rows(services, m), "agenda": agenda_lines(services, m)} for m in visible
    ]
    return [ctx.markdown("meeting_list", meetings=rows, proposals=proposals)]


def _may_see(person: Person, meeting: Mapping[str, Any]) -> bool:
    if person.roles & (CHAIR_ROLES | {"office_deputy", "admin_section", "office_clerk"}):
        return True
    speakers = {e.get("speaker") for e in meeting["agenda"]} | {
        e.get("submitter") for e in meeting["agenda"]
    }
    return person.user_id in {*meeting["members"], *meeting["observers"], *speakers}


def _day(services: Services, day: date) -> str:
    weekday = services.messages.label("weekdays", str(day.isoweekday()))
    return services.messages.word("day_with_weekday", month=day.month, day=day.day, weekday=weekday)


def _proposals(services: Services, today: date) -> list[date]:
    rules = services.config.rules
    return propose_dates(
        services.calendar,
        today,
        rules.executive_meeting_weekday - 1,
        rules.agenda_deadline_working_days,
    )


async def executive_meeting_check(services: Services, today: date) -> list[Outgoing]:
    """Working mornings: no 常务会议 planned ahead → tell the office, with proposed dates."""
    now_ms = to_epoch_ms(services.clock.now())

    def planned(session: Session) -> bool:
        return bool(
            session.collection(MEETINGS).find(
                lambda d: (
                    d["kind"] == "executive" and d["state"] in UPCOMING and d["start_ms"] > now_ms
                )
            )
        )

    if await services.db.run(planned):
        return []
    dates = [_day(services, d) for d in _proposals(services, today)]
    rendered = services.messages.markdown("meeting_none_planned", proposals=dates)
    return [
        markdown_message(f"meeting:none:{today.isoformat()}:{user}", user, rendered)
        for user in office_planners(services.directory)
    ]
