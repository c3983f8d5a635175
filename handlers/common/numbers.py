"""Yearly numbers such as QJ2026-0007: a stored counter per kind and year."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.session import Session


def next_number(session: Session, counter: str, prefix: str, year: int) -> str:
    """The next number of ``counter`` in ``year`` (counter key ``<counter>:<year>``),
    written ``<prefix><year>-<4 digits>``."""
    number = session.counter_next(f"{counter}:{year}")
    return f"{prefix}{year}-{number:04d}"
