"""Crash atomicity: a process that dies mid-write leaves the old or the new state: the
old one if it dies before the transaction's journal record is whole, the new one after
(during the checkpoint that writes the data files, too)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from storage import Database

PROJECT = Path(__file__).resolve().parents[2]
N_DOCS = 300

# The child opens the database, arms a fault, then removes every even document in one
# run (a shrinking write: the case where TinyDB's in-place write leaves a stale tail).
CHILD = textwrap.dedent(
    """
    import os, resource, signal, sys
    from pathlib import Path
    from storage import Database

    root, fault, nth = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    db = Database.open_sync(root)
    calls = 0
    real_fsync, real_replace, real_write = os.fsync, os.replace, os.write

    def counted(real, after):
        def wrapper(*args):
            global calls
            calls += 1
            if calls == nth and not after:
                os._exit(17)
            real(*args)
            if calls == nth and after:
                os._exit(17)
        return wrapper

    if fault == "write":
        os.write = counted(real_write, after=False)
    elif fault == "fsync":
        os.fsync = counted(real_fsync, after=False)
    elif fault == "replace":
        os.replace = counted(real_replace, after=False)
    elif fault == "replace-after":
        os.replace = counted(real_replace, after=True)
    elif fault.startswith("fsize"):
        # CPython ignores SIGXFSZ, so the write fails with EFBIG; restoring the default
        # action makes the kernel kill the process in the middle of the write instead.
        if fault == "fsize-killed":
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        limit = nth
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    def change(s):
        if fault.startswith("fsize"):
            s.table("items").insert_multiple(
                {"n": 1000 + i, "pad": "增长" * 50} for i in range(N_GROW)
            )
        else:
            s.table("items").remove(lambda d: d["n"] % 2 == 0)

    N_GROW = 400
    try:
        db.run_sync(change)
        db.checkpoint_sync()  # the data files written now, not seconds later
    except OSError as exc:
        print("error", exc.errno, flush=True)
        os._exit(3)
    os._exit(0)
    """
)


def populate(root: Path) -> None:
    db = Database.open_sync(root)
    db.run_sync(
        lambda s: s.table("items").insert_multiple(
            {"n": i, "title": f"文件 {i}"} for i in range(N_DOCS)
        )
    )
    db.close_sync()


def run_child(root: Path, fault: str, nth: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(root), fault, str(nth)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def reopen_numbers(root: Path) -> list[int]:
    db = Database.open_sync(root)
    try:
        return sorted(db.run_sync(lambda s: [d["n"] for d in s.table("items").all()]))
    finally:
        db.close_sync()


OLD = list(range(N_DOCS))
NEW = [n for n in OLD if n % 2]


@pytest.mark.parametrize(
    ("fault", "nth", "expected"),
    [
        ("write", 1, OLD),  # dies before writing the journal record
        ("fsync", 1, NEW),  # dies before fsyncing it: the system has it (not a power cut)
        ("fsync", 2, NEW),  # checkpoint: dies while making the temp file durable
        ("replace", 1, NEW),  # checkpoint: dies just before the rename
        ("replace-after", 1, NEW),  # checkpoint: dies just after the rename
    ],
)
def test_process_killed_mid_write_leaves_old_or_new_state(
    tmp_path: Path, fault: str, nth: int, expected: list[int]
) -> None:
    populate(tmp_path)
    result = run_child(tmp_path, fault, nth)
    assert result.returncode == 17, result.stderr
    data_file = tmp_path / "items" / "main.json"
    json.loads(data_file.read_text(encoding="utf-8"))  # parseable as it is on disk
    assert reopen_numbers(tmp_path) == expected
    leftovers = [p for p in (tmp_path / "items").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []  # the open cleaned up the orphaned temp file


@pytest.mark.parametrize("fault", ["fsize-ignored", "fsize-killed"])
def test_file_size_limit_mid_write_keeps_old_state(tmp_path: Path, fault: str) -> None:
    populate(tmp_path)
    data_file = tmp_path / "items" / "main.json"
    before = data_file.read_bytes()
    result = run_child(tmp_path, fault, len(before) + 4096)
    if fault == "fsize-ignored":
        assert result.returncode == 3, result.stderr  # write failed with EFBIG, reported
        assert result.stdout.startswith("error 27")
    else:
        assert result.returncode == -signal.SIGXFSZ  # killed mid-write
    assert data_file.read_bytes() == before
    assert reopen_numbers(tmp_path) == OLD
