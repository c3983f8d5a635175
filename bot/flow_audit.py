"""Who did what on a flow, written twice: into the flow's own trail (shown on its card)
and into the append-only audit log (one part a year, with the actor's name and roles as
they were at the time)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.clock import to_epoch_ms
from bot.flow_model import AUDIT

if TYPE_CHECKING:
    from bot.org import OrgDirectory
    from messages.render import Messages
    from storage.session import Session


def record_act(
    session: Session,
    directory: OrgDirectory,
    doc: dict[str, Any],
    now: datetime,
    user: str,
    acting_for: str | None,
    action: str,
    opinion: str = "",
    *,
    deemed: bool = False,
) -> None:
    """Appends one act to the flow's trail and to the audit log."""
    doc["trail"].append(
        {
            "at_ms": to_epoch_ms(now),
            "user": user,
            "acting_for": acting_for,
            "action": action,
            "opinion": opinion,
            "deemed": deemed,
        }
    )
    person = directory.person(user)
    record = {
        "at": now.isoformat(),
        "flow": doc["id"],
        "kind": doc["kind"],
        "title": doc["title"],
        "user": user,
        "name": person.name if person else user,
        "roles": sorted(person.roles) if person else [],
        "acting_for": acting_for,
        "action": action,
        "opinion": opinion,
        "deemed": deemed,
    }
    session.log(AUDIT).append([record], now.year)


def decision_words(labels: Messages, kind: str, decision: str, *, deemed: bool = False) -> str:
    """A decision as the trail and the audit export word it (flows.toml ``done_by_kind``,
    ``done``, ``decisions``; a deemed consent as ``deemed`` says)."""
    if deemed:
        if labels.has_label("deemed", decision):
            return labels.label("deemed", decision)
        return labels.label("deemed", "other").format(decision=_label(labels, kind, decision))
    return _label(labels, kind, decision)


def _label(labels: Messages, kind: str, decision: str) -> str:
    for section in (f"done_by_kind.{kind}", "done", "decisions"):
        if labels.has_label(section, decision):
            return labels.label(section, decision)
    return decision


def action_name(labels: Messages, kind: str, action: str, *, deemed: bool = False) -> str:
    """An audited act in words, from the flow declarations: the step's name (flows.toml
    ``steps.<kind>``) and the decision as the trail words it (``done_by_kind``, ``done``,
    ``decisions``); a deemed consent says it was deemed (``deemed``). Acts outside a step
    (``submit``, ``withdraw``, ``delegate``) read as their trail wording; codes nobody
    declared stay as they are."""
    step, _, decision = action.rpartition(":")
    what = decision_words(labels, kind, decision, deemed=deemed)
    if not step or not labels.has_label(f"steps.{kind}", step):
        return what
    return labels.word("audit_action", step=labels.label(f"steps.{kind}", step), what=what)
