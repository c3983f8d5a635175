"""Control API (``/sandbox/...``): drive users, inspect inboxes and calls, move time,
inject faults, set the monthly call quota and the app's permission scopes."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from aiohttp import web

from sandbox.chatbot import check_user_id, send_group_message, send_user_message
from sandbox.clock import ClockError
from sandbox.errors import ControlError, json_response, read_control_json
from sandbox.inbox import InboxItem
from sandbox.permissions import PERMISSIONS, Permissions
from sandbox.quota import LIMITS, ApiLimits
from sandbox.state import SandboxState, base_url, state_of

SSE_KEEPALIVE_S = 15.0


async def directory(request: web.Request) -> web.Response:
    state = state_of(request)
    return json_response(
        [
            {
                "userId": u.user_id,
                "name": u.name,
                "unit": u.unit,
                "roles": u.roles,
                "unionId": u.union_id,
                "title": u.title,
            }
            for u in state.seed.users
        ]
    )


async def user_message(request: web.Request) -> web.Response:
    state = state_of(request)
    body = await read_control_json(request)
    msg_id = await send_user_message(state, base_url(request), request.match_info["user_id"], body)
    return json_response({"msgId": msg_id})


async def group_message(request: web.Request) -> web.Response:
    state = state_of(request)
    body = await read_control_json(request)
    msg_id = await send_group_message(
        state, base_url(request), request.match_info["conversation_id"], body
    )
    return json_response({"msgId": msg_id})


def render_item(state: SandboxState, item: InboxItem) -> dict[str, Any]:
    out = item.to_dict()
    if item.out_track_id:
        card = state.cards.get(item.out_track_id)
        if card is not None:
            user = state.seed.user(item.user_id)
            key = user.union_id if card.user_id_type == 2 and user else item.user_id
            out["cardData"] = card.data_for(key)
            out["cardVersion"] = card.version
            template = state.template(card.template_id)
            if template is not None:  # drawn as DingTalk would, from the template
                out["cardView"] = template.render(out["cardData"])[0]
    if item.todo_id:
        todo = state.todos.get(item.todo_id)
        if todo is not None:
            out["todo"] = todo.view()
    return out


async def inbox(request: web.Request) -> web.Response:
    state = state_of(request)
    user_id = request.match_info["user_id"]
    check_user_id(user_id)
    return json_response([render_item(state, i) for i in state.inboxes.of(user_id)])


async def mark_read(request: web.Request) -> web.Response:
    state = state_of(request)
    body = await read_control_json(request)
    ids = body.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ControlError(400, "ids 必须是字符串数组")
    marked = state.mark_read(request.match_info["user_id"], ids)
    return json_response({"marked": marked})


async def calls(request: web.Request) -> web.Response:
    return json_response(state_of(request).calls)


async def clear_calls(request: web.Request) -> web.Response:
    state_of(request).calls.clear()
    return json_response({"cleared": True})


async def get_faults(request: web.Request) -> web.Response:
    limits = request.app[LIMITS]
    return json_response(
        {**state_of(request).faults.to_dict(), "qps_limit_next": limits.qps_limit_next}
    )


def _count(body: dict[str, Any], key: str) -> int:
    value = body[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ControlError(400, f"{key} 必须是非负整数")
    return value


async def set_faults(request: web.Request) -> web.Response:
    state = state_of(request)
    body = await read_control_json(request)
    known = {
        "drop_stream",
        "duplicate_next",
        "fail_next",
        "status",
        "expire_tokens",
        "qps_limit_next",
        "stall_next",
        "stall_s",
    }
    unknown = set(body) - known
    if unknown:
        raise ControlError(400, f"未知的故障类型：{', '.join(sorted(unknown))}")
    actions: dict[str, Any] = {}
    if "fail_next" in body:
        status = body.get("status", 500)
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise ControlError(400, "status 必须是 400-599 之间的整数")
        state.faults.fail_next = _count(body, "fail_next")
        state.faults.fail_status = status
    if "duplicate_next" in body:
        state.faults.duplicate_next = _count(body, "duplicate_next")
    if "stall_next" in body:
        stall_s = body.get("stall_s", 30)
        if (
            not isinstance(stall_s, int | float)
            or isinstance(stall_s, bool)
            or not 0 < stall_s <= 600
        ):
            raise ControlError(400, "stall_s 必须是 0 到 600 之间的秒数")
        state.faults.stall_next = _count(body, "stall_next")
        state.faults.stall_s = float(stall_s)
    limits = request.app[LIMITS]
    if "qps_limit_next" in body:
        limits.qps_limit_next = _count(body, "qps_limit_next")
    if body.get("expire_tokens") is True:
        state.tokens.expire_all()
        actions["tokens_expired"] = True
    if body.get("drop_stream") is True:
        actions["dropped_connections"] = state.stream.drop_all()
    return json_response(
        {**state.faults.to_dict(), "qps_limit_next": limits.qps_limit_next, **actions}
    )


async def get_quota(request: web.Request) -> web.Response:
    return json_response(request.app[LIMITS].view(state_of(request).clock.now()))


async def set_quota(request: web.Request) -> web.Response:
    """``{"monthly_limit": N, "used": M, "qps_per_api": Q}`` (any of them); ``used`` sets
    the count of the current month of the sandbox clock."""
    state = state_of(request)
    limits = request.app[LIMITS]
    body = await read_control_json(request)
    unknown = set(body) - {"monthly_limit", "used", "qps_per_api"}
    if unknown:
        raise ControlError(400, f"未知的额度设置：{', '.join(sorted(unknown))}")
    if "qps_per_api" in body:
        qps = _count(body, "qps_per_api")
        if qps < 1:
            raise ControlError(400, "qps_per_api 至少为 1")
        limits.qps_per_api = qps
    if "monthly_limit" in body:
        limits.monthly_limit = _count(body, "monthly_limit")
    now = state.clock.now()
    if "used" in body:
        limits.used[now.strftime("%Y-%m")] = _count(body, "used")
    return json_response(limits.view(now))


async def get_permissions(request: web.Request) -> web.Response:
    return json_response(request.app[PERMISSIONS].view())


async def set_permissions(request: web.Request) -> web.Response:
    """``{"revoke": [scope, ...], "grant": [scope, ...]}``; answers like GET."""
    permissions = request.app[PERMISSIONS]
    body = await read_control_json(request)
    unknown = set(body) - {"revoke", "grant"}
    if unknown:
        raise ControlError(400, f"未知的字段：{', '.join(sorted(unknown))}")
    lists: dict[str, list[str]] = {}
    for key in ("revoke", "grant"):
        value = body.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ControlError(400, f"{key} 必须是权限点名称的数组")
        lists[key] = value
    try:
        permissions.change(lists["revoke"], lists["grant"])
    except ValueError as exc:
        raise ControlError(400, f"未知的权限点：{exc}") from exc
    return json_response(permissions.view())


async def get_clock(request: web.Request) -> web.Response:
    state = state_of(request)
    done = request.query.get("done")
    if done is not None:  # the bot's clock follower reporting how far it has caught up
        if not done.isdigit():
            raise ControlError(400, "done 必须是非负整数")
        state.clock.note_follower(int(done))
    return json_response(state.clock_view())


async def set_clock(request: web.Request) -> web.Response:
    state = state_of(request)
    body = await read_control_json(request)
    try:
        if "advance_seconds" in body:
            seconds = body["advance_seconds"]
            if not isinstance(seconds, int | float) or isinstance(seconds, bool):
                raise ControlError(400, "advance_seconds 必须是数字")
            state.clock.advance(float(seconds))
        elif "set" in body:
            if not isinstance(body["set"], str):
                raise ControlError(400, "set 必须是 ISO 时间字符串")
            try:
                moment = datetime.fromisoformat(body["set"])
            except ValueError as exc:
                raise ControlError(400, "set 不是合法的 ISO 时间") from exc
            state.clock.set(moment)
        else:
            raise ControlError(400, "需要 advance_seconds 或 set")
    except ClockError as exc:
        raise ControlError(400, str(exc)) from exc
    view = state.clock_view()
    state.bus.publish({"type": "clock", **view})
    return json_response(view)


async def stream_raw(request: web.Request) -> web.Response:
    state = state_of(request)
    body = await read_control_json(request)
    text = body.get("text")
    if not isinstance(text, str):
        raise ControlError(400, "需要 text")
    conn = await state.stream.send_raw(text)
    if conn is None:
        raise ControlError(409, "当前没有打开的 Stream 连接")
    return json_response({"sent": True, "connectionId": conn})


async def stream_disconnect(request: web.Request) -> web.Response:
    state = state_of(request)
    body = await read_control_json(request)
    delay = body.get("close_after_s", 10.0)
    if not isinstance(delay, int | float) or delay < 0:
        raise ControlError(400, "close_after_s 必须是非负数")
    count = await state.stream.disconnect_all(float(delay))
    return json_response({"disconnected": count})


async def stream_status(request: web.Request) -> web.Response:
    return json_response(state_of(request).stream.status())


async def stream_log(request: web.Request) -> web.Response:
    return json_response(list(state_of(request).stream.log))


async def events(request: web.Request) -> web.StreamResponse:
    bus = state_of(request).bus
    resp = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await resp.prepare(request)
    queue = bus.subscribe()
    try:
        await resp.write(b": connected\n\n")
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), SSE_KEEPALIVE_S)
            except TimeoutError:
                await resp.write(b": keepalive\n\n")
                continue
            if bus.is_closed(event):
                break
            await resp.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
    except ConnectionResetError:
        pass
    finally:
        bus.unsubscribe(queue)
    return resp


def register(app: web.Application) -> None:
    app[LIMITS] = ApiLimits()
    app[PERMISSIONS] = Permissions()
    r = app.router
    r.add_get("/sandbox/directory", directory)
    r.add_post("/sandbox/users/{user_id}/messages", user_message)
    r.add_get("/sandbox/users/{user_id}/inbox", inbox)
    r.add_post("/sandbox/users/{user_id}/read", mark_read)
    r.add_post("/sandbox/groups/{conversation_id}/messages", group_message)
    r.add_get("/sandbox/calls", calls)
    r.add_delete("/sandbox/calls", clear_calls)
    r.add_get("/sandbox/faults", get_faults)
    r.add_post("/sandbox/faults", set_faults)
    r.add_get("/sandbox/clock", get_clock)
    r.add_post("/sandbox/clock", set_clock)
    r.add_post("/sandbox/stream/raw", stream_raw)
    r.add_post("/sandbox/stream/disconnect", stream_disconnect)
    r.add_get("/sandbox/stream/status", stream_status)
    r.add_get("/sandbox/stream/log", stream_log)
    r.add_get("/sandbox/events", events)
    r.add_get("/sandbox/quota", get_quota)
    r.add_post("/sandbox/quota", set_quota)
    r.add_get("/sandbox/permissions", get_permissions)
    r.add_post("/sandbox/permissions", set_permissions)
