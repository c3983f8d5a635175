"""From 1 November on, remind the office every working morning when next year's
holiday table is missing (chinese-calendar ships a year only once the State Council
publishes it); until then next year's deadlines are provisional."""

from __future__ import annotations

from datetime import date

from bot.outgoing import Outgoing
from bot.services import Services
from handlers.common.notify import markdown_message

NOTICE_FROM_MONTH = 11


async def calendar_coverage_notice(services: Services, today: date) -> list[Outgoing]:
    next_year = today.year + 1
    if today.month < NOTICE_FROM_MONTH or services.calendar.year_is_covered(next_year):
        return []
    rendered = services.messages.markdown("calendar_not_covered", year=next_year)
    director = services.directory.sole("office_director")
    return [markdown_message(f"calendar-notice:{today.isoformat()}", director.user_id, rendered)]
