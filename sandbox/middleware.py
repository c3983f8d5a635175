"""One middleware for every request: routing errors, faults, auth, metering (monthly quota,
QPS, permission scopes: sandbox/quota.py, sandbox/permissions.py), error shapes, call log."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox.auth import check_new_api, check_oapi
from sandbox.errors import ApiError, ControlError, OapiError
from sandbox.permissions import PERMISSIONS
from sandbox.quota import LIMITS
from sandbox.state import MAX_CALLS, UPLOAD_INFO, SandboxState, state_of

log = logging.getLogger("sandbox.api")

NO_AUTH = {
    "/v1.0/oauth2/accessToken",
    "/v1.0/gateway/connections/open",
    "/gettoken",
    "/robot/sendBySession",  # authorised by its session parameter
}
SECRET_FIELDS = {"appSecret", "clientSecret"}
NO_FAULT = {"/v1.0/oauth2/accessToken", "/gettoken", "/v1.0/gateway/connections/open"}


# Paths that are not DingTalk APIs: control API, stream socket, and anything a web
# console may mount (static files). They are neither authenticated nor recorded.
CONTROL_PREFIXES = ("/sandbox", "/console", "/static")
CONTROL_PATHS = {"/", "/connect", "/favicon.ico"}


def _is_control(path: str) -> bool:
    return path in CONTROL_PATHS or path.startswith(CONTROL_PREFIXES)


@web.middleware
async def sandbox_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if _is_control(request.path):
        return await _control(request, handler)
    state = state_of(request)
    oapi = not request.path.startswith("/v1.0/")
    body = await _body_for_log(request)
    response = await _dispatch(request, handler, state, oapi)
    _record(state, request, body, response)
    return response


async def _control(request: web.Request, handler: Handler) -> web.StreamResponse:
    if getattr(request.match_info, "http_exception", None) is not None:
        return ControlError(404, f"沙盒控制接口不存在：{request.method} {request.path}").response()
    try:
        return await handler(request)
    except ControlError as exc:
        return exc.response()
    except ApiError as exc:
        return ControlError(exc.status, exc.message).response()


async def _dispatch(
    request: web.Request, handler: Handler, state: SandboxState, oapi: bool
) -> web.StreamResponse:
    if getattr(request.match_info, "http_exception", None) is not None:
        if oapi:
            return OapiError(22, "不存在的API：" + request.path).response()
        return ApiError(404, "InvalidAction.NotFound", "Specified api is not found").response()
    if request.path not in NO_FAULT:
        failure = state.faults.take_failure(oapi)
        if failure is not None:
            return failure
    try:
        if request.path not in NO_AUTH:
            if oapi:
                check_oapi(request, state)
            else:
                check_new_api(request, state)
            refused = _metered(request, state, oapi)
            if refused is not None:
                return refused
        response = await handler(request)
        stall = state.faults.take_stall() if request.path not in NO_FAULT else 0.0
        if stall:
            await asyncio.sleep(stall)  # done, but the caller hears nothing yet
        return response
    except (ApiError, OapiError) as exc:
        return exc.response()
    except Exception:
        log.exception("sandbox handler failed for %s", request.path)
        if oapi:
            return OapiError(-1, "系统繁忙").response()
        return ApiError(500, "system.busy", "系统繁忙，请稍后重试").response()


def _metered(request: web.Request, state: SandboxState, oapi: bool) -> web.Response | None:
    """QPS limit and monthly quota (counting the call), then the permission scope."""
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else request.path
    limits = request.app.get(LIMITS)
    if limits is not None:
        refused = limits.admit(route, oapi, state.clock.now())
        if refused is not None:
            return refused
    permissions = request.app.get(PERMISSIONS)
    if permissions is not None:
        return permissions.refusal(request.method, route, oapi)
    return None


async def _body_for_log(request: web.Request) -> Any:
    if request.content_type.startswith("multipart/"):
        return {"multipart": True, "contentLength": request.content_length}
    raw = await request.read()
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text[:20000]


def _record(
    state: SandboxState, request: web.Request, body: Any, response: web.StreamResponse
) -> None:
    query = {k: ("***" if k == "access_token" else v) for k, v in request.query.items()}
    parsed: Any = None
    if isinstance(response, web.Response) and response.text is not None:
        try:
            parsed = json.loads(response.text)
        except ValueError:
            parsed = response.text[:2000]
    if isinstance(body, dict):
        body = {k: ("***" if k in SECRET_FIELDS else v) for k, v in body.items()}
    if isinstance(body, dict) and body.get("multipart") and UPLOAD_INFO in request:
        info: dict[str, Any] = request[UPLOAD_INFO]
        body = {**body, **info}
    entry = {
        "id": state.next_seq(),
        "ts": state.clock.now_ms(),
        "method": request.method,
        "path": request.path,
        "query": query,
        "body": body,
        "status": response.status,
        "response": parsed,
    }
    state.calls.append(entry)
    if len(state.calls) > MAX_CALLS:
        del state.calls[: len(state.calls) - MAX_CALLS]
    state.bus.publish(
        {
            "type": "call",
            "id": entry["id"],
            "method": request.method,
            "path": request.path,
            "status": response.status,
        }
    )
