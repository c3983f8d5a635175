"""What the bot sends, as typed values that the outbox stores and replays.

Every outgoing item carries an idempotency ``key``: storing the same key twice is a
no-op, so re-processing a message after a crash never sends its reply twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypedDict

OutKind = Literal[
    "oto",
    "group",
    "card",
    "card_update",
    "card_deliver",
    "work_notice",
    "ding",
    "todo_create",
    "todo_done",
    "file",
]
CARD_KINDS = ("card", "card_update", "card_deliver")
TODO_KINDS = ("todo_create", "todo_done")


@dataclass(frozen=True, slots=True)
class Outgoing:
    key: str
    kind: OutKind
    # oto: user_ids, msg_key, msg_param; group: conversation_id, msg_key, msg_param;
    # card: template_id, out_track_id, card_data, user_ids, group_ids, private_data;
    # card_update: out_track_id, card_data, private_data;
    # card_deliver: out_track_id, user_ids, group_ids; work_notice: user_ids, msg;
    # ding: user_ids, content, remind_type (1 in DingTalk, 2 text message, 3 phone call);
    # todo_create: source_id, union_id, subject, description, due_ms, detail_url, priority;
    # todo_done: source_id.
    payload: dict[str, Any] = field(default_factory=dict)

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Outgoing:
        return cls(key=str(doc["key"]), kind=doc["kind"], payload=dict(doc["payload"]))

    @property
    def target(self) -> str:
        """Messages to one target keep their order; different targets go in parallel.

        A card's create, deliveries and updates share ``card:<outTrackId>``; a to-do's
        create and completion share ``todo:<sourceId>`` (the completion needs the task id
        the create stored).
        """
        if self.kind == "group":
            return f"group:{self.payload['conversation_id']}"
        if self.kind in CARD_KINDS:
            return f"card:{self.payload['out_track_id']}"
        if self.kind in TODO_KINDS:
            return f"todo:{self.payload['source_id']}"
        ids = self.payload.get("user_ids") or []
        return "users:" + ",".join(sorted(ids))


class Recipient(TypedDict):
    """Who a reply goes to (``markdown_to``/``text_to`` keywords): a group if
    ``conversation_id``, else one user 1:1."""

    user_id: str | None
    conversation_id: str | None


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
    return _robot_message(key, user_id, conversation_id, "sampleMarkdown", param, "markdown_to")


def text_to(
    key: str, *, user_id: str | None = None, conversation_id: str | None = None, text: str
) -> Outgoing:
    param = {"content": text}
    return _robot_message(key, user_id, conversation_id, "sampleText", param, "text_to")


def _robot_message(
    key: str,
    user_id: str | None,
    conversation_id: str | None,
    msg_key: str,
    param: dict[str, str],
    builder: str,
) -> Outgoing:
    """A group message if ``conversation_id``, else a 1:1 message to ``user_id``."""
    if conversation_id:
        payload = {"conversation_id": conversation_id, "msg_key": msg_key, "msg_param": param}
        return Outgoing(key, "group", payload)
    if not user_id:
        raise ValueError(f"{builder} needs a user or a conversation")
    return Outgoing(key, "oto", {"user_ids": [user_id], "msg_key": msg_key, "msg_param": param})


# ---------------------------------------------------------------- cards


def card_create(
    key: str,
    *,
    template_id: str,
    out_track_id: str,
    card_data: Mapping[str, Any],
    user_ids: Sequence[str] = (),
    group_ids: Sequence[str] = (),
    private_data: Mapping[str, Mapping[str, Any]] | None = None,
) -> Outgoing:
    """Create a card and deliver it to users (robot 1:1) and/or groups."""
    if not user_ids and not group_ids:
        raise ValueError("card_create needs user_ids or group_ids")
    payload: dict[str, Any] = {
        "template_id": template_id,
        "out_track_id": out_track_id,
        "card_data": dict(card_data),
        "user_ids": list(user_ids),
        "group_ids": list(group_ids),
    }
    return Outgoing(key, "card", payload | _private(private_data))


def card_update(
    key: str,
    out_track_id: str,
    card_data: Mapping[str, Any] | None = None,
    private_data: Mapping[str, Mapping[str, Any]] | None = None,
) -> Outgoing:
    """Update a card's data by key (only the given keys change)."""
    if card_data is None and not private_data:
        raise ValueError("card_update needs card_data or private_data")
    payload: dict[str, Any] = {"out_track_id": out_track_id}
    if card_data is not None:
        payload["card_data"] = dict(card_data)
    return Outgoing(key, "card_update", payload | _private(private_data))


def _private(private_data: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    """Each user's private card data (copied) under ``private_data``; nothing when none."""
    if not private_data:
        return {}
    return {"private_data": {uid: dict(data) for uid, data in private_data.items()}}


def card_deliver(
    key: str,
    out_track_id: str,
    user_ids: Sequence[str] = (),
    group_ids: Sequence[str] = (),
) -> Outgoing:
    """Deliver an existing card to more users and/or groups."""
    if not user_ids and not group_ids:
        raise ValueError("card_deliver needs user_ids or group_ids")
    return Outgoing(
        key,
        "card_deliver",
        {"out_track_id": out_track_id, "user_ids": list(user_ids), "group_ids": list(group_ids)},
    )


# ---------------------------------------------------------------- to-dos


def todo_create(
    key: str,
    *,
    source_id: str,
    union_id: str,
    subject: str,
    description: str,
    due_ms: int | None,
    detail_url: str,
    priority: int = 20,
) -> Outgoing:
    """A DingTalk to-do for one person (``union_id`` is the executor's unionId).

    ``source_id`` is the business id: DingTalk refuses a second task with it, and
    :func:`todo_done` finds the task by it.
    """
    if not source_id or not union_id:
        raise ValueError("todo_create needs a source_id and the executor's union_id")
    return Outgoing(
        key,
        "todo_create",
        {
            "source_id": source_id,
            "union_id": union_id,
            "subject": subject,
            "description": description,
            "due_ms": due_ms,
            "detail_url": detail_url,
            "priority": priority,
        },
    )


def todo_done(key: str, source_id: str) -> Outgoing:
    """Mark the to-do created with ``source_id`` done."""
    if not source_id:
        raise ValueError("todo_done needs a source_id")
    return Outgoing(key, "todo_done", {"source_id": source_id})


def file_to(key: str, *, user_ids: list[str], path: str, name: str) -> Outgoing:
    """A stored file (``path`` relative to the data folder) sent as a file message:
    uploaded to DingTalk's media store, then sent with ``sampleFile``."""
    if not user_ids or not path:
        raise ValueError("file_to needs recipients and a stored file")
    return Outgoing(key, "file", {"user_ids": list(user_ids), "path": path, "name": name})


# ---------------------------------------------------------------- DING


def ding_to(key: str, *, user_ids: Sequence[str], content: str, remind_type: int) -> Outgoing:
    """An urgent DING: it rings until read (in DingTalk), or comes as a text message or a
    phone call. Kept for what must not wait (突发事件 nobody has acknowledged)."""
    if not user_ids:
        raise ValueError("ding_to needs user_ids")
    if remind_type not in (1, 2, 3):
        raise ValueError(f"remind_type must be 1, 2 or 3, not {remind_type}")
    payload = {"user_ids": list(user_ids), "content": content, "remind_type": remind_type}
    return Outgoing(key, "ding", payload)
