"""Contracts in the county government's name (第七十二条) and meeting plans units ask
the county government for (第六十、六十六条)."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import Command
from handlers.contracts import contract, meeting_request

CONTRACTS = Feature(
    "contracts",
    commands=[
        Command("contract", contract.start_contract),
        Command("meeting_request", meeting_request.start_meeting_request),
    ],
    forms=[contract.CONTRACT_FORM, meeting_request.MEETING_REQUEST_FORM],
    flows=[contract.contract_flow, *meeting_request.meeting_request_flows()],
)
