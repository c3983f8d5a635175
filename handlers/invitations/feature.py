"""Invitations of county government leaders (第九十六条) and written reports of visits
to the county (第九十八条)."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import Command
from bot.services import Services
from bot.workflow import FlowDef
from handlers.invitations.invitation import (
    INVITATION_FORM,
    forward_invitation,
    invitation_flow,
    start_invitation,
)
from handlers.invitations.visit import VISIT_FORM, start_visit_report
from messages.vocabulary import words


def _flows(services: Services) -> list[FlowDef]:
    return [invitation_flow()]


INVITATIONS = Feature(
    "invitations",
    commands=[
        Command("invitation", words("invitation"), start_invitation),
        Command("invite_forward", words("invite_forward"), forward_invitation),
        Command("visit_report", words("visit_report"), start_visit_report),
    ],
    forms=[INVITATION_FORM, VISIT_FORM],
    flows=_flows,
)
