"""A leave request (请假, also 延期): the pending absence stored and its approval flow
started, in one storage call."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.clock import to_epoch_ms
from bot.dialog import close_dialog
from bot.outgoing import Outgoing
from bot.router import CommandContext
from handlers.approvals.card import SUBMITTER_NOTE
from handlers.common.numbers import next_number
from handlers.common.staging import stage_and_send
from handlers.leave.filers import approver_for
from handlers.leave.model import (
    ABSENCE_LIFECYCLE,
    ABSENCES,
    PENDING,
    URGENT,
    conflicts,
    overlaps,
    stand_in_for,
)
from handlers.leave.texts import conflict_text, kind_text, name_of, period_text

if TYPE_CHECKING:
    from bot.config import Person
    from bot.services import Services
    from storage.session import Session

Period = tuple[int, int]


def _regularise_urgent(session: Session, user: str, period: Period, flow_id: str) -> list[str]:
    """Urgent departures (紧急外出) of ``user`` in the period that this request regularises
    (补办): marked with it; their numbers."""
    absences = session.collection(ABSENCES)
    urgent = [
        a
        for a in absences.find(
            lambda d: d["user"] == user and d["status"] == URGENT and not d.get("regularised")
        )
        if overlaps((a["start_slot"], a["end_slot"]), period)
    ]
    for found in urgent:
        absences.update(found["id"], {"regularised": flow_id})
    return [a["id"] for a in urgent]


def _pending_absence(
    sender: Person,
    params: Mapping[str, Any],
    period: Period,
    *,
    flow_id: str,
    stand_in: str | None,
    approver: str | None,
    regularises: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": flow_id,
        "flow": flow_id,
        "user": sender.user_id,
        "unit_id": sender.unit_id,
        "kind": params["kind"],
        "start_slot": period[0],
        "end_slot": period[1],
        "destination": params["destination"],
        "reason": params["reason"],
        "stand_in": stand_in,
        "contact": params["contact"],
        "approver": approver,
        **ABSENCE_LIFECYCLE.begin(PENDING),
        "created_ms": to_epoch_ms(now),
        "returned_ms": None,
        "extension_of": params.get("extension_of"),
        "regularises": regularises,
    }


def _card_fields(
    services: Services, absence: Mapping[str, Any], ab_warning: str | None
) -> list[tuple[str, str]]:
    """The rows of the approval card; the AB warning first when there is one."""
    labels = services.messages
    fields = [
        (labels.label("leave_labels", "kind"), kind_text(services, absence["kind"])),
        (
            labels.label("leave_labels", "period"),
            period_text(services, absence["start_slot"], absence["end_slot"]),
        ),
        (labels.label("leave_labels", "destination"), absence["destination"]),
        (labels.label("leave_labels", "stand_in"), name_of(services, absence["stand_in"])),
        (labels.label("leave_labels", "contact"), absence["contact"]),
    ]
    if absence["extension_of"]:
        fields.append((labels.label("leave_labels", "extension_of"), absence["extension_of"]))
    if absence["regularises"]:
        fields.append((labels.label("leave_labels", "regularises"), absence["regularises"]))
    if ab_warning is not None:
        fields.insert(0, (labels.label("leave_labels", "ab"), ab_warning))
    return fields


def _flow_data(
    services: Services, absence: Mapping[str, Any], clash: list[dict[str, Any]]
) -> dict[str, Any]:
    labels = services.messages
    approver = absence["approver"]
    reason = absence["reason"]
    warning = conflict_text(services, clash) if clash else None
    summary = labels.text("leave_ab_card", warning=warning, reason=reason) if clash else reason
    return {
        "approver": approver,
        "filing_only": approver is None,
        "conflict": [a["id"] for a in clash],
        "body": reason,
        "summary": summary,
        "card_fields": _card_fields(services, absence, warning),
        "watchers": [],
        # His confirmation rides on his view of the card (no chat message of its own).
        SUBMITTER_NOTE: labels.text(
            "leave_submitted",
            number=absence["id"],
            filing_only=approver is None,
            approver=name_of(services, approver) if approver else "",
            conflict=bool(clash),
        ),
    }


def start_leave(
    services: Services,
    session: Session,
    sender: Person,
    params: Mapping[str, Any],
    now: datetime,
) -> tuple[dict[str, Any], list[Outgoing]]:
    """Stores the absence (pending) and starts its flow, in the caller's storage call."""
    directory = services.directory
    user = sender.user_id
    period = (int(params["start"]), int(params["end"]))
    approver = approver_for(directory, sender)
    partner = directory.ab_partner(user)
    clash = conflicts(session, partner, period) if partner else []
    flow_id = next_number(session, "leave", "QJ", now.year)
    regularised = _regularise_urgent(session, user, period, flow_id)
    absence = _pending_absence(
        sender,
        params,
        period,
        flow_id=flow_id,
        stand_in=stand_in_for(directory, user, params.get("stand_in")),
        approver=approver,
        regularises=regularised[0] if regularised else None,
        now=now,
    )
    session.collection(ABSENCES).insert(absence)
    title = services.messages.text(
        "leave_title",
        name=sender.name,
        kind=kind_text(services, params["kind"]),
        extension=bool(params.get("extension_of")),
    )
    doc, changes = services.workflow.start(
        session,
        flow_id=flow_id,
        kind="leave",
        submitter=user,
        unit_id=sender.unit_id,
        title=title,
        data=_flow_data(services, absence, clash),
    )
    return doc, changes.outgoing


def stage_leave(
    ctx: CommandContext, session: Session, params: Mapping[str, Any], now: datetime
) -> None:
    """Inside the storage call: the request started, the sender's form closed and what
    the flow sends staged."""
    _, items = start_leave(ctx.services, session, ctx.sender, params, now)
    close_dialog(session, ctx.sender.user_id)
    ctx.services.outbox.stage(session, items)


async def submit_leave(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    now = ctx.services.clock.now()
    return await stage_and_send(
        ctx.services, lambda session: stage_leave(ctx, session, values, now)
    )
