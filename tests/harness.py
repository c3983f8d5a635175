"""Test harness: the sandbox in a background thread, the bot as a real separate process
(the real dingtalk-stream SDK inside), and a small client for the control API."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bot.config import load_config
from sandbox.app import RunningSandbox, start_sandbox
from sandbox.launcher import bot_command, bot_environment, demo_config_path, seed_from_config

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAIT_S = 20.0


class SandboxThread:
    """Runs the sandbox on its own event loop so the test body can stay synchronous."""

    def __init__(self, **seed_overrides: Any) -> None:
        self.config_path = demo_config_path()
        self.config = load_config(self.config_path)
        self.seed = seed_from_config(self.config, **seed_overrides)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._running: RunningSandbox | None = None

    def start(self) -> str:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(start_sandbox(self.seed, port=0), self._loop)
        self._running = future.result(timeout=10)
        return self._running.url

    @property
    def url(self) -> str:
        assert self._running is not None
        return self._running.url

    def stop(self) -> None:
        if self._running is not None:
            asyncio.run_coroutine_threadsafe(self._running.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


class BotProcess:
    def __init__(self, sandbox_url: str, config_path: Path, data_dir: Path, log_dir: Path) -> None:
        self.sandbox_url = sandbox_url
        self.config_path = config_path
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._logs: list[Any] = []

    def start(self, extra: list[str] | None = None) -> subprocess.Popen[bytes]:
        self.starts += 1
        log = (self.log_dir / f"bot-{self.starts}.log").open("wb")
        self._logs.append(log)
        cmd = bot_command(self.config_path, self.data_dir, self.sandbox_url)
        cmd += ["--watchdog", "10", *(extra or [])]
        self.proc = subprocess.Popen(
            cmd, env=bot_environment(), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        return self.proc

    def log_text(self) -> str:
        return "\n".join(
            p.read_text("utf-8", "replace") for p in sorted(self.log_dir.glob("bot-*.log"))
        )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 10) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for log in self._logs:
            log.close()


class Control:
    """The sandbox control API, as tests and the console use it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=10)

    def close(self) -> None:
        self.http.close()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        answer = self.http.post(path, json=body)
        answer.raise_for_status()
        return answer.json()

    def get(self, path: str) -> Any:
        answer = self.http.get(path)
        answer.raise_for_status()
        return answer.json()

    def send(self, user_id: str, text: str) -> str:
        return str(self.post(f"/sandbox/users/{user_id}/messages", {"text": text})["msgId"])

    def send_raw(self, user_id: str, body: dict[str, Any]) -> str:
        return str(self.post(f"/sandbox/users/{user_id}/messages", body)["msgId"])

    def inbox(self, user_id: str) -> list[dict[str, Any]]:
        return list(self.get(f"/sandbox/users/{user_id}/inbox"))

    def bot_items(self, user_id: str) -> list[dict[str, Any]]:
        return [i for i in self.inbox(user_id) if i.get("direction") == "in"]

    def wait_for(
        self,
        user_id: str,
        predicate: Callable[[list[dict[str, Any]]], bool],
        timeout: float = DEFAULT_WAIT_S,
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        items: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            items = self.bot_items(user_id)
            if predicate(items):
                return items
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {user_id}'s inbox; last seen: {items!r}")

    def move_clock(self, change: dict[str, Any], timeout: float = DEFAULT_WAIT_S) -> None:
        """Moves the sandbox time; while a bot follows it, waits until the bot reports
        that it has caught up with this move (its due jobs have run)."""
        version = int(self.post("/sandbox/clock", change)["version"])
        deadline = time.monotonic() + timeout
        view: dict[str, Any] = {}
        while time.monotonic() < deadline:
            view = self.get("/sandbox/clock")
            if int(view["followed"]) >= version or not view["follower"]:
                return
            time.sleep(0.05)
        raise AssertionError(f"the bot did not catch up with the sandbox time: {view!r}")

    def wait_connected(self, connections: int = 1, timeout: float = DEFAULT_WAIT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.get("/sandbox/stream/status")
            if int(status.get("connections", 0)) >= connections:
                return
            time.sleep(0.1)
        raise AssertionError("the bot did not connect to the stream")

    def faults(self, **faults: Any) -> Any:
        return self.post("/sandbox/faults", faults)

    def calls(self) -> list[dict[str, Any]]:
        return list(self.get("/sandbox/calls"))


def item_text(item: dict[str, Any]) -> str:
    """The visible text of an inbox item, whatever its kind."""
    parts = [str(item.get("title") or ""), str(item.get("text") or "")]
    for values in (item.get("msgParam"), item.get("cardData")):
        if isinstance(values, dict):
            parts += [str(v) for v in values.values()]
    return "\n".join(parts)


def texts(items: list[dict[str, Any]]) -> list[str]:
    return [item_text(i) for i in items]


def python_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


PY = sys.executable
