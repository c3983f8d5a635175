"""Declared lifecycles of stored records (meetings, agenda entries, absences): the states,
the moves allowed between them, and which states are final. A declaration is checked
when it is made (every state reachable from the start, every open state has a way out,
no move leaves a final state), every change goes through :meth:`Lifecycle.move`, and the
docs' state diagrams are generated from the declaration (:meth:`Lifecycle.mermaid`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any


class LifecycleError(ValueError):
    """A declaration that does not hold together (a start-up error)."""


class IllegalMove(RuntimeError):
    """A record asked to move where its lifecycle does not go (a bug, not a user error:
    handlers check the state and refuse politely first)."""


@dataclass(frozen=True)
class Lifecycle:
    name: str
    starts: frozenset[str]  # the states a new record may begin in
    moves: Mapping[str, frozenset[str]]  # state -> the states one move reaches
    final: frozenset[str]
    key: str = "state"  # the record's field holding the state
    states: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        states = {*self.starts, *self.moves, *self.final}
        states |= {to for targets in self.moves.values() for to in targets}
        object.__setattr__(self, "states", frozenset(states))
        self._check()

    @classmethod
    def of(
        cls,
        name: str,
        start: str | Iterable[str],
        moves: Mapping[str, Iterable[str]],
        final: Iterable[str],
        *,
        key: str = "state",
    ) -> Lifecycle:
        starts = frozenset([start] if isinstance(start, str) else start)
        return cls(name, starts, {s: frozenset(t) for s, t in moves.items()}, frozenset(final), key)

    def _check(self) -> None:
        for state in self.final:
            if self.moves.get(state):
                raise LifecycleError(f"{self.name}: final state {state!r} has moves out")
        for state in self.states - self.final:
            if not self.moves.get(state):
                raise LifecycleError(f"{self.name}: state {state!r} is a dead end")
        reached, todo = set(self.starts), list(self.starts)
        while todo:
            for to in self.moves.get(todo.pop(), ()):
                if to not in reached:
                    reached.add(to)
                    todo.append(to)
        if unreachable := sorted(self.states - reached):
            raise LifecycleError(f"{self.name}: unreachable from the start: {unreachable}")

    def may_move(self, record: Mapping[str, Any], to: str) -> bool:
        return to in self.moves.get(str(record.get(self.key)), frozenset())

    def move(self, record: MutableMapping[str, Any], to: str) -> None:
        """Set the record's state to ``to``; a move the declaration lacks raises."""
        record.update(self.change(record, to))

    def change(self, record: Mapping[str, Any], to: str) -> dict[str, str]:
        """The update that moves ``record`` to ``to`` (for ``Collection.update``)."""
        if not self.may_move(record, to):
            raise IllegalMove(f"{self.name}: {record.get(self.key)!r} -> {to!r} is not declared")
        return {self.key: to}

    def begin(self, state: str) -> dict[str, str]:
        """The field of a new record beginning in ``state``."""
        if state not in self.starts:
            raise IllegalMove(f"{self.name}: a record cannot begin in {state!r}")
        return {self.key: state}

    def mermaid(self, labels: Mapping[str, str] | None = None) -> str:
        """The lifecycle as a Mermaid state diagram (state names with their labels)."""
        shown = labels or {}
        lines = ["stateDiagram-v2", *(f"    [*] --> {s}" for s in sorted(self.starts))]
        lines += [
            f"    {state} : {shown[state]}" for state in sorted(self.states) if state in shown
        ]
        for state in sorted(self.moves):
            lines += [f"    {state} --> {to}" for to in sorted(self.moves[state])]
        lines += [f"    {state} --> [*]" for state in sorted(self.final)]
        return "\n".join(lines)
