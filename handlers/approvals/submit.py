"""What every chat form that starts an approval flow does when it is confirmed, and the
chain steps several flows share (the unit head signing off, the office director, the
county head)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.dialog import close_dialog
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.workflow import END_REJECTED, END_RETURNED, Choice, FlowView, Step
from handlers.approvals.card import SUBMITTER_NOTE
from handlers.common.material import fetched_file
from handlers.common.numbers import next_number
from handlers.common.staging import stage_and_send

if TYPE_CHECKING:
    from bot.config import OrgDirectory
    from storage.session import Session


@dataclass(frozen=True)
class Submission:
    """What a confirmed form starts: a flow of ``kind`` with its title and data, and the
    ``note`` (filled with ``note_context``) that confirms it to the sender."""

    kind: str
    title: str
    data: dict[str, Any]
    note: str = "request_submitted"
    note_context: Mapping[str, Any] = field(default_factory=dict)


def start_submitted_flow(
    ctx: CommandContext, session: Session, flow_id: str, submission: Submission
) -> dict[str, Any]:
    """Inside the storage call: starts the flow for the sender and closes his form (a
    resumed message cannot submit twice). The confirmation is no chat message of its
    own (one DingTalk call each): it is the note on the sender's view of the flow's
    card, which reaches his chat with the number and how to follow it up."""
    services = ctx.services
    confirmation = services.messages.text(
        submission.note,
        kind=services.messages.label("kinds", submission.kind),
        number=flow_id,
        title=submission.title,
        **submission.note_context,
    )
    doc, changes = services.workflow.start(
        session,
        flow_id=flow_id,
        kind=submission.kind,
        submitter=ctx.sender.user_id,
        unit_id=ctx.sender.unit_id,
        title=submission.title,
        data={**submission.data, SUBMITTER_NOTE: confirmation},
    )
    close_dialog(session, ctx.sender.user_id)
    services.outbox.stage(session, changes.outgoing)
    return doc


async def submission_data(
    ctx: CommandContext,
    material: Mapping[str, Any],
    card_fields: list[tuple[str, str]],
    **extra: Any,
) -> dict[str, Any]:
    """A unit's submission as its flow keeps it: the text or the fetched file, the unit
    head (who signs off and follows it) and the rows shown on the card."""
    attachment = await fetched_file(ctx.services, material)
    head = ctx.services.directory.unit_head(ctx.sender.unit_id)
    return {
        **extra,
        "body": material.get("text", ""),
        "attachment": attachment,
        "attachment_name": attachment["name"] if attachment else "",
        "unit_head": head.user_id if head else None,
        "watchers": [head.user_id] if head and head.user_id != ctx.sender.user_id else [],
        "card_fields": card_fields,
    }


async def submit_numbered_flow(
    ctx: CommandContext, submission: Submission, *, counter: str, prefix: str
) -> list[Outgoing]:
    """The form's flow under its next yearly number (``<prefix><year>-0001``), started in
    one storage call with its card and the sender's confirmation; the outbox is woken."""
    year = ctx.services.clock.now().year

    def submit(session: Session) -> None:
        start_submitted_flow(ctx, session, next_number(session, counter, prefix, year), submission)

    return await stage_and_send(ctx.services, submit)


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
# Refused for good, with a reason.
REJECT = Choice("reject", END_REJECTED, opinion_required=True, style="danger")

# 第六十九条: what a unit submits is signed off by its responsible person first.
SIGNOFF = Step(
    "signoff",
    unit_head,
    (Choice("sign", style="primary"), RETURN),
    applies=needs_signoff,
    when_skipped="self_signed",
)
