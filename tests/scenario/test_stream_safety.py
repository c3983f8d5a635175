"""Stream supervision and secrets: a silent connection is replaced; nothing secret is
ever logged."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.config import OrgDirectory
from sandbox.demo import DEMO_APP_KEY, DEMO_APP_SECRET
from tests.harness import BotProcess, Control, SandboxThread

pytestmark = pytest.mark.sandbox_start("2026-11-24T07:00:00+08:00")


@pytest.fixture
def quiet_sandbox() -> SandboxThread:
    # No server pings for a long time: the connection looks alive but says nothing.
    return SandboxThread(ping_interval_s=600.0, ack_timeout_s=3.0)


def test_silent_connection_is_replaced_by_the_watchdog(
    quiet_sandbox: SandboxThread, tmp_path: object
) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "logs").mkdir()
    url = quiet_sandbox.start()
    control = Control(url)
    bot = BotProcess(url, quiet_sandbox.config_path, folder / "data", folder / "logs")
    try:
        bot.start(["--watchdog", "2"])
        control.wait_connected()
        deadline = time.monotonic() + 20
        total = 0
        while time.monotonic() < deadline:
            total = control.get("/sandbox/stream/status")["connections_total"]
            if total >= 2:
                break
            time.sleep(0.2)
        assert total >= 2
        assert "no frame for" in bot.log_text()
        user = OrgDirectory(quiet_sandbox.config).holders("office_clerk")[0].user_id
        control.send(user, "我是谁")
        assert control.wait_for(user, lambda i: len(i) >= 1)
    finally:
        bot.stop()
        control.close()
        quiet_sandbox.stop()


def test_no_secret_or_token_appears_in_the_logs(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = OrgDirectory(sandbox.config).holders("office_clerk")[0].user_id
    control.faults(fail_next=1, status=500)
    control.send(user, "帮助")
    control.wait_for(user, lambda i: len(i) >= 1)
    control.faults(expire_tokens=True)
    control.send(user, "我是谁")
    control.wait_for(user, lambda i: len(i) >= 2)
    # While valid, DingTalk hands every caller the same token: ask for it ourselves.
    token = httpx.post(
        f"{sandbox.url}/v1.0/oauth2/accessToken",
        json={"appKey": DEMO_APP_KEY, "appSecret": DEMO_APP_SECRET},
    ).json()["accessToken"]
    log = bot.log_text()
    assert DEMO_APP_SECRET not in log
    assert token not in log
    assert "ticket=" not in log.replace("ticket=***", "")
