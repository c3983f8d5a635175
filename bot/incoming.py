"""Typed view of a chatbot callback, parsed defensively from DingTalk's raw payload.

The SDK's ``ChatbotMessage.from_dict`` raises on odd payloads (e.g. ``msgtype`` text
without ``text``); a crash means no ACK and a redelivery loop, so we parse ourselves.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

# Longer texts are not commands; they are answered politely and not routed.
MAX_COMMAND_CHARS = 4000
_SURROGATE = re.compile("[\ud800-\udfff]")


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


def scrub_text(text: str) -> str:
    """``text`` with every lone UTF-16 surrogate replaced by U+FFFD.

    JSON allows escapes such as ``"\\ud800"`` that ``json.loads`` turns into code points
    no UTF-8 text can hold: stored or sent on, they would fail every write and every
    send. A split pair (high then low) is joined into its character.
    """
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def scrub_payload(value: Any) -> Any:
    """A decoded JSON value with :func:`scrub_text` applied to every string and key."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {scrub_payload(k): scrub_payload(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_payload(v) for v in value]
    return value


# Fields of a chatbot message never stored: the session webhook is a credential (anyone
# holding it can post into that chat until it expires), and the bot does not use it.
SECRET_FIELDS = ("sessionWebhook",)


def without_secrets(data: dict[str, Any]) -> dict[str, Any]:
    """The message as it may rest on disk (inbound rows, the journal, backups)."""
    return {k: v for k, v in data.items() if k not in SECRET_FIELDS}


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
