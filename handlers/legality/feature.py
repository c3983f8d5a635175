"""Legality review by the county justice bureau before a meeting (第十八条)."""

from __future__ import annotations

from bot.feature import Feature
from bot.router import Command
from handlers.legality.review import (
    LEGALITY_DOC_FORM,
    LEGALITY_FORM,
    is_legal_bureau,
    legality_flow,
    start_legality,
    start_legality_doc,
)

LEGALITY = Feature(
    "legality",
    commands=[
        Command("legality", start_legality),
        Command("legality_doc", start_legality_doc, audience=is_legal_bureau),
    ],
    forms=[LEGALITY_FORM, LEGALITY_DOC_FORM],
    flows=[legality_flow()],
)
