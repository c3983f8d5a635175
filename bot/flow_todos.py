"""Every open assignment is also a DingTalk 待办 (to-do) with its deadline and a link back
to the flow; it is closed when the assignment is, or moved with it to a stand-in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from bot.flow_model import Step
from bot.outgoing import Outgoing, todo_create, todo_done

if TYPE_CHECKING:
    from bot.services import Services


def todo_opened(
    services: Services, doc: Mapping[str, Any], assignment: dict[str, Any], step: Step
) -> list[Outgoing]:
    """The to-do of a new (or handed-over) assignment; remembers its source id on it."""
    person = services.directory.person(assignment["user"])
    if person is None or not person.union_id:
        return []
    source = f"{doc['id']}:{assignment['id']}"
    if assignment.get("moves"):  # handed over to a stand-in: a new to-do
        source += f":m{assignment['moves']}"
    assignment["todo"] = source
    messages = services.messages
    kind = messages.label("kinds", doc["kind"])
    step_name = messages.label(f"steps.{doc['kind']}", step.id)
    link = services.config.dingtalk.todo_link
    separator = "&" if "?" in link else "?"
    return [
        todo_create(
            f"todo:{source}:create",
            source_id=source,
            union_id=person.union_id,
            subject=messages.text("todo_subject", kind=kind, title=doc["title"], step=step_name)[
                :1000
            ],
            description=messages.text(
                "todo_description", kind=kind, number=doc["id"], step=step_name
            )[:4000],
            due_ms=assignment["deadline_ms"],
            detail_url=f"{link}{separator}flow={doc['id']}",
        )
    ]


def todo_closed(assignment: Mapping[str, Any], why: Literal["done", "moved"]) -> list[Outgoing]:
    """Completes the assignment's to-do, if it has one: answered, deemed, superseded and
    withdrawn are all "done"; "moved" when it went to a stand-in."""
    if not assignment.get("todo"):
        return []
    return [todo_done(f"todo:{assignment['todo']}:{why}", assignment["todo"])]
