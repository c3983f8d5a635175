"""请示 and 报告 from departments, towns and county enterprises (第六十八–七十一条)."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import Command
from bot.services import Services
from bot.workflow import FlowDef
from handlers.requests import flow


def _request_flows(services: Services) -> list[FlowDef]:
    rules = services.config.rules
    return flow.request_flows(rules.cosign_working_days, rules.signoff_working_days)


REQUESTS = Feature(
    "requests",
    commands=[
        Command("request", flow.start_request),
        Command("report", flow.start_report),
    ],
    forms=[flow.REQUEST_FORM, flow.REPORT_FORM],
    flows=[_request_flows],
)
