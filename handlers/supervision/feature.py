"""Supervision (督查督办, 第三十八、八十四–八十七条): items opened by the office or by
meeting decisions, the units' feedback on one card, the reminder ladder, graded closing,
批示件 and the weekly overview."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import CardAction, Command
from bot.scheduler import DailyJob
from handlers.common.office import is_office
from handlers.supervision.act import REPORT_FORM, SupervisionAct, act_on_supervision, start_report
from handlers.supervision.card import SUPERVISION_ACT
from handlers.supervision.chase import chase
from handlers.supervision.instructions import (
    INSTRUCTION_FORM,
    instruction_flow,
    start_instruction,
)
from handlers.supervision.listing import weekly_summary
from handlers.supervision.opening import SUPERVISION_FORM, new_supervision, start_supervision

SUPERVISION = Feature(
    "supervision",
    commands=[
        Command("supervision", start_supervision),
        Command("supervision_new", new_supervision, audience=is_office),
        Command("sv_report", start_report),
        Command("instruction", start_instruction, audience=is_office),
    ],
    card_actions=[CardAction(SUPERVISION_ACT, SupervisionAct, act_on_supervision)],
    forms=[SUPERVISION_FORM, REPORT_FORM, INSTRUCTION_FORM],
    flows=[instruction_flow],
    jobs=[
        DailyJob("supervision-chase", time(8, 30), chase),
        DailyJob("supervision-weekly", time(9, 0), weekly_summary),
    ],
)
