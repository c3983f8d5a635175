"""What DingTalk answers, as typed values, and the observer that sees every call."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from bot.dingtalk_errors import (
    DingTalkError,
)

log = logging.getLogger("bot.dingtalk")

Json = dict[str, Any]
Sleep = Callable[[float], Awaitable[None]]
MediaKind = Literal["image", "voice", "video", "file"]


class CallObserver(Protocol):
    """Sees every authenticated OpenAPI attempt (the API budget counts them)."""

    def before_call(self, method: str, path: str) -> None: ...

    def after_call(self, method: str, path: str, error: DingTalkError | None) -> None: ...


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class DingTalkCredentials:
    app_key: str
    app_secret: str
    robot_code: str
    agent_id: int
    corp_id: str

    def __repr__(self) -> str:  # never print the secret
        return (
            f"DingTalkCredentials(app_key={self.app_key!r}, app_secret='***', "
            f"robot_code={self.robot_code!r}, agent_id={self.agent_id}, corp_id={self.corp_id!r})"
        )


@dataclass(frozen=True)
class BatchSendResult:
    """One ``oToMessages/batchSend`` call (at most 20 recipients)."""

    process_query_key: str
    user_ids: tuple[str, ...]
    invalid: tuple[str, ...] = ()
    flow_controlled: tuple[str, ...] = ()
    filtered: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadInfo:
    user_id: str
    name: str
    read: bool
    read_at_ms: int | None


@dataclass(frozen=True)
class RecallResult:
    succeeded: tuple[str, ...]
    failed: Mapping[str, str]


@dataclass(frozen=True)
class DeliverResult:
    """One open space of a card delivery; ``carrier_id`` is the IM processQueryKey."""

    space_type: str
    space_id: str
    success: bool
    carrier_id: str
    error_msg: str


@dataclass(frozen=True)
class WorkNoticeResult:
    read: tuple[str, ...]
    unread: tuple[str, ...]
    invalid: tuple[str, ...]
    forbidden: tuple[str, ...]
    failed: tuple[str, ...]


@dataclass
class _Token:
    value: str
    refresh_at: datetime
