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
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol
from urllib.parse import quote

import httpx

from bot.api_scopes import scope_for, scope_in_text
from bot.clock import Clock
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
    "BatchSendResult",
    "CallObserver",
    "DeliverResult",
    "DingTalkAmbiguousError",
    "DingTalkAuthError",
    "DingTalkClient",
    "DingTalkCredentials",
    "DingTalkError",
    "DingTalkRateLimitedError",
    "DingTalkRejectedError",
    "DingTalkUnavailableError",
    "PermissionDenied",
    "QuotaExhausted",
    "ReadInfo",
    "RecallResult",
    "WorkNoticeResult",
    "action_card_param",
    "card_param_map",
]

log = logging.getLogger(__name__)

Json = dict[str, Any]
Sleep = Callable[[float], Awaitable[None]]
MediaKind = Literal["image", "voice", "video", "file"]

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
ROBOT_BATCH = 20  # userIds per oToMessages/batchSend
WORK_NOTICE_BATCH = 5000  # userids per asyncsend_v2
GROUP_READ_PAGE = 200
# Pages of open to-dos searched for a sourceId (one call each; open to-dos are few).
MAX_TODO_PAGES = 10
MAX_PAGES = 1000
USER_AGENT = "govbot/0.1 (+httpx)"

# New API: these codes (any status) mean "the token is bad" → refresh once and retry.
_INVALID_TOKEN_CODES = frozenset({"InvalidAuthentication"})
# New API: credential/permission problems that a retry will not fix.
_AUTH_CODE_PREFIXES = ("invalidClientIdOrSecret", "AuthenticationFailed", "Forbidden.AccessDenied")
# oapi errcodes.
_OAPI_INVALID_TOKEN = frozenset({40014, 42001})
_OAPI_AUTH = frozenset({40089, 40096, 40035, 40001})  # bad credentials
_OAPI_RATE_LIMITED = frozenset({90002, 90006, 90018, 90019})  # QPS / flow control
_OAPI_BUSY = frozenset({-1})
_OAPI_QUOTA = 90020  # the organisation's monthly call quota is used up
_OAPI_NO_PERMISSION = 60011
# New API, HTTP 403: over a QPS limit (retried like 429), over the monthly quota, and a
# missing permission scope.
_QPS_CODES = frozenset(
    {"Forbidden.AccessDenied.QpsLimitForApi", "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"}
)
_QUOTA_CODE = "Forbidden.AccessDenied.ApiCountLimitForOrg"
_PERMISSION_CODE = "Forbidden.AccessDenied.AccessTokenPermissionDenied"


class CallObserver(Protocol):
    """Sees every authenticated OpenAPI attempt (the API budget counts them)."""

    def before_call(self, method: str, path: str) -> None: ...

    def after_call(self, method: str, path: str, error: DingTalkError | None) -> None: ...


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class DingTalkCredentials:
    app_key: str
    app_secret: str
    robot_code: str
    agent_id: int
    corp_id: str

    def __repr__(self) -> str:  # never print the secret
        return (
            f"DingTalkCredentials(app_key={self.app_key!r}, app_secret='***', "
            f"robot_code={self.robot_code!r}, agent_id={self.agent_id}, corp_id={self.corp_id!r})"
        )


@dataclass(frozen=True)
class BatchSendResult:
    """One ``oToMessages/batchSend`` call (at most 20 recipients)."""

    process_query_key: str
    user_ids: tuple[str, ...]
    invalid: tuple[str, ...] = ()
    flow_controlled: tuple[str, ...] = ()
    filtered: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadInfo:
    user_id: str
    name: str
    read: bool
    read_at_ms: int | None


@dataclass(frozen=True)
class RecallResult:
    succeeded: tuple[str, ...]
    failed: Mapping[str, str]


@dataclass(frozen=True)
class DeliverResult:
    """One open space of a card delivery; ``carrier_id`` is the IM processQueryKey."""

    space_type: str
    space_id: str
    success: bool
    carrier_id: str
    error_msg: str


@dataclass(frozen=True)
class WorkNoticeResult:
    read: tuple[str, ...]
    unread: tuple[str, ...]
    invalid: tuple[str, ...]
    forbidden: tuple[str, ...]
    failed: tuple[str, ...]


@dataclass
class _Token:
    value: str
    refresh_at: datetime


# ---------------------------------------------------------------------------- helpers


def card_param_map(data: Mapping[str, object]) -> dict[str, str]:
    """Card data as DingTalk wants it: every value a string.

    bool → "true"/"false", dict/list/tuple → JSON, None → "", other → ``str()``.
    """
    return {key: _card_value(value) for key, value in data.items()}


def _card_value(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _strs(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def _as_json(response: httpx.Response) -> Json:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"result": body}


def _seg(value: str) -> str:
    return quote(value, safe="")


class _Retry(Exception):
    """Internal: this attempt failed in a retryable way."""

    def __init__(self, error: DingTalkError, retry_after: float | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.retry_after = retry_after


class _InvalidToken(Exception):
    def __init__(self, error: DingTalkError) -> None:
        super().__init__(error)
        self.error = error


# ---------------------------------------------------------------------------- client


class DingTalkClient:
    """Async client for the DingTalk OpenAPI (new API + oapi). Close with :meth:`aclose`."""

    def __init__(
        self,
        creds: DingTalkCredentials,
        *,
        clock: Clock,
        api_base: str = "https://api.dingtalk.com",
        oapi_base: str = "https://oapi.dingtalk.com",
        http: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        max_retries: int = 4,
        timeout: httpx.Timeout | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        token_margin: timedelta = timedelta(minutes=5),
        rng: random.Random | None = None,
        secret_sink: Callable[[str], None] | None = None,
        observer: CallObserver | None = None,
    ) -> None:
        self._observer = observer
        self._creds = creds
        self._clock = clock
        self._api_base = api_base.rstrip("/")
        self._oapi_base = oapi_base.rstrip("/")
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient()
        self._sleep = sleep
        self._max_retries = max(0, max_retries)
        self._timeout = timeout if timeout is not None else DEFAULT_TIMEOUT
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._token_margin = token_margin
        self._rng = rng if rng is not None else random.Random()
        self._secret_sink = secret_sink
        self._tokens: dict[str, _Token] = {}
        self._token_locks = {"api": asyncio.Lock(), "oapi": asyncio.Lock()}
        if secret_sink is not None:
            secret_sink(creds.app_secret)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> DingTalkClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ tokens

    async def access_token(self) -> str:
        """The new-API app token (cached; refreshed ``token_margin`` before expiry)."""
        return await self._token("api")

    async def oapi_token(self) -> str:
        """The legacy oapi token (``GET /gettoken``), cached the same way."""
        return await self._token("oapi")

    async def _token(self, kind: str) -> str:
        cached = self._valid_token(kind)
        if cached is not None:
            return cached
        async with self._token_locks[kind]:  # single flight: one fetch, others wait
            cached = self._valid_token(kind)
            if cached is not None:
                return cached
            value, expire_in = await (
                self._fetch_api_token() if kind == "api" else self._fetch_oapi_token()
            )
            margin = min(self._token_margin, timedelta(seconds=expire_in / 2))
            refresh_at = self._clock.now() + timedelta(seconds=expire_in) - margin
            self._tokens[kind] = _Token(value, refresh_at)
            if self._secret_sink is not None:
                self._secret_sink(value)
            log.info("DingTalk %s token fetched, valid for %d s", kind, expire_in)
            return value

    def _valid_token(self, kind: str) -> str | None:
        token = self._tokens.get(kind)
        if token is not None and self._clock.now() < token.refresh_at:
            return token.value
        return None

    def _drop_token(self, kind: str, value: str) -> None:
        """Forget ``value`` unless a concurrent caller already replaced it."""
        token = self._tokens.get(kind)
        if token is not None and token.value == value:
            del self._tokens[kind]

    async def _fetch_api_token(self) -> tuple[str, int]:
        body = await self._request(
            "api",
            "POST",
            "/v1.0/oauth2/accessToken",
            json_body={"appKey": self._creds.app_key, "appSecret": self._creds.app_secret},
            auth=None,
            idempotent=True,
        )
        token, expire_in = body.get("accessToken"), body.get("expireIn", 7200)
        if not isinstance(token, str) or not token or not isinstance(expire_in, int):
            raise DingTalkAuthError(200, "badTokenAnswer", "no accessToken in the answer")
        return token, expire_in

    async def _fetch_oapi_token(self) -> tuple[str, int]:
        body = await self._request(
            "oapi",
            "GET",
            "/gettoken",
            params={"appkey": self._creds.app_key, "appsecret": self._creds.app_secret},
            auth=None,
            idempotent=True,
        )
        token, expire_in = body.get("access_token"), body.get("expires_in", 7200)
        if not isinstance(token, str) or not token or not isinstance(expire_in, int):
            raise DingTalkAuthError(200, "badTokenAnswer", "no access_token in the answer")
        return token, expire_in

    # ------------------------------------------------------------------ transport

    async def _api(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        json_body: Json | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Json:
        return await self._request(
            "api",
            method,
            path,
            json_body=json_body,
            params=params,
            auth="api",
            idempotent=idempotent,
        )

    async def _oapi(
        self,
        path: str,
        *,
        idempotent: bool,
        json_body: Json | None = None,
        params: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes]] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> Json:
        return await self._request(
            "oapi",
            "POST",
            path,
            json_body=json_body,
            params=params,
            files=files,
            data=data,
            auth="oapi",
            idempotent=idempotent,
        )

    async def _request(
        self,
        host: Literal["api", "oapi"],
        method: str,
        path: str,
        *,
        auth: Literal["api", "oapi"] | None,
        idempotent: bool,
        json_body: Json | None = None,
        params: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes]] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> Json:
        """One logical call: token, retries with backoff, one refresh on a bad token."""
        url = (self._api_base if host == "api" else self._oapi_base) + path
        refreshed = False
        attempt = 0
        while True:
            headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
            query = dict(params or {})
            token = ""
            if auth is not None:
                token = await self._token(auth)
                if auth == "api":
                    headers["x-acs-dingtalk-access-token"] = token
                else:
                    query["access_token"] = token
            observer = self._observer if auth is not None else None
            if observer is not None:
                observer.before_call(method, path)
            try:
                response = await self._http.request(
                    method,
                    url,
                    params=query or None,
                    json=json_body,
                    files=files,
                    data=data,
                    headers=headers,
                    timeout=self._timeout,
                )
                body = self._check(host, response)
                if observer is not None:
                    observer.after_call(method, path, None)
                return body
            except (QuotaExhausted, PermissionDenied) as exc:
                if isinstance(exc, PermissionDenied) and not exc.scope:
                    exc.scope = scope_for(method, path)
                log.warning("DingTalk %s %s: %s", method, path, exc.code)
                if observer is not None:
                    observer.after_call(method, path, exc)
                raise
            except _InvalidToken as exc:
                if auth is None or refreshed:
                    raise DingTalkAuthError(
                        exc.error.status, exc.error.code, exc.error.message, exc.error.request_id
                    ) from None
                refreshed = True
                self._drop_token(auth, token)
                log.warning("DingTalk %s %s: token refused, refreshing once", method, path)
                continue
            except _Retry as exc:
                error, retry_after = exc.error, exc.retry_after
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                error = DingTalkUnavailableError(None, type(exc).__name__, "not connected")
                retry_after = None
            except httpx.HTTPError as exc:  # sent, answer lost or unreadable: maybe delivered
                name = type(exc).__name__
                if not idempotent:
                    log.warning("DingTalk %s %s: %s, delivery unknown", method, path, name)
                    raise DingTalkAmbiguousError(
                        None, name, "request sent, answer lost; may have been delivered"
                    ) from None
                error = DingTalkUnavailableError(None, name, "answer lost")
                retry_after = None
            if attempt >= self._max_retries:
                log.warning(
                    "DingTalk %s %s failed after %d attempts: %s", method, path, attempt + 1, error
                )
                raise error
            delay = self._backoff(attempt, retry_after)
            attempt += 1
            log.info(
                "DingTalk %s %s: %s; retry %d in %.2f s", method, path, error.code, attempt, delay
            )
            await self._sleep(delay)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with 'equal jitter': [d/2, d], d = base·2^attempt ≤ cap."""
        ceiling = min(self._backoff_cap, self._backoff_base * 2.0**attempt)
        delay = ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._backoff_cap))
        return delay

    def _check(self, host: str, response: httpx.Response) -> Json:
        """Return the JSON body of a good answer; raise for the error shapes."""
        body = _as_json(response)
        status = response.status_code
        if host == "oapi" and status < 400:
            return self._check_oapi(status, body)
        request_id = response.headers.get("x-acs-request-id") or _opt_str(body.get("requestid"))
        if 200 <= status < 300:
            return body
        code = str(body.get("code") or f"HTTP{status}")
        message = str(body.get("message") or response.reason_phrase)
        if status == 401 or code in _INVALID_TOKEN_CODES:
            raise _InvalidToken(DingTalkAuthError(status, code, message, request_id))
        if status == 429 or code in _QPS_CODES:
            raise _Retry(
                DingTalkRateLimitedError(status, code, message, request_id),
                _retry_after(response),
            )
        if code == _QUOTA_CODE:
            raise QuotaExhausted(status, code, message, request_id)
        if code == _PERMISSION_CODE:
            scope = _required_scope(body) or scope_in_text(message)
            raise PermissionDenied(status, code, message, request_id, scope=scope)
        if status >= 500:
            raise _Retry(DingTalkUnavailableError(status, code, message, request_id))
        if status == 403 or code.startswith(_AUTH_CODE_PREFIXES):
            raise DingTalkAuthError(status, code, message, request_id)
        raise DingTalkRejectedError(status, code, message, request_id)

    @staticmethod
    def _check_oapi(status: int, body: Json) -> Json:
        errcode = body.get("errcode", 0)
        if errcode in (0, None):
            return body
        request_id = _opt_str(body.get("request_id"))
        message = str(body.get("errmsg") or "")
        sub_code = str(body.get("sub_code") or "")
        code = str(errcode)
        if errcode == 88 and sub_code:  # topapi gateway error: the real code is sub_code
            code = sub_code
            message = str(body.get("sub_msg") or message)
        if errcode in _OAPI_INVALID_TOKEN or (errcode == 88 and sub_code in ("40014", "42001")):
            raise _InvalidToken(DingTalkAuthError(status, code, message, request_id))
        if errcode in _OAPI_RATE_LIMITED:
            raise _Retry(DingTalkRateLimitedError(status, code, message, request_id))
        if errcode in _OAPI_BUSY:
            raise _Retry(DingTalkUnavailableError(status, code, message, request_id))
        if errcode == _OAPI_QUOTA:
            raise QuotaExhausted(status, code, message, request_id)
        if errcode == _OAPI_NO_PERMISSION:
            scope = scope_in_text(message)
            raise PermissionDenied(status, code, message, request_id, scope=scope)
        if errcode in _OAPI_AUTH:
            raise DingTalkAuthError(status, code, message, request_id)
        raise DingTalkRejectedError(status, code, message, request_id)

    # ------------------------------------------------------------------ stream gateway

    async def open_stream_connection(
        self, subscriptions: list[dict[str, str]], *, local_ip: str = ""
    ) -> tuple[str, str]:
        """Open a Stream connection: ``(endpoint, ticket)``; the ticket is single use."""
        body = await self._request(
            "api",
            "POST",
            "/v1.0/gateway/connections/open",
            json_body={
                "clientId": self._creds.app_key,
                "clientSecret": self._creds.app_secret,
                "subscriptions": subscriptions,
                "ua": USER_AGENT,
                "localIp": local_ip,
            },
            auth=None,
            idempotent=True,
        )
        endpoint, ticket = body.get("endpoint"), body.get("ticket")
        if (
            not isinstance(endpoint, str)
            or not endpoint
            or not isinstance(ticket, str)
            or not ticket
        ):
            code = str(body.get("code") or "noEndpoint")
            message = str(body.get("message") or "gateway answered without endpoint/ticket")
            if code.startswith(_AUTH_CODE_PREFIXES):
                raise DingTalkAuthError(200, code, message, _opt_str(body.get("requestid")))
            raise DingTalkUnavailableError(200, code, message, _opt_str(body.get("requestid")))
        if self._secret_sink is not None:
            self._secret_sink(ticket)
        return endpoint, ticket

    # ------------------------------------------------------------------ robot messages

    async def send_to_users(
        self, user_ids: Sequence[str], msg_key: str, msg_param: Mapping[str, str]
    ) -> list[BatchSendResult]:
        """1:1 robot message, in chunks of 20. Not retried once sent (may duplicate).

        If a later chunk fails, the raised error's ``sent_user_ids`` lists the recipients
        of the chunks already accepted.
        """
        param = json.dumps(dict(msg_param), ensure_ascii=False)
        results: list[BatchSendResult] = []
        for chunk in _chunks(user_ids, ROBOT_BATCH):
            try:
                body = await self._api(
                    "POST",
                    "/v1.0/robot/oToMessages/batchSend",
                    idempotent=False,
                    json_body={
                        "robotCode": self._creds.robot_code,
                        "userIds": chunk,
                        "msgKey": msg_key,
                        "msgParam": param,
                    },
                )
            except DingTalkError as exc:
                exc.sent_user_ids = tuple(u for r in results for u in r.user_ids)
                raise
            results.append(
                BatchSendResult(
                    process_query_key=str(body.get("processQueryKey") or ""),
                    user_ids=tuple(chunk),
                    invalid=_strs(body.get("invalidStaffIdList")),
                    flow_controlled=_strs(body.get("flowControlledStaffIdList")),
                    filtered=_strs(body.get("filteredStaffIdList")),
                )
            )
        return results

    async def send_text(self, user_ids: Sequence[str], content: str) -> list[BatchSendResult]:
        return await self.send_to_users(user_ids, "sampleText", {"content": content})

    async def send_markdown(
        self, user_ids: Sequence[str], title: str, text: str
    ) -> list[BatchSendResult]:
        return await self.send_to_users(user_ids, "sampleMarkdown", {"title": title, "text": text})

    async def send_action_card(
        self,
        user_ids: Sequence[str],
        title: str,
        text: str,
        buttons: Sequence[tuple[str, str]],
    ) -> list[BatchSendResult]:
        """Action card with 1–5 vertical buttons ``(title, url)``."""
        msg_key, param = action_card_param(title, text, buttons)
        return await self.send_to_users(user_ids, msg_key, param)

    async def send_file(
        self, user_ids: Sequence[str], media_id: str, file_name: str, file_type: str
    ) -> list[BatchSendResult]:
        param = {"mediaId": media_id, "fileName": file_name, "fileType": file_type}
        return await self.send_to_users(user_ids, "sampleFile", param)

    async def send_to_group(
        self, open_conversation_id: str, msg_key: str, msg_param: Mapping[str, str]
    ) -> str:
        """Robot message to a group; returns the processQueryKey."""
        body = await self._api(
            "POST",
            "/v1.0/robot/groupMessages/send",
            idempotent=False,
            json_body={
                "robotCode": self._creds.robot_code,
                "openConversationId": open_conversation_id,
                "msgKey": msg_key,
                "msgParam": json.dumps(dict(msg_param), ensure_ascii=False),
            },
        )
        return str(body.get("processQueryKey") or "")

    async def read_status(self, process_query_key: str) -> list[ReadInfo]:
        body = await self._api(
            "GET",
            "/v1.0/robot/oToMessages/readStatus",
            idempotent=True,
            params={"robotCode": self._creds.robot_code, "processQueryKey": process_query_key},
        )
        infos = body.get("messageReadInfoList") or []
        return [
            ReadInfo(
                user_id=str(item.get("userId") or ""),
                name=str(item.get("name") or ""),
                read=str(item.get("readStatus") or "").upper() == "READ",
                read_at_ms=optional_int(item.get("readTimestamp")),
            )
            for item in infos
            if isinstance(item, dict)
        ]

    async def group_read_users(
        self, open_conversation_id: str, process_query_key: str
    ) -> list[str]:
        """userIds who read a group message, all pages."""
        users: list[str] = []
        next_token: str | None = None
        for _ in range(MAX_PAGES):
            request: Json = {
                "processQueryKey": process_query_key,
                "openConversationId": open_conversation_id,
                "robotCode": self._creds.robot_code,
                "maxResults": GROUP_READ_PAGE,
            }
            if next_token:
                request["nextToken"] = next_token
            body = await self._api(
                "POST", "/v1.0/robot/groupMessages/query", idempotent=True, json_body=request
            )
            users.extend(_strs(body.get("readUserIds")))
            token = body.get("nextToken")
            if not body.get("hasMore") or not token or token == next_token:
                break
            next_token = str(token)
        return users

    async def recall_users(self, process_query_keys: Sequence[str]) -> RecallResult:
        body = await self._api(
            "POST",
            "/v1.0/robot/otoMessages/batchRecall",
            idempotent=True,
            json_body={
                "robotCode": self._creds.robot_code,
                "processQueryKeys": list(process_query_keys),
            },
        )
        return _recall_result(body)

    async def recall_group(
        self, open_conversation_id: str, process_query_keys: Sequence[str]
    ) -> RecallResult:
        body = await self._api(
            "POST",
            "/v1.0/robot/groupMessages/recall",
            idempotent=True,
            json_body={
                "openConversationId": open_conversation_id,
                "robotCode": self._creds.robot_code,
                "processQueryKeys": list(process_query_keys),
            },
        )
        return _recall_result(body)

    # ------------------------------------------------------------------ interactive cards

    async def create_and_deliver_card(
        self,
        *,
        template_id: str,
        out_track_id: str,
        card_data: Mapping[str, object],
        user_ids: Sequence[str] = (),
        group_ids: Sequence[str] = (),
        private_data: Mapping[str, Mapping[str, object]] | None = None,
        support_forward: bool = False,
        at_user_ids: Mapping[str, str] | None = None,
    ) -> list[DeliverResult]:
        """Create a card and deliver it to users (robot 1:1) and/or groups.

        Idempotent by ``out_track_id``: if DingTalk answers ``param.cardAlreadyExist`` (a
        retry after a lost answer), that counts as success and ``[]`` is returned.
        """
        if not user_ids and not group_ids:
            raise ValueError("create_and_deliver_card needs user_ids or group_ids")
        request: Json = {
            "cardTemplateId": template_id,
            "outTrackId": out_track_id,
            "cardData": {"cardParamMap": card_param_map(card_data)},
            "callbackType": "STREAM",
            **self._open_spaces(user_ids, group_ids, support_forward, at_user_ids),
            "userIdType": 1,
        }
        if private_data:
            request["privateData"] = _private_data(private_data)
        try:
            body = await self._api(
                "POST",
                "/v1.0/card/instances/createAndDeliver",
                idempotent=True,
                json_body=request,
            )
        except DingTalkRejectedError as exc:
            if exc.code == "param.cardAlreadyExist":
                log.info("card %s already exists; treating as delivered", out_track_id)
                return []
            raise
        result = body.get("result")
        delivered = result.get("deliverResults") if isinstance(result, dict) else None
        return [_deliver_result(item) for item in delivered or [] if isinstance(item, dict)]

    async def deliver_card(
        self,
        *,
        out_track_id: str,
        user_ids: Sequence[str] = (),
        group_ids: Sequence[str] = (),
        support_forward: bool = False,
    ) -> list[DeliverResult]:
        """Deliver an existing card (``POST /v1.0/card/instances/deliver``) to more users
        (robot 1:1) and/or groups: one :class:`DeliverResult` per open space.

        Not repeated after a lost answer (a read timeout once the request left raises
        :class:`DingTalkAmbiguousError`): a repeat would put a second copy of the card in
        the chat ("每项事务只有一张卡片"); the outbox parks it 待核实 instead.
        An unknown card raises :class:`DingTalkRejectedError` ``param.cardNotExist``; an
        unknown user or group is a result with ``success=False``, not an exception.
        ``support_forward`` is sent as the space models' ``supportForward``; DingTalk
        may keep the setting the card was created with.
        """
        if not user_ids and not group_ids:
            raise ValueError("deliver_card needs user_ids or group_ids")
        request: Json = {
            "outTrackId": out_track_id,
            **self._open_spaces(user_ids, group_ids, support_forward, None),
            "userIdType": 1,
        }
        body = await self._api(
            "POST", "/v1.0/card/instances/deliver", idempotent=False, json_body=request
        )
        result = body.get("result")
        if isinstance(result, dict):  # tolerate the createAndDeliver shape too
            result = result.get("deliverResults")
        items = result if isinstance(result, list) else []
        return [_deliver_result(item) for item in items if isinstance(item, dict)]

    def _open_spaces(
        self,
        user_ids: Sequence[str],
        group_ids: Sequence[str],
        support_forward: bool,
        at_user_ids: Mapping[str, str] | None,
    ) -> Json:
        """``openSpaceId`` plus the space and deliver models of robot 1:1 and groups."""
        spaces = [f"IM_ROBOT.{u}" for u in user_ids] + [f"IM_GROUP.{g}" for g in group_ids]
        fields: Json = {"openSpaceId": "dtv1.card//" + ";".join(spaces)}
        space_model = {"supportForward": support_forward}
        if user_ids:
            fields["imRobotOpenSpaceModel"] = dict(space_model)
            fields["imRobotOpenDeliverModel"] = {
                "spaceType": "IM_ROBOT",
                "robotCode": self._creds.robot_code,
            }
        if group_ids:
            fields["imGroupOpenSpaceModel"] = dict(space_model)
            group_deliver: Json = {"robotCode": self._creds.robot_code}
            if at_user_ids:
                group_deliver["atUserIds"] = dict(at_user_ids)
            fields["imGroupOpenDeliverModel"] = group_deliver
        return fields

    async def update_card(
        self,
        out_track_id: str,
        card_data: Mapping[str, object] | None = None,
        private_data: Mapping[str, Mapping[str, object]] | None = None,
        *,
        by_key: bool = True,
    ) -> None:
        """Update a card; ``by_key`` merges keys instead of overwriting the whole map."""
        if card_data is None and not private_data:
            raise ValueError("update_card needs card_data or private_data")
        request: Json = {
            "outTrackId": out_track_id,
            "cardUpdateOptions": {
                "updateCardDataByKey": by_key,
                "updatePrivateDataByKey": by_key,
            },
            "userIdType": 1,
        }
        if card_data is not None:
            request["cardData"] = {"cardParamMap": card_param_map(card_data)}
        if private_data:
            request["privateData"] = _private_data(private_data)
        await self._api("PUT", "/v1.0/card/instances", idempotent=True, json_body=request)

    # ------------------------------------------------------------------ files

    async def upload_media(self, kind: MediaKind, file_name: str, content: bytes) -> str:
        """Upload to oapi ``/media/upload``; returns the ``media_id`` (``@...``)."""
        body = await self._oapi(
            "/media/upload",
            idempotent=True,  # a duplicate upload only yields an unused media_id
            params={"type": kind},
            data={"type": kind},
            files={"media": (file_name, content)},
        )
        media_id = body.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise DingTalkUnavailableError(200, "noMediaId", "upload answered without media_id")
        return media_id

    async def message_file_download_url(self, download_code: str) -> str:
        """Short-lived download URL for a received file (a credential: don't log it)."""
        body = await self._api(
            "POST",
            "/v1.0/robot/messageFiles/download",
            idempotent=True,
            json_body={"downloadCode": download_code, "robotCode": self._creds.robot_code},
        )
        url = body.get("downloadUrl")
        if not isinstance(url, str) or not url:
            raise DingTalkUnavailableError(200, "noDownloadUrl", "answer without downloadUrl")
        if self._secret_sink is not None:
            self._secret_sink(url)
        return url

    # ------------------------------------------------------------------ work notifications

    async def send_work_notification(
        self, user_ids: Sequence[str], msg: Mapping[str, object]
    ) -> int:
        """Work notification to at most 5000 users; returns the task_id.

        Not retried once sent. For more recipients use
        :meth:`send_work_notification_chunked`.
        """
        if len(user_ids) > WORK_NOTICE_BATCH:
            raise ValueError(f"more than {WORK_NOTICE_BATCH} recipients; use the chunked call")
        return (await self.send_work_notification_chunked(user_ids, msg))[0]

    async def send_work_notification_chunked(
        self, user_ids: Sequence[str], msg: Mapping[str, object]
    ) -> list[int]:
        """Work notification in chunks of 5000; one task_id per chunk.

        If a later chunk fails, the error's ``sent_user_ids`` lists those already sent.
        """
        if not user_ids:
            raise ValueError("a work notification needs at least one recipient")
        task_ids: list[int] = []
        sent: list[str] = []
        for chunk in _chunks(user_ids, WORK_NOTICE_BATCH):
            try:
                body = await self._oapi(
                    "/topapi/message/corpconversation/asyncsend_v2",
                    idempotent=False,
                    json_body={
                        "agent_id": self._creds.agent_id,
                        "userid_list": ",".join(chunk),
                        "msg": dict(msg),
                    },
                )
            except DingTalkError as exc:
                exc.sent_user_ids = tuple(sent)
                raise
            task_id = optional_int(body.get("task_id"))
            if task_id is None:
                raise DingTalkAmbiguousError(200, "noTaskId", "asyncsend_v2 without task_id")
            task_ids.append(task_id)
            sent.extend(chunk)
        return task_ids

    async def work_notification_result(self, task_id: int) -> WorkNoticeResult:
        body = await self._oapi(
            "/topapi/message/corpconversation/getsendresult",
            idempotent=True,
            json_body={"agent_id": self._creds.agent_id, "task_id": task_id},
        )
        result = body.get("send_result")
        res: Json = result if isinstance(result, dict) else {}
        return WorkNoticeResult(
            read=_strs(res.get("read_user_id_list")),
            unread=_strs(res.get("unread_user_id_list")),
            invalid=_strs(res.get("invalid_user_id_list")),
            forbidden=_strs(res.get("forbidden_user_id_list")),
            failed=_strs(res.get("failed_user_id_list")),
        )

    # ------------------------------------------------------------------ to-dos

    async def create_todo(
        self,
        *,
        union_id: str,
        subject: str,
        description: str,
        due_ms: int | None,
        executor_union_ids: Sequence[str],
        source_id: str,
        detail_url: str,
        priority: int = 20,
    ) -> str:
        """Create a to-do; returns its id. A duplicate ``source_id`` raises
        :class:`DingTalkRejectedError` (code ``todo.taskCreate.paramError``, "task exist").
        """
        request: Json = {
            "subject": subject,
            "description": description,
            "executorIds": list(executor_union_ids),
            "creatorId": union_id,
            "sourceId": source_id,
            "detailUrl": {"appUrl": detail_url, "pcUrl": detail_url},
            "priority": priority,
        }
        if due_ms is not None:
            request["dueTime"] = due_ms
        body = await self._api(
            "POST",
            f"/v1.0/todo/users/{_seg(union_id)}/tasks",
            idempotent=True,  # sourceId dedups a replay
            params={"operatorId": union_id},
            json_body=request,
        )
        task_id = body.get("id")
        if not isinstance(task_id, str) or not task_id:
            raise DingTalkUnavailableError(200, "noTaskId", "to-do answer without id")
        return task_id

    async def complete_todo(self, *, union_id: str, task_id: str) -> None:
        await self._api(
            "PUT",
            f"/v1.0/todo/users/{_seg(union_id)}/tasks/{_seg(task_id)}",
            idempotent=True,
            params={"operatorId": union_id},
            json_body={"done": True},
        )

    async def find_todo(self, *, union_id: str, source_id: str) -> str | None:
        """The id of the open to-do of ``union_id`` created with ``source_id`` (None if
        there is none): for a create whose answer was lost, DingTalk says "task exist"
        but not its id. Pages through the org to-do query (Todo.Todo.Read)."""
        token: str | None = None
        for _ in range(MAX_TODO_PAGES):
            body = await self._api(
                "POST",
                f"/v1.0/todo/users/{_seg(union_id)}/org/tasks/query",
                idempotent=True,
                json_body={"isDone": False, **({"nextToken": token} if token else {})},
            )
            cards = body.get("todoCards")
            for card in cards if isinstance(cards, list) else []:
                if isinstance(card, dict) and card.get("sourceId") == source_id:
                    task_id = card.get("taskId")
                    return str(task_id) if task_id else None
            next_token = body.get("nextToken")
            if not isinstance(next_token, str) or not next_token:
                return None
            token = next_token
        return None

    async def delete_todo(self, *, union_id: str, task_id: str) -> None:
        await self._api(
            "DELETE",
            f"/v1.0/todo/users/{_seg(union_id)}/tasks/{_seg(task_id)}",
            idempotent=True,
            params={"operatorId": union_id},
        )

    # ------------------------------------------------------------------ contacts

    async def get_user(self, user_id: str) -> dict[str, object]:
        """``/topapi/v2/user/get`` → the ``result`` object (unknown user: errcode 60121)."""
        body = await self._oapi(
            "/topapi/v2/user/get",
            idempotent=True,
            json_body={"userid": user_id, "language": "zh_CN"},
        )
        result = body.get("result")
        return dict(result) if isinstance(result, dict) else {}


# ---------------------------------------------------------------------------- builders


def action_card_param(
    title: str, text: str, buttons: Sequence[tuple[str, str]]
) -> tuple[str, dict[str, str]]:
    """msgKey and msgParam of an action card with 1–5 ``(title, url)`` buttons."""
    if not 1 <= len(buttons) <= 5:
        raise ValueError("an action card needs 1 to 5 buttons")
    param = {"title": title, "text": text}
    if len(buttons) == 1:
        param["singleTitle"], param["singleURL"] = buttons[0]
        return "sampleActionCard", param
    for n, (label, url) in enumerate(buttons, start=1):
        param[f"actionTitle{n}"] = label
        param[f"actionURL{n}"] = url
    return f"sampleActionCard{len(buttons)}", param


def _private_data(private_data: Mapping[str, Mapping[str, object]]) -> Json:
    return {uid: {"cardParamMap": card_param_map(data)} for uid, data in private_data.items()}


def _deliver_result(item: Mapping[str, object]) -> DeliverResult:
    return DeliverResult(
        space_type=str(item.get("spaceType") or ""),
        space_id=str(item.get("spaceId") or ""),
        success=bool(item.get("success")),
        carrier_id=str(item.get("carrierId") or ""),
        error_msg=str(item.get("errorMsg") or ""),
    )


def _recall_result(body: Json) -> RecallResult:
    failed = body.get("failedResult")
    return RecallResult(
        succeeded=_strs(body.get("successResult")),
        failed={str(k): str(v) for k, v in failed.items()} if isinstance(failed, dict) else {},
    )


def optional_int(value: object) -> int | None:
    """An integer DingTalk may send as a number or a digit string (None otherwise)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _opt_str(value: object) -> str | None:
    return str(value) if value else None


def _required_scope(body: Json) -> str:
    """The first scope of ``accessdenieddetail.requiredScopes`` ("" if absent)."""
    detail = body.get("accessdenieddetail")
    scopes = detail.get("requiredScopes") if isinstance(detail, dict) else None
    if isinstance(scopes, list) and scopes and isinstance(scopes[0], str):
        return scopes[0]
    return ""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
