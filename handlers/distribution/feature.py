"""Electronic distribution of issued documents (第七十八条): 签收, the office's progress
card, unsigned reminders."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import CardAction
from handlers.distribution.distribute import (
    PROGRESS,
    SIGN,
    ShowProgress,
    SignFor,
    distribution_actions,
    show_progress,
    sign_for,
)

DISTRIBUTION = Feature(
    "distribution",
    card_actions=[
        CardAction(SIGN, SignFor, sign_for),
        CardAction(PROGRESS, ShowProgress, show_progress),
    ],
    deadline_actions=distribution_actions,
)
