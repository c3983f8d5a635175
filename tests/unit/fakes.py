"""In-process fakes for unit tests of the pipeline (the sandbox covers the real wire)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.calendar import WorkCalendar
from bot.clock import TZ, FixedClock
from bot.config import OrgDirectory, load_config
from bot.dingtalk import (
    BatchSendResult,
    CardDelivery,
    CardUpdate,
    DeliverResult,
    DingTalkAmbiguousError,
    DingTalkError,
    DingTalkRejectedError,
    DingTalkUnavailableError,
    MediaKind,
    NewCard,
    NewTodo,
)
from bot.feature import card_actions_of, commands_of
from bot.router import CardAction, Command, Router
from bot.sender import DingTalkSender
from bot.services import Services
from handlers.features import FEATURES
from messages.render import Messages
from sandbox.demo import demo_config_path
from storage.database import Database


class FakeDingTalk:
    """Records sends; ``failures`` is a queue of exceptions raised by the next sends.

    Cards and to-dos keep a little state like DingTalk does: ``cards`` (outTrackId →
    data and the users/groups holding it) and ``todos`` (sourceId → task); a second
    to-do with one sourceId is refused with "task exist". ``lose_answers`` counts calls
    that take effect but whose answer is then lost (raised as a retryable error, or with
    ``ambiguous`` as a timeout after the request left: the outcome is unknown).
    """

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.failures: list[Exception] = []
        self.cards: dict[str, dict[str, Any]] = {}
        self.todos: dict[str, dict[str, Any]] = {}
        self.lose_answers = 0
        self.ambiguous = False

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    def _answer_lost(self) -> None:
        if self.lose_answers > 0:
            self.lose_answers -= 1
            if self.ambiguous:
                raise DingTalkAmbiguousError(None, "ReadTimeout", "answer lost")
            raise DingTalkUnavailableError(None, "ReadTimeout", "answer lost")

    async def send_to_users(
        self, user_ids: Sequence[str], msg_key: str, msg_param: Mapping[str, str]
    ) -> list[BatchSendResult]:
        self._maybe_fail()
        self.sent.append(
            {
                "kind": "oto",
                "user_ids": list(user_ids),
                "msg_key": msg_key,
                "msg_param": dict(msg_param),
            }
        )
        return [
            BatchSendResult(
                process_query_key=f"pqk{len(self.sent)}",
                user_ids=tuple(user_ids),
                invalid=(),
                flow_controlled=(),
                filtered=(),
            )
        ]

    async def send_to_group(
        self, open_conversation_id: str, msg_key: str, msg_param: Mapping[str, str]
    ) -> str:
        self._maybe_fail()
        self.sent.append(
            {
                "kind": "group",
                "conversation_id": open_conversation_id,
                "msg_key": msg_key,
                "msg_param": dict(msg_param),
            }
        )
        return f"pqk{len(self.sent)}"

    async def create_and_deliver_card(self, card: NewCard) -> list[DeliverResult]:
        self._maybe_fail()
        self.sent.append(
            {
                "kind": "card",
                "out_track_id": card.out_track_id,
                "template_id": card.template_id,
                "user_ids": list(card.user_ids),
                "group_ids": list(card.group_ids),
            }
        )
        if card.out_track_id in self.cards:
            return []  # param.cardAlreadyExist counts as success
        self.cards[card.out_track_id] = {
            "template_id": card.template_id,
            "data": dict(card.card_data),
            "private": {u: dict(d) for u, d in (card.private_data or {}).items()},
            "users": list(card.user_ids),
            "groups": list(card.group_ids),
        }
        self._answer_lost()
        return self._delivered(card.user_ids, card.group_ids)

    async def deliver_card(self, delivery: CardDelivery) -> list[DeliverResult]:
        self._maybe_fail()
        user_ids, group_ids = delivery.user_ids, delivery.group_ids
        self.sent.append(
            {
                "kind": "card_deliver",
                "out_track_id": delivery.out_track_id,
                "user_ids": list(user_ids),
                "group_ids": list(group_ids),
            }
        )
        card = self._card(delivery.out_track_id)
        card["users"] += [u for u in user_ids if u not in card["users"]]
        card["groups"] += [g for g in group_ids if g not in card["groups"]]
        self._answer_lost()
        return self._delivered(user_ids, group_ids)

    async def update_card(self, update: CardUpdate) -> None:
        self._maybe_fail()
        card_data = update.card_data
        self.sent.append(
            {"kind": "card_update", "out_track_id": update.out_track_id, "card_data": card_data}
        )
        card = self._card(update.out_track_id)
        if card_data is not None:
            card["data"] = {**card["data"], **card_data} if update.by_key else dict(card_data)
        for user, data in (update.private_data or {}).items():
            card["private"][user] = {**card["private"].get(user, {}), **data}
        self._answer_lost()

    def _card(self, out_track_id: str) -> dict[str, Any]:
        card = self.cards.get(out_track_id)
        if card is None:
            raise DingTalkRejectedError(400, "param.cardNotExist", "卡片不存在", "req")
        return card

    @staticmethod
    def _delivered(user_ids: Sequence[str], group_ids: Sequence[str]) -> list[DeliverResult]:
        """Users whose id starts with "ghost" are unknown to DingTalk."""
        users = [
            DeliverResult("IM_ROBOT", u, True, f"carrier-{u}", "")
            if not u.startswith("ghost")
            else DeliverResult("IM_ROBOT", u, False, "", "param.userIdNotExist")
            for u in user_ids
        ]
        return users + [DeliverResult("IM_GROUP", g, True, f"carrier-{g}", "") for g in group_ids]

    async def upload_media(self, kind: MediaKind, file_name: str, content: bytes) -> str:
        self._maybe_fail()
        self.sent.append({"kind": "upload", "media": kind, "name": file_name, "size": len(content)})
        return f"@media{len(self.sent)}"

    async def send_file(
        self, user_ids: Sequence[str], media_id: str, file_name: str, file_type: str
    ) -> list[BatchSendResult]:
        self._maybe_fail()
        self.sent.append(
            {"kind": "file", "user_ids": list(user_ids), "media_id": media_id, "name": file_name}
        )
        return [BatchSendResult(f"pqk{len(self.sent)}", tuple(user_ids), (), (), ())]

    async def send_work_notification(
        self, user_ids: Sequence[str], msg: Mapping[str, object]
    ) -> int:
        self._maybe_fail()
        self.sent.append({"kind": "work_notice", "user_ids": list(user_ids), "msg": dict(msg)})
        return len(self.sent)

    async def send_ding(self, user_ids: Sequence[str], content: str, remind_type: int) -> str:
        self._maybe_fail()
        self.sent.append(
            {"kind": "ding", "user_ids": list(user_ids), "content": content, "type": remind_type}
        )
        return f"ding{len(self.sent)}"

    async def create_todo(self, todo: NewTodo) -> str:
        self._maybe_fail()
        self.sent.append(
            {
                "kind": "todo_create",
                "union_id": todo.union_id,
                "source_id": todo.source_id,
                "subject": todo.subject,
                "executor_union_ids": list(todo.executor_union_ids),
                "due_ms": todo.due_ms,
                "priority": todo.priority,
            }
        )
        if todo.source_id in self.todos:
            raise DingTalkRejectedError(400, "todo.taskCreate.paramError", "task exist", "req")
        task_id = f"task{len(self.todos) + 1}"
        self.todos[todo.source_id] = {
            "id": task_id,
            "owner": todo.union_id,
            "subject": todo.subject,
            "done": False,
        }
        self._answer_lost()
        return task_id

    async def find_todo(self, *, union_id: str, source_id: str) -> str | None:
        self._maybe_fail()
        self.sent.append({"kind": "todo_find", "union_id": union_id, "source_id": source_id})
        task = self.todos.get(source_id)
        if task is None or task["owner"] != union_id or task["done"]:
            return None
        return str(task["id"])

    async def complete_todo(self, *, union_id: str, task_id: str) -> None:
        self._maybe_fail()
        self.sent.append({"kind": "todo_done", "union_id": union_id, "task_id": task_id})
        for task in self.todos.values():
            if task["id"] == task_id and task["owner"] == union_id:
                task["done"] = True
                self._answer_lost()
                return
        raise DingTalkRejectedError(400, "todo.task.notExist", "task not exist", "req")


def server_error() -> DingTalkError:
    return DingTalkError(500, "system.busy", "busy", "req")


async def make_services(
    root: Path,
    now: datetime | None = None,
    commands: list[Command] | None = None,
    actions: list[CardAction] | None = None,
) -> Services:
    config = load_config(demo_config_path())
    messages = Messages()
    services = Services(
        config=config,
        directory=OrgDirectory(config),
        calendar=WorkCalendar(config.calendar_overrides),
        clock=FixedClock(now or datetime(2026, 11, 25, 10, 0, tzinfo=TZ)),
        messages=messages,
        db=await Database.open(root),
        router=Router(
            commands if commands is not None else commands_of(FEATURES),
            actions if actions is not None else card_actions_of(FEATURES),
            has_description=lambda _id: True,
        ),
    )
    return services


if TYPE_CHECKING:
    # mypy checks the fake against what the outbox needs (pyproject [tool.mypy] files).
    _FAKE_IS_A_SENDER: DingTalkSender = FakeDingTalk()
