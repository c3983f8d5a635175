"""Supervision (督查督办, 第三十八、八十四–八十七条): items opened by the office or by
meeting decisions, the units' feedback on one card, the reminder ladder, graded closing,
批示件 and the weekly overview."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import CardAction, Command
from bot.scheduler import DailyJob
from handlers.common import office
from handlers.supervision import act, card, chase, instructions, listing, opening

SUPERVISION = Feature(
    "supervision",
    commands=[
        Command("supervision", opening.start_supervision),
        Command("supervision_new", opening.new_supervision, audience=office.is_office),
        Command("sv_report", act.start_report),
        Command("instruction", instructions.start_instruction, audience=office.is_office),
    ],
    card_actions=[CardAction(card.SUPERVISION_ACT, act.SupervisionAct, act.act_on_supervision)],
    forms=[opening.SUPERVISION_FORM, act.REPORT_FORM, instructions.INSTRUCTION_FORM],
    flows=[instructions.instruction_flow],
    jobs=[
        DailyJob("supervision-chase.chase", time(8, 30), chase.chase),
        DailyJob("supervision-weekly", time(9, 0), listing.weekly_summary),
    ],
)
