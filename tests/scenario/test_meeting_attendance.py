"""Attendance, reminders and objections around a meeting (第五十一、五十三、五十四、五十六、
六十三条)."""

from __future__ import annotations

import pytest

from tests.harness import BotProcess, Control, SandboxThread
from tests.scenario.flows import actions, wait_card
from tests.scenario.meetings import (
    ADMIN,
    DIRECTOR,
    EDU_HEAD,
    EDU_STAFF,
    EXEC,
    HEAD,
    ZHANG,
    act,
    click_meeting,
    count,
    fill,
    has,
    meeting_card,
    plan,
    set_clock,
    submit_item,
    through_office,
    wait_meeting,
)

pytestmark = pytest.mark.sandbox_start("2026-11-30T08:00:00+08:00")

ZHAO = "zhao.guodong"
LIU = "liu.zhenhua"
CHEN = "chen.wei"


def test_item_of_an_absent_deputy_head_moves_to_the_next_meeting(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    first = plan(control, "2026-12-10 09:00")
    second = plan(control, "2026-12-24 09:00")
    title = "关于县职业中学专业设置调整的议题"
    number = submit_item(control, EDU_STAFF, first, title)
    through_office(control, title)
    wait_meeting(control, DIRECTOR, lambda d: first in d["fields"] and number in d["agenda"])

    # The deputy head who proposed it asks the county head for leave (第六十三条).
    click_meeting(control, ZHANG, "请假", meeting=first)  # no reason: refused
    has(control, ZHANG, "原因", "第六十三条")
    click_meeting(control, ZHANG, "请假", note="赴省教育厅汇报工作", meeting=first)
    act(control, HEAD, "会议请假", "同意")
    # Normally not studied: moved to the next meeting; the county head may keep it.
    has(control, EDU_STAFF, "议题顺延", number, second, "原则上不研究")
    wait_meeting(
        control,
        DIRECTOR,
        lambda d: first in d["fields"] and "原则上不研究，已顺延" in d["agenda"],
    )
    wait_meeting(
        control,
        ZHANG,
        lambda d: first in d["fields"] and "张丽华" in d["attendance"] and "已请假" in d["note"],
    )
    keep = wait_card(control, HEAD, lambda c: bool(actions(c)), title)
    assert [a["text"] for a in actions(keep)] == ["顺延至下次会议", "仍在本次会议研究"]
    act(control, HEAD, title, "仍在本次会议研究", "事关秋季招生，本次会议研究，由教育局汇报。")
    wait_meeting(
        control,
        DIRECTOR,
        lambda d: first in d["fields"] and "县长决定仍研究" in d["agenda"],
    )


def test_no_quorum_warning_while_more_than_half_attend(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    plan(control, "2026-12-10 09:00")
    for leader, reason in ((EXEC, "赴市参加会议"), (ZHAO, "煤矿安全检查"), (LIU, "外出招商")):
        click_meeting(control, leader, "请假", note=reason)
    for _ in range(3):
        act(control, HEAD, "会议请假", "同意")
    # Four of seven will attend: more than half, no warning yet.
    set_clock(control, "2026-12-09T16:00:30+08:00")
    has(control, HEAD, "会议提醒", "提前 5 分钟")
    assert count(control, DIRECTOR, "出席人数不足") == 0
    assert count(control, EXEC, "会议提醒") == 0  # on leave: not reminded


def test_quorum_warning_when_half_or_fewer_will_attend(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    plan(control, "2026-12-10 09:00")
    for leader in (EXEC, ZHAO, LIU, CHEN):
        click_meeting(control, leader, "请假", note="另有公务")
    wait_meeting(
        control, DIRECTOR, lambda d: "3/7" in d["attendance"] and "第五十一" in d["warnings"]
    )
    set_clock(control, "2026-12-09T16:00:30+08:00")
    warning = has(control, DIRECTOR, "出席人数不足", "3/7")
    assert "第五十一、五十二条" in warning


def test_reminders_fall_on_working_days(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    # A Monday meeting: items close 5 working days before (Monday 12-07), the agenda goes
    # out and attendees are reminded on the Friday before, not over the weekend.
    meeting = plan(control, "2026-12-14 09:00")
    card = meeting_card(control, ZHANG)
    assert "2026年12月7日 18:00" in str(card["cardData"]["fields"])
    set_clock(control, "2026-12-07T17:59:00+08:00")
    assert count(control, ADMIN, "议程已确定") == 0
    set_clock(control, "2026-12-07T18:00:30+08:00")
    has(control, ADMIN, "议程已确定", meeting)
    set_clock(control, "2026-12-11T08:59:00+08:00")
    assert count(control, ZHANG, "会议议程") == 0
    set_clock(control, "2026-12-11T09:00:30+08:00")
    has(control, ZHANG, "会议议程")
    set_clock(control, "2026-12-11T16:00:30+08:00")
    has(control, ZHANG, "会议提醒", "2026-12-14 09:00")
    set_clock(control, "2026-12-13T16:00:30+08:00")
    set_clock(control, "2026-12-14T08:29:00+08:00")
    assert count(control, ZHANG, "会议提醒") == 1
    assert count(control, ZHANG, "30 分钟后开始") == 0
    set_clock(control, "2026-12-14T08:30:30+08:00")
    has(control, ZHANG, "30 分钟后开始", "提前 5 分钟入场")
    set_clock(control, "2026-12-14T09:00:30+08:00")
    has(control, DIRECTOR, "会议已召开", meeting)


def test_topical_meeting_unit_substitute_and_consultation(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    meeting = plan(
        control,
        "2026-12-08 15:00",
        kind="专题会议",
        extra="会议名称：全县校园安全专题会议\n主持人：张丽华\n征求意见：李志强\n参会单位：县教育局、县财政局",
    )
    # The chair consults the other deputy head first (第五十三条).
    consult = wait_card(control, EXEC, lambda c: bool(actions(c)), "校园安全")
    assert "专题会议征求意见" in consult["cardData"]["title"]
    act(control, EXEC, "校园安全", "有不同意见（须写明意见）", "资金从安全生产专项中统筹。")
    wait_card(control, ZHANG, lambda c: c["cardData"]["status"] == "已征求意见", "校园安全")

    # A unit that cannot attend gives its reason and substitute, filed with the office.
    card = meeting_card(control, EDU_HEAD, "校园安全")
    assert [a["text"] for a in actions(card)] == ["确认参加", "请假并报替代人员"]
    click_meeting(control, EDU_HEAD, "请假并报替代人员", note="赴市参加教育工作会议")
    has(control, EDU_HEAD, "替代人员", "第六十三条")
    click_meeting(
        control, EDU_HEAD, "请假并报替代人员", note="赴市参加教育工作会议", substitute="贾琳 副局长"
    )
    for office in (DIRECTOR, ADMIN):
        has(control, office, "参会替代人员备案", "县教育局", "贾琳 副局长", "视为单位意见")
    wait_meeting(
        control,
        DIRECTOR,
        lambda d: "校园安全" in d["title"] and "替代人员 贾琳 副局长" in d["attendance"],
    )
    click_meeting(control, "xie.jianhua", "确认参加")
    wait_meeting(control, DIRECTOR, lambda d: "已确认参会 1 人" in d["attendance"])
    listing = fill(control, DIRECTOR, "会议")
    assert meeting in listing and "全县校园安全专题会议" in listing and "张丽华" in listing


def test_objection_before_the_meeting_reaches_the_department_and_the_office(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    meeting = plan(control, "2026-12-10 09:00")
    title = "关于县实验小学新建食堂的议题"
    number = submit_item(control, EDU_STAFF, meeting, title)
    through_office(control, title)
    set_clock(control, "2026-12-09T09:00:30+08:00")
    has(control, CHEN, "会议议程", title)
    click_meeting(control, CHEN, "对议题提出意见", note=f"{number} 建议先做消防评估。")
    for person in (EDU_STAFF, EDU_HEAD, DIRECTOR):
        has(control, person, "对议题的意见", "建议先做消防评估", "陈伟")
