"""Distribution of issued documents through DingTalk (第七十八条).

Every recipient unit's responsible person gets the document on a card with a 签收 button
(the government office's group gets the same card to read); the issuing office holds a
card "已读 n/N，已签收 m/N" listing who is missing, brought up to date by its 刷新进度
button (answered in the click's ACK, which costs no DingTalk call), when everyone has
signed and when read checks find new readers. Recipients who have not signed are
reminded after one working day; after two the office is told. Who has *read* it is
tracked too (``read_ms``): every recipient also gets one work notification (工作通知,
one call for up to 5,000 people), whose send result says who has opened it, see
handlers/distribution/read_tracking.py; a 签收 implies it. 涉密 documents are never sent: recipients
are told to collect them through the confidential channel.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.card_buttons import button
from bot.clock import from_epoch_ms, to_epoch_ms
from bot.errors import NotAuthorized, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CardContext, CardPayload, CardResult
from bot.scheduler import DeadlineAction
from handlers.common.notify import markdown_message

if TYPE_CHECKING:
    from bot.services import Services
    from storage.session import Session

DISTRIBUTIONS = "distributions"
# The office's progress card is pushed at most this often (every 签收 and every read
# found would be one DingTalk call each: 200 per distribution to every unit); in between
# its 刷新进度 button shows the current state for free.
OFFICE_CARD_THROTTLE_S = 60 * 60
SIGN = "doc.sign"
PROGRESS = "doc.progress"


# Recipients per 1:1 notice of distributions stored before notices became one work
# notification: DingTalk's batchSend takes 20 userIds.
NOTICE_BATCH = 20


def notice_key(number: str, user_id: str) -> str:
    """Outbox key of a recipient's own 1:1 notice (distributions stored before notices
    were batched; the row's result holds the processQueryKey)."""
    return f"dist:{number}:notice:{user_id}"


def notice_batch_key(number: str, index: int) -> str:
    """Outbox key of the ``index``-th batched 1:1 notice of a distribution."""
    return f"dist:{number}:notices:{index}"


def work_notice_key(number: str) -> str:
    """Outbox key of a distribution's work notification to all its recipients."""
    return f"dist:{number}:work-notice"


def card_id(number: str, suffix: str) -> str:
    return "gd" + hashlib.sha256(f"{number}/{suffix}".encode()).hexdigest()[:30]


@dataclass(frozen=True)
class SignFor(CardPayload):
    doc: str


@dataclass(frozen=True)
class ShowProgress(CardPayload):
    doc: str


def _fields(services: Services, document: dict[str, Any]) -> list[dict[str, str]]:
    issued = datetime.fromisoformat(document["issued_at"])
    word = services.messages.word
    date = word("date", year=issued.year, month=issued.month, day=issued.day)
    return [
        {"label": word("doc_number"), "value": document["id"]},
        {"label": word("issuer"), "value": document["issuer"]},
        {"label": word("issued_on"), "value": date},
        {"label": word("disclosure"), "value": document["disclosure"]},
    ]


def recipient_public(services: Services, document: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": document["title"],
        "status": services.messages.word("status_to_sign"),
        "status_color": "blue",
        "fields": _fields(services, document),
        "body": services.messages.fragment("distribution_body", body=document["body"] or ""),
        "progress": "",
        "missing": "",
    }


def recipient_private(services: Services, number: str, signed_ms: int | None) -> dict[str, Any]:
    if signed_ms is not None:
        moment = from_epoch_ms(signed_ms)
        return {
            "can_act": False,
            "actions": [],
            "note": services.messages.text(
                "distribution_signed_note", when=f"{moment:%Y-%m-%d %H:%M}"
            ),
        }
    return {
        "can_act": True,
        "note": "",
        "actions": [button(SIGN, services.messages.word("button_sign"), "primary", doc=number)],
    }


def office_private(services: Services, number: str) -> dict[str, Any]:
    label = services.messages.word("button_progress")
    return {"can_act": True, "note": "", "actions": [button(PROGRESS, label, "normal", doc=number)]}


def _progress(record: dict[str, Any]) -> tuple[int, int, list[str]]:
    recipients = record["recipients"]
    signed = sum(1 for r in recipients.values() if r["signed_ms"] is not None)
    missing = [u for u, r in recipients.items() if r["signed_ms"] is None]
    return signed, len(recipients), missing


def has_read(entry: dict[str, Any]) -> bool:
    """A recipient has read the document: seen reading the notice, or signed for it."""
    return entry.get("read_ms") is not None or entry.get("signed_ms") is not None


def read_count(record: dict[str, Any]) -> int:
    return sum(1 for r in record["recipients"].values() if has_read(r))


def office_card_update(
    services: Services, session: Session, record: dict[str, Any], key_suffix: str
) -> Outgoing:
    """The office progress card refreshed from ``record`` (staged in the caller's storage
    call, with the change it shows)."""
    document = session.collection("documents").get(record["id"]) or {}
    return Outgoing(
        f"{record['office_card_id']}:{key_suffix}",
        "card_update",
        {
            "out_track_id": record["office_card_id"],
            "card_data": office_public(services, document, record),
            "private_data": None,
            # At most one update per OFFICE_CARD_THROTTLE_S; the newest one wins.
            "throttle_s": OFFICE_CARD_THROTTLE_S,
        },
    )


def office_public(
    services: Services, document: dict[str, Any], record: dict[str, Any]
) -> dict[str, Any]:
    signed, total, missing = _progress(record)
    directory = services.directory
    rows = []
    for user in missing:
        unit = directory.unit(record["recipients"][user]["unit"])
        person = directory.person(user)
        rows.append(
            {
                "unit": unit.name if unit else "",
                "name": person.name if person else user,
                "read": has_read(record["recipients"][user]),
            }
        )
    return {
        "title": document["title"],
        "status": services.messages.word("status_signing" if missing else "status_all_signed"),
        "status_color": "green" if not missing else "blue",
        "fields": _fields(services, document),
        "body": "",
        "progress": services.messages.text(
            "distribution_progress", read=read_count(record), signed=signed, total=total
        ),
        "missing": services.messages.fragment("distribution_missing", rows=rows),
    }


async def sign_for(ctx: CardContext, payload: SignFor) -> CardResult:
    services = ctx.services

    def sign(session: Session) -> CardResult:
        distributions = session.collection(DISTRIBUTIONS)
        record = distributions.get(payload.doc)
        if record is None or ctx.card.get("distribution") != payload.doc:
            raise UserFacingError("card_expired")
        entry = record["recipients"].get(ctx.user_id)
        if entry is None:
            raise NotAuthorized("distribution_not_recipient")
        if entry["signed_ms"] is not None:
            return CardResult(
                private_data=recipient_private(services, payload.doc, entry["signed_ms"])
            )
        entry["signed_ms"] = to_epoch_ms(services.clock.now())
        if entry.get("read_ms") is None:  # 签收 implies read
            entry["read_ms"] = entry["signed_ms"]
        distributions.update(payload.doc, {"recipients": record["recipients"]})
        if not _progress(record)[2]:  # the last one: the office sees it without asking
            office_card = office_card_update(services, session, record, "all-signed")
            services.outbox.stage(session, [office_card])
        return CardResult(private_data=recipient_private(services, payload.doc, entry["signed_ms"]))

    return await services.db.run(sign)


async def show_progress(ctx: CardContext, payload: ShowProgress) -> CardResult:
    """刷新进度 on the office card: the current state, carried back in the ACK."""
    services = ctx.services

    def progress(session: Session) -> CardResult:
        record = session.collection(DISTRIBUTIONS).get(payload.doc)
        if record is None or ctx.card.get("distribution") != payload.doc:
            raise UserFacingError("card_expired")
        if ctx.out_track_id != record["office_card_id"] or ctx.user_id not in record["office"]:
            raise NotAuthorized("distribution_not_office")
        document = session.collection("documents").get(payload.doc) or {}
        return CardResult(
            card_data=office_public(services, document, record),
            private_data=office_private(services, payload.doc),
        )

    return await services.db.run(progress)


def escalate_working_days(services: Services) -> int:
    """Working days before the drafter is told who has not signed: at least one more
    than before the recipients are reminded."""
    rules = services.config.rules
    return max(rules.distribution_escalate_working_days, rules.distribution_remind_working_days + 1)


def distribution_actions(services: Services) -> dict[str, DeadlineAction]:
    def unsigned(session: Session, number: str) -> tuple[dict[str, Any] | None, list[str]]:
        record = session.collection(DISTRIBUTIONS).get(number)
        if record is None:
            return None, []
        return record, _progress(record)[2]

    def remind(session: Session, action: dict[str, Any]) -> list[Outgoing]:
        record, missing = unsigned(session, str(action["doc"]))
        if record is None:
            return []
        outgoing = []
        for u in missing:
            rendered = services.messages.markdown(
                "distribution_remind",
                number=record["id"],
                title=record["title"],
                read=has_read(record["recipients"][u]),
                days=services.config.rules.distribution_remind_working_days,
            )
            outgoing.append(markdown_message(f"dist:{record['id']}:remind:{u}", u, rendered))
        return outgoing

    def escalate(session: Session, action: dict[str, Any]) -> list[Outgoing]:
        record, missing = unsigned(session, str(action["doc"]))
        if record is None or not missing:
            return []
        directory = services.directory
        units = []
        for user in missing:
            entry = record["recipients"][user]
            unit = directory.unit(entry["unit"])
            units.append({"name": unit.name if unit else user, "read": has_read(entry)})
        rendered = services.messages.markdown(
            "distribution_escalate",
            number=record["id"],
            title=record["title"],
            units=units,
            read=read_count(record),
            signed=_progress(record)[0],
            total=len(record["recipients"]),
            days=escalate_working_days(services),
        )
        return [
            markdown_message(f"dist:{record['id']}:escalate:{u}", u, rendered)
            for u in record["office"]
        ]

    return {"dist.remind": remind, "dist.escalate": escalate}
