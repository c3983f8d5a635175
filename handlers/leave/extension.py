"""延期: a new approval for the extra period, right after the approved one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.errors import UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from handlers.common.staging import stage_and_send
from handlers.leave.model import ABSENCES, AWAY
from handlers.leave.request import stage_leave
from handlers.leave.texts import when_text

if TYPE_CHECKING:
    from storage.session import Session


def _extended(ctx: CommandContext, session: Session, number: str, end: int) -> dict[str, Any]:
    """The sender's running absence ``number``, which must end before ``end``."""
    original = session.collection(ABSENCES).get(number)
    if (
        original is None
        or original["user"] != ctx.sender.user_id
        or original["status"] not in AWAY
        or original.get("returned_ms") is not None
    ):
        raise UserFacingError("leave_extend_not_found", number=number)
    if end <= original["end_slot"]:
        raise UserFacingError(
            "leave_extend_not_later",
            end=when_text(ctx.services, original["end_slot"]),
        )
    return original


def _extension_params(
    original: Mapping[str, Any], number: str, values: Mapping[str, Any]
) -> dict[str, Any]:
    """The request for the extra period: the original's details, the new end and reason."""
    return {
        "kind": original["kind"],
        "start": original["end_slot"] + 1,
        "end": int(values["end"]),
        "destination": original["destination"],
        "reason": values["reason"],
        "stand_in": original.get("stand_in"),
        "contact": original["contact"],
        "extension_of": number,
    }


async def submit_extension(ctx: CommandContext, values: dict[str, Any]) -> list[Outgoing]:
    now = ctx.services.clock.now()
    number = str(values["number"])

    def submit(session: Session) -> None:
        original = _extended(ctx, session, number, int(values["end"]))
        stage_leave(ctx, session, _extension_params(original, number, values), now)

    return await stage_and_send(ctx.services, submit)
