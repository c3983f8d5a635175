"""Starting the distribution of an issued document (第七十八条): the record stored, the
recipients' and the office's cards, the file, the work notification and the reminders;
a 涉密 document only tells the recipients to collect it (see distribute.py)."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from bot.cards import CARDS
from bot.clock import TZ, to_epoch_ms
from bot.outgoing import Outgoing, file_to
from bot.scheduler import schedule_reminder
from handlers.common.notify import markdown_message
from handlers.distribution.distribute import (
    DISTRIBUTIONS,
    card_id,
    escalate_working_days,
    office_private,
    office_public,
    recipient_private,
    recipient_public,
    work_notice_key,
)
from messages.vocabulary import input_word

if TYPE_CHECKING:
    from bot.calendar import WorkCalendar
    from bot.services import Services
    from storage.session import Session


def _recipients(services: Services, document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each recipient unit's responsible person, and the people named directly (e.g. the
    leaders who attended a meeting, for its minutes); nobody twice."""
    directory = services.directory
    recipients: dict[str, dict[str, Any]] = {}
    for unit_id in document["recipient_units"]:
        head = directory.unit_head(unit_id)
        if head is not None and head.user_id not in recipients:
            recipients[head.user_id] = {"unit": unit_id, "signed_ms": None, "read_ms": None}
    for user_id in document.get("recipient_people", []):
        person = directory.person(user_id)
        if person is not None and user_id not in recipients:
            recipients[user_id] = {"unit": person.unit_id, "signed_ms": None, "read_ms": None}
    return recipients


def _new_record(
    document: dict[str, Any],
    flow: dict[str, Any],
    recipients: dict[str, dict[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    number = document["id"]
    record = {
        "id": number,
        "title": document["title"],
        "recipients": recipients,
        "office": [flow["submitter"]],
        "card_id": card_id(number, "recipients"),
        "office_card_id": card_id(number, "office"),
        "secret": document["disclosure"] == input_word("documents.secret"),
        "created_ms": to_epoch_ms(now),
    }
    if not record["secret"]:
        # No robot notices (``notices`` of older records): one work notification.
        record["notices"] = {}
        record["work_notice"] = work_notice_key(number)
    return record


def _secret_notices(
    services: Services, document: dict[str, Any], record: dict[str, Any]
) -> list[Outgoing]:
    """涉密: never sent; each recipient is told (naming the issuer the drafter chose) to
    collect it through the channel."""
    number = record["id"]
    rendered = services.messages.markdown(
        "distribution_secret", number=number, title=record["title"], issuer=document["issuer"]
    )
    return [
        markdown_message(f"dist:{number}:secret:{u}", u, rendered) for u in record["recipients"]
    ]


def _cards(
    services: Services, session: Session, document: dict[str, Any], record: dict[str, Any]
) -> list[Outgoing]:
    """The recipients' card (with 签收; the government office's group reads it too) and
    the office's progress card, both registered as this distribution's cards."""
    number = record["id"]
    recipients = list(record["recipients"])
    office = record["office"]
    template = services.config.cards["notice"]
    for card in (record["card_id"], record["office_card_id"]):
        session.collection(CARDS).insert({"id": card, "distribution": number})
    group = services.directory.group_for("gov_office")
    return [
        Outgoing(
            f"{record['card_id']}:create",
            "card",
            {
                "template_id": template,
                "out_track_id": record["card_id"],
                "card_data": recipient_public(services, document),
                "user_ids": recipients,
                "group_ids": [group.conversation_id] if group else [],
                "private_data": {u: recipient_private(services, number, None) for u in recipients},
            },
        ),
        Outgoing(
            f"{record['office_card_id']}:create",
            "card",
            {
                "template_id": template,
                "out_track_id": record["office_card_id"],
                "card_data": office_public(services, document, record),
                "user_ids": office,
                "group_ids": [],
                "private_data": {u: office_private(services, number) for u in office},
            },
        ),
    ]


def _work_notice(services: Services, document: dict[str, Any], record: dict[str, Any]) -> Outgoing:
    """A work notification to every recipient as well (one call): its send result (one
    call per check) tells the office who has opened it, besides who has signed."""
    notice = services.messages.markdown(
        "distribution_notice",
        number=record["id"],
        title=document["title"],
        issuer=document["issuer"],
    )
    msg = {"msgtype": "markdown", "markdown": {"title": notice.title, "text": notice.text}}
    return Outgoing(
        record["work_notice"], "work_notice", {"user_ids": list(record["recipients"]), "msg": msg}
    )


def chasing_moment(calendar: WorkCalendar, start: datetime, days: int, morning: time) -> datetime:
    """The working morning (``morning``, Beijing time) of the ``days``-th working day
    after ``start``: a reminder arrives when the office opens, never in the evening or
    over a weekend or holiday."""
    day, _ = calendar.add_workdays(start.astimezone(TZ).date(), days)
    return datetime.combine(day, morning, tzinfo=TZ)


def chasing_moments(services: Services, now: datetime) -> tuple[datetime, datetime]:
    """When unsigned recipients are reminded, and when the drafter is told who still has
    not signed: at least one working morning after the reminder."""
    rules = services.config.rules
    morning = rules.daily_digest_time
    return (
        chasing_moment(services.calendar, now, rules.distribution_remind_working_days, morning),
        chasing_moment(services.calendar, now, escalate_working_days(services), morning),
    )


def _schedule_chasing(services: Services, session: Session, number: str, now: datetime) -> None:
    """Unsigned recipients reminded, then the drafter told (第七十八条)."""
    remind, escalate = chasing_moments(services, now)
    for due, kind in ((remind, "dist.remind"), (escalate, "dist.escalate")):
        schedule_reminder(
            session, f"dist:{number}:{kind}", due, [], action={"type": kind, "doc": number}
        )


def start_distribution(
    services: Services,
    session: Session,
    document: dict[str, Any],
    flow: dict[str, Any],
    now: datetime,
) -> list[Outgoing]:
    """Stores the distribution of an issued document and returns what goes out."""
    record = _new_record(document, flow, _recipients(services, document), now)
    session.collection(DISTRIBUTIONS).insert(record)
    if record["secret"]:
        return _secret_notices(services, document, record)
    outgoing = _cards(services, session, document, record)
    attachment = document.get("attachment")
    if attachment:  # the document file itself, to every recipient (第七十八条)
        outgoing.append(
            file_to(
                f"dist:{record['id']}:file",
                user_ids=list(record["recipients"]),
                path=attachment["path"],
                name=attachment["name"],
            )
        )
    outgoing.append(_work_notice(services, document, record))
    _schedule_chasing(services, session, record["id"], now)
    return outgoing
