"""The write-ahead journal: one transaction over several files is all or nothing, a torn
record is dropped, a failed run gives back the committed (not the on-disk) version."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from storage import Database, Session
from storage.journal import JOURNAL_FILE, frame, read_records

PROJECT = Path(__file__).resolve().parents[2]

# One run moves a flow to its next step, stages the next assignee's message and takes a
# number: three files and a log, the save that once left the flow new and the outbox old.
CHILD = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from storage import Database

    root, fault, nth = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    db = Database.open_sync(root)
    calls = 0

    def counted(real):
        def wrapper(*args):
            global calls
            calls += 1
            if calls == nth:
                os._exit(17)
            return real(*args)
        return wrapper

    if fault == "write":
        os.write = counted(os.write)
    elif fault == "fsync":
        os.fsync = counted(os.fsync)
    elif fault == "replace":
        os.replace = counted(os.replace)

    def step(s):
        s.collection("flows").update("QS1", {"step": "review"})
        s.collection("outbox").insert({"id": "card:QS1:deliver", "to": "reviewer"})
        s.counter_next("request")
        s.log("audit").append([{"flow": "QS1", "action": "sign"}], 2026)

    db.run_sync(step)
    db.checkpoint_sync()
    os._exit(0)
    """
)


def _populate(root: Path) -> None:
    db = Database.open_sync(root)

    def seed(s: Session) -> None:
        s.collection("flows").insert({"id": "QS1", "step": "signoff"})
        s.counter_next("request")

    db.run_sync(seed)
    db.close_sync()


def _state(root: Path) -> tuple[str, list[str], int, int]:
    db = Database.open_sync(root)
    try:

        def read(s: Session) -> tuple[str, list[str], int, int]:
            flow = s.collection("flows").get("QS1")
            assert flow is not None
            outbox = [d["id"] for d in s.collection("outbox").all_open()]
            audit = len(list(s.log("audit").read(2026)))
            return flow["step"], outbox, s.counter_peek("request"), audit

        return db.run_sync(read)
    finally:
        db.close_sync()


OLD = ("signoff", [], 1, 0)
NEW = ("review", ["card:QS1:deliver"], 2, 1)


@pytest.mark.parametrize(
    ("fault", "nth", "expected"),
    [
        ("write", 1, OLD),  # before the journal record: nothing of the run
        ("fsync", 1, NEW),  # the record written, not yet fsynced (the system has it)
        ("write", 2, NEW),  # committed; dies writing the audit line (the journal has it)
        ("replace", 1, NEW),  # checkpoint: dies before the first file's rename
        ("replace", 2, NEW),  # checkpoint: one file renamed, the others not
        ("replace", 3, NEW),  # checkpoint: two of three renamed
    ],
)
def test_a_run_over_several_files_survives_a_kill_at_every_boundary(
    tmp_path: Path, fault: str, nth: int, expected: tuple[str, list[str], int, int]
) -> None:
    _populate(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), fault, str(nth)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 17, result.stderr
    assert _state(tmp_path) == expected
    assert _state(tmp_path) == expected  # recovering twice changes nothing
    assert (tmp_path / JOURNAL_FILE).stat().st_size == 0  # applied and emptied


def test_a_torn_record_is_dropped_and_whole_ones_are_kept(tmp_path: Path) -> None:
    body = json.dumps(
        {
            "files": [
                {
                    "path": "flows/open.json",
                    "tables": {"_default": {"all": False, "set": {"A": {"id": "A"}}, "del": []}},
                }
            ],
            "logs": [],
        }
    ).encode()
    torn = frame(b'{"files": []}')[:-3]
    records, good = read_records(frame(body) + torn)
    assert len(records) == 1 and good == len(frame(body))
    _populate(tmp_path)
    (tmp_path / JOURNAL_FILE).write_bytes(frame(body) + torn)
    db = Database.open_sync(tmp_path)
    try:
        ids = db.run_sync(lambda s: sorted(d["id"] for d in s.collection("flows").all_open()))
    finally:
        db.close_sync()
    assert ids == ["A", "QS1"]


async def test_a_failed_run_gives_back_the_committed_version(tmp_path: Path) -> None:
    db = await Database.open(tmp_path)
    try:
        await db.run(lambda s: s.collection("flows").insert({"id": "F", "step": 1}))
        await db.checkpoint()
        # Committed in the journal only: the file on disk still says step 1.
        await db.run(lambda s: s.collection("flows").update("F", {"step": 2}))

        def failing(s: Session) -> None:
            s.collection("flows").update("F", {"step": 3})
            s.collection("flows").insert({"id": "G"})
            s.collection("flows").archive("F", 2026)
            s.counter_next("n")
            raise RuntimeError("refused half-way")

        with pytest.raises(RuntimeError):
            await db.run(failing)

        def read(s: Session) -> tuple[object, object, int]:
            flows = s.collection("flows")
            return flows.get("F"), flows.get("G"), s.counter_peek("n")

        assert await db.run(read) == ({"id": "F", "step": 2}, None, 0)
        await db.checkpoint()
        disk = json.loads((tmp_path / "flows" / "open.json").read_text("utf-8"))
        assert disk == {"_default": {"F": {"id": "F", "step": 2}}}
    finally:
        await db.close()
