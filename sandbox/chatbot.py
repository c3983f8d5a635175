"""Chatbot conversations: messages users send to the bot, and sessionWebhook replies."""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
import secrets
from typing import Any

from aiohttp import web

from sandbox.errors import ControlError, OapiError, oapi_ok, read_json_object
from sandbox.files import StoredFile
from sandbox.gateway import TOPIC_BOT_MESSAGE
from sandbox.records import Session
from sandbox.state import SandboxState, state_of

SESSION_TTL_MS = 90 * 60 * 1000
USER_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MEDIA_MSGTYPES = {"picture", "audio", "video", "file"}
ALL_MSGTYPES = {"text", "richText", *MEDIA_MSGTYPES}


def check_user_id(user_id: str) -> None:
    if not USER_ID_RE.match(user_id):
        raise ControlError(400, "userId 只能包含字母、数字、下划线和连字符，长度 1-64")


def _decode(content_base64: Any) -> bytes:
    if not isinstance(content_base64, str):
        raise ControlError(400, "content_base64 必须是字符串")
    try:
        return base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ControlError(400, "content_base64 不是合法的 Base64") from exc


def store_user_file(state: SandboxState, user_id: str, name: str, content: bytes, kind: str) -> str:
    code = secrets.token_urlsafe(24)
    ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    state.user_files[code] = StoredFile(
        key=code,
        name=name,
        content=content,
        content_type=ctype,
        media_type=kind,
        created_at=state.clock.now_ms(),
        owner=user_id,
    )
    return code


def _message_body(
    state: SandboxState, user_id: str, body: dict[str, Any]
) -> tuple[str, dict[str, Any], str]:
    """(msgtype, type-specific fields, text shown in the sender's inbox)."""
    if "file" in body:
        spec = body["file"]
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise ControlError(400, "file 需要 name 和 content_base64")
        code = store_user_file(
            state, user_id, spec["name"], _decode(spec.get("content_base64")), "file"
        )
        content = {"downloadCode": code, "fileName": spec["name"]}
        return "file", {"content": content}, f"[文件] {spec['name']}"
    if "msgtype" in body:
        msgtype = body["msgtype"]
        if msgtype not in ALL_MSGTYPES:
            raise ControlError(400, f"msgtype 只能是 {', '.join(sorted(ALL_MSGTYPES))}")
        content = body.get("content", {})
        if msgtype == "text":
            return "text", {"text": content}, str(content)
        if isinstance(content, dict) and "content_base64" in content:
            content = dict(content)
            name = str(content.pop("fileName", "") or "picture.png")
            code = store_user_file(
                state, user_id, name, _decode(content.pop("content_base64")), msgtype
            )
            content["downloadCode"] = code
            if msgtype == "picture":
                content["pictureDownloadCode"] = code
            if msgtype == "file":
                content["fileName"] = name
        return msgtype, {"content": content}, f"[{msgtype}]"
    text = body.get("text")
    if not isinstance(text, str):
        raise ControlError(400, "需要 text、file 或 msgtype+content 之一")
    return "text", {"text": {"content": text}}, text


def _callback_data(
    state: SandboxState,
    base: str,
    *,
    user_id: str,
    conversation_id: str,
    conversation_type: str,
    msgtype: str,
    fields: dict[str, Any],
    omit_sender: bool,
    title: str = "",
) -> dict[str, Any]:
    now = state.clock.now_ms()
    session = secrets.token_urlsafe(24)
    state.sessions[session] = Session(
        session=session,
        conversation_id=conversation_id,
        conversation_type=conversation_type,
        sender_user_id=user_id,
        expires_at=now + SESSION_TTL_MS,
    )
    seed = state.seed
    data: dict[str, Any] = {
        "conversationId": conversation_id,
        "chatbotCorpId": seed.corp_id,
        "chatbotUserId": state.chatbot_user_id(),
        "msgId": "msg" + secrets.token_urlsafe(18).replace("-", "+").replace("_", "/") + "==",
        "senderNick": state.user_name(user_id),
        "isAdmin": False,
        "sessionWebhookExpiredTime": now + SESSION_TTL_MS,
        "createAt": now,
        "senderCorpId": seed.corp_id,
        "conversationType": conversation_type,
        "senderId": state.sender_id(user_id),
        "sessionWebhook": f"{base}/robot/sendBySession?session={session}",
        "robotCode": seed.robot_code,
        "msgtype": msgtype,
        "isInAtList": True,
        **fields,
    }
    if not omit_sender:
        data["senderStaffId"] = user_id
    if conversation_type == "2":
        data["conversationTitle"] = title
        data["atUsers"] = [{"dingtalkId": state.chatbot_user_id()}]
    return data


async def send_user_message(
    state: SandboxState, base: str, user_id: str, body: dict[str, Any]
) -> str:
    check_user_id(user_id)
    msgtype, fields, shown = _message_body(state, user_id, body)
    cid = state.single_conversation_id(user_id)
    data = _callback_data(
        state,
        base,
        user_id=user_id,
        conversation_id=cid,
        conversation_type="1",
        msgtype=msgtype,
        fields=fields,
        omit_sender=bool(body.get("omit_sender")),
    )
    state.new_item(
        user_id,
        "user_message",
        direction="out",
        conversation_id=cid,
        conversation_type="1",
        text=shown,
        source="user",
        extra={"msgtype": msgtype, "msgId": data["msgId"]},
    )
    await state.stream.push(TOPIC_BOT_MESSAGE, data)
    return str(data["msgId"])


async def send_group_message(
    state: SandboxState, base: str, conversation_id: str, body: dict[str, Any]
) -> str:
    group = state.seed.group(conversation_id)
    if group is None:
        raise ControlError(404, "群不存在")
    user_id = body.get("userId")
    text = body.get("text")
    if not isinstance(user_id, str) or not isinstance(text, str):
        raise ControlError(400, "需要 userId 和 text")
    if user_id not in group.member_ids:
        raise ControlError(403, "该用户不是群成员")
    data = _callback_data(
        state,
        base,
        user_id=user_id,
        conversation_id=conversation_id,
        conversation_type="2",
        msgtype="text",
        fields={"text": {"content": " " + text}},
        omit_sender=bool(body.get("omit_sender")),
        title=group.title,
    )
    for member in group.member_ids:
        state.new_item(
            member,
            "user_message",
            direction="out" if member == user_id else "in",
            conversation_id=conversation_id,
            conversation_type="2",
            title=group.title,
            text=text,
            source="user",
            extra={"msgtype": "text", "msgId": data["msgId"], "from": user_id},
        )
    await state.stream.push(TOPIC_BOT_MESSAGE, data)
    return str(data["msgId"])


def _reply_text(body: dict[str, Any]) -> tuple[str, str, str]:
    """(kind, title, text) of a sessionWebhook reply, validated."""
    msgtype = body.get("msgtype")
    part = body.get(str(msgtype))
    if msgtype not in ("text", "markdown", "actionCard") or not isinstance(part, dict):
        raise OapiError(40035, "不合法的参数：msgtype 仅支持 text、markdown、actionCard")
    if msgtype == "text":
        content = part.get("content")
        if not isinstance(content, str) or not content:
            raise OapiError(40035, "缺少参数 text.content")
        return "text", "", content
    title, text = part.get("title"), part.get("text")
    if not isinstance(title, str) or not isinstance(text, str) or not title or not text:
        raise OapiError(40035, f"缺少参数 {msgtype}.title 或 {msgtype}.text")
    if msgtype == "actionCard":
        single = isinstance(part.get("singleTitle"), str) and isinstance(part.get("singleURL"), str)
        btns = part.get("btns")
        if not single and not (isinstance(btns, list) and btns):
            raise OapiError(40035, "actionCard 需要 singleTitle+singleURL 或 btns")
    return msgtype, title, text


async def send_by_session(request: web.Request) -> web.Response:
    """POST /robot/sendBySession?session="""
    state = state_of(request)
    session = state.sessions.get(request.query.get("session", ""))
    if session is None or session.expires_at <= state.clock.now_ms():
        raise OapiError(300001, "session 不存在")
    body = await read_json_object(request, oapi=True)
    kind, title, text = _reply_text(body)
    if session.conversation_type == "1":
        recipients = [session.sender_user_id]
        conv_title = ""
    else:
        group = state.seed.group(session.conversation_id)
        recipients = group.member_ids if group else []
        conv_title = group.title if group else ""
    for user_id in recipients:
        state.new_item(
            user_id,
            kind,
            conversation_id=session.conversation_id,
            conversation_type=session.conversation_type,
            title=title or conv_title,
            text=text,
            source="sessionWebhook",
            msg_param=body.get(kind),
            extra={"at": body.get("at")} if body.get("at") else {},
        )
    return oapi_ok()


def register(app: web.Application) -> None:
    app.router.add_post("/robot/sendBySession", send_by_session)
