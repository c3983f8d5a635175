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
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.cards import CARDS
from bot.clock import TZ, to_epoch_ms
from bot.errors import NotAuthorized, UserFacingError
from bot.outgoing import Outgoing, todo_create, todo_done
from bot.scheduler import cancel_reminders, schedule_reminder

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session
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
    find_assignment,
    open_assignments,
)

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
        self._cards = cards
        self.delegation: Delegation = delegation or NoDelegation()
        self._notify = notify

    def flow_def(self, kind: str) -> FlowDef:
        return self._flows[kind]

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
        self._trail(doc, now, submitter, None, "submit", "")
        self._audit(session, doc, now, submitter, None, "submit", "")
        self._advance(session, doc, None, now, changes)
        self._stage_card_create(doc, changes)
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
        assignment = find_assignment(doc, assignment_id)
        if assignment is None or doc["state"] != "active" or assignment["status"] != "open":
            raise UserFacingError("flow_already_handled")
        if assignment["user"] != user_id:
            person = self._services.directory.person(assignment["user"])
            raise NotAuthorized("card_not_yours", assignee_name=person.name if person else "")
        flow_def = self._flows[doc["kind"]]
        step = flow_def.step(assignment["step"])
        choice = step.choice(decision)
        if choice is None:
            raise UserFacingError("flow_bad_decision")
        opinion = " ".join(opinion.split())[:1000]
        if choice.opinion_required and not opinion:
            # The article requiring a written opinion, per flow kind (flows.toml).
            article = self._services.messages.label("opinion_articles", doc["kind"])
            raise UserFacingError("flow_opinion_required", article=article)
        now = self._services.clock.now()
        changes = Changes()
        self._close(session, doc, assignment, decision, opinion, now, "done", changes)
        self._after_answer(session, doc, step, choice, now, changes)
        doc["updated_ms"] = to_epoch_ms(now)
        self._stage_card_refresh(doc, changes, actor=user_id)
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
            return doc, changes
        now = self._services.clock.now()
        silent = [
            a
            for a in doc["assignments"]
            if a["step"] == step_id and a["round"] == round_no and a["status"] == "open"
        ]
        if not silent:
            return doc, changes
        for assignment in silent:
            self._close(session, doc, assignment, step.deemed, "", now, "deemed", changes)
        choice = step.choice(step.deemed)
        assert choice is not None
        self._after_answer(session, doc, step, choice, now, changes)
        doc["updated_ms"] = to_epoch_ms(now)
        self._stage_card_refresh(doc, changes, actor=None)
        flows.update(flow_id, doc)
        return doc, changes

    def remind(self, session: Session, flow_id: str, step_id: str, round_no: int) -> Changes:
        """The morning of a deadline: remind whoever still has not answered."""
        doc = session.collection(FLOWS).get(flow_id)
        changes = Changes()
        if doc is None or doc["state"] != "active" or doc["step"] != step_id:
            return changes
        silent = [
            a["user"]
            for a in doc["assignments"]
            if a["step"] == step_id and a["round"] == round_no and a["status"] == "open"
        ]
        if silent and self._notify is not None:
            changes.outgoing += self._notify(doc, "reminder", silent)
        return changes

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
        for assignment in doc["assignments"]:
            if assignment["status"] == "open":
                self._close(session, doc, assignment, None, "", now, "withdrawn", changes)
        self._finish(session, doc, "withdrawn", now, changes)
        self._trail(doc, now, user_id, None, "withdraw", "")
        self._audit(session, doc, now, user_id, None, "withdraw", "")
        self._stage_card_refresh(doc, changes, actor=None)
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
        mine = flows.find(
            lambda d: (
                d["state"] == "active"
                and any(a["status"] == "open" and a["user"] == user_id for a in d["assignments"])
            )
        )
        for doc in sorted(mine, key=lambda d: d["created_ms"]):
            touched = False
            for assignment in doc["assignments"]:
                if assignment["status"] != "open" or assignment["user"] != user_id:
                    continue
                original = assignment.get("acting_for") or user_id
                new_user, acting_for = self.delegation.resolve(session, original, now)
                if new_user == user_id:
                    continue
                if assignment.get("todo"):
                    changes.outgoing.append(
                        todo_done(f"todo:{assignment['todo']}:moved", assignment["todo"])
                    )
                assignment.update(
                    user=new_user,
                    acting_for=acting_for,
                    moves=int(assignment.get("moves", 0)) + 1,
                    # Still holds the card (now without buttons).
                    previous=[*assignment.get("previous", []), user_id],
                )
                step = self._flows[doc["kind"]].step(assignment["step"])
                changes.outgoing += self._todo_opened(doc, assignment, step)
                if self._notify is not None:
                    changes.outgoing += self._notify(doc, "assigned", [new_user])
                self._trail(doc, now, new_user, acting_for, "delegate", "")
                self._audit(session, doc, now, new_user, acting_for, "delegate", "")
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
                self._stage_card_refresh(doc, changes, actor=None)
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
            for other in doc["assignments"]:
                if (
                    other["step"] == step.id
                    and other["round"] == round_no
                    and other["status"] == "open"
                ):
                    self._close(session, doc, other, None, "", now, "superseded", changes)
        if step.mode == "all" and any(
            a["step"] == step.id and a["round"] == round_no and a["status"] == "open"
            for a in doc["assignments"]
        ):
            return  # still waiting for other departments
        cancel_reminders(session, f"flow:{doc['id']}:{step.id}:{round_no}:")
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
        days = step.deadline_working_days or self._services.config.rules.step_working_days
        due = self._services.calendar.deadline(now, days)
        deadline, provisional = due.at, due.provisional
        for original in people:
            user, acting_for = self.delegation.resolve(session, original, now)
            assignment = {
                "id": f"a{len(doc['assignments']) + 1}",
                "step": step.id,
                "round": round_no,
                "user": user,
                "acting_for": acting_for,
                "status": "open",
                "decision": None,
                "opinion": "",
                "opened_ms": to_epoch_ms(now),
                "at_ms": None,
                "deadline_ms": to_epoch_ms(deadline),
                "provisional": provisional,
            }
            doc["assignments"].append(assignment)
            changes.outgoing += self._todo_opened(doc, assignment, step)
            if self._notify is not None:
                changes.outgoing += self._notify(doc, "assigned", [user])
        self._schedule_deadline(session, doc, step, round_no, deadline)

    def _schedule_deadline(
        self, session: Session, doc: dict[str, Any], step: Step, round_no: int, deadline: datetime
    ) -> None:
        prefix = f"flow:{doc['id']}:{step.id}:{round_no}:"
        # A reminder on the morning of the last day, to whoever has not answered by then.
        morning = deadline.astimezone(TZ).replace(hour=9, minute=0, second=0, microsecond=0)
        if morning < deadline:
            schedule_reminder(
                session,
                prefix + "remind",
                morning,
                [],
                action={
                    "type": "flow.remind",
                    "flow": doc["id"],
                    "step": step.id,
                    "round": round_no,
                },
            )
        if step.deemed is not None:
            schedule_reminder(
                session,
                prefix + "expire",
                deadline + timedelta(seconds=1),
                [],
                action={
                    "type": "flow.expire",
                    "flow": doc["id"],
                    "step": step.id,
                    "round": round_no,
                },
            )

    def _todo_opened(
        self, doc: dict[str, Any], assignment: dict[str, Any], step: Step
    ) -> list[Outgoing]:
        """Every assignment is also a DingTalk 待办 with its deadline and a link back."""
        person = self._services.directory.person(assignment["user"])
        if person is None or not person.union_id:
            return []
        source = f"{doc['id']}:{assignment['id']}"
        if assignment.get("moves"):  # handed over to a stand-in: a new to-do
            source += f":m{assignment['moves']}"
        assignment["todo"] = source
        messages = self._services.messages
        kind = messages.label("kinds", doc["kind"])
        step_name = messages.label(f"steps.{doc['kind']}", step.id)
        link = self._services.config.dingtalk.todo_link
        separator = "&" if "?" in link else "?"
        return [
            todo_create(
                f"todo:{source}:create",
                source_id=source,
                union_id=person.union_id,
                subject=messages.text(
                    "todo_subject", kind=kind, title=doc["title"], step=step_name
                )[:1000],
                description=messages.text(
                    "todo_description", kind=kind, number=doc["id"], step=step_name
                )[:4000],
                due_ms=assignment["deadline_ms"],
                detail_url=f"{link}{separator}flow={doc['id']}",
            )
        ]

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
        if assignment.get("todo"):
            # Acted, deemed, superseded or withdrawn: the to-do is done either way.
            changes.outgoing.append(
                todo_done(f"todo:{assignment['todo']}:done", assignment["todo"])
            )
        if status in ("done", "deemed"):
            action = f"{assignment['step']}:{decision}"
            self._trail(
                doc,
                now,
                assignment["user"],
                assignment["acting_for"],
                action,
                opinion,
                deemed=status == "deemed",
            )
            self._audit(
                session, doc, now, assignment["user"], assignment["acting_for"], action, opinion
            )

    def _finish(
        self, session: Session, doc: dict[str, Any], outcome: str, now: datetime, changes: Changes
    ) -> None:
        doc["state"] = "closed" if outcome != "withdrawn" else "withdrawn"
        doc["outcome"] = outcome
        doc["step"] = None
        doc["closed_ms"] = to_epoch_ms(now)
        cancel_reminders(session, f"flow:{doc['id']}:")
        hook = self._flows[doc["kind"]].on_finish
        if hook is not None:
            changes.outgoing += hook(session, doc, outcome, now)
        if self._notify is not None:
            watchers = list(dict.fromkeys([doc["submitter"], *doc["data"].get("watchers", [])]))
            changes.outgoing += self._notify(doc, "finished", watchers)

    @staticmethod
    def _trail(
        doc: dict[str, Any],
        now: datetime,
        user: str,
        acting_for: str | None,
        action: str,
        opinion: str,
        *,
        deemed: bool = False,
    ) -> None:
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

    def _audit(
        self,
        session: Session,
        doc: dict[str, Any],
        now: datetime,
        user: str,
        acting_for: str | None,
        action: str,
        opinion: str,
    ) -> None:
        person = self._services.directory.person(user)
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
        }
        session.log(AUDIT).append([record], now.year)

    # -- cards -------------------------------------------------------------------------

    def holders(self, doc: Mapping[str, Any]) -> list[str]:
        """Everyone who holds the flow's card: the submitter and every assignee so far."""
        people = [doc["submitter"], *doc["data"].get("watchers", [])]
        for a in doc["assignments"]:
            people += [*a.get("previous", []), a["user"]]
        return list(dict.fromkeys(people))

    def _template_id(self, doc: Mapping[str, Any]) -> str:
        key = self._flows[doc["kind"]].card
        return self._services.config.cards[key]

    def _stage_card_create(self, doc: dict[str, Any], changes: Changes) -> None:
        holders = self.holders(doc)
        private = {u: self._cards.private(doc, u) for u in holders}
        changes.outgoing.append(
            Outgoing(
                f"{doc['card_id']}:create",
                "card",
                {
                    "template_id": self._template_id(doc),
                    "out_track_id": doc["card_id"],
                    "card_data": self._cards.public(doc),
                    "user_ids": holders,
                    "group_ids": [],
                    "private_data": private,
                },
            )
        )
        doc["delivered"] = holders

    def _stage_card_refresh(self, doc: dict[str, Any], changes: Changes, actor: str | None) -> None:
        """New assignees get the card; everyone's view is brought up to date."""
        delivered = list(doc.get("delivered", []))
        newcomers = [u for u in self.holders(doc) if u not in delivered]
        version = len(doc["trail"])
        if newcomers:
            changes.outgoing.append(
                Outgoing(
                    f"{doc['card_id']}:deliver:{version}",
                    "card_deliver",
                    {"out_track_id": doc["card_id"], "user_ids": newcomers, "group_ids": []},
                )
            )
            doc["delivered"] = delivered + newcomers
        public = self._cards.public(doc)
        private = {u: self._cards.private(doc, u) for u in self.holders(doc)}
        changes.card_data = public
        if actor is not None:
            changes.private = {actor: private[actor]}
        # Everyone's view, the actor's too: his ACK answer may never be applied (DingTalk
        # drops it after 2 s, or the click was queued while the bot was down).
        changes.outgoing.append(
            Outgoing(
                f"{doc['card_id']}:update:{version}",
                "card_update",
                {"out_track_id": doc["card_id"], "card_data": public, "private_data": private},
            )
        )
