"""What a failed attempt does to an outbox row: parked while the quota or a permission
is missing (not an attempt), retried for as long as it takes while DingTalk throttles,
otherwise retried with growing backoff and marked failed after ``MAX_ATTEMPTS``. A
chunked send that failed half-way is retried only for the recipients not reached."""

from __future__ import annotations

import logging
import random
from typing import Any

from bot.api_budget import PARK_MS, QUOTA_PROBE_MS
from bot.dingtalk import DingTalkError, DingTalkRateLimitedError, PermissionDenied, QuotaExhausted
from bot.outgoing import Outgoing

log = logging.getLogger("bot.outbox")

# Backoff between attempts of one message (the client already retried quickly inside).
_BACKOFF_S = (2, 5, 15, 60, 180, 600, 1800)
MAX_ATTEMPTS = len(_BACKOFF_S) + 1
# Throttled items are retried for as long as it takes, at most this far apart.
_THROTTLED_MAX_S = 600


def parked(item: Outgoing, error: QuotaExhausted | PermissionDenied, now_ms: int) -> dict[str, Any]:
    """Parked, not an attempt: it goes out once the quota or permission is back."""
    wait_ms = QUOTA_PROBE_MS if isinstance(error, QuotaExhausted) else PARK_MS
    scope = error.scope if isinstance(error, PermissionDenied) else "quota"
    log.warning("outbox %s parked: %s (%s)", item.key, error.code, scope)
    return {
        "next_ms": now_ms + wait_ms,
        "error": str(error.code),
        "parked": scope,
        **skip_delivered(item, error),
    }


def throttled(
    item: Outgoing, error: DingTalkRateLimitedError, attempts: int, now_ms: int
) -> dict[str, Any]:
    """Throttled: DingTalk did not take it; try again later, never give up."""
    step = _BACKOFF_S[min(attempts, len(_BACKOFF_S)) - 1]
    backoff = _jittered(min(step, _THROTTLED_MAX_S))
    log.warning("outbox %s throttled (%s); retry in %.0fs", item.key, error.code, backoff)
    return {
        "attempts": attempts,
        "next_ms": now_ms + int(backoff * 1000),
        "error": str(error.code),
        **skip_delivered(item, error),
    }


def failed_attempt(
    item: Outgoing, error: DingTalkError, attempts: int, now_ms: int
) -> dict[str, Any]:
    """Any other failure: retried with backoff, given up after ``MAX_ATTEMPTS``."""
    changes = skip_delivered(item, error)
    if attempts >= MAX_ATTEMPTS:
        log.error("outbox %s failed after %d attempts", item.key, attempts)
        return {"status": "failed", "attempts": attempts, "error": str(error.code), **changes}
    backoff = _jittered(_BACKOFF_S[attempts - 1])
    log.warning(
        "outbox %s attempt %d failed (%s); retry in %.0fs", item.key, attempts, error.code, backoff
    )
    return {
        "attempts": attempts,
        "next_ms": now_ms + int(backoff * 1000),
        "error": str(error.code),
    }


def skip_delivered(item: Outgoing, error: DingTalkError) -> dict[str, Any]:
    """A chunked send that failed half-way: retry only the recipients not reached."""
    if not error.sent_user_ids or "user_ids" not in item.payload:
        return {}
    reached = set(error.sent_user_ids)
    remaining = [u for u in item.payload["user_ids"] if u not in reached]
    everyone = item.payload.get("all_user_ids") or item.payload["user_ids"]
    return {"payload": {**item.payload, "user_ids": remaining, "all_user_ids": everyone}}


def _jittered(seconds: float) -> float:
    """``seconds`` give or take 20 %, so retries of many items do not come in step."""
    return seconds * (0.8 + 0.4 * random.random())
