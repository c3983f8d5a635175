"""Sandbox time: real time plus an offset that only ever moves forward."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


class ClockError(ValueError):
    """Raised when asked to move time backwards."""


# A follower that has not polled for this long is taken to be gone (stopped or killed).
FOLLOWER_GONE_S = 1.0


class SandboxClock:
    """The movable time, and how far the bot following it has caught up.

    Every move bumps ``version``; the bot reports the last version it has finished
    (adopted the time and run its due jobs) when it polls. A test that moves time can
    then wait for the bot instead of sleeping for a guessed while.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = timedelta(0)
        if start is not None:
            self._offset = start - datetime.now(TZ)
        self.version = 0
        self.followed = 0
        self._follower_polled = float("-inf")

    def note_follower(self, done: int) -> None:
        self.followed = max(self.followed, min(done, self.version))
        self._follower_polled = time.monotonic()

    def follower_present(self) -> bool:
        return time.monotonic() - self._follower_polled < FOLLOWER_GONE_S

    def now(self) -> datetime:
        return datetime.now(TZ) + self._offset

    @property
    def offset(self) -> timedelta:
        return self._offset

    def restore(self, offset: timedelta) -> None:
        """Resume a saved sandbox time (never behind the current one)."""
        self._offset = max(self._offset, offset)

    def now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ClockError("沙盒时间不能倒退")
        self._offset += timedelta(seconds=seconds)
        self.version += 1
        return self.now()

    def set(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ClockError("时间必须带时区，例如 2026-05-01T09:00:00+08:00")
        current = self.now()
        if moment < current:
            raise ClockError("沙盒时间不能倒退")
        self._offset += moment - current
        self.version += 1
        return self.now()


def iso_from_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=TZ).isoformat(timespec="milliseconds")
