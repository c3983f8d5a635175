"""What the outbox needs of DingTalk: the calls that send, deliver and close things.
:class:`bot.dingtalk.DingTalkClient` provides them over HTTP; the unit tests' fake is
type-checked against this Protocol, so the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.dingtalk import (
        BatchSendResult,
        CardDelivery,
        CardUpdate,
        DeliverResult,
        MediaKind,
        NewCard,
        NewTodo,
    )


class DingTalkSender(Protocol):
    async def send_to_users(
        self, user_ids: Sequence[str], msg_key: str, msg_param: Mapping[str, str]
    ) -> list[BatchSendResult]: ...

    async def send_to_group(
        self, open_conversation_id: str, msg_key: str, msg_param: Mapping[str, str]
    ) -> str: ...

    async def create_and_deliver_card(self, card: NewCard) -> list[DeliverResult]: ...

    async def deliver_card(self, delivery: CardDelivery) -> list[DeliverResult]: ...

    async def update_card(self, update: CardUpdate) -> None: ...

    async def send_work_notification(
        self, user_ids: Sequence[str], msg: Mapping[str, object]
    ) -> int: ...

    async def send_ding(self, user_ids: Sequence[str], content: str, remind_type: int) -> str: ...

    async def upload_media(self, kind: MediaKind, file_name: str, content: bytes) -> str: ...

    async def send_file(
        self, user_ids: Sequence[str], media_id: str, file_name: str, file_type: str
    ) -> list[BatchSendResult]: ...

    async def create_todo(self, todo: NewTodo) -> str: ...

    async def find_todo(self, *, union_id: str, source_id: str) -> str | None: ...

    async def complete_todo(self, *, union_id: str, task_id: str) -> None: ...
