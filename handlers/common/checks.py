"""Guards against programming errors in how a record is built: a code outside its
vocabulary (a channel, a category, a format) is a bug of the caller, never user input."""

from __future__ import annotations

from collections.abc import Collection


def one_of(value: str, vocabulary: Collection[str], what: str) -> str:
    """``value``, which must be one of ``vocabulary`` (``what`` names it in the error)."""
    if value not in vocabulary:
        raise ValueError(f"unknown {what} {value!r}")
    return value
