"""`govbot sandbox --start`: the sandbox clock starts at the chosen moment (e.g. before
国庆 2026), the bot follows it, and a saved world is never moved back in time."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

from tests.harness import PY, ROOT, Control, python_env


def _launch(data: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    proc = subprocess.Popen(
        [PY, "-m", "bot", "sandbox", "--port", "0", "--data", str(data), *extra],
        stdout=handle,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env=python_env(),
    )
    handle.close()
    return proc


def _address(proc: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"控制台地址：(http://127\.0\.0\.1:\d+)/", log.read_text("utf-8"))
        if found:
            return found.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("no address printed: " + log.read_text("utf-8"))


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(timeout=15)


def _sandbox_now(control: Control) -> datetime:
    return datetime.fromisoformat(control.get("/sandbox/clock")["now"])


def test_start_sets_the_sandbox_clock_and_never_moves_a_saved_world_back(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    chosen = datetime.fromisoformat("2026-09-28T09:00+08:00")
    log = tmp_path / "first.log"
    proc = _launch(data, log, "--start", "2026-09-28T09:00+08:00")
    try:
        control = Control(_address(proc, log))
        assert "沙箱时间：2026-09-28 09:00（北京时间" in log.read_text("utf-8")
        now = _sandbox_now(control)
        assert chosen <= now < datetime.fromisoformat("2026-09-28T10:00+08:00")
        control.wait_connected()  # the bot runs on the sandbox's time
        control.post("/sandbox/clock", {"set": "2026-09-30T17:00:00+08:00"})
        control.close()
    finally:
        assert _stop(proc) == 0

    # The saved world is already at 30 September: an earlier start is refused ...
    log = tmp_path / "earlier.log"
    proc = _launch(data, log, "--start", "2026-09-29T09:00")
    assert proc.wait(timeout=30) == 2
    refusal = log.read_text("utf-8")
    assert "沙箱时间不能倒退" in refusal and "2026-09-30 17:0" in refusal

    # ... a later one moves it forward (a naive time is Beijing time).
    log = tmp_path / "later.log"
    proc = _launch(data, log, "--start", "2026-10-08T08:30")
    try:
        control = Control(_address(proc, log))
        now = _sandbox_now(control)
        later = datetime.fromisoformat("2026-10-08T08:30+08:00")
        assert later <= now < datetime.fromisoformat("2026-10-08T09:30+08:00")
        control.close()
    finally:
        assert _stop(proc) == 0


def test_unreadable_start_is_refused(tmp_path: Path) -> None:
    log = tmp_path / "bad.log"
    proc = _launch(tmp_path / "data", log, "--start", "国庆节")
    assert proc.wait(timeout=30) == 2
    assert "--start 的时刻“国庆节”无法识别" in log.read_text("utf-8")
