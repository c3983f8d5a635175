"""规范性文件 (第二十三–二十五条): the register with unified numbers and validity periods,
the refusal without a passed 合法性审查, the evaluation reminder six months before the
end, the listing and search, and the clean-up whose result the website shows."""

from __future__ import annotations

from datetime import time

from bot.feature import Feature
from bot.router import Command
from bot.scheduler import DailyJob
from handlers.normative import cleanup, listing, register, remind

NORMATIVE_FEATURE = Feature(
    "normative",
    commands=[
        Command("normative", listing.list_register),
        Command("normative_register", register.start_register, audience=register.may_register),
        Command("normative_cleanup", cleanup.clean_up, audience=cleanup.may_clean_up),
    ],
    forms=[register.NORMATIVE_FORM],
    jobs=[DailyJob("normative-evaluate", time(8, 40), remind.remind)],
)
