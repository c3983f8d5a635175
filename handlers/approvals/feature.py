"""Approvals common to every flow: 待办, 公文 (query), 撤回, the approval card's buttons
and the deadline actions of the engine (deemed consent, escalation)."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import CardAction, Command
from handlers.approvals.actions import FlowAct, act_on_flow, deadline_actions, list_todos
from handlers.approvals.card import FLOW_ACT
from handlers.approvals.query import query_document, withdraw_flow

APPROVALS = Feature(
    "approvals",
    commands=[
        Command("todo", list_todos),
        Command("query", query_document),
        Command("withdraw", withdraw_flow),
    ],
    card_actions=[CardAction(FLOW_ACT, FlowAct, act_on_flow)],
    deadline_actions=deadline_actions,
)
