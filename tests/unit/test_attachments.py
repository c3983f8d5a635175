"""Attachments: which files are accepted, which travel zipped (DingTalk's media/upload
takes only doc, docx, xls, xlsx, ppt, pptx, zip, pdf, rar), the zip itself, the refusal
of files that could never reach anyone, and the outbox sending a packed file."""

from __future__ import annotations

import asyncio
import io
import os
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from bot import files
from bot.clock import TZ
from bot.dingtalk import BatchSendResult, DingTalkClient
from bot.errors import UserFacingError
from bot.files import (
    ACCEPTED_TYPES,
    DINGTALK_FILE_TYPES,
    FileStore,
    check_attachment_name,
    needs_packing,
    pack,
    packed_name,
)
from bot.outbox import Outbox
from bot.outgoing import file_to
from bot.sender import DingTalkSender
from messages.render import Messages
from tests.unit.fakes import make_services


@pytest.mark.parametrize(
    ("name", "sent_as"),
    [
        ("关于供暖的通知.pdf", "关于供暖的通知.pdf"),
        ("方案.DOCX", "方案.DOCX"),
        ("数据.xlsx", "数据.xlsx"),
        ("材料.zip", "材料.zip"),
        ("材料.rar", "材料.rar"),
        ("阳政发〔2026〕15号.ofd", "阳政发〔2026〕15号.zip"),
        ("请示.wps", "请示.zip"),
        ("统计.et", "统计.zip"),
        ("汇报.dps", "汇报.zip"),
        ("说明.txt", "说明.zip"),
        ("扫描件.JPG", "扫描件.zip"),
        ("a.b.ofd", "a.b.zip"),
    ],
)
def test_what_travels_as_it_is_and_what_is_zipped(name: str, sent_as: str) -> None:
    check_attachment_name(name)  # all of these are accepted
    assert packed_name(name) == sent_as
    assert needs_packing(name) is (sent_as != name)
    # Whatever is sent is something DingTalk's media/upload takes.
    assert Path(sent_as).suffix.lower().lstrip(".") in DINGTALK_FILE_TYPES


@pytest.mark.parametrize("name", ["setup.exe", "脚本.bat", "视频.mp4", "没有扩展名", "x.ofd.lnk"])
def test_files_that_could_never_be_delivered_are_refused(name: str) -> None:
    with pytest.raises(UserFacingError) as refused:
        check_attachment_name(name)
    assert refused.value.template == "attachment_bad_type"
    text = Messages().text(refused.value.template, **refused.value.context)
    assert name[:10] in text and "20 MB" in text
    # The refusal lists every accepted type, and nothing else is accepted.
    for ext in ACCEPTED_TYPES:
        assert ext in text, ext


def test_the_zip_holds_the_original_file_under_its_name() -> None:
    content = os.urandom(3000)
    moment = datetime(2026, 11, 24, 9, 30, 15, tzinfo=TZ)
    packed = pack("阳政发〔2026〕15号.ofd", content, moment)
    with zipfile.ZipFile(io.BytesIO(packed)) as archive:
        assert archive.testzip() is None
        [entry] = archive.infolist()
        assert entry.filename == "阳政发〔2026〕15号.ofd"
        assert entry.flag_bits & 0x800  # UTF-8 name, read right by any unzip tool
        assert entry.date_time == (2026, 11, 24, 9, 30, 14)  # zip keeps even seconds
        assert archive.read(entry) == content
    # A hostile name keeps no folders inside the zip.
    with zipfile.ZipFile(io.BytesIO(pack("../../x.ofd", b"x", moment))) as archive:
        assert archive.namelist() == ["x.ofd"]


# ---------------------------------------------------------------- intake (FileStore)


class _Downloads:
    """Just what FileStore needs of the DingTalk client."""

    async def message_file_download_url(self, download_code: str) -> str:
        return f"https://download.test/{download_code}"


def _store(root: Path, content: bytes) -> tuple[FileStore, httpx.AsyncClient]:
    http = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, content=content))
    )
    return FileStore(root, cast(DingTalkClient, _Downloads()), http), http


async def test_intake_refuses_a_file_whose_zip_would_exceed_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_BYTES", 1000)
    content = os.urandom(990)  # fits as it is; its zip (with headers) does not
    store, http = _store(tmp_path, content)
    try:
        kept = await store.fetch("code1", "方案.pdf")
        assert (tmp_path / kept.path).read_bytes() == content
        with pytest.raises(UserFacingError) as refused:
            await store.fetch("code2", "方案.ofd")
        assert refused.value.template == "file_too_large"
        with pytest.raises(UserFacingError) as bad:
            await store.fetch("code3", "setup.exe")
        assert bad.value.template == "attachment_bad_type"
    finally:
        await http.aclose()
    # Only the accepted PDF was kept; the original OFD would be kept as it is too.
    assert [p.suffix for p in (tmp_path / "files").iterdir()] == [".pdf"]


async def test_intake_keeps_an_ofd_as_it_is(tmp_path: Path) -> None:
    store, http = _store(tmp_path, b"OFD original")
    try:
        kept = await store.fetch("code", "通知.ofd")
    finally:
        await http.aclose()
    assert kept.name == "通知.ofd" and kept.path.endswith(".ofd")
    assert (tmp_path / kept.path).read_bytes() == b"OFD original"


# ---------------------------------------------------------------- sending (outbox)


class _Uploads:
    """Records media uploads and file/text sends like DingTalk would take them."""

    def __init__(self) -> None:
        self.uploads: list[tuple[str, bytes]] = []
        self.sent: list[dict[str, Any]] = []

    async def upload_media(self, kind: str, file_name: str, content: bytes) -> str:
        ext = Path(file_name).suffix.lower().lstrip(".")
        assert kind == "file" and ext in DINGTALK_FILE_TYPES, file_name  # else errcode 40005
        self.uploads.append((file_name, content))
        return f"@lA{len(self.uploads)}"

    async def send_file(
        self, user_ids: Sequence[str], media_id: str, file_name: str, file_type: str
    ) -> list[BatchSendResult]:
        self.sent.append(
            {"kind": "file", "users": list(user_ids), "name": file_name, "type": file_type}
        )
        return [BatchSendResult(f"pqk{len(self.sent)}", tuple(user_ids), (), (), ())]

    async def send_to_users(
        self, user_ids: Sequence[str], msg_key: str, msg_param: dict[str, str]
    ) -> list[BatchSendResult]:
        self.sent.append({"kind": "oto", "users": list(user_ids), "text": msg_param["content"]})
        return [BatchSendResult(f"pqk{len(self.sent)}", tuple(user_ids), (), (), ())]


async def _send(tmp_path: Path, name: str, content: bytes) -> _Uploads:
    services = await make_services(tmp_path)
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / f"f1{Path(name).suffix.lower()}").write_bytes(content)
    client = _Uploads()
    outbox = Outbox(
        services.db,
        cast(DingTalkSender, client),
        services.clock,
        files_root=tmp_path,
        messages=services.messages,
    )
    item = file_to(
        "dist:1:file", user_ids=["u1", "u2"], path=f"files/f1{Path(name).suffix.lower()}", name=name
    )
    await outbox.enqueue([item])
    worker = asyncio.create_task(outbox.run())
    try:
        async with asyncio.timeout(5):
            while True:
                rows = await services.db.run(lambda s: s.collection("outbox").all_open())
                if rows and all(r["status"] == "sent" for r in rows) and client.sent:
                    await asyncio.sleep(0.1)  # anything staged after the file shows up
                    rows = await services.db.run(lambda s: s.collection("outbox").all_open())
                    if all(r["status"] == "sent" for r in rows):
                        break
                await asyncio.sleep(0.01)
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        await services.db.close()
    return client


async def test_an_ofd_is_sent_zipped_with_a_note(tmp_path: Path) -> None:
    content = b"%OFD original bytes" * 50
    client = await _send(tmp_path, "阳政发〔2026〕15号.ofd", content)
    [(uploaded_name, uploaded)] = client.uploads
    assert uploaded_name == "阳政发〔2026〕15号.zip"
    with zipfile.ZipFile(io.BytesIO(uploaded)) as archive:
        assert archive.namelist() == ["阳政发〔2026〕15号.ofd"]
        assert archive.read("阳政发〔2026〕15号.ofd") == content
    file_msg, note = client.sent
    assert file_msg == {
        "kind": "file",
        "users": ["u1", "u2"],
        "name": "阳政发〔2026〕15号.zip",
        "type": "zip",
    }
    assert note["kind"] == "oto" and note["users"] == ["u1", "u2"]
    assert "阳政发〔2026〕15号.ofd" in note["text"] and "阳政发〔2026〕15号.zip" in note["text"]
    assert "OFD 阅读器" in note["text"]


async def test_a_pdf_is_sent_as_it_is_without_a_note(tmp_path: Path) -> None:
    client = await _send(tmp_path, "通知.pdf", b"%PDF-1.7")
    assert client.uploads == [("通知.pdf", b"%PDF-1.7")]
    assert client.sent == [
        {"kind": "file", "users": ["u1", "u2"], "name": "通知.pdf", "type": "pdf"}
    ]
