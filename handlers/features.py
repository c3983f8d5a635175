"""Every feature of the bot, listed once; the order is the order of 帮助."""

from __future__ import annotations

from bot.feature import Feature
from handlers.agenda.feature import AGENDA
from handlers.approvals.feature import APPROVALS
from handlers.basics.feature import BASICS
from handlers.contracts.feature import CONTRACTS
from handlers.delivery.feature import DELIVERY
from handlers.distribution.feature import DISTRIBUTION
from handlers.documents.feature import DOCUMENTS
from handlers.emergencies.feature import EMERGENCIES_FEATURE
from handlers.information.feature import INFORMATION_FEATURE
from handlers.invitations.feature import INVITATIONS
from handlers.leave.feature import LEAVE
from handlers.legality.feature import LEGALITY
from handlers.letters.feature import LETTERS_FEATURE
from handlers.meetings.feature import MEETINGS
from handlers.normative.feature import NORMATIVE_FEATURE
from handlers.requests.feature import REQUESTS
from handlers.supervision.feature import SUPERVISION

FEATURES: list[Feature] = [
    BASICS,
    APPROVALS,
    REQUESTS,
    DOCUMENTS,
    DISTRIBUTION,
    LEAVE,
    MEETINGS,
    AGENDA,
    LEGALITY,
    NORMATIVE_FEATURE,
    CONTRACTS,
    INVITATIONS,
    SUPERVISION,
    EMERGENCIES_FEATURE,
    LETTERS_FEATURE,
    INFORMATION_FEATURE,
    DELIVERY,
]
