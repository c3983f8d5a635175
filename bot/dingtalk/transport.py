"""The transport every DingTalk call goes through: tokens (cached, single flight, one
refresh on an invalid-token answer), retries with backoff, and DingTalk's error answers
mapped to :mod:`bot.dingtalk_errors` (see the package docstring for the policy)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Literal, Self
from urllib.parse import quote

import httpx

from bot.api_scopes import scope_for, scope_in_text
from bot.clock import Clock
from bot.dingtalk.results import CallObserver, DingTalkCredentials, Json, Sleep, _Token
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

log = logging.getLogger("bot.dingtalk")

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


def chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def str_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def _as_json(response: httpx.Response) -> Json:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"result": body}


def url_segment(value: str) -> str:
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


class Transport:
    """HTTP, tokens and retries shared by every group of calls. Close with :meth:`aclose`."""

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

    async def __aenter__(self) -> Self:
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
