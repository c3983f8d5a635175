"""Audit export: CSV (with BOM and a Chinese header) and JSON, inclusive Beijing dates."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import TZ
from bot.feature import flows_of as declared_flows
from bot.flow_audit import action_name, record_act
from handlers.export import export_audit
from handlers.features import FEATURES
from messages.render import Messages
from storage import Database, Session
from tests.unit.fakes import make_services

PROJECT = Path(__file__).resolve().parents[2]
HEADER = ["时间", "编号", "类别", "标题", "办理人", "角色", "代办对象", "操作", "操作代码", "意见"]


def record(at: str, flow: str, **changes: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "at": at,
        "flow": flow,
        "kind": "request",
        "title": f"{flow}的标题",
        "user": "zhangsan",
        "name": "张三",
        "roles": ["office_director"],
        "acting_for": None,
        "action": "decide:approve",
        "opinion": "同意",
    }
    rec.update(changes)
    return rec


RECORDS = [
    record("2025-12-31T23:59:59+08:00", "QS2025-0099"),
    record("2026-03-01T00:00:00+08:00", "QS2026-0001", action="submit", opinion=""),
    record("2026-03-02T09:30:00+08:00", "QS2026-0002", acting_for="lisi", action="signoff:sign"),
    # 16:30 UTC on 03-02 is 00:30 on 03-03 in Beijing
    record("2026-03-02T16:30:00+00:00", "QS2026-0003", action="cosign:agree", deemed=True),
    record("2026-03-05T23:59:59+08:00", "QS2026-0004", opinion="=HYPERLINK(1)"),
    record("2026-03-06T00:00:00+08:00", "QS2026-0005"),
]


def fill(db: Database, records: list[dict[str, Any]]) -> None:
    def work(s: Session) -> None:
        for rec in records:
            s.log("audit").append([rec], int(rec["at"][:4]))

    db.run_sync(work)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    database = Database.open_sync(path)
    try:
        fill(database, RECORDS)
    finally:
        database.close_sync()
    return path


@pytest.fixture
def db(data: Path) -> Iterator[Database]:
    database = Database.open_sync(data)
    yield database
    database.close_sync()


DEEMED_AGREE = "逾期未复，视为无不同意见（第六十九条）"
ACTION_NAMES = {
    "submit": "提交",
    "signoff:sign": "【主要负责人签发】签发",
    "cosign:agree": "【相关部门会签】逾期未复，视为无不同意见（第六十九条）",
    "decide:approve": "【县政府领导批示】批示同意",
}


def in_words(rec: dict[str, Any]) -> dict[str, Any]:
    """A stored record as the JSON export gives it: its code kept, the act in words beside."""
    return {**rec, "action_name": ACTION_NAMES[rec["action"]]}


def flows_of(rows: list[list[str]]) -> list[str]:
    return [row[1] for row in rows]


def test_csv_has_bom_chinese_header_and_labels(db: Database) -> None:
    out = io.StringIO(newline="")
    count = export_audit(db, date(2026, 3, 1), date(2026, 3, 5), "csv", out)
    text = out.getvalue()
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert rows[0] == HEADER
    assert count == len(rows) - 1 == 4
    assert flows_of(rows[1:]) == ["QS2026-0001", "QS2026-0002", "QS2026-0003", "QS2026-0004"]
    first = dict(zip(HEADER, rows[1], strict=True))
    assert first["时间"] == "2026-03-01 00:00:00"
    assert first["类别"] == "请示"
    assert first["标题"] == "QS2026-0001的标题"
    assert first["办理人"] == "张三"
    assert first["角色"] == "办公室主任"
    assert first["操作"] == "提交"
    assert first["操作代码"] == "submit"
    second = dict(zip(HEADER, rows[2], strict=True))
    assert second["代办对象"] == "lisi"
    assert second["操作"] == "【主要负责人签发】签发"
    assert second["操作代码"] == "signoff:sign"
    third = dict(zip(HEADER, rows[3], strict=True))
    assert third["时间"] == "2026-03-03 00:30:00"
    assert third["操作"] == "【相关部门会签】逾期未复，视为无不同意见（第六十九条）"
    assert third["操作代码"] == "cosign:agree"
    fourth = dict(zip(HEADER, rows[4], strict=True))
    assert fourth["意见"] == "'=HYPERLINK(1)"
    assert fourth["操作"] == "【县政府领导批示】批示同意"
    assert fourth["操作代码"] == "decide:approve"


def test_dates_are_inclusive_beijing_days(db: Database) -> None:
    out = io.StringIO()
    assert export_audit(db, date(2026, 3, 3), date(2026, 3, 3), "json", out) == 1
    assert [r["flow"] for r in json.loads(out.getvalue())] == ["QS2026-0003"]
    out = io.StringIO()
    assert export_audit(db, date(2026, 3, 2), date(2026, 3, 2), "json", out) == 1
    assert [r["flow"] for r in json.loads(out.getvalue())] == ["QS2026-0002"]


def test_json_is_the_stored_records_across_years(db: Database) -> None:
    out = io.StringIO()
    count = export_audit(db, date(2025, 12, 31), date(2026, 3, 6), "json", out)
    assert count == len(RECORDS)
    assert json.loads(out.getvalue()) == [in_words(r) for r in RECORDS]


def test_empty_range(db: Database) -> None:
    out = io.StringIO(newline="")
    assert export_audit(db, date(2024, 1, 1), date(2024, 12, 31), "csv", out) == 0
    assert out.getvalue() == "\ufeff" + ",".join(HEADER) + "\r\n"


def test_unknown_format_and_reversed_range(db: Database) -> None:
    with pytest.raises(ValueError):
        export_audit(db, date(2026, 1, 1), date(2026, 1, 2), "xml", io.StringIO())
    with pytest.raises(ValueError):
        export_audit(db, date(2026, 1, 2), date(2026, 1, 1), "csv", io.StringIO())


# -- the command ------------------------------------------------------------------------


def govbot(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_cli_csv_to_stdout(data: Path) -> None:
    result = govbot(
        "export", "audit", "--data", str(data), "--from", "2026-03-01", "--to", "2026-03-05"
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(result.stdout.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADER
    assert flows_of(rows[1:]) == ["QS2026-0001", "QS2026-0002", "QS2026-0003", "QS2026-0004"]
    assert "4 条" in result.stderr.decode()


def test_cli_json_to_file(tmp_path: Path, data: Path) -> None:
    target = tmp_path / "audit.json"
    result = govbot(
        "export", "audit", "--data", str(data), "--from", "2025-12-31", "--to", "2026-03-01",
        "--format", "json", "--out", str(target),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b""
    assert json.loads(target.read_text(encoding="utf-8")) == [in_words(r) for r in RECORDS[:2]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.json", "data"]


def test_cli_csv_to_file(tmp_path: Path, data: Path) -> None:
    target = tmp_path / "audit.csv"
    result = govbot(
        "export", "audit", "--data", str(data), "--from", "2026-03-06", "--to", "2026-03-06",
        "--out", str(target),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert flows_of(rows[1:]) == ["QS2026-0005"]


@pytest.mark.parametrize(
    ("start", "end", "needle"),
    [
        ("2026-02-30", "2026-03-01", "2026-02-30"),
        ("2026/03/01", "2026-03-05", "YYYY-MM-DD"),
        ("20260301", "2026-03-05", "YYYY-MM-DD"),
        ("2026-03-01", "tomorrow", "--to"),
        ("2026-03-05", "2026-03-01", "晚于"),
    ],
)
def test_cli_bad_dates_exit_2(data: Path, start: str, end: str, needle: str) -> None:
    result = govbot("export", "audit", "--data", str(data), "--from", start, "--to", end)
    assert result.returncode == 2
    assert result.stdout == b""
    assert needle in result.stderr.decode()


def test_cli_refused_while_the_bot_holds_the_data(db: Database, data: Path) -> None:
    result = govbot(
        "export", "audit", "--data", str(data), "--from", "2026-03-01", "--to", "2026-03-05"
    )
    assert result.returncode == 3
    assert "停止机器人" in result.stderr.decode()


def test_cli_missing_data_dir(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = govbot(
        "export", "audit", "--data", str(missing), "--from", "2026-03-01", "--to", "2026-03-05"
    )
    assert result.returncode == 3
    assert not missing.exists()


def test_cli_unwritable_out_exit_2(tmp_path: Path, data: Path) -> None:
    target = tmp_path / "no-such-folder" / "audit.csv"
    result = govbot(
        "export", "audit", "--data", str(data), "--from", "2026-03-01", "--to", "2026-03-05",
        "--out", str(target),
    )  # fmt: skip
    assert result.returncode == 2
    assert "无法写入" in result.stderr.decode()
    assert not target.parent.exists()


def test_the_cli_offers_every_export_and_only_those() -> None:
    from bot.cli_data import EXPORT_NAMES
    from handlers.exports import EXPORTS

    assert sorted(EXPORT_NAMES) == sorted(EXPORTS)


# -- acts in words -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "action", "deemed", "words"),
    [
        ("report", "decide:ack", False, "【县政府领导圈阅】圈阅（已阅知）"),
        ("meeting_leave", "approve:approve", False, "【县长审批】准假"),
        (
            "request",
            "finance:agree",
            True,
            "【财政局、审计局签批】逾期未复，视为无不同意见（第六十九条）",
        ),
        ("request", "withdraw", False, "撤回"),
        ("agenda", "collect:pass", True, "【行政股汇总审核】逾期未复，视为审核通过"),
        (
            "request",
            "signoff:self_signed",
            False,
            "【主要负责人签发】单位主要负责人本人提交，视同签发（第六十九条）",
        ),
        (
            "contract",
            "signoff:self_signed",
            False,
            "【主要负责人签发】单位主要负责人本人提交，视同签发",
        ),
        ("outgoing", "revoke", False, "撤销公开（政府网站和订阅源不再显示）"),
        ("request", "nosuchstep:nosuch", False, "nosuch"),
    ],
)
def test_action_names_come_from_the_flow_declarations(
    kind: str, action: str, deemed: bool, words: str
) -> None:
    assert action_name(Messages(), kind, action, deemed=deemed) == words


async def test_every_declared_decision_reads_in_words(tmp_path: Path) -> None:
    """No step of any declared flow leaves a bare code in the export's 操作 column."""
    services = await make_services(tmp_path)
    bare = []
    for flow in declared_flows(FEATURES, services):
        for step in flow.steps:
            for choice in step.choices:
                code = f"{step.id}:{choice.decision}"
                words = action_name(services.messages, flow.kind, code, deemed=False)
                if not words.startswith("【") or code in words or words.endswith(choice.decision):
                    bare.append(f"{flow.kind}.{code}")
    assert bare == []
    await services.db.close()


class _NoOne:
    def person(self, user_id: str) -> None:
        return None


def test_a_deemed_consent_is_audited_as_deemed(tmp_path: Path) -> None:
    """The engine's record of a silent 会签 reaches the export as a deemed consent."""
    doc: dict[str, Any] = {"id": "QS2026-0007", "kind": "request", "title": "标题", "trail": []}
    now = datetime(2026, 10, 8, 18, 0, 30, tzinfo=TZ)
    database = Database.open_sync(tmp_path / "data")
    try:
        database.run_sync(
            lambda s: record_act(s, _NoOne(), doc, now, "u1", None, "cosign:agree", deemed=True)  # type: ignore[arg-type]
        )
        out = io.StringIO()
        export_audit(database, now.date(), now.date(), "json", out)
    finally:
        database.close_sync()
    [exported] = json.loads(out.getvalue())
    assert exported["action_name"] == "【相关部门会签】逾期未复，视为无不同意见（第六十九条）"
    assert exported["action"] == "cosign:agree"
    assert exported["deemed"] is True
