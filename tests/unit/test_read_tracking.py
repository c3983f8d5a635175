"""Read tracking of distributed documents: the pure pieces and rounds against a fake."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import TZ, FixedClock, to_epoch_ms
from bot.dingtalk import DingTalkRejectedError, ReadInfo, WorkNoticeResult
from bot.outbox import Outbox
from bot.services import Services
from handlers.distribution.distribute import distribution_actions, notice_key, work_notice_key
from handlers.distribution.read_tracking import (
    READ_CHECK_OFFSETS_MS,
    READ_WINDOW_MS,
    ReadCheck,
    ReadTracker,
    apply_reads,
    awaiting_read,
    check_due,
    checkpoints_passed,
    notice_groups,
    notice_pqk,
    pick,
    read_check_interval,
    read_moments,
    work_notice_reads,
    work_notice_task,
)
from tests.unit.fakes import FakeDingTalk, make_services, server_error

START = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)  # make_services' clock
NUMBER = "阳政办发〔2026〕9号"
NOW = 1_790_000_000_000


def _entry(signed: int | None = None, read: int | None = None, **more: Any) -> dict[str, Any]:
    return {"unit": "jyj", "signed_ms": signed, "read_ms": read, **more}


def test_loop_period_is_a_minute_in_production_and_short_in_the_sandbox() -> None:
    assert read_check_interval(15.0) == 60.0
    assert read_check_interval(1.0) == 4.0
    assert read_check_interval(120.0) == 120.0


def test_awaiting_read_skips_read_signed_refused_old_and_secret() -> None:
    record = {
        "created_ms": NOW - 1000,
        "recipients": {
            "a": _entry(),
            "b": _entry(read=NOW),
            "c": _entry(signed=NOW),
            "d": _entry(read_error="param.processQueryKeyExpired"),
            "e": {"unit": "x", "signed_ms": None},  # a record from before read tracking
        },
    }
    assert awaiting_read(record, NOW) == ["a", "e"]
    assert awaiting_read({**record, "created_ms": NOW - READ_WINDOW_MS}, NOW) == []
    assert awaiting_read({**record, "secret": True}, NOW) == []


def test_notice_pqk_only_for_sent_notices_inside_the_window() -> None:
    row = {"status": "sent", "sent_ms": NOW - 5, "result": {"pqk": ["k1"], "invalid": []}}
    assert notice_pqk(row, NOW) == "k1"
    assert notice_pqk({**row, "status": "pending"}, NOW) is None
    assert notice_pqk({**row, "sent_ms": NOW - READ_WINDOW_MS}, NOW) is None
    assert notice_pqk({**row, "result": {"pqk": []}}, NOW) is None
    assert notice_pqk(None, NOW) is None


def test_schedule_is_three_checks_inside_the_window() -> None:
    assert [o // 60_000 for o in READ_CHECK_OFFSETS_MS] == [60, 300, 1380]
    assert READ_CHECK_OFFSETS_MS[-1] < READ_WINDOW_MS
    record: dict[str, Any] = {"created_ms": NOW, "recipients": {"a": _entry()}}
    assert checkpoints_passed(record, NOW + 59 * 60_000) == 0
    assert not check_due(record, NOW + 59 * 60_000)
    assert checkpoints_passed(record, NOW + 60 * 60_000) == 1
    assert check_due(record, NOW + 60 * 60_000)
    assert not check_due({**record, "read_checks": 1}, NOW + 299 * 60_000)
    assert check_due({**record, "read_checks": 1}, NOW + 300 * 60_000)
    # Hours late: one catch-up check, not several.
    assert checkpoints_passed(record, NOW + 23 * 3600_000) == 3
    assert not check_due({**record, "read_checks": 3}, NOW + 23 * 3600_000 + 1)
    # Everybody read or signed: nothing is due any more.
    done = {"created_ms": NOW, "recipients": {"a": _entry(signed=NOW), "b": _entry(read=NOW)}}
    assert not check_due(done, NOW + 3600_000)


def _batches(number: str, users: list[str]) -> dict[str, list[str]]:
    """Robot notices in batches of 20, as distributions stored them before the work
    notification."""
    return {
        f"dist:{number}:notices:{n}": users[i : i + 20]
        for n, i in enumerate(range(0, len(users), 20))
    }


def test_robot_notices_of_older_distributions_are_still_found() -> None:
    batches = _batches("N", [f"u{i:02d}" for i in range(45)])
    assert notice_groups({"id": "N", "notices": batches, "recipients": {}}) == batches
    old = {"id": "N", "recipients": {"a": _entry()}}  # stored before batching
    assert notice_groups(old) == {notice_key("N", "a"): ["a"]}
    # Since the work notification: no robot notices at all.
    new = {"id": "N", "notices": {}, "work_notice": "k", "recipients": {"a": _entry()}}
    assert notice_groups(new) == {}


def test_work_notice_task_only_for_sent_notices_inside_the_window() -> None:
    row = {"status": "sent", "sent_ms": NOW - 5, "result": {"task_id": 42}}
    assert work_notice_task(row, NOW) == 42
    assert work_notice_task({**row, "status": "pending"}, NOW) is None
    assert work_notice_task({**row, "sent_ms": NOW - READ_WINDOW_MS}, NOW) is None
    assert work_notice_task({**row, "result": {}}, NOW) is None
    assert work_notice_task(None, NOW) is None


def test_work_notice_reads_and_recipients_never_reached() -> None:
    result = WorkNoticeResult(
        read=("a", "x"), unread=("b",), invalid=("c",), forbidden=("d",), failed=("e",)
    )
    reads, errors = work_notice_reads(result, ["a", "b", "c", "d", "e"], NOW)
    assert reads == {"a": NOW}  # no time in the answer: read by now
    assert errors == {"c": "invalid", "d": "forbidden", "e": "failed"}


def test_pick_takes_whole_distributions_up_to_the_limit() -> None:
    checks = [ReadCheck(n, ("a",), f"k{n}{i}", 1) for n in "xyz" for i in range(2)]
    assert [c.pqk for c in pick(checks, 3)] == ["kx0", "kx1", "ky0", "ky1"]
    assert [c.pqk for c in pick(checks, 1)] == ["kx0", "kx1"]  # the first always whole
    assert pick([], 5) == []


def test_read_moments() -> None:
    infos = [
        ReadInfo("a", "甲", True, 123),
        ReadInfo("b", "乙", False, None),
        ReadInfo("c", "丙", True, 0),
        ReadInfo("d", "丁", True, 5),  # not asked about
    ]
    assert read_moments(infos, ["a", "b", "c", "z"], NOW) == {"a": 123, "c": NOW}


def test_apply_reads_keeps_earlier_facts() -> None:
    record = {"recipients": {"a": _entry(), "b": _entry(signed=5), "c": _entry()}}
    newly, changed = apply_reads(record, {"a": 7, "b": 9}, {"c": "expired"})
    assert newly == ["a"] and changed
    assert record["recipients"]["a"]["read_ms"] == 7
    assert record["recipients"]["b"]["read_ms"] is None  # signed: read already implied
    assert record["recipients"]["c"]["read_error"] == "expired"
    assert apply_reads(record, {"a": 8}, {"c": "again"}) == ([], False)


class FakeReadStatus:
    """readStatus of robot batch notices (``batches`` maps a pqk to its recipients) and
    getsendresult of work notifications (``tasks`` maps a task_id to its recipients);
    ``calls`` lists the pqks and ``task-<id>`` asked about."""

    def __init__(self, batches: dict[str, list[str]], tasks: dict[int, list[str]]) -> None:
        self.batches = batches
        self.tasks = tasks
        self.read: dict[str, int] = {}  # user -> read moment
        self.forbidden: set[str] = set()  # never reached (DingTalk's flow control)
        self.refused: set[str] = set()
        self.failures: list[Exception] = []
        self.calls: list[str] = []

    async def work_notification_result(self, task_id: int) -> WorkNoticeResult:
        self.calls.append(f"task-{task_id}")
        if self.failures:
            raise self.failures.pop(0)
        if f"task-{task_id}" in self.refused:
            raise DingTalkRejectedError(200, "40035", "不合法的参数：task_id 不存在", "r")
        users = [u for u in self.tasks[task_id] if u not in self.forbidden]
        return WorkNoticeResult(
            read=tuple(u for u in users if u in self.read),
            unread=tuple(u for u in users if u not in self.read),
            invalid=(),
            forbidden=tuple(u for u in self.tasks[task_id] if u in self.forbidden),
            failed=(),
        )

    async def read_status(self, process_query_key: str) -> list[ReadInfo]:
        self.calls.append(process_query_key)
        if self.failures:
            raise self.failures.pop(0)
        if process_query_key in self.refused:
            raise DingTalkRejectedError(400, "param.processQueryKeyExpired", "24 小时", "r")
        return [
            ReadInfo(u, u, u in self.read, self.read.get(u))
            for u in self.batches[process_query_key]
        ]


TASK = 7


async def _setup(
    tmp_path: Path, users: list[str], *, notices: str = "work"
) -> tuple[Services, FakeReadStatus]:
    """A distribution sent a minute ago to ``users``, its notices sent: one work
    notification (task ``TASK``), or as stored earlier robot notices in batches of 20
    (``notices="batched"``, pqk ``pqk-<n>``) or one per recipient (``"single"``,
    ``pqk-<user>``)."""
    services = await make_services(tmp_path)
    services._outbox = Outbox(services.db, FakeDingTalk(), services.clock)
    now_ms = to_epoch_ms(services.clock.now())
    clerk = services.directory.holders("office_clerk")[0].user_id
    robot: dict[str, list[str]] = {}
    if notices == "batched":
        robot = _batches(NUMBER, users)
    elif notices == "single":
        robot = {notice_key(NUMBER, u): [u] for u in users}
    pqks = {
        key: f"pqk-{u[0]}" if notices == "single" else f"pqk-{n}"
        for n, (key, u) in enumerate(robot.items())
    }
    fake = FakeReadStatus({pqks[key]: members for key, members in robot.items()}, {TASK: users})

    def seed(session: Any) -> None:
        session.collection("documents").insert(
            {
                "id": NUMBER,
                "title": "关于测试的通知",
                "issuer": "县政府办公室",
                "issued_at": services.clock.now().isoformat(),
                "disclosure": "依申请公开",
            }
        )
        record: dict[str, Any] = {
            "id": NUMBER,
            "title": "关于测试的通知",
            "recipients": {u: _entry() for u in users},
            "office": [clerk],
            "card_id": "gdr",
            "office_card_id": "gdo",
            "secret": False,
            "created_ms": now_ms - 60_000,
        }
        if notices == "work":
            record["notices"] = {}
            record["work_notice"] = work_notice_key(NUMBER)
            rows = {work_notice_key(NUMBER): ("work_notice", {"task_id": TASK})}
        else:
            if notices == "batched":
                record["notices"] = robot
            rows = {k: ("oto", {"pqk": [pqks[k]], "invalid": []}) for k in robot}
        session.collection("distributions").insert(record)
        for key, (kind, result) in rows.items():
            session.collection("outbox").insert(
                {
                    "id": key,
                    "kind": kind,
                    "status": "sent",
                    "sent_ms": now_ms - 50_000,
                    "result": result,
                }
            )

    await services.db.run(seed)
    return services, fake


def _advance_to(services: Services, minutes: int) -> None:
    """Move the clock to ``minutes`` after the distribution (sent a minute before setup)."""
    clock = services.clock
    assert isinstance(clock, FixedClock)
    target = START + timedelta(minutes=minutes - 1)
    clock.advance(target - clock.now())


async def _recipients(services: Services) -> dict[str, Any]:
    record = await services.db.run(lambda s: s.collection("distributions").get(NUMBER))
    assert record is not None
    return dict(record["recipients"])


async def _card_updates(services: Services) -> list[dict[str, Any]]:
    rows = await services.db.run(
        lambda s: s.collection("outbox").find(lambda d: d.get("kind") == "card_update")
    )
    return sorted(rows, key=lambda d: d["seq"])


async def test_checks_follow_the_schedule_and_refresh_the_office_card(tmp_path: Path) -> None:
    services, fake = await _setup(tmp_path, ["u1", "u2", "u3"])
    tracker = ReadTracker(services, fake)
    try:
        assert await tracker.check_once() == 0
        assert fake.calls == []  # the first check is an hour after the send
        _advance_to(services, 60)
        fake.read["u3"] = 1234
        assert await tracker.check_once() == 1
        assert fake.calls == ["task-7"]  # one call for the whole distribution
        assert await tracker.check_once() == 0
        assert fake.calls == ["task-7"]  # nothing more until the next checkpoint
        recipients = await _recipients(services)
        # DingTalk says who, not when: read by the check.
        assert recipients["u3"]["read_ms"] == to_epoch_ms(services.clock.now())
        updates = await _card_updates(services)
        assert [u["id"] for u in updates] == ["gdo:read:u3"]
        assert "已读 1/3，已签收 0/3" in updates[0]["payload"]["card_data"]["progress"]

        # u1 signs (the main signal), u2 reads: at +5 h both are settled.
        def sign(session: Any) -> None:
            recipients["u1"]["signed_ms"] = 5
            session.collection("distributions").update(NUMBER, {"recipients": recipients})

        await services.db.run(sign)
        fake.read["u2"] = 99
        _advance_to(services, 300)
        assert await tracker.check_once() == 1
        assert fake.calls == ["task-7", "task-7"]
        # Everybody has read or signed: no call at any later checkpoint.
        for minutes in (720, 1380):
            _advance_to(services, minutes)
            assert await tracker.check_once() == 0
        assert len(fake.calls) == 2
        updates = await _card_updates(services)
        assert "已读 3/3，已签收 1/3" in updates[-1]["payload"]["card_data"]["progress"]
    finally:
        await services.db.close()


@pytest.mark.parametrize(("notices", "calls"), [("work", 3), ("batched", 3 * 10)])
async def test_a_day_of_nobody_reading_is_three_checks(
    tmp_path: Path, notices: str, calls: int
) -> None:
    """Three calls a day for 200 recipients of one work notification (three per batch
    of 20 for the robot notices of older distributions)."""
    users = [f"u{i:03d}" for i in range(200)]
    services, fake = await _setup(tmp_path, users, notices=notices)
    tracker = ReadTracker(services, fake)
    try:
        for minutes in range(0, 24 * 60 + 30, 5):  # a check loop every 5 minutes for a day
            _advance_to(services, max(minutes, 1))
            await tracker.check_once()
        assert len(fake.calls) == calls
        assert len(set(fake.calls)) == calls // 3
    finally:
        await services.db.close()


async def test_recipients_the_work_notice_never_reached_are_not_awaited(tmp_path: Path) -> None:
    services, fake = await _setup(tmp_path, ["u1", "u2"])
    fake.forbidden.add("u2")  # DingTalk's flow control kept it from him
    tracker = ReadTracker(services, fake)
    try:
        _advance_to(services, 60)
        assert await tracker.check_once() == 0
        recipients = await _recipients(services)
        assert recipients["u2"]["read_error"] == "forbidden"
        assert "read_error" not in recipients["u1"]
        fake.read["u1"] = 1
        _advance_to(services, 300)
        assert await tracker.check_once() == 1
        # Everybody settled (u2 only signs): no further call.
        _advance_to(services, 1380)
        assert await tracker.check_once() == 0
        assert fake.calls == ["task-7", "task-7"]
    finally:
        await services.db.close()


async def test_busy_dingtalk_keeps_the_checkpoint_and_refusal_stops_asking(
    tmp_path: Path,
) -> None:
    services, fake = await _setup(tmp_path, ["u1", "u2"])
    tracker = ReadTracker(services, fake)
    try:
        _advance_to(services, 60)
        fake.failures.append(server_error())
        assert await tracker.check_once() == 0
        assert fake.calls == ["task-7"]
        fake.refused.add("task-7")
        assert await tracker.check_once() == 0  # same checkpoint, tried again
        assert fake.calls == ["task-7", "task-7"]
        recipients = await _recipients(services)
        assert recipients["u1"]["read_error"] == "40035"
        _advance_to(services, 300)
        await tracker.check_once()
        assert len(fake.calls) == 2  # the refused notice is not asked about again
    finally:
        await services.db.close()


async def test_busy_dingtalk_and_refusal_for_older_robot_batches(tmp_path: Path) -> None:
    users = [f"u{i:02d}" for i in range(25)]  # two batches
    services, fake = await _setup(tmp_path, users, notices="batched")
    tracker = ReadTracker(services, fake)
    try:
        _advance_to(services, 60)
        fake.failures.append(server_error())
        assert await tracker.check_once() == 0
        assert fake.calls == ["pqk-0"]  # the round ends at the first failure
        fake.refused.add("pqk-1")
        assert await tracker.check_once() == 0  # same checkpoint, tried again
        assert fake.calls[1:] == ["pqk-0", "pqk-1"]
        recipients = await _recipients(services)
        assert recipients["u24"]["read_error"] == "param.processQueryKeyExpired"
        assert "read_error" not in recipients["u00"]
        _advance_to(services, 300)
        await tracker.check_once()
        assert fake.calls[3:] == ["pqk-0"]  # the refused batch is not polled again
    finally:
        await services.db.close()


async def test_distributions_stored_before_batching_are_still_tracked(tmp_path: Path) -> None:
    services, fake = await _setup(tmp_path, ["u1", "u2"], notices="single")
    tracker = ReadTracker(services, fake)
    try:
        _advance_to(services, 60)
        fake.read["u2"] = 7
        assert await tracker.check_once() == 1
        assert sorted(fake.calls) == ["pqk-u1", "pqk-u2"]
        assert (await _recipients(services))["u2"]["read_ms"] == 7
    finally:
        await services.db.close()


async def test_nothing_is_polled_after_the_window(tmp_path: Path) -> None:
    services, fake = await _setup(tmp_path, ["u1"])
    try:
        _advance_to(services, 24 * 60)
        assert await ReadTracker(services, fake).check_once() == 0
        assert fake.calls == []
    finally:
        await services.db.close()


@pytest.mark.parametrize(("read", "word"), [(None, "未读"), (5, "已读未签收")])
async def test_report_and_reminder_say_whether_it_was_read(
    tmp_path: Path, read: int | None, word: str
) -> None:
    services, _ = await _setup(tmp_path, ["u1"])
    try:

        def mark(session: Any) -> None:
            session.collection("distributions").update(
                NUMBER, {"recipients": {"u1": _entry(read=read)}}
            )

        await services.db.run(mark)
        actions = distribution_actions(services)
        action = {"doc": NUMBER}
        report = await services.db.run(lambda s: actions["dist.escalate"](s, action))
        assert f"县教育局（{word}）" in report[0].payload["msg_param"]["text"]
        reminder = await services.db.run(lambda s: actions["dist.remind"](s, action))
        expected = "您已阅读但尚未签收" if read else "您尚未阅读"
        assert expected in reminder[0].payload["msg_param"]["text"]
    finally:
        await services.db.close()
