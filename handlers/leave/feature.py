"""Leaders' leave (第一百零一条): 请假, 紧急外出, 延期, 销假, 外出 and the morning list."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import Command
from bot.scheduler import DailyJob
from handlers.leave.flow import leave_flow
from handlers.leave.forms import (
    EXTEND_FORM,
    LEAVE_FORM,
    URGENT_FORM,
    start_extend_form,
    start_leave_form,
    start_urgent_form,
)
from handlers.leave.ops import (
    daily_absences,
    end_leave,
    leave_actions,
    list_absences,
    may_see_absences,
)

LEAVE = Feature(
    "leave",
    commands=[
        Command("leave", start_leave_form),
        Command("leave_urgent", start_urgent_form),
        Command("leave_extend", start_extend_form),
        Command("leave_end", end_leave),
        Command("absences", list_absences, audience=may_see_absences),
    ],
    forms=[LEAVE_FORM, URGENT_FORM, EXTEND_FORM],
    flows=[leave_flow],
    jobs=[DailyJob("absences", time(8, 30), daily_absences)],
    deadline_actions=leave_actions,
)
