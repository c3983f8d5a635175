"""The generic approval engine every flow uses (requests, outgoing documents, leave,
agenda items, supervision).

A flow is *declared* as an ordered chain of :class:`Step`\\ s (validated at import): who is
assigned, which decisions they may take, whether the step is a parallel co-signing
(会签) with a working-day deadline and deemed consent, and where each decision leads. A
running flow is one stored record; every change happens inside one storage call
(``Database.run``), which is our compare-and-set: an assignment that is no longer open
cannot be acted on twice, whoever clicks and however often.

Everything the engine wants to tell people (card updates, messages, to-dos, reminders)
is staged in the outbox/reminder tables in that same storage call, so nobody is told
about a change that was not stored. The audit trail is an append-only log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.cards import CARDS
from bot.clock import to_epoch_ms
from bot.errors import UserFacingError
from bot.flow_answers import check_answer
from bot.flow_audit import record_act
from bot.flow_cards import FlowCards, card_holders
from bot.flow_deadlines import (
    cancel_flow_deadlines,
    cancel_step_deadline,
    schedule_deadline,
    schedule_late_escalation,
    step_deadline,
)
from bot.flow_model import (
    AUDIT,
    END_ACKNOWLEDGED,
    END_APPROVED,
    END_DEFERRED,
    END_REJECTED,
    END_RETURNED,
    ENDS,
    FLOWS,
    NEXT,
    CardView,
    Changes,
    Choice,
    Delegation,
    FlowDef,
    FlowIdCollisionError,
    FlowView,
    NoDelegation,
    Notify,
    Step,
    card_id,
    deadline_of,
    new_assignment,
    open_assignments,
    open_in_round,
)
from bot.flow_todos import todo_closed, todo_opened

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session

__all__ = [
    "AUDIT",
    "ENDS",
    "END_ACKNOWLEDGED",
    "END_APPROVED",
    "END_DEFERRED",
    "END_REJECTED",
    "END_RETURNED",
    "FLOWS",
    "NEXT",
    "CardView",
    "Changes",
    "Choice",
    "Delegation",
    "FlowDef",
    "FlowIdCollisionError",
    "FlowView",
    "NoDelegation",
    "Notify",
    "Step",
    "Workflow",
    "card_id",
    "deadline_of",
    "open_assignments",
]


class Workflow:
    """Starts flows, records answers and moves them along their declared steps; each
    method runs inside the caller's storage call and returns what it staged."""

    def __init__(
        self,
        services: Services,
        flows: Sequence[FlowDef],
        cards: CardView,
        *,
        delegation: Delegation | None = None,
        notify: Notify | None = None,
    ) -> None:
        self._services = services
        self._flows = {f.kind: f for f in flows}
        if len(self._flows) != len(flows):
            raise ValueError("flow kinds must be unique")
        self._cards = FlowCards(services, self._flows, cards)
        self.delegation: Delegation = delegation or NoDelegation()
        self._notify = notify

    def flow_def(self, kind: str) -> FlowDef:
        return self._flows[kind]

    holders = staticmethod(card_holders)

    # -- starting --------------------------------------------------------------------

    def start(
        self,
        session: Session,
        *,
        flow_id: str,
        kind: str,
        submitter: str,
        unit_id: str,
        title: str,
        data: Mapping[str, Any],
    ) -> tuple[dict[str, Any], Changes]:
        flows = session.collection(FLOWS)
        existing = flows.get(flow_id)
        if existing is not None:
            if (existing["submitter"], existing["title"]) != (submitter, title):
                # A number handed out twice (a lost counter) is never a repeat.
                raise FlowIdCollisionError(flow_id)
            return existing, Changes()  # a replayed submission
        now = self._services.clock.now()
        doc: dict[str, Any] = {
            "id": flow_id,
            "kind": kind,
            "state": "active",
            "step": None,
            "title": title,
            "submitter": submitter,
            "unit_id": unit_id,
            "data": dict(data),
            "assignments": [],
            "trail": [],
            "card_id": card_id(flow_id),
            "created_ms": to_epoch_ms(now),
            "updated_ms": to_epoch_ms(now),
            "outcome": None,
        }
        changes = Changes()
        record_act(session, self._services.directory, doc, now, submitter, None, "submit")
        self._advance(session, doc, None, now, changes)
        self._cards.stage_create(doc, changes)
        flows.insert(doc)
        # The card dispatcher only answers clicks on cards it knows.
        session.collection(CARDS).insert({"id": doc["card_id"], "flow": flow_id})
        return doc, changes

    # -- acting ------------------------------------------------------------------------

    def act(
        self,
        session: Session,
        *,
        flow_id: str,
        assignment_id: str,
        user_id: str,
        decision: str,
        opinion: str,
    ) -> tuple[dict[str, Any], Changes]:
        flows = session.collection(FLOWS)
        doc = flows.get(flow_id)
        if doc is None:
            raise UserFacingError("card_expired")
        answer = check_answer(
            self._services, self._flows, doc, user_id, assignment_id, decision, opinion
        )
        now = self._services.clock.now()
        changes = Changes()
        self._close(session, doc, answer.assignment, decision, answer.opinion, now, "done", changes)
        self._after_answer(session, doc, answer.step, answer.choice, now, changes)
        doc["updated_ms"] = to_epoch_ms(now)
        self._cards.stage_refresh(doc, changes, actor=user_id)
        flows.update(flow_id, doc)
        return doc, changes

    def expire(
        self, session: Session, flow_id: str, step_id: str, round_no: int
    ) -> tuple[dict[str, Any] | None, Changes]:
        """The deadline of a step passed: silent 会签 assignees are deemed to agree."""
        flows = session.collection(FLOWS)
        doc = flows.get(flow_id)
        changes = Changes()
        if doc is None or doc["state"] != "active" or doc["step"] != step_id:
            return doc, changes
        step = self._flows[doc["kind"]].step(step_id)
        if step.deemed is None:
            if step.escalate is not None and open_in_round(doc, step_id, round_no):
                schedule_late_escalation(self._services, session, flow_id, step, round_no)
            return doc, changes
        now = self._services.clock.now()
        silent = open_in_round(doc, step_id, round_no)
        if not silent:
            return doc, changes
        for assignment in silent:
            self._close(session, doc, assignment, step.deemed, "", now, "deemed", changes)
        choice = step.choice(step.deemed)
        assert choice is not None
        self._after_answer(session, doc, step, choice, now, changes)
        doc["updated_ms"] = to_epoch_ms(now)
        self._cards.stage_refresh(doc, changes, actor=None)
        flows.update(flow_id, doc)
        return doc, changes

    def withdraw(
        self, session: Session, flow_id: str, user_id: str
    ) -> tuple[dict[str, Any], Changes]:
        flows = session.collection(FLOWS)
        doc = flows.get(flow_id)
        if doc is None or doc["submitter"] != user_id:
            raise UserFacingError("flow_not_found")
        if doc["state"] != "active":
            raise UserFacingError("flow_already_handled")
        now = self._services.clock.now()
        changes = Changes()
        for assignment in open_assignments(doc):
            self._close(session, doc, assignment, None, "", now, "withdrawn", changes)
        self._finish(session, doc, "withdrawn", now, changes)
        record_act(session, self._services.directory, doc, now, user_id, None, "withdraw")
        self._cards.stage_refresh(doc, changes, actor=None)
        flows.update(flow_id, doc)
        return doc, changes

    def delegate_open(self, session: Session, user_id: str) -> tuple[list[dict[str, Any]], Changes]:
        """Moves ``user_id``'s open assignments to whoever the delegation names now (his
        stand-in once his absence has begun). The new assignee gets the card, the button
        and a to-do; the old to-do is closed; the trail records the hand-over.

        Returns what was moved (flow id, kind, title, step, new assignee) and the changes.
        """
        now = self._services.clock.now()
        flows = session.collection(FLOWS)
        changes = Changes()
        moved: list[dict[str, Any]] = []
        mine = flows.find(lambda d: d["state"] == "active" and bool(open_assignments(d, user_id)))
        for doc in sorted(mine, key=lambda d: d["created_ms"]):
            touched = False
            for assignment in open_assignments(doc, user_id):
                original = assignment.get("acting_for") or user_id
                new_user, acting_for = self.delegation.resolve(session, original, now)
                if new_user == user_id:
                    continue
                changes.outgoing += todo_closed(assignment, "moved")
                assignment.update(
                    user=new_user,
                    acting_for=acting_for,
                    moves=int(assignment.get("moves", 0)) + 1,
                    # Still holds the card (now without buttons).
                    previous=[*assignment.get("previous", []), user_id],
                )
                step = self._flows[doc["kind"]].step(assignment["step"])
                changes.outgoing += todo_opened(self._services, doc, assignment, step)
                if self._notify is not None:
                    changes.outgoing += self._notify(doc, "assigned", [new_user])
                directory = self._services.directory
                record_act(session, directory, doc, now, new_user, acting_for, "delegate")
                moved.append(
                    {
                        "flow": doc["id"],
                        "kind": doc["kind"],
                        "title": doc["title"],
                        "step": step.id,
                        "to": new_user,
                    }
                )
                touched = True
            if touched:
                doc["updated_ms"] = to_epoch_ms(now)
                self._cards.stage_refresh(doc, changes, actor=None)
                flows.update(doc["id"], doc)
        return moved, changes

    # -- internals ---------------------------------------------------------------------

    def _after_answer(
        self,
        session: Session,
        doc: dict[str, Any],
        step: Step,
        choice: Choice,
        now: datetime,
        changes: Changes,
    ) -> None:
        round_no = doc["round"]
        if step.mode == "any":
            for other in open_in_round(doc, step.id, round_no):
                self._close(session, doc, other, None, "", now, "superseded", changes)
        if step.mode == "all" and open_in_round(doc, step.id, round_no):
            return  # still waiting for other departments
        cancel_step_deadline(session, doc["id"], step.id, round_no)
        if choice.goto in ENDS:
            self._finish(session, doc, choice.goto, now, changes)
        elif choice.goto == NEXT:
            self._advance(session, doc, step.id, now, changes)
        else:
            self._open_step(session, doc, self._flows[doc["kind"]].step(choice.goto), now, changes)

    def _advance(
        self,
        session: Session,
        doc: dict[str, Any],
        after: str | None,
        now: datetime,
        changes: Changes,
    ) -> None:
        flow_def = self._flows[doc["kind"]]
        candidates = list(flow_def.steps) if after is None else flow_def.following(after)
        for step in candidates:
            if step.applies(FlowView(doc)):
                self._open_step(session, doc, step, now, changes)
                return
            if step.when_skipped is not None:
                action = f"{step.id}:{step.when_skipped}"
                submitter = doc["submitter"]
                record_act(session, self._services.directory, doc, now, submitter, None, action)
        self._finish(session, doc, END_APPROVED, now, changes)

    def _open_step(
        self, session: Session, doc: dict[str, Any], step: Step, now: datetime, changes: Changes
    ) -> None:
        doc["step"] = step.id
        doc["round"] = int(doc.get("round", 0)) + 1
        round_no = doc["round"]
        people = list(dict.fromkeys(step.assign(FlowView(doc), self._services.directory)))
        if not people:
            raise UserFacingError("flow_no_assignee", step=step.id)
        due = step_deadline(self._services, step, now)
        for original in people:
            user, acting_for = self.delegation.resolve(session, original, now)
            assignment = new_assignment(doc, step.id, user, acting_for, now, due)
            doc["assignments"].append(assignment)
            changes.outgoing += todo_opened(self._services, doc, assignment, step)
            if self._notify is not None:
                changes.outgoing += self._notify(doc, "assigned", [user])
        schedule_deadline(self._services, session, doc["id"], step, round_no, due.at)

    def _close(
        self,
        session: Session,
        doc: dict[str, Any],
        assignment: dict[str, Any],
        decision: str | None,
        opinion: str,
        now: datetime,
        status: str,
        changes: Changes,
    ) -> None:
        assignment.update(status=status, decision=decision, opinion=opinion, at_ms=to_epoch_ms(now))
        # Acted, deemed, superseded or withdrawn: the to-do is done either way.
        changes.outgoing += todo_closed(assignment, "done")
        if status in ("done", "deemed"):
            user, acting_for = assignment["user"], assignment["acting_for"]
            action = f"{assignment['step']}:{decision}"
            deemed = status == "deemed"
            directory = self._services.directory
            record_act(
                session, directory, doc, now, user, acting_for, action, opinion, deemed=deemed
            )

    def _finish(
        self, session: Session, doc: dict[str, Any], outcome: str, now: datetime, changes: Changes
    ) -> None:
        doc["state"] = "closed" if outcome != "withdrawn" else "withdrawn"
        doc["outcome"] = outcome
        doc["step"] = None
        doc["closed_ms"] = to_epoch_ms(now)
        cancel_flow_deadlines(session, doc["id"])
        hook = self._flows[doc["kind"]].on_finish
        if hook is not None:
            changes.outgoing += hook(session, doc, outcome, now)
        if self._notify is not None:
            watchers = list(dict.fromkeys([doc["submitter"], *doc["data"].get("watchers", [])]))
            changes.outgoing += self._notify(doc, "finished", watchers)
