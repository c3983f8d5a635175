"""Robot message templates (msgKey) and the keys each one requires in msgParam."""

from __future__ import annotations

import json
from typing import Any

from sandbox.errors import ApiError

REQUIRED: dict[str, list[str | tuple[str, ...]]] = {
    "sampleText": ["content"],
    "sampleMarkdown": ["title", "text"],
    "sampleImageMsg": ["photoURL"],
    "sampleLink": ["text", "title", "picUrl", "messageUrl"],
    "sampleActionCard": ["title", "text", "singleTitle", "singleURL"],
    "sampleActionCard6": [
        "title",
        "text",
        "buttonTitle1",
        ("buttonUrl1", "buttonURL1"),
        "buttonTitle2",
        ("buttonUrl2", "buttonURL2"),
    ],
    "sampleFile": ["mediaId", "fileName", "fileType"],
    "sampleAudio": ["mediaId", "duration"],
    "sampleVideo": ["duration", "videoMediaId", "videoType", "picMediaId"],
}
for _n in range(2, 6):
    _keys: list[str | tuple[str, ...]] = ["title", "text"]
    REQUIRED[f"sampleActionCard{_n}"] = _keys + [
        k for i in range(1, _n + 1) for k in (f"actionTitle{i}", f"actionURL{i}")
    ]

MEDIA_KEYS = {"sampleFile": "mediaId", "sampleAudio": "mediaId", "sampleVideo": "videoMediaId"}


def kind_of(msg_key: str) -> str:
    if msg_key.startswith("sampleActionCard"):
        return "actionCard"
    return {
        "sampleText": "text",
        "sampleMarkdown": "markdown",
        "sampleImageMsg": "image",
        "sampleLink": "link",
    }.get(msg_key, "file")


def shown_text(msg_key: str, param: dict[str, Any]) -> tuple[str, str]:
    """(title, text) for the inbox."""
    if msg_key == "sampleText":
        return "", str(param["content"])
    if msg_key in ("sampleFile",):
        return str(param["fileName"]), str(param["fileName"])
    if msg_key in ("sampleAudio", "sampleVideo", "sampleImageMsg"):
        return "", f"[{kind_of(msg_key)}]"
    return str(param.get("title", "")), str(param.get("text", ""))


def parse_msg(body: dict[str, Any], media: set[str]) -> tuple[str, dict[str, Any], str]:
    """Validate msgKey + msgParam; returns (msgKey, parsed msgParam, raw msgParam string)."""
    msg_key = body.get("msgKey")
    if not isinstance(msg_key, str) or not msg_key:
        raise ApiError(400, "MissingmsgKey", "msgKey is mandatory for this action.")
    if msg_key not in REQUIRED:
        raise ApiError(400, "param.invalid", f"不支持的 msgKey：{msg_key}")
    raw = body.get("msgParam")
    if raw is None:
        raise ApiError(400, "MissingmsgParam", "msgParam is mandatory for this action.")
    if not isinstance(raw, str):
        raise ApiError(400, "param.invalid", "msgParam 必须是 JSON 字符串，而不是对象")
    try:
        param = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "param.invalid", "msgParam 不是合法的 JSON") from exc
    if not isinstance(param, dict):
        raise ApiError(400, "param.invalid", "msgParam 必须是 JSON 对象字符串")
    for key in REQUIRED[msg_key]:
        options = key if isinstance(key, tuple) else (key,)
        values = [param.get(k) for k in options if param.get(k) not in (None, "")]
        if not values or not all(isinstance(v, str | int | float) for v in values):
            raise ApiError(400, "param.invalid", f"{msg_key} 的 msgParam 缺少 {options[0]}")
    media_key = MEDIA_KEYS.get(msg_key)
    if media_key and param[media_key] not in media:
        raise ApiError(400, "param.invalid", f"{media_key} 不存在，请先通过 /media/upload 上传")
    return msg_key, param, raw
