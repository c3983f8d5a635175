"""Contracts in the county government's name (第七十二条) and meeting plans units ask
the county government for (第六十、六十六条)."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import Command
from handlers.contracts.contract import CONTRACT_FORM, contract_flow, start_contract
from handlers.contracts.meeting_request import (
    MEETING_REQUEST_FORM,
    meeting_request_flows,
    start_meeting_request,
)

CONTRACTS = Feature(
    "contracts",
    commands=[
        Command("contract", start_contract),
        Command("meeting_request", start_meeting_request),
    ],
    forms=[CONTRACT_FORM, MEETING_REQUEST_FORM],
    flows=[contract_flow, *meeting_request_flows()],
)
