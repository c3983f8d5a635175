"""Attendance and objections on the meeting card (第五十三、五十六、六十三条), and the small
decision flows around a meeting: a leader's leave from it (asked of the county head),
the county head keeping an item whose deputy head will be absent, and the chair of a
专题会议 consulting the other deputy heads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.clock import to_epoch_ms
from bot.errors import NotAuthorized, RuleViolation, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CardContext, CardPayload, CardResult
from bot.workflow import END_APPROVED, Choice, FlowDef, FlowView, Step
from handlers.approvals.submit import REJECT, county_head
from handlers.common.notify import markdown_message
from handlers.meetings.card import private, public, refresh_meeting_card
from handlers.meetings.model import (
    ATTEND,
    ITEM_NUMBER,
    LEAVE_PENDING,
    MEETINGS,
    ON_LEAVE,
    SUBSTITUTE,
    is_leader,
    on_agenda,
)
from handlers.meetings.moves import flag_absent_proposer, keep_item
from handlers.meetings.planning import office_planners

if TYPE_CHECKING:
    from bot.config import OrgDirectory
    from bot.services import Services
    from storage.session import Session

OPEN_STATES = ("planned", "locked", "distributed")


@dataclass(frozen=True)
class MeetingAct(CardPayload):
    meeting: str
    choice: str
    note: str | None = None
    substitute: str | None = None


@dataclass
class Click:
    """One attendee's answer on the meeting card, inside the storage call handling it."""

    services: Services
    session: Session
    meeting: dict[str, Any]
    user: str
    note: str
    substitute: str
    now: datetime


async def act_on_meeting(ctx: CardContext, payload: MeetingAct) -> CardResult:
    services = ctx.services
    if ctx.card.get("meeting") != payload.meeting:
        raise NotAuthorized(
            "card_not_yours", assignee_name=services.messages.word("assignee_unknown")
        )
    note = " ".join((payload.note or "").split())[:300]
    substitute = " ".join((payload.substitute or "").split())[:30]
    now = services.clock.now()

    def act(session: Session) -> CardResult:
        meetings = session.collection(MEETINGS)
        meeting = meetings.get(payload.meeting)
        if meeting is None:
            raise UserFacingError("card_expired")
        if meeting["state"] not in OPEN_STATES or meeting["start_ms"] <= to_epoch_ms(now):
            raise UserFacingError("meeting_closed_for_changes")
        if ctx.user_id not in meeting.get("delivered", []):
            raise NotAuthorized("meeting_not_attendee")
        handler = _CHOICES.get(payload.choice)
        if handler is None:
            raise UserFacingError("flow_bad_decision")
        outgoing = handler(Click(services, session, meeting, ctx.user_id, note, substitute, now))
        outgoing += refresh_meeting_card(services, session, meeting)
        services.outbox.stage(session, outgoing)
        return CardResult(
            card_data=public(services, meeting),
            private_data=private(services, meeting, ctx.user_id),
        )

    return await services.db.run(act)


def _attend(c: Click) -> list[Outgoing]:
    meeting, user, now = c.meeting, c.user, c.now
    previous = meeting["attendance"].get(user) or {}
    if previous.get("status") == LEAVE_PENDING:
        raise UserFacingError("meeting_leave_pending", number=previous.get("flow", ""))
    meeting["attendance"][user] = {"status": ATTEND, "at_ms": to_epoch_ms(now)}
    return []


def _leave(c: Click) -> list[Outgoing]:
    """A leader who cannot attend asks the county head for leave (第六十三条)."""
    services, session, meeting, user, note, now = (
        c.services,
        c.session,
        c.meeting,
        c.user,
        c.note,
        c.now,
    )
    person = services.directory.person(user)
    if not is_leader(person):
        raise RuleViolation("meeting_unit_needs_substitute")
    if not note:
        raise RuleViolation("meeting_reason_required")
    current = meeting["attendance"].get(user) or {}
    if current.get("status") in (LEAVE_PENDING, ON_LEAVE):
        raise UserFacingError(
            "meeting_leave_already",
            status=services.messages.label("attendance_status", current["status"]),
        )
    head = services.directory.sole("county_head")
    entry: dict[str, Any] = {"status": ON_LEAVE, "reason": note, "at_ms": to_epoch_ms(now)}
    if user == head.user_id:  # the county head informs; the executive deputy presides
        meeting["attendance"][user] = entry
        return flag_absent_proposer(services, session, meeting, user)
    seq = session.counter_next(f"meeting_leave:{meeting['id']}")
    flow_id = f"{meeting['id']}-QJ{seq}"
    _, changes = services.workflow.start(
        session,
        flow_id=flow_id,
        kind="meeting_leave",
        submitter=user,
        unit_id=person.unit_id if person else "",
        title=meeting["title"],
        data={
            "meeting": meeting["id"],
            "summary": services.messages.text(
                "meeting_leave_summary", name=person.name if person else user, reason=note
            ),
            "card_fields": [(services.messages.word("meeting_number"), meeting["id"])],
        },
    )
    meeting["attendance"][user] = {**entry, "status": LEAVE_PENDING, "flow": flow_id}
    return changes.outgoing


def _substitute(c: Click) -> list[Outgoing]:
    """A unit that cannot attend gives its reason and its substitute, filed with the
    office; the substitute's word counts as the unit's (第六十三条)."""
    services, meeting, user, note, substitute, now = (
        c.services,
        c.meeting,
        c.user,
        c.note,
        c.substitute,
        c.now,
    )
    if is_leader(services.directory.person(user)):
        raise RuleViolation("meeting_leader_asks_head")
    if not note or not substitute:
        raise RuleViolation("meeting_substitute_required")
    meeting["attendance"][user] = {
        "status": SUBSTITUTE,
        "reason": note,
        "substitute": substitute,
        "at_ms": to_epoch_ms(now),
    }
    person = services.directory.person(user)
    unit = services.directory.unit(person.unit_id) if person else None
    rendered = services.messages.markdown(
        "meeting_substitute_filed",
        meeting=meeting["title"],
        unit=unit.name if unit else "",
        name=person.name if person else user,
        reason=note,
        substitute=substitute,
    )
    return [
        markdown_message(
            f"meeting:{meeting['id']}:sub:{user}:{to_epoch_ms(now)}:{office}", office, rendered
        )
        for office in office_planners(services.directory)
    ]


def _object(c: Click) -> list[Outgoing]:
    """An objection to the agenda before the meeting (第五十六条): to the item's
    department and the office."""
    services, meeting, user, note, now = c.services, c.meeting, c.user, c.note, c.now
    if meeting["state"] != "distributed":
        raise UserFacingError("meeting_agenda_not_out")
    if not note:
        raise UserFacingError("meeting_objection_empty")
    entries = on_agenda(meeting)
    named = {n.upper() for n in ITEM_NUMBER.findall(note)}
    targets = [e for e in entries if e["item"] in named] or (entries if len(entries) == 1 else [])
    if not targets:
        raise UserFacingError("meeting_objection_which_item")
    person = services.directory.person(user)
    outgoing: list[Outgoing] = []
    for entry in targets:
        meeting["objections"].append(
            {"item": entry["item"], "user": user, "text": note, "at_ms": to_epoch_ms(now)}
        )
        rendered = services.messages.markdown(
            "meeting_objection",
            meeting=meeting["title"],
            number=entry["item"],
            title=entry["title"],
            name=person.name if person else user,
            text=note,
        )
        people = [entry["submitter"], entry["speaker"], *office_planners(services.directory)]
        outgoing += [
            markdown_message(
                f"meeting:{meeting['id']}:obj:{entry['item']}:{user}:{to_epoch_ms(now)}:{p}",
                p,
                rendered,
            )
            for p in dict.fromkeys(people)
        ]
    return outgoing


_CHOICES = {"attend": _attend, "leave": _leave, "substitute": _substitute, "object": _object}


# -- the decision flows around a meeting ----------------------------------------------------


def _consulted(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return list(flow.data.get("consulted", []))


def _leave_decided(
    services: Services, session: Session, flow: dict[str, Any], outcome: str
) -> list[Outgoing]:
    """Leave from a meeting granted (marked on leave; a proposer's items flagged) or
    refused (back on the list of attendees)."""
    meeting = session.collection(MEETINGS).get(flow["data"]["meeting"])
    if meeting is None or flow["submitter"] not in meeting["attendance"]:
        return []
    entry = meeting["attendance"][flow["submitter"]]
    outgoing: list[Outgoing] = []
    if outcome == END_APPROVED:
        entry["status"] = ON_LEAVE
        if meeting["state"] in OPEN_STATES:
            outgoing += flag_absent_proposer(services, session, meeting, flow["submitter"])
    else:
        del meeting["attendance"][flow["submitter"]]
    return outgoing + refresh_meeting_card(services, session, meeting)


def _meeting_leave_flow(services: Services) -> FlowDef:
    def decided(
        session: Session, flow: dict[str, Any], outcome: str, now: datetime
    ) -> list[Outgoing]:
        return _leave_decided(services, session, flow, outcome)

    step = Step("approve", county_head, (Choice("approve", style="primary"), REJECT))
    return FlowDef("meeting_leave", (step,), on_finish=decided)


def _agenda_keep_flow(services: Services) -> FlowDef:
    def decided(
        session: Session, flow: dict[str, Any], outcome: str, now: datetime
    ) -> list[Outgoing]:
        return keep_item(services, session, flow, outcome)

    choices = (
        Choice("move", END_APPROVED, style="primary"),
        Choice("keep", END_APPROVED, opinion_required=True),
    )
    return FlowDef("agenda_keep", (Step("decide", county_head, choices),), on_finish=decided)


def _consult_flow() -> FlowDef:
    choices = (Choice("agree", style="primary"), Choice("object", opinion_required=True))
    return FlowDef("consult", (Step("consult", _consulted, choices, mode="all"),))


def meeting_flows(services: Services) -> list[FlowDef]:
    return [_meeting_leave_flow(services), _agenda_keep_flow(services), _consult_flow()]
