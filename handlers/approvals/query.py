"""公文 <编号或关键词>: a flow's state and trail, for the people involved, the government
office and the county leaders only; 撤回 <编号>: the submitter withdraws before the end."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.config_schema import LEADER_ROLES, OFFICE_ROLES
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.workflow import FLOWS, open_assignments
from handlers.approvals.card import ApprovalCardView
from handlers.common.staging import stage_and_send
from handlers.documents.versions import version_replies

if TYPE_CHECKING:
    from bot.config import Person
    from storage.session import Session

# The county leaders and the government office see every flow.
SEE_ALL_ROLES = LEADER_ROLES | OFFICE_ROLES
MAX_LISTED = 10


def may_see(person: Person, flow: Mapping[str, Any]) -> bool:
    if person.roles & SEE_ALL_ROLES:
        return True
    involved = {flow["submitter"], *flow["data"].get("watchers", [])}
    involved |= {a["user"] for a in flow["assignments"]}
    involved |= {a["acting_for"] for a in flow["assignments"] if a.get("acting_for")}
    return person.user_id in involved


async def query_document(ctx: CommandContext) -> list[Outgoing]:
    services = ctx.services
    wanted = ctx.args.strip()
    if not wanted:
        return [ctx.text("query_usage")]
    key = wanted.upper()

    def search(session: Session) -> list[dict[str, Any]]:
        flows = session.collection(FLOWS)
        exact = flows.get(key)
        if exact is not None:
            return [exact]
        by_number = [f for f in flows.all_open() if f["data"].get("number") == wanted]
        if by_number:
            return by_number
        return [f for f in flows.all_open() if wanted in f["title"]]

    found = [f for f in await services.db.run(search) if may_see(ctx.sender, f)]
    if not found:
        return [ctx.text("query_not_found", wanted=wanted)]
    view = ApprovalCardView(services)
    if len(found) > 1:
        rows = []
        for flow in sorted(found, key=lambda f: f["created_ms"], reverse=True)[:MAX_LISTED]:
            status, _ = view.status(flow)
            rows.append({"number": flow["id"], "title": flow["title"], "status": status})
        return [ctx.markdown("query_list", wanted=wanted, rows=rows, total=len(found))]
    flow = found[0]
    status, _ = view.status(flow)
    waiting = []
    for assignment in open_assignments(flow):
        person = services.directory.person(assignment["user"])
        waiting.append(person.name if person else assignment["user"])
    public = view.public(flow)
    return [
        ctx.markdown(
            "query_flow",
            kind=services.messages.label("kinds", flow["kind"]),
            number=flow["id"],
            title=flow["title"],
            status=status,
            waiting=waiting,
            deadline=public["deadline"],
            doc_number=flow["data"].get("number", ""),
            trail=view.trail_lines(flow),
            versions=len(flow["data"].get("versions", [])),
        ),
        *version_replies(ctx, flow),
    ]


async def withdraw_flow(ctx: CommandContext) -> list[Outgoing]:
    services = ctx.services
    number = ctx.args.strip().upper()
    if not number:
        return [ctx.text("withdraw_usage")]
    key = f"reply:{ctx.message.msg_id}:withdrawn"

    def withdraw(session: Session) -> None:
        doc, changes = services.workflow.withdraw(session, number, ctx.sender.user_id)
        reply = ctx.text("withdraw_done", number=number, title=doc["title"])
        services.outbox.stage(
            session, [*changes.outgoing, Outgoing(key, reply.kind, reply.payload)]
        )

    return await stage_and_send(services, withdraw)
