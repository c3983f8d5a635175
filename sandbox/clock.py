"""Sandbox time: real time plus an offset that only ever moves forward."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


class ClockError(ValueError):
    """Raised when asked to move time backwards."""


class SandboxClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._offset = timedelta(0)
        if start is not None:
            self._offset = start - datetime.now(TZ)

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
        return self.now()

    def set(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ClockError("时间必须带时区，例如 2026-05-01T09:00:00+08:00")
        current = self.now()
        if moment < current:
            raise ClockError("沙盒时间不能倒退")
        self._offset += moment - current
        return self.now()


def iso_from_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=TZ).isoformat(timespec="milliseconds")
