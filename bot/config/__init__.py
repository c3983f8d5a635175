"""Load and validate the bot's one TOML configuration file; read secrets from the environment.

``check_config`` reports every problem at once, each with the TOML line (found by
searching the text for the table and key) and an explanation in Chinese that tells the
office what to change. ``load_config`` raises :class:`ConfigError` carrying that list.

Secrets never live in the file (see :mod:`bot.config.secrets`).
"""

from __future__ import annotations

from bot.config.loader import check_config, load_config
from bot.config.problems import ConfigError, ConfigProblem
from bot.config.secrets import load_secrets
from bot.config_schema import (
    ROLE_KEYS,
    ROLE_NAMES,
    UNIT_KINDS,
    UNIT_ROLE_KEYS,
    Config,
    County,
    DingTalkSettings,
    Group,
    Person,
    RuleParams,
    Secrets,
    Unit,
    YearCalendar,
)
from bot.org import OrgDirectory

__all__ = [
    "ROLE_KEYS",
    "ROLE_NAMES",
    "UNIT_KINDS",
    "UNIT_ROLE_KEYS",
    "Config",
    "ConfigError",
    "ConfigProblem",
    "County",
    "DingTalkSettings",
    "Group",
    "OrgDirectory",
    "Person",
    "RuleParams",
    "Secrets",
    "Unit",
    "YearCalendar",
    "check_config",
    "load_config",
    "load_secrets",
]
