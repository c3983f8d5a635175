"""The office's decision on the information card: 采用 at the county, city or province
level, or 不采用 with a reason. The first decision counts; the submitter is told."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.errors import NotAuthorized, RuleViolation, UserFacingError
from bot.outgoing import Outgoing
from bot.router import CardContext, CardResult
from handlers.approvals.actions import FlowAct
from handlers.common.notify import markdown_message
from handlers.information.card import INFORMATION_CARD, refresh_card, status_text
from handlers.information.model import (
    ADOPTED,
    CHOICES,
    LEVELS,
    NOT_ADOPTED_CHOICE,
    SUBMITTED,
    decide,
    get_item,
)
from handlers.information.people import staff
from handlers.supervision.people import name_of

if TYPE_CHECKING:
    from datetime import datetime

    from bot.services import Services
    from storage.session import Session

# The information card is an approval card: ``flow`` is the item's number, ``decision``
# the level adopted or "reject", ``opinion`` the reason of a 不采用.
InformationAct = FlowAct


def apply_decision(
    services: Services,
    session: Session,
    number: str,
    user: str,
    choice: str,
    *,
    text: str,
    now: datetime,
) -> tuple[dict[str, Any], list[Outgoing]]:
    """``text`` is the reason of a 不采用. Inside the caller's storage call; refusals
    raise before anything changes."""
    item = get_item(session, number)
    if item is None:
        raise UserFacingError("info_unknown", number=number[:20])
    if user not in staff(services):
        raise NotAuthorized("info_not_staff", number=number)
    if item["state"] != SUBMITTED:
        raise UserFacingError(
            "info_decided",
            number=number,
            status=status_text(services.messages, item),
            who=name_of(services, item["decided_by"] or ""),
        )
    if choice not in CHOICES:
        raise UserFacingError("card_expired")
    reason = " ".join(text.split())[:500]
    if choice == NOT_ADOPTED_CHOICE and not reason:
        raise RuleViolation("info_reason_required")
    decide(item, choice, user, reason, now)
    outgoing = refresh_card(services, session, item)
    rendered = services.messages.markdown(
        "info_decision",
        number=item["id"],
        title=item["title"],
        adopted=item["state"] == ADOPTED,
        level=services.messages.label("information_levels", choice) if choice in LEVELS else "",
        reason=reason,
    )
    outgoing.append(markdown_message(f"information:{item['id']}:decided", item["by"], rendered))
    return item, outgoing


async def act_on_information(ctx: CardContext, payload: FlowAct) -> CardResult:
    return await INFORMATION_CARD.answer(ctx, payload, apply_decision)
