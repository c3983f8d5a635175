"""撤销公文 <文号>: the office director withdraws an issued document; it leaves the
government website, and the 发文 card and query say 已撤销 instead of 已签发印发."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.errors import UserFacingError
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


def _withdrawn_card(
    services: Services, session: Session, document: dict[str, Any]
) -> list[Outgoing]:
    """The 发文 card marked 已撤销 for everyone who holds it (stored first)."""
    flows = session.collection(FLOWS)
    flow = flows.get(document["flow"])
    if flow is None or not flow["data"].get(STATUS):
        return []
    flow["data"][STATUS] = issued_status(document["id"], withdrawn=True)
    flows.update(flow["id"], {"data": flow["data"]})
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
        session.log("audit").append(
            [
                {
                    "at": now.isoformat(),
                    "flow": document["flow"],
                    "kind": "outgoing",
                    "title": document["title"],
                    "user": ctx.sender.user_id,
                    "name": ctx.sender.name,
                    "roles": sorted(ctx.sender.roles),
                    "acting_for": None,
                    "action": "revoke",
                    "opinion": number,
                }
            ],
            now.year,
        )
        reply = ctx.text("revoke_done", number=number, title=document["title"])
        outgoing = _withdrawn_card(services, session, document)
        services.outbox.stage(session, [*outgoing, Outgoing(key, reply.kind, reply.payload)])
        services.site_changed()

    return await stage_and_send(services, revoke)
