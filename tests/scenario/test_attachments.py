"""Attachments DingTalk cannot carry as they are: an OFD 发文 reaches every recipient as a
zip holding the original (the sandbox's media/upload is as strict as DingTalk's), and a
file that could never be delivered is refused when it is attached."""

from __future__ import annotations

import base64
import io
import time
import zipfile
from typing import Any

import pytest

from bot.config import OrgDirectory
from tests.harness import BotProcess, Control, SandboxThread, item_text
from tests.scenario.flows import head_of, press
from tests.scenario.test_documents import _approve_chain

pytestmark = pytest.mark.sandbox_start("2026-11-24T07:00:00+08:00")

OFD = b"PK\x03\x04 an OFD container " + bytes(range(256)) * 8


def _start_file_draft(control: Control, clerk: str, title: str, recipients: str) -> None:
    control.send(
        clerk,
        f"发文\n标题：{title}\n发文机关：县政府办公室\n主办单位：县教育局\n"
        f"主送：{recipients}\n公开属性：主动公开",
    )
    control.wait_for(clerk, lambda i: any("Word、PDF、OFD" in item_text(x) for x in i))


def _attach(control: Control, user: str, name: str, content: bytes) -> None:
    body = {"file": {"name": name, "content_base64": base64.b64encode(content).decode()}}
    control.send_raw(user, body)


def _file_items(control: Control, user: str) -> list[dict[str, Any]]:
    return [x for x in control.bot_items(user) if x.get("kind") == "file"]


def test_an_ofd_document_reaches_every_recipient_as_a_zip_of_the_original(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = directory.holders("office_clerk")[0].user_id
    title = "关于印发冬季供暖保障方案的通知"
    _start_file_draft(control, clerk, title, "县教育局、县财政局")
    _attach(control, clerk, "供暖方案.ofd", OFD)
    control.wait_for(clerk, lambda i: any("已收到公文文件" in item_text(x) for x in i))
    control.send(clerk, "现将冬季供暖保障方案印发给你们，请认真贯彻执行。")
    control.wait_for(
        clerk,
        lambda i: any("请核对发文卡" in item_text(x) and "供暖方案.ofd" in item_text(x) for x in i),
    )
    control.send(clerk, "确认")
    card = _approve_chain(control, directory, title, county=False)
    press(control, directory.sole("office_director").user_id, card, "签发")

    recipients = [head_of(directory, "jyj"), head_of(directory, "czj")]
    for user in recipients:
        control.wait_for(
            user,
            lambda i: (
                any(x.get("kind") == "file" for x in i)
                and any("供暖方案.ofd" in item_text(x) and "压缩包" in item_text(x) for x in i)
            ),
        )
        [sent] = _file_items(control, user)
        assert sent["msgParam"]["fileName"] == "供暖方案.zip"
        assert sent["msgParam"]["fileType"] == "zip"
        media = control.http.get(f"/sandbox/media/{sent['msgParam']['mediaId']}")
        assert media.status_code == 200
        with zipfile.ZipFile(io.BytesIO(media.content)) as archive:
            assert archive.namelist() == ["供暖方案.ofd"]
            assert archive.read("供暖方案.ofd") == OFD
        # The note comes after the file and says what the zip holds.
        items = control.bot_items(user)
        note = next(x for x in items if "压缩包" in item_text(x))
        assert items.index(note) > items.index(sent)
        assert "供暖方案.zip" in item_text(note) and "OFD 阅读器" in item_text(note)
    # Every upload DingTalk was asked to take was of a type it takes.
    uploads = [c for c in control.calls() if c["path"] == "/media/upload"]
    assert uploads and all(c["response"]["errcode"] == 0 for c in uploads)
    assert {c["body"]["fileName"] for c in uploads} == {"供暖方案.zip"}
    # The government website publishes the original OFD, not the zip.
    site = bot.data_dir.with_name(f"{bot.data_dir.name}-site")
    deadline = time.monotonic() + 15
    while not ((site / "files").is_dir() and any((site / "files").iterdir())):
        assert time.monotonic() < deadline, "the website was not built"
        time.sleep(0.1)
    published = [p for p in (site / "files").iterdir() if p.is_file()]
    assert [p.suffix for p in published] == [".ofd"]
    assert published[0].read_bytes() == OFD


def test_a_file_that_could_never_be_delivered_is_refused_when_attached(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = directory.holders("office_clerk")[0].user_id
    _start_file_draft(control, clerk, "关于调整值班安排的通知", "县教育局")
    _attach(control, clerk, "值班表.exe", b"MZ\x90\x00")
    refusal = control.wait_for(clerk, lambda i: any("不予接收" in item_text(x) for x in i))
    text = next(item_text(x) for x in refusal if "不予接收" in item_text(x))
    assert "值班表.exe" in text
    for accepted in ("docx", "pdf", "ofd", "wps", "zip", "20 MB"):
        assert accepted in text
    # The form still waits for the document; an accepted file carries on.
    count = len(control.bot_items(clerk))
    _attach(control, clerk, "值班表.wps", b"WPS document")
    control.wait_for(
        clerk,
        lambda i: len(i) > count and any("已收到公文文件" in item_text(x) for x in i[count:]),
    )
    # Nothing was ever uploaded for the refused file.
    assert not [c for c in control.calls() if c["path"] == "/media/upload"]
