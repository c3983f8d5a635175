"""When outbox rows go out: to-dos a finished step no longer needs, throttled and
superseded card updates, and the rows skipped for them."""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from bot.api_scopes import CARD_WRITE, ROBOT_SEND, TODO_WRITE, WORK_NOTICE
from bot.outbox_names import OUTBOX
from bot.outgoing import Outgoing

if TYPE_CHECKING:
    from storage.session import Session

log = logging.getLogger("bot.outbox")


def done_queued(rows: list[dict[str, Any]], create: Outgoing) -> bool:
    source = create.payload.get("source_id")
    return any(
        r.get("kind") == "todo_done" and (r.get("payload") or {}).get("source_id") == source
        for r in rows
    )


def pending_done(doc: dict[str, Any], source: object) -> bool:
    payload = doc.get("payload") or {}
    return (
        doc.get("kind") == "todo_done"
        and doc.get("status") == "pending"
        and payload.get("source_id") == source
    )


def throttled_start(outbox: Any, item: Outgoing, now_ms: int) -> int:
    """When a new item may first go out: now, or for a card update carrying
    ``throttle_s`` (e.g. the office's live progress card), not sooner than that long after
    the last sent update of the same card; pending older updates are superseded by it."""
    throttle = item.payload.get("throttle_s")
    if item.kind != "card_update" or not throttle:
        return now_ms
    card = item.payload.get("out_track_id")
    sent = [
        int(d.get("sent_ms") or 0)
        for d in outbox.find(
            lambda d: (
                d.get("kind") == "card_update"
                and d.get("status") == "sent"
                and (d.get("payload") or {}).get("out_track_id") == card
            )
        )
    ]
    return max(now_ms, max(sent, default=0) + int(float(throttle) * 1000))


def superseded(rows: list[dict[str, Any]], row: dict[str, Any]) -> bool:
    """A pending card update whose every key a later pending update of the same card
    sets again (public data only): sending it would change nothing that lasts."""
    payload = row.get("payload") or {}
    if payload.get("private_data"):
        return False
    keys = set(payload.get("card_data") or {})
    for later in rows:
        other = later.get("payload") or {}
        if (
            later["seq"] > row["seq"]
            and later.get("kind") == "card_update"
            and other.get("out_track_id") == payload.get("out_track_id")
            and keys <= set(other.get("card_data") or {})
        ):
            return True
    return False


def mark_skipped(session: Session, keys: list[str]) -> None:
    """Rows that need no DingTalk call: card updates superseded by a later one, and
    to-dos never created whose completion is queued (both create and completion)."""
    outbox = session.collection(OUTBOX)
    for key in keys:
        row = outbox.get(key)
        if row is None or row.get("status") != "pending":
            continue
        if row.get("kind") == "card_update":
            outbox.update(key, {"status": "skipped", "error": "superseded"})
            continue
        source = (row.get("payload") or {}).get("source_id")
        outbox.update(key, {"status": "skipped", "error": "step already done"})
        for done in outbox.find(functools.partial(pending_done, source=source)):
            outbox.update(done["id"], {"status": "skipped", "error": "step already done"})
        log.info("outbox %s: to-do not needed (its step was done first)", key)


# The permission scope each kind of item needs (files: robot send; the upload's
# qyapi_base is always granted).
_KIND_SCOPES = {
    "oto": ROBOT_SEND,
    "group": ROBOT_SEND,
    "file": ROBOT_SEND,
    "card": CARD_WRITE,
    "card_update": CARD_WRITE,
    "card_deliver": CARD_WRITE,
    "work_notice": WORK_NOTICE,
    "ding": ROBOT_SEND,
    "todo_create": TODO_WRITE,
    "todo_done": TODO_WRITE,
}
NONESSENTIAL_KINDS = frozenset({"todo_create", "todo_done"})


def kind_scope(kind: str) -> str:
    return _KIND_SCOPES.get(kind, "")
