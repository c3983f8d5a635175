"""Outgoing items a person has to look at: sends whose outcome is unknown ("uncertain",
待核实: the bot died or DingTalk did not answer after the request left) and sends that
failed for good. The office reviews them: resend one after checking that its recipients
did not get it, or close it as checked. Both are stored decisions with who and when.

To-dos are left out: they are a convenience, and the outbox already finds and closes a
to-do whose create was lost (see bot/outbox.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.outbox_names import OUTBOX
from bot.outgoing import TODO_KINDS

if TYPE_CHECKING:
    from storage.session import Session

NEEDS_REVIEW = ("uncertain", "failed")
CHECKED = "checked"


def needs_review(doc: dict[str, Any]) -> bool:
    return doc.get("status") in NEEDS_REVIEW and doc.get("kind") not in TODO_KINDS


def to_review(session: Session) -> list[dict[str, Any]]:
    """Every item waiting for a decision, oldest first."""
    rows = session.collection(OUTBOX).find(needs_review)
    return sorted(rows, key=lambda d: int(d.get("seq") or 0))


def find_for_review(session: Session, seq: int) -> dict[str, Any] | None:
    """The item numbered ``seq`` if it is waiting for a decision."""
    rows = session.collection(OUTBOX).find(lambda d: d.get("seq") == seq)
    return rows[0] if rows and needs_review(rows[0]) else None


def card_title(session: Session, out_track_id: str) -> str:
    """The title of the card a delivery or update belongs to (from its create)."""
    creates = session.collection(OUTBOX).find(
        lambda d: (
            d.get("kind") == "card" and (d.get("payload") or {}).get("out_track_id") == out_track_id
        )
    )
    for create in creates:
        title = ((create.get("payload") or {}).get("card_data") or {}).get("title")
        if title:
            return str(title)
    return ""


def resend(session: Session, row: dict[str, Any], *, by: str, now_ms: int) -> None:
    """Queue the item again as if new (the outbox picks it up at once)."""
    session.collection(OUTBOX).update(
        row["id"],
        {
            "status": "pending",
            "attempts": 0,
            "next_ms": now_ms,
            "sending_ms": None,
            "parked": None,
            "review": {"decision": "resend", "by": by, "at_ms": now_ms, "was": row["status"]},
        },
    )


def close_checked(session: Session, row: dict[str, Any], *, by: str, now_ms: int) -> None:
    """Nothing more to do (the recipients had it, or it is no longer needed)."""
    session.collection(OUTBOX).update(
        row["id"],
        {
            "status": CHECKED,
            "review": {"decision": "checked", "by": by, "at_ms": now_ms, "was": row["status"]},
        },
    )
