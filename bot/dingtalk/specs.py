"""What the bot asks DingTalk to create or change, as typed values: a card to create,
deliver again or update, a to-do.

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
class CardDelivery:
    """An existing card (``out_track_id``) to deliver to more users (robot 1:1) and/or
    groups."""

    out_track_id: str
    user_ids: Sequence[str] = ()
    group_ids: Sequence[str] = ()
    support_forward: bool = False


@dataclass(frozen=True)
class CardUpdate:
    """New data for a card: ``card_data`` for everyone, ``private_data`` per user id;
    ``by_key`` merges keys instead of overwriting the whole map."""

    out_track_id: str
    card_data: Mapping[str, object] | None = None
    private_data: Mapping[str, Mapping[str, object]] | None = None
    by_key: bool = True


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
