"""A moment that has passed, as people type it in a form (when an event happened, when a
letter was received): Beijing time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from bot.clock import TZ, to_epoch_ms
from bot.errors import UserFacingError
from bot.router import CommandContext
from messages.vocabulary import CLOCK_TODAY, DAY, MOMENT, input_word


def typed_day(text: str) -> date | None:
    """``2026-12-31`` / ``2026年12月31日`` as a date; None if it is not one."""
    found = DAY.match(text)
    try:
        return date(*(int(x) for x in found.groups())) if found else None
    except ValueError:
        return None


def parse_moment(text: str, now: datetime) -> datetime | None:
    """``2026-12-02 14:30``, ``12月2日14时30分``, ``14:30`` / ``今天14:30`` / ``昨天23:10``
    as Beijing time; None if it is none of these or lies in the future."""
    local = now.astimezone(TZ)
    found = MOMENT.match(text)
    try:
        if found:
            year = int(found.group(1) or local.year)
            month, day, hour = int(found.group(2)), int(found.group(3)), int(found.group(4))
            moment = datetime(year, month, day, hour, int(found.group(5) or 0), tzinfo=TZ)
        elif short := CLOCK_TODAY.match(text):
            yesterday = short.group(1) == input_word("dates.yesterday")
            base = local.date() - timedelta(days=1 if yesterday else 0)
            hour, minute = int(short.group(2)), int(short.group(3) or 0)
            moment = datetime(base.year, base.month, base.day, hour, minute, tzinfo=TZ)
        else:
            return None
    except ValueError:
        return None
    return moment if moment <= now + timedelta(minutes=1) else None


def past_moment(error: str) -> Callable[[Any, CommandContext, Mapping[str, Any]], int]:
    """A form field: a moment ``parse_moment`` takes, as epoch milliseconds; else ``error``."""

    def parse(answer: Any, ctx: CommandContext, values: Mapping[str, Any]) -> int:
        moment = parse_moment(str(answer), ctx.services.clock.now())
        if moment is None:
            raise UserFacingError(error)
        return to_epoch_ms(moment)

    return parse
