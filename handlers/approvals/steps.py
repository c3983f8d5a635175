"""Steps several flows share, written once."""

from __future__ import annotations

from collections.abc import Callable

from bot.flow_model import Assign, Choice, FlowView, Step

AGREE = Choice("agree", style="primary")
OBJECT = Choice("object", opinion_required=True, style="danger")


def cosign_step(
    step_id: str,
    assign: Assign,
    *,
    days: int,
    applies: Callable[[FlowView], bool],
    deemed: str | None = "agree",
) -> Step:
    """会签: every assignee answers agree or object (an objection needs a written opinion)
    within ``days`` working days; whoever stays silent is deemed to have answered
    ``deemed`` (none: the step waits for every answer)."""
    return Step(
        step_id,
        assign,
        (AGREE, OBJECT),
        mode="all",
        deadline_working_days=days,
        deemed=deemed,
        applies=applies,
    )
