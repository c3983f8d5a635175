"""What each user has received or sent, in order, as the console shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.clock import iso_from_ms
from sandbox.errors import scrub, scrub_value


@dataclass
class InboxItem:
    id: str
    user_id: str
    ts: int
    direction: str  # "in" | "out"
    kind: str
    conversation_id: str = ""
    conversation_type: str = ""  # "1" single, "2" group, "" for notifications/todos
    title: str = ""
    text: str = ""
    msg_key: str = ""
    msg_param: dict[str, Any] | None = None
    out_track_id: str = ""
    template_id: str = ""
    todo_id: str = ""
    task_id: int = 0
    process_query_key: str = ""
    source: str = ""  # which API delivered it
    read: bool = False
    read_ts: int = 0
    recalled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "ts": self.ts,
            "time": iso_from_ms(self.ts),
            "read": self.read,
            "direction": self.direction,
            "kind": self.kind,
            "conversationId": self.conversation_id,
            "conversationType": self.conversation_type,
            "title": self.title,
            "text": self.text,
            "source": self.source,
        }
        if self.msg_key:
            out["msgKey"] = self.msg_key
        if self.msg_param is not None:
            out["msgParam"] = self.msg_param
        if self.out_track_id:
            out["outTrackId"] = self.out_track_id
            out["templateId"] = self.template_id
        if self.process_query_key:
            out["processQueryKey"] = self.process_query_key
        if self.task_id:
            out["taskId"] = self.task_id
        if self.recalled:
            out["recalled"] = True
        out.update(self.extra)
        return out


class Inboxes:
    def __init__(self) -> None:
        self._by_user: dict[str, list[InboxItem]] = {}
        self._by_id: dict[str, InboxItem] = {}

    def add(self, item: InboxItem) -> InboxItem:
        # The APIs refuse lone surrogates; should one slip through, it is stored as
        # U+FFFD so the inbox, the console and the saved state can still be written.
        item.title = scrub(item.title)
        item.text = scrub(item.text)
        item.msg_param = scrub_value(item.msg_param)
        item.extra = scrub_value(item.extra)
        self._by_user.setdefault(item.user_id, []).append(item)
        self._by_id[item.id] = item
        return item

    def of(self, user_id: str) -> list[InboxItem]:
        return list(self._by_user.get(user_id, []))

    def get(self, item_id: str) -> InboxItem | None:
        return self._by_id.get(item_id)

    def find(
        self,
        *,
        process_query_key: str = "",
        task_id: int = 0,
        out_track_id: str = "",
    ) -> list[InboxItem]:
        found = []
        for item in self._by_id.values():
            if process_query_key and item.process_query_key != process_query_key:
                continue
            if task_id and item.task_id != task_id:
                continue
            if out_track_id and item.out_track_id != out_track_id:
                continue
            found.append(item)
        return found
