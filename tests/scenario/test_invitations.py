"""Invitations of county government leaders (第九十六条) and visit reports (第九十八条),
driven like officials would through the sandbox."""

from __future__ import annotations

import re
import time

import pytest

from tests.harness import BotProcess, Control, SandboxThread
from tests.scenario.flows import actions, cards, wait_card
from tests.scenario.meetings import (
    ADMIN,
    DIRECTOR,
    EDU_HEAD,
    EDU_STAFF,
    ZHANG,
    act,
    count,
    fill,
    has,
)

pytestmark = pytest.mark.sandbox_start("2026-12-01T09:00:00+08:00")

ZHAO = "zhao.guodong"  # 副县长, not in charge of the 教育局
PARTY_OFFICE_HEAD = "gao.jianping"  # 县委办公室


def _invitation(kind: str, activity: str, leader: str = "赵国栋") -> str:
    return (
        f"活动邀请\n活动类型：{kind}\n活动名称：{activity}\n活动日期：2026-12-20\n"
        f"活动地点：县会议中心\n受邀领导：{leader}\n"
        "邀请函及活动安排方案：上午九时开幕，县政府领导讲话十分钟，随后参观展区，十一时结束。"
    )


def _visit(level: str, visitor: str) -> str:
    return (
        f"考察报告\n来访领导或考察团：{visitor}\n来访类别：{level}\n来访日期：2026-12-10\n"
        "来访事由：调研义务教育优质均衡发展\n接待安排：上午听取汇报，下午实地察看县第一中学。"
    )


def _holds(control: Control, user: str, title: str) -> bool:
    return any(title in str(c["cardData"].get("title")) for c in cards(control, user))


def test_invitation_reviewed_by_the_director_and_decided_by_the_leader(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    title = "全县教育系统表彰大会"
    answer = fill(control, EDU_STAFF, _invitation("其他", title))
    assert re.search(r"YQ\d{4}-\d{4}", answer), answer
    assert "第九十六条" in answer

    act(control, EDU_HEAD, title, "签发")
    card = wait_card(control, DIRECTOR, lambda c: bool(actions(c)), title)
    assert [a["text"] for a in actions(card)] == ["审核通过", "退回修改"]
    assert "赵国栋" in str(card["cardData"]["fields"])
    assert not _holds(control, ZHAO, title)  # not before the office director's review
    act(control, DIRECTOR, title, "审核通过")

    # The leader invited decides — not the one in charge of the unit.
    card = wait_card(control, ZHAO, lambda c: bool(actions(c)), title)
    assert [a["text"] for a in actions(card)] == ["同意", "不同意"]
    act(control, ZHAO, title, "同意")
    wait_card(control, EDU_STAFF, lambda c: c["cardData"]["status"] == "县政府领导同意出席", title)
    assert not _holds(control, ZHANG, title)


def test_restricted_invitations_get_the_rules_answer(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    refused = fill(control, EDU_STAFF, _invitation("剪彩", "县第三中学新校区剪彩仪式"))
    assert "第九十六条" in refused and "原则上不参加" in refused
    refused = fill(control, EDU_STAFF, _invitation("贺信", "全县教师节大会"))
    assert "第九十六条" in refused and "贺信贺电" in refused
    time.sleep(1.0)
    assert not _holds(control, EDU_STAFF, "剪彩仪式")
    assert not _holds(control, DIRECTOR, "剪彩仪式")
    assert not _holds(control, ZHAO, "教师节大会")


def test_a_direct_invitation_is_forwarded_to_the_office(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    invitation = "县农业农村局邀请出席12月20日现代农业产业园开园仪式"
    control.send(ZHAO, f"转办邀请 {invitation}")
    reply = has(control, ZHAO, "禁止直接邀请", "第九十六条")
    assert "孙永明" in reply
    notice = has(control, DIRECTOR, "转办邀请", invitation)
    assert "赵国栋" in notice and "第九十六条" in notice
    # Staff cannot use it: invitations come through 活动邀请.
    control.send(EDU_STAFF, f"转办邀请 {invitation}")
    has(control, EDU_STAFF, "只有县政府领导", "第九十六条")
    time.sleep(0.5)
    assert count(control, DIRECTOR, invitation) == 1


def test_visit_report_reaches_both_offices(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    answer = fill(control, EDU_STAFF, _visit("省厅处级以上领导", "省教育厅基础教育处处长李明"))
    number = re.search(r"KC\d{4}-\d{4}", answer)
    assert number, answer
    assert "第九十八条" in answer
    for office_head in (PARTY_OFFICE_HEAD, DIRECTOR):
        notice = has(control, office_head, "考察报告", number.group(0))
        assert "省教育厅基础教育处处长李明" in notice and "县第一中学" in notice
        assert "县教育局" in notice


def test_a_non_qualifying_visit_is_refused(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    refused = fill(control, EDU_STAFF, _visit("市局一般干部", "市教育局工作人员"))
    assert "第九十八条" in refused and "市局一般干部" in refused
    time.sleep(1.0)
    assert count(control, PARTY_OFFICE_HEAD, "市教育局工作人员") == 0
    assert count(control, DIRECTOR, "市教育局工作人员") == 0
    refused = fill(control, ADMIN, _visit("考察团", "晋城市考察团"))
    assert "第九十八条" in refused
