"""Office notices of the API budget (bot/api_budget.py): the monthly quota is near or
exhausted, or a permission scope is missing. They go to the office director and the
admin section (行政股) as one robot 1:1 message; when the robot scope itself is denied,
as a work notification; when that is denied too, nothing can be sent (the budget logs an
ERROR)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.api_budget import BudgetNotice, Notifier
from bot.api_scopes import ROBOT_SEND, WORK_NOTICE
from bot.outgoing import Outgoing
from messages.markdown import Trusted

if TYPE_CHECKING:
    from bot.outbox import Outbox
    from bot.services import Services
    from storage.session import Session

_SCOPE_NAME = re.compile(r"[A-Za-z0-9_.]+")


def office_recipients(services: Services) -> list[str]:
    """The office director and the admin section, in that order, without repeats."""
    directory = services.directory
    people = [directory.sole("office_director"), *directory.holders("admin_section")]
    return list(dict.fromkeys(p.user_id for p in people))


def budget_notice_items(services: Services, notice: BudgetNotice) -> list[Outgoing]:
    """The outgoing item telling the office (empty when no channel is left)."""
    messages = services.messages
    year, month = (int(part) for part in notice.month.split("-"))
    if notice.kind == "permission":
        scope = notice.scope
        shown = Trusted(f"`{scope}`") if _SCOPE_NAME.fullmatch(scope) else scope
        rendered = messages.markdown(
            "permission_missing",
            scope=shown,
            purpose=messages.text("permission_purpose", scope=scope),
        )
        key = f"api:permission:{scope}:{notice.since_ms}"
    else:
        rendered = messages.markdown(
            notice.kind,
            year=year,
            month=month,
            calls=notice.calls,
            quota=notice.quota,
            percent=notice.calls * 100 // max(notice.quota, 1),
            refused=notice.refused,
        )
        key = f"api:{notice.kind}:{notice.month}"
    users = office_recipients(services)
    if ROBOT_SEND not in notice.denied:
        param = {"title": rendered.title, "text": rendered.text}
        return [
            Outgoing(
                key, "oto", {"user_ids": users, "msg_key": "sampleMarkdown", "msg_param": param}
            )
        ]
    if WORK_NOTICE not in notice.denied:
        msg = {"msgtype": "markdown", "markdown": {"title": rendered.title, "text": rendered.text}}
        return [Outgoing(key + ":work", "work_notice", {"user_ids": users, "msg": msg})]
    return []


def budget_notifier(services: Services, outbox: Outbox) -> Notifier:
    """The :data:`bot.api_budget.Notifier` of the app: render and stage in the caller's
    storage call."""

    def notify(session: Session, notice: BudgetNotice) -> int:
        items = budget_notice_items(services, notice)
        outbox.stage(session, items)
        return len(items)

    return notify
