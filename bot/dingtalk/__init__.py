"""The one async DingTalk OpenAPI client.

All OpenAPI traffic (new API ``api.dingtalk.com`` and legacy ``oapi.dingtalk.com``) goes
through :class:`DingTalkClient`: one ``httpx.AsyncClient`` with timeouts, a token cache
refreshed before expiry by the injected clock (single flight), one refresh on an
invalid-token answer, bounded retries with exponential backoff and jitter, and DingTalk's
error answers mapped to :mod:`bot.dingtalk_errors`.

Retry policy: connect errors/timeouts (nothing was sent), 429, QPS throttling (new API
HTTP 403 ``Forbidden.AccessDenied.QpsLimitFor...``, oapi errcodes 90018/90019) and 5xx
are retried for every call. Over the monthly quota (403 ``ApiCountLimitForOrg``, oapi
90020) raises :class:`QuotaExhausted`; a missing scope (403
``AccessTokenPermissionDenied``, oapi 60011) raises :class:`PermissionDenied` with the
scope; neither is retried. An optional :class:`CallObserver` sees every attempt.

Errors after the request was sent (read timeout, reset) are retried only for idempotent
calls; for robot messages and work notifications they raise
:class:`DingTalkAmbiguousError`, because the message may have been delivered.

Never log URLs with query strings or request headers here: they carry tokens.

The package: `transport` (tokens, retries), `answers` (DingTalk's answers read, errors
mapped), `robot`, `cards`, `notices`, `todos`, `gateway`, one group of calls each;
`client` puts them together; `results` holds the answers.
"""

from __future__ import annotations

from bot.dingtalk.answers import optional_int
from bot.dingtalk.cards import card_param_map
from bot.dingtalk.client import DingTalkClient
from bot.dingtalk.results import (
    BatchSendResult,
    CallObserver,
    DeliverResult,
    DingTalkCredentials,
    MediaKind,
    ReadInfo,
    RecallResult,
    WorkNoticeResult,
)
from bot.dingtalk.robot import action_card_param
from bot.dingtalk.specs import CardDelivery, CardUpdate, NewCard, NewTodo
from bot.dingtalk.transport import DEFAULT_TIMEOUT
from bot.dingtalk_errors import (
    DingTalkAmbiguousError,
    DingTalkAuthError,
    DingTalkError,
    DingTalkRateLimitedError,
    DingTalkRejectedError,
    DingTalkUnavailableError,
    PermissionDenied,
    QuotaExhausted,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "BatchSendResult",
    "CallObserver",
    "CardDelivery",
    "CardUpdate",
    "DeliverResult",
    "DingTalkAmbiguousError",
    "DingTalkAuthError",
    "DingTalkClient",
    "DingTalkCredentials",
    "DingTalkError",
    "DingTalkRateLimitedError",
    "DingTalkRejectedError",
    "DingTalkUnavailableError",
    "MediaKind",
    "NewCard",
    "NewTodo",
    "PermissionDenied",
    "QuotaExhausted",
    "ReadInfo",
    "RecallResult",
    "WorkNoticeResult",
    "action_card_param",
    "card_param_map",
    "optional_int",
]
