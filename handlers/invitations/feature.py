"""Invitations of county government leaders (第九十六条) and written reports of visits
to the county (第九十八条)."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import Command
from handlers.invitations import invitation, visit

INVITATIONS = Feature(
    "invitations",
    commands=[
        Command("invitation", invitation.start_invitation),
        Command("invite_forward", invitation.forward_invitation),
        Command("visit_report", visit.start_visit_report),
    ],
    forms=[invitation.INVITATION_FORM, visit.VISIT_FORM],
    flows=[invitation.invitation_flow()],
)
