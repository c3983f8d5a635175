"""收悉 on the emergency card, and the DING that follows silence: whoever of the three
receivers has not acknowledged within ``emergency_ack_minutes`` gets an urgent DING,
again every as many minutes, at most ``emergency_repeats`` times (第八十三条: no report
may be missed). Real minutes: nights and holidays included."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import from_epoch_ms, to_epoch_ms
from bot.errors import NotAuthorized, UserFacingError
from bot.outgoing import Outgoing, ding_to
from bot.router import CardContext, CardResult
from bot.scheduler import DeadlineAction, schedule_reminder
from handlers.approvals.actions import FlowAct
from handlers.approvals.card import date_time_text
from handlers.emergencies.card import EMERGENCY_CARD, refresh_card
from handlers.emergencies.model import CLOSED, EMERGENCIES, unacknowledged

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session


async def acknowledge(ctx: CardContext, payload: FlowAct) -> CardResult:
    services = ctx.services
    now_ms = to_epoch_ms(services.clock.now())

    def ack(session: Session) -> tuple[dict[str, Any], list[Outgoing]]:
        event = session.collection(EMERGENCIES).get(payload.flow)
        if event is None:
            raise UserFacingError("card_expired")
        if ctx.user_id not in event["receivers"]:
            raise NotAuthorized("ev_not_receiver", number=event["id"])
        if ctx.user_id in event["acks"]:  # a second press changes nothing
            return event, []
        event["acks"][ctx.user_id] = now_ms
        return event, refresh_card(services, session, event)

    return await EMERGENCY_CARD.act(ctx, payload.flow, ack)


def emergency_actions(services: Services) -> dict[str, DeadlineAction]:
    def ding(session: Session, action: dict[str, Any]) -> list[Outgoing]:
        events = session.collection(EMERGENCIES)
        event = events.get(str(action["event"]))
        if event is None or event["state"] == CLOSED:
            return []
        silent = unacknowledged(event)
        if not silent:
            return []
        rules = services.config.rules
        round_no = int(action["round"])
        event["dings"] = round_no
        events.update(event["id"], event)
        if round_no < rules.emergency_repeats:
            schedule_reminder(
                session,
                f"emergency:{event['id']}:ding:{round_no + 1}",
                services.clock.now() + timedelta(minutes=rules.emergency_ack_minutes),
                [],
                action={"type": "emergency.ding", "event": event["id"], "round": round_no + 1},
            )
        content = services.messages.text(
            "ev_ding",
            number=event["id"],
            what=event["what"],
            place=event["place"],
            reported=date_time_text(services.messages, event["reported_ms"]),
            minutes=int(
                (services.clock.now() - from_epoch_ms(event["reported_ms"])).total_seconds() // 60
            ),
        )
        key = f"emergency:{event['id']}:ding:{round_no}"
        return [
            ding_to(key, user_ids=silent, content=content, remind_type=rules.emergency_ding_type)
        ]

    return {"emergency.ding": ding}
