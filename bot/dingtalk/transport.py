"""The transport every DingTalk call goes through: tokens (cached, single flight, one
refresh on an invalid-token answer), retries with backoff, and DingTalk's answers read by
:mod:`bot.dingtalk.answers` (see the package docstring for the policy)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Self
from urllib.parse import quote

import httpx

from bot.api_scopes import scope_for
from bot.clock import Clock
from bot.dingtalk.answers import Retryable, TokenRefused, read_answer
from bot.dingtalk.results import CallObserver, DingTalkCredentials, Json, Sleep, _Token
from bot.dingtalk_errors import (
    DingTalkAmbiguousError,
    DingTalkAuthError,
    DingTalkError,
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


def chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def url_segment(value: str) -> str:
    return quote(value, safe="")


Files = Mapping[str, tuple[str, bytes]]


@dataclass(frozen=True)
class ApiCall:
    """One logical OpenAPI call, as the groups of calls ask for it."""

    host: Literal["api", "oapi"]
    method: str
    path: str
    auth: Literal["api", "oapi"] | None  # which token it carries (None: token/gateway calls)
    idempotent: bool  # may be sent again after the answer was lost
    json_body: Json | None = None
    params: Mapping[str, str] | None = None
    files: Files | None = None
    data: Mapping[str, str] | None = None


@dataclass(frozen=True)
class _TokenEndpoint:
    """Where a kind of token is fetched, and the names DingTalk uses on the way."""

    method: str
    path: str
    credential_names: tuple[str, str]  # app key, app secret
    answer_names: tuple[str, str]  # the token, its lifetime in seconds
    in_query: bool = False  # credentials as query parameters (else a JSON body)


_TOKEN_ENDPOINTS = {
    "api": _TokenEndpoint(
        "POST", "/v1.0/oauth2/accessToken", ("appKey", "appSecret"), ("accessToken", "expireIn")
    ),
    "oapi": _TokenEndpoint(
        "GET", "/gettoken", ("appkey", "appsecret"), ("access_token", "expires_in"), in_query=True
    ),
}


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

    async def _token(self, kind: Literal["api", "oapi"]) -> str:
        cached = self._valid_token(kind)
        if cached is not None:
            return cached
        async with self._token_locks[kind]:  # single flight: one fetch, others wait
            cached = self._valid_token(kind)
            if cached is not None:
                return cached
            value, expire_in = await self._fetch_token(kind)
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

    async def _fetch_token(self, kind: Literal["api", "oapi"]) -> tuple[str, int]:
        endpoint = _TOKEN_ENDPOINTS[kind]
        key_name, secret_name = endpoint.credential_names
        credentials = {key_name: self._creds.app_key, secret_name: self._creds.app_secret}
        body = await self._request(
            ApiCall(
                kind,
                endpoint.method,
                endpoint.path,
                auth=None,
                idempotent=True,
                json_body=None if endpoint.in_query else credentials,
                params=credentials if endpoint.in_query else None,
            )
        )
        token_name, lifetime_name = endpoint.answer_names
        token, expire_in = body.get(token_name), body.get(lifetime_name, 7200)
        if not isinstance(token, str) or not token or not isinstance(expire_in, int):
            raise DingTalkAuthError(200, "badTokenAnswer", f"no {token_name} in the answer")
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
            ApiCall("api", method, path, "api", idempotent, json_body, params)
        )

    async def _oapi(
        self,
        path: str,
        *,
        idempotent: bool,
        json_body: Json | None = None,
        params: Mapping[str, str] | None = None,
        files: Files | None = None,
        data: Mapping[str, str] | None = None,
    ) -> Json:
        call = ApiCall("oapi", "POST", path, "oapi", idempotent, json_body, params, files, data)
        return await self._request(call)

    async def _request(self, call: ApiCall) -> Json:
        """One logical call: token, retries with backoff, one refresh on a bad token."""
        refreshed = False
        attempt = 0
        while True:
            token = "" if call.auth is None else await self._token(call.auth)
            try:
                return await self._attempt(call, token)
            except TokenRefused as exc:
                if call.auth is None or refreshed:
                    raise DingTalkAuthError(
                        exc.error.status, exc.error.code, exc.error.message, exc.error.request_id
                    ) from None
                refreshed = True
                self._drop_token(call.auth, token)
                log.warning(
                    "DingTalk %s %s: token refused, refreshing once", call.method, call.path
                )
                continue
            except Retryable as exc:
                error, retry_after = exc.error, exc.retry_after
            await self._pause_before_retry(call, attempt, error, retry_after)
            attempt += 1

    async def _attempt(self, call: ApiCall, token: str) -> Json:
        """One exchange, seen by the observer (authenticated calls only); quota and
        permission refusals are logged and raised as they are."""
        observer = self._observer if call.auth is not None else None
        if observer is not None:
            observer.before_call(call.method, call.path)
        try:
            body = read_answer(call.host, await self._send(call, token))
        except (QuotaExhausted, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied) and not exc.scope:
                exc.scope = scope_for(call.method, call.path)
            log.warning("DingTalk %s %s: %s", call.method, call.path, exc.code)
            if observer is not None:
                observer.after_call(call.method, call.path, exc)
            raise
        if observer is not None:
            observer.after_call(call.method, call.path, None)
        return body

    async def _send(self, call: ApiCall, token: str) -> httpx.Response:
        """The HTTP request with its token; a network failure is retryable when nothing
        was sent or the call is idempotent, and ambiguous otherwise."""
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        query = dict(call.params or {})
        if call.auth == "api":
            headers["x-acs-dingtalk-access-token"] = token
        elif call.auth == "oapi":
            query["access_token"] = token
        url = (self._api_base if call.host == "api" else self._oapi_base) + call.path
        try:
            return await self._http.request(
                call.method,
                url,
                params=query or None,
                json=call.json_body,
                files=call.files,
                data=call.data,
                headers=headers,
                timeout=self._timeout,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            error = DingTalkUnavailableError(None, type(exc).__name__, "not connected")
            raise Retryable(error) from None
        except httpx.HTTPError as exc:  # sent, answer lost or unreadable: maybe delivered
            name = type(exc).__name__
            if not call.idempotent:
                log.warning("DingTalk %s %s: %s, delivery unknown", call.method, call.path, name)
                raise DingTalkAmbiguousError(
                    None, name, "request sent, answer lost; may have been delivered"
                ) from None
            raise Retryable(DingTalkUnavailableError(None, name, "answer lost")) from None

    async def _pause_before_retry(
        self, call: ApiCall, attempt: int, error: DingTalkError, retry_after: float | None
    ) -> None:
        """Sleeps the backoff before attempt ``attempt + 1``; raises ``error`` when the
        retries are used up."""
        if attempt >= self._max_retries:
            log.warning(
                "DingTalk %s %s failed after %d attempts: %s",
                call.method,
                call.path,
                attempt + 1,
                error,
            )
            raise error
        delay = self._backoff(attempt, retry_after)
        log.info(
            "DingTalk %s %s: %s; retry %d in %.2f s",
            call.method,
            call.path,
            error.code,
            attempt + 1,
            delay,
        )
        await self._sleep(delay)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with 'equal jitter': [d/2, d], d = base·2^attempt ≤ cap."""
        ceiling = min(self._backoff_cap, self._backoff_base * 2.0**attempt)
        delay = ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._backoff_cap))
        return delay
