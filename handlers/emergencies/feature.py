"""突发事件 (第八十三条): the report that reaches the three offices at once, 收悉 and the DING
that follows silence, 续报 and 终报, the office's list and the daily 续报 prompt."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import CardAction, Command
from bot.scheduler import DailyJob
from handlers.approvals.actions import FlowAct
from handlers.emergencies.ack import acknowledge, emergency_actions
from handlers.emergencies.card import EMERGENCY_ACK
from handlers.emergencies.listing import daily_prompt, list_events, may_list
from handlers.emergencies.report import (
    EMERGENCY_FORM,
    FOLLOWUP_FORM,
    may_report,
    start_emergency,
    start_final,
    start_update,
)

EMERGENCIES_FEATURE = Feature(
    "emergencies",
    commands=[
        Command("emergency", start_emergency, audience=may_report),
        Command("emergency_update", start_update, audience=may_report),
        Command("emergency_final", start_final, audience=may_report),
        Command("emergencies", list_events, audience=may_list),
    ],
    card_actions=[CardAction(EMERGENCY_ACK, FlowAct, acknowledge)],
    forms=[EMERGENCY_FORM, FOLLOWUP_FORM],
    jobs=[DailyJob("emergency-prompt", time(9, 0), daily_prompt, working_days_only=False)],
    deadline_actions=emergency_actions,
)
