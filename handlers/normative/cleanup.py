"""清理规范性文件 GF2026-0001 继续有效|修改|废止: the periodic clean-up (第二十五条)
marks each document; the office director or the 司法局's head decides. The register
page of the website shows the result (清理结果向社会公布)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.clock import to_epoch_ms
from bot.errors import NotAuthorized, RuleViolation, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CommandContext
from handlers.normative.model import IN_FORCE, NORMATIVE, NORMATIVE_LIFECYCLE
from messages.vocabulary import word_map

if TYPE_CHECKING:
    from bot.config import OrgDirectory, Person
    from storage.session import Session

NUMBER_LENGTH = len("GF2026-0001")


def may_clean_up(person: Person, directory: OrgDirectory) -> bool:
    """The office director, and the head of the 司法局 (第二十四条)."""
    if "office_director" in person.roles:
        return True
    bureau = directory.unit_with_role("legal_bureau")
    head = directory.unit_head(bureau.unit_id) if bureau else None
    return head is not None and head.user_id == person.user_id


def _parse(args: str) -> tuple[str, str]:
    parts = args.split()
    results: dict[str, Any] = dict(word_map("normative.cleanup"))
    if len(parts) != 2 or parts[1] not in results:
        raise UserFacingError("nd_cleanup_usage")
    return parts[0].upper(), str(results[parts[1]])


async def clean_up(ctx: CommandContext) -> list[Outgoing]:
    services = ctx.services
    if not may_clean_up(ctx.sender, services.directory):
        raise NotAuthorized("nd_cleanup_not_allowed")
    number, result = _parse(ctx.args)
    now = services.clock.now()

    def store(session: Session) -> None:
        records = session.collection(NORMATIVE)
        record = records.get(number)
        if record is None:
            raise UserFacingError("nd_unknown", number=number)
        if record["state"] not in IN_FORCE or not NORMATIVE_LIFECYCLE.may_move(record, result):
            state = services.messages.label("normative_states", record["state"])
            raise RuleViolation("nd_cleanup_closed", number=number, state=state)
        cleanup = {"result": result, "by": ctx.sender.user_id, "at_ms": to_epoch_ms(now)}
        records.update(number, {**NORMATIVE_LIFECYCLE.change(record, result), "cleanup": cleanup})
        reply = ctx.text(
            "nd_cleaned",
            number=number,
            title=record["title"],
            status=services.messages.label("normative_states", result),
        )
        key = f"reply:{ctx.message.msg_id}:nd_cleaned"
        services.outbox.stage(session, [Outgoing(key, reply.kind, reply.payload)])

    await services.db.run(store)
    services.outbox.wake()
    services.site_changed()  # the clean-up result goes on the website (第二十五条)
    return []
