"""The executive deputy standing in for the county head presides over the county
government's whole work (第五条); every other stand-in acts for one leader (第一百零二条)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from bot.config import OrgDirectory, load_config
from handlers.leave.flow import absence_context
from handlers.leave.model import presides, slot
from messages.render import Messages
from sandbox.launcher import demo_config_path
from tests.unit.test_leave import D

HEAD = "wang.jianguo"  # 县长
EXEC = "li.zhiqiang"  # 常务副县长
ZHANG = "zhang.lihua"  # 副县长
LIU = "liu.zhenhua"  # 副县长, AB partner of 张丽华

PRESIDES = "主持县政府全面工作"


def _services() -> Any:
    directory = OrgDirectory(load_config(demo_config_path()))
    return cast(Any, SimpleNamespace(directory=directory, messages=Messages()))


def absence(user: str, stand_in: str | None) -> dict[str, Any]:
    return {
        "user": user,
        "unit_id": "gov",
        "kind": "meeting",
        "start_slot": slot(D, 0),
        "end_slot": slot(D, 1),
        "destination": "太原市",
        "reason": "参加全省工作会议",
        "stand_in": stand_in,
        "contact": "13800000001",
        "approver": None,
    }


@pytest.mark.parametrize(
    ("user", "stand_in", "expected"),
    [(HEAD, EXEC, True), (HEAD, ZHANG, False), (ZHANG, LIU, False), (ZHANG, EXEC, False)],
)
def test_only_the_executive_deputy_for_the_county_head_presides(
    user: str, stand_in: str, expected: bool
) -> None:
    assert presides(_services().directory, user, stand_in) is expected


def test_the_executive_deputy_is_told_he_presides() -> None:
    services = _services()
    context = absence_context(services, absence(HEAD, EXEC))
    told = services.messages.markdown("leave_stand_in", **context)
    assert PRESIDES in told.title and PRESIDES in told.text
    assert "县长外出期间，由常务副县长主持县政府全面工作（第五条）" in told.text
    assert "代行职责" not in told.title + told.text
    back = services.messages.markdown("leave_returned_stand_in", **context)
    assert PRESIDES in back.text and "第五条" in back.text


@pytest.mark.parametrize(("user", "stand_in"), [(HEAD, ZHANG), (ZHANG, LIU)])
def test_other_stand_ins_act_for_one_leader(user: str, stand_in: str) -> None:
    services = _services()
    context = absence_context(services, absence(user, stand_in))
    told = services.messages.markdown("leave_stand_in", **context)
    assert "请您代行职责" in told.title
    assert "外出期间由您代行职责（第一百零二条）" in told.text
    assert PRESIDES not in told.text
    back = services.messages.markdown("leave_returned_stand_in", **context)
    assert "感谢您代行职责" in back.text and PRESIDES not in back.text
