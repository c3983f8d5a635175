"""A feature declares in one object everything it adds to the bot: chat commands, card
actions, forms, approval flows, daily jobs and deadline actions. The app is built from a
list of features; start-up refuses two features claiming one name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from bot.flow_model import FlowDef

if TYPE_CHECKING:
    from bot.dialog import Form
    from bot.router import CardAction, Command
    from bot.scheduler import DailyJob, DeadlineAction
    from bot.services import Services

# A flow the feature declares: built already, or built from the services (one or several).
FlowSource = FlowDef | Callable[["Services"], "FlowDef | list[FlowDef]"]
ActionsOf = Callable[["Services"], "dict[str, DeadlineAction]"]
T = TypeVar("T")


@dataclass(frozen=True)
class Feature:
    name: str
    commands: Sequence[Command] = ()
    card_actions: Sequence[CardAction] = ()
    forms: Sequence[Form] = ()
    flows: Sequence[FlowSource] = ()
    jobs: Sequence[DailyJob] = ()
    deadline_actions: ActionsOf | None = None


class FeatureConflictError(Exception):
    """Two features declare the same job, form or deadline action (start-up error)."""


def commands_of(features: Sequence[Feature]) -> list[Command]:
    return [c for f in features for c in f.commands]


def card_actions_of(features: Sequence[Feature]) -> list[CardAction]:
    return [a for f in features for a in f.card_actions]


def forms_of(features: Sequence[Feature]) -> list[Form]:
    return _unique([form for f in features for form in f.forms], lambda form: form.id, "form")


def jobs_of(features: Sequence[Feature]) -> list[DailyJob]:
    return _unique([j for f in features for j in f.jobs], lambda job: job.id, "daily job")


def flows_of(features: Sequence[Feature], services: Services) -> list[FlowDef]:
    return [flow for f in features for source in f.flows for flow in _built(source, services)]


def _built(source: FlowSource, services: Services) -> list[FlowDef]:
    built = source if isinstance(source, FlowDef) else source(services)
    return built if isinstance(built, list) else [built]


def deadline_actions_of(
    features: Sequence[Feature], services: Services
) -> dict[str, DeadlineAction]:
    actions: dict[str, DeadlineAction] = {}
    for feature in features:
        if feature.deadline_actions is None:
            continue
        for name, action in feature.deadline_actions(services).items():
            if name in actions:
                raise FeatureConflictError(f"deadline action {name!r} declared twice")
            actions[name] = action
    return actions


def _unique(items: list[T], key: Callable[[T], str], what: str) -> list[T]:
    seen: set[str] = set()
    for item in items:
        name = key(item)
        if name in seen:
            raise FeatureConflictError(f"{what} {name!r} declared twice")
        seen.add(name)
    return items
