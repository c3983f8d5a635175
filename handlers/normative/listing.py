"""规范性文件 [关键词]: the register (第二十五条) for anyone — number, title, 文号,
issuing unit, valid until and status; a keyword searches number, title, 文号 and unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.outgoing import Outgoing
from bot.router import CommandContext
from handlers.normative.model import NORMATIVE, matches
from handlers.normative.register import issuer_name

if TYPE_CHECKING:
    from bot.services import Services

SHOWN = 50


def rows(services: Services, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The register's rows, newest registration first."""
    found = []
    for record in sorted(records, key=lambda r: str(r["id"]), reverse=True):
        found.append(
            {
                "number": record["id"],
                "title": record["title"],
                "doc_number": record["doc_number"],
                "unit": issuer_name(services, record),
                "issued": record["issued"],
                "until": record["valid_until"],
                "trial": record["trial"],
                "status": services.messages.label("normative_states", record["state"]),
            }
        )
    return found


async def list_register(ctx: CommandContext) -> list[Outgoing]:
    services = ctx.services
    keyword = " ".join(ctx.args.split())
    records = await services.db.run(lambda s: s.collection(NORMATIVE).find(lambda _d: True))
    chosen = [r for r in records if matches(r, issuer_name(services, r), keyword)]
    shown = rows(services, chosen)
    return [
        ctx.markdown("nd_list", rows=shown[:SHOWN], total=len(shown), keyword=keyword, limit=SHOWN)
    ]
