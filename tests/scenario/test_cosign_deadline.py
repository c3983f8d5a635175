"""会签 sent on 2026-09-29: its 2-working-day deadline crosses 国庆 and lands on 8 October;
a department that has not answered by then is deemed to have no objection (第六十九条)."""

from __future__ import annotations

import time

import pytest

from bot.config import OrgDirectory
from tests.harness import BotProcess, Control, SandboxThread, item_text
from tests.scenario.flows import actions, head_of, press, staff_of, wait_card
from tests.scenario.test_requests import EDU, _submit

REQUEST = """请示
标题：关于联合开展校园周边安全整治的请示
类别：专题性
正文：拟于十月联合开展校园周边安全整治。
涉及部门：县财政局、县应急管理局
财政资金：否"""


def _set_clock(control: Control, iso: str) -> None:
    control.post("/sandbox/clock", {"set": iso})


@pytest.mark.sandbox_start("2026-09-29T10:00:00+08:00")
def test_silent_department_is_deemed_to_agree_after_national_day(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    directory = OrgDirectory(sandbox.config)
    clerk, head = staff_of(directory, EDU), head_of(directory, EDU)
    finance = head_of(directory, directory.unit_with_role("finance_bureau").unit_id)  # type: ignore[union-attr]
    emergency = head_of(directory, directory.unit_with_role("emergency_bureau").unit_id)  # type: ignore[union-attr]
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
    time.sleep(2.5)
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
