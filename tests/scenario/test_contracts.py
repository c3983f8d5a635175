"""Contracts in the county government's name (第七十二条) and meeting requests
(第六十、六十六条), driven like officials would through the sandbox."""

from __future__ import annotations

import re
import time

import pytest

from tests.harness import BotProcess, Control, SandboxThread
from tests.scenario.flows import actions, cards, wait_card
from tests.scenario.meetings import (
    ADMIN,
    EDU_HEAD,
    EDU_STAFF,
    HEAD,
    LEGAL_HEAD,
    ZHANG,
    act,
    fill,
    has,
)

pytestmark = pytest.mark.sandbox_start("2026-12-01T09:00:00+08:00")

CLERK = "ma.jun"  # 秘书科: an office clerk


def _contract(title: str) -> str:
    return (
        f"合同\n合同名称：{title}\n合同相对方：阳城县恒达餐饮管理有限公司\n"
        "合同金额：180万元\n合同文本：甲方将县第一中学食堂委托乙方经营，期限三年，乙方按约定标准供餐。"
    )


def _meeting_request(kind: str, title: str) -> str:
    return (
        f"会议申请\n类型：{kind}\n会议名称：{title}\n会议日期：2026-12-18\n"
        "会议地点：县会议中心\n会议规模：约120人\n理由：部署全县中小学校园安全工作。"
    )


def _holds(control: Control, user: str, title: str) -> bool:
    return any(title in str(c["cardData"].get("title")) for c in cards(control, user))


def test_contract_reviewed_by_the_legal_bureau_then_approved(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    title = "县第一中学食堂委托经营合同"
    answer = fill(control, EDU_STAFF, _contract(title))
    number = re.search(r"HT\d{4}-\d{4}", answer)
    assert number, answer
    assert "第七十二条" in answer

    act(control, EDU_HEAD, title, "签发")
    # The 司法局 reviews; the opinion is required, so an empty one is refused.
    card = wait_card(control, LEGAL_HEAD, lambda c: bool(actions(c)), title)
    assert [a["text"] for a in actions(card)] == ["审核通过", "审核不通过"]
    assert "阳城县恒达餐饮管理有限公司" in str(card["cardData"]["fields"])
    assert not _holds(control, ZHANG, title)  # not yet at the county government
    act(control, LEGAL_HEAD, title, "审核通过", "经审核，合同条款合法，权利义务对等。")

    # 按程序报县政府审定: the deputy county head in charge of the 教育局 decides.
    card = wait_card(control, ZHANG, lambda c: bool(actions(c)), title)
    assert [a["text"] for a in actions(card)] == ["同意", "不同意"]
    act(control, ZHANG, title, "同意")
    wait_card(control, EDU_STAFF, lambda c: c["cardData"]["status"] == "县政府已审定同意", title)
    has(control, EDU_STAFF, "合同审定办结", "县政府已审定同意")


def test_contract_failed_by_the_legal_bureau_never_reaches_approval(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    title = "县第二中学教学设备采购合同"
    answer = fill(control, EDU_STAFF, _contract(title))
    assert re.search(r"HT\d{4}-\d{4}", answer), answer
    act(control, EDU_HEAD, title, "签发")
    act(control, LEGAL_HEAD, title, "审核不通过", "违约责任条款显失公平，须修改。")

    notice = has(control, EDU_STAFF, "未通过县司法局审核", "第七十二条")
    assert "违约责任条款显失公平" in notice
    card = wait_card(control, EDU_STAFF, lambda c: c["cardData"]["status"] == "未获通过", title)
    assert "第七十二条" in str(card["cardData"])  # the trail says why
    time.sleep(1.0)
    assert not _holds(control, ZHANG, title)
    assert not _holds(control, HEAD, title)


def test_professional_meeting_decided_by_the_deputy_head_in_charge(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    title = "全县校园安全工作专业会议"
    answer = fill(control, EDU_STAFF, _meeting_request("以县政府名义召开的专业性会议", title))
    assert re.search(r"HS\d{4}-\d{4}", answer), answer
    assert "第六十条" in answer
    act(control, EDU_HEAD, title, "签发")
    act(control, CLERK, title, "审核通过")  # 县政府办公室受理
    card = wait_card(control, ZHANG, lambda c: bool(actions(c)), title)
    assert "县会议中心" in str(card["cardData"]["fields"])
    act(control, ZHANG, title, "同意")
    wait_card(control, EDU_STAFF, lambda c: c["cardData"]["status"] == "同意召开", title)


def test_hosting_a_provincial_meeting_waits_for_consent(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    title = "全省中小学体育工作现场会"
    answer = fill(control, EDU_STAFF, _meeting_request("承办全国、省、市会议", title))
    assert re.search(r"HS\d{4}-\d{4}", answer), answer
    assert "第六十六条" in answer and "不得答复" in answer
    card = wait_card(control, EDU_STAFF, lambda c: "第六十六条" in str(c["cardData"]), title)
    assert "答复主办方" in str(card["cardData"]["fields"])
    act(control, EDU_HEAD, title, "签发")
    act(control, ZHANG, title, "同意")
    wait_card(
        control,
        EDU_STAFF,
        lambda c: c["cardData"]["status"] == "县政府同意承办，可答复主办方",
        title,
    )


def test_only_departments_draft_contracts_and_ask_for_meetings(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    """The office's 行政股 is no department submitting to the county government."""
    refused = fill(control, ADMIN, _contract("县政府办公室物业服务合同"))
    assert "第七十二条" in refused and "代拟" in refused
    refused = fill(control, ADMIN, _meeting_request("专业性会议", "全县档案工作会议"))
    assert "第六十条" in refused
    time.sleep(0.5)
    assert not _holds(control, ADMIN, "物业服务合同")
    assert not _holds(control, ADMIN, "档案工作会议")
