"""突发事件 at night on a holiday (第八十三条): a town's report reaches the 应急管理局, the
县委办公室 and the 县政府办公室 at once; whoever has not pressed 收悉 ten minutes later gets
a DING, and nobody else; a report made long after the event is marked 迟报; 续报 and 终报
attach to it; the office lists open events; the reporting unit is prompted for its 续报
each morning, holidays included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import BotProcess, Control, SandboxThread
from tests.scenario.flows import actions, press, wait_card
from tests.scenario.meetings import DIRECTOR, count, fill, has, set_clock

TOWN_HEAD = "yan.zhiming"  # 城关镇
BUREAU_HEAD = "xu.weidong"  # 县应急管理局
PARTY_OFFICE_HEAD = "gao.jianping"  # 县委办公室
RECEIVERS = (BUREAU_HEAD, PARTY_OFFICE_HEAD, DIRECTOR)

FIRE = """突发事件
事件概况：城关镇东街民房火灾
地点：城关镇东街12号
发生时间：01:40
伤亡情况：无人员伤亡
已采取措施：消防救援大队已到场扑救，疏散周边群众 20 人
事件等级：一般
是否敏感：否"""


def dings(control: Control, user: str) -> list[dict[str, object]]:
    return [i for i in control.bot_items(user) if i.get("source") == "ding"]


@pytest.mark.sandbox_start("2026-10-03T02:00:00+08:00")
def test_a_night_report_on_a_holiday_reaches_all_three_and_silence_gets_a_ding(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    answer = fill(control, TOWN_HEAD, FIRE)
    assert "TF2026-0001" in answer and "迟报" not in answer
    for user in RECEIVERS:  # at once, each with 收悉
        card = wait_card(control, user, lambda c: bool(actions(c)), "突发事件")
        assert [a["text"] for a in actions(card)] == ["收悉"]
        assert "城关镇东街12号" in card["cardData"]["fields"]
        assert "消防救援大队已到场扑救" in card["cardData"]["summary"]
    press(control, BUREAU_HEAD, wait_card(control, BUREAU_HEAD, lambda c: True, "突发事件"), "收悉")
    press(control, DIRECTOR, wait_card(control, DIRECTOR, lambda c: True, "突发事件"), "收悉")
    wait_card(control, TOWN_HEAD, lambda c: c["cardData"]["status"] == "待收悉 2/3", "突发事件")

    # Ten minutes later, at night on a holiday: a DING to the one who has not.
    set_clock(control, "2026-10-03T02:10:30+08:00")
    control.wait_for(PARTY_OFFICE_HEAD, lambda items: any(i.get("source") == "ding" for i in items))
    ding = dings(control, PARTY_OFFICE_HEAD)[0]
    assert "TF2026-0001" in str(ding["text"]) and "第八十三条" in str(ding["text"])
    assert not dings(control, BUREAU_HEAD) and not dings(control, DIRECTOR)
    card = wait_card(control, PARTY_OFFICE_HEAD, lambda c: True, "突发事件")
    press(control, PARTY_OFFICE_HEAD, card, "收悉")
    wait_card(control, TOWN_HEAD, lambda c: "均已收悉" in c["cardData"]["status"], "突发事件")
    set_clock(control, "2026-10-03T02:21:00+08:00")
    assert len(dings(control, PARTY_OFFICE_HEAD)) == 1  # acknowledged: no further DING

    # 续报 and 终报 attach to the first report; nothing after the 终报.
    answer = fill(
        control, TOWN_HEAD, "续报 TF2026-0001\n处置情况：明火已于 02:15 扑灭，正在清理现场。"
    )
    assert "已续报" in answer
    card = wait_card(
        control, DIRECTOR, lambda c: "明火已于" in c["cardData"]["summary"], "突发事件"
    )
    assert "续报" in card["cardData"]["trail"] and "收悉" in card["cardData"]["trail"]
    answer = fill(
        control,
        TOWN_HEAD,
        "终报 TF2026-0001\n处置情况：火灾系电线老化引起，无人员伤亡，受灾户已安置。",
    )
    assert "事件办结" in answer
    wait_card(control, BUREAU_HEAD, lambda c: c["cardData"]["status"] == "已终报", "突发事件")
    refused = fill(control, TOWN_HEAD, "续报 TF2026-0001\n处置情况：补充情况。")
    assert "已终报" in refused


@pytest.mark.sandbox_start("2026-10-03T08:00:00+08:00")
def test_a_late_report_is_marked_and_the_unit_is_prompted_each_morning(
    sandbox: SandboxThread, control: Control, bot: BotProcess
) -> None:
    late = FIRE.replace("城关镇东街民房火灾", "城关镇河道落水事件").replace(
        "发生时间：01:40", "发生时间：昨天21:00"
    )
    answer = fill(control, TOWN_HEAD, late)
    # 11 hours after it happened against a 60-minute limit: 600 minutes late.
    assert "迟报" in answer and "600 分钟" in answer
    card = wait_card(control, DIRECTOR, lambda c: True, "落水")
    assert "迟报 600 分钟" in card["cardData"]["fields"]

    listing = fill(control, DIRECTOR, "事件")
    assert "TF2026-0001" in listing and "迟报 600 分钟" in listing and "未收悉" in listing
    refused = fill(control, TOWN_HEAD, "事件")
    assert "县政府办公室、县委办公室" in refused

    # 4 October, a holiday Sunday, 09:00: the reporting unit is asked for its 续报.
    set_clock(control, "2026-10-04T09:00:30+08:00")
    has(control, TOWN_HEAD, "请续报突发事件 TF2026-0001", "第八十三条")
    assert count(control, DIRECTOR, "请续报") == 0


@pytest.mark.sandbox_start("2026-10-03T02:00:00+08:00")
def test_the_year_of_events_exports_with_delays_and_acknowledgements(
    sandbox: SandboxThread, control: Control, bot: BotProcess, tmp_path: Path
) -> None:
    fill(control, TOWN_HEAD, FIRE)
    press(control, DIRECTOR, wait_card(control, DIRECTOR, lambda c: True, "突发事件"), "收悉")
    wait_card(control, TOWN_HEAD, lambda c: c["cardData"]["status"] == "待收悉 1/3", "突发事件")
    bot.stop()  # the export takes the data folder's lock
    data, config = str(tmp_path / "data"), str(sandbox.config_path)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "export", "emergencies", "--year", "2026",
         "--data", data, "--config", config, "--format", "json"],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    (row,) = json.loads(result.stdout)
    assert row["number"] == "TF2026-0001" and row["minutes_late"] == 0
    assert row["happened"] == "2026-10-03 01:40" and list(row["acks"]) == [DIRECTOR]
    assert "突发事件" in result.stderr.decode()
