"""What every chat form that starts an approval flow does when it is confirmed, and the
chain steps several flows share (the unit head signing off, the office director, the
county head)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.dialog import close_dialog
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.workflow import END_RETURNED, Choice, FlowView, Step

if TYPE_CHECKING:
    from bot.config import OrgDirectory
    from storage.session import Session


def start_submitted_flow(
    ctx: CommandContext,
    session: Session,
    *,
    flow_id: str,
    kind: str,
    title: str,
    data: dict[str, Any],
    reply: str = "request_submitted",
    **reply_context: Any,
) -> dict[str, Any]:
    """Inside the storage call: starts the flow for the sender, closes his form and
    stages the reply with the flow's messages (a resumed message cannot submit twice)."""
    services = ctx.services
    doc, changes = services.workflow.start(
        session,
        flow_id=flow_id,
        kind=kind,
        submitter=ctx.sender.user_id,
        unit_id=ctx.sender.unit_id,
        title=title,
        data=data,
    )
    close_dialog(session, ctx.sender.user_id)
    step = services.messages.label(f"steps.{kind}", doc["step"]) if doc["step"] else ""
    answer = ctx.text(
        reply,
        kind=services.messages.label("kinds", kind),
        number=flow_id,
        title=title,
        step=step,
        **reply_context,
    )
    key = f"reply:{ctx.message.msg_id}:submitted"
    services.outbox.stage(session, [*changes.outgoing, Outgoing(key, answer.kind, answer.payload)])
    return doc


def unit_head(flow: FlowView, directory: OrgDirectory) -> list[str]:
    head = directory.unit_head(flow.unit_id)
    return [head.user_id] if head else []


def needs_signoff(flow: FlowView) -> bool:
    """The unit head signs what his staff submit (not what he submits himself); a unit
    without a head cannot submit (the step finds nobody and says so)."""
    return flow.data.get("unit_head") != flow.submitter


def office_director(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return [directory.sole("office_director").user_id]


def county_head(flow: FlowView, directory: OrgDirectory) -> list[str]:
    return [directory.sole("county_head").user_id]


# Returned to the submitter with a reason; he submits anew.
RETURN = Choice("return", END_RETURNED, opinion_required=True, style="danger")

# 第六十九条: what a unit submits is signed off by its responsible person first.
SIGNOFF = Step(
    "signoff", unit_head, (Choice("sign", style="primary"), RETURN), applies=needs_signoff
)
