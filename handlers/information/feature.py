"""政务信息 (第七十九–八十二条): units submit information, the office adopts it at a level
or not, 约稿 with deadlines and the flag on a miss, and the monthly 通报 with ranking."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import CardAction, Command
from bot.scheduler import DailyJob
from handlers.common.commands import form_command
from handlers.information.card import INFORMATION_ACT
from handlers.information.decide import InformationAct, act_on_information
from handlers.information.people import is_info_office, may_submit
from handlers.information.report import monthly_report, report_command
from handlers.information.requests import REQUEST_FORM, flag_missed, start_request
from handlers.information.submit import INFORMATION_FORM, ensure_submitter

INFORMATION_FEATURE = Feature(
    "information",
    commands=[
        Command(
            "information",
            form_command("information", ensure_submitter),
            audience=may_submit,
        ),
        Command("info_request", start_request, audience=is_info_office),
        Command("info_report", report_command, audience=is_info_office),
    ],
    card_actions=[CardAction(INFORMATION_ACT, InformationAct, act_on_information)],
    forms=[INFORMATION_FORM, REQUEST_FORM],
    jobs=[
        DailyJob("information-requests", time(8, 30), flag_missed),
        DailyJob("information-report", time(9, 0), monthly_report),
    ],
)
