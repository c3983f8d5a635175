"""Invitations of county government leaders (第九十六条) and visit reports (第九十八条):
who decides each step, the rule's default answer for restricted kinds, the qualifying
visit categories and who receives a report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.errors import RuleViolation, UserFacingError
from bot.workflow import NEXT, FlowView
from handlers.invitations.invitation import (
    CEREMONY,
    CONGRATULATION,
    INSCRIPTION,
    OTHER,
    RESTRICTED,
    _kind,
    invitation_flow,
    invitation_kind,
)
from handlers.invitations.visit import LEVELS, receivers, visit_level
from tests.unit.fakes import make_services

DIRECTOR = "sun.yongming"


def _view(**data: Any) -> FlowView:
    return FlowView({"id": "X", "submitter": "jia.lin", "unit_id": "jyj", "data": data})


async def test_invitation_chain_is_signoff_director_then_invited_leader(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    try:
        flow = invitation_flow()
        directory = services.directory
        assert [s.id for s in flow.steps] == ["signoff", "review", "decide"]
        review = flow.step("review")
        assert review.assign(_view(leader="zhao.guodong"), directory) == [DIRECTOR]
        assert review.applies(_view(leader="zhao.guodong"))  # the office never skipped
        assert [c.decision for c in review.choices] == ["pass", "return"]
        decide = flow.step("decide")
        # The leader invited decides, not the one in charge of the unit (张丽华).
        assert decide.assign(_view(leader="zhao.guodong"), directory) == ["zhao.guodong"]
        assert [c.decision for c in decide.choices] == ["approve", "reject"]
        # Nothing reaches the leader but the director's 审核通过.
        assert [c for s in flow.steps for c in s.choices if c.goto == "decide"] == []
        assert [c.decision for c in review.choices if c.goto == NEXT] == ["pass"]
    finally:
        await services.db.close()


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("剪彩仪式", CEREMONY),
        ("项目奠基", CEREMONY),
        ("书画展览开幕", CEREMONY),
        ("颁奖典礼", CEREMONY),
        ("建校六十周年庆典", CEREMONY),
        ("请发贺信", CONGRATULATION),
        ("贺电", CONGRATULATION),
        ("为商场开业题字", INSCRIPTION),
        ("题词", INSCRIPTION),
        ("其他", OTHER),
        ("重要会议", OTHER),
    ],
)
def test_invitation_kinds(typed: str, kind: str) -> None:
    assert invitation_kind(typed) == kind


def test_a_restricted_word_wins_over_a_general_one() -> None:
    assert invitation_kind("颁奖活动") == CEREMONY
    assert invitation_kind("会议贺信") == CONGRATULATION


def test_an_unknown_kind_is_asked_again() -> None:
    with pytest.raises(UserFacingError) as refused:
        invitation_kind("吃饭")
    assert refused.value.template == "invite_bad_kind"


@pytest.mark.parametrize("kind", RESTRICTED)
async def test_restricted_kinds_get_the_rules_answer(tmp_path: Path, kind: str) -> None:
    services = await make_services(tmp_path)
    try:
        typed = services.messages.label("invitation_kinds", kind)
        with pytest.raises(RuleViolation) as refused:
            _kind(typed, None, {})  # type: ignore[arg-type]
        assert refused.value.template == f"invite_{kind}_declined"
        text = services.messages.text(refused.value.template).strip()
        assert "第九十六条" in text
        assert "原则上不参加" in text or "不为" in text
    finally:
        await services.db.close()


@pytest.mark.parametrize(
    ("typed", "level"),
    [
        ("国家部委领导", "ministry"),
        ("省厅处级以上领导", "province"),
        ("市局主要领导", "city_bureau"),
        ("分管副市长", "city_vice"),
        ("市四大班子领导", "leadership"),
        ("晋城市考察团", "delegation"),
    ],
)
def test_visit_levels_of_article_98(typed: str, level: str) -> None:
    assert visit_level(typed) == level


@pytest.mark.parametrize("typed", ["市局一般干部", "省厅科员", "乡镇干部"])
def test_a_non_qualifying_visit_is_refused_citing_article_98(typed: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        visit_level(typed)
    assert refused.value.template == "visit_not_qualifying"


async def test_every_level_has_a_label_and_the_refusal_cites_the_article(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    try:
        for level in LEVELS:
            label = services.messages.label("visit_levels", level)
            assert visit_level(label) == level  # the shown label is understood back
        text = services.messages.text("visit_not_qualifying", level="市局一般干部")
        assert "第九十八条" in str(text) and "市局一般干部" in str(text)
    finally:
        await services.db.close()


async def test_visit_reports_go_to_both_offices(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    try:
        assert receivers(services) == ["gao.jianping", DIRECTOR]
    finally:
        await services.db.close()
