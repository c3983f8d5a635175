"""Agenda items for the executive meeting (第五十四、五十七条)."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import Command
from handlers.agenda.form import AGENDA_FORM
from handlers.agenda.items import agenda_command, agenda_flow

AGENDA = Feature(
    "agenda",
    commands=[Command("agenda", agenda_command)],
    forms=[AGENDA_FORM],
    flows=[agenda_flow],
)
