"""Legality review by the county justice bureau before a meeting (第十八条)."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import Command
from handlers.legality import review

LEGALITY = Feature(
    "legality",
    commands=[
        Command("legality", review.start_legality),
        Command("legality_doc", review.start_legality_doc, audience=review.is_legal_bureau),
    ],
    forms=[review.LEGALITY_FORM, review.LEGALITY_DOC_FORM],
    flows=[review.legality_flow()],
)
