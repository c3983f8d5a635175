"""An agenda item from submission to signed and distributed minutes (第五十四–五十八条)."""

from __future__ import annotations

import pytest

from tests.harness import BotProcess, Control, SandboxThread
from tests.scenario.flows import actions, wait_card
from tests.scenario.meetings import (
    ADMIN,
    DIRECTOR,
    EDU_HEAD,
    EDU_STAFF,
    HEAD,
    ZHANG,
    act,
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

TITLE = "关于县第一中学扩建工程的议题"


def test_item_from_submission_to_distributed_minutes(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    meeting = plan(control, "2026-12-10 09:00")
    # Every member holds the meeting card; the deadline is 5 working days before.
    card = meeting_card(control, ZHANG)
    assert "2026年12月3日 18:00" in str(card["cardData"]["fields"])

    number = submit_item(control, EDU_STAFF, meeting, TITLE)
    through_office(control, TITLE)
    final = wait_card(control, EDU_STAFF, lambda c: "上会" in c["cardData"]["trail"], TITLE)
    for step in ("签发", "上会建议", "审核通过", "决定上会"):
        assert step in final["cardData"]["trail"]
    wait_meeting(control, DIRECTOR, lambda d: number in d["agenda"] and "8 分钟" in d["agenda"])

    # The deadline fixes the agenda; the office is told (第五十四条).
    set_clock(control, "2026-12-03T18:00:30+08:00")
    has(control, ADMIN, "议程已确定", TITLE)
    # 1 working day before: agenda and materials to every attendee, the speaker too.
    set_clock(control, "2026-12-09T09:00:30+08:00")
    for person in (HEAD, ZHANG, EDU_HEAD):
        has(control, person, "会议议程", TITLE)
    wait_meeting(control, EDU_HEAD, lambda d: d["status"] == "议程已分发")

    # Decisions only once the meeting is held.
    early = fill(control, ADMIN, f"议定\n议题编号：{number}\n结论：通过\n议定内容：同意。")
    assert "尚未召开" in early and "第五十八条" in early
    set_clock(control, "2026-12-10T09:00:30+08:00")
    has(control, ADMIN, "会议已召开")
    minutes_early = fill(control, ADMIN, f"纪要\n会议：{meeting}\n正文：会议研究了扩建工程。")
    assert "尚未记录议定事项" in minutes_early and number in minutes_early

    answer = fill(
        control,
        ADMIN,
        f"议定\n议题编号：{number}\n结论：原则通过\n"
        "议定内容：原则同意扩建方案，由县教育局会同县财政局落实资金。\n"
        "责任单位：县教育局\n完成时限：2027-03-31",
    )
    assert "已记录" in answer and "DB2026-0001" in answer
    has(control, EDU_STAFF, "会议议定事项", "原则通过", "即刻生效")
    has(control, EDU_HEAD, "督办事项 DB2026-0001", "2027-03-31")
    # The decision entered the supervision ledger: its card, opened, with the deadline.
    ledger = wait_card(control, EDU_HEAD, lambda c: bool(actions(c)), "督办：")
    assert ledger["cardData"]["status"] == "已交办，待签收"
    assert "2027年3月31日前" in ledger["cardData"]["deadline"]
    assert "县政府常务会议议定" in ledger["cardData"]["fields"]

    answer = fill(
        control,
        ADMIN,
        f"纪要\n会议：{meeting}\n正文：2026年12月10日，县长王建国主持召开常务会议，"
        "原则同意县第一中学扩建方案。",
    )
    assert "已提交" in answer
    act(control, DIRECTOR, "纪要", "审核通过")
    act(control, HEAD, "纪要", "签发")
    # Issued at once through the 第七十八条 distribution, to every attendee.
    doc_number = "阳城县人民政府常务会议纪要〔2026〕1号"
    for person in (ZHANG, EDU_HEAD, HEAD):
        has(control, person, "收文", doc_number)
    wait_meeting(
        control, DIRECTOR, lambda d: d["status"] == "纪要已印发" and "原则通过" in d["agenda"]
    )
    # 议题 <编号> shows the item's state, trail and decision.
    answer = fill(control, EDU_STAFF, f"议题 {number}")
    assert "已列入会议议程" in answer
    state = has(control, EDU_STAFF, "所属会议", meeting)
    assert "原则通过" in state
    assert count(control, EDU_HEAD, "督办事项 DB2026-0001") == 1
