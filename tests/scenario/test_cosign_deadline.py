"""会签 sent on 2026-09-29: its 2-working-day deadline crosses 国庆 and lands on 8 October;
a department that has not answered by then is deemed to have no objection (第六十九条).
The 财政局/审计局 签批 of a fiscal request (第七十条) is never deemed: the silent signer is
reminded and the office director told the next working morning."""

from __future__ import annotations

import pytest

from bot.config import OrgDirectory
from tests.harness import BotProcess, Control, SandboxThread, item_text
from tests.scenario.flows import (
    actions,
    card_of,
    head_of,
    head_with_role,
    press,
    staff_of,
    wait_card,
)
from tests.scenario.meetings import set_clock as _set_clock
from tests.scenario.test_requests import EDU, _submit
from tests.scenario.test_requests import REQUEST as FISCAL_REQUEST

REQUEST = """请示
标题：关于联合开展校园周边安全整治的请示
类别：专题性
正文：拟于十月联合开展校园周边安全整治。
涉及部门：县财政局、县应急管理局
财政资金：否"""


@pytest.mark.sandbox_start("2026-09-29T10:00:00+08:00")
def test_silent_department_is_deemed_to_agree_after_national_day(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk, head = staff_of(directory, EDU), head_of(directory, EDU)
    finance = head_with_role(directory, "finance_bureau")
    emergency = head_with_role(directory, "emergency_bureau")
    _submit(control, clerk, REQUEST)
    press(control, head, wait_card(control, head, lambda c: bool(actions(c)), "校园"), "签发")

    card = wait_card(control, finance, lambda c: bool(actions(c)), "校园")
    assert "2026年10月8日 18:00" in card["cardData"]["deadline"]
    press(control, finance, card, "同意")

    # 8 October, 09:00: the silent department is reminded on the last day.
    _set_clock(control, "2026-10-08T09:00:30+08:00")
    control.wait_for(
        emergency,
        lambda i: any("会签" in item_text(x) and "提醒" in item_text(x) for x in i),
        timeout=10,
    )
    # 17:59 on 8 October: still waiting.
    _set_clock(control, "2026-10-08T17:59:00+08:00")
    card = wait_card(control, clerk, lambda c: True, "校园")
    assert "会签" in card["cardData"]["status"]

    # After 18:00 the department is deemed to have no objection; the flow moves on.
    _set_clock(control, "2026-10-08T18:00:30+08:00")
    card = wait_card(
        control, clerk, lambda c: "审核" in c["cardData"]["status"], "校园", timeout=10
    )
    assert "逾期未复，视为无不同意见（第六十九条）" in card["cardData"]["trail"]
    emergency_card = wait_card(control, emergency, lambda c: True, "校园")
    assert actions(emergency_card) == []


@pytest.mark.sandbox_start("2026-11-25T10:00:00+08:00")
def test_silent_fiscal_signer_is_reminded_and_the_office_director_told(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk, head = staff_of(directory, EDU), head_of(directory, EDU)
    finance = head_with_role(directory, "finance_bureau")
    audit = head_with_role(directory, "audit_bureau")
    director = directory.sole("office_director").user_id
    _submit(control, clerk, FISCAL_REQUEST)  # fiscal money: 签批 (第七十条)
    press(control, head, wait_card(control, head, lambda c: bool(actions(c)), "维修资金"), "签发")
    press(control, finance, wait_card(control, finance, lambda c: bool(actions(c)), "维修"), "同意")
    office_clerk = directory.holders("office_clerk")[0].user_id
    card = wait_card(control, office_clerk, lambda c: bool(actions(c)), "维修资金")
    press(control, office_clerk, card, "审核通过")

    # 签批 (第七十条) within 3 working days: Wednesday 25 November to Monday 30 November.
    card = wait_card(control, finance, lambda c: "签批" in str(actions(c)), "维修资金")
    assert "2026年11月30日 18:00" in card["cardData"]["deadline"]
    press(control, finance, card, "签批同意")

    # The last morning: the silent signer is reminded, citing 第七十条, not deemed consent.
    _set_clock(control, "2026-11-30T09:00:30+08:00")
    reminded = control.wait_for(
        audit, lambda i: any("提醒" in item_text(x) and "第七十条" in item_text(x) for x in i)
    )
    assert not any("逾期不会签又不说明原因的" in item_text(x) for x in reminded)
    assert any("不适用逾期视为无不同意见的规定" in item_text(x) for x in reminded)

    # Past the deadline nothing is deemed: the step still waits; nobody is chased in the
    # evening.
    _set_clock(control, "2026-11-30T18:00:30+08:00")
    card = wait_card(control, clerk, lambda c: True, "维修资金")
    assert "签批" in card["cardData"]["status"]
    assert "视为" not in card["cardData"]["trail"]
    assert "签批同意" in [a["text"] for a in actions(card_of(control, audit, "维修资金"))]
    assert not [x for x in control.bot_items(audit) if "办理已逾期" in item_text(x)]
    assert not [x for x in control.bot_items(director) if "维修资金" in item_text(x)]

    # The next working morning he is reminded again and the office director is told who
    # has not signed.
    _set_clock(control, "2026-12-01T09:00:30+08:00")
    control.wait_for(
        audit, lambda i: any("办理已逾期" in item_text(x) and "第七十条" in item_text(x) for x in i)
    )
    audit_name = directory.person(audit).name  # type: ignore[union-attr]
    told = control.wait_for(
        director,
        lambda i: any("维修资金" in item_text(x) and audit_name in item_text(x) for x in i),
    )
    assert any("第七十条" in item_text(x) for x in told)
    finance_name = directory.person(finance).name  # type: ignore[union-attr]
    assert not any(finance_name in item_text(x) for x in told if "维修资金" in item_text(x))
