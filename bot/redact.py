"""Keep DingTalk credentials out of the logs.

Access tokens, app secrets, stream tickets, ``session=`` webhooks and signed download URLs
are bearer credentials. :class:`SecretRedactor` is a :class:`logging.Filter` that rewrites
every record passing through a handler; :func:`install_redaction` attaches one to the root
logger's handlers and quiets ``httpx``/``httpcore``, which log full URLs at INFO/DEBUG.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Iterable

MASK = "***"

# key=value in URLs and query strings (access_token=..., ticket=..., session=...).
_QUERY_KEYS = (
    "access_token",
    "accessToken",
    "appsecret",
    "appSecret",
    "clientSecret",
    "client_secret",
    "app_secret",
    "ticket",
    "session",
    "signature",
    "Signature",
    "x-oss-signature",
)
_QUERY_RE = re.compile(
    r"(?i)(?<![\w-])((?:" + "|".join(re.escape(k) for k in _QUERY_KEYS) + r")=)[^&\s\"'<>,;)}\]]+"
)

# "key": "value" / 'key': 'value' / key: value / (b'key', b'value') in dumped dicts,
# JSON bodies and header lists.
_FIELD_KEYS = (
    "x-acs-dingtalk-access-token",
    "access_token",
    "accessToken",
    "appSecret",
    "appsecret",
    "app_secret",
    "clientSecret",
    "client_secret",
    "ticket",
    "sessionWebhook",
    "session_webhook",
    "downloadUrl",
    "download_url",
)
_FIELD_RE = re.compile(
    r"(?i)((?:b?[\"'])?(?:"
    + "|".join(re.escape(k) for k in _FIELD_KEYS)
    + r")(?:[\"'])?\s*[:,]\s*b?[\"']?)([^\"'\s,)}\]]+)"
)


class SecretRedactor(logging.Filter):
    """A handler filter that masks credentials in log messages and tracebacks.

    Besides the key-based patterns, exact secret strings can be registered (the app
    secret, a token just fetched, ...); each occurrence is replaced by ``***``.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        for secret in secrets:
            self.register(secret)

    def register(self, secret: str) -> None:
        """Mask this exact string from now on (strings shorter than 4 chars are ignored)."""
        if len(secret) < 4:
            return
        with self._lock:
            self._secrets = self._secrets | {secret}

    def redact(self, text: str) -> str:
        # Longest first, so a secret containing another secret is masked whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        text = _QUERY_RE.sub(lambda m: m.group(1) + MASK, text)
        return _FIELD_RE.sub(lambda m: m.group(1) + MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken log call (wrong args); keep what we can, redacted
            message = f"{record.msg!s} {record.args!r}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            if not record.exc_text:
                record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = self.redact(record.exc_text)
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_installed: list[SecretRedactor] = []


def install_redaction(secrets: Iterable[str]) -> None:
    """Attach a :class:`SecretRedactor` to every handler of the root logger.

    Call it after logging is configured (handlers added later are not covered; calling it
    again covers them and reuses the same redactor). Also sets the ``httpx`` and
    ``httpcore`` loggers to WARNING so request URLs are not logged at all.
    """
    if _installed:
        redactor = _installed[0]
        for secret in secrets:
            redactor.register(secret)
    else:
        redactor = SecretRedactor(secrets)
        _installed.append(redactor)
    for handler in logging.getLogger().handlers:
        if redactor not in handler.filters:
            handler.addFilter(redactor)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def register_secret(secret: str) -> None:
    """Mask ``secret`` in the installed redactor (e.g. a token fetched at runtime).

    A no-op before :func:`install_redaction`; pass it as ``DingTalkClient(secret_sink=...)``.
    """
    for redactor in _installed:
        redactor.register(secret)
