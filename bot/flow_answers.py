"""Whether a click on a flow's card is an answer the engine may record: checked against
the stored flow, never against what the card claims (an assignment already answered,
someone else's card, a decision the step does not offer, a missing written opinion)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.errors import NotAuthorized, UserFacingError
from bot.flow_model import Choice, FlowDef, Step, find_assignment

if TYPE_CHECKING:
    from bot.services import Services


@dataclass(frozen=True)
class Answer:
    """A checked answer: the open assignment it closes, its step and choice, and the
    opinion tidied (white space folded, at most 1,000 characters)."""

    assignment: dict[str, Any]
    step: Step
    choice: Choice
    opinion: str


def check_answer(
    services: Services,
    flows: Mapping[str, FlowDef],
    doc: Mapping[str, Any],
    by: str,
    assignment_id: str,
    decision: str,
    opinion: str,
) -> Answer:
    """The answer ``by`` gives on ``assignment_id``, or the polite refusal raised."""
    assignment = find_assignment(doc, assignment_id)
    if assignment is None or doc["state"] != "active" or assignment["status"] != "open":
        raise UserFacingError("flow_already_handled")
    if assignment["user"] != by:
        person = services.directory.person(assignment["user"])
        raise NotAuthorized("card_not_yours", assignee_name=person.name if person else "")
    step = flows[doc["kind"]].step(assignment["step"])
    choice = step.choice(decision)
    if choice is None:
        raise UserFacingError("flow_bad_decision")
    opinion = " ".join(opinion.split())[:1000]
    if choice.opinion_required and not opinion:
        raise UserFacingError("flow_opinion_required", **_opinion_rule(services, doc, step))
    return Answer(assignment, step, choice, opinion)


def _opinion_rule(services: Services, doc: Mapping[str, Any], step: Step) -> dict[str, str]:
    """Why a written opinion is needed (flows.toml): the step's own reason where the flow
    kind's article does not bind its answerers (e.g. 财政局、审计局签批, 第七十条), else
    the kind's article (e.g. 第七十一条 for the leaders' 批示)."""
    messages = services.messages
    section = f"opinion_reasons.{doc['kind']}"
    if messages.has_label(section, step.id):
        return {"reason": messages.label(section, step.id), "article": ""}
    return {"reason": "", "article": messages.label("opinion_articles", doc["kind"])}
