"""Clicks on the letter card: checked against the stored item and applied in one storage
call that also stages what the answer sends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.errors import NotAuthorized
from bot.router import CardContext, CardResult
from handlers.approvals.actions import FlowAct
from handlers.letters.answers import answer
from handlers.letters.card import private, public

if TYPE_CHECKING:
    from storage.session import Session

# The letter card is an approval card: ``flow`` is the item's number, ``assignment`` the
# state the holder saw (an answer the present state does not take is refused anyway),
# ``opinion`` what he typed in the opinion box.
LetterAct = FlowAct


async def act_on_letter(ctx: CardContext, payload: FlowAct) -> CardResult:
    services = ctx.services
    if ctx.card.get("letter") != payload.flow:
        raise NotAuthorized(
            "card_not_yours", assignee_name=services.messages.word("assignee_unknown")
        )
    now = services.clock.now()

    def act(session: Session) -> CardResult:
        item, outgoing = answer(
            services,
            session,
            payload.flow,
            ctx.user_id,
            payload.decision,
            text=payload.opinion or "",
            now=now,
        )
        services.outbox.stage(session, outgoing)
        return CardResult(
            card_data=public(services, item), private_data=private(services, item, ctx.user_id)
        )

    return await services.db.run(act)
