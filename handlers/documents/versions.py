"""The earlier versions of a 发文 (``data.versions``, kept by 修改发文), readable in full
in the 公文 query: one message each, so that no message grows past what one typed
text (at most MAX_COMMAND_CHARS) makes it (第七十三、七十五条)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from handlers.approvals.card import date_time_text

if TYPE_CHECKING:
    from bot.outgoing import Outgoing
    from bot.router import CommandContext


def earlier_versions(ctx: CommandContext, flow: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each earlier version: its number (第n稿), when and by whom it was replaced, its
    whole title and text and its file's name."""
    services = ctx.services
    rows = []
    for n, version in enumerate(flow["data"].get("versions", []), start=1):
        person = services.directory.person(version.get("user", ""))
        rows.append(
            {
                "n": n,
                "when": date_time_text(services.messages, version["replaced_ms"]),
                "who": person.name if person else version.get("user", ""),
                "title": version["title"],
                "body": version.get("body") or "",
                "file": (version.get("attachment") or {}).get("name", ""),
            }
        )
    return rows


def version_replies(ctx: CommandContext, flow: Mapping[str, Any]) -> list[Outgoing]:
    """The 公文 query's addition for a revised 发文 (nothing for other flows)."""
    if flow["kind"] != "outgoing":
        return []
    return [
        ctx.markdown("outgoing_version", number=flow["id"], **row)
        for row in earlier_versions(ctx, flow)
    ]
