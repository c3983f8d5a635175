"""What the forms of the units that submit to the county government share (合同, 会议申请,
活动邀请, 考察报告): who may use them, and how their numbered flow is started."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.errors import RuleViolation
from handlers.approvals.submit import Submission, submit_numbered_flow
from handlers.requests.flow import SUBMITTING_KINDS

if TYPE_CHECKING:
    from bot.outgoing import Outgoing
    from bot.router import CommandContext


def submitting_unit_only(template: str) -> Callable[[CommandContext], None]:
    """A guard: only units that submit to the county government (departments, towns,
    the development zone, county enterprises) may use the command; others get
    ``template``, which cites the article."""

    def guard(ctx: CommandContext) -> None:
        unit = ctx.services.directory.unit(ctx.sender.unit_id)
        if unit is None or unit.kind not in SUBMITTING_KINDS:
            raise RuleViolation(template, unit=unit.name if unit else "")

    return guard


async def submit_unit_flow(
    ctx: CommandContext,
    form: str,
    prefix: str,
    title: str,
    data: dict[str, Any],
    *,
    kind: str | None = None,
) -> list[Outgoing]:
    """The unit's flow of ``kind`` (the form's own by default) under the form's next
    number (``<prefix><year>-0001``); the sender's confirmation is ``<kind>_submitted``."""
    kind = kind or form
    submission = Submission(kind, title, data, note=f"{kind}_submitted")
    return await submit_numbered_flow(ctx, submission, counter=form, prefix=prefix)
