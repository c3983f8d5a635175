"""The approval of a leave request and what follows it: filing with both offices,
the stand-in told, the absence scheduled (see the diagram in handlers/leave/forms.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from bot.clock import TZ, to_epoch_ms
from bot.outgoing import Outgoing
from bot.scheduler import schedule_reminder
from bot.workflow import END_APPROVED, Choice, FlowDef, FlowView, Step
from handlers.approvals.submit import REJECT
from handlers.common.notify import markdown_message
from handlers.leave.model import (
    ABSENCE_LIFECYCLE,
    ABSENCES,
    APPROVED,
    REJECTED,
    WITHDRAWN,
    presides,
    slot_at,
    slot_day,
    slot_start,
    stand_in_away,
)
from handlers.leave.texts import kind_text, name_of, period_text

if TYPE_CHECKING:
    from bot.config import OrgDirectory
    from bot.services import Services
    from messages.render import RenderedMarkdown
    from storage.session import Session

# -- the flow ---------------------------------------------------------------------------------

# Reminders about an absence go out at this hour.
REMIND_AT = time(9, 0)


def _approver(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return [str(flow.data["approver"])]


def _plain_approval(flow: FlowView) -> bool:
    return not flow.data.get("filing_only") and not flow.data.get("conflict")


def _ab_approval(flow: FlowView) -> bool:
    return not flow.data.get("filing_only") and bool(flow.data.get("conflict"))


def leave_flow(services: Services) -> FlowDef:
    def finished(
        session: Session, flow: dict[str, Any], outcome: str, now: datetime
    ) -> list[Outgoing]:
        return on_leave_finished(services, session, flow, outcome, now)

    return FlowDef(
        "leave",
        (
            Step(
                "approve",
                _approver,
                (Choice("approve", END_APPROVED, style="primary"), REJECT),
                applies=_plain_approval,
            ),
            # The partner is away in the same period: approving needs a written reason.
            Step(
                "approve_ab",
                _approver,
                (Choice("approve", END_APPROVED, opinion_required=True, style="primary"), REJECT),
                applies=_ab_approval,
            ),
        ),
        on_finish=finished,
    )


def on_leave_finished(
    services: Services, session: Session, flow: dict[str, Any], outcome: str, now: datetime
) -> list[Outgoing]:
    absences = session.collection(ABSENCES)
    absence = absences.get(flow["id"])
    if absence is None:
        return []
    if outcome != END_APPROVED:
        status = WITHDRAWN if outcome == "withdrawn" else REJECTED
        absences.update(absence["id"], ABSENCE_LIFECYCLE.change(absence, status))
        return []
    approved = {**ABSENCE_LIFECYCLE.change(absence, APPROVED), "approved_ms": to_epoch_ms(now)}
    absence = absences.update(absence["id"], approved)
    items = filing_messages(services, session, absence, flow, urgent=False)
    if absence.get("regularises"):
        return items  # 补办 of an urgent departure: the absence was handled then
    items += schedule_absence(services, session, absence, now)
    return items


def filing_messages(
    services: Services,
    session: Session,
    absence: Mapping[str, Any],
    flow: Mapping[str, Any] | None,
    *,
    urgent: bool,
) -> list[Outgoing]:
    """备案 with the 县委办公室 and the 县政府办公室 (第一百零一条); the stand-in is told.
    An urgent departure is also reported to the approver at once."""
    context = _filing_context(services, absence, flow, urgent=urgent)
    context["away"] = _stand_in_away(services, session, absence)
    rendered = services.messages.markdown("leave_filing", **context)
    key = f"leave:{absence['id']}:file"
    items = [_filing_card(services, key, rendered, urgent=urgent)]
    if urgent and absence.get("approver"):
        items.append(markdown_message(f"{key}:approver", absence["approver"], rendered))
    stand_in = absence.get("stand_in")
    if stand_in:
        told = services.messages.markdown("leave_stand_in", **context)
        items.append(markdown_message(f"{key}:stand-in", stand_in, told))
    return items


def _stand_in_away(
    services: Services, session: Session, absence: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The stand-in's own absence in the period, as the filing and his notice read it."""
    away = stand_in_away(session, services.directory, absence)
    if away is None:
        return None
    return {**away, "next": name_of(services, away["next"])}


def _filing_context(
    services: Services, absence: Mapping[str, Any], flow: Mapping[str, Any] | None, *, urgent: bool
) -> dict[str, Any]:
    """The absence as the filing reads it, with the approver's opinion when he gave one."""
    context = absence_context(services, absence)
    context["number"] = absence["id"]
    context["urgent"] = urgent
    context["filing_only"] = bool(flow and flow["data"].get("filing_only"))
    context["opinion"] = ""
    if flow is not None and flow["trail"]:
        last = flow["trail"][-1]
        context["opinion"] = last.get("opinion", "") if last["action"].endswith(":approve") else ""
    return context


def _filing_card(
    services: Services, key: str, rendered: RenderedMarkdown, *, urgent: bool
) -> Outgoing:
    """One filing card held by the 县委办公室 (its head) and the 县政府办公室 (its group;
    without one, its director)."""
    directory = services.directory
    party = directory.unit_with_role("party_office")
    head = directory.unit_head(party.unit_id) if party else None
    group = directory.group_for("gov_office")
    people = [head.user_id] if head else []
    if group is None:
        people.append(directory.sole("office_director").user_id)
    card = hashlib.sha256(f"{key}:{urgent}".encode()).hexdigest()[:30]
    return Outgoing(
        f"{key}:card:{urgent}",
        "card",
        {
            "template_id": services.config.cards["notice"],
            "out_track_id": f"gl{card}",
            "card_data": {
                "title": rendered.title,
                "status": services.messages.text("leave_filing_status", urgent=urgent),
                "status_color": "red" if urgent else "green",
                "fields": [],
                "body": rendered.text,
                "progress": "",
                "missing": "",
            },
            "user_ids": people,
            "group_ids": [group.conversation_id] if group else [],
            "private_data": None,
        },
    )


def absence_context(services: Services, absence: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": name_of(services, absence["user"]),
        "unit": (u.name if (u := services.directory.unit(absence["unit_id"])) else ""),
        "kind": kind_text(services, absence["kind"]),
        "period": period_text(services, absence["start_slot"], absence["end_slot"]),
        "destination": absence["destination"],
        "reason": absence["reason"],
        "stand_in": name_of(services, absence.get("stand_in")),
        "contact": absence["contact"],
        "approver": name_of(services, absence.get("approver")),
        "presides": presides(services.directory, absence["user"], absence.get("stand_in")),
    }


def schedule_absence(
    services: Services, session: Session, absence: Mapping[str, Any], now: datetime
) -> list[Outgoing]:
    """Stand-ins from the start (now, or a stored trigger), reminders after the end."""
    items: list[Outgoing] = []
    now_slot = slot_at(now)
    if absence["start_slot"] <= now_slot <= absence["end_slot"]:
        items += begin_absence(services, session, absence)
    elif absence["start_slot"] > now_slot:
        schedule_reminder(
            session,
            f"leave:{absence['id']}:start",
            slot_start(absence["start_slot"]),
            [],
            action={"type": "leave.start", "absence": absence["id"]},
        )
    end_day, _ = slot_day(absence["end_slot"])
    first = services.calendar.next_workday(end_day)
    second = services.calendar.next_workday(first)
    for stage, day in ((1, first), (2, second)):
        due = datetime.combine(day, REMIND_AT, tzinfo=TZ)
        if due > now:
            schedule_reminder(
                session,
                f"leave:{absence['id']}:overdue:{stage}",
                due,
                [],
                action={"type": "leave.overdue", "absence": absence["id"], "stage": stage},
            )
    return items


def begin_absence(
    services: Services, session: Session, absence: Mapping[str, Any]
) -> list[Outgoing]:
    """The absence has begun: pending steps move to the stand-in; one summary to him."""
    moved, changes = services.workflow.delegate_open(session, absence["user"])
    items = list(changes.outgoing)
    if moved:
        messages = services.messages
        rendered = messages.markdown(
            "leave_delegated",
            items=[
                {
                    "kind": messages.label("kinds", m["kind"]),
                    "title": m["title"],
                    "number": m["flow"],
                    "step": messages.label(f"steps.{m['kind']}", m["step"]),
                    "to": name_of(services, m["to"]),
                }
                for m in moved
            ],
        )
        items.append(
            markdown_message(f"leave:{absence['id']}:delegated", absence["user"], rendered)
        )
    return items
