"""Card button clicks from the stream. The answer travels back inside the ACK (DingTalk
waits at most 2 s), so only storage work happens here; messages go through the outbox.

Authorization is decided from the stored card record, never from what the client sent:
the callback's ``userId`` is DingTalk's word, ``params`` are the client's.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from bot.card_buttons import ACTION_PARAM
from bot.clock import to_epoch_ms
from bot.errors import UserFacingError
from bot.outgoing import Outgoing, text_to
from bot.router import CardContext, CardResult, PayloadError

if TYPE_CHECKING:
    from bot.outbox import Outbox
    from bot.services import Services
    from storage.session import Session

log = logging.getLogger(__name__)

CARDS = "cards"
CLICKS = "card_clicks"
# A click left "processing" by a crash may be retried after this long.
STALE_CLICK_MS = 30_000


def _json_obj(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str) and raw:
        try:
            value = json.loads(raw)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


def dispatch_key(params: dict[str, Any], action_ids: Any) -> str:
    """What a click means: the ``action`` param a card-platform button binds (its
    actionId is normally empty); a button with its own actionId is still understood."""
    action = params.get(ACTION_PARAM)
    if isinstance(action, str) and action:
        return action
    if isinstance(action_ids, list) and action_ids and isinstance(action_ids[0], str):
        return action_ids[0]
    return ""


def click_key(out_track_id: str, user_id: str, action_id: str, params: dict[str, Any]) -> str:
    canonical = json.dumps([out_track_id, user_id, action_id, params], sort_keys=True)
    return "click:" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def ack_response(result: CardResult) -> dict[str, Any]:
    response: dict[str, Any] = {
        "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True}
    }
    if result.card_data:
        response["cardData"] = {"cardParamMap": _strings(result.card_data)}
    if result.private_data:
        response["userPrivateData"] = {"cardParamMap": _strings(result.private_data)}
    return response


def _strings(values: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, str):
            out[key] = value
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif value is None:
            out[key] = ""
        elif isinstance(value, int | float):
            out[key] = str(value)
        else:
            out[key] = json.dumps(value, ensure_ascii=False)
    return out


class CardDispatcher:
    def __init__(self, services: Services, outbox: Outbox) -> None:
        self._services = services
        self._outbox = outbox

    async def handle(self, data: dict[str, Any]) -> dict[str, Any]:
        out_track_id = str(data.get("outTrackId") or "")
        user_id = str(data.get("userId") or "")
        corp_id = str(data.get("corpId") or "")
        content = _json_obj(data.get("content"))
        private = _json_obj(content.get("cardPrivateData"))
        params = private.get("params") if isinstance(private.get("params"), dict) else {}
        assert isinstance(params, dict)
        action_id = dispatch_key(params, private.get("actionIds"))
        expected_corp = self._services.config.dingtalk.corp_id
        if not out_track_id or not user_id or (expected_corp and corp_id != expected_corp):
            log.warning("card callback rejected: missing ids or foreign corp")
            return {}
        key = click_key(out_track_id, user_id, action_id, params)
        now_ms = to_epoch_ms(self._services.clock.now())

        def claim(session: Session) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None]:
            clicks = session.collection(CLICKS)
            seen = clicks.get(key)
            if seen is not None:
                stale = seen["status"] == "processing" and now_ms - seen["at_ms"] > STALE_CLICK_MS
                if not stale:
                    return ("seen" if seen["status"] == "done" else "busy"), None, None
                clicks.update(key, {"at_ms": now_ms})
            else:
                clicks.insert({"id": key, "status": "processing", "at_ms": now_ms})
            return "new", None, session.collection(CARDS).get(out_track_id)

        state, _, card = await self._services.db.run(claim)
        if state == "busy":  # the same click is being handled right now (a double tap)
            return {}
        if state == "seen":
            # A redelivery or the same button pressed again: nothing changes, and the ACK
            # carries no card data (replaying the first answer would roll the card back
            # to how it looked then). The person is told once (the key dedupes).
            log.info("repeated card click %s ignored", key)
            await self._outbox.enqueue([self._private(key, user_id, "flow_already_handled")])
            return {}
        result = await self._run_action(card, out_track_id, user_id, action_id, params, key)
        response = ack_response(result)

        def finish(session: Session) -> None:
            self._outbox.stage(session, result.outgoing)
            session.collection(CLICKS).update(key, {"status": "done", "response": response})

        await self._services.db.run(finish)
        self._outbox.wake()
        return response

    async def _run_action(
        self,
        card: dict[str, Any] | None,
        out_track_id: str,
        user_id: str,
        action_id: str,
        params: dict[str, Any],
        key: str,
    ) -> CardResult:
        action = self._services.router.card_action(action_id)
        if card is None or action is None:
            return CardResult(outgoing=[self._private(key, user_id, "card_expired")])
        try:
            payload = action.payload_type.parse(params)
        except PayloadError as error:
            log.warning("card %s: bad payload for %s: %s", out_track_id, action_id, error)
            return CardResult(outgoing=[self._private(key, user_id, "card_expired")])
        ctx = CardContext(user_id, out_track_id, card, self._services)
        try:
            return await action.handler(ctx, payload)
        except UserFacingError as refusal:
            return CardResult(
                outgoing=[self._private(key, user_id, refusal.template, **refusal.context)]
            )
        except Exception:
            log.exception("card action %s on %s failed", action_id, out_track_id)
            return CardResult(outgoing=[self._private(key, user_id, "error_generic")])

    def _private(self, key: str, user_id: str, template: str, **context: Any) -> Outgoing:
        text = self._services.messages.text(template, **context)
        return text_to(f"{key}:reply", user_id=user_id, text=text)
