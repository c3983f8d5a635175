"""DingTalk to-dos: create, complete, find by sourceId, delete."""

from __future__ import annotations

import logging

from bot.dingtalk.results import Json
from bot.dingtalk.specs import NewTodo
from bot.dingtalk.transport import MAX_TODO_PAGES, Transport, url_segment
from bot.dingtalk_errors import (
    DingTalkUnavailableError,
)

log = logging.getLogger("bot.dingtalk")


class TodoApi(Transport):
    """Org to-do tasks of one person (unionId)."""

    async def create_todo(self, todo: NewTodo) -> str:
        """Create a to-do; returns its id. A duplicate ``source_id`` raises
        :class:`DingTalkRejectedError` (code ``todo.taskCreate.paramError``, "task exist").
        """
        request: Json = {
            "subject": todo.subject,
            "description": todo.description,
            "executorIds": list(todo.executor_union_ids),
            "creatorId": todo.union_id,
            "sourceId": todo.source_id,
            "detailUrl": {"appUrl": todo.detail_url, "pcUrl": todo.detail_url},
            "priority": todo.priority,
        }
        if todo.due_ms is not None:
            request["dueTime"] = todo.due_ms
        body = await self._api(
            "POST",
            f"/v1.0/todo/users/{url_segment(todo.union_id)}/tasks",
            idempotent=True,  # sourceId dedups a replay
            params={"operatorId": todo.union_id},
            json_body=request,
        )
        task_id = body.get("id")
        if not isinstance(task_id, str) or not task_id:
            raise DingTalkUnavailableError(200, "noTaskId", "to-do answer without id")
        return task_id

    async def complete_todo(self, *, union_id: str, task_id: str) -> None:
        await self._change_todo("PUT", union_id, task_id, {"done": True})

    async def find_todo(self, *, union_id: str, source_id: str) -> str | None:
        """The id of the open to-do of ``union_id`` created with ``source_id`` (None if
        there is none): for a create whose answer was lost, DingTalk says "task exist"
        but not its id. Pages through the org to-do query (Todo.Todo.Read)."""
        token: str | None = None
        for _ in range(MAX_TODO_PAGES):
            body = await self._api(
                "POST",
                f"/v1.0/todo/users/{url_segment(union_id)}/org/tasks/query",
                idempotent=True,
                json_body={"isDone": False, **({"nextToken": token} if token else {})},
            )
            cards = body.get("todoCards")
            for card in cards if isinstance(cards, list) else []:
                if isinstance(card, dict) and card.get("sourceId") == source_id:
                    task_id = card.get("taskId")
                    return str(task_id) if task_id else None
            next_token = body.get("nextToken")
            if not isinstance(next_token, str) or not next_token:
                return None
            token = next_token
        return None

    async def delete_todo(self, *, union_id: str, task_id: str) -> None:
        await self._change_todo("DELETE", union_id, task_id)

    async def _change_todo(
        self, method: str, union_id: str, task_id: str, json_body: Json | None = None
    ) -> None:
        """A change to one to-do, made by its owner."""
        await self._api(
            method,
            todo_task_path(union_id, task_id),
            idempotent=True,
            params={"operatorId": union_id},
            json_body=json_body,
        )


def todo_task_path(union_id: str, task_id: str) -> str:
    """The new API's path of one to-do of one person."""
    return f"/v1.0/todo/users/{url_segment(union_id)}/tasks/{url_segment(task_id)}"
