"""政务信息 as units and the office live it (第七十九–八十二条): a department submits an
item and the office adopts it at city level (the first decision counts); 不采用 needs a
reason; a 约稿 is answered by one unit and missed by another, which is flagged the
working morning after the deadline, once, and criticised only once the office director
marks the miss 造成严重后果; the monthly 通报 reaches the director on the first working
day of the month (after 国庆: 8 October)."""

from __future__ import annotations

import base64

import pytest

from tests.harness import BotProcess, Control, SandboxThread
from tests.scenario.flows import actions, press, wait_card
from tests.scenario.meetings import (
    ADMIN,
    DIRECTOR,
    EDU_HEAD,
    EDU_STAFF,
    act,
    count,
    fill,
    has,
    set_clock,
)

ADMIN_2 = "he.jing"  # 行政股
CLERK = "ma.jun"  # 办公室相关人员
TOWN_HEAD = "yan.zhiming"  # 城关镇
FINANCE_STAFF = "han.xue"  # 县财政局
BUTTONS = ["采用（县级）", "采用（市级）", "采用（省级）", "不采用"]


def item_form(title: str, body: str, category: str = "6", request: str = "") -> str:
    lines = ["信息", f"标题：{title}", f"类别：{category}", f"正文：{body}"]
    if request:
        lines.append(f"约稿编号：{request}")
    return "\n".join(lines)


def submit(control: Control, user: str, title: str, **extra: str) -> str:
    body = extra.pop(
        "body", "县教育局组织专班，对全县 120 所中小学校舍开展安全排查，形成整改清单。"
    )
    answer = fill(control, user, item_form(title, body, **extra))
    assert "已报送政务信息 XX2026-" in answer, answer
    return answer.split("已报送政务信息 ")[1][:11]


@pytest.mark.sandbox_start("2026-11-16T09:30:00+08:00")
def test_an_item_adopted_at_city_level_and_one_not_adopted_with_a_reason(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    refused = fill(control, EDU_STAFF, item_form("校舍排查", "太短", category="9"))
    assert "第八十条" in refused and "外地借鉴" in refused  # the seven categories
    fill(control, EDU_STAFF, "取消")
    refused = fill(control, DIRECTOR, "信息")
    assert "第七十九条" in refused  # the office does not submit to itself

    number = submit(control, EDU_STAFF, "县教育局推进校舍安全排查")
    assert number == "XX2026-0001"
    # One card: the submitter, his unit head and the office's information staff.
    for user in (ADMIN, ADMIN_2, CLERK):
        card = wait_card(control, user, lambda c: bool(actions(c)), "政务信息：")
        assert [a["text"] for a in actions(card)] == BUTTONS
        assert card["cardData"]["status"] == "待审核"
        assert "120 所中小学校舍" in card["cardData"]["summary"]
        assert "特色经验" in card["cardData"]["fields"]
    for user in (EDU_STAFF, EDU_HEAD):
        card = wait_card(control, user, lambda c: True, "政务信息：")
        assert not actions(card) and "县教育局" in card["cardData"]["fields"]

    act(control, ADMIN, "校舍安全排查", "采用（市级）")
    has(control, EDU_STAFF, "已被市级采用", "XX2026-0001", "第八十二条")
    for user in (ADMIN_2, EDU_HEAD):
        card = wait_card(
            control, user, lambda c: c["cardData"]["status"] == "已采用（市级）", "校舍安全排查"
        )
        assert not actions(card)  # the first decision counts: nobody decides again
    assert "冯丽娟：已采用（市级）" in card["cardData"]["trail"]

    second = submit(
        control, EDU_STAFF, "县教育局召开安全工作会议", category="决策落实",
        body="县教育局召开全县教育系统安全工作会议，部署冬季安全工作。",
    )  # fmt: skip
    assert second == "XX2026-0002"
    card = wait_card(control, ADMIN_2, lambda c: bool(actions(c)), "安全工作会议")
    press(control, ADMIN_2, card, "不采用", "")
    has(control, ADMIN_2, "须写明理由", "第八十二条")
    card = wait_card(control, ADMIN_2, lambda c: bool(actions(c)), "安全工作会议")
    assert card["cardData"]["status"] == "待审核"  # nothing changed
    press(control, ADMIN_2, card, "不采用", "属一般性会议信息，不具备报送价值。")
    notice = has(control, EDU_STAFF, "未被采用", "XX2026-0002")
    assert "不具备报送价值" in notice
    wait_card(control, ADMIN, lambda c: c["cardData"]["status"] == "未采用", "安全工作会议")

    report = fill(control, ADMIN, "信息通报 2026-11")
    assert "第1名 县教育局：得分 3；报送 2，采用 1（县级 0、市级 1、省级 0）" in report
    refused = fill(control, EDU_STAFF, "信息通报")
    assert "第八十二条" in refused


@pytest.mark.sandbox_start("2026-11-16T09:30:00+08:00")
def test_a_request_answered_by_one_unit_and_missed_by_another(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    refused = fill(control, ADMIN, "约稿\n约稿主题：秋粮收购进展情况\n约稿单位：县教育局、火星局")
    assert "火星局" in refused
    fill(control, ADMIN, "取消")
    past = "约稿\n约稿主题：秋粮收购进展情况\n约稿单位：县教育局\n报送截止日期：2026-11-01"
    assert "报送截止日期不能早于今天" in fill(control, ADMIN, past)
    fill(control, ADMIN, "取消")
    answer = fill(
        control,
        ADMIN,
        "约稿\n约稿主题：秋粮收购进展情况\n约稿单位：县教育局、城关镇人民政府\n"
        "报送截止日期：2026-11-18",
    )
    assert "已发出约稿 YG2026-0001" in answer and "2 个单位" in answer
    for head in (EDU_HEAD, TOWN_HEAD):
        notice = has(control, head, "县政府办公室约稿", "YG2026-0001")
        assert "第八十一条" in notice and "第八十二条" in notice and "2026年11月18日" in notice

    figures = item_form(
        "财政收支情况", "1–10 月一般公共预算收入 8.2 亿元。", category="4", request="YG2026-0001"
    )
    refused = fill(control, FINANCE_STAFF, figures)
    assert "没有约您所在单位" in refused and "第八十一条" in refused
    fill(control, FINANCE_STAFF, "取消")
    answer = fill(
        control,
        EDU_STAFF,
        item_form(
            "秋季学期学生资助资金发放情况",
            "县教育局已发放秋季学期学生资助资金 860 万元，惠及学生 1.2 万人次。",
            category="3",
            request="yg2026-0001",
        ),
    )
    assert "已计为对约稿 YG2026-0001 的报送" in answer and "迟报" not in answer
    status = fill(control, ADMIN, "约稿 YG2026-0001")
    assert "县教育局：已报送 XX2026-0001" in status and "城关镇人民政府：尚未报送" in status
    assert "严重后果 单位名称" in fill(control, DIRECTOR, "约稿 YG2026-0001 看看")

    # The deadline day is the unit's in full; the next working morning the miss is flagged.
    set_clock(control, "2026-11-18T17:00:00+08:00")
    set_clock(control, "2026-11-19T08:30:30+08:00")
    notice = has(control, TOWN_HEAD, "约稿逾期未报", "YG2026-0001")
    assert "第八十二条" in notice
    has(control, ADMIN, "以下单位逾期未报", "城关镇人民政府")
    assert count(control, EDU_HEAD, "约稿逾期未报") == 0
    status = fill(control, ADMIN, "约稿 YG2026-0001")
    assert "城关镇人民政府：漏报" in status and "通报批评" not in status

    # Flagged, but no criticism until the office director marks serious consequences.
    report = fill(control, ADMIN, "信息通报 2026-11")
    assert "城关镇人民政府：得分 0；报送 0" in report and "漏报 1" in report
    assert "本月没有需要通报批评的单位" in report
    refused = fill(control, ADMIN, "约稿 YG2026-0001 严重后果 城关镇人民政府")
    assert "办公室主任" in refused and "第八十二条" in refused
    refused = fill(control, DIRECTOR, "约稿 YG2026-0001 严重后果 县教育局")
    assert "没有被标记为漏报" in refused and "第八十二条" in refused
    answer = fill(control, DIRECTOR, "约稿 YG2026-0001 严重后果 城关镇人民政府")
    assert "已将约稿 YG2026-0001 中 城关镇人民政府 的漏报标记" in answer
    has(control, TOWN_HEAD, "造成严重后果", "通报批评", "第八十二条")
    report = fill(control, DIRECTOR, "信息通报 2026-11")
    # (the harness shows a markdown message's text twice: title and text, then its params)
    criticism = report.split("**通报批评**")[1].split("政务信息通报")[0]
    assert "城关镇人民政府：约稿 YG2026-0001（秋粮收购进展情况）" in criticism
    assert "县教育局" not in criticism

    # Told once: the next morning brings no second flag.
    set_clock(control, "2026-11-20T08:30:30+08:00")
    assert count(control, TOWN_HEAD, "约稿逾期未报") == 1


@pytest.mark.sandbox_start("2026-09-30T10:00:00+08:00")
def test_the_monthly_report_on_the_first_working_day(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    submit(control, EDU_STAFF, "县教育局推进校舍安全排查")
    act(control, ADMIN, "校舍安全排查", "采用（省级）")
    has(control, EDU_STAFF, "已被省级采用")

    # 1 October is a holiday: no report until the first working day after 国庆.
    set_clock(control, "2026-10-01T09:00:30+08:00")
    assert count(control, DIRECTOR, "政务信息通报") == 0
    set_clock(control, "2026-10-08T09:00:30+08:00")
    report = has(control, DIRECTOR, "2026年9月政务信息通报")
    assert "第1名 县教育局：得分 5" in report and "省级 1" in report

    # The text may be a file (Word, PDF or OFD), sent in chat when 正文 is asked for.
    control.send(EDU_STAFF, "信息\n标题：县教育局冬季供暖保障\n类别：5")
    has(control, EDU_STAFF, "Word、PDF、OFD")
    pdf = b"%PDF-1.4 heating " + bytes(range(256)) * 4
    body = {"file": {"name": "供暖保障情况.pdf", "content_base64": base64.b64encode(pdf).decode()}}
    control.send_raw(EDU_STAFF, body)
    has(control, EDU_STAFF, "约稿编号")
    control.send(EDU_STAFF, "无")
    has(control, EDU_STAFF, "请核对", "供暖保障情况.pdf")
    control.send(EDU_STAFF, "确认")
    has(control, EDU_STAFF, "已报送政务信息 XX2026-0002")
    card = wait_card(control, CLERK, lambda c: bool(actions(c)), "冬季供暖保障")
    assert "供暖保障情况.pdf" in card["cardData"]["fields"]
    act(control, CLERK, "冬季供暖保障", "采用（县级）")
    has(control, EDU_STAFF, "已被县级采用")
    set_clock(control, "2026-11-02T09:00:30+08:00")  # Monday, the first working day
    report = has(control, DIRECTOR, "2026年10月政务信息通报")
    assert "第1名 县教育局：得分 1；报送 1，采用 1（县级 1、市级 0、省级 0）" in report
    assert count(control, DIRECTOR, "政务信息通报") == 2
