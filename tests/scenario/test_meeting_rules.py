"""What the rules refuse or require around agenda items (第十八、五十四、五十五条)."""

from __future__ import annotations

import base64
import re

import pytest

from tests.harness import BotProcess, Control, SandboxThread
from tests.scenario.flows import actions, card_of, wait_card
from tests.scenario.meetings import (
    ADMIN,
    DIRECTOR,
    EDU_HEAD,
    EDU_STAFF,
    FINANCE_HEAD,
    HEAD,
    LEGAL_HEAD,
    ZHANG,
    act,
    fill,
    has,
    item_form,
    plan,
    set_clock,
    submit_item,
    through_office,
    wait_meeting,
)

pytestmark = pytest.mark.sandbox_start("2026-11-30T08:00:00+08:00")

HOUSING_HEAD = "xue.gang"


def test_normative_document_needs_the_legal_bureau_review(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    meeting = plan(control, "2026-12-10 09:00")
    title = "关于印发县校外培训机构管理办法的议题"
    refused = fill(control, EDU_STAFF, item_form(meeting, title, 规范性文件="是", 议题类别="3"))
    assert "第十八条" in refused and "合法性审查" in refused
    # Nothing was created: the item has no number and nobody got a card.
    assert not any("校外培训" in str(c["cardData"].get("title")) for c in _cards(control, EDU_HEAD))

    # The 司法局 reviews it (opinion required), then the item quotes the review.
    answer = fill(
        control,
        EDU_STAFF,
        "合法性审查\n名称：县校外培训机构管理办法\n类型：规范性文件\n送审材料：办法送审稿全文……",
    )
    review = re.search(r"HF\d{4}-\d{4}", answer)
    assert review, answer
    not_yet = fill(
        control,
        EDU_STAFF,
        item_form(meeting, title, 规范性文件="是", 议题类别="3", 合法性审查=review.group(0)),
    )
    assert "尚未通过" in not_yet and "第十八条" in not_yet
    act(control, EDU_HEAD, "校外培训机构管理办法", "签发")
    act(control, LEGAL_HEAD, "校外培训机构管理办法", "审查通过", "经审查，未发现与上位法相抵触。")
    wait_card(
        control, EDU_STAFF, lambda c: c["cardData"]["status"] == "审查通过", "校外培训机构管理办法"
    )
    has(control, EDU_STAFF, "合法性审查办结", "审查通过")
    # The bureau adds its review document; it reaches the department now and the
    # attendees with the item's materials later.
    control.send(LEGAL_HEAD, f"审查意见书\n审查编号：{review.group(0)}")
    has(control, LEGAL_HEAD, "审查意见书文件")
    control.send_raw(
        LEGAL_HEAD,
        {
            "file": {
                "name": "审查意见书.pdf",
                "content_base64": base64.b64encode(b"%PDF-1.4").decode(),
            }
        },
    )
    has(control, LEGAL_HEAD, "请核对", "审查意见书.pdf")
    control.send(LEGAL_HEAD, "确认")
    has(control, LEGAL_HEAD, "已将《审查意见书.pdf》附在")
    has(control, EDU_STAFF, "审查意见书.pdf")
    number = submit_item(
        control,
        EDU_STAFF,
        meeting,
        title,
        规范性文件="是",
        议题类别="3",
        合法性审查=review.group(0),
    )
    card = wait_card(control, EDU_HEAD, lambda c: bool(actions(c)), title)
    assert review.group(0) in str(card["cardData"]["fields"])
    assert number in str(card["cardData"]["fields"])
    through_office(control, title)
    set_clock(control, "2026-12-09T09:00:30+08:00")
    has(control, ZHANG, "会议议程", title)
    has(control, ZHANG, "审查意见书.pdf")


def _cards(control: Control, user: str) -> list[dict[str, object]]:
    return [i for i in control.bot_items(user) if i.get("kind") == "card"]


def test_late_item_is_offered_the_next_meeting(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    first = plan(control, "2026-12-10 09:00")
    second = plan(control, "2026-12-24 09:00")
    set_clock(control, "2026-12-04T10:00:00+08:00")
    has(control, ADMIN, "议程已确定")
    refused = fill(control, EDU_STAFF, item_form(first, "关于县第二中学操场改造的议题"))
    assert "第五十四条" in refused and "2026-12-03 18:00" in refused
    assert second in refused and "2026-12-24 09:00" in refused
    # Sent again for the next meeting, it goes through.
    number = submit_item(control, EDU_STAFF, second, "关于县第二中学操场改造的议题")
    through_office(control, "操场改造")
    wait_meeting(control, DIRECTOR, lambda d: second in d["fields"] and number in d["agenda"])


def test_multi_department_item_waits_for_every_cosignature_and_ends_in_a_leading_opinion(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    meeting = plan(control, "2026-12-10 09:00")
    title = "关于中小学校舍安全改造的议题"
    submit_item(control, EDU_STAFF, meeting, title, 涉及部门="县住房和城乡建设局、县财政局")
    act(control, EDU_HEAD, title, "签发")
    act(control, HOUSING_HEAD, title, "同意")
    # One department has not signed: the deputy head cannot propose it yet (第五十五条).
    card = wait_card(control, EDU_STAFF, lambda c: "会签" in c["cardData"]["status"], title)
    assert "涉及部门会签" in card["cardData"]["status"]
    assert not [c for c in _cards(control, ZHANG) if title in str(c["cardData"].get("title"))]
    objection = "资金应分年度安排，不宜一次列支。"
    act(control, FINANCE_HEAD, title, "有不同意见（须写明意见）", objection)
    # Disagreement: the lead department attaches its coordination note.
    act(
        control,
        EDU_HEAD,
        title,
        "提交协调说明",
        "教育局：安全隐患须当年消除；财政局：分年度安排。倾向一次列支。",
    )
    act(control, ZHANG, title, "提出主导意见", "按教育局意见一次列支，财政局调整年度预算。")
    act(control, FINANCE_HEAD, title, "在会签意见上签字")
    act(control, ZHANG, title, "上会建议")
    card = wait_card(control, ADMIN, lambda c: bool(actions(c)), title)
    trail = card["cardData"]["trail"]
    for line in (
        "会签同意",
        "会签有不同意见：资金应分年度安排",
        "附协调说明",
        "协调未果，提出主导意见：按教育局意见一次列支",
        "在会签意见上签字",
        "上会建议",
    ):
        assert line in trail, line


def test_addition_after_the_lock_needs_urgency_and_the_county_head(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    meeting = plan(control, "2026-12-10 09:00")
    set_clock(control, "2026-12-09T10:00:00+08:00")
    wait_meeting(control, ZHANG, lambda d: d["status"] == "议程已分发")
    title = "关于冬季校园供暖保障的议题"
    refused = fill(control, EDU_STAFF, item_form(meeting, title))
    assert "第五十四条" in refused and "紧急事由" in refused
    number = submit_item(
        control, EDU_STAFF, meeting, title, 紧急事由="寒潮提前来临，三所学校锅炉需立即更换。"
    )
    act(control, EDU_HEAD, title, "签发")
    act(control, ZHANG, title, "上会建议")
    act(control, ADMIN, title, "审核通过")
    act(control, DIRECTOR, title, "审核通过")
    decide = wait_card(control, HEAD, lambda c: bool(actions(c)), title)
    assert "寒潮提前来临" in str(decide["cardData"]["fields"])
    act(control, HEAD, title, "上会")
    for person in (ZHANG, EDU_HEAD):
        has(control, person, "紧急追加议题", number)
    wait_meeting(control, ZHANG, lambda d: number in d["agenda"] and "【紧急】" in d["agenda"])


def test_county_head_may_put_an_urgent_addition_off(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    meeting = plan(control, "2026-12-10 09:00")
    set_clock(control, "2026-12-04T10:00:00+08:00")
    title = "关于校园周边交通整治的议题"
    submit_item(control, EDU_STAFF, meeting, title, 紧急事由="学生上下学高峰交通事故频发。")
    act(control, EDU_HEAD, title, "签发")
    act(control, ZHANG, title, "上会建议")
    act(control, ADMIN, title, "审核通过")
    act(control, DIRECTOR, title, "审核通过")
    act(control, HEAD, title, "暂缓", "请先与公安交警部门会商。")
    final = wait_card(control, EDU_STAFF, lambda c: c["cardData"]["status"] == "暂缓上会", title)
    assert "请先与公安交警部门会商" in final["cardData"]["result"]
    assert "交通整治" not in str(card_of(control, DIRECTOR, "常务会议")["cardData"]["agenda"])
