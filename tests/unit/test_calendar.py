"""Working-day arithmetic: real 2026 holiday data, the 2027 fallback, overrides, time zones."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.calendar import Deadline, WorkCalendar
from bot.clock import TZ, FixedClock
from bot.config_schema import YearCalendar

REPO = Path(__file__).resolve().parents[2]


def d(s: str) -> date:
    return date.fromisoformat(s)


# -- 2026 National Day (chinese_calendar 1.11 data) -------------------------------------
# Mid-autumn 2026-09-25 (Fri) .. 09-27, National Day 2026-10-01 .. 10-07,
# adjusted working days Sunday 2026-09-20 and Saturday 2026-10-10.


def test_national_day_2026_facts() -> None:
    cal = WorkCalendar()
    assert cal.is_workday(d("2026-09-20"))  # Sunday, 调休上班
    assert not cal.is_workday(d("2026-09-25"))  # Friday, 中秋节
    for day in range(1, 8):
        assert not cal.is_workday(date(2026, 10, day))
    assert cal.is_workday(d("2026-10-08"))
    assert cal.is_workday(d("2026-10-10"))  # Saturday, 调休上班
    assert not cal.is_workday(d("2026-10-11"))
    assert not cal.is_provisional(d("2026-10-01"))


def test_two_working_days_over_national_day() -> None:
    cal = WorkCalendar()
    assert cal.add_workdays(d("2026-09-29"), 2) == (d("2026-10-08"), False)
    # The adjusted working Saturday counts.
    assert cal.add_workdays(d("2026-10-08"), 2) == (d("2026-10-10"), False)
    assert cal.add_workdays(d("2026-09-18"), 1) == (d("2026-09-20"), False)  # Fri -> Sun


def test_deadline_is_end_of_office_day_in_beijing() -> None:
    cal = WorkCalendar()
    start = datetime(2026, 9, 29, 15, 0, tzinfo=TZ)
    assert cal.deadline(start, 2) == Deadline(
        at=datetime(2026, 10, 8, 18, 0, tzinfo=TZ), day=d("2026-10-08"), provisional=False
    )
    late = WorkCalendar(day_end=time(17, 30)).deadline(start, 2)
    assert late.at == datetime(2026, 10, 8, 17, 30, tzinfo=TZ)
    assert late.at.utcoffset() == TZ.utcoffset(late.at)


def test_deadline_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        WorkCalendar().deadline(datetime(2026, 9, 29, 15, 0), 2)


def test_next_workday_and_between() -> None:
    cal = WorkCalendar()
    assert cal.next_workday(d("2026-09-30")) == d("2026-10-08")
    assert cal.next_workday(d("2026-10-03"), include_self=True) == d("2026-10-08")
    assert cal.next_workday(d("2026-10-10"), include_self=True) == d("2026-10-10")
    assert cal.workdays_between(d("2026-09-29"), d("2026-10-10")) == 4  # 30, 8, 9, 10
    assert cal.workdays_between(d("2026-10-10"), d("2026-09-29")) == -4
    assert cal.workdays_between(d("2026-10-01"), d("2026-10-01")) == 0
    for n in range(0, 15):
        end, _ = cal.add_workdays(d("2026-09-24"), n)
        assert cal.workdays_between(d("2026-09-24"), end) == n


def test_counting_backwards() -> None:
    cal = WorkCalendar()
    assert cal.add_workdays(d("2026-10-08"), -1) == (d("2026-09-30"), False)
    assert cal.add_workdays(d("2026-10-12"), -2) == (d("2026-10-09"), False)  # via Sat 10th
    assert cal.add_workdays(d("2026-10-12"), 0) == (d("2026-10-12"), False)


def test_partial_override_in_a_covered_year() -> None:
    local = YearCalendar(2026, frozenset({d("2026-09-29")}), frozenset(), complete=False)
    cal = WorkCalendar({2026: local})
    assert not cal.is_workday(d("2026-09-29"))
    assert cal.is_workday(d("2026-10-10"))  # library data still used for other days
    assert cal.add_workdays(d("2026-09-28"), 2) == (d("2026-10-08"), False)


# -- 2026 -> 2027: no library data for 2027 ---------------------------------------------


def test_year_end_fallback_is_provisional_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cal = WorkCalendar()
    with caplog.at_level(logging.WARNING, logger="bot.calendar"):
        # Dec 29, 30, 31; then Mon–Fri less New Year's Day (Fri 1 Jan): Jan 4-8, 11, 12.
        assert cal.add_workdays(d("2026-12-28"), 10) == (d("2027-01-12"), True)
        deadline = cal.deadline(datetime(2026, 12, 28, 9, 0, tzinfo=TZ), 10)
        assert not cal.is_workday(d("2027-01-01"))  # 元旦 is off every year
    assert deadline.provisional
    assert deadline.at == datetime(2027, 1, 12, 18, 0, tzinfo=TZ)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2027" in warnings[0].getMessage()
    assert cal.is_provisional(d("2027-03-01"))
    assert not cal.is_provisional(d("2026-12-31"))
    assert not cal.year_is_covered(2027)


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        ("2027-01-01", False),  # 元旦, a Friday
        ("2027-04-30", True),
        ("2027-05-03", True),  # Monday: the published schedule may add days, not the fallback
        ("2027-10-01", False),  # 国庆节, a Friday
        ("2027-10-04", True),  # Monday
        ("2027-10-09", False),  # a Saturday stays off: no 调休 without the schedule
        ("2029-05-01", False),  # 劳动节, a Tuesday
        ("2029-05-02", False),  # its second day (2024 amendment), a Wednesday
        ("2029-10-02", False),  # 国庆节, a Tuesday
        ("2029-10-03", False),  # 国庆节, a Wednesday
        ("2029-10-04", True),
    ],
)
def test_fallback_keeps_the_fixed_date_holidays_off(day: str, workday: bool) -> None:
    cal = WorkCalendar(logger=logging.getLogger("test.calendar"))
    assert cal.is_provisional(d(day))
    assert cal.is_workday(d(day)) is workday


def test_year_end_with_complete_2027_override(caplog: pytest.LogCaptureFixture) -> None:
    table = YearCalendar(
        2027,
        holidays=frozenset({d("2027-01-01")}),
        workdays=frozenset({d("2027-01-09")}),  # a made-up adjusted working Saturday
        complete=True,
    )
    cal = WorkCalendar({2027: table}, logger=logging.getLogger("test.calendar"))
    with caplog.at_level(logging.WARNING):
        # Dec 29, 30, 31; Jan 4-8 (8), Sat Jan 9 (9), Jan 11 (10).
        assert cal.add_workdays(d("2026-12-28"), 10) == (d("2027-01-11"), False)
        assert not cal.is_workday(d("2027-01-01"))
        assert not cal.is_workday(d("2027-01-10"))
    assert not caplog.records
    assert cal.year_is_covered(2027)
    assert 2027 in cal.covered_years()
    assert 2026 in cal.covered_years()


def test_incomplete_2027_override_is_still_provisional() -> None:
    table = YearCalendar(2027, frozenset({d("2027-01-01")}), frozenset(), complete=False)
    cal = WorkCalendar({2027: table}, logger=logging.getLogger("test.calendar"))
    assert not cal.is_workday(d("2027-01-01"))
    assert cal.add_workdays(d("2026-12-31"), 1) == (d("2027-01-04"), True)


def test_missing_years_check_from_first_of_november() -> None:
    cal = WorkCalendar()
    assert cal.missing_years(d("2026-10-31")) == []
    assert cal.missing_years(d("2026-11-01")) == [2027]
    assert cal.missing_years(d("2027-02-01")) == [2027]
    covered = WorkCalendar({2027: YearCalendar(2027, frozenset(), frozenset(), complete=True)})
    assert covered.missing_years(d("2026-11-25")) == []
    assert covered.missing_years(d("2027-11-01")) == [2028]


def test_fixed_clock_date_is_beijing_date() -> None:
    # 2026-10-08 16:30 UTC is 2026-10-09 00:30 in Beijing.
    clock = FixedClock(datetime(2026, 10, 8, 16, 30, tzinfo=UTC))
    deadline = WorkCalendar().deadline(clock.now(), 1)
    assert deadline.day == d("2026-10-10")  # from Friday the 9th to the working Saturday


# -- host time zone must not matter ------------------------------------------------------

_TZ_SCRIPT = textwrap.dedent(
    """
    import time
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo
    from bot.calendar import WorkCalendar

    assert time.tzname[0] != "CST", time.tzname
    cal = WorkCalendar()
    # 00:30 on Friday 2026-10-09 in Beijing; the UTC (and New York) date is the 8th.
    moments = [
        datetime(2026, 10, 8, 16, 30, tzinfo=UTC),
        datetime(2026, 10, 8, 12, 30, tzinfo=ZoneInfo("America/New_York")),
    ]
    for moment in moments:
        print(cal.deadline(moment, 1).day.isoformat())
    print(cal.deadline(moments[0], 1).at.isoformat())
    """
)


@pytest.mark.parametrize("host_tz", ["UTC", "America/New_York"])
def test_beijing_date_under_foreign_host_time_zone(host_tz: str) -> None:
    env = {**os.environ, "TZ": host_tz}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", _TZ_SCRIPT],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split()
    # The working day after Friday the 9th is the adjusted working Saturday the 10th;
    # taking the host's date (the 8th) would give the 9th.
    assert lines == ["2026-10-10", "2026-10-10", "2026-10-10T18:00:00+08:00"]


def test_new_york_moment_same_instant() -> None:
    moment = datetime(2026, 10, 8, 12, 30, tzinfo=ZoneInfo("America/New_York"))
    assert WorkCalendar().deadline(moment, 1).day == d("2026-10-10")
