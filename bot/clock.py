"""Injected time. Nothing in the bot calls ``datetime.now()`` directly.

Every component receives a :class:`Clock`. Production uses :class:`SystemClock`; the
sandbox mode uses :class:`OffsetClock`, whose offset follows the sandbox's movable time;
tests use :class:`FixedClock`.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

# All dates in the bot are Beijing dates, whatever the host's TZ says.
TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in Asia/Shanghai."""
        ...


def today(clock: Clock) -> date:
    return clock.now().date()


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(TZ)


class OffsetClock:
    """Real time shifted by an offset that can be changed while running."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(TZ) + self.offset

    def follow(self, remote_now: datetime) -> None:
        """Adopt another clock's reading (e.g. the sandbox's) as the current time."""
        self.offset = remote_now - datetime.now(TZ)


class FixedClock:
    """A clock that only moves when told to; for tests."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start.astimezone(TZ)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(TZ)


def monotonic() -> float:
    """Monotonic seconds, for timeouts and backoff (never for business dates)."""
    return time.monotonic()


def from_epoch_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(TZ)


def to_epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
