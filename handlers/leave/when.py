"""The dates typed into the leave forms, read as half-day slots (see model.py)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.errors import UserFacingError
from handlers.leave.model import AM, PM, slot
from messages.vocabulary import HALF_DAY, input_word, word_map

_RELATIVE = {str(word): int(days) for word, days in word_map("dates.relative_days").items()}
_HALVES = {input_word("dates.morning"): AM, input_word("dates.afternoon"): PM}


def parse_when(text: str, today: date, default_half: int) -> int:
    """``2026-11-25 上午``, ``11月25日下午``, ``明天上午`` … as a half-day slot."""
    text = "".join(text.split())
    half = default_half
    for word, value in _HALVES.items():
        if text.endswith(word) and text[: -len(word)] in _RELATIVE:
            return slot(today + timedelta(days=_RELATIVE[text[: -len(word)]]), value)
    if text in _RELATIVE:
        return slot(today + timedelta(days=_RELATIVE[text]), half)
    found = HALF_DAY.match(text)
    if found is None:
        raise UserFacingError("leave_bad_date", text=text[:30])
    year_text, month, day_text, half_text = found.groups()
    if half_text:
        half = _HALVES[half_text]
    try:
        year = int(year_text) if year_text else today.year
        day = date(year, int(month), int(day_text))
        if not year_text and day < today - timedelta(days=60):
            day = date(year + 1, int(month), int(day_text))
    except ValueError:
        raise UserFacingError("leave_bad_date", text=text[:30]) from None
    return slot(day, half)
