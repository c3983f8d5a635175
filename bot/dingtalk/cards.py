"""Interactive cards: create and deliver, deliver to more spaces, update."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence

from bot.dingtalk.results import DeliverResult, Json
from bot.dingtalk.specs import CardDelivery, CardUpdate, NewCard
from bot.dingtalk.transport import Transport
from bot.dingtalk_errors import (
    DingTalkRejectedError,
)

log = logging.getLogger("bot.dingtalk")


def card_param_map(data: Mapping[str, object]) -> dict[str, str]:
    """Card data as DingTalk wants it: every value a string.

    bool → "true"/"false", dict/list/tuple → JSON, None → "", other → ``str()``.
    """
    return {key: _card_value(value) for key, value in data.items()}


def _card_value(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)


class CardApi(Transport):
    """Card instances (card platform templates, STREAM callbacks)."""

    async def create_and_deliver_card(self, card: NewCard) -> list[DeliverResult]:
        """Create a card and deliver it to users (robot 1:1) and/or groups.

        Idempotent by ``out_track_id``: if DingTalk answers ``param.cardAlreadyExist`` (a
        retry after a lost answer), that counts as success and ``[]`` is returned.
        """
        if not card.user_ids and not card.group_ids:
            raise ValueError("create_and_deliver_card needs user_ids or group_ids")
        spaces = self._open_spaces(
            card.user_ids, card.group_ids, card.support_forward, card.at_user_ids
        )
        request: Json = {
            "cardTemplateId": card.template_id,
            "outTrackId": card.out_track_id,
            "cardData": {"cardParamMap": card_param_map(card.card_data)},
            "callbackType": "STREAM",
            **spaces,
            "userIdType": 1,
        }
        if card.private_data:
            request["privateData"] = _private_data(card.private_data)
        try:
            body = await self._api(
                "POST",
                "/v1.0/card/instances/createAndDeliver",
                idempotent=True,
                json_body=request,
            )
        except DingTalkRejectedError as exc:
            if exc.code == "param.cardAlreadyExist":
                log.info("card %s already exists; treating as delivered", card.out_track_id)
                return []
            raise
        result = body.get("result")
        delivered = result.get("deliverResults") if isinstance(result, dict) else None
        return [_deliver_result(item) for item in delivered or [] if isinstance(item, dict)]

    async def deliver_card(self, delivery: CardDelivery) -> list[DeliverResult]:
        """Deliver an existing card (``POST /v1.0/card/instances/deliver``) to more users
        (robot 1:1) and/or groups: one :class:`DeliverResult` per open space.

        Not repeated after a lost answer (a read timeout once the request left raises
        :class:`DingTalkAmbiguousError`): a repeat would put a second copy of the card in
        the chat ("每项事务只有一张卡片"); the outbox parks it 待核实 instead.
        An unknown card raises :class:`DingTalkRejectedError` ``param.cardNotExist``; an
        unknown user or group is a result with ``success=False``, not an exception.
        ``support_forward`` is sent as the space models' ``supportForward``; DingTalk
        may keep the setting the card was created with.
        """
        if not delivery.user_ids and not delivery.group_ids:
            raise ValueError("deliver_card needs user_ids or group_ids")
        spaces = self._open_spaces(
            delivery.user_ids, delivery.group_ids, delivery.support_forward, None
        )
        request: Json = {"outTrackId": delivery.out_track_id, **spaces, "userIdType": 1}
        body = await self._api(
            "POST", "/v1.0/card/instances/deliver", idempotent=False, json_body=request
        )
        result = body.get("result")
        if isinstance(result, dict):  # tolerate the createAndDeliver shape too
            result = result.get("deliverResults")
        items = result if isinstance(result, list) else []
        return [_deliver_result(item) for item in items if isinstance(item, dict)]

    def _open_spaces(
        self,
        user_ids: Sequence[str],
        group_ids: Sequence[str],
        support_forward: bool,
        at_user_ids: Mapping[str, str] | None,
    ) -> Json:
        """``openSpaceId`` plus the space and deliver models of robot 1:1 and groups."""
        spaces = [f"IM_ROBOT.{u}" for u in user_ids] + [f"IM_GROUP.{g}" for g in group_ids]
        fields: Json = {"openSpaceId": "dtv1.card//" + ";".join(spaces)}
        space_model = {"supportForward": support_forward}
        if user_ids:
            fields["imRobotOpenSpaceModel"] = dict(space_model)
            fields["imRobotOpenDeliverModel"] = {
                "spaceType": "IM_ROBOT",
                "robotCode": self._creds.robot_code,
            }
        if group_ids:
            fields["imGroupOpenSpaceModel"] = dict(space_model)
            group_deliver: Json = {"robotCode": self._creds.robot_code}
            if at_user_ids:
                group_deliver["atUserIds"] = dict(at_user_ids)
            fields["imGroupOpenDeliverModel"] = group_deliver
        return fields

    async def update_card(self, update: CardUpdate) -> None:
        """Update a card (see :class:`CardUpdate`)."""
        if update.card_data is None and not update.private_data:
            raise ValueError("update_card needs card_data or private_data")
        request: Json = {
            "outTrackId": update.out_track_id,
            "cardUpdateOptions": {
                "updateCardDataByKey": update.by_key,
                "updatePrivateDataByKey": update.by_key,
            },
            "userIdType": 1,
        }
        if update.card_data is not None:
            request["cardData"] = {"cardParamMap": card_param_map(update.card_data)}
        if update.private_data:
            request["privateData"] = _private_data(update.private_data)
        await self._api("PUT", "/v1.0/card/instances", idempotent=True, json_body=request)

    # ------------------------------------------------------------------ files


def _private_data(private_data: Mapping[str, Mapping[str, object]]) -> Json:
    return {uid: {"cardParamMap": card_param_map(data)} for uid, data in private_data.items()}


def _deliver_result(item: Mapping[str, object]) -> DeliverResult:
    return DeliverResult(
        space_type=str(item.get("spaceType") or ""),
        space_id=str(item.get("spaceId") or ""),
        success=bool(item.get("success")),
        carrier_id=str(item.get("carrierId") or ""),
        error_msg=str(item.get("errorMsg") or ""),
    )
