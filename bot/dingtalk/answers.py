"""Reading DingTalk's answers: the JSON body of a good one, and for the error shapes of
the new API (HTTP status + ``code``) and of oapi (``errcode``, or a gateway errcode 88
with the real code in ``sub_code``) the exception the transport acts on: retry, refresh
the token once, or raise one of :mod:`bot.dingtalk_errors` to the caller."""

from __future__ import annotations

import httpx

from bot import dingtalk_errors as errors
from bot.api_scopes import scope_in_text
from bot.dingtalk.results import Json

# New API: these codes (any status) mean "the token is bad" → refresh once and retry.
_INVALID_TOKEN_CODES = frozenset({"InvalidAuthentication"})
# New API: credential/permission problems that a retry will not fix.
AUTH_CODE_PREFIXES = ("invalidClientIdOrSecret", "AuthenticationFailed", "Forbidden.AccessDenied")
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


class Retryable(Exception):
    """This attempt failed in a way another attempt may not (throttled, busy, no
    connection); ``retry_after`` is DingTalk's hint in seconds, if it gave one."""

    def __init__(self, error: errors.DingTalkError, retry_after: float | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.retry_after = retry_after


class TokenRefused(Exception):
    """DingTalk refused the access token: fetch a new one, once."""

    def __init__(self, error: errors.DingTalkError) -> None:
        super().__init__(error)
        self.error = error


def read_answer(host: str, response: httpx.Response) -> Json:
    """Return the JSON body of a good answer; raise for the error shapes."""
    body = _as_json(response)
    status = response.status_code
    if host == "oapi" and status < 400:
        return _read_oapi_answer(status, body)
    request_id = response.headers.get("x-acs-request-id") or optional_str(body.get("requestid"))
    if 200 <= status < 300:
        return body
    code = str(body.get("code") or f"HTTP{status}")
    message = str(body.get("message") or response.reason_phrase)
    if status == 401 or code in _INVALID_TOKEN_CODES:
        raise TokenRefused(errors.DingTalkAuthError(status, code, message, request_id))
    if status == 429 or code in _QPS_CODES:
        raise Retryable(
            errors.DingTalkRateLimitedError(status, code, message, request_id),
            _retry_after(response),
        )
    if code == _QUOTA_CODE:
        raise errors.QuotaExhausted(status, code, message, request_id)
    if code == _PERMISSION_CODE:
        scope = _required_scope(body) or scope_in_text(message)
        raise errors.PermissionDenied(status, code, message, request_id, scope=scope)
    if status >= 500:
        raise Retryable(errors.DingTalkUnavailableError(status, code, message, request_id))
    if status == 403 or code.startswith(AUTH_CODE_PREFIXES):
        raise errors.DingTalkAuthError(status, code, message, request_id)
    raise errors.DingTalkRejectedError(status, code, message, request_id)


def _read_oapi_answer(status: int, body: Json) -> Json:
    errcode = body.get("errcode", 0)
    if errcode in (0, None):
        return body
    request_id = optional_str(body.get("request_id"))
    message = str(body.get("errmsg") or "")
    sub_code = str(body.get("sub_code") or "")
    code = str(errcode)
    if errcode == 88 and sub_code:  # topapi gateway error: the real code is sub_code
        code = sub_code
        message = str(body.get("sub_msg") or message)
    if errcode in _OAPI_INVALID_TOKEN or (errcode == 88 and sub_code in ("40014", "42001")):
        raise TokenRefused(errors.DingTalkAuthError(status, code, message, request_id))
    if errcode in _OAPI_RATE_LIMITED:
        raise Retryable(errors.DingTalkRateLimitedError(status, code, message, request_id))
    if errcode in _OAPI_BUSY:
        raise Retryable(errors.DingTalkUnavailableError(status, code, message, request_id))
    if errcode == _OAPI_QUOTA:
        raise errors.QuotaExhausted(status, code, message, request_id)
    if errcode == _OAPI_NO_PERMISSION:
        scope = scope_in_text(message)
        raise errors.PermissionDenied(status, code, message, request_id, scope=scope)
    if errcode in _OAPI_AUTH:
        raise errors.DingTalkAuthError(status, code, message, request_id)
    raise errors.DingTalkRejectedError(status, code, message, request_id)


def _as_json(response: httpx.Response) -> Json:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"result": body}


def optional_str(value: object) -> str | None:
    return str(value) if value else None


def str_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def optional_int(value: object) -> int | None:
    """An integer DingTalk may send as a number or a digit string (None otherwise)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


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
