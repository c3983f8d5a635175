"""Invitations of county government leaders (第九十六条) and written reports of visits
to the county (第九十八条)."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import Command
from handlers.invitations.invitation import (
    INVITATION_FORM,
    forward_invitation,
    invitation_flow,
    start_invitation,
)
from handlers.invitations.visit import VISIT_FORM, start_visit_report

INVITATIONS = Feature(
    "invitations",
    commands=[
        Command("invitation", start_invitation),
        Command("invite_forward", forward_invitation),
        Command("visit_report", start_visit_report),
    ],
    forms=[INVITATION_FORM, VISIT_FORM],
    flows=[invitation_flow()],
)
