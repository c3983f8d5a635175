"""发文 after 退回修改 and after 签发: the revision's trail text (both versions named),
the full earlier versions in the 公文 query, the pre-filled form, and the issued /
revoked status of its card (第七十三、七十五、七十八条)."""

from __future__ import annotations

import tomllib
from importlib import resources
from types import SimpleNamespace
from typing import Any

import pytest

from bot.config import OrgDirectory, load_config
from bot.dialog import Forms
from handlers.approvals.card import STATUS, ApprovalCardView
from handlers.documents.cards import refreshed_card
from handlers.documents.outgoing import issued_status
from handlers.documents.revise import REVISION_FORM, _changes, _initial, _show, _summary
from handlers.documents.versions import earlier_versions
from messages.render import Messages
from sandbox.demo import demo_config_path

MESSAGES = Messages()
FORMS = Forms(
    [REVISION_FORM],
    tomllib.loads(resources.files("messages").joinpath("forms.toml").read_text("utf-8")),
)
DIRECTORY = OrgDirectory(load_config(demo_config_path()))
CTX: Any = SimpleNamespace(
    services=SimpleNamespace(messages=MESSAGES, forms=FORMS, directory=DIRECTORY)
)
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
    assert _changes(CTX, FLOW, with_file) == "添加了文件《通知.pdf》"


def test_a_dropped_or_replaced_file_is_a_change_even_with_the_same_text() -> None:
    old_file = {"name": "旧稿.pdf", "path": "a"}
    flow = {**FLOW, "data": {**FLOW["data"], "attachment": old_file}}
    typed = {"title": FLOW["title"], "body": FLOW["data"]["body"], "attachment": None}
    assert _changes(CTX, flow, typed) == "删除了文件《旧稿.pdf》"
    replaced = {**typed, "attachment": {"name": "新稿.pdf", "path": "b"}}
    assert _changes(CTX, flow, replaced) == "换了文件《旧稿.pdf》→《新稿.pdf》"
    kept = {**typed, "attachment": old_file}
    assert _changes(CTX, flow, kept) == ""


def test_prompt_shows_the_whole_text_and_the_summary_labels_each_row() -> None:
    body = "为做好全县消防安全工作，" * 300  # 3,600 characters: one message's worth
    assert _show(CTX, "body", body) == body
    values = {"title": "标题甲", "body": {"stored": {"name": "a.pdf"}}, "text": body}
    rows = dict(_summary(CTX, values))
    assert rows["正文"] == "附件《a.pdf》"
    assert rows["正文文字"].startswith("为做好") and len(rows["正文文字"]) == 60


def test_earlier_versions_are_listed_in_full_with_who_and_when() -> None:
    clerk = DIRECTORY.holders("office_clerk")[0]
    body = "原正文" * 100
    flow = {
        "kind": "outgoing",
        "trail": [],
        "data": {
            "versions": [
                {
                    "title": "旧标题",
                    "body": body,
                    "attachment": {"name": "旧稿.pdf"},
                    "replaced_ms": 1795399200000,  # 2026-11-23 10:00 (+08:00)
                    "user": clerk.user_id,
                }
            ]
        },
    }
    [row] = earlier_versions(CTX, flow)
    assert row == {
        "n": 1,
        "when": "2026年11月23日 10:00",
        "who": clerk.name,
        "title": "旧标题",
        "body": body,
        "file": "旧稿.pdf",
    }
    shown = MESSAGES.markdown("outgoing_version", number="FW2026-0001", **row).text
    assert f"第1稿（2026年11月23日 10:00 由{clerk.name}修改）" in shown
    assert body in shown and "《旧稿.pdf》" in shown


def test_card_update_tags_never_take_the_engines_numbers() -> None:
    with pytest.raises(ValueError, match="collide"):
        refreshed_card(CTX.services, {"card_id": "c"}, "3")


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
