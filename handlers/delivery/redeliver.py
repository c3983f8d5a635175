"""A card delivery whose outcome is unknown (the bot stopped, or DingTalk did not answer)
is not repeated blindly: a second delivery would put the card in the chat twice. Instead
its recipients are asked to look, and whoever does not find the card answers 补发卡片
<number> and gets that card again; the office sees the delivery in 待核实 until then."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.clock import to_epoch_ms
from bot.outbox import ParkedHook
from bot.outbox_names import OUTBOX
from bot.outbox_review import CHECKED, card_title
from bot.outgoing import Outgoing, text_to
from bot.router import CommandContext
from handlers.common.staging import stage_and_send

CHECK_DELAY_S = 30

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session


def parked_card_notice(services: Services) -> ParkedHook:
    """The outbox's hook: a parked card delivery asks its recipients to check."""

    def notice(session: Session, row: dict[str, Any]) -> list[Outgoing]:
        if row.get("kind") != "card_deliver":
            return []
        title = card_title(session, str(row["payload"]["out_track_id"]))
        text = services.messages.text("card_check", title=title, number=row.get("seq"))
        users = list(row["payload"].get("user_ids") or [])
        notes = [text_to(f"{row['id']}:check:{u}", user_id=u, text=text) for u in users]
        # Sent a little later: a delivery that was on its way when the bot stopped has
        # landed by then, so whoever looks finds it and does not ask for a second copy.
        return [Outgoing(n.key, n.kind, {**n.payload, "delay_s": CHECK_DELAY_S}) for n in notes]

    return notice


def _missing_for(session: Session, user: str, numbers: set[int]) -> list[dict[str, Any]]:
    """Parked deliveries meant for ``user`` that he has not had again (only those
    numbered ``numbers`` when he names some)."""
    return session.collection(OUTBOX).find(
        lambda d: (
            d.get("kind") == "card_deliver"
            and d.get("status") == "uncertain"
            and user in (d.get("payload") or {}).get("user_ids", [])
            and user not in d.get("redelivered", [])
            and (not numbers or d.get("seq") in numbers)
        )
    )


async def redeliver_cards(ctx: CommandContext) -> list[Outgoing]:
    """补发卡片: deliver again to the sender every card whose delivery to him is unknown."""
    services = ctx.services
    user = ctx.sender.user_id
    now_ms = to_epoch_ms(services.clock.now())
    numbers = {int(n) for n in re.findall(r"\d+", ctx.args)}

    def redeliver(session: Session) -> None:
        outbox = session.collection(OUTBOX)
        titles: list[str] = []
        items: list[Outgoing] = []
        for row in _missing_for(session, user, numbers):
            payload = row["payload"]
            items.append(
                Outgoing(
                    f"{row['id']}:again:{user}",
                    "card_deliver",
                    {"out_track_id": payload["out_track_id"], "user_ids": [user]},
                )
            )
            titles.append(card_title(session, str(payload["out_track_id"])))
            done = [*row.get("redelivered", []), user]
            change: dict[str, Any] = {"redelivered": done}
            if set(payload.get("user_ids", [])) <= set(done):
                review = {
                    "decision": "redelivered",
                    "by": user,
                    "at_ms": now_ms,
                    "was": "uncertain",
                }
                change |= {"status": CHECKED, "review": review}
            outbox.update(row["id"], change)
        reply = ctx.text("card_redelivered", titles=titles)
        services.outbox.stage(session, [*items, reply])

    return await stage_and_send(services, redeliver)
