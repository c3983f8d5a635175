"""发文 after 退回修改 and after 签发: the revision's trail text (both versions named)
and the issued / revoked status of its card (第七十三、七十五、七十八条)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from handlers.approvals.card import STATUS, ApprovalCardView
from handlers.documents.outgoing import issued_status
from handlers.documents.revise import _changes, _initial
from messages.render import Messages

MESSAGES = Messages()
CTX: Any = SimpleNamespace(services=SimpleNamespace(messages=MESSAGES))
FLOW = {
    "title": "关于开展消防安全检查的通知",
    "data": {"body": "为做好全县消防安全工作，现将有关事项通知如下。", "attachment": None},
}


def test_title_and_body_changes_name_the_old_version() -> None:
    new = {"title": "关于开展学校消防安全检查的通知", "body": "新的正文内容。", "attachment": None}
    text = _changes(CTX, FLOW, new)
    assert "修改了标题（原标题“关于开展消防安全检查的通知”）" in text
    assert "修改了正文（原正文：为做好全县消防安全工作" in text


def test_unchanged_revision_says_nothing_and_a_new_file_is_named() -> None:
    same = {"title": FLOW["title"], "body": FLOW["data"]["body"], "attachment": None}
    assert _changes(CTX, FLOW, same) == ""
    with_file = {**same, "attachment": {"name": "通知.pdf", "path": "x"}}
    assert _changes(CTX, FLOW, with_file) == "更换了文件为《通知.pdf》"


def test_form_is_prefilled_with_the_file_and_its_text() -> None:
    flow = {**FLOW, "data": {**FLOW["data"], "attachment": {"name": "a.pdf"}}}
    initial = _initial(flow)
    assert initial["title"] == FLOW["title"]
    assert initial["body"] == {"stored": {"name": "a.pdf"}}
    assert initial["text"] == FLOW["data"]["body"]


def test_issued_and_revoked_status_show_the_number() -> None:
    view = ApprovalCardView(SimpleNamespace(messages=MESSAGES))  # type: ignore[arg-type]
    flow: dict[str, Any] = {"kind": "outgoing", "state": "closed", "outcome": "@approved"}
    flow["data"] = {STATUS: issued_status("阳政办发〔2026〕3号", withdrawn=False)}
    assert view.status(flow) == ("已签发印发 阳政办发〔2026〕3号", "green")
    flow["data"] = {STATUS: issued_status("阳政办发〔2026〕3号", withdrawn=True)}
    assert view.status(flow) == ("已撤销（原文号 阳政办发〔2026〕3号）", "gray")
    # One approved before the status was stored still reads as issued.
    assert view.status({**flow, "data": {}})[0] == "已签发印发"
