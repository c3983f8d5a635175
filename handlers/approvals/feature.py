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
        Command("todo", ("待办", "我的待办", "todo"), list_todos),
        Command("query", ("公文", "查询"), query_document),
        Command("withdraw", ("撤回",), withdraw_flow),
    ],
    card_actions=[CardAction(FLOW_ACT, FlowAct, act_on_flow)],
    deadline_actions=deadline_actions,
)
