"""Control API for cards: a user clicks a card button, or forwards a card."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from sandbox.cards import Card, callback_data, param_map
from sandbox.cards_api import check_card_data
from sandbox.chatbot import check_user_id
from sandbox.errors import ApiError, ControlError, json_response, read_control_json
from sandbox.gateway import TOPIC_CARD_CALLBACK
from sandbox.state import SandboxState, state_of

CALLBACK_TIMEOUT_S = 2.0


def _card(state: SandboxState, request: web.Request) -> Card:
    card = state.cards.get(request.match_info["out_track_id"])
    if card is None:
        raise ControlError(404, "卡片不存在")
    return card


def _key(state: SandboxState, card: Card, user_id: str) -> str:
    """The id the card uses for this user (userId, or unionId when userIdType=2)."""
    user = state.seed.user(user_id)
    return user.union_id if card.user_id_type == 2 and user else user_id


def holder_space(state: SandboxState, card: Card, user_id: str) -> str | None:
    """The conversation in which ``user_id`` sees the card, or None if he does not."""
    key = _key(state, card, user_id)
    for space in card.spaces:
        if space.space_type == "IM_ROBOT" and space.space_id == key:
            return state.single_conversation_id(user_id)
        if space.space_type == "IM_GROUP":
            group = state.seed.group(space.space_id)
            allowed = card.group_recipients.get(space.space_id)
            if group and user_id in group.member_ids and (allowed is None or user_id in allowed):
                return space.space_id
    if user_id in card.forwarded_to:
        return state.single_conversation_id(user_id)
    return None


def _view(state: SandboxState, card: Card, user_id: str) -> dict[str, Any]:
    return card.view_for(_key(state, card, user_id))


def apply_response(state: SandboxState, card: Card, user_id: str, response: Any) -> str:
    """Apply a callback ACK's ``response`` to the card; returns an error text or ""."""
    if not isinstance(response, dict):
        return ""
    options = response.get("cardUpdateOptions") or {}
    try:
        card_map = None
        if isinstance(response.get("cardData"), dict):
            card_map = param_map(
                response["cardData"].get("cardParamMap", {}), "cardData.cardParamMap"
            )
        private = None
        if isinstance(response.get("userPrivateData"), dict):
            private = {
                _key(state, card, user_id): param_map(
                    response["userPrivateData"].get("cardParamMap", {}),
                    "userPrivateData.cardParamMap",
                )
            }
        check_card_data(state, card.template_id, card_map, private)
    except ApiError as exc:
        return exc.message
    if card_map is None and private is None:
        return ""
    card.apply(
        card_map,
        private,
        card_by_key=isinstance(options, dict) and options.get("updateCardDataByKey") is True,
        private_by_key=isinstance(options, dict) and options.get("updatePrivateDataByKey") is True,
    )
    state.bus.publish({"type": "card", "outTrackId": card.out_track_id, "event": "updated"})
    return ""


def _pressed(
    state: SandboxState, card: Card, user_id: str, body: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """(actionId, params) as DingTalk would send them for this click.

    A named button is looked up in the card as this person sees it (it must be
    visible to him); its actionId and params come from the template's bindings and the
    values he typed into the card's inputs. ``raw`` sends what a modified client could
    (forged params), for tests of the bot's defences."""
    raw = body.get("raw")
    if raw is not None:
        if not isinstance(raw, dict) or not isinstance(raw.get("params", {}), dict):
            raise ControlError(400, "raw 须为 {actionIds: [...], params: {...}}")
        ids = raw.get("actionIds", [])
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ControlError(400, "raw.actionIds 须为字符串列表")
        return (ids[0] if ids else ""), dict(raw.get("params", {}))
    template = state.template(card.template_id)
    if template is None:
        raise ControlError(400, f"模板 {card.template_id} 没有卡片平台定义，只能用 raw 点击")
    button_id, text = body.get("button", ""), body.get("text", "")
    inputs = body.get("inputs", {})
    if not isinstance(button_id, str) or not isinstance(text, str) or not (button_id or text):
        raise ControlError(400, "需要 button（按钮 id）或 text（按钮文字）")
    if not isinstance(inputs, dict) or not all(isinstance(v, str) for v in inputs.values()):
        raise ControlError(400, "inputs 须为 {本地变量名: 文字}")
    unknown = [name for name in inputs if name not in template.locals]
    if unknown:
        raise ControlError(400, f"模板中没有本地变量：{', '.join(unknown)}")
    button = template.button(_view(state, card, user_id)["cardData"], button_id, text)
    if button is None:
        raise ControlError(409, "该用户的卡片上没有这个按钮（可能已隐藏或已更新）")
    if not button.sends:
        raise ControlError(400, "这个按钮不回传请求")
    return button.action_id, button.callback_params(inputs)


async def click(request: web.Request) -> web.Response:
    """POST /sandbox/cards/{outTrackId}/click
    {"userId", "button" | "text", "inputs": {local: value}} or {"userId", "raw": {...}}"""
    state = state_of(request)
    card = _card(state, request)
    body = await read_control_json(request)
    user_id = body.get("userId")
    if not isinstance(user_id, str):
        raise ControlError(400, "需要 userId")
    check_user_id(user_id)
    space_id = holder_space(state, card, user_id)
    if space_id is None:
        raise ControlError(403, "该用户看不到这张卡片，无法点击")
    action_id, params = _pressed(state, card, user_id, body)
    record: dict[str, Any] = {
        "ts": state.clock.now_ms(),
        "userId": user_id,
        "actionId": action_id,
        "params": params,
    }
    card.callbacks.append(record)
    if card.callback_type != "STREAM":
        record["skipped"] = f"callbackType={card.callback_type or '未设置'}，不会通过 Stream 回调"
        return json_response(
            {
                "acked": False,
                "response": None,
                "card": _view(state, card, user_id),
                "skipped": record["skipped"],
            }
        )
    data = callback_data(
        card,
        user_id=_key(state, card, user_id),
        corp_id=state.seed.corp_id,
        action_id=action_id,
        params=params,
        space_id=space_id,
    )
    frame = await state.stream.push(TOPIC_CARD_CALLBACK, data)
    record["messageId"] = frame.message_id
    ack = await state.stream.wait_ack(frame, CALLBACK_TIMEOUT_S)
    out: dict[str, Any] = {
        "acked": ack is not None,
        "response": None,
        "messageId": frame.message_id,
    }
    if ack is not None:
        response = _ack_response(ack)
        out["response"] = response
        out["ackCode"] = ack.get("code")
        if ack.get("code") == 200:
            error = apply_response(state, card, user_id, response)
            if error:
                out["error"] = error
    record.update({k: v for k, v in out.items() if k != "card"})
    out["card"] = _view(state, card, user_id)
    return json_response(out)


def _ack_response(ack: dict[str, Any]) -> Any:
    data = ack.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    return data.get("response") if isinstance(data, dict) else None


async def forward(request: web.Request) -> web.Response:
    """POST /sandbox/cards/{outTrackId}/forward {"from","to"}"""
    state = state_of(request)
    card = _card(state, request)
    body = await read_control_json(request)
    sender, receiver = body.get("from"), body.get("to")
    if not isinstance(sender, str) or not isinstance(receiver, str):
        raise ControlError(400, "需要 from 和 to")
    check_user_id(receiver)
    if holder_space(state, card, sender) is None:
        raise ControlError(403, "转发人看不到这张卡片")
    if not card.support_forward and body.get("force") is not True:
        raise ControlError(403, "该卡片不支持转发（supportForward=false）")
    card.forwarded_to[receiver] = sender
    state.new_item(
        receiver,
        "card",
        conversation_id=state.single_conversation_id(receiver),
        conversation_type="1",
        out_track_id=card.out_track_id,
        template_id=card.template_id,
        source="forward",
        extra={"forwardedFrom": sender},
    )
    return json_response({"forwarded": True, "card": _view(state, card, receiver)})


async def get_card(request: web.Request) -> web.Response:
    """GET /sandbox/cards/{outTrackId}: the full card state."""
    state = state_of(request)
    card = _card(state, request)
    return json_response(
        {
            "outTrackId": card.out_track_id,
            "templateId": card.template_id,
            "publicData": card.public,
            "privateData": card.private,
            "callbackType": card.callback_type,
            "supportForward": card.support_forward,
            "spaces": [{"spaceType": s.space_type, "spaceId": s.space_id} for s in card.spaces],
            "forwardedTo": card.forwarded_to,
            "version": card.version,
            "callbacks": card.callbacks,
        }
    )


def register(app: web.Application) -> None:
    r = app.router
    r.add_get("/sandbox/cards/{out_track_id}", get_card)
    r.add_post("/sandbox/cards/{out_track_id}/click", click)
    r.add_post("/sandbox/cards/{out_track_id}/forward", forward)
