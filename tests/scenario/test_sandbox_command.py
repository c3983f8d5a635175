"""`govbot sandbox` as a person runs it: prints the address and demo accounts, answers,
stops cleanly on Ctrl+C, and keeps its world under the data folder."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from tests.harness import PY, ROOT, Control, python_env


def _start(data: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    handle = log.open("wb")
    proc = subprocess.Popen(
        [PY, "-m", "bot", "sandbox", "--port", "0", "--data", str(data)],
        stdout=handle,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env=python_env(),
    )
    handle.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"控制台地址：(http://127\.0\.0\.1:\d+)/", log.read_text("utf-8"))
        if found:
            return proc, found.group(1)
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("no address printed: " + log.read_text("utf-8"))


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(timeout=15)


def test_sandbox_command_runs_answers_and_remembers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc, url = _start(data, tmp_path / "first.log")
    try:
        banner = (tmp_path / "first.log").read_text("utf-8")
        assert "演示账号" in banner and "wang.jianguo" in banner and "县长" in banner
        control = Control(url)
        control.wait_connected()
        control.send("wang.jianguo", "我是谁")
        control.wait_for("wang.jianguo", lambda i: len(i) >= 1)
        control.post("/sandbox/clock", {"advance_seconds": 86400})
        moved = control.get("/sandbox/clock")["epoch_ms"]
        control.close()
    finally:
        assert _stop(proc) == 0

    proc, url = _start(data, tmp_path / "second.log")
    try:
        control = Control(url)
        items = control.bot_items("wang.jianguo")
        assert any("钉钉账号" in str(i.get("text")) for i in items)
        assert control.get("/sandbox/clock")["epoch_ms"] >= moved
        control.wait_connected()
        control.send("wang.jianguo", "帮助")
        control.wait_for("wang.jianguo", lambda i: len(i) >= 2)
        control.close()
    finally:
        assert _stop(proc) == 0
    assert (data / "bot").is_dir()


def _bot_child_or_none(sandbox_pid: int) -> int | None:
    found = subprocess.run(
        ["pgrep", "-P", str(sandbox_pid), "-f", "bot run"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert len(found) <= 1, found
    return int(found[0]) if found else None


def _bot_child(sandbox_pid: int) -> int:
    child = _bot_child_or_none(sandbox_pid)
    assert child is not None, "no bot process under the sandbox"
    return child


def test_sandbox_restarts_its_bot_when_it_dies(tmp_path: Path) -> None:
    """Like a service manager: the demo and the trainers survive a bot crash."""
    proc, url = _start(tmp_path / "data", tmp_path / "run.log")
    control = Control(url)
    try:
        control.wait_connected()
        first = _bot_child(proc.pid)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while (child := _bot_child_or_none(proc.pid)) in (None, first):
            assert time.monotonic() < deadline, "the bot was not restarted"
            time.sleep(0.2)
        control.send("wang.jianguo", "我是谁")
        control.wait_for("wang.jianguo", lambda i: len(i) >= 1, timeout=60)
        assert _bot_child(proc.pid) == child
        assert "restarting in" in (tmp_path / "run.log").read_text("utf-8")
    finally:
        control.close()
        assert _stop(proc) == 0
