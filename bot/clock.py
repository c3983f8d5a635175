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
    """Real time shifted by an offset that can be changed while running.

    In sandbox mode it follows the sandbox's movable time by polling, so right after the
    sandbox time jumps it lags until the next poll. :meth:`observe` closes that gap: a
    message stamped by the sandbox (``createAt``) proves its time has been reached.
    """

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset
        self._seen: datetime | None = None  # the latest moment known to have passed

    def now(self) -> datetime:
        return datetime.now(TZ) + self.offset

    def follow(self, remote_now: datetime) -> None:
        """Adopt another clock's reading (e.g. the sandbox's) as the current time.

        A reading older than a moment already observed (a poll answered just before a
        jump and received after it) does not take the clock back before that moment.
        """
        if self._seen is not None and remote_now < self._seen:
            remote_now = self._seen
        self.offset = remote_now - datetime.now(TZ)

    def observe(self, moment: datetime) -> None:
        """``moment`` has passed on the followed clock: never read earlier than it."""
        if self._seen is None or moment > self._seen:
            self._seen = moment
        if moment > self.now():
            self.offset = moment - datetime.now(TZ)


def observe(clock: Clock, moment: datetime) -> None:
    """Tell a following clock that ``moment`` has passed (e.g. a message's server time).

    Only the sandbox's :class:`OffsetClock` adopts it. The system clock of a real
    deployment is never moved by what a message claims; there DingTalk's servers and the
    host agree to within seconds, and nothing depends on a few seconds.
    """
    if isinstance(clock, OffsetClock):
        clock.observe(moment)


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
