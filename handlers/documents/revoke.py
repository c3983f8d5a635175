"""撤销公文 <文号>: the office director withdraws an issued document; it leaves the
government website, and the 发文 card and query say 已撤销 instead of 已签发印发."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.errors import UserFacingError
from bot.flow_audit import record_act
from bot.outgoing import Outgoing
from bot.router import CommandContext
from bot.workflow import FLOWS
from handlers.approvals.card import STATUS
from handlers.common.staging import stage_and_send
from handlers.documents.cards import refreshed_card
from handlers.documents.outgoing import DOCUMENTS, issued_status

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session


def _withdrawn(
    services: Services, session: Session, document: dict[str, Any], by: str, now: datetime
) -> list[Outgoing]:
    """The act in the 发文's trail and the audit log, and its card marked 已撤销 for
    everyone who holds it (stored first)."""
    flows = session.collection(FLOWS)
    flow = flows.get(document["flow"])
    if flow is None:
        return []
    record_act(session, services.directory, flow, now, by, None, "revoke", document["id"])
    flow["data"][STATUS] = issued_status(document["id"], withdrawn=True)
    flows.update(flow["id"], flow)
    return [refreshed_card(services, flow, "revoked")]


async def revoke_document(ctx: CommandContext) -> list[Outgoing]:
    """撤销公文 <文号>: the office director withdraws an issued document; it leaves the
    government website and its feed at the next rebuild (at once)."""
    services = ctx.services
    # No article of the rules gives this power (第七十五条 has the director sign only the
    # office's own documents, 第四十二条 speaks of the county government revoking
    # normative documents): a house decision, so the refusal cites no article.
    if "office_director" not in ctx.sender.roles:
        raise UserFacingError("revoke_only_director")
    number = ctx.args.strip()
    if not number:
        return [ctx.text("revoke_usage")]
    now = services.clock.now()
    key = f"reply:{ctx.message.msg_id}:revoked"

    def revoke(session: Session) -> None:
        documents = session.collection(DOCUMENTS)
        document = documents.get(number)
        if document is None:
            raise UserFacingError("revoke_not_found", number=number[:40])
        if document["withdrawn"]:
            raise UserFacingError("revoke_already", number=number)
        documents.update(number, {"withdrawn": True, "withdrawn_at": now.isoformat()})
        outgoing = _withdrawn(services, session, document, ctx.sender.user_id, now)
        reply = ctx.text("revoke_done", number=number, title=document["title"])
        services.outbox.stage(session, [*outgoing, Outgoing(key, reply.kind, reply.payload)])
        services.site_changed()

    return await stage_and_send(services, revoke)
