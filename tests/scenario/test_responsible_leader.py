"""A unit no deputy is in charge of (the demo's 县审计局) is under the county head himself:
the 发文卡's 分管县领导 opinion (第七十五条, by 分工 第七十条) is his, not the executive
deputy's."""

from __future__ import annotations

import pytest

from bot.config import OrgDirectory
from tests.harness import BotProcess, Control, SandboxThread, item_text
from tests.scenario.flows import actions, cards, press, wait_card

pytestmark = pytest.mark.sandbox_start("2026-11-24T07:00:00+08:00")


def test_audit_bureau_document_goes_to_the_county_head_for_the_leaders_opinion(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk = directory.holders("office_clerk")[0].user_id
    title = "关于开展审计整改工作的通知"
    control.send(
        clerk,
        f"发文\n标题：{title}\n发文机关：县政府办公室\n主办单位：县审计局\n"
        "主送：县教育局\n公开属性：主动公开\n正文：请各单位按期完成审计整改。",
    )
    control.wait_for(
        clerk, lambda i: any("请核对发文卡" in item_text(x) and title in item_text(x) for x in i)
    )
    control.send(clerk, "确认")
    secretarial = directory.secretarial_deputy().user_id
    card = wait_card(control, secretarial, lambda c: bool(actions(c)), title)
    press(control, secretarial, card, "同意", opinion="文字已核。")

    head = directory.sole("county_head").user_id
    card = wait_card(control, head, lambda c: bool(actions(c)), title)
    assert [a["text"] for a in actions(card)] == ["同意", "退回修改"]
    executive = directory.sole("executive_deputy").user_id
    assert not [c for c in cards(control, executive) if title in str(c["cardData"].get("title"))]
    press(control, head, card, "同意", opinion="同意印发。")
    # Then the office director signs an office document, as for any other unit.
    director = directory.sole("office_director").user_id
    card = wait_card(control, director, lambda c: bool(actions(c)), title)
    assert [a["text"] for a in actions(card)] == ["签发", "退回修改"]
