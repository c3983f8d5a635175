"""Robot OpenAPI: 1:1 and group sends, read status, recall, and received-file download."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from aiohttp import web

from sandbox.errors import ApiError, json_response, read_json_object
from sandbox.records import RobotSend
from sandbox.robot_msgs import kind_of, parse_msg, shown_text
from sandbox.state import SandboxState, base_url, state_of

MAX_OTO_USERS = 20
MAX_GROUP_PARAM_BYTES = 15000
READ_WINDOW_MS = 24 * 3600 * 1000


def _robot_code(state: SandboxState, body: dict[str, Any]) -> None:
    code = body.get("robotCode")
    if not isinstance(code, str) or not code:
        raise ApiError(400, "MissingrobotCode", "robotCode is mandatory for this action.")
    if code != state.seed.robot_code:
        raise ApiError(400, "robot.notExist", "robotCode 不存在或不属于当前应用")


def _new_pqk() -> str:
    raw = base64.b64encode(secrets.token_bytes(33)).decode()
    return raw[:6] + "+" + raw[7:20] + "/" + raw[21:] + "="


def _deliver(state: SandboxState, send: RobotSend, title_override: str = "") -> None:
    kind = kind_of(send.msg_key)
    title, text = shown_text(send.msg_key, send.msg_param)
    for user_id in send.recipients:
        if send.kind == "oto":
            cid, ctype = state.single_conversation_id(user_id), "1"
        else:
            cid, ctype = send.conversation_id, "2"
        state.new_item(
            user_id,
            kind,
            conversation_id=cid,
            conversation_type=ctype,
            title=title or title_override,
            text=text,
            msg_key=send.msg_key,
            msg_param=send.msg_param,
            process_query_key=send.process_query_key,
            source="robot",
        )


async def oto_batch_send(request: web.Request) -> web.Response:
    """POST /v1.0/robot/oToMessages/batchSend"""
    state = state_of(request)
    body = await read_json_object(request)
    _robot_code(state, body)
    user_ids = body.get("userIds")
    if not isinstance(user_ids, list) or not all(isinstance(u, str) and u for u in user_ids):
        raise ApiError(400, "param.invalid", "userIds 必须是非空字符串数组")
    if not 1 <= len(user_ids) <= MAX_OTO_USERS:
        raise ApiError(400, "param.invalid", f"userIds 数量必须在 1 到 {MAX_OTO_USERS} 之间")
    msg_key, param, _ = parse_msg(body, set(state.media))
    valid = [u for u in dict.fromkeys(user_ids) if state.seed.user(u)]
    invalid = [u for u in dict.fromkeys(user_ids) if not state.seed.user(u)]
    send = RobotSend(
        process_query_key=_new_pqk(),
        kind="oto",
        msg_key=msg_key,
        msg_param=param,
        recipients=valid,
        created_at=state.clock.now_ms(),
    )
    state.robot_sends[send.process_query_key] = send
    _deliver(state, send)
    return json_response(
        {
            "processQueryKey": send.process_query_key,
            "invalidStaffIdList": invalid,
            "flowControlledStaffIdList": [],
            "filteredStaffIdList": [],
        }
    )


async def group_send(request: web.Request) -> web.Response:
    """POST /v1.0/robot/groupMessages/send"""
    state = state_of(request)
    body = await read_json_object(request)
    _robot_code(state, body)
    group = state.seed.group(str(body.get("openConversationId", "")))
    if group is None:
        raise ApiError(400, "param.openConversationIdInvalid", "openConversationId 对应的群不存在")
    raw = body.get("msgParam")
    if isinstance(raw, str) and len(raw.encode("utf-8")) > MAX_GROUP_PARAM_BYTES:
        raise ApiError(400, "param.invalid", f"msgParam 不能超过 {MAX_GROUP_PARAM_BYTES} 字节")
    msg_key, param, _ = parse_msg(body, set(state.media))
    send = RobotSend(
        process_query_key=_new_pqk(),
        kind="group",
        msg_key=msg_key,
        msg_param=param,
        recipients=list(group.member_ids),
        conversation_id=group.conversation_id,
        created_at=state.clock.now_ms(),
    )
    state.robot_sends[send.process_query_key] = send
    _deliver(state, send, group.title)
    return json_response({"processQueryKey": send.process_query_key})


MAX_DING_USERS = 20
DING_REMIND_TYPES = {1: "应用内", 2: "短信", 3: "电话"}


async def ding_send(request: web.Request) -> web.Response:
    """POST /v1.0/robot/ding/send — robotCode, receiverUserIdList, content, remindType
    (1 in DingTalk, 2 text message, 3 phone call), all required (official SDK model
    RobotSendDingRequest). Each recipient gets an urgent item in his chat."""
    state = state_of(request)
    body = await read_json_object(request)
    _robot_code(state, body)
    users = body.get("receiverUserIdList")
    if not isinstance(users, list) or not all(isinstance(u, str) and u for u in users):
        raise ApiError(400, "param.invalid", "receiverUserIdList 必须是非空字符串数组")
    if not 1 <= len(users) <= MAX_DING_USERS:
        raise ApiError(
            400, "param.invalid", f"receiverUserIdList 数量必须在 1 到 {MAX_DING_USERS} 之间"
        )
    content = body.get("content")
    if not isinstance(content, str) or not content.strip():
        raise ApiError(400, "MissingContent", "content is mandatory for this action.")
    remind_type = body.get("remindType")
    if remind_type not in DING_REMIND_TYPES or isinstance(remind_type, bool):
        raise ApiError(400, "param.invalid", "remindType 只能是 1（应用内）、2（短信）或 3（电话）")
    ding_id = "ding" + secrets.token_hex(12)
    invalid = [u for u in dict.fromkeys(users) if not state.seed.user(u)]
    for user_id in dict.fromkeys(users):
        if user_id in invalid:
            continue
        state.new_item(
            user_id,
            "text",
            conversation_id=state.single_conversation_id(user_id),
            conversation_type="1",
            title=f"DING（{DING_REMIND_TYPES[remind_type]}）",
            text=content,
            source="ding",
            extra={"openDingId": ding_id, "remindType": remind_type},
        )
    failed = {"invalidStaffIdList": invalid} if invalid else {}
    return json_response({"openDingId": ding_id, "failedList": failed})


def _find_send(state: SandboxState, pqk: Any, kind: str) -> RobotSend:
    send = state.robot_sends.get(pqk) if isinstance(pqk, str) else None
    if send is None or send.kind != kind:
        raise ApiError(400, "param.processQueryKeyInvalid", "processQueryKey 不存在")
    if state.clock.now_ms() - send.created_at > READ_WINDOW_MS:
        raise ApiError(400, "param.processQueryKeyExpired", "只能查询 24 小时内发送的消息")
    return send


def _read_items(state: SandboxState, send: RobotSend) -> dict[str, int]:
    """userId -> read timestamp (0 = unread)."""
    out = dict.fromkeys(send.recipients, 0)
    for item in state.inboxes.find(process_query_key=send.process_query_key):
        if item.read:
            out[item.user_id] = item.read_ts
    return out


async def oto_read_status(request: web.Request) -> web.Response:
    """GET /v1.0/robot/oToMessages/readStatus?robotCode=&processQueryKey="""
    state = state_of(request)
    _robot_code(state, dict(request.query))
    send = _find_send(state, request.query.get("processQueryKey"), "oto")
    infos = [
        {
            "name": state.user_name(uid),
            "userId": uid,
            "readStatus": "READ" if ts else "UNREAD",
            "readTimestamp": ts,
        }
        for uid, ts in _read_items(state, send).items()
    ]
    return json_response({"sendStatus": "SUCCESS", "messageReadInfoList": infos})


async def group_query(request: web.Request) -> web.Response:
    """POST /v1.0/robot/groupMessages/query"""
    state = state_of(request)
    body = await read_json_object(request)
    _robot_code(state, body)
    send = _find_send(state, body.get("processQueryKey"), "group")
    if body.get("openConversationId") not in (None, send.conversation_id):
        raise ApiError(400, "param.openConversationIdInvalid", "openConversationId 与消息不匹配")
    max_results = body.get("maxResults", 200)
    if not isinstance(max_results, int) or not 1 <= max_results <= 200:
        raise ApiError(400, "param.invalid", "maxResults 必须在 1 到 200 之间")
    readers = [uid for uid, ts in _read_items(state, send).items() if ts]
    start = int(body["nextToken"]) if str(body.get("nextToken", "")).isdigit() else 0
    page = readers[start : start + max_results]
    has_more = start + max_results < len(readers)
    users = [state.seed.user(uid) for uid in page]
    return json_response(
        {
            "sendStatus": "SUCCESS",
            "readUserIds": page,
            "readUsers": [{"userId": u.user_id, "unionId": u.union_id} for u in users if u],
            "hasMore": has_more,
            "nextToken": str(start + max_results) if has_more else "",
        }
    )


def _recall(state: SandboxState, body: dict[str, Any], kind: str) -> web.Response:
    keys = body.get("processQueryKeys")
    if not isinstance(keys, list) or not keys:
        raise ApiError(
            400, "MissingprocessQueryKeys", "processQueryKeys is mandatory for this action."
        )
    success, failed = [], {}
    for key in keys:
        send = state.robot_sends.get(key) if isinstance(key, str) else None
        if (
            send is None
            or send.kind != kind
            or (kind == "group" and send.conversation_id != body.get("openConversationId"))
        ):
            failed[str(key)] = "processQueryKey 不存在"
            continue
        send.recalled = True
        for item in state.inboxes.find(process_query_key=key):
            item.recalled = True
            state.bus.publish({"type": "inbox", "userId": item.user_id, "recalled": item.id})
        success.append(key)
    return json_response({"successResult": success, "failedResult": failed})


async def oto_recall(request: web.Request) -> web.Response:
    """POST /v1.0/robot/otoMessages/batchRecall"""
    state = state_of(request)
    body = await read_json_object(request)
    _robot_code(state, body)
    return _recall(state, body, "oto")


async def group_recall(request: web.Request) -> web.Response:
    """POST /v1.0/robot/groupMessages/recall"""
    state = state_of(request)
    body = await read_json_object(request)
    _robot_code(state, body)
    if state.seed.group(str(body.get("openConversationId", ""))) is None:
        raise ApiError(400, "param.openConversationIdInvalid", "openConversationId 对应的群不存在")
    return _recall(state, body, "group")


async def message_file_download(request: web.Request) -> web.Response:
    """POST /v1.0/robot/messageFiles/download"""
    state = state_of(request)
    body = await read_json_object(request)
    _robot_code(state, body)
    stored = state.user_files.get(str(body.get("downloadCode", "")))
    if stored is None:
        raise ApiError(400, "param.downloadCodeInvalid", "downloadCode 无效")
    link = secrets.token_urlsafe(24)
    state.download_links[link] = stored
    return json_response({"downloadUrl": f"{base_url(request)}/sandbox/files/{link}"})


def register(app: web.Application) -> None:
    r = app.router
    r.add_post("/v1.0/robot/oToMessages/batchSend", oto_batch_send)
    r.add_post("/v1.0/robot/groupMessages/send", group_send)
    r.add_get("/v1.0/robot/oToMessages/readStatus", oto_read_status)
    r.add_post("/v1.0/robot/groupMessages/query", group_query)
    r.add_post("/v1.0/robot/otoMessages/batchRecall", oto_recall)
    r.add_post("/v1.0/robot/groupMessages/recall", group_recall)
    r.add_post("/v1.0/robot/messageFiles/download", message_file_download)
    r.add_post("/v1.0/robot/ding/send", ding_send)
