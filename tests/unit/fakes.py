"""In-process fakes for unit tests of the pipeline (the sandbox covers the real wire)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.calendar import WorkCalendar
from bot.clock import TZ, FixedClock
from bot.config import OrgDirectory, load_config
from bot.dingtalk import BatchSendResult, DingTalkError
from bot.router import CardAction, Command, Router
from bot.services import Services
from handlers.routes import CARD_ACTIONS, COMMANDS
from messages.render import Messages
from sandbox.demo import demo_config_path
from storage.database import Database


class FakeDingTalk:
    """Records sends; ``failures`` is a queue of exceptions raised by the next sends."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.failures: list[Exception] = []

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

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
    return Services(
        config=config,
        directory=OrgDirectory(config),
        calendar=WorkCalendar(config.calendar_overrides),
        clock=FixedClock(now or datetime(2026, 11, 25, 10, 0, tzinfo=TZ)),
        messages=messages,
        db=await Database.open(root),
        router=Router(
            commands if commands is not None else COMMANDS,
            actions if actions is not None else CARD_ACTIONS,
            has_description=lambda _id: True,
        ),
    )
