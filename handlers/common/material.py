"""A form's material: typed text or a file sent in chat (议题, 审查, 纪要, 督办反馈, 批示件)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.services import Services
    from messages.render import Messages


def material_shown(messages: Messages, material: Mapping[str, Any], limit: int = 120) -> str:
    """How the material reads in a form's summary: the file's name, or the text's start."""
    if "file" in material:
        return messages.word("attachment", name=material["file"]["name"])
    return str(material["text"])[:limit]


async def fetched_file(services: Services, material: Mapping[str, Any]) -> dict[str, Any] | None:
    """The material's file fetched from DingTalk and stored (None for typed text)."""
    if "file" not in material:
        return None
    found = material["file"]
    return (await services.files.fetch(found["download_code"], found["name"])).to_doc()
