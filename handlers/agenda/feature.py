"""Agenda items for the executive meeting (第五十四、五十七条)."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import Command
from bot.services import Services
from bot.workflow import FlowDef
from handlers.agenda.form import AGENDA_FORM
from handlers.agenda.items import agenda_command, agenda_flow
from messages.vocabulary import words


def _flows(services: Services) -> list[FlowDef]:
    return [agenda_flow(services)]


AGENDA = Feature(
    "agenda",
    commands=[Command("agenda", words("agenda"), agenda_command)],
    forms=[AGENDA_FORM],
    flows=_flows,
)
