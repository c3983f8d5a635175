"""AppendLog: JSON lines per year; a crash-cut last line is dropped, not fatal."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Database, Session
from storage.jsonl import check_all, check_tail

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path)
    yield database
    await database.close()


async def test_append_read_years(db: Database, tmp_path: Path) -> None:
    def work(s: Session) -> list[dict[str, object]]:
        log = s.log("receipts")
        log.append([{"user": f"u{i}", "名": "张三"} for i in range(3)], 2024)
        log.append([{"user": "late"}], 2025)
        log.append([], 2023)  # an empty batch writes nothing
        return list(log.read(2024))  # pending appends are visible inside the run

    assert len(await db.run(work)) == 3
    await db.run(lambda s: s.log("receipts").append([{"user": "u3"}], 2024))

    def read(s: Session) -> tuple[list[str], list[int]]:
        log = s.log("receipts")
        return [str(r["user"]) for r in log.read(2024)], log.years()

    assert await db.run(read) == (["u0", "u1", "u2", "u3"], [2024, 2025])
    path = tmp_path / "logs" / "receipts" / "2024.jsonl"
    assert path.read_text(encoding="utf-8").count("\n") == 4
    assert "张三" in path.read_text(encoding="utf-8")  # stored as UTF-8, not escaped


def write_log(root: Path, content: bytes) -> Path:
    db = Database.open_sync(root)
    db.run_sync(lambda s: s.log("audit").append([{"i": 0}], 2025))
    db.close_sync()
    path = root / "logs" / "audit" / "2025.jsonl"
    path.write_bytes(content)
    return path


def read_all(root: Path) -> list[dict[str, object]]:
    db = Database.open_sync(root)
    try:
        return db.run_sync(lambda s: list(s.log("audit").read(2025)))
    finally:
        db.close_sync()


def test_truncated_last_line_is_dropped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_log(tmp_path, b'{"i": 1}\n{"i": 2}\n{"i": 3, "na')
    with caplog.at_level(logging.WARNING, logger="storage.jsonl"):
        assert read_all(tmp_path) == [{"i": 1}, {"i": 2}]
    assert "incomplete last line" in caplog.text
    assert path.read_bytes() == b'{"i": 1}\n{"i": 2}\n'
    # and appending afterwards yields a clean file
    db = Database.open_sync(tmp_path)
    db.run_sync(lambda s: s.log("audit").append([{"i": 4}], 2025))
    db.close_sync()
    assert read_all(tmp_path) == [{"i": 1}, {"i": 2}, {"i": 4}]


def test_complete_last_record_without_newline_is_kept(tmp_path: Path) -> None:
    path = write_log(tmp_path, b'{"i": 1}\n{"i": 2}')
    assert read_all(tmp_path) == [{"i": 1}, {"i": 2}]
    assert path.read_bytes().endswith(b"}\n")


def test_only_a_partial_line(tmp_path: Path) -> None:
    path = write_log(tmp_path, b'{"i"')
    assert read_all(tmp_path) == []
    assert path.read_bytes() == b""


def test_long_last_line_is_found_across_chunks(tmp_path: Path) -> None:
    big = b'{"pad": "' + b"x" * 200_000 + b'"}\n'
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"i": 1}\n' + big + big[:150_000])
    check_tail(path)
    assert path.read_bytes() == b'{"i": 1}\n' + big
    assert check_all(path) == 2


def test_full_check_counts_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    line = b'{"user": "u0001", "read_at": null, "note": "\xe5\xb7\xb2\xe8\xaf\xbb"}\n'
    path.write_bytes(line * 200_000)  # > one 4 MB chunk
    assert check_all(path) == 200_000


APPEND_OVER_LIMIT = textwrap.dedent(
    """
    import os, resource, signal, sys
    from pathlib import Path
    from storage import Database
    root, mode = Path(sys.argv[1]), sys.argv[2]
    db = Database.open_sync(root)
    size = (root / "logs/audit/2025.jsonl").stat().st_size
    if mode == "killed":
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + 100, size + 100))
    try:
        db.run_sync(lambda s: s.log("audit").append([{"n": i} for i in range(50)], 2025))
    except OSError:
        os._exit(3)
    os._exit(0)
    """
)


@pytest.mark.parametrize("mode", ["error", "killed"])
def test_append_cut_by_file_size_limit(tmp_path: Path, mode: str) -> None:
    db = Database.open_sync(tmp_path)
    db.run_sync(lambda s: s.log("audit").append([{"i": 0}], 2025))
    db.close_sync()
    result = subprocess.run(
        [sys.executable, "-c", APPEND_OVER_LIMIT, str(tmp_path), mode],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == (3 if mode == "error" else -signal.SIGXFSZ), result.stderr
    records = read_all(tmp_path)  # parseable either way
    if mode == "error":
        assert records == [{"i": 0}]  # the failed append was cut back to the old length
    else:
        # Killed inside the write: the cut last line is dropped at open; complete lines
        # before it stay (log batches are atomic per line, not per batch, under a crash).
        assert records == [{"i": 0}] + [{"n": n} for n in range(len(records) - 1)]
        assert len(records) < 51
