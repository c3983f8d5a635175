"""Leave of leaders (请销假) with the AB rule and stand-ins (第五、一百零一、一百零二条)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.config import OrgDirectory
from tests.harness import BotProcess, Control, SandboxThread, item_text
from tests.scenario.flows import actions, cards, press, wait_card
from tests.scenario.meetings import set_clock as _set_clock

HEAD = "wang.jianguo"  # 县长
EXEC = "li.zhiqiang"  # 常务副县长, AB partner of the county head
ZHANG = "zhang.lihua"  # 副县长 (AB: 刘振华)
LIU = "liu.zhenhua"
ZHAO = "zhao.guodong"  # 副县长 in charge of the coal mine (AB: 陈伟)
CHEN = "chen.wei"
PARTY_OFFICE_HEAD = "gao.jianping"
OFFICE_MEMBER = "sun.yongming"  # in the government office group
GROUP = "cidYc0GovOffice0000001=="


def _has(control: Control, user: str, *parts: str, timeout: float = 20) -> str:
    items = control.wait_for(
        user, lambda i: any(all(p in item_text(x) for p in parts) for x in i), timeout=timeout
    )
    return next(item_text(x) for x in items if all(p in item_text(x) for p in parts))


def _count(control: Control, user: str, *parts: str) -> int:
    return sum(1 for x in control.bot_items(user) if all(p in item_text(x) for p in parts))


def _group_has(control: Control, *parts: str, timeout: float = 20) -> str:
    items = control.wait_for(
        OFFICE_MEMBER,
        lambda i: any(
            x.get("conversationId") == GROUP and all(p in item_text(x) for p in parts) for x in i
        ),
        timeout=timeout,
    )
    return next(
        item_text(x)
        for x in items
        if x.get("conversationId") == GROUP and all(p in item_text(x) for p in parts)
    )


def _group_count(control: Control, *parts: str) -> int:
    return sum(
        1
        for x in control.bot_items(OFFICE_MEMBER)
        if x.get("conversationId") == GROUP and all(p in item_text(x) for p in parts)
    )


def _file_leave(
    control: Control,
    user: str,
    start: str,
    end: str,
    *,
    kind: str = "出差",
    stand_in: str = "",
    expect: str = "",
) -> str:
    """Files a 请假 form in one message and confirms; returns the summary text."""
    lines = [
        "请假",
        f"外出类型：{kind}",
        f"离开时间：{start}",
        f"返回时间：{end}",
        "外出地点：太原市",
        "外出事由：参加全省工作会议",
        "联系方式：13800000001",
    ]
    if stand_in:
        lines.append(f"代理人：{stand_in}")
    before = _count(control, user, "请核对领导干部外出请假报备单")
    control.send(user, "\n".join(lines))
    control.wait_for(
        user,
        lambda i: sum("请核对领导干部外出请假报备单" in item_text(x) for x in i) > before,
    )
    summary = [
        item_text(x)
        for x in control.bot_items(user)
        if "请核对领导干部外出请假报备单" in item_text(x)
    ][-1]
    if expect:
        assert expect in summary
    done = _count(control, user, "QJ2026-")
    control.send(user, "确认")
    control.wait_for(user, lambda i: sum("QJ2026-" in item_text(x) for x in i) > done)
    return summary


def _approval_card(control: Control, approver: str, name: str) -> dict[str, Any]:
    return wait_card(control, approver, lambda c: bool(actions(c)), name)


@pytest.mark.sandbox_start("2026-11-23T08:00:00+08:00")
def test_deputy_leave_is_approved_filed_and_listed(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    # Someone who does not file with the county government is told his unit handles it.
    control.send("jia.lin", "请假")
    _has(control, "jia.lin", "县教育局", "按本单位规定办理")

    summary = _file_leave(control, ZHANG, "2026-11-25 上午", "2026-11-26 下午")
    assert "刘振华（AB角，默认）" in summary and "AB角同期外出" not in summary
    card = _approval_card(control, HEAD, "张丽华")
    assert [a["text"] for a in actions(card)] == ["同意", "不同意"]
    assert "太原市" in card["cardData"]["fields"]

    # A forged click: the applicant sends the county head's button params from the copy
    # of the card he holds himself. Nothing changes.
    chosen = next(a for a in actions(card) if a["text"] == "同意")
    forged = {k: v for k, v in chosen.items() if k not in ("text", "color")}
    control.post(
        f"/sandbox/cards/{card['outTrackId']}/click",
        {"userId": ZHANG, "raw": {"actionIds": [], "params": forged}},
    )
    _has(control, ZHANG, "您无权操作")
    time.sleep(1)
    assert actions(_approval_card(control, HEAD, "张丽华"))
    assert _count(control, ZHANG, "办结") == 0

    press(control, HEAD, card, "同意")
    _has(control, ZHANG, "办结", "已同意")
    assert "主持县政府全面工作" not in _has(control, LIU, "请您代行职责", "张丽华")
    _has(control, PARTY_OFFICE_HEAD, "请假备案", "张丽华", "王建国 已批准")
    _group_has(control, "请假备案", "张丽华")

    # 外出 for leaders and the office; the 08:30 list to the office group on working days.
    control.send(ZHAO, "外出")
    listing = _has(control, ZHAO, "领导外出情况", "张丽华")
    assert "近期外出" in listing and "代理人 刘振华" in listing
    control.send("jia.lin", "外出")
    _has(control, "jia.lin", "仅供县政府领导和县政府办公室查看")
    _set_clock(control, "2026-11-25T08:31:00+08:00")
    daily = _group_has(control, "今日领导外出情况", "张丽华")
    assert "今天外出" in daily


@pytest.mark.sandbox_start("2026-11-23T08:00:00+08:00")
def test_coal_mine_head_is_approved_by_the_deputy_in_charge_and_a_rejection_says_why(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    mine_head = "fang.zhenyu"
    _file_leave(control, mine_head, "2026-11-24 上午", "2026-11-24 下午", kind="就医")
    card = _approval_card(control, ZHAO, "方振宇")
    assert not [c for c in cards(control, HEAD) if "方振宇" in str(c["cardData"].get("title"))]
    press(control, ZHAO, card, "不同意")  # no reason: refused
    _has(control, ZHAO, "请先在卡片上填写意见", "第一百零二条")
    press(control, ZHAO, card, "不同意", opinion="本周井下安全检查，请改期。")
    finished = _has(control, mine_head, "办结", "不同意")
    assert "本周井下安全检查" in finished
    assert _count(control, PARTY_OFFICE_HEAD, "方振宇") == 0


@pytest.mark.sandbox_start("2026-11-23T08:00:00+08:00")
def test_ab_partner_away_warns_and_approval_needs_a_reason(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    _file_leave(control, LIU, "2026-11-25 上午", "2026-11-27 下午")
    press(control, HEAD, _approval_card(control, HEAD, "刘振华"), "同意")
    _has(control, LIU, "办结", "已同意")

    summary = _file_leave(
        control, ZHANG, "11月26日下午", "11月27日", kind="会议活动", expect="AB角同期外出"
    )
    assert "刘振华（AB角）" in summary and "已批准" in summary
    card = wait_card(control, HEAD, lambda c: bool(actions(c)), "张丽华")
    assert "AB角同期外出" in card["cardData"]["fields"]
    assert "AB角同期外出" in card["cardData"]["summary"]
    press(control, HEAD, card, "同意")  # without a reason: refused
    _has(control, HEAD, "请先在卡片上填写意见")
    assert actions(wait_card(control, HEAD, lambda c: bool(actions(c)), "张丽华"))
    press(control, HEAD, card, "同意", opinion="省政府通知必须本人参会，已安排陈伟协调。")
    done = wait_card(control, ZHANG, lambda c: c["cardData"].get("status") == "已同意", "张丽华")
    assert "省政府通知必须本人参会" in done["cardData"]["trail"]


@pytest.mark.sandbox_start("2026-11-23T07:00:00+08:00")
def test_county_head_away_pending_and_new_steps_reach_the_executive_deputy(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = directory.holders("office_clerk")[0].user_id
    title = "关于做好冬季校园安全工作的通知"
    control.send(
        clerk,
        f"发文\n标题：{title}\n发文机关：县政府\n主办单位：县教育局\n"
        "主送：县教育局\n公开属性：不予公开\n正文：为做好全县冬季校园安全工作，现将有关事项通知如下。",
    )
    _has(control, clerk, "请核对发文卡")
    control.send(clerk, "确认")
    _has(control, clerk, "已提交")
    steps = [
        (directory.secretarial_deputy().user_id, "同意", "文字已核。"),
        (ZHANG, "同意", "同意印发。"),
        (directory.sole("office_director").user_id, "同意", "拟同意，请县长签发。"),
    ]
    for user, button, opinion in steps:
        press(
            control,
            user,
            wait_card(control, user, lambda c: bool(actions(c)), title),
            button,
            opinion,
        )
    wait_card(control, HEAD, lambda c: bool(actions(c)), title)  # 县长签发 pending

    # The county head's own absence is filed (报备), no approval; the step moves.
    _file_leave(control, HEAD, "今天上午", "明天下午", kind="会议活动")
    _has(control, HEAD, "已报备")
    moved = wait_card(control, EXEC, lambda c: bool(actions(c)), title)
    assert "代王建国" in moved["cardData"]["trail"]
    summary = _has(control, HEAD, "已转由代理人办理", title)
    assert "李志强" in summary
    head_view = wait_card(control, HEAD, lambda c: not actions(c), title)
    assert not actions(head_view)
    _has(control, PARTY_OFFICE_HEAD, "外出报备", "王建国")
    _group_has(control, "外出报备", "王建国")
    # The executive deputy presides over the government's whole work (第五条).
    told = _has(control, EXEC, "请您主持县政府全面工作", "王建国")
    assert "县长外出期间，由常务副县长主持县政府全面工作（第五条）" in told
    assert "代行职责" not in told

    press(control, EXEC, moved, "签发")
    issued = wait_card(
        control, clerk, lambda c: c["cardData"].get("status", "").startswith("已签发印发"), title
    )
    assert "李志强**（代王建国） 签发" in issued["cardData"]["trail"]

    # 销假: new steps go to him again.
    control.send(HEAD, "销假")
    _has(control, HEAD, "已销假")
    assert "主持县政府全面工作" in _has(control, EXEC, "王建国已销假")


def _answer(control: Control, user: str, text: str, expect: str) -> str:
    """Sends one answer of a form and waits for a new message containing ``expect``."""
    before = _count(control, user, expect)
    control.send(user, text)
    control.wait_for(user, lambda i: sum(expect in item_text(x) for x in i) > before)
    return [item_text(x) for x in control.bot_items(user) if expect in item_text(x)][-1]


@pytest.mark.sandbox_start("2026-11-23T08:00:00+08:00")
def test_county_head_naming_another_deputy_is_refused_citing_article_5(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    # In one message: refused as a whole, nothing is stored.
    refusal = "县长外出期间，由常务副县长主持县政府全面工作（第五条）"
    lines = "请假\n外出类型：出差\n离开时间：明天上午\n返回时间：明天下午\n外出地点：太原市"
    said = _answer(
        control,
        HEAD,
        f"{lines}\n外出事由：参加全省工作会议\n代理人：张丽华\n联系方式：13800000001",
        refusal,
    )
    assert "不能是张丽华" in said and "常务副县长李志强" in said
    assert _count(control, HEAD, "请核对领导干部外出请假报备单") == 0
    # Step by step: the stand-in is asked again; "无" gives the executive deputy.
    _answer(control, HEAD, "请假", "外出类型")
    _answer(control, HEAD, "会议活动", "何时离开")
    _answer(control, HEAD, "明天上午", "何时返回")
    _answer(control, HEAD, "明天下午", "外出地点")
    _answer(control, HEAD, "太原市", "外出事由")
    _answer(control, HEAD, "参加全省工作会议", "由谁代行职责")
    _answer(control, HEAD, "张丽华", "由谁代行职责")  # asked again …
    control.wait_for(HEAD, lambda i: sum(refusal in item_text(x) for x in i) == 2)  # refused
    _answer(control, HEAD, "无", "联系方式")
    summary = _answer(control, HEAD, "13800000001", "请核对领导干部外出请假报备单")
    assert "李志强（常务副县长主持县政府全面工作，第五条）" in summary
    control.send(HEAD, "确认")
    _has(control, HEAD, "已报备")
    _group_has(control, "外出报备", "王建国", "李志强")
    told = _has(control, EXEC, "请您主持县政府全面工作", "王建国")
    assert "第五条" in told
    assert _count(control, ZHANG, "王建国") == 0
    # Naming the executive deputy himself is accepted.
    summary = _file_leave(
        control, HEAD, "2026-11-26 上午", "2026-11-26 下午", stand_in="李志强", expect="李志强"
    )
    assert "第五条" in summary
    assert _count(control, HEAD, refusal) == 2


@pytest.mark.sandbox_start("2026-11-23T08:00:00+08:00")
def test_county_head_away_while_the_executive_deputy_is_too_names_the_next_in_chain(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    _file_leave(control, EXEC, "明天上午", "2026-11-25 下午", stand_in="张丽华")
    press(control, HEAD, _approval_card(control, HEAD, "李志强"), "同意")
    _has(control, ZHANG, "请您代行职责", "李志强")
    _file_leave(control, HEAD, "明天上午", "明天下午", kind="会议活动")
    chain = (
        "李志强同期外出（QJ2026-0001），其外出期间需要王建国办理的事项转由张丽华办理"
        "（第一百零二条）"
    )
    filed = _group_has(control, "外出报备", "王建国")
    assert "由常务副县长主持县政府全面工作（第五条）" in filed and chain in filed
    told = _has(control, EXEC, "请您主持县政府全面工作", "王建国")
    assert "您本人同期外出（QJ2026-0001）" in told and "转由张丽华办理（第一百零二条）" in told


@pytest.mark.sandbox_start("2026-11-23T08:00:00+08:00")
def test_stand_in_also_away_passes_to_the_next_in_chain(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    # 陈伟 (in charge of 司法局) away, his AB partner 赵国栋 too, who named 刘振华.
    _file_leave(control, ZHAO, "今天上午", "2026-11-25 下午", stand_in="刘振华")
    press(control, HEAD, _approval_card(control, HEAD, "赵国栋"), "同意")
    _has(control, LIU, "请您代行职责", "赵国栋")
    _file_leave(control, CHEN, "今天上午", "2026-11-25 下午", expect="AB角同期外出")
    press(
        control,
        HEAD,
        _approval_card(control, HEAD, "陈伟"),
        "同意",
        opinion="两人分别参加省里会议，由刘振华代行。",
    )
    _has(control, CHEN, "办结", "已同意")

    staff, head = "lin.xiao", "huang.zhigang"
    title = "关于调整法律顾问服务经费的请示"
    control.send(
        staff,
        f"请示\n标题：{title}\n类别：专题性\n正文：为保障政府法律顾问工作，拟调整服务经费。\n"
        "涉及部门：无\n财政资金：否",
    )
    _has(control, staff, "请核对请示")
    control.send(staff, "确认")
    _has(control, staff, "已提交")
    press(control, head, wait_card(control, head, lambda c: bool(actions(c)), title), "签发")
    clerk = "ma.jun"
    press(control, clerk, wait_card(control, clerk, lambda c: bool(actions(c)), title), "审核通过")
    card = wait_card(control, LIU, lambda c: bool(actions(c)), title)
    assert card["cardData"]["note"] == "陈伟外出期间，由您代为办理。"
    press(control, LIU, card, "同意", opinion="同意。")
    done = wait_card(control, staff, lambda c: c["cardData"].get("status") == "已同意", title)
    assert "刘振华**（代陈伟）" in done["cardData"]["trail"]
    assert not [c for c in cards(control, ZHAO) if title in str(c["cardData"].get("title"))]


@pytest.mark.sandbox_start("2026-11-23T08:00:00+08:00")
def test_urgent_departure_is_reported_and_regularisation_is_chased(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    town_head = "dai.hongmei"
    control.send(
        town_head,
        "紧急外出\n外出类型：探亲\n返回时间：2026-11-24 下午\n外出地点：长治市\n"
        "外出事由：家中老人突发疾病\n联系方式：13900000002",
    )
    _has(control, town_head, "请核对紧急外出报告")
    control.send(town_head, "确认")
    _has(control, town_head, "紧急外出已报告", "2026-11-25 18:00")
    _has(control, HEAD, "紧急外出报告", "戴红梅")
    _has(control, PARTY_OFFICE_HEAD, "紧急外出报告", "戴红梅")
    _group_has(control, "紧急外出报告", "戴红梅")

    _set_clock(control, "2026-11-25T08:55:00+08:00")
    assert _count(control, town_head, "请补办请假手续") == 0
    _set_clock(control, "2026-11-25T09:01:00+08:00")
    _has(control, town_head, "请补办请假手续", "JJ2026-0001", "第一百零一条")
    _set_clock(control, "2026-11-26T09:01:00+08:00")
    _group_has(control, "紧急外出逾期未补办", "戴红梅", "第一百零一条")
    # 补办 now: the form follows; no more reminders.
    _file_leave(control, town_head, "2026-11-23 上午", "2026-11-24 下午", kind="探亲")
    card = _approval_card(control, HEAD, "戴红梅")
    assert "JJ2026-0001" in card["cardData"]["fields"]


@pytest.mark.sandbox_start("2026-11-23T08:00:00+08:00")
def test_return_not_reported_reminds_him_then_the_office_across_a_weekend(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    zone_head = "tian.lixin"
    _file_leave(control, zone_head, "2026-11-26 上午", "2026-11-27 下午")
    press(control, HEAD, _approval_card(control, HEAD, "田立新"), "同意")
    _has(control, zone_head, "办结", "已同意")
    _set_clock(control, "2026-11-28T10:00:00+08:00")  # Saturday
    assert _count(control, zone_head, "请销假") == 0
    _set_clock(control, "2026-11-30T09:01:00+08:00")  # Monday
    _has(control, zone_head, "请销假", "返回日期已过", "第一百零一条")
    assert _group_count(control, "逾期未销假") == 0
    _set_clock(control, "2026-12-01T09:01:00+08:00")
    _group_has(control, "逾期未销假", "田立新", "第一百零一条")


@pytest.mark.sandbox_start("2026-12-28T08:00:00+08:00")
def test_return_reminders_across_the_year_end_use_the_provisional_calendar(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    town_head = "pan.jianjun"
    _file_leave(control, town_head, "2026-12-30 上午", "2026-12-31 下午", kind="学习")
    press(control, HEAD, _approval_card(control, HEAD, "潘建军"), "同意")
    _has(control, town_head, "办结", "已同意")
    # 2027 has no published holiday table: Monday to Friday, but Friday 1 January (元旦)
    # is off every year, so the first working day after his return is Monday 4 January.
    control.move_clock({"set": "2027-01-01T09:01:00+08:00"})
    assert _count(control, town_head, "请销假") == 0
    control.move_clock({"set": "2027-01-04T09:01:00+08:00"})
    reminder = _has(control, town_head, "请销假")
    assert "暂定：该年节假日安排尚未录入" in reminder
    assert _group_count(control, "逾期未销假") == 0
    control.move_clock({"set": "2027-01-05T09:01:00+08:00"})
    assert "暂定：该年节假日安排尚未录入" in _group_has(control, "逾期未销假", "潘建军")


@pytest.mark.sandbox_start("2026-11-23T08:00:00+08:00")
def test_extension_is_a_new_approval_and_withdrawal_before_approval(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    _file_leave(control, ZHANG, "今天上午", "2026-11-24 下午")
    press(control, HEAD, _approval_card(control, HEAD, "张丽华"), "同意")
    _has(control, ZHANG, "办结", "已同意")
    control.send(
        ZHANG, "延期\n原请假单：QJ2026-0001\n新的返回时间：2026-11-24 上午\n延期事由：会议延长"
    )
    _has(control, ZHANG, "请核对延期申请")
    control.send(ZHANG, "确认")  # checked against the stored leave when sent
    _has(control, ZHANG, "延期后的返回时间须晚于")
    control.send(ZHANG, "取消")
    _has(control, ZHANG, "已取消")
    control.send(
        ZHANG, "延期\n原请假单：QJ2026-0001\n新的返回时间：2026-11-25 下午\n延期事由：会议延长"
    )
    control.wait_for(ZHANG, lambda i: sum("请核对延期申请" in item_text(x) for x in i) == 2)
    control.send(ZHANG, "确认")
    _has(control, ZHANG, "QJ2026-0002")
    card = wait_card(control, HEAD, lambda c: bool(actions(c)), "延期")
    assert "2026-11-25 上午 至 2026-11-25 下午" in card["cardData"]["fields"]
    assert "QJ2026-0001" in card["cardData"]["fields"]

    _file_leave(control, LIU, "2026-11-30 上午", "2026-11-30 下午")
    control.send(LIU, "撤回 QJ2026-0003")
    _has(control, LIU, "QJ2026-0003", "撤回")
    withdrawn = wait_card(
        control, HEAD, lambda c: c["cardData"].get("status") == "已撤回", "刘振华"
    )
    assert not actions(withdrawn)
    control.send(ZHAO, "外出")
    listing = _has(control, ZHAO, "领导外出情况")
    assert "**刘振华**" not in listing and "**张丽华**" in listing
