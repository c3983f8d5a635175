"""The business actions bench/api_budget.py counts, done the way officials do them and
nothing more (the scenario tests also probe refusals, forged clicks and the like, which
cost calls no real office makes)."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import OrgDirectory
from tests.harness import Control, item_text
from tests.scenario.flows import actions, head_of, head_with_role, press, staff_of, wait_card
from tests.scenario.test_requests import REQUEST

LEAVE = """请假
外出类型：出差
离开时间：2026-11-25 上午
返回时间：2026-11-26 下午
外出地点：太原市
外出事由：参加全省工作会议
联系方式：13800000001"""
AGENDA_TITLE = "关于县第一中学扩建工程的议题"


def _confirm(control: Control, user: str, text: str, done: str = "已提交") -> None:
    before = len(control.bot_items(user))
    control.send(user, text)
    control.wait_for(user, lambda i: any("请核对" in item_text(x) for x in i[before:]))
    control.send(user, "确认")
    control.wait_for(user, lambda i: any(done in item_text(x) for x in i[before:]))


def _act(control: Control, user: str, title: str, button: str, opinion: str = "") -> None:
    card = wait_card(control, user, lambda c: any(a["text"] == button for a in actions(c)), title)
    press(control, user, card, button, opinion)


def leave(control: Control, directory: OrgDirectory) -> None:
    """A deputy head files a business trip; the county head approves it."""
    applicant, head = "zhang.lihua", directory.sole("county_head").user_id
    _confirm(control, applicant, LEAVE, done="QJ2026-")
    _act(control, head, "张丽华", "同意")
    wait_card(control, applicant, lambda c: c["cardData"]["status"] == "已同意", "张丽华")


def request(control: Control, directory: OrgDirectory) -> None:
    """A fiscal 请示 through its whole chain (7 steps)."""
    unit = "jyj"
    title = "维修资金"
    clerk, head = staff_of(directory, unit), head_of(directory, unit)
    finance = head_with_role(directory, "finance_bureau")
    audit = head_with_role(directory, "audit_bureau")
    office = directory.holders("office_clerk")[0].user_id
    leader = directory.leader_in_charge(unit)
    assert leader is not None
    _confirm(control, clerk, REQUEST)
    _act(control, head, title, "签发")
    _act(control, finance, title, "无不同意见")
    _act(control, office, title, "审核通过")
    for person in (finance, audit):
        _act(control, person, title, "无不同意见")
    _act(control, leader.user_id, title, "同意", opinion="同意，请财政局按程序拨付。")
    wait_card(control, clerk, lambda c: c["cardData"]["status"] == "已同意", title)


def agenda(control: Control, mark: Callable[[str], None]) -> None:
    """One meeting with one agenda item, marked in parts: the meeting's own cost
    (planning; lock, distribution, reminders, minutes) and the item's (its chain to
    上会, its decision)."""
    from tests.scenario.meetings import (
        ADMIN,
        DIRECTOR,
        EDU_STAFF,
        HEAD,
        act,
        fill,
        has,
        plan,
        set_clock,
        submit_item,
        through_office,
    )

    meeting = plan(control, "2026-12-10 09:00")
    mark("meeting")
    number = submit_item(control, EDU_STAFF, meeting, AGENDA_TITLE)
    through_office(control, AGENDA_TITLE)
    wait_card(control, EDU_STAFF, lambda c: "上会" in c["cardData"]["trail"], AGENDA_TITLE)
    mark("item")
    set_clock(control, "2026-12-03T18:00:30+08:00")
    has(control, ADMIN, "议程已确定", AGENDA_TITLE)
    set_clock(control, "2026-12-09T09:00:30+08:00")
    set_clock(control, "2026-12-10T09:00:30+08:00")
    has(control, ADMIN, "会议已召开")
    mark("meeting")
    fill(
        control,
        ADMIN,
        f"议定\n议题编号：{number}\n结论：原则通过\n议定内容：原则同意扩建方案。\n"
        "责任单位：县教育局\n完成时限：2027-03-31",
    )
    has(control, EDU_STAFF, "会议议定事项")
    mark("item")
    fill(control, ADMIN, f"纪要\n会议：{meeting}\n正文：会议原则同意县第一中学扩建方案。")
    act(control, DIRECTOR, "纪要", "审核通过")
    act(control, HEAD, "纪要", "签发")
    has(control, HEAD, "收文", "会议纪要")
    mark("meeting")
