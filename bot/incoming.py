"""Typed view of a chatbot callback, parsed defensively from DingTalk's raw payload.

The SDK's ``ChatbotMessage.from_dict`` raises on odd payloads (e.g. ``msgtype`` text
without ``text``); a crash means no ACK and a redelivery loop, so we parse ourselves.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

# Longer texts are not commands; they are answered politely and not routed.
MAX_COMMAND_CHARS = 4000


@dataclass(frozen=True, slots=True)
class IncomingFile:
    download_code: str
    name: str


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    msg_id: str
    msgtype: str
    text: str | None
    sender_id: str | None  # the org userId (senderStaffId)
    sender_nick: str
    conversation_id: str
    is_group: bool
    conversation_title: str
    created_ms: int
    file: IncomingFile | None
    recognition: str | None  # speech-to-text of an audio message

    @property
    def reply_target(self) -> str:
        return self.conversation_id if self.is_group else (self.sender_id or "")


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def message_key(data: dict[str, Any], frame_message_id: str | None = None) -> str:
    """The dedupe key of a chatbot message: its msgId, else a digest of the payload."""
    msg_id = _str(data.get("msgId"))
    if msg_id:
        return msg_id
    if frame_message_id:
        return f"frame:{frame_message_id}"
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return f"digest:{digest[:32]}"


def parse_incoming(data: dict[str, Any], key: str) -> IncomingMessage:
    msgtype = _str(data.get("msgtype")) or "unknown"
    content = data.get("content")
    content = content if isinstance(content, dict) else {}
    text: str | None = None
    if msgtype == "text":
        text_obj = data.get("text")
        text = _str(text_obj.get("content")) if isinstance(text_obj, dict) else ""
    elif msgtype == "richText":
        parts = content.get("richText")
        if isinstance(parts, list):
            text = "".join(_str(p.get("text")) for p in parts if isinstance(p, dict))
    file = None
    if msgtype == "file":
        file = IncomingFile(_str(content.get("downloadCode")), _str(content.get("fileName")))
    recognition = _str(content.get("recognition")) or None if msgtype == "audio" else None
    sender = _str(data.get("senderStaffId")) or None
    return IncomingMessage(
        msg_id=key,
        msgtype=msgtype,
        text=text,
        sender_id=sender,
        sender_nick=_str(data.get("senderNick")),
        conversation_id=_str(data.get("conversationId")),
        is_group=_str(data.get("conversationType")) == "2",
        conversation_title=_str(data.get("conversationTitle")),
        created_ms=_int(data.get("createAt")),
        file=file,
        recognition=recognition,
    )
