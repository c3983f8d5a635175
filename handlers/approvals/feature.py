"""Approvals common to every flow: 待办, 公文 (query), 撤回, the approval card's buttons
and the deadline actions of the engine (deemed consent, escalation)."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import CardAction, Command
from handlers.approvals import actions, card, query

APPROVALS = Feature(
    "approvals",
    commands=[
        Command("todo", actions.list_todos),
        Command("query", query.query_document),
        Command("withdraw", query.withdraw_flow),
    ],
    card_actions=[CardAction(card.FLOW_ACT, actions.FlowAct, actions.act_on_flow)],
    deadline_actions=actions.deadline_actions,
)
