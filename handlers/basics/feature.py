"""Basics: 帮助, 我是谁, and the office's notice when the work calendar runs out."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import Command
from bot.scheduler import DailyJob
from handlers.basics import calendar_notice, help, identity

BASICS = Feature(
    "basics",
    commands=[
        Command("help", help.show_help),
        Command("whoami", identity.whoami),
    ],
    jobs=[DailyJob("calendar-coverage", time(9, 0), calendar_notice.calendar_coverage_notice)],
)
