"""Leaders' leave (第一百零一条): 请假, 紧急外出, 延期, 销假, 外出 and the morning list."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import Command
from bot.scheduler import DailyJob
from handlers.leave import flow, forms, ops

LEAVE = Feature(
    "leave",
    commands=[
        Command("leave", forms.start_leave_form),
        Command("leave_urgent", forms.start_urgent_form),
        Command("leave_extend", forms.start_extend_form),
        Command("leave_end", ops.end_leave),
        Command("absences", ops.list_absences, audience=ops.may_see_absences),
    ],
    forms=[forms.LEAVE_FORM, forms.URGENT_FORM, forms.EXTEND_FORM],
    flows=[flow.leave_flow],
    jobs=[DailyJob("absences", time(8, 30), ops.daily_absences)],
    deadline_actions=ops.leave_actions,
)
