"""突发事件 (第八十三条): the report that reaches the three offices at once, 收悉 and the DING
that follows silence, 续报 and 终报, the office's list and the daily 续报 prompt."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import CardAction, Command
from bot.scheduler import DailyJob
from handlers.approvals import actions
from handlers.emergencies import ack, card, listing, report

EMERGENCIES_FEATURE = Feature(
    "emergencies",
    commands=[
        Command("emergency", report.start_emergency, audience=report.may_report),
        Command("emergency_update", report.start_update, audience=report.may_report),
        Command("emergency_final", report.start_final, audience=report.may_report),
        Command("emergencies", listing.list_events, audience=listing.may_list),
    ],
    card_actions=[CardAction(card.EMERGENCY_ACK, actions.FlowAct, ack.acknowledge)],
    forms=[report.EMERGENCY_FORM, report.FOLLOWUP_FORM],
    jobs=[DailyJob("emergency-prompt", time(9, 0), listing.daily_prompt, working_days_only=False)],
    deadline_actions=ack.emergency_actions,
)
