"""The office's review of sends with an unknown outcome or that failed (待核实)."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import Command
from bot.scheduler import DailyJob
from handlers.delivery.redeliver import redeliver_cards
from handlers.delivery.review import close_item, delivery_digest, list_for_review, resend_item
from handlers.meetings.decisions import is_office

DELIVERY = Feature(
    "delivery",
    commands=[
        Command("delivery_review", ("待核实", "发送异常"), list_for_review, audience=is_office),
        Command("delivery_resend", ("重发",), resend_item, audience=is_office),
        Command("delivery_checked", ("已核实",), close_item, audience=is_office),
        Command("card_redeliver", ("补发卡片",), redeliver_cards),
    ],
    jobs=[DailyJob("delivery-check", time(8, 40), delivery_digest)],
)
