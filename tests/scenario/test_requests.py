"""请示 and 报告 along the rules' chain, driven like officials would through the sandbox."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.config import OrgDirectory
from tests.harness import BotProcess, Control, SandboxThread, item_text
from tests.scenario.flows import (
    actions,
    card_of,
    cards,
    head_of,
    head_with_role,
    press,
    staff_of,
    wait_card,
)
from tests.scenario.meetings import has

pytestmark = pytest.mark.sandbox_start("2026-11-24T07:00:00+08:00")

EDU = "jyj"
AUDIT_REQUEST = (
    "请示\n标题：关于开展全县惠民资金专项审计的请示\n类别：专题性\n"
    "正文：拟于明年一季度开展全县惠民惠农资金专项审计。\n财政资金：否"
)


def _office_review_passes(
    control: Control, directory: OrgDirectory, title_words: str
) -> dict[str, Any]:
    """A clerk of the 县政府办公室 passes the review; returns the card he saw."""
    clerk = directory.holders("office_clerk")[0].user_id
    card = wait_card(control, clerk, lambda c: bool(actions(c)), title_words)
    press(control, clerk, card, "审核通过")
    return card


def _submit(control: Control, user: str, text: str) -> None:
    before = len(control.bot_items(user))
    control.send(user, text)
    control.wait_for(user, lambda i: any("请核对" in item_text(x) for x in i[before:]))
    control.send(user, "确认")
    control.wait_for(user, lambda i: any("已提交" in item_text(x) for x in i))


REQUEST = """请示
标题：关于县第一中学教学楼维修资金的请示
类别：专题性
正文：县第一中学教学楼建于1998年，屋面漏水，需维修。
涉及部门：县财政局
财政资金：是"""


def test_request_travels_the_whole_chain(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = staff_of(directory, EDU)
    head = head_of(directory, EDU)
    finance = head_with_role(directory, "finance_bureau")
    audit = head_with_role(directory, "audit_bureau")
    leader = directory.leader_in_charge(EDU)
    assert leader is not None
    _submit(control, clerk, REQUEST)

    # 1. the unit head signs it off (第六十九条); the submitter sees the same card
    card = wait_card(control, head, lambda c: bool(actions(c)), "维修资金")
    assert [a["text"] for a in actions(card)] == ["签发", "退回修改"]
    assert actions(card_of(control, clerk, "维修资金")) == []
    press(control, head, card, "签发")
    wait_card(control, clerk, lambda c: "会签" in c["cardData"]["status"], "维修资金")

    # 2. 会签 by the finance bureau, with its 2-working-day deadline on the card
    card = wait_card(control, finance, lambda c: bool(actions(c)), "维修资金")
    assert "前" in card["cardData"]["deadline"]
    press(control, finance, card, "同意")

    # 3. the office reviews; any clerk may act
    _office_review_passes(control, directory, "维修资金")

    # 4. fiscal money: finance and audit sign off (签批, 第七十条), with buttons of its own
    for person in (finance, audit):
        card = wait_card(control, person, lambda c: bool(actions(c)), "维修资金")
        assert [a["text"] for a in actions(card)] == ["签批同意", "签批不同意（须写明意见）"]
        if person == audit:  # an objection needs a written opinion, under 第七十条
            press(control, person, card, "签批不同意（须写明意见）", opinion="")
            has(control, person, "签批不同意须写明理由", "第七十条")
        press(control, person, card, "签批同意")

    # 5. the leader in charge decides; an opinion is mandatory (第七十一条)
    card = wait_card(control, leader.user_id, lambda c: bool(actions(c)), "维修资金")
    refused = press(control, leader.user_id, card, "同意", opinion="")
    assert refused["acked"]
    control.wait_for(leader.user_id, lambda i: any("第七十一条" in item_text(x) for x in i))
    press(control, leader.user_id, card, "同意", opinion="同意，请财政局按程序拨付。")

    final = wait_card(control, clerk, lambda c: c["cardData"]["status"] == "已同意", "维修资金")
    trail = final["cardData"]["trail"]
    for name in (leader.name, "签发", "会签同意", "审核通过", "签批同意", "同意，请财政局按程序"):
        assert name in trail
    assert "会签同意" not in trail.split("审核通过")[1]  # after the review it is 签批
    assert "同意，请财政局按程序拨付" in final["cardData"]["result"]
    # the unit head holds the same card and sees the outcome too
    wait_card(control, head, lambda c: c["cardData"]["status"] == "已同意", "维修资金")

    # Every click travelled as a card-platform button sends it (empty actionId, the
    # meaning in the bound params), and the template accepted every card write.
    clicks = control.get(f"/sandbox/cards/{final['outTrackId']}")["callbacks"]
    assert len(clicks) == 8  # the seven answers and the refused objection
    assert all(c["actionId"] == "" and c["params"]["action"] == "flow.act" for c in clicks)
    card_calls = [c for c in control.get("/sandbox/calls") if "/card/instances" in c["path"]]
    assert card_calls and all(c["status"] == 200 for c in card_calls), [
        (c["path"], c["response"]) for c in card_calls if c["status"] != 200
    ]


def test_wrong_person_click_changes_nothing(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = staff_of(directory, EDU)
    head = head_of(directory, EDU)
    _submit(control, clerk, REQUEST)
    card = wait_card(control, head, lambda c: bool(actions(c)), "维修资金")
    button = actions(card)[0]
    intruder = directory.holders("office_clerk")[0].user_id
    control.post(
        f"/sandbox/cards/{card['outTrackId']}/forward",
        {"from": head, "to": intruder, "force": True},
    )
    # The forwarded card shows the intruder no button; a modified client sends the
    # head's params anyway.
    forged = {k: v for k, v in button.items() if k not in ("text", "color")}
    result = control.post(
        f"/sandbox/cards/{card['outTrackId']}/click",
        {"userId": intruder, "raw": {"actionIds": [], "params": forged}},
    )
    assert result["acked"]
    control.wait_for(intruder, lambda i: any("无权操作" in item_text(x) for x in i))
    assert "签发" in card_of(control, head, "维修资金")["cardData"]["status"]
    assert actions(card_of(control, head, "维修资金"))


def test_single_topic_request_over_1000_characters_is_refused(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = staff_of(directory, EDU)
    body = "字" * 1001
    control.send(clerk, f"请示\n标题：关于某事项的请示\n类别：专题性\n正文：{body}\n财政资金：否")
    reply = control.wait_for(clerk, lambda i: any("第六十九条" in item_text(x) for x in i))
    assert any("1001" in item_text(x) and "1000" in item_text(x) for x in reply)
    assert not any("请核对" in item_text(x) for x in reply)


def test_internal_unit_is_sent_to_its_parent(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    unit = next(
        u
        for u in sandbox.config.units.values()
        if u.kind in ("internal", "affiliated") and u.parent_id not in (None, "xzfb")
    )
    member = directory.members(unit.unit_id)[0].user_id
    control.send(member, "请示")
    reply = control.wait_for(member, lambda i: len(i) >= 1)
    assert "第六十九条" in item_text(reply[0])


def test_step_by_step_dialog_with_cancel(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = staff_of(directory, EDU)
    control.send(clerk, "请示")
    control.wait_for(clerk, lambda i: any("标题" in item_text(x) for x in i))
    control.send(clerk, "关于某事项的请示")
    control.wait_for(clerk, lambda i: any("综合性" in item_text(x) for x in i))
    control.send(clerk, "取消")
    control.wait_for(clerk, lambda i: any("已取消" in item_text(x) for x in i))
    control.send(clerk, "待办")
    control.wait_for(clerk, lambda i: any("没有需要您办理" in item_text(x) for x in i))


def test_many_recipients_and_personal_recipient_are_refused(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = staff_of(directory, EDU)
    base = "请示\n标题：关于某事项的请示\n类别：专题性\n正文：内容\n财政资金：否\n主送："
    control.send(clerk, base + "县人民政府、县委")
    control.wait_for(clerk, lambda i: any("多头主送" in item_text(x) for x in i))
    control.send(clerk, base + "市人民政府")
    control.wait_for(clerk, lambda i: any("越级" in item_text(x) for x in i))
    control.send(clerk, base + "王县长")
    control.wait_for(clerk, lambda i: any("领导个人" in item_text(x) for x in i))


def test_each_person_holds_the_flow_card_once(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk, head = staff_of(directory, EDU), head_of(directory, EDU)
    _submit(control, clerk, REQUEST)
    press(control, head, wait_card(control, head, lambda c: bool(actions(c)), "维修资金"), "签发")
    finance = head_with_role(directory, "finance_bureau")
    press(
        control,
        finance,
        wait_card(control, finance, lambda c: bool(actions(c)), "维修资金"),
        "同意",
    )
    office_clerk = directory.holders("office_clerk")[0].user_id
    wait_card(control, office_clerk, lambda c: bool(actions(c)), "维修资金")
    for user in (clerk, head, finance, office_clerk):
        held = [c for c in control.bot_items(user) if c.get("kind") == "card"]
        assert len(held) == 1, user


def test_a_step_left_waiting_becomes_a_dingtalk_todo_closed_when_the_step_moves_on(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk, head = staff_of(directory, EDU), head_of(directory, EDU)
    _submit(control, clerk, REQUEST)

    def todos(user: str) -> list[dict[str, object]]:
        return [i["todo"] for i in control.bot_items(user) if i.get("kind") == "todo"]

    def waited(minutes: int) -> None:
        control.post("/sandbox/clock", {"advance_seconds": minutes * 60})

    # The card comes at once; the DingTalk to-do only once the step has waited for
    # [dingtalk] todo_delay_minutes (120).
    wait_card(control, head, lambda c: bool(actions(c)), "维修资金")
    time.sleep(2)
    assert todos(head) == []
    waited(121)
    control.wait_for(head, lambda i: any(x.get("kind") == "todo" for x in i))
    (todo,) = todos(head)
    assert "维修资金" in str(todo["subject"]) and not todo["done"]
    press(control, head, wait_card(control, head, lambda c: bool(actions(c)), "维修资金"), "签发")
    control.wait_for(head, lambda i: all(x["todo"]["done"] for x in i if x.get("kind") == "todo"))
    # Handled within the delay: no to-do at all, not even later.
    finance = head_with_role(directory, "finance_bureau")
    press(
        control,
        finance,
        wait_card(control, finance, lambda c: bool(actions(c)), "维修资金"),
        "同意",
    )
    # The review step goes to every office clerk; one acts, all their to-dos are done.
    clerks = [p.user_id for p in directory.holders("office_clerk")]
    wait_card(control, clerks[0], lambda c: bool(actions(c)), "维修资金")
    waited(121)
    for user in clerks:
        control.wait_for(user, lambda i: any(x.get("kind") == "todo" for x in i))
    assert todos(finance) == []
    press(
        control,
        clerks[0],
        wait_card(control, clerks[0], lambda c: bool(actions(c)), "维修资金"),
        "审核通过",
    )
    for user in clerks:
        control.wait_for(
            user, lambda i: all(x["todo"]["done"] for x in i if x.get("kind") == "todo")
        )


def test_query_shows_the_trail_to_involved_people_only_and_withdraw(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk, head = staff_of(directory, EDU), head_of(directory, EDU)
    _submit(control, clerk, REQUEST)
    press(control, head, wait_card(control, head, lambda c: bool(actions(c)), "维修资金"), "签发")
    number = "QS2026-0001"
    control.send(clerk, f"公文 {number}")
    reply = control.wait_for(clerk, lambda i: any(f"请示 {number}" in item_text(x) for x in i))
    detail = next(item_text(x) for x in reply if f"请示 {number}" in item_text(x))
    assert "签发" in detail and "待相关部门会签" in detail
    # Someone of another department who is not involved may not see it.
    outsider = staff_of(directory, "zrzyj")
    control.send(outsider, "公文 维修资金")
    control.wait_for(outsider, lambda i: any("有权查看" in item_text(x) for x in i))
    # The county leadership may.
    control.send(directory.sole("county_head").user_id, "公文 维修资金")
    control.wait_for(
        directory.sole("county_head").user_id, lambda i: any(number in item_text(x) for x in i)
    )
    # Only the submitter may withdraw, and then every card shows it.
    control.send(head, f"撤回 {number}")
    control.wait_for(head, lambda i: any("没有找到您提交" in item_text(x) for x in i))
    control.send(clerk, f"撤回 {number}")
    control.wait_for(clerk, lambda i: any("已撤回" in item_text(x) for x in i))
    finance = head_with_role(directory, "finance_bureau")
    wait_card(control, finance, lambda c: c["cardData"]["status"] == "已撤回", "维修资金")
    assert actions(card_of(control, finance, "维修资金")) == []


def test_report_is_only_circled_as_read(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk, head = staff_of(directory, EDU), head_of(directory, EDU)
    leader = directory.leader_in_charge(EDU)
    assert leader is not None
    _submit(
        control,
        clerk,
        "报告\n标题：关于秋季学期开学工作情况的报告\n类别：专题性\n"
        "正文：秋季学期开学工作平稳有序。",
    )
    card = wait_card(control, head, lambda c: bool(actions(c)), "开学工作")
    assert "前" in card["cardData"]["deadline"]  # every step shows its working-day deadline
    press(control, head, card, "签发")
    _office_review_passes(control, directory, "开学工作")
    card = wait_card(control, leader.user_id, lambda c: bool(actions(c)), "开学工作")
    assert [a["text"] for a in actions(card)] == ["圈阅"]
    press(control, leader.user_id, card, "圈阅")
    final = wait_card(control, clerk, lambda c: c["cardData"]["status"] == "已阅知", "开学工作")
    assert "圈阅（已阅知）" in final["cardData"]["trail"]


def test_audit_heads_own_request_reaches_the_county_head(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    """县审计局 is under the county head himself in the demo (no deputy in charge): its
    请示 goes to 王建国 (or, were he away, his stand-in). Its head submits it himself, so
    the trail records his sign-off instead of skipping 签发 silently (第六十九条)."""
    directory = OrgDirectory(sandbox.config)
    audit_unit = directory.unit_with_role("audit_bureau")
    assert audit_unit is not None and directory.leader_in_charge(audit_unit.unit_id) is None
    audit_head = head_of(directory, audit_unit.unit_id)
    county_head = directory.sole("county_head")
    _submit(control, audit_head, AUDIT_REQUEST)
    card = _office_review_passes(control, directory, "专项审计")
    assert "单位主要负责人本人提交，视同签发（第六十九条）" in card["cardData"]["trail"]

    card = wait_card(control, county_head.user_id, lambda c: bool(actions(c)), "专项审计")
    assert card["cardData"]["status"] == "待县政府领导批示"  # 按分工呈批 (第七十条)
    press(control, county_head.user_id, card, "同意", opinion="同意，按计划实施。")
    final = wait_card(
        control, audit_head, lambda c: c["cardData"]["status"] == "已同意", "专项审计"
    )
    assert f"**{county_head.name}** 批示同意：同意，按计划实施。" in final["cardData"]["trail"]
    assert actions(card_of(control, county_head.user_id, "专项审计")) == []


def test_audit_request_goes_to_the_executive_deputy_while_the_county_head_is_away(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    """What trainers show with the demo's 县审计局: while the county head is away (his
    own absence is filed, 报备), the executive deputy presides (第五条) and the 请示 that
    would go to the county head reaches him, marked as done for the county head."""
    directory = OrgDirectory(sandbox.config)
    audit_unit = directory.unit_with_role("audit_bureau")
    assert audit_unit is not None
    audit_head = head_of(directory, audit_unit.unit_id)
    county_head = directory.sole("county_head")
    deputy = directory.sole("executive_deputy")
    control.send(
        county_head.user_id,
        "请假\n外出类型：会议活动\n离开时间：今天上午\n返回时间：明天下午\n"
        "外出地点：太原市\n外出事由：参加全省工作会议\n联系方式：13800000001",
    )
    has(control, county_head.user_id, "请核对领导干部外出请假报备单")
    control.send(county_head.user_id, "确认")
    has(control, county_head.user_id, "已报备")
    has(control, deputy.user_id, "请您主持县政府全面工作", county_head.name)

    _submit(control, audit_head, AUDIT_REQUEST)
    _office_review_passes(control, directory, "专项审计")
    card = wait_card(control, deputy.user_id, lambda c: bool(actions(c)), "专项审计")
    assert card["cardData"]["note"] == f"{county_head.name}外出期间，由您代为办理。"
    assert not [c for c in cards(control, county_head.user_id) if "专项审计" in str(c)]
    press(control, deputy.user_id, card, "同意", opinion="同意。")
    final = wait_card(
        control, audit_head, lambda c: c["cardData"]["status"] == "已同意", "专项审计"
    )
    acted = f"**{deputy.name}**（代{county_head.name}） 批示同意：同意。"
    assert acted in final["cardData"]["trail"]
