"""Chat messages a flow sends besides its card: last-day and overdue reminders, word to
the escalation people of a step left unanswered, and the outcome."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.clock import from_epoch_ms
from bot.outgoing import Outgoing
from bot.workflow import FlowView, open_assignments
from handlers.approvals.card import outcome_label, own_status
from handlers.common.notify import markdown_message

if TYPE_CHECKING:
    from bot.services import Services


class FlowNotices:
    def __init__(self, services: Services) -> None:
        self._services = services

    def notify(self, flow: Mapping[str, Any], event: str, users: list[str]) -> list[Outgoing]:
        if event in ("reminder", "overdue"):
            return [self._reminder(flow, u, overdue=event == "overdue") for u in users]
        if event == "escalated":
            return [self._escalated(flow, u) for u in users]
        if event == "finished":
            if flow["data"].get("filing_only"):
                return []  # 报备, not an approval: its own handler tells him it is filed
            return [self._finished(flow, u) for u in users]
        return []  # "assigned": the card itself arrives in the assignee's chat

    def _common(self, flow: Mapping[str, Any]) -> dict[str, Any]:
        messages = self._services.messages
        return {
            "kind": messages.label("kinds", flow["kind"]),
            "title": flow["title"],
            "number": flow["id"],
        }

    def _step(self, flow: Mapping[str, Any], step_id: str) -> dict[str, Any]:
        """What a reminder says about the step: its name, whether silence counts as
        consent, whether it escalates instead, and the article it rests on."""
        messages = self._services.messages
        step = self._services.workflow.flow_def(flow["kind"]).step(step_id)
        # Every reminder cites an article: the step's own, else its flow kind's.
        section = f"step_articles.{flow['kind']}"
        if messages.has_label(section, step_id):
            article = messages.label(section, step_id)
        else:
            article = messages.label("opinion_articles", flow["kind"])
        directory = self._services.directory
        told = step.escalate(FlowView(flow), directory) if step.escalate else []
        return {
            "step": messages.label(f"steps.{flow['kind']}", step_id),
            "deemed": step.deemed is not None,
            "escalates": step.escalate is not None,
            "escalate_to": [f"{p.title}{p.name}" for u in told if (p := directory.person(u))],
            "article": article,
        }

    def _reminder(self, flow: Mapping[str, Any], user: str, *, overdue: bool) -> Outgoing:
        messages = self._services.messages
        mine = open_assignments(flow, user)
        step = mine[0]["step"] if mine else flow["step"]
        due = from_epoch_ms(mine[0]["deadline_ms"]) if mine and mine[0]["deadline_ms"] else None
        rendered = messages.markdown(
            "flow_reminder",
            **self._common(flow),
            **self._step(flow, step),
            deadline=f"{due:%Y-%m-%d %H:%M}" if due else "",
            provisional=bool(mine and mine[0].get("provisional")),
            overdue=overdue,
        )
        event = "overdue" if overdue else "remind"
        return markdown_message(f"flow:{flow['id']}:{flow['round']}:{event}:{user}", user, rendered)

    def _escalated(self, flow: Mapping[str, Any], user: str) -> Outgoing:
        messages = self._services.messages
        directory = self._services.directory
        waiting = open_assignments(flow)
        dated = sorted((a for a in waiting if a.get("deadline_ms")), key=lambda a: a["deadline_ms"])
        due = from_epoch_ms(dated[0]["deadline_ms"]) if dated else None
        names = [p.name if (p := directory.person(a["user"])) else a["user"] for a in waiting]
        rendered = messages.markdown(
            "flow_escalated",
            **self._common(flow),
            **self._step(flow, flow["step"]),
            deadline=f"{due:%Y-%m-%d %H:%M}" if due else "",
            provisional=bool(dated and dated[0].get("provisional")),
            waiting=names,
        )
        return markdown_message(
            f"flow:{flow['id']}:{flow['round']}:escalate:{user}", user, rendered
        )

    def _finished(self, flow: Mapping[str, Any], user: str) -> Outgoing:
        messages = self._services.messages
        outcome = flow["outcome"] if flow["state"] != "withdrawn" else "withdrawn"
        shown = own_status(messages, flow)  # e.g. an issued document: 已签发印发 + 文号
        last = flow["trail"][-1] if flow["trail"] else {}
        person = self._services.directory.person(last.get("user", ""))
        rendered = messages.markdown(
            "flow_finished",
            **self._common(flow),
            outcome=shown[0] if shown else outcome_label(messages, flow["kind"], outcome),
            who=person.name if person else "",
            opinion=last.get("opinion", ""),
        )
        return markdown_message(f"flow:{flow['id']}:finished:{user}", user, rendered)
