"""Working days (工作日) by the Chinese statutory holiday schedule.

Statutory holidays do not count; adjusted working weekends (调休上班) do. The source of
truth is, in order:

1. the office's override table for the year (``[calendar.YYYY]`` in the config);
2. the ``chinese_calendar`` package (covers the years it ships data for);
3. Monday–Friday less the holidays fixed by date every year (New Year's Day, Labour
   Day, National Day), as a *provisional* fallback for a year neither of the above
   covers (e.g. 2027 before the State Council publishes its schedule). The first use of
   the fallback for a year logs one WARNING; deadlines computed with it are marked
   ``provisional`` so callers can say so.

All dates are Beijing dates: an aware datetime is converted to Asia/Shanghai before its
date is taken. Nothing here reads the wall clock; ``chinese_calendar.find_workday`` (which
uses ``date.today()``) is never called.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import MappingProxyType

import chinese_calendar

from bot.clock import TZ
from bot.config_schema import YearCalendar

__all__ = ["FIXED_HOLIDAYS", "Deadline", "WorkCalendar"]

_NO_OVERRIDES: Mapping[int, YearCalendar] = MappingProxyType({})
# A walk longer than this means the configuration marks (almost) every day as a holiday.
_MAX_WALK_DAYS = 3660
_ONE_DAY = timedelta(days=1)
# (month, day) of the statutory holidays that fall on the same date every year
# (全国年节及纪念日放假办法, as amended in 2024): 元旦 1 January, 劳动节 1-2 May,
# 国庆节 1-3 October. The lunar holidays and the adjusted days (调休) need the published
# schedule, so the fallback still leaves them out.
FIXED_HOLIDAYS: frozenset[tuple[int, int]] = frozenset(
    {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}
)


@dataclass(frozen=True)
class Deadline:
    at: datetime  # aware, Asia/Shanghai: the end of the office day on ``day``
    day: date
    provisional: bool  # computed with the Mon–Fri fallback for an uncovered year


def _library_years() -> frozenset[int]:
    """Years chinese_calendar has data for."""
    days: list[date] = list(chinese_calendar.holidays)
    if not days:
        return frozenset()
    return frozenset(range(min(days).year, max(days).year + 1))


class WorkCalendar:
    def __init__(
        self,
        overrides: Mapping[int, YearCalendar] = _NO_OVERRIDES,
        *,
        day_end: time = time(18, 0),
        logger: logging.Logger | None = None,
    ) -> None:
        self._overrides = dict(overrides)
        self._day_end = day_end
        self._log = logger or logging.getLogger(__name__)
        self._library_years = _library_years()
        self._warned: set[int] = set()
        self._cache: dict[date, bool] = {}

    @property
    def day_end(self) -> time:
        return self._day_end

    # -- coverage -------------------------------------------------------------------

    def _library_covers(self, year: int) -> bool:
        return year in self._library_years

    def year_is_covered(self, year: int) -> bool:
        """True when the year's working days are known (library data or a complete
        override table), i.e. not the Mon–Fri fallback."""
        override = self._overrides.get(year)
        return (override is not None and override.complete) or self._library_covers(year)

    def covered_years(self) -> frozenset[int]:
        complete = {y for y, o in self._overrides.items() if o.complete}
        return frozenset(self._library_years | complete)

    def missing_years(self, today: date) -> list[int]:
        """Years that need holiday data now: this year if it is not covered, and from
        1 November also next year. For a start-up or CI check (``today`` is a Beijing
        date from the injected clock)."""
        wanted = [today.year]
        if today.month >= 11:
            wanted.append(today.year + 1)
        return [y for y in wanted if not self.year_is_covered(y)]

    def is_provisional(self, d: date) -> bool:
        return not self.year_is_covered(d.year)

    # -- single days ----------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        if isinstance(d, datetime):
            raise TypeError("is_workday takes a date; convert a datetime to Beijing time first")
        known = self._cache.get(d)
        if known is None:
            known = self._cache[d] = self._compute_workday(d)
        return known

    def _compute_workday(self, d: date) -> bool:
        override = self._overrides.get(d.year)
        if override is not None:
            if d in override.holidays:
                return False
            if d in override.workdays:
                return True
            if override.complete:
                return d.weekday() < 5
        if self._library_covers(d.year):
            try:
                return bool(chinese_calendar.is_workday(d))
            except NotImplementedError:
                self._library_years = self._library_years - {d.year}
        self._warn_fallback(d.year)
        return d.weekday() < 5 and (d.month, d.day) not in FIXED_HOLIDAYS

    def _warn_fallback(self, year: int) -> None:
        if year in self._warned:
            return
        self._warned.add(year)
        self._log.warning(
            "No holiday data for %d (chinese_calendar %s covers %s): using the Monday-Friday "
            "fallback (less the fixed-date holidays); deadlines in %d are provisional. Add a "
            "complete [calendar.%d] table to the config or upgrade chinese_calendar once the "
            "State Council publishes the schedule.",
            year,
            getattr(chinese_calendar, "__version__", "?"),
            _span(self._library_years),
            year,
            year,
        )

    # -- walking --------------------------------------------------------------------

    def add_workdays(self, start: date, n: int) -> tuple[date, bool]:
        """The n-th working day after ``start`` (``start`` itself is not counted); a
        negative ``n`` counts back before ``start``; ``n == 0`` gives ``start``.

        The flag is True when any day looked at was in an uncovered year.
        """
        if isinstance(start, datetime):
            raise TypeError("add_workdays takes a date; use deadline() for a datetime")
        provisional = self.is_provisional(start)
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        remaining = abs(n)
        day = start
        walked = 0
        while remaining:
            day += step
            walked += 1
            if walked > _MAX_WALK_DAYS:
                raise ValueError(f"no {abs(n)} working days within {_MAX_WALK_DAYS} days")
            provisional = provisional or self.is_provisional(day)
            if self.is_workday(day):
                remaining -= 1
        return day, provisional

    def deadline(self, start: datetime, n: int) -> Deadline:
        """End of the office day of the n-th working day after ``start``'s Beijing date."""
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("deadline() needs an aware datetime")
        day, provisional = self.add_workdays(start.astimezone(TZ).date(), n)
        at = datetime.combine(day, self._day_end, tzinfo=TZ)
        return Deadline(at=at, day=day, provisional=provisional)

    def next_workday(self, d: date, *, include_self: bool = False) -> date:
        if include_self and self.is_workday(d):
            return d
        return self.add_workdays(d, 1)[0]

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in the half-open range (a, b]; negative when b is before a.

        So ``workdays_between(d, add_workdays(d, n)[0]) == n`` for n >= 0.
        """
        if b == a:
            return 0
        sign = 1
        if b < a:
            a, b, sign = b, a, -1
        count = 0
        day = a
        while day < b:
            day += _ONE_DAY
            if self.is_workday(day):
                count += 1
        return sign * count


def _span(years: frozenset[int]) -> str:
    return f"{min(years)}-{max(years)}" if years else "no years"
