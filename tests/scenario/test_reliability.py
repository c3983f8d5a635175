"""At-least-once delivery, faults and restarts: nothing lost, nothing doubled."""

from __future__ import annotations

import re
import subprocess
import time

import pytest

from bot.config import OrgDirectory
from tests.harness import BotProcess, Control, SandboxThread, item_text

# A quiet working-day morning (before the 09:00 daily job), so that only the calls a test
# makes happen while it counts them.
pytestmark = pytest.mark.sandbox_start("2026-11-24T07:00:00+08:00")


def _clerk(sandbox: SandboxThread) -> str:
    return OrgDirectory(sandbox.config).holders("office_clerk")[0].user_id


def _settle(seconds: float = 1.5) -> None:
    # Gives a wrongly duplicated reply time to show up before counting.
    time.sleep(seconds)


def test_duplicated_frame_is_handled_once(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = _clerk(sandbox)
    control.faults(duplicate_next=1)
    control.send(user, "我是谁")
    control.wait_for(user, lambda i: len(i) >= 1)
    _settle()
    assert len(control.bot_items(user)) == 1
    assert "duplicate chatbot message" in bot.log_text()


def test_stream_dropped_and_resumed_loses_nothing(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = _clerk(sandbox)
    before = control.get("/sandbox/stream/status")
    control.faults(drop_stream=True)
    control.send(user, "帮助")
    control.send(user, "我是谁")
    items = control.wait_for(user, lambda i: len(i) >= 2)
    _settle()
    items = control.bot_items(user)
    assert len(items) == 2
    assert "使用说明" in item_text(items[0])
    assert "钉钉账号" in item_text(items[1])
    after = control.get("/sandbox/stream/status")
    assert after["connections_total"] > before["connections_total"]


def test_server_error_then_success_delivers_exactly_once(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = _clerk(sandbox)
    control.faults(fail_next=1, status=500)
    control.send(user, "我是谁")
    control.wait_for(user, lambda i: len(i) >= 1)
    _settle()
    assert len(control.bot_items(user)) == 1
    sends = [
        c
        for c in control.calls()
        if c["path"].endswith("/oToMessages/batchSend") and user in str(c["body"])
    ]
    assert [c["status"] for c in sends] == [500, 200]


def test_rate_limited_then_success_delivers_exactly_once(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = _clerk(sandbox)
    control.faults(fail_next=2, status=429)
    control.send(user, "帮助")
    control.wait_for(user, lambda i: len(i) >= 1)
    _settle()
    assert len(control.bot_items(user)) == 1


def test_expired_token_is_refreshed(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = _clerk(sandbox)
    control.send(user, "帮助")
    control.wait_for(user, lambda i: len(i) >= 1)
    control.faults(expire_tokens=True)
    control.send(user, "我是谁")
    control.wait_for(user, lambda i: len(i) >= 2)
    _settle()
    assert len(control.bot_items(user)) == 2


def test_killed_before_replying_then_restarted_replies_once(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = _clerk(sandbox)
    # Every send fails, so the reply stays stored but unsent ...
    control.faults(fail_next=1000, status=500)
    control.send(user, "我是谁")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the first attempt failed ...
        if "attempt 1 failed" in bot.log_text():
            break
        time.sleep(0.1)
    # ... and is stored (milliseconds after its log line); the next attempt waits 1.6 s
    # or more. A kill during an attempt would leave the reply 待核实, never resent.
    time.sleep(0.5)
    bot.kill()  # ... and the bot dies with SIGKILL.
    control.faults(fail_next=0)
    bot.start()
    control.wait_connected(connections=1)
    items = control.wait_for(user, lambda i: len(i) >= 1)
    _settle(3)
    items = control.bot_items(user)
    assert len(items) == 1
    assert "钉钉账号" in item_text(items[0])


def test_unacked_message_is_redelivered_after_a_crash_and_answered_once(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = _clerk(sandbox)
    bot.kill()
    control.send(user, "我是谁")  # queued by the gateway while the bot is down
    bot.start()
    control.wait_for(user, lambda i: len(i) >= 1)
    _settle(4)  # longer than the sandbox's ACK timeout: any redelivery would show
    assert len(control.bot_items(user)) == 1


def test_sigterm_stops_the_bot_cleanly(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = _clerk(sandbox)
    control.send(user, "帮助")
    control.wait_for(user, lambda i: len(i) >= 1)
    code = bot.terminate(timeout=5)
    assert code == 0
    assert "govbot stopping" in bot.log_text()


def test_corrupt_database_is_refused_at_start(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = _clerk(sandbox)
    control.send(user, "帮助")
    control.wait_for(user, lambda i: len(i) >= 1)
    assert bot.terminate() == 0
    victims = sorted(p for p in bot.data_dir.rglob("*.json") if p.name != "schema.json")
    assert victims, "the bot stored nothing"
    victim = victims[0]
    victim.write_text('{"_default": {"1": {"broken": ', encoding="utf-8")
    proc = bot.start()
    code = proc.wait(timeout=20)
    assert code == 3
    log = bot.log_text()
    assert "损坏" in log and victim.name in log
    assert victim.read_text(encoding="utf-8") == '{"_default": {"1": {"broken": '


def test_second_bot_on_same_data_refuses_to_start(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    first = bot.proc
    second = BotProcess(bot.sandbox_url, bot.config_path, bot.data_dir, bot.log_dir)
    second.starts = 10
    try:
        proc = second.start()
        assert proc.wait(timeout=20) == 3
    finally:
        second.stop()
    assert first is not None and first.poll() is None
    assert "占用" in second.log_text() or "运行" in second.log_text()


def test_check_config_reports_problems(tmp_path: object) -> None:
    from pathlib import Path

    from tests.harness import PY, ROOT, python_env

    bad = Path(str(tmp_path)) / "bad.toml"
    bad.write_text('[county]\nname = 1\n[dingtalk]\napp_secret = "x"\n', encoding="utf-8")
    result = subprocess.run(
        [PY, "-m", "bot", "check-config", str(bad)],
        capture_output=True,
        cwd=ROOT,
        env=python_env(),
        check=False,
    )
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "处问题" in err
    assert "app_secret" in err


def test_session_webhooks_never_rest_on_disk(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    """A chat's sessionWebhook lets anyone post into it: not in the inbound rows, the
    journal or the backups, whether the bot is killed or stopped."""
    user = _clerk(sandbox)

    def holding_webhooks() -> list[str]:
        return [
            str(p.relative_to(bot.data_dir))
            for p in bot.data_dir.rglob("*")
            if p.is_file() and b"sendBySession" in p.read_bytes()
        ]

    control.send(user, "我是谁")
    control.wait_for(user, lambda i: len(i) >= 1)
    bot.kill()  # the journal alone holds the message
    assert holding_webhooks() == []
    bot.start()
    control.wait_connected(timeout=30)
    control.send(user, "帮助")
    control.wait_for(user, lambda i: len(i) >= 2)
    bot.stop()  # checkpointed: the data files and their .bak copies
    assert holding_webhooks() == []


def test_killed_while_dingtalk_holds_the_answer_nothing_is_sent_twice(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    """DingTalk took the reply but the bot dies before hearing so: after the restart the
    reply is not sent again (parked 待核实, README 可靠性设计), and the bot goes on."""
    user = _clerk(sandbox)
    control.faults(stall_next=1, stall_s=8)
    control.send(user, "我是谁")
    control.wait_for(user, lambda i: len(i) >= 1)  # delivered; the answer is held back
    bot.kill()
    bot.start()
    control.wait_connected(connections=1)
    control.send(user, "帮助")
    control.wait_for(user, lambda i: len(i) >= 2)
    _settle(3)
    items = control.bot_items(user)
    assert len(items) == 2
    assert "钉钉账号" in item_text(items[0])
    assert "parked, not resent" in bot.log_text()
    # The office sees it in 待核实, asks the recipient (he has it) and closes it.
    control.send(user, "待核实")
    listing = item_text(control.wait_for(user, lambda i: len(i) >= 3)[-1])
    assert "发送时程序中断，是否送达不明" in listing
    found = re.search(r"#(\d+)\*\* 单聊消息", listing)
    assert found is not None, listing
    control.send(user, f"已核实 {found.group(1)}")
    assert "已核实" in item_text(control.wait_for(user, lambda i: len(i) >= 4)[-1])
    control.send(user, "待核实")
    assert "没有待核实" in item_text(control.wait_for(user, lambda i: len(i) >= 5)[-1])
    _settle(1)
    assert [item_text(i) for i in control.bot_items(user)].count(item_text(items[0])) == 1
