"""Wires the declared flows, forms and deadline actions into the services (used by
``create_app`` and by in-process tests alike)."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import TYPE_CHECKING

from bot.dialog import Forms
from bot.scheduler import DeadlineAction
from bot.workflow import Delegation, Workflow
from handlers.distribution import distribution_actions
from handlers.flow_actions import deadline_actions
from handlers.flow_card import ApprovalCardView
from handlers.flow_notices import FlowNotices
from handlers.leave_model import LeaveDelegation
from handlers.leave_ops import leave_actions
from handlers.meeting_schedule import meeting_actions
from handlers.routes import FORMS, flow_definitions

if TYPE_CHECKING:
    from bot.outbox import Outbox
    from bot.services import Services


def wire_domain(
    services: Services, outbox: Outbox, *, delegation: Delegation | None = None
) -> dict[str, DeadlineAction]:
    """Sets services.workflow/forms/outbox; returns the scheduler's deadline actions.

    Steps go to stand-ins of absent leaders (handlers/leave_model.py) unless another
    delegation is given."""
    cards = ApprovalCardView(services)
    workflow = Workflow(
        services,
        flow_definitions(services),
        cards,
        delegation=delegation or LeaveDelegation(services),
        notify=FlowNotices(services).notify,
    )
    cards.bind(workflow)
    texts = tomllib.loads(
        resources.files("messages").joinpath("forms.toml").read_text(encoding="utf-8")
    )
    services._workflow = workflow
    services._forms = Forms(FORMS, texts)
    services._outbox = outbox
    return {
        **deadline_actions(services),
        **distribution_actions(services),
        **leave_actions(services),
        **meeting_actions(services),
    }
