"""Access tokens: the two token endpoints and the checks every API call passes."""

from __future__ import annotations

import json

from aiohttp import web

from sandbox.errors import ApiError, OapiError, json_response, oapi_ok
from sandbox.state import SandboxState, state_of

TOKEN_HEADER = "x-acs-dingtalk-access-token"  # noqa: S105 - a header name


async def new_api_token(request: web.Request) -> web.Response:
    """POST /v1.0/oauth2/accessToken (JSON body only)."""
    state = state_of(request)
    if request.content_type != "application/json":
        raise ApiError(400, "MissingappKey", "appKey is mandatory for this action.")
    raw = await request.read()
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, "InvalidParameter.JsonFormat", "请求体必须是 JSON 对象") from exc
    if not isinstance(body, dict) or not body.get("appKey"):
        raise ApiError(400, "MissingappKey", "appKey is mandatory for this action.")
    if not body.get("appSecret"):
        raise ApiError(400, "MissingappSecret", "appSecret is mandatory for this action.")
    if body["appKey"] != state.seed.app_key or body["appSecret"] != state.seed.app_secret:
        raise ApiError(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
    token, expire_in = state.tokens.issue()
    return json_response({"accessToken": token, "expireIn": expire_in})


async def oapi_token(request: web.Request) -> web.Response:
    """GET /gettoken?appkey=&appsecret="""
    state = state_of(request)
    key = request.query.get("appkey", "")
    secret = request.query.get("appsecret", "")
    if not key or not secret:
        raise OapiError(40035, "缺少参数 appkey 或 appsecret")
    if key != state.seed.app_key or secret != state.seed.app_secret:
        raise OapiError(40096, "不合法的appKey或appSecret")
    token, expire_in = state.tokens.issue()
    return oapi_ok(access_token=token, expires_in=expire_in)


def check_new_api(request: web.Request, state: SandboxState) -> None:
    token = request.headers.get(TOKEN_HEADER)
    if token is None or token == "":
        raise ApiError(
            400, "AuthenticationFailed.MissingParameter", "缺少 x-acs-dingtalk-access-token 请求头"
        )
    if not state.tokens.is_valid(token):
        raise ApiError(400, "InvalidAuthentication", "不合法的access_token")


def check_oapi(request: web.Request, state: SandboxState) -> None:
    token = request.query.get("access_token", "")
    if state.tokens.is_valid(token):
        return
    if request.path.startswith("/topapi/"):
        raise OapiError(
            88,
            "ding talk error[subcode=40014,submsg=不合法的access_token]",
            sub_code="40014",
            sub_msg="不合法的access_token",
        )
    raise OapiError(40014, "不合法的access_token")


def register(app: web.Application) -> None:
    app.router.add_post("/v1.0/oauth2/accessToken", new_api_token)
    app.router.add_get("/gettoken", oapi_token)
