"""The routing table: every chat command and card action the bot answers, in one place.

Order matters only for display in 帮助. A word or action registered twice, or a command
without a description in messages/commands.toml, stops the bot at start-up.
"""

from __future__ import annotations

from datetime import time

from bot.router import CardAction, Command
from bot.scheduler import DailyJob
from handlers.calendar_notice import calendar_coverage_notice
from handlers.help import show_help
from handlers.identity import whoami

COMMANDS: list[Command] = [
    Command("help", ("帮助", "help", "?", "？", "菜单"), show_help),
    Command("whoami", ("我是谁", "whoami", "我的信息"), whoami),
]

CARD_ACTIONS: list[CardAction] = []

JOBS: list[DailyJob] = [
    DailyJob("calendar-coverage", time(9, 0), calendar_coverage_notice),
]
