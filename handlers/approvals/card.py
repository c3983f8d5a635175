"""How a flow looks on its approval card (messages/cards/approval.json): public data
for everyone who holds the card, private data (buttons) for the current assignees."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.card_buttons import button
from bot.clock import from_epoch_ms
from bot.flow_audit import decision_words
from bot.workflow import Workflow, open_assignments

if TYPE_CHECKING:
    from bot.services import Services
    from messages.render import Messages

FLOW_ACT = "flow.act"
SUMMARY_LIMIT = 600
# ``data`` key of the submitter's confirmation ("已提交，编号……"), shown on his own view
# of the card instead of a chat message of its own.
SUBMITTER_NOTE = "submitter_note"
# ``data`` key of a finished flow's own status: {"template", "params", "color"}, set by
# its feature after the end (e.g. 发文: 已签发印发 with the 文号, later 已撤销).
STATUS = "status"


def date_time_text(messages: Messages, ms: int) -> str:
    moment = from_epoch_ms(ms)
    return messages.word(
        "date_time", year=moment.year, month=moment.month, day=moment.day, hm=f"{moment:%H:%M}"
    )


def outcome_label(messages: Messages, kind: str, outcome: str) -> str:
    """How a flow's end reads: the kind's own wording first (e.g. 议题 "已列入会议议程")."""
    if messages.has_label(f"outcomes_by_kind.{kind}", outcome):
        return messages.label(f"outcomes_by_kind.{kind}", outcome)
    return messages.label("outcomes", outcome)


def own_status(messages: Messages, flow: Mapping[str, Any]) -> tuple[str, str] | None:
    """A finished flow's own status and colour, set by its feature (e.g. an issued
    document: 已签发印发 with its 文号), or None: the outcome's wording applies."""
    shown = flow["data"].get(STATUS)
    if shown and flow["state"] == "closed":
        return messages.text(shown["template"], **shown["params"]), shown["color"]
    return None


class ApprovalCardView:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._workflow: Workflow | None = None

    def bind(self, workflow: Workflow) -> None:
        self._workflow = workflow

    @property
    def workflow(self) -> Workflow:
        assert self._workflow is not None, "bind() the workflow first"
        return self._workflow

    def _name(self, user_id: str | None) -> str:
        if not user_id:
            return ""
        person = self._services.directory.person(user_id)
        return person.name if person else user_id

    def status(self, flow: Mapping[str, Any]) -> tuple[str, str]:
        labels = self._services.messages
        if flow["state"] == "active":
            step = labels.label(f"steps.{flow['kind']}", flow["step"])
            return labels.text("flow_status_waiting", step=step), "blue"
        shown = own_status(labels, flow)
        if shown is not None:
            return shown
        outcome = flow["outcome"] if flow["state"] != "withdrawn" else "withdrawn"
        color = {
            "@approved": "green",
            "@acknowledged": "green",
            "@rejected": "red",
            "@returned": "red",
            "@deferred": "gray",
        }.get(outcome, "gray")
        return outcome_label(labels, flow["kind"], outcome), color

    def trail_lines(self, flow: Mapping[str, Any]) -> list[dict[str, str]]:
        labels = self._services.messages
        lines = []
        for entry in flow["trail"]:
            action = entry["action"]
            decision = action.split(":")[-1]
            what = decision_words(labels, flow["kind"], decision, deemed=bool(entry.get("deemed")))
            opinion = entry.get("opinion", "")
            lines.append(
                {
                    "when": date_time_text(labels, entry["at_ms"]),
                    "who": self._name(entry["user"]),
                    "for": self._name(entry.get("acting_for")),
                    "what": what,
                    "opinion": opinion,
                    # The one line an act reads as (e.g. "批示同意：拟同意").
                    "text": labels.text("flow_act", what=what, opinion=opinion),
                }
            )
        return lines

    def public(self, flow: Mapping[str, Any]) -> dict[str, Any]:
        messages = self._services.messages
        directory = self._services.directory
        data = flow["data"]
        unit = directory.unit(flow["unit_id"])
        status, color = self.status(flow)
        kind = messages.label("kinds", flow["kind"])
        fields = [
            {"label": messages.word("number"), "value": flow["id"]},
            {"label": messages.word("from_unit"), "value": unit.name if unit else flow["unit_id"]},
            {"label": messages.word("submitter"), "value": self._name(flow["submitter"])},
        ]
        fields += [{"label": k, "value": v} for k, v in data.get("card_fields", [])]
        deadline = ""
        open_now = open_assignments(flow)
        dated = [a for a in open_now if a.get("deadline_ms")]
        if dated:
            first = min(dated, key=lambda a: a["deadline_ms"])
            deadline = messages.text(
                "flow_deadline",
                when=date_time_text(messages, first["deadline_ms"]),
                provisional=bool(first.get("provisional")),
            )
        body = str(data.get("summary") or data.get("body") or "")
        if len(body) > SUMMARY_LIMIT:
            body = body[: SUMMARY_LIMIT - 1] + "…"
        result = ""
        if flow["state"] != "active" and flow["trail"]:
            last = self.trail_lines(flow)[-1]
            result = messages.text("flow_result", status=status, line=last)
        return {
            "title": f"{kind}：{flow['title']}",
            "status": status,
            "status_color": color,
            "summary": messages.fragment(
                "flow_summary", body=body, attachment=data.get("attachment_name", "")
            ),
            "fields": fields,
            "deadline": deadline,
            "trail": messages.fragment("flow_trail", lines=self.trail_lines(flow)),
            "result": result,
        }

    def private(self, flow: Mapping[str, Any], user_id: str) -> dict[str, Any]:
        messages = self._services.messages
        notes = [self._submitter_note(flow, user_id)]
        mine = open_assignments(flow, user_id) if flow["state"] == "active" else []
        if not mine:
            note = "\n".join(n for n in notes if n)
            return {"can_act": False, "actions": [], "opinion_required": False, "note": note}
        assignment = mine[0]
        step = self.workflow.flow_def(flow["kind"]).step(assignment["step"])
        actions = [
            button(
                FLOW_ACT,
                messages.label("decisions", choice.decision),
                choice.style,
                flow=flow["id"],
                assignment=assignment["id"],
                decision=choice.decision,
            )
            for choice in step.choices
        ]
        if assignment.get("acting_for"):
            notes.append(
                messages.text("flow_acting_for", name=self._name(assignment["acting_for"]))
            )
        if messages.has_label(f"step_notices.{flow['kind']}", assignment["step"]):
            notice = messages.label(f"step_notices.{flow['kind']}", assignment["step"])
            notes.append(messages.text(notice, number=flow["id"]))  # what to do at this step
        return {
            "can_act": True,
            "actions": actions,
            "opinion_required": any(c.opinion_required for c in step.choices),
            "note": "\n".join(n for n in notes if n),
        }

    @staticmethod
    def _submitter_note(flow: Mapping[str, Any], user_id: str) -> str:
        """The submitter's confirmation while the flow is open (or when it was over at
        once, as a 报备 is); once others have decided, the card's result says it all."""
        if user_id != flow["submitter"]:
            return ""
        if flow["state"] != "active" and len(flow["trail"]) > 1:
            return ""
        return str(flow["data"].get(SUBMITTER_NOTE) or "")
