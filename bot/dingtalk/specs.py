"""What the bot asks DingTalk to create, as typed values: a card to deliver, a to-do.

The client, the outbox's Protocol and the test fake all take these, so the long lists of
parameters are written once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class NewCard:
    """An interactive card to create from ``template_id`` under ``out_track_id`` and
    deliver to users (robot 1:1) and/or groups; ``private_data`` is per user id."""

    template_id: str
    out_track_id: str
    card_data: Mapping[str, object]
    user_ids: Sequence[str] = ()
    group_ids: Sequence[str] = ()
    private_data: Mapping[str, Mapping[str, object]] | None = None
    support_forward: bool = False
    at_user_ids: Mapping[str, str] | None = None


@dataclass(frozen=True)
class NewTodo:
    """A to-do in the list of ``union_id`` (its creator), done by the executors;
    ``source_id`` is our key for it, so a replayed create is refused as a duplicate."""

    union_id: str
    subject: str
    description: str
    due_ms: int | None
    executor_union_ids: Sequence[str]
    source_id: str
    detail_url: str
    priority: int = 20
