"""Basics: 帮助, 我是谁, and the office's notice when the work calendar runs out."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import Command
from bot.scheduler import DailyJob
from handlers.basics.calendar_notice import calendar_coverage_notice
from handlers.basics.help import show_help
from handlers.basics.identity import whoami

BASICS = Feature(
    "basics",
    commands=[
        Command("help", show_help),
        Command("whoami", whoami),
    ],
    jobs=[DailyJob("calendar-coverage", time(9, 0), calendar_coverage_notice)],
)
