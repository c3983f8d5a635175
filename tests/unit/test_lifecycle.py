"""Declared lifecycles: a declaration that does not hold together is refused when made,
an undeclared move raises, and the docs' diagrams are generated from the declarations."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.lifecycle import IllegalMove, Lifecycle, LifecycleError
from handlers.lifecycle_docs import render
from handlers.meetings.model import MEETING_LIFECYCLE
from messages.render import Messages

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


def test_every_state_has_a_label_and_the_docs_are_current() -> None:
    text = render(Messages())  # a state without a label in flows.toml raises here
    assert "planned --> locked" in text and "held --> minuted" in text
    assert DOCS.read_text("utf-8") == text, "run: python -m handlers.lifecycle_docs > " + str(
        DOCS.relative_to(DOCS.parents[1])
    )


def test_an_absence_begins_pending_or_urgent_and_only_a_pending_one_is_decided() -> None:
    from handlers.leave.model import ABSENCE_LIFECYCLE

    assert ABSENCE_LIFECYCLE.begin("urgent") == {"status": "urgent"}
    with pytest.raises(IllegalMove):
        ABSENCE_LIFECYCLE.begin("approved")
    assert ABSENCE_LIFECYCLE.change({"status": "pending"}, "withdrawn") == {"status": "withdrawn"}
    with pytest.raises(IllegalMove):
        ABSENCE_LIFECYCLE.change({"status": "urgent"}, "approved")
