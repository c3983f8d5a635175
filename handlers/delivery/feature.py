"""The office's review of sends with an unknown outcome or that failed (待核实)."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import Command
from bot.scheduler import DailyJob
from handlers.common import office
from handlers.delivery import redeliver, review

DELIVERY = Feature(
    "delivery",
    commands=[
        Command("delivery_review", review.list_for_review, audience=office.is_office),
        Command("delivery_resend", review.resend_item, audience=office.is_office),
        Command("delivery_checked", review.close_item, audience=office.is_office),
        Command("card_redeliver", redeliver.redeliver_cards),
    ],
    jobs=[DailyJob("delivery-check", time(8, 40), review.delivery_digest)],
)
