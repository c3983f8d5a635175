"""Interactive card instances: data model, validation and update semantics."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import ApiError

# DingTalk writes the prefix once and joins spaces with ";":
# dtv1.card//IM_GROUP.cid1;IM_ROBOT.user1 (the type is case-insensitive).
PREFIX = "dtv1.card//"
SPACE_RE = re.compile(r"^(im_robot|im_group)\.(.+)$", re.IGNORECASE)


@dataclass
class CardSpace:
    space_type: str  # "IM_ROBOT" | "IM_GROUP"
    space_id: str  # userId (IM_ROBOT) or openConversationId (IM_GROUP)


@dataclass
class Card:
    out_track_id: str
    template_id: str
    public: dict[str, str]
    private: dict[str, dict[str, str]]
    callback_type: str
    user_id_type: int
    created_at: int
    support_forward: bool = True
    spaces: list[CardSpace] = field(default_factory=list)
    # group space -> users allowed to see it (None = all members)
    group_recipients: dict[str, list[str] | None] = field(default_factory=dict)
    forwarded_to: dict[str, str] = field(default_factory=dict)  # to -> from
    version: int = 1
    callbacks: list[dict[str, Any]] = field(default_factory=list)

    def data_for(self, user_id: str) -> dict[str, str]:
        merged = dict(self.public)
        merged.update(self.private.get(user_id, {}))
        return merged

    def view_for(self, user_id: str) -> dict[str, Any]:
        return {
            "outTrackId": self.out_track_id,
            "templateId": self.template_id,
            "cardData": self.data_for(user_id),
            "publicData": dict(self.public),
            "privateData": dict(self.private.get(user_id, {})),
            "version": self.version,
            "callbackType": self.callback_type,
        }

    def apply(
        self,
        card_map: dict[str, str] | None,
        private: dict[str, dict[str, str]] | None,
        *,
        card_by_key: bool,
        private_by_key: bool,
    ) -> None:
        """Apply an update; without ``by_key`` the maps are overwritten entirely."""
        if card_map is not None:
            if card_by_key:
                self.public.update(card_map)
            else:
                self.public = dict(card_map)
        for user_id, user_map in (private or {}).items():
            if private_by_key:
                self.private.setdefault(user_id, {}).update(user_map)
            else:
                self.private[user_id] = dict(user_map)
        self.version += 1


def param_map(value: Any, where: str) -> dict[str, str]:
    """A ``cardParamMap``: every key and value a string, as DingTalk requires."""
    if not isinstance(value, dict):
        raise ApiError(400, "param.cardParamMapInvalid", f"{where} 必须是对象")
    bad = [k for k, v in value.items() if not isinstance(k, str) or not isinstance(v, str)]
    if bad:
        raise ApiError(
            400,
            "param.cardParamMapInvalid",
            f'{where} 的值必须全部是字符串（对象/列表需 JSON 编码，布尔用 "true"/"false"），'
            f"不合法的键：{', '.join(map(str, bad))}",
        )
    return dict(value)


def card_data_map(body: dict[str, Any], key: str = "cardData") -> dict[str, str] | None:
    data = body.get(key)
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ApiError(400, "param.cardDataInvalid", f"{key} 必须是对象")
    if "cardParamMap" not in data:
        return None
    return param_map(data["cardParamMap"], f"{key}.cardParamMap")


def private_data_maps(value: Any) -> dict[str, dict[str, str]] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ApiError(
            400, "param.privateDataInvalid", "privateData 必须是 {userId: {cardParamMap}}"
        )
    out: dict[str, dict[str, str]] = {}
    for user_id, data in value.items():
        if not isinstance(data, dict) or "cardParamMap" not in data:
            raise ApiError(
                400, "param.privateDataInvalid", f"privateData.{user_id} 缺少 cardParamMap"
            )
        out[str(user_id)] = param_map(data["cardParamMap"], f"privateData.{user_id}.cardParamMap")
    return out


def parse_open_space_id(value: Any) -> list[CardSpace]:
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, "param.openSpaceIdInvalid", "openSpaceId 不能为空")
    spaces = []
    if not value.startswith(PREFIX):
        raise ApiError(400, "param.openSpaceIdInvalid", f"openSpaceId 格式不正确：{value[:60]}")
    for part in value.removeprefix(PREFIX).split(";"):
        if not part:
            continue
        match = SPACE_RE.match(part.strip())
        if not match or not match.group(2).strip():
            raise ApiError(400, "param.openSpaceIdInvalid", f"openSpaceId 格式不正确：{part}")
        spaces.append(CardSpace(match.group(1).upper(), match.group(2)))
    if not spaces:
        raise ApiError(400, "param.openSpaceIdInvalid", "openSpaceId 不能为空")
    return spaces


def callback_data(
    card: Card,
    *,
    user_id: str,
    corp_id: str,
    action_id: str,
    params: dict[str, Any],
    space_id: str,
) -> dict[str, Any]:
    """The ``data`` of a ``/v1.0/card/instances/callback`` frame, as DingTalk sends it."""
    # A platform-built button usually has an empty actionId: then no id is sent at all.
    action_ids = [action_id] if action_id else []
    content = json.dumps(
        {"cardPrivateData": {"actionIds": action_ids, "params": params}}, ensure_ascii=False
    )
    return {
        "extension": "{}",
        "corpId": corp_id,
        "spaceType": "im",
        "userIdType": card.user_id_type,
        "type": "actionCallback",
        "userId": user_id,
        "content": content,
        "spaceId": space_id,
        "outTrackId": card.out_track_id,
        "value": content,
    }
