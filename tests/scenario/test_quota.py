"""The real bot against DingTalk's quota, QPS and permission answers (sandbox)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import OrgDirectory
from tests.harness import BotProcess, Control, SandboxThread, item_text
from tests.scenario.flows import head_of, staff_of
from tests.scenario.test_requests import EDU, REQUEST, _submit

# A Saturday afternoon: no daily job sends anything meanwhile.
pytestmark = pytest.mark.sandbox_start("2026-11-28T14:00:00+08:00")

SEND = "/v1.0/robot/oToMessages/batchSend"
NEAR = "钉钉接口调用额度即将用尽"
EXHAUSTED = "钉钉接口调用额度已用尽"
MISSING = "政务助手缺少钉钉接口权限"


def _office(sandbox: SandboxThread) -> list[str]:
    directory = OrgDirectory(sandbox.config)
    people = [directory.sole("office_director"), *directory.holders("admin_section")]
    return list(dict.fromkeys(p.user_id for p in people))


def _count(control: Control, user: str, text: str) -> int:
    return sum(1 for x in control.bot_items(user) if text in item_text(x))


def _replies(control: Control, user: str) -> int:
    return sum(1 for x in control.bot_items(user) if "帮助" in item_text(x))


def _calls(control: Control, path: str) -> list[dict[str, Any]]:
    return [c for c in control.calls() if c.get("path", "").startswith(path)]


def _ask_help(control: Control, user: str) -> None:
    before = _replies(control, user)
    control.send(user, "帮助")
    control.wait_for(user, lambda _: _replies(control, user) > before)


@pytest.fixture
def start_bot(
    sandbox: SandboxThread, control: Control, tmp_path: Path
) -> Iterator[Callable[[int, float], BotProcess]]:
    """Starts the bot with a small monthly budget in its configuration."""
    started: list[BotProcess] = []

    def start(quota: int, ratio: float) -> BotProcess:
        text = sandbox.config_path.read_text("utf-8")
        marker = "[dingtalk]\n"
        assert marker in text
        settings = f"{marker}monthly_api_quota = {quota}\napi_quota_warn_ratio = {ratio}\n"
        config = tmp_path / "org.toml"
        config.write_text(text.replace(marker, settings, 1), "utf-8")
        (tmp_path / "logs").mkdir()
        process = BotProcess(sandbox.url, config, tmp_path / "data", tmp_path / "logs")
        started.append(process)
        process.start()
        control.wait_connected()
        return process

    yield start
    for process in started:
        process.stop()


def test_qps_throttling_still_delivers_the_reply_once(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = staff_of(OrgDirectory(sandbox.config), EDU)
    control.faults(qps_limit_next=2)
    _ask_help(control, user)
    time.sleep(2)
    assert _replies(control, user) == 1
    throttled = [c for c in control.calls() if c["status"] == 403]
    assert len(throttled) == 2
    assert {c["response"]["code"] for c in throttled} == {"Forbidden.AccessDenied.QpsLimitForApi"}
    to_user = [c for c in _calls(control, SEND) if c["body"]["userIds"] == [user]]
    assert [c["status"] for c in to_user][-1] == 200
    assert sum(1 for c in to_user if c["status"] == 200) == 1


def test_office_is_told_once_when_near_and_once_when_exhausted(
    sandbox: SandboxThread, control: Control, start_bot: Callable[[int, float], BotProcess]
) -> None:
    quota_bot = start_bot(6, 0.5)
    user = staff_of(OrgDirectory(sandbox.config), EDU)
    office = _office(sandbox)
    for _ in range(3):
        _ask_help(control, user)
    for person in office:
        control.wait_for(person, lambda i: any(NEAR in item_text(x) for x in i))
    # Chat replies still go out, past the bot's own count of the quota too.
    for _ in range(4):
        _ask_help(control, user)
    for person in office:
        control.wait_for(person, lambda i: any(EXHAUSTED in item_text(x) for x in i))
    _ask_help(control, user)
    time.sleep(2)
    assert _replies(control, user) == 8
    for person in office:
        assert _count(control, person, NEAR) == 1
        assert _count(control, person, EXHAUSTED) == 1
    near = next(item_text(x) for x in control.bot_items(office[0]) if NEAR in item_text(x))
    assert "2026年11月" in near and "已读" in near
    log = quota_bot.log_text()
    assert "API budget quota_near" in log and "API budget quota_exhausted" in log


def test_quota_refusal_holds_messages_and_delivers_them_once_later(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = staff_of(OrgDirectory(sandbox.config), EDU)
    office = _office(sandbox)
    control.post("/sandbox/quota", {"monthly_limit": 100, "used": 100})
    control.send(user, "帮助")
    control.send(user, "我是谁")
    time.sleep(4)
    assert _replies(control, user) == 0
    refused = [c for c in _calls(control, SEND) if c["status"] == 403]
    assert refused and refused[0]["response"]["code"] == (
        "Forbidden.AccessDenied.ApiCountLimitForOrg"
    )
    assert len(refused) <= 2  # no retry storm: one refusal parks everything
    # The organisation buys more calls; the half-hourly probe finds it out.
    control.post("/sandbox/quota", {"monthly_limit": 10_000})
    control.post("/sandbox/clock", {"advance_seconds": 31 * 60})
    control.wait_for(user, lambda _: _replies(control, user) == 1, timeout=20)
    for person in office:
        control.wait_for(person, lambda i: any(EXHAUSTED in item_text(x) for x in i))
    time.sleep(2)
    assert _replies(control, user) == 1
    for person in office:
        assert _count(control, person, EXHAUSTED) == 1


def test_revoked_todo_permission_is_reported_once_without_a_retry_storm(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    office = _office(sandbox)
    control.post("/sandbox/permissions", {"revoke": ["Todo.Todo.Write"]})
    _submit(control, staff_of(directory, EDU), REQUEST)
    head = head_of(directory, EDU)
    control.wait_for(head, lambda i: any(x.get("kind") == "card" for x in i))
    # The step waits past [dingtalk] todo_delay_minutes: its to-do is due.
    control.post("/sandbox/clock", {"advance_seconds": 121 * 60})
    for person in office:
        control.wait_for(person, lambda i: any(MISSING in item_text(x) for x in i))
    text = next(item_text(x) for x in control.bot_items(office[0]) if MISSING in item_text(x))
    assert "Todo.Todo.Write" in text and "权限管理" in text
    time.sleep(5)
    todo_calls = _calls(control, "/v1.0/todo/")
    assert todo_calls and all(c["status"] == 403 for c in todo_calls)
    assert len(todo_calls) <= 2, todo_calls
    for person in office:
        assert _count(control, person, MISSING) == 1
    # Granted again: after the 44-minute park one probe creates the to-do.
    control.post("/sandbox/permissions", {"grant": ["Todo.Todo.Write"]})
    control.post("/sandbox/clock", {"advance_seconds": 45 * 60})
    control.wait_for(head, lambda i: any(x.get("kind") == "todo" for x in i), timeout=20)
    assert len([x for x in control.bot_items(head) if x.get("kind") == "todo"]) == 1
    for person in office:
        assert _count(control, person, MISSING) == 1


def test_revoked_robot_permission_is_reported_by_work_notification(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    user = staff_of(OrgDirectory(sandbox.config), EDU)
    office = _office(sandbox)
    control.post("/sandbox/permissions", {"revoke": ["qyapi_robot_sendmsg"]})
    control.send(user, "帮助")
    for person in office:
        items = control.wait_for(person, lambda i: any(MISSING in item_text(x) for x in i))
        notice = next(x for x in items if MISSING in item_text(x))
        assert "qyapi_robot_sendmsg" in item_text(notice)
        assert notice["kind"] == "work_notification"
    time.sleep(3)
    assert _replies(control, user) == 0
    assert len([c for c in _calls(control, SEND) if c["status"] == 403]) <= 2
    control.post("/sandbox/permissions", {"grant": ["qyapi_robot_sendmsg"]})
    control.post("/sandbox/clock", {"advance_seconds": 45 * 60})
    control.wait_for(user, lambda _: _replies(control, user) == 1, timeout=20)
