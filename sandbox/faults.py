"""Faults injected through the control API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox.errors import ApiError, OapiError


@dataclass
class Faults:
    duplicate_next: int = 0
    fail_next: int = 0
    fail_status: int = 500
    # The next N API calls take effect, but their answers are held back this long (a
    # client killed meanwhile never learns that DingTalk took the call).
    stall_next: int = 0
    stall_s: float = 30.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "duplicate_next": self.duplicate_next,
            "fail_next": self.fail_next,
            "fail_status": self.fail_status,
            "stall_next": self.stall_next,
            "stall_s": self.stall_s,
        }

    def take_stall(self) -> float:
        """Seconds to hold the next answer back (0: answer at once)."""
        if self.stall_next <= 0:
            return 0.0
        self.stall_next -= 1
        return self.stall_s

    def take_failure(self, oapi: bool) -> web.Response | None:
        """Consume one pending failure, shaped like the host would answer."""
        if self.fail_next <= 0:
            return None
        self.fail_next -= 1
        status = self.fail_status
        if status == 429:
            if oapi:
                resp = OapiError(90018, "当前请求过多，请稍后重试").response()
                resp.set_status(429)
                return resp
            return ApiError(429, "Throttling", "请求过于频繁，已被限流").response()
        if oapi:
            resp = OapiError(-1, "系统繁忙").response()
            resp.set_status(status)
            return resp
        return ApiError(status, "system.busy", "系统繁忙，请稍后重试").response()

    def take_duplicate(self) -> bool:
        if self.duplicate_next <= 0:
            return False
        self.duplicate_next -= 1
        return True
