"""Clicks on a flow's card (同意, 签发, 会签 …) and the 待办 list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.clock import from_epoch_ms
from bot.errors import NotAuthorized
from bot.flow_model import find_assignment, open_in_round
from bot.outgoing import Outgoing
from bot.router import CardContext, CardPayload, CardResult, CommandContext
from bot.workflow import FLOWS, Changes, FlowView, open_assignments
from handlers.approvals.notices import FlowNotices
from handlers.common.notify import markdown_message

if TYPE_CHECKING:
    from bot.scheduler import DeadlineAction
    from bot.services import Services
    from storage.session import Session


@dataclass(frozen=True)
class FlowAct(CardPayload):
    flow: str
    assignment: str
    decision: str
    opinion: str | None = None


async def act_on_flow(ctx: CardContext, payload: FlowAct) -> CardResult:
    """Authorization and the transition happen in one storage call, from the stored flow."""
    services = ctx.services
    if ctx.card.get("flow") != payload.flow:
        # The params are the client's word; the card clicked decides which flow it is.
        raise NotAuthorized(
            "card_not_yours", assignee_name=services.messages.word("assignee_unknown")
        )

    def act(session: Session) -> Changes:
        doc, changes = services.workflow.act(
            session,
            flow_id=payload.flow,
            assignment_id=payload.assignment,
            user_id=ctx.user_id,
            decision=payload.decision,
            opinion=payload.opinion or "",
        )
        notices = step_notices(services, doc, payload.assignment)
        services.outbox.stage(session, [*changes.outgoing, *notices])
        return changes

    changes = await services.db.run(act)
    return CardResult(
        card_data=changes.card_data, private_data=changes.private.get(ctx.user_id, {})
    )


def step_notices(services: Services, flow: Mapping[str, Any], acted: str) -> list[Outgoing]:
    """A chat message to whoever a click has just moved the flow to, where its kind
    declares one for that step (flows.toml [step_notices.<kind>], e.g. 退回修改 tells
    the drafter how to revise and resubmit)."""
    messages = services.messages
    step, section = flow.get("step"), f"step_notices.{flow['kind']}"
    before = find_assignment(flow, acted)
    if flow["state"] != "active" or before is None or before["step"] == step:
        return []
    if step is None or not messages.has_label(section, step):
        return []
    last = flow["trail"][-1] if flow["trail"] else {}
    person = services.directory.person(last.get("user", ""))
    rendered = messages.markdown(
        messages.label(section, step),
        number=flow["id"],
        title=flow["title"],
        who=person.name if person else "",
        opinion=last.get("opinion", ""),
    )
    return [
        markdown_message(
            f"flow:{flow['id']}:{flow['round']}:{step}:{a['user']}", a["user"], rendered
        )
        for a in open_assignments(flow)
    ]


def deadline_actions(services: Services) -> dict[str, DeadlineAction]:
    """The scheduler's deadline actions for flows: the last-day reminder; for 会签 steps,
    deemed consent at the deadline; for steps that escalate instead (第七十条 签批), a
    second reminder and word to the escalation people the working morning after it."""
    notices = FlowNotices(services)

    def expire(session: Session, action: dict[str, Any]) -> list[Outgoing]:
        _, changes = services.workflow.expire(
            session, str(action["flow"]), str(action["step"]), int(action["round"])
        )
        return changes.outgoing

    def telling(event: str) -> DeadlineAction:
        def tell(session: Session, action: dict[str, Any]) -> list[Outgoing]:
            doc = session.collection(FLOWS).get(str(action["flow"]))
            if doc is None or doc["state"] != "active" or doc["step"] != action["step"]:
                return []
            silent = open_in_round(doc, str(action["step"]), int(action["round"]))
            if not silent:
                return []
            if event != "escalated":
                return notices.notify(doc, event, [a["user"] for a in silent])
            step = services.workflow.flow_def(doc["kind"]).step(str(action["step"]))
            told = step.escalate(FlowView(doc), services.directory) if step.escalate else []
            return notices.notify(doc, event, told)

        return tell

    return {
        "flow.expire": expire,
        "flow.remind": telling("reminder"),
        "flow.overdue": telling("overdue"),
        "flow.escalate": telling("escalated"),
    }


async def list_todos(ctx: CommandContext) -> list[Outgoing]:
    services = ctx.services
    user = ctx.sender.user_id
    now = services.clock.now()

    def mine(session: Session) -> list[dict[str, Any]]:
        return session.collection(FLOWS).find(
            lambda d: (
                d["state"] == "active"
                and any(a["user"] == user and a["status"] == "open" for a in d["assignments"])
            )
        )

    flows = sorted(await services.db.run(mine), key=lambda d: d["created_ms"])
    items = []
    for flow in flows:
        assignment = next(
            a for a in flow["assignments"] if a["user"] == user and a["status"] == "open"
        )
        deadline = from_epoch_ms(assignment["deadline_ms"]) if assignment["deadline_ms"] else None
        state = ""
        if deadline is not None:
            if deadline < now:
                state = "overdue"
            elif (deadline - now).total_seconds() < 24 * 3600:
                state = "soon"
        items.append(
            {
                "number": flow["id"],
                "kind": services.messages.label("kinds", flow["kind"]),
                "title": flow["title"],
                "step": services.messages.label(f"steps.{flow['kind']}", assignment["step"]),
                "deadline": f"{deadline:%Y-%m-%d %H:%M}" if deadline else "",
                "provisional": bool(assignment.get("provisional")),
                "state": state,
            }
        )
    return [ctx.markdown("todo_list", items=items, name=ctx.sender.name)]
