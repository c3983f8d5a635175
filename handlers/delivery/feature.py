"""The office's review of sends with an unknown outcome or that failed (待核实)."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import Command
from bot.scheduler import DailyJob
from handlers.common.office import is_office
from handlers.delivery.redeliver import redeliver_cards
from handlers.delivery.review import close_item, delivery_digest, list_for_review, resend_item

DELIVERY = Feature(
    "delivery",
    commands=[
        Command("delivery_review", list_for_review, audience=is_office),
        Command("delivery_resend", resend_item, audience=is_office),
        Command("delivery_checked", close_item, audience=is_office),
        Command("card_redeliver", redeliver_cards),
    ],
    jobs=[DailyJob("delivery-check", time(8, 40), delivery_digest)],
)
