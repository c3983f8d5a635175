"""App access tokens, valid for ``token_ttl_s`` of sandbox time."""

from __future__ import annotations

import secrets
from collections.abc import Callable


class TokenStore:
    def __init__(self, ttl_s: int, now_ms: Callable[[], int]) -> None:
        self._ttl_ms = ttl_s * 1000
        self._now_ms = now_ms
        self._expiry: dict[str, int] = {}
        self._current = ""

    def issue(self) -> tuple[str, int]:
        """The current token (a new one if none is valid), extended; (token, expire_in_s)."""
        now = self._now_ms()
        if not self._current or self._expiry.get(self._current, 0) <= now:
            self._current = secrets.token_hex(16)
        self._expiry[self._current] = now + self._ttl_ms
        return self._current, self._ttl_ms // 1000

    def is_valid(self, token: str) -> bool:
        return bool(token) and self._expiry.get(token, 0) > self._now_ms()

    def expire_all(self) -> None:
        for token in self._expiry:
            self._expiry[token] = 0
        self._current = ""
