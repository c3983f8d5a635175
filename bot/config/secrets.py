"""Secrets come from the environment, never from the file: ``DINGTALK_APP_KEY``,
``DINGTALK_APP_SECRET``, ``DINGTALK_ROBOT_CODE`` (defaults to the app key) and
``DINGTALK_AGENT_ID``. A secret-looking key inside the file is itself a problem."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.config.locate import Where, ident_of
from bot.config.problems import ConfigProblem, ProblemTexts, Report
from bot.config_schema import Secrets

# Words that mark a key as a secret. Matched against the key's words, so that e.g.
# "secretarial" is not a secret but "app_secret", "accessToken" and "db_password" are.
_SECRET_WORDS = frozenset(
    {"secret", "secrets", "token", "tokens", "password", "passwd", "pwd", "credential"}
)
_SECRET_SUFFIXES = ("secret", "token", "password", "passwd", "aeskey", "privatekey")
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Settings that exist, but only as environment variables.
_ENV_ONLY = {
    "appkey": "DINGTALK_APP_KEY",
    "clientid": "DINGTALK_APP_KEY",
    "appsecret": "DINGTALK_APP_SECRET",
    "clientsecret": "DINGTALK_APP_SECRET",
    "robotcode": "DINGTALK_ROBOT_CODE",
    "agentid": "DINGTALK_AGENT_ID",
}


def _norm_key(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def _looks_secret(key: str) -> bool:
    words = {w for w in re.split(r"[_\-.\s]+", _CAMEL_RE.sub("_", key).lower()) if w}
    return bool(words & _SECRET_WORDS) or _norm_key(key).endswith(_SECRET_SUFFIXES)


def is_secret_key(key: str) -> bool:
    """Whether ``key`` must not be in the file (an env-only setting or a secret)."""
    return _norm_key(key) in _ENV_ONLY or _looks_secret(key)


def scan_secrets(report: Report, value: object, where: Where) -> None:
    """Report every secret-looking key anywhere in the file, with the environment
    variable that should hold it (None: the DingTalk ones in general)."""
    if not isinstance(value, dict):
        return
    for key, child in value.items():
        if is_secret_key(key):
            report.add(where, key, "secret_in_file", key=key, env=_ENV_ONLY.get(_norm_key(key)))
            continue
        child_table = f"{where.table}.{key}" if where.table else key
        if isinstance(child, dict):
            scan_secrets(report, child, Where(child_table))
        elif isinstance(child, list):
            for i, item in enumerate(child):
                if isinstance(item, dict):
                    scan_secrets(report, item, Where(child_table, i, ident_of(item)))


def load_secrets(env: Mapping[str, str]) -> Secrets:
    """Secrets from environment variables; raises :class:`ConfigError` naming every
    missing or invalid variable."""
    texts = ProblemTexts()
    problems: list[ConfigProblem] = []

    def need(name: str) -> str:
        value = env.get(name, "").strip()
        if not value:
            problems.append(texts.problem(texts.location(env=name), "env_missing", name=name))
        return value

    app_key = need("DINGTALK_APP_KEY")
    app_secret = need("DINGTALK_APP_SECRET")
    robot_code = env.get("DINGTALK_ROBOT_CODE", "").strip() or app_key
    agent_raw = need("DINGTALK_AGENT_ID")
    agent_id = 0
    if agent_raw:
        if agent_raw.isdigit() and int(agent_raw) > 0:
            agent_id = int(agent_raw)
        else:
            location = texts.location(env="DINGTALK_AGENT_ID")
            problems.append(texts.problem(location, "env_bad_agent_id", value=agent_raw))
    if problems:
        raise texts.error(problems)
    return Secrets(app_key=app_key, app_secret=app_secret, robot_code=robot_code, agent_id=agent_id)
