"""Agenda items for the executive meeting (第五十四、五十七条)."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import Command
from handlers.agenda import form, items

AGENDA = Feature(
    "agenda",
    commands=[Command("agenda", items.agenda_command)],
    forms=[form.AGENDA_FORM],
    flows=[items.agenda_flow],
)
