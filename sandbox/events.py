"""A tiny publish/subscribe bus feeding the control API's Server-Sent Events stream."""

from __future__ import annotations

import asyncio
from typing import Any

_CLOSED: dict[str, Any] = {"type": "__closed__"}


class EventBus:
    def __init__(self, max_queue: int = 1000) -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._max_queue = max_queue

    def publish(self, event: dict[str, Any]) -> None:
        for queue in list(self._subscribers):
            if queue.full():
                # A stalled console loses old notices rather than growing memory.
                queue.get_nowait()
            queue.put_nowait(event)

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._max_queue)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(queue)

    def close(self) -> None:
        for queue in list(self._subscribers):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(_CLOSED)

    @staticmethod
    def is_closed(event: dict[str, Any]) -> bool:
        return event is _CLOSED
