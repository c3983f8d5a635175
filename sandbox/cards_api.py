"""Interactive card OpenAPI: create, deliver, create-and-deliver, update."""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from sandbox.cards import (
    Card,
    CardSpace,
    card_data_map,
    parse_open_space_id,
    private_data_maps,
)
from sandbox.errors import ApiError, json_response, read_json_object
from sandbox.state import SandboxState, state_of


def _user_id_type(body: dict[str, Any]) -> int:
    value = body.get("userIdType", 1)
    if value not in (1, 2):
        raise ApiError(
            400, "param.userIdTypeInvalid", "userIdType 只能是 1（userId）或 2（unionId）"
        )
    return int(value)


def check_card_data(
    state: SandboxState,
    template_id: str,
    public: dict[str, str] | None,
    private: dict[str, dict[str, str]] | None,
) -> None:
    """What the template does not declare, or cannot read, is refused."""
    template = state.template(template_id)
    if template is None:
        return
    if public:
        template.check_param_map(public, "cardData.cardParamMap")
    for user_id, values in (private or {}).items():
        template.check_param_map(values, f"privateData.{user_id}.cardParamMap")


def _new_card(state: SandboxState, body: dict[str, Any]) -> Card:
    """Validate a create request (nothing is stored here)."""
    template_id = body.get("cardTemplateId")
    if not isinstance(template_id, str) or not template_id:
        raise ApiError(400, "param.cardTemplateIdEmpty", "cardTemplateId 不能为空")
    if template_id not in state.seed.card_templates:
        raise ApiError(400, "param.templateNotExist", f"卡片模板不存在：{template_id}")
    out_track_id = body.get("outTrackId")
    if not isinstance(out_track_id, str) or not out_track_id:
        raise ApiError(400, "param.outTrackIdEmpty", "outTrackId 不能为空")
    if out_track_id in state.cards:
        raise ApiError(400, "param.cardAlreadyExist", "卡片已存在（outTrackId 重复）")
    public = card_data_map(body)
    if public is None:
        raise ApiError(400, "param.cardDataEmpty", "cardData.cardParamMap 不能为空")
    private = private_data_maps(body.get("privateData")) or {}
    check_card_data(state, template_id, public, private)
    callback_type = body.get("callbackType", "")
    if callback_type not in ("", "STREAM", "HTTP"):
        raise ApiError(400, "param.callbackTypeInvalid", "callbackType 只能是 STREAM 或 HTTP")
    support_forward = True
    for key in ("imRobotOpenSpaceModel", "imGroupOpenSpaceModel"):
        model = body.get(key)
        if isinstance(model, dict) and model.get("supportForward") is False:
            support_forward = False
    return Card(
        out_track_id=out_track_id,
        template_id=template_id,
        public=public,
        private=private,
        callback_type=str(callback_type),
        user_id_type=_user_id_type(body),
        created_at=state.clock.now_ms(),
        support_forward=support_forward,
    )


def _plan(
    state: SandboxState, spaces: list[CardSpace], body: dict[str, Any], user_id_type: int
) -> list[tuple[CardSpace, list[str] | None, str]]:
    """Check the deliver models; returns (space, recipients or None=all, error message)."""
    plans: list[tuple[CardSpace, list[str] | None, str]] = []
    for space in spaces:
        if space.space_type == "IM_ROBOT":
            model = body.get("imRobotOpenDeliverModel")
            if not isinstance(model, dict) or model.get("spaceType") != "IM_ROBOT":
                raise ApiError(
                    400,
                    "param.imRobotOpenDeliverModelInvalid",
                    "投放到 IM_ROBOT 需要 imRobotOpenDeliverModel.spaceType=IM_ROBOT",
                )
            user = (
                state.seed.user(space.space_id)
                if user_id_type == 1
                else state.seed.user_by_union(space.space_id)
            )
            if user is None:
                plans.append((space, [], "param.userIdNotExist"))
            else:
                plans.append((space, [user.user_id], ""))
        else:
            model = body.get("imGroupOpenDeliverModel")
            if not isinstance(model, dict) or model.get("robotCode") != state.seed.robot_code:
                raise ApiError(
                    400,
                    "param.imGroupOpenDeliverModelInvalid",
                    "投放到 IM_GROUP 需要 imGroupOpenDeliverModel.robotCode，且与应用一致",
                )
            group = state.seed.group(space.space_id)
            if group is None:
                plans.append((space, [], "param.openConversationIdInvalid"))
                continue
            recipients = model.get("recipients")
            if recipients is not None and not isinstance(recipients, list):
                raise ApiError(400, "param.recipientsInvalid", "recipients 必须是数组")
            chosen = (
                [m for m in group.member_ids if m in recipients]
                if isinstance(recipients, list) and recipients
                else None
            )
            plans.append((space, chosen, ""))
    return plans


def _deliver(
    state: SandboxState, card: Card, plans: list[tuple[CardSpace, list[str] | None, str]]
) -> list[dict[str, Any]]:
    results = []
    for space, recipients, error in plans:
        result: dict[str, Any] = {
            "spaceType": space.space_type,
            "spaceId": space.space_id,
            "success": not error,
            "carrierId": "",
        }
        if error:
            result["errorMsg"] = error
            results.append(result)
            continue
        result["carrierId"] = secrets.token_urlsafe(16)
        card.spaces.append(space)
        if space.space_type == "IM_ROBOT":
            users = recipients or []
            cid, ctype = state.single_conversation_id(users[0]), "1"
        else:
            group = state.seed.group(space.space_id)
            members = group.member_ids if group else []
            card.group_recipients[space.space_id] = recipients
            users = members if recipients is None else recipients
            cid, ctype = space.space_id, "2"
        for user_id in users:
            state.new_item(
                user_id,
                "card",
                conversation_id=cid,
                conversation_type=ctype,
                out_track_id=card.out_track_id,
                template_id=card.template_id,
                source="card",
            )
        results.append(result)
    state.bus.publish({"type": "card", "outTrackId": card.out_track_id, "event": "delivered"})
    return results


async def create_and_deliver(request: web.Request) -> web.Response:
    """POST /v1.0/card/instances/createAndDeliver"""
    state = state_of(request)
    body = await read_json_object(request)
    card = _new_card(state, body)
    plans = _plan(state, parse_open_space_id(body.get("openSpaceId")), body, card.user_id_type)
    state.cards[card.out_track_id] = card
    results = _deliver(state, card, plans)
    return json_response(
        {"success": True, "result": {"outTrackId": card.out_track_id, "deliverResults": results}}
    )


async def create(request: web.Request) -> web.Response:
    """POST /v1.0/card/instances"""
    state = state_of(request)
    body = await read_json_object(request)
    card = _new_card(state, body)
    state.cards[card.out_track_id] = card
    state.bus.publish({"type": "card", "outTrackId": card.out_track_id, "event": "created"})
    return json_response({"success": True, "result": card.out_track_id})


def _existing(state: SandboxState, body: dict[str, Any]) -> Card:
    out_track_id = body.get("outTrackId")
    if not isinstance(out_track_id, str) or not out_track_id:
        raise ApiError(400, "param.outTrackIdEmpty", "outTrackId 不能为空")
    card = state.cards.get(out_track_id)
    if card is None:
        raise ApiError(400, "param.cardNotExist", "卡片不存在")
    return card


async def deliver(request: web.Request) -> web.Response:
    """POST /v1.0/card/instances/deliver"""
    state = state_of(request)
    body = await read_json_object(request)
    card = _existing(state, body)
    plans = _plan(state, parse_open_space_id(body.get("openSpaceId")), body, _user_id_type(body))
    return json_response({"success": True, "result": _deliver(state, card, plans)})


async def update(request: web.Request) -> web.Response:
    """PUT /v1.0/card/instances"""
    state = state_of(request)
    body = await read_json_object(request)
    card = _existing(state, body)
    public = card_data_map(body)
    private = private_data_maps(body.get("privateData"))
    if public is None and not private:
        raise ApiError(
            400, "param.cardDataAndPrivateDataBothEmpty", "cardData 和 privateData 不能同时为空"
        )
    options = body.get("cardUpdateOptions") or {}
    if not isinstance(options, dict):
        raise ApiError(400, "param.cardUpdateOptionsInvalid", "cardUpdateOptions 必须是对象")
    check_card_data(state, card.template_id, public, private)
    card.apply(
        public,
        private,
        card_by_key=options.get("updateCardDataByKey") is True,
        private_by_key=options.get("updatePrivateDataByKey") is True,
    )
    state.bus.publish({"type": "card", "outTrackId": card.out_track_id, "event": "updated"})
    return json_response({"success": True, "result": True})


def register(app: web.Application) -> None:
    r = app.router
    r.add_post("/v1.0/card/instances/createAndDeliver", create_and_deliver)
    r.add_post("/v1.0/card/instances", create)
    r.add_post("/v1.0/card/instances/deliver", deliver)
    r.add_put("/v1.0/card/instances", update)
