"""DingTalk-shaped error responses.

New API (``/v1.0/...``): non-2xx + ``{"code","message","requestid"}``.
Legacy oapi: HTTP 200 + ``{"errcode","errmsg"}``.
Control API (``/sandbox/...``): ``{"error": "<中文说明>"}``.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from aiohttp import web

JSON_CT = "application/json;charset=utf-8"
# UTF-16 surrogate code points: in a decoded str they are always lone (json.loads joins
# escaped pairs), and no UTF-8 text can hold them.
_SURROGATE = re.compile("[\ud800-\udfff]")
# How deep JSON held in string fields (msgParam, msg, card params) is looked into.
_NESTED_DEPTH = 3


def request_id() -> str:
    return uuid.uuid4().hex.upper()[:24]


class ApiError(Exception):
    """An error of the new API host."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def response(self) -> web.Response:
        rid = request_id()
        body = {"code": self.code, "message": self.message, "requestid": rid, **self.extra}
        return json_response(body, status=self.status, headers={"x-acs-request-id": rid})


class OapiError(Exception):
    """An error of the legacy oapi host (always HTTP 200)."""

    def __init__(self, errcode: int, errmsg: str, **extra: Any) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.extra = extra

    def response(self) -> web.Response:
        body = {"errcode": self.errcode, "errmsg": self.errmsg, **self.extra}
        body["request_id"] = request_id()
        return json_response(body)


class ControlError(Exception):
    """An error of the sandbox control API."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> web.Response:
        return json_response({"error": self.message}, status=self.status)


def param_error(message: str, code: str = "param.invalid") -> ApiError:
    return ApiError(400, code, message)


def scrub(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD (split pairs are joined)."""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def scrub_value(value: Any) -> Any:
    """A JSON-like value with :func:`scrub` applied to every string and key."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub_value(k): scrub_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_value(v) for v in value]
    return value


def lone_surrogate_at(value: Any, *, nested: bool = False, path: str = "") -> str | None:
    """Where in a decoded JSON value a lone UTF-16 surrogate sits (``"msgParam.content"``,
    ``"userIds[1]"``; ``"$"`` for the top level), or None.

    With ``nested``, strings that hold JSON themselves (DingTalk's ``msgParam``, ``msg``
    and card parameters are JSON strings) are decoded and searched too: their
    ``"\\ud800"`` escapes only turn into surrogates there.
    """
    return _find_surrogate(value, _NESTED_DEPTH if nested else 0, path)


def _find_surrogate(value: Any, depth: int, path: str) -> str | None:
    if isinstance(value, str):
        if _SURROGATE.search(value) is not None:
            return path or "$"
        if depth > 0 and value.lstrip()[:1] in ("{", "[") and "\\u" in value:
            try:
                inner = json.loads(value)
            except ValueError:
                return None
            return _find_surrogate(inner, depth - 1, path)
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _SURROGATE.search(key) is not None:
                return scrub(where)
            found = _find_surrogate(item, depth, where)
            if found is not None:
                return scrub(found)
        return None
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _find_surrogate(item, depth, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    text = json.dumps(body, ensure_ascii=False)
    # Defence in depth: a lone surrogate that got stored anyway must not turn every later
    # answer (an inbox, the call log) into a 500; it is shown as U+FFFD.
    return web.Response(
        text=scrub(text),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def oapi_ok(**fields: Any) -> web.Response:
    return json_response({"errcode": 0, "errmsg": "ok", **fields, "request_id": request_id()})


async def read_json_object(request: web.Request, *, oapi: bool = False) -> dict[str, Any]:
    """The request body as a JSON object, or a host-appropriate error."""
    raw = await request.read()
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    if not isinstance(body, dict):
        if oapi:
            raise OapiError(40035, "不合法的参数：请求体必须是 JSON 对象")
        raise ApiError(400, "InvalidParameter.JsonFormat", "请求体必须是 JSON 对象")
    where = lone_surrogate_at(body, nested=True)
    if where is not None:
        # DingTalk refuses text that is not valid Unicode rather than store it.
        message = f"不合法的参数：{where} 含有不合法的字符（孤立的 UTF-16 代理项）"
        if oapi:
            raise OapiError(40035, message)
        raise param_error(message)
    return body


async def read_control_json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        body = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ControlError(400, "请求体不是合法的 JSON") from exc
    if not isinstance(body, dict):
        raise ControlError(400, "请求体必须是 JSON 对象")
    where = lone_surrogate_at(body)
    if where is not None:
        detail = "含有不合法的字符（孤立的 UTF-16 代理项，如 \\ud800），钉钉不接受这样的文字"
        raise ControlError(400, f"{where} {detail}")
    return body
