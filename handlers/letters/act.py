"""Clicks on the letter card: checked against the stored item and applied in one storage
call that also stages what the answer sends."""

from __future__ import annotations

from bot.router import CardContext, CardResult
from handlers.approvals.actions import FlowAct
from handlers.letters.answers import answer
from handlers.letters.card import LETTER_CARD

# The letter card is an approval card: ``flow`` is the item's number, ``assignment`` the
# state the holder saw (an answer the present state does not take is refused anyway),
# ``opinion`` what he typed in the opinion box.
LetterAct = FlowAct


async def act_on_letter(ctx: CardContext, payload: FlowAct) -> CardResult:
    return await LETTER_CARD.answer(ctx, payload, answer)
