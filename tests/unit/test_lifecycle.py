"""Declared lifecycles: a declaration that does not hold together is refused when made,
an undeclared move raises, and the docs' diagrams are generated from the declarations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.feature import flows_of
from bot.lifecycle import IllegalMove, Lifecycle, LifecycleError
from handlers.features import FEATURES
from handlers.lifecycle_docs import render
from handlers.meetings.model import MEETING_LIFECYCLE
from messages.render import Messages
from tests.unit.fakes import make_services

DOCS = Path(__file__).resolve().parents[2] / "docs" / "lifecycles.md"


def test_a_declaration_is_checked_when_made() -> None:
    with pytest.raises(LifecycleError, match="dead end"):
        Lifecycle.of("x", "a", {"a": ("b",)}, final=())
    with pytest.raises(LifecycleError, match="unreachable"):
        Lifecycle.of("x", "a", {"a": ("done",), "b": ("done",)}, final=("done",))
    with pytest.raises(LifecycleError, match="final state"):
        Lifecycle.of("x", "a", {"a": ("done",), "done": ("a",)}, final=("done",))


def test_a_meeting_moves_only_as_declared() -> None:
    meeting = {"state": "planned"}
    MEETING_LIFECYCLE.move(meeting, "locked")
    MEETING_LIFECYCLE.move(meeting, "held")
    with pytest.raises(IllegalMove):
        MEETING_LIFECYCLE.move(meeting, "cancelled")  # too late once it has been held
    MEETING_LIFECYCLE.move(meeting, "minuted")
    assert meeting == {"state": "minuted"}
    assert not MEETING_LIFECYCLE.may_move(meeting, "held")


async def test_every_state_has_a_label_and_the_docs_are_current(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    flows = flows_of(FEATURES, services)
    # A state or step without its words in flows.toml raises here.
    text = render(Messages(), flows, services.config.rules.step_working_days)
    await services.db.close()
    assert "planned --> locked" in text and "held --> minuted" in text
    assert "on --> moved" in text and "closing --> closed" in text
    # 签批 (第七十条) is never deemed: the diagram says silence is reported instead.
    assert "财政局、审计局签批<br/>每人分别答复，3个工作日，逾期不视为同意，提醒后上报" in text
    assert 'finance -. "' not in text
    assert all(f"审批流程：{services.messages.label('kinds', f.kind)}" in text for f in flows)
    assert DOCS.read_text("utf-8") == text, "run: python -m handlers.lifecycle_docs > " + str(
        DOCS.relative_to(DOCS.parents[1])
    )


def test_the_docs_command_writes_what_the_test_expects(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "handlers.lifecycle_docs"],
        cwd=DOCS.parents[1],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode("utf-8") == DOCS.read_text("utf-8")
