"""Contracts in the county government's name (第七十二条) and meeting plans units ask
the county government for (第六十、六十六条)."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import Command
from bot.services import Services
from bot.workflow import FlowDef
from handlers.contracts.contract import CONTRACT_FORM, contract_flow, start_contract
from handlers.contracts.meeting_request import (
    MEETING_REQUEST_FORM,
    meeting_request_flows,
    start_meeting_request,
)
from messages.vocabulary import words


def _flows(services: Services) -> list[FlowDef]:
    return [contract_flow(services), *meeting_request_flows()]


CONTRACTS = Feature(
    "contracts",
    commands=[
        Command("contract", words("contract"), start_contract),
        Command("meeting_request", words("meeting_request"), start_meeting_request),
    ],
    forms=[CONTRACT_FORM, MEETING_REQUEST_FORM],
    flows=_flows,
)
