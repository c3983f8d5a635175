"""Work notifications (工作通知) on the legacy oapi host."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aiohttp import web

from sandbox.errors import OapiError, oapi_ok, read_json_object
from sandbox.records import WorkNotification
from sandbox.state import SandboxState, state_of

MAX_RECIPIENTS = 5000
FIELDS: dict[str, list[str]] = {
    "text": ["content"],
    "image": ["media_id"],
    "voice": ["media_id", "duration"],
    "file": ["media_id"],
    "link": ["messageUrl", "picUrl", "title", "text"],
    "markdown": ["title", "text"],
    "action_card": ["title", "markdown"],
    "oa": ["message_url", "head", "body"],
}


def _check_agent(state: SandboxState, body: dict[str, Any]) -> None:
    agent = body.get("agent_id")
    if agent is None:
        raise OapiError(40035, "缺少参数 agent_id")
    if str(agent) != str(state.seed.agent_id):
        raise OapiError(60011, "无权限：agent_id 与当前应用不匹配")


def _csv(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key)
    if value is None or value == "":
        return []
    if not isinstance(value, str):
        raise OapiError(40035, f"不合法的参数：{key} 必须是逗号分隔的字符串")
    return [v.strip() for v in value.split(",") if v.strip()]


def _check_msg(state: SandboxState, msg: Any) -> tuple[dict[str, Any], str, str]:
    """Validate ``msg``; returns (msg, title, text) for the inbox."""
    if not isinstance(msg, dict) or msg.get("msgtype") not in FIELDS:
        raise OapiError(40035, "不合法的参数：msg.msgtype 不支持")
    msgtype = msg["msgtype"]
    part = msg.get(msgtype)
    if not isinstance(part, dict):
        raise OapiError(40035, f"缺少参数 msg.{msgtype}")
    for key in FIELDS[msgtype]:
        if part.get(key) in (None, ""):
            raise OapiError(40035, f"缺少参数 msg.{msgtype}.{key}")
    if "media_id" in part and part["media_id"] not in state.media:
        raise OapiError(40035, "不合法的参数：media_id 不存在")
    if msgtype == "action_card":
        single = part.get("single_title") and part.get("single_url")
        btns = part.get("btn_json_list")
        ok_btns = (
            isinstance(btns, list)
            and btns
            and all(isinstance(b, dict) and b.get("title") and b.get("action_url") for b in btns)
        )
        if not single and not ok_btns:
            raise OapiError(
                40035,
                "action_card 需要 single_title+single_url 或 btn_json_list[{title,action_url}]",
            )
        return msg, str(part["title"]), str(part["markdown"])
    if msgtype == "text":
        return msg, "", str(part["content"])
    if msgtype == "oa":
        head = part.get("head") or {}
        body = part.get("body") or {}
        return msg, str(head.get("text", "")), str(body.get("content", body.get("title", "")))
    return msg, str(part.get("title", "")), str(part.get("text", f"[{msgtype}]"))


async def asyncsend_v2(request: web.Request) -> web.Response:
    """POST /topapi/message/corpconversation/asyncsend_v2"""
    state = state_of(request)
    body = await read_json_object(request, oapi=True)
    _check_agent(state, body)
    users = _csv(body, "userid_list")
    dept_ids = _csv(body, "dept_id_list")
    to_all = body.get("to_all_user") is True
    if not users and not dept_ids and not to_all:
        raise OapiError(40035, "缺少参数：userid_list、dept_id_list、to_all_user 至少填一个")
    if len(users) > MAX_RECIPIENTS:
        raise OapiError(40035, f"不合法的参数：userid_list 最多 {MAX_RECIPIENTS} 人")
    msg = body.get("msg")
    if isinstance(msg, str):
        try:
            msg = json.loads(msg)
        except ValueError as exc:
            raise OapiError(40035, "不合法的参数：msg 不是合法的 JSON") from exc
    msg, title, text = _check_msg(state, msg)
    known_depts = {u.dept_id for u in state.seed.users}
    invalid_depts = [
        int(d) if d.isdigit() else -1
        for d in dept_ids
        if not d.isdigit() or int(d) not in known_depts
    ]
    targets = list(dict.fromkeys(users))
    for d in dept_ids:
        if d.isdigit():
            targets += [u.user_id for u in state.seed.users if u.dept_id == int(d)]
    if to_all:
        targets += [u.user_id for u in state.seed.users]
    targets = list(dict.fromkeys(targets))
    invalid = [u for u in targets if state.seed.user(u) is None]
    digest = hashlib.sha256(json.dumps(msg, sort_keys=True).encode()).hexdigest()
    day = state.clock.now().date().isoformat()
    forbidden, recipients = [], []
    for uid in targets:
        if uid in invalid:
            continue
        if (day, uid, digest) in state.notified_today:
            forbidden.append(uid)
            continue
        state.notified_today.add((day, uid, digest))
        recipients.append(uid)
    note = WorkNotification(
        task_id=state.new_task_id(),
        msg=msg,
        recipients=recipients,
        invalid_user_ids=invalid,
        forbidden_user_ids=forbidden,
        invalid_dept_ids=invalid_depts,
        created_at=state.clock.now_ms(),
    )
    state.notifications[note.task_id] = note
    for uid in recipients:
        state.new_item(
            uid,
            "work_notification",
            title=title,
            text=text,
            msg_key=msg["msgtype"],
            msg_param=msg,
            task_id=note.task_id,
            source="work_notification",
        )
    return oapi_ok(task_id=note.task_id)


def _note(state: SandboxState, body: dict[str, Any], key: str = "task_id") -> WorkNotification:
    _check_agent(state, body)
    task_id = body.get(key)
    note = state.notifications.get(int(str(task_id))) if str(task_id).isdigit() else None
    if note is None:
        raise OapiError(40035, f"不合法的参数：{key} 不存在")
    return note


async def get_send_result(request: web.Request) -> web.Response:
    """POST /topapi/message/corpconversation/getsendresult"""
    state = state_of(request)
    note = _note(state, await read_json_object(request, oapi=True))
    read = {i.user_id for i in state.inboxes.find(task_id=note.task_id) if i.read}
    return oapi_ok(
        send_result={
            "invalid_user_id_list": note.invalid_user_ids,
            "forbidden_user_id_list": note.forbidden_user_ids,
            "failed_user_id_list": [],
            "read_user_id_list": [u for u in note.recipients if u in read],
            "unread_user_id_list": [u for u in note.recipients if u not in read],
            "invalid_dept_id_list": note.invalid_dept_ids,
            "forbidden_list": [
                {"code": "143106", "count": 1, "userid": u} for u in note.forbidden_user_ids
            ],
        }
    )


async def get_send_progress(request: web.Request) -> web.Response:
    """POST /topapi/message/corpconversation/getsendprogress"""
    state = state_of(request)
    _note(state, await read_json_object(request, oapi=True))
    return oapi_ok(progress={"progress_in_percent": 100, "status": 2})


async def recall(request: web.Request) -> web.Response:
    """POST /topapi/message/corpconversation/recall"""
    state = state_of(request)
    note = _note(state, await read_json_object(request, oapi=True), "msg_task_id")
    note.recalled = True
    for item in state.inboxes.find(task_id=note.task_id):
        item.recalled = True
        state.bus.publish({"type": "inbox", "userId": item.user_id, "recalled": item.id})
    return oapi_ok()


def register(app: web.Application) -> None:
    base = "/topapi/message/corpconversation/"
    app.router.add_post(base + "asyncsend_v2", asyncsend_v2)
    app.router.add_post(base + "getsendresult", get_send_result)
    app.router.add_post(base + "getsendprogress", get_send_progress)
    app.router.add_post(base + "recall", recall)
