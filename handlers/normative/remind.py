"""Every working morning (第二十三条: 规范性文件实施后要进行评估): a document whose
evaluation day (6 months before the end of its validity period) has come is brought to
the issuing unit's head and the 司法局's head, once; a document past its validity period
with no clean-up decision is marked 失效. Stored and staged in one storage call."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.clock import to_epoch_ms
from bot.outgoing import Outgoing
from handlers.common.notify import markdown_message
from handlers.normative.model import EXPIRED, IN_FORCE, NORMATIVE, NORMATIVE_LIFECYCLE
from handlers.normative.register import issuer_name

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session


def evaluators(services: Services, record: Mapping[str, Any]) -> list[str]:
    """The issuing unit's head and the 司法局's head, each once."""
    people = [services.directory.unit_head(record["unit"])]
    bureau = services.directory.unit_with_role("legal_bureau")
    if bureau is not None:
        people.append(services.directory.unit_head(bureau.unit_id))
    return list(dict.fromkeys(p.user_id for p in people if p is not None))


async def remind(services: Services, today: date) -> list[Outgoing]:
    now = services.clock.now()

    def work(session: Session) -> None:
        records = session.collection(NORMATIVE)
        outgoing: list[Outgoing] = []
        for record in sorted(records.find(lambda d: d["state"] in IN_FORCE), key=_by_id):
            if today > date.fromisoformat(record["valid_until"]):
                records.update(record["id"], NORMATIVE_LIFECYCLE.change(record, EXPIRED))
            elif not record["reminded_ms"] and today >= date.fromisoformat(record["remind_on"]):
                records.update(record["id"], {"reminded_ms": to_epoch_ms(now)})
                outgoing += _reminders(services, record)
        services.outbox.stage(session, outgoing)

    await services.db.run(work)
    services.outbox.wake()
    return []


def _by_id(record: Mapping[str, Any]) -> str:
    return str(record["id"])


def _reminders(services: Services, record: Mapping[str, Any]) -> list[Outgoing]:
    rendered = services.messages.markdown(
        "nd_evaluate",
        number=record["id"],
        title=record["title"],
        doc_number=record["doc_number"],
        unit=issuer_name(services, record),
        until=record["valid_until"],
        months=services.config.rules.normative_remind_months,
    )
    return [
        markdown_message(f"normative:{record['id']}:evaluate:{user}", user, rendered)
        for user in evaluators(services, record)
    ]
