"""Planning meetings (第四十九–五十三条) and what the 议题 form refuses on its own."""

from __future__ import annotations

import pytest

from tests.harness import BotProcess, Control, SandboxThread
from tests.scenario.meetings import (
    ADMIN,
    DIRECTOR,
    EDU_HEAD,
    EDU_STAFF,
    ZHANG,
    count,
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


def test_office_is_told_when_no_executive_meeting_is_planned(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    set_clock(control, "2026-11-30T09:00:30+08:00")
    text = has(control, DIRECTOR, "常务会议尚未安排")
    # Thursdays far enough ahead for the 5-working-day submission deadline (第五十一条).
    assert "12月17日（星期四）" in text and "第五十一条" in text
    has(control, ADMIN, "常务会议尚未安排")
    plan(control, "2026-12-17 09:00")
    set_clock(control, "2026-12-01T09:00:30+08:00")
    set_clock(control, "2026-12-01T10:00:00+08:00")
    assert count(control, DIRECTOR, "常务会议尚未安排") == 1
    listing = fill(control, DIRECTOR, "会议")
    assert "2026年第1次常务会议" in listing and "议题截止" in listing


def test_only_the_office_plans_meetings_and_topical_meetings_need_a_chair(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    refused = fill(
        control, EDU_HEAD, "安排会议\n会议类型：常务会议\n时间：2026-12-10 09:00\n地点：会议室"
    )
    assert "行政股" in refused and "第五十六条" in refused
    no_chair = fill(
        control, DIRECTOR, "安排会议\n会议类型：专题会议\n时间：2026-12-10 09:00\n地点：第二会议室"
    )
    assert "第五十三条" in no_chair and "主持人" in no_chair
    bad_chair = fill(
        control,
        DIRECTOR,
        "安排会议\n会议类型：专题会议\n时间：2026-12-10 09:00\n地点：第二会议室\n主持人：蔡文斌",
    )
    assert "不能主持" in bad_chair
    past = fill(
        control, DIRECTOR, "安排会议\n会议类型：常务会议\n时间：2026-11-01 09:00\n地点：会议室"
    )
    assert "已经过去" in past


def test_item_form_refusals(sandbox: SandboxThread, control: Control, bot: BotProcess) -> None:
    meeting = plan(control, "2026-12-10 09:00")
    long_report = fill(control, EDU_STAFF, item_form(meeting, "关于某事项的议题", 汇报时间="15"))
    assert "不超过 10 分钟" in long_report and "第五十六条" in long_report
    # A major decision without its statutory steps is asked for them (第十八、十九条).
    major = fill(control, EDU_STAFF, item_form(meeting, "关于某事项的议题", 重大行政决策="是"))
    assert "第十八条" in major
    # Units that do not submit items directly.
    refused = fill(control, "gao.jianping", item_form(meeting, "关于某事项的议题"))
    assert "不能直接报送议题" in refused
    # Incomplete: the form asks for what is missing, nothing is submitted.
    partial = fill(control, EDU_STAFF, f"议题\n会议：{meeting}\n议题名称：关于某事项的议题")
    assert "还缺少" in partial and "内容摘要" in partial
    assert count(control, EDU_HEAD, "关于某事项的议题") == 0


def test_cancelled_meeting_hands_its_items_to_the_next_one(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    first = plan(control, "2026-12-10 09:00")
    title = "关于县第三中学宿舍楼改造的议题"
    number = submit_item(control, EDU_STAFF, first, title)
    through_office(control, title)
    wait_meeting(control, DIRECTOR, lambda d: number in d["agenda"])
    refused = fill(control, ADMIN, f"取消会议 {first}")
    assert "办公室主任" in refused
    answer = fill(control, DIRECTOR, f"取消会议 {first}")
    assert "已取消会议" in answer and "1 个议题" in answer
    has(control, ZHANG, "会议取消", first)
    has(control, EDU_STAFF, "议题顺延", number, "因会议取消", "安排后自动列入")
    wait_meeting(control, ZHANG, lambda d: d["status"] == "已取消" and d["can_act"] == "false")
    # Its deadlines no longer fire.
    set_clock(control, "2026-12-03T18:00:30+08:00")
    # Planned again for another day, the waiting item joins by itself.
    second = plan(control, "2026-12-17 09:00")
    has(control, DIRECTOR, "已安排会议", second, "1 个待上会议题已自动列入")
    wait_meeting(control, DIRECTOR, lambda d: second in d["fields"] and number in d["agenda"])
    assert count(control, ADMIN, "议程已确定", first) == 0
    state = fill(control, EDU_STAFF, f"议题 {number}")
    assert second in state
