"""The sandbox keeps its world under the data folder: inboxes, cards, files, to-dos and
the moved clock survive a restart of ``govbot sandbox``, like DingTalk's would.

The snapshot is a pickle of the sandbox's own objects: it is a local developer tool
reading only the file it wrote itself, and it is written atomically.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
from pathlib import Path
from typing import Any

from sandbox.state import SandboxState

log = logging.getLogger(__name__)

SNAPSHOT_VERSION = 1
# The parts of SandboxState that make up the world (not connections or pending frames).
FIELDS = (
    "inboxes",
    "sessions",
    "user_files",
    "download_links",
    "media",
    "robot_sends",
    "cards",
    "notifications",
    "notified_today",
    "todos",
    "todo_source_ids",
    "calls",
)


def _snapshot(state: SandboxState) -> bytes:
    data: dict[str, Any] = {name: getattr(state, name) for name in FIELDS}
    data["version"] = SNAPSHOT_VERSION
    data["clock_offset"] = state.clock.offset
    data["seq"] = state.next_seq()
    data["task_id"] = state.new_task_id()
    data["users"] = sorted(u.user_id for u in state.seed.users)
    return pickle.dumps(data)


def save_state(state: SandboxState, path: Path) -> None:
    _write(_snapshot(state), path)


def _write(blob: bytes, path: Path) -> None:
    temp = path.with_suffix(".tmp")
    with temp.open("wb") as handle:
        handle.write(blob)
        handle.flush()
        os.fsync(handle.fileno())
    temp.replace(path)


def load_state(state: SandboxState, path: Path) -> bool:
    """Restore a snapshot; False (and a fresh world) if none or it does not fit."""
    if not path.exists():
        return False
    try:
        data = pickle.loads(path.read_bytes())  # noqa: S301 (our own snapshot file)
    except Exception:
        log.warning("sandbox snapshot %s unreadable; starting with an empty world", path)
        return False
    users = sorted(u.user_id for u in state.seed.users)
    if data.get("version") != SNAPSHOT_VERSION or data.get("users") != users:
        log.warning("sandbox snapshot %s is from another organisation; not restored", path)
        return False
    for name in FIELDS:
        setattr(state, name, data[name])
    state.clock.restore(data["clock_offset"])
    state._seq = itertools.count(int(data["seq"]) + 1)
    state._task_ids = itertools.count(int(data["task_id"]) + 1)
    return True


async def autosave(state: SandboxState, path: Path, every_s: float = 5.0) -> None:
    """Save periodically (and once more when cancelled at shutdown)."""
    try:
        while True:
            await asyncio.sleep(every_s)
            # Pickled on the loop (the state is only changed there), written off it.
            await asyncio.to_thread(_write, _snapshot(state), path)
    finally:
        with contextlib.suppress(Exception):
            save_state(state, path)
