"""Scheduled work follows the sandbox clock: moving time makes due notices appear."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.config import OrgDirectory
from tests.harness import BotProcess, Control, SandboxThread, item_text


def _notices(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if "节假日安排" in item_text(i)]


def _set_clock(control: Control, iso: str) -> None:
    control.post("/sandbox/clock", {"set": iso})


@pytest.mark.sandbox_start("2026-11-26T07:00:00+08:00")
def test_missing_next_year_calendar_is_announced_on_working_mornings(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    director = OrgDirectory(sandbox.config).sole("office_director").user_id
    assert _notices(control.bot_items(director)) == []  # 07:00: not yet

    _set_clock(control, "2026-11-27T09:01:00+08:00")  # Friday
    items = control.wait_for(director, lambda i: len(_notices(i)) == 1, timeout=10)
    assert "2027年" in item_text(_notices(items)[0])

    # Saturday and Sunday are not working days: no notice; Monday brings the next one.
    for weekend_day in ("2026-11-28T10:00:00+08:00", "2026-11-29T10:00:00+08:00"):
        _set_clock(control, weekend_day)
        time.sleep(2.5)  # several scans happen at this sandbox time
        assert len(_notices(control.bot_items(director))) == 1
    _set_clock(control, "2026-11-30T09:05:00+08:00")
    items = control.wait_for(director, lambda i: len(_notices(i)) == 2, timeout=10)
    assert "2027年" in item_text(_notices(items)[1])
    assert len(_notices(control.bot_items(director))) == 2
