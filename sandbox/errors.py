"""DingTalk-shaped error responses.

New API (``/v1.0/...``): non-2xx + ``{"code","message","requestid"}``.
Legacy oapi: HTTP 200 + ``{"errcode","errmsg"}``.
Control API (``/sandbox/...``): ``{"error": "<中文说明>"}``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

JSON_CT = "application/json;charset=utf-8"


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


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False),
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
    return body


async def read_control_json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    try:
        body = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ControlError(400, "请求体不是合法的 JSON") from exc
    if not isinstance(body, dict):
        raise ControlError(400, "请求体必须是 JSON 对象")
    return body
