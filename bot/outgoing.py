"""What the bot sends, as typed values that the outbox stores and replays.

Every outgoing item carries an idempotency ``key``: storing the same key twice is a
no-op, so re-processing a message after a crash never sends its reply twice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

OutKind = Literal["oto", "group", "card", "card_update", "work_notice"]


@dataclass(frozen=True, slots=True)
class Outgoing:
    key: str
    kind: OutKind
    # oto: user_ids, msg_key, msg_param; group: conversation_id, msg_key, msg_param;
    # card: template_id, out_track_id, card_data, user_ids, group_ids, private_data;
    # card_update: out_track_id, card_data, private_data; work_notice: user_ids, msg.
    payload: dict[str, Any] = field(default_factory=dict)

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Outgoing:
        return cls(key=str(doc["key"]), kind=doc["kind"], payload=dict(doc["payload"]))

    @property
    def target(self) -> str:
        """Messages to one target keep their order; different targets go in parallel."""
        if self.kind == "group":
            return f"group:{self.payload['conversation_id']}"
        if self.kind in ("card", "card_update"):
            return f"card:{self.payload['out_track_id']}"
        ids = self.payload.get("user_ids") or []
        return "users:" + ",".join(sorted(ids))


def markdown_to(
    key: str,
    *,
    user_id: str | None = None,
    conversation_id: str | None = None,
    title: str,
    text: str,
) -> Outgoing:
    """A markdown message to one user (1:1) or one group."""
    param = {"title": title, "text": text}
    if conversation_id:
        return Outgoing(
            key,
            "group",
            {"conversation_id": conversation_id, "msg_key": "sampleMarkdown", "msg_param": param},
        )
    if not user_id:
        raise ValueError("markdown_to needs a user or a conversation")
    return Outgoing(
        key, "oto", {"user_ids": [user_id], "msg_key": "sampleMarkdown", "msg_param": param}
    )


def text_to(
    key: str, *, user_id: str | None = None, conversation_id: str | None = None, text: str
) -> Outgoing:
    param = {"content": text}
    if conversation_id:
        return Outgoing(
            key,
            "group",
            {"conversation_id": conversation_id, "msg_key": "sampleText", "msg_param": param},
        )
    if not user_id:
        raise ValueError("text_to needs a user or a conversation")
    return Outgoing(
        key, "oto", {"user_ids": [user_id], "msg_key": "sampleText", "msg_param": param}
    )
