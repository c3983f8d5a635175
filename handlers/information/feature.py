"""政务信息 (第七十九–八十二条): units submit information, the office adopts it at a level
or not, 约稿 with deadlines and the flag on a miss, and the monthly 通报 with ranking."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import CardAction, Command
from bot.scheduler import DailyJob
from handlers.common import commands
from handlers.information import card, decide, people, report, requests, submit

INFORMATION_FEATURE = Feature(
    "information",
    commands=[
        Command(
            "information",
            commands.form_command("information", submit.ensure_submitter),
            audience=people.may_submit,
        ),
        Command("info_request", requests.start_request, audience=people.is_info_office),
        Command("info_report", report.report_command, audience=people.is_info_office),
    ],
    card_actions=[
        CardAction(card.INFORMATION_ACT, decide.InformationAct, decide.act_on_information)
    ],
    forms=[submit.INFORMATION_FORM, requests.REQUEST_FORM],
    jobs=[
        DailyJob("information-requests", time(8, 30), requests.flag_missed),
        DailyJob("information-report", time(9, 0), report.monthly_report),
    ],
)
