"""Electronic distribution of issued documents (第七十八条): 签收, the office's progress
card, unsigned reminders."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import CardAction
from handlers.distribution import distribute

DISTRIBUTION = Feature(
    "distribution",
    card_actions=[
        CardAction(distribute.SIGN, distribute.SignFor, distribute.sign_for),
        CardAction(distribute.PROGRESS, distribute.ShowProgress, distribute.show_progress),
    ],
    deadline_actions=distribute.distribution_actions,
)
