"""Plain records the sandbox keeps for the APIs it serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Session:
    """A chatbot message's sessionWebhook: where replies land, and until when."""

    session: str
    conversation_id: str
    conversation_type: str  # "1" | "2"
    sender_user_id: str
    expires_at: int  # sandbox epoch ms


@dataclass
class RobotSend:
    """One robot OpenAPI send, identified by its processQueryKey."""

    process_query_key: str
    kind: str  # "oto" | "group"
    msg_key: str
    msg_param: dict[str, Any]
    recipients: list[str]
    conversation_id: str = ""
    created_at: int = 0
    recalled: bool = False


@dataclass
class WorkNotification:
    task_id: int
    msg: dict[str, Any]
    recipients: list[str]
    invalid_user_ids: list[str]
    forbidden_user_ids: list[str]
    invalid_dept_ids: list[int]
    created_at: int
    recalled: bool = False


@dataclass
class Todo:
    id: str
    owner_union_id: str
    data: dict[str, Any]
    executor_done: dict[str, bool] = field(default_factory=dict)
    deleted: bool = False

    def view(self) -> dict[str, Any]:
        out = dict(self.data)
        out["executorStatusList"] = [
            {"id": uid, "isDone": done} for uid, done in self.executor_done.items()
        ]
        if self.deleted:
            out["deleted"] = True
        return out
