"""The declared shape of approval flows and what the engine works with: steps, choices
and where they lead, the view handlers get of a running flow, the changes one engine
call produces, and small helpers over stored flow records."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from bot.clock import from_epoch_ms, to_epoch_ms
from bot.outgoing import Outgoing

if TYPE_CHECKING:
    from bot.calendar import Deadline
    from bot.config import OrgDirectory
    from storage.session import Session

FLOWS = "flows"
AUDIT = "audit"

# Where a decision leads when the flow does not say otherwise.
NEXT = "@next"  # the next applicable step, or completion after the last
END_APPROVED = "@approved"
END_REJECTED = "@rejected"
END_RETURNED = "@returned"
END_ACKNOWLEDGED = "@acknowledged"
END_DEFERRED = "@deferred"  # e.g. an agenda item the county head puts off (暂缓)
ENDS = {END_APPROVED, END_REJECTED, END_RETURNED, END_ACKNOWLEDGED, END_DEFERRED}

Mode = Literal["single", "any", "all"]
OnFinish = Callable[["Session", dict[str, Any], str, datetime], list[Outgoing]]


@dataclass(frozen=True)
class Choice:
    """A button on the step's card."""

    decision: str  # key; its label lives in messages/flows.toml [decisions]
    goto: str = NEXT  # a step id or one of the END_* outcomes
    opinion_required: bool = False
    style: Literal["primary", "danger", "normal"] = "normal"


Assign = Callable[["FlowView", "OrgDirectory"], list[str]]


@dataclass(frozen=True)
class Step:
    id: str
    assign: Assign
    choices: tuple[Choice, ...]
    # single: one assignee; any: the first of several acts for all; all: 会签, each answers.
    mode: Mode = "single"
    deadline_working_days: int | None = None
    # For "all" steps: the decision recorded for whoever has not answered at the deadline.
    deemed: str | None = None
    applies: Callable[[FlowView], bool] = lambda flow: True
    # When the step does not apply: a trail wording key (flows.toml [done]) recorded
    # for the submitter instead of skipping the step silently (e.g. a unit head's own
    # request counts as signed off by him).
    when_skipped: str | None = None
    # Who is told, the working morning after the deadline, that the step is still not
    # answered; its silent assignees are reminded again that same morning. For steps
    # that are never deemed answered (e.g. 财政/审计 签批, 第七十条).
    escalate: Assign | None = None

    def choice(self, decision: str) -> Choice | None:
        return next((c for c in self.choices if c.decision == decision), None)


@dataclass(frozen=True)
class FlowDef:
    kind: str  # e.g. "request"; its labels live in messages/flows.toml
    steps: tuple[Step, ...]
    card: str = "approval"  # key of the card template in config [cards]
    # Runs inside the storage call that closes the flow (e.g. numbering and distributing
    # an issued document); what it returns is sent after that call is stored.
    on_finish: OnFinish | None = None

    def __post_init__(self) -> None:
        ids = [s.id for s in self.steps]
        if len(ids) != len(set(ids)) or not ids:
            raise ValueError(f"flow {self.kind}: step ids must be unique and non-empty")
        for step in self.steps:
            if not step.choices:
                raise ValueError(f"flow {self.kind}.{step.id}: no choices")
            for choice in step.choices:
                if choice.goto not in ENDS and choice.goto != NEXT and choice.goto not in ids:
                    raise ValueError(f"flow {self.kind}.{step.id}: unknown goto {choice.goto}")
            if step.mode == "all":
                if step.deemed is not None and step.choice(step.deemed) is None:
                    raise ValueError(f"flow {self.kind}.{step.id}: deemed is not a choice")
                if any(c.goto != NEXT for c in step.choices):
                    raise ValueError(
                        f"flow {self.kind}.{step.id}: co-signing (mode all) answers cannot branch"
                    )
            if step.deemed is not None and step.deadline_working_days is None:
                raise ValueError(f"flow {self.kind}.{step.id}: deemed consent needs a deadline")
            if step.deemed is not None and step.escalate is not None:
                raise ValueError(f"flow {self.kind}.{step.id}: a deemed step is never escalated")

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

    def following(self, step_id: str) -> list[Step]:
        ids = [s.id for s in self.steps]
        return list(self.steps[ids.index(step_id) + 1 :])


class Delegation(Protocol):
    """Who really gets a step (AB roles, stand-ins: see handlers/leave/model.py).

    Called inside the storage call that opens or moves the step, so it reads what it
    needs from ``session`` (and may stage messages there); it never does other I/O.
    """

    def resolve(self, session: Session, user_id: str, at: datetime) -> tuple[str, str | None]:
        """Returns (assignee, acting_for) — acting_for is set when a stand-in acts."""
        ...


class NoDelegation:
    def resolve(self, session: Session, user_id: str, at: datetime) -> tuple[str, str | None]:
        return user_id, None


@dataclass(frozen=True)
class FlowView:
    """Read-only view of a stored flow, handed to assignment and condition functions."""

    doc: Mapping[str, Any]

    @property
    def id(self) -> str:
        return str(self.doc["id"])

    @property
    def data(self) -> Mapping[str, Any]:
        return self.doc["data"]  # type: ignore[no-any-return]

    @property
    def submitter(self) -> str:
        return str(self.doc["submitter"])

    @property
    def unit_id(self) -> str:
        return str(self.doc["unit_id"])


@dataclass
class Changes:
    """What one engine call produced, staged by the caller's storage call."""

    outgoing: list[Outgoing] = field(default_factory=list)
    card_data: dict[str, Any] = field(default_factory=dict)
    private: dict[str, dict[str, Any]] = field(default_factory=dict)


class CardView(Protocol):
    """Renders a flow to the card's public data and one user's private data."""

    def public(self, flow: Mapping[str, Any]) -> dict[str, Any]: ...

    def private(self, flow: Mapping[str, Any], user_id: str) -> dict[str, Any]: ...


Notify = Callable[[Mapping[str, Any], str, list[str]], list[Outgoing]]


class FlowIdCollisionError(RuntimeError):
    """A new flow got the number of another one: the submission is refused whole."""

    def __init__(self, flow_id: str) -> None:
        super().__init__(f"flow number {flow_id} is already used by another flow")
        self.flow_id = flow_id


def card_id(flow_id: str) -> str:
    return "gb" + hashlib.sha256(flow_id.encode()).hexdigest()[:30]


def find_assignment(doc: Mapping[str, Any], assignment_id: str) -> dict[str, Any] | None:
    return next((a for a in doc["assignments"] if a["id"] == assignment_id), None)


def open_assignments(doc: Mapping[str, Any], user_id: str | None = None) -> list[dict[str, Any]]:
    return [
        a
        for a in doc["assignments"]
        if a["status"] == "open" and (user_id is None or a["user"] == user_id)
    ]


def new_assignment(
    doc: Mapping[str, Any],
    step_id: str,
    user: str,
    acting_for: str | None,
    now: datetime,
    due: Deadline,
) -> dict[str, Any]:
    """A fresh open assignment of the flow's current round (not yet added to it)."""
    return {
        "id": f"a{len(doc['assignments']) + 1}",
        "step": step_id,
        "round": doc["round"],
        "user": user,
        "acting_for": acting_for,
        "status": "open",
        "decision": None,
        "opinion": "",
        "opened_ms": to_epoch_ms(now),
        "at_ms": None,
        "deadline_ms": to_epoch_ms(due.at),
        "provisional": due.provisional,
    }


def open_in_round(doc: Mapping[str, Any], step_id: str, round_no: int) -> list[dict[str, Any]]:
    """The assignments of one round of a step that are still waiting for an answer."""
    return [
        a
        for a in doc["assignments"]
        if a["step"] == step_id and a["round"] == round_no and a["status"] == "open"
    ]


def deadline_of(assignment: Mapping[str, Any]) -> datetime | None:
    ms = assignment.get("deadline_ms")
    return from_epoch_ms(int(ms)) if ms else None
