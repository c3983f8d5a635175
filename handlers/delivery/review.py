"""待核实 / 重发 / 已核实: the government office reviews messages whose delivery is unknown
(the bot stopped, or DingTalk did not answer, after the request left) or failed, and a
list of them goes to the office director and the admin section every working morning.

A send with an unknown outcome is never repeated by the bot itself (a second copy is
worse than a checked loss); a person asks the recipients and decides.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.clock import TZ, to_epoch_ms
from bot.errors import UserFacingError
from bot.outbox_review import card_title, close_checked, find_for_review, resend, to_review
from bot.outgoing import Outgoing
from bot.router import CommandContext
from handlers.basics.api_notices import office_recipients
from handlers.common.office import is_office
from handlers.common.staging import stage_and_send

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session

_NUMBER = re.compile(r"\d+")
MAX_LISTED = 20
MAX_NAMES = 5
ABOUT_CHARS = 40


async def list_for_review(ctx: CommandContext) -> list[Outgoing]:
    services = ctx.services
    _office_only(ctx)
    entries, total = await services.db.run(lambda s: _listed(services, s))
    return [ctx.markdown("delivery_list", entries=entries, total=total)]


async def resend_item(ctx: CommandContext) -> list[Outgoing]:
    return await _decide(ctx, "resend")


async def close_item(ctx: CommandContext) -> list[Outgoing]:
    return await _decide(ctx, "checked")


async def delivery_digest(services: Services, today: date) -> list[Outgoing]:
    """Working mornings: the open list to the office director and the admin section."""
    entries, total = await services.db.run(lambda s: _listed(services, s))
    if not entries:
        return []
    rendered = services.messages.markdown("delivery_list", entries=entries, total=total, daily=True)
    param = {"title": rendered.title, "text": rendered.text}
    payload = {
        "user_ids": office_recipients(services),
        "msg_key": "sampleMarkdown",
        "msg_param": param,
    }
    return [Outgoing(f"delivery:daily:{today.isoformat()}", "oto", payload)]


def _office_only(ctx: CommandContext) -> None:
    if not is_office(ctx.sender, ctx.services.directory):
        raise UserFacingError("delivery_not_allowed")


async def _decide(ctx: CommandContext, decision: str) -> list[Outgoing]:
    """Resend or close the numbered items; all or nothing, reply stored with them."""
    services = ctx.services
    _office_only(ctx)
    numbers = list(dict.fromkeys(int(n) for n in _NUMBER.findall(ctx.args)))
    if not numbers:
        raise UserFacingError("delivery_usage", decision=decision)
    now_ms = to_epoch_ms(services.clock.now())
    by = ctx.sender.user_id

    def apply(session: Session) -> None:
        rows = {n: find_for_review(session, n) for n in numbers}
        unknown = [n for n, row in rows.items() if row is None]
        if unknown:
            raise UserFacingError("delivery_unknown", numbers=unknown)
        entries = [_entry(services, session, row) for row in rows.values() if row is not None]
        for row in rows.values():
            if row is None:
                continue
            if decision == "resend":
                resend(session, row, by=by, now_ms=now_ms)
            else:
                close_checked(session, row, by=by, now_ms=now_ms)
        reply = ctx.text("delivery_decided", decision=decision, entries=entries)
        services.outbox.stage(session, [reply])

    return await stage_and_send(services, apply)


def _listed(services: Services, session: Session) -> tuple[list[dict[str, Any]], int]:
    """The first MAX_LISTED items waiting for a decision, described, and how many wait."""
    rows = to_review(session)
    return [_entry(services, session, row) for row in rows[:MAX_LISTED]], len(rows)


def _entry(services: Services, session: Session, row: Mapping[str, Any]) -> dict[str, Any]:
    payload: Mapping[str, Any] = row.get("payload") or {}
    kind = str(row.get("kind"))
    created = datetime.fromtimestamp(int(row.get("created_ms") or 0) / 1000, TZ)
    return {
        "number": row.get("seq"),
        "kind": services.messages.label("delivery_kinds", kind),
        "to": _recipients(services, payload),
        "about": _about(session, kind, payload)[:ABOUT_CHARS],
        "month": created.month,
        "day": created.day,
        "time": f"{created:%H:%M}",
        "status": row.get("status"),
        "error": str(row.get("error") or ""),
    }


def _recipients(services: Services, payload: Mapping[str, Any]) -> dict[str, Any]:
    directory = services.directory
    users = list(payload.get("all_user_ids") or payload.get("user_ids") or [])
    names = [p.name if (p := directory.person(u)) else u for u in users]
    groups = [payload["conversation_id"]] if payload.get("conversation_id") else []
    groups += list(payload.get("group_ids") or [])
    group_names = [g.name if (g := directory.group(c)) else c for c in groups]
    return {"names": names[:MAX_NAMES], "people": len(names), "groups": group_names}


def _about(session: Session, kind: str, payload: Mapping[str, Any]) -> str:
    """What the item was, in a few words: a title, the start of a text, a file name."""
    if kind in ("oto", "group"):
        param = payload.get("msg_param") or {}
        return str(param.get("title") or param.get("content") or "")
    if kind == "work_notice":
        msg = payload.get("msg") or {}
        body = msg.get(msg.get("msgtype", "")) or {}
        return str(body.get("title") or body.get("content") or "")
    if kind == "file":
        return str(payload.get("name") or "")
    if kind == "card":
        return str((payload.get("card_data") or {}).get("title") or "")
    return card_title(session, str(payload.get("out_track_id")))
