"""督查督办 as the office and the units live it (第八十四–八十七条): an item opened with no
deadline gets 10 working days across 国庆; the director opens it on its card; the lead
unit signs, reports and asks to close; co-units report to it; the office returns with a
reason and closes with a grade; the ladder of reminders runs on working days only;
批示件 go to the leaders for 阅批, to the units, and back compiled; Mondays bring the
overview."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.harness import BotProcess, Control, SandboxThread, item_text
from tests.scenario.flows import actions, cards, press, wait_card
from tests.scenario.meetings import (
    ADMIN,
    DIRECTOR,
    EDU_HEAD,
    FINANCE_HEAD,
    HEAD,
    ZHANG,
    act,
    count,
    fill,
    has,
    set_clock,
)

HOUSING_HEAD = "xue.gang"  # 县住房和城乡建设局
ITEM = """新建督办
事项名称：全县校舍安全排查
督办来源：县政府领导交办
督办内容：对全县中小学校舍开展安全排查，形成整改清单。
牵头单位：教育局
协办单位：财政局"""


def sv_card(control: Control, user: str, title: str = "督办：") -> dict[str, Any]:
    return wait_card(control, user, lambda c: True, title)


def press_sv(
    control: Control, user: str, button: str, text: str = "", title: str = "督办："
) -> None:
    """Presses ``button`` on the first of the user's cards titled ``title`` offering it."""
    act(control, user, title, button, text)


def open_item(control: Control, form: str = ITEM) -> str:
    answer = fill(control, ADMIN, form)
    assert "已新建督办事项 DB2026-" in answer, answer
    number = answer.split("已新建督办事项 ")[1][:11]
    press_sv(control, DIRECTOR, "同意立项")
    wait_card(control, EDU_HEAD, lambda c: bool(actions(c)), "督办：")
    return number


@pytest.mark.sandbox_start("2026-09-28T09:30:00+08:00")
def test_opening_without_deadline_feedback_return_and_graded_closing(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    answer = fill(control, ADMIN, ITEM)
    # No deadline given: 10 working days (第八十五条), across 国庆 (Oct 1–7 off, Sat Oct 10 on).
    assert "DB2026-0001" in answer and "2026年10月16日" in answer

    # Only the director decides whether it is opened; the units see nothing yet.
    card = sv_card(control, DIRECTOR)
    assert card["cardData"]["status"] == "待办公室主任审批"
    assert "未定时限，按立项后10个工作日，第八十五条" in card["cardData"]["deadline"]
    assert not cards(control, EDU_HEAD)
    press_sv(control, DIRECTOR, "同意立项")

    lead = wait_card(control, EDU_HEAD, lambda c: bool(actions(c)), "督办：")
    assert [a["text"] for a in actions(lead)] == ["签收", "进展反馈", "申请办结"]
    co = wait_card(control, FINANCE_HEAD, lambda c: bool(actions(c)), "督办：")
    assert [a["text"] for a in actions(co)] == ["报送协办情况"]
    leader = sv_card(control, ZHANG)  # the deputy in charge of 教育局 follows it
    assert actions(leader) == [] and "张丽华" in str(leader["cardData"]["fields"])

    # A report must say something (第八十五条); the card does not change.
    press(control, EDU_HEAD, lead, "进展反馈", "")
    has(control, EDU_HEAD, "须写明内容", "第八十五条")
    press_sv(control, EDU_HEAD, "签收")
    press_sv(control, FINANCE_HEAD, "报送协办情况", "已安排排查经费 50 万元。")
    has(control, EDU_HEAD, "协办单位报送情况", "50 万元")
    press_sv(control, EDU_HEAD, "进展反馈", "已完成城区 12 所学校排查。")
    press_sv(control, EDU_HEAD, "申请办结", "排查完成，整改清单已印发。")
    has(control, DIRECTOR, "申请办结", "整改清单已印发")

    # 退回 needs a reason; the unit is told and works on.
    review = wait_card(control, DIRECTOR, lambda c: bool(actions(c)), "督办：")
    assert [a["text"] for a in actions(review)][:2] == ["退回", "办结：优秀"]
    press(control, DIRECTOR, review, "退回", "")
    has(control, DIRECTOR, "须写明内容")
    press_sv(control, DIRECTOR, "退回", "请补充农村学校排查情况。")
    has(control, EDU_HEAD, "被退回", "农村学校")
    press_sv(control, EDU_HEAD, "申请办结", "城乡 46 所学校全部排查完毕。")
    press_sv(control, DIRECTOR, "办结：良好")

    closed = wait_card(control, EDU_HEAD, lambda c: c["cardData"]["status"] == "已办结", "督办：")
    assert actions(closed) == [] and closed["cardData"]["result"] == "良好"
    trail = closed["cardData"]["trail"]
    for words in ("同意立项", "签收", "协办单位报送", "退回——请补充", "审核办结：良好"):
        assert words in trail, trail
    has(control, EDU_HEAD, "已办结", "良好", "第八十六条")
    has(control, ZHANG, "已办结", "良好")


@pytest.mark.sandbox_start("2026-09-28T09:30:00+08:00")
def test_reminders_and_escalation_on_working_days_only(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    number = open_item(control, ITEM + "\n办结时限：2026-10-09")

    def reminders(user: str) -> list[str]:
        return [
            item_text(x)
            for x in control.bot_items(user)
            if "督办提醒" in str(x) or ("督办事项" in item_text(x) and number in item_text(x))
        ]

    # 国庆: no reminders on days off.
    for day in ("2026-09-30", "2026-10-02", "2026-10-05"):
        set_clock(control, f"{day}T09:10:00+08:00")
    assert count(control, EDU_HEAD, "督办事项即将到期") == 0

    set_clock(control, "2026-10-08T09:10:00+08:00")  # the working day before
    has(control, EDU_HEAD, "督办事项即将到期", number, "第八十五条")
    set_clock(control, "2026-10-09T09:10:00+08:00")
    has(control, EDU_HEAD, "督办事项今天到期", number)
    set_clock(control, "2026-10-10T09:10:00+08:00")  # Saturday, a 调休 working day
    has(control, EDU_HEAD, "督办事项已逾期", "逾期 1 个工作日")
    has(control, ZHANG, "督办事项已逾期", number)
    assert count(control, DIRECTOR, "逾期未办") == 0
    for day in ("2026-10-11", "2026-10-12", "2026-10-13"):  # Sunday off, then 2 and 3
        set_clock(control, f"{day}T09:10:00+08:00")
    assert count(control, DIRECTOR, "逾期未办") == 0
    set_clock(control, "2026-10-14T09:10:00+08:00")  # three more working days
    has(control, DIRECTOR, "督办事项逾期未办", "逾期 4 个工作日")
    # Each rung once; nobody else is chased.
    assert count(control, EDU_HEAD, "督办事项已逾期") == 1
    assert count(control, FINANCE_HEAD, "督办提醒") == 0
    assert count(control, HEAD, "督办") == 0
    assert reminders(EDU_HEAD)

    # Monday 19 October: the week's overview for the director, by traffic light.
    set_clock(control, "2026-10-19T09:10:00+08:00")
    weekly = has(control, DIRECTOR, "督办事项周报")
    assert "已逾期：1 项" in weekly and number in weekly
    listing = fill(control, ADMIN, "督办")
    assert "已逾期：1 项" in listing and "逾期 7 个工作日" in listing


@pytest.mark.sandbox_start("2026-11-30T09:30:00+08:00")
def test_instruction_from_registration_to_compiled_results(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    answer = fill(
        control,
        ADMIN,
        "批示件\n事项名称：冬季校园供暖保障\n批示人：市政府刘副市长\n"
        "批示内容：请认真研究，确保学校供暖安全。\n阅批县领导：王建国、张丽华\n"
        "承办单位：教育局、住房和城乡建设局\n复杂事项：否",
    )
    assert "PS2026-0001" in answer, answer
    # 阅批 at once; an opinion is required (第八十七条).
    card = wait_card(control, HEAD, lambda c: bool(actions(c)), "供暖")
    press(control, HEAD, card, "阅批", "")
    has(control, HEAD, "第八十七条")
    press(control, HEAD, card, "阅批", "请教育局牵头，住建局配合，本周内部署。")
    press(
        control,
        ZHANG,
        wait_card(control, ZHANG, lambda c: bool(actions(c)), "供暖"),
        "阅批",
        "同意。",
    )

    # Dispatched: one item per unit, result within 7 days, first feedback within 3.
    lead = wait_card(control, EDU_HEAD, lambda c: bool(actions(c)), "督办：冬季校园供暖")
    assert "2026年12月7日前" in lead["cardData"]["deadline"]
    assert "请教育局牵头" in lead["cardData"]["trail"]
    housing = HOUSING_HEAD
    wait_card(control, housing, lambda c: bool(actions(c)), "督办：冬季校园供暖")

    set_clock(control, "2026-12-03T09:10:00+08:00")
    has(control, EDU_HEAD, "批示件首次反馈", "第八十七条")
    press_sv(control, EDU_HEAD, "申请办结", "已完成 46 所学校供暖检查。", "供暖")
    press_sv(control, DIRECTOR, "办结：优秀", title="供暖")
    assert count(control, ZHANG, "批示件办理结果") == 0  # one unit still works on it
    press_sv(control, housing, "申请办结", "供热管网已全部检修。", "供暖")
    press_sv(control, DIRECTOR, "办结：合格", title="供暖")
    for user in (HEAD, ZHANG, DIRECTOR):
        compiled = has(control, user, "批示件办理结果")
        assert "46 所学校" in compiled and "供热管网" in compiled and "销号" in compiled


@pytest.mark.sandbox_start("2026-11-30T09:30:00+08:00")
def test_a_unit_reports_with_a_file_in_chat(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    number = open_item(control)
    # Someone else's item: refused, nothing changes (第八十五条 names who reports).
    answer = fill(control, HEAD, f"督办反馈 {number}\n反馈类型：进展反馈\n反馈内容：已部署。")
    assert "不由您办理" in answer
    control.send(EDU_HEAD, f"督办反馈 {number}")
    has(control, EDU_HEAD, "反馈类型")
    control.send(EDU_HEAD, "申请办结")
    has(control, EDU_HEAD, "Word、PDF、OFD")
    report = b"%PDF-1.4 school safety report " + bytes(range(256)) * 4
    body = {
        "file": {"name": "校舍排查报告.pdf", "content_base64": base64.b64encode(report).decode()}
    }
    control.send_raw(EDU_HEAD, body)
    has(control, EDU_HEAD, "请核对", "校舍排查报告.pdf")
    control.send(EDU_HEAD, "确认")
    has(control, EDU_HEAD, "办结申请", number)
    review = wait_card(control, DIRECTOR, lambda c: bool(actions(c)), "督办：")
    assert "校舍排查报告.pdf" in review["cardData"]["trail"]
    has(control, DIRECTOR, "申请办结", "见所附文件")
