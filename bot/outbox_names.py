"""Names the outbox's rows live under, shared by the outbox and what reads it."""

from __future__ import annotations

OUTBOX = "outbox"
MERGED = "merged"  # a member of a batch item (see bot/coalesce.py); never sent itself
TODOS = "todos"
