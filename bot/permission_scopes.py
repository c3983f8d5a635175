"""The DingTalk permission scopes (权限点) the bot's app needs, for administrators.

The list itself is :data:`bot.api_scopes.SCOPES` (one source of truth: the outbox uses
it to name a missing permission); this module adds what an administrator needs to know
about each: whether the running bot needs it or only ``govbot import-org`` does, its
name in the developer console and what it is used for (Chinese, in
``messages/templates/cli_doctor_scope.txt.j2``). ``govbot doctor`` probes every scope;
docs/deploy.md lists every scope (a test keeps them in step).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.api_scopes import DEPARTMENT_READ, SCOPES
from messages.render import Messages

# Scopes only the administration commands use (not the running bot).
ADMIN_ONLY: frozenset[str] = frozenset({DEPARTMENT_READ})


@dataclass(frozen=True, slots=True)
class Scope:
    key: str  # the scope code as the developer console shows it
    runtime: bool  # needed while the bot runs (False: only by ``govbot import-org``)


ALL_SCOPES: tuple[Scope, ...] = tuple(Scope(key, key not in ADMIN_ONLY) for key in SCOPES)
SCOPE_KEYS: tuple[str, ...] = tuple(s.key for s in ALL_SCOPES)


def scope_purpose(messages: Messages, scope: str) -> str:
    """What the scope is used for, in Chinese."""
    return messages.text("cli_doctor_scope", scope=scope, part="purpose")


def scope_title(messages: Messages, scope: str) -> str:
    """The scope's name in the developer console (权限名称), in Chinese."""
    return messages.text("cli_doctor_scope", scope=scope, part="title")
