"""Wires the declared flows, forms and deadline actions into the services (used by
``create_app`` and by in-process tests alike)."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from importlib import resources
from typing import TYPE_CHECKING

from bot.dialog import Forms
from bot.feature import Feature, deadline_actions_of, flows_of, forms_of
from bot.scheduler import DeadlineAction
from bot.workflow import Delegation, Workflow
from handlers.approvals.card import ApprovalCardView
from handlers.approvals.notices import FlowNotices
from handlers.features import FEATURES
from handlers.leave.model import LeaveDelegation

if TYPE_CHECKING:
    from bot.outbox import Outbox
    from bot.services import Services


def wire_domain(
    services: Services,
    outbox: Outbox,
    *,
    delegation: Delegation | None = None,
    features: Sequence[Feature] = FEATURES,
) -> dict[str, DeadlineAction]:
    """Sets services.workflow/forms/outbox; returns the scheduler's deadline actions.

    Steps go to stand-ins of absent leaders (handlers/leave/model.py) unless another
    delegation is given."""
    cards = ApprovalCardView(services)
    workflow = Workflow(
        services,
        flows_of(features, services),
        cards,
        delegation=delegation or LeaveDelegation(services),
        notify=FlowNotices(services).notify,
    )
    cards.bind(workflow)
    texts = tomllib.loads(
        resources.files("messages").joinpath("forms.toml").read_text(encoding="utf-8")
    )
    services._workflow = workflow
    services._forms = Forms(forms_of(features), texts)
    services._outbox = outbox
    return deadline_actions_of(features, services)
