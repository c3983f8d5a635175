"""Collection: open partition, per-year archives, id index; counters and meta."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from storage import (
    ArchivedError,
    Database,
    DuplicateIdError,
    NotFoundError,
    Session,
)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path)
    yield database
    await database.close()


async def test_insert_get_update_find(db: Database) -> None:
    def work(s: Session) -> None:
        docs = s.collection("documents")
        a = docs.insert({"title": "甲", "state": "drafting"})
        b = docs.insert({"id": "given-id", "title": "乙", "state": "signing"})
        assert b == "given-id"
        assert len(a) == 32
        assert docs.get(a) == {"id": a, "title": "甲", "state": "drafting"}
        updated = docs.update(a, {"state": "signing", "approvals": ["u1"]})
        assert updated["state"] == "signing"
        found = docs.find(lambda d: d["state"] == "signing")
        assert sorted(d["id"] for d in found) == sorted([a, b])
        assert docs.get("missing") is None

    await db.run(work)


async def test_returned_documents_are_copies(db: Database) -> None:
    def work(s: Session) -> None:
        docs = s.collection("documents")
        original: dict[str, Any] = {"title": "甲", "approvals": []}
        doc_id = docs.insert(original)
        original["approvals"].append("sneaky")
        fetched = docs.get(doc_id)
        assert fetched is not None
        fetched["approvals"].append("sneaky")
        docs.all_open()[0]["approvals"].append("sneaky")
        assert docs.get(doc_id) == {"id": doc_id, "title": "甲", "approvals": []}

    await db.run(work)


async def test_archive_moves_document_to_its_year(db: Database, tmp_path: Path) -> None:
    def setup(s: Session) -> list[str]:
        docs = s.collection("documents")
        ids = docs.insert_many([{"title": f"文 {i}", "n": i} for i in range(6)])
        docs.archive(ids[0], 2023)
        docs.archive(ids[1], 2024)
        docs.archive(ids[2], 2024)
        return ids

    ids = await db.run(setup)

    def check(s: Session) -> None:
        docs = s.collection("documents")
        assert sorted(d["n"] for d in docs.all_open()) == [3, 4, 5]
        assert docs.find(lambda d: d["n"] == 0) == []  # find looks at open only
        assert docs.get(ids[0]) == {"id": ids[0], "title": "文 0", "n": 0}
        assert docs.get(ids[2])["n"] == 2  # type: ignore[index]
        assert [d["n"] for d in docs.find_archived(2024, lambda d: True)] == [1, 2]
        assert docs.find_archived(2022, lambda d: True) == []
        assert docs.archived_years() == [2023, 2024]
        with pytest.raises(ArchivedError) as info:
            docs.update(ids[1], {"x": 1})
        assert info.value.year == 2024
        with pytest.raises(ArchivedError):
            docs.archive(ids[1], 2025)
        with pytest.raises(NotFoundError):
            docs.update("nope", {"x": 1})
        with pytest.raises(DuplicateIdError):
            docs.insert({"id": ids[0]})  # archived ids stay taken

    await db.run(check)
    await db.checkpoint()  # the files written now (the journal holds them until then)
    folder = tmp_path / "documents"
    assert sorted(p.name for p in folder.glob("*.json")) == [
        "2023.json",
        "2024.json",
        "index.json",
        "open.json",
    ]
    assert len(json.loads((folder / "open.json").read_text())["_default"]) == 3
    await db.close()
    reopened = await Database.open(tmp_path)
    try:
        assert (await reopened.run(lambda s: s.collection("documents").get(ids[1])))["n"] == 1  # type: ignore[index]
    finally:
        await reopened.close()


async def test_insert_many_rejects_duplicates_atomically(db: Database) -> None:
    with pytest.raises(DuplicateIdError):
        await db.run(lambda s: s.collection("documents").insert_many([{"id": "a"}, {"id": "a"}]))
    assert await db.run(lambda s: s.collection("documents").all_open()) == []


async def test_id_cannot_change(db: Database) -> None:
    def work(s: Session) -> None:
        doc_id = s.collection("documents").insert({})
        with pytest.raises(ValueError, match="id"):
            s.collection("documents").update(doc_id, {"id": "other"})

    await db.run(work)


async def test_file_on_disk_matches_memory_after_partial_encodes(
    db: Database, tmp_path: Path
) -> None:
    # Only changed documents are re-encoded; the assembled file must equal a full dump.
    def work(s: Session) -> list[str]:
        return s.collection("documents").insert_many([{"n": i, "t": "文"} for i in range(20)])

    ids = await db.run(work)

    def change(s: Session, doc_id: str, n: int) -> None:
        s.collection("documents").update(doc_id, {"n": n})

    for i, doc_id in enumerate(ids[:5]):
        await db.run(partial(change, doc_id=doc_id, n=-i))
    await db.run(lambda s: s.collection("documents").archive(ids[6], 2024))
    await db.run(lambda s: s.collection("documents").insert({"id": "late"}))
    memory = await db.run(lambda s: {d["id"]: d for d in s.collection("documents").all_open()})
    await db.checkpoint()
    disk = json.loads((tmp_path / "documents" / "open.json").read_text(encoding="utf-8"))
    assert disk == {"_default": memory}


async def test_names_are_checked(db: Database) -> None:
    def use(s: Session, name: str) -> None:
        s.collection(name)

    for bad in ("../x", "Documents", "logs", "", "a/b"):
        with pytest.raises(ValueError):
            await db.run(partial(use, name=bad))
    with pytest.raises(ValueError):
        await db.run(lambda s: s.table("outbox", "../../etc"))


async def test_meta_round_trip(db: Database, tmp_path: Path) -> None:
    await db.run(lambda s: s.meta_set("last_scan", {"at": "2025-01-01", "n": [1, 2]}))
    await db.close()
    reopened = await Database.open(tmp_path)
    try:
        assert await reopened.run(lambda s: (s.meta_get("last_scan"), s.meta_get("x", 7))) == (
            {"at": "2025-01-01", "n": [1, 2]},
            7,
        )
    finally:
        await reopened.close()
