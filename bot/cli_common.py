"""What every ``govbot`` command shares: exit codes, printing, logging, storage refusals."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from bot.redact import install_redaction
from messages.render import Messages
from storage.errors import StorageError

EXIT_FAILED = 1  # doctor: a check failed; import-org: DingTalk refused
EXIT_CONFIG = 2
EXIT_STORAGE = 3
ADMIN_RETRIES = 3  # doctor / import-org: a few retries, then report

DEFAULT_CONFIG = Path("govbot.toml")
DEFAULT_DATA = Path("govbot-data")


def say(text: str, *, error: bool = False) -> None:
    stream = sys.stderr if error else sys.stdout
    stream.write(text + "\n")
    stream.flush()


def setup_logging(secrets: Sequence[str] = ()) -> None:
    logging.basicConfig(
        level=os.environ.get("GOVBOT_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_redaction(secrets)
    # One line per heartbeat would drown the log; problems are still logged (WARNING+).
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def storage_problem(messages: Messages, error: StorageError) -> str:
    """A storage refusal in Chinese, with what to do next."""
    return messages.text("storage_error", reason=error.reason, detail=str(error), **error.context)


def storage_refused(messages: Messages, template: str, error: StorageError) -> int:
    """Say why the data folder was refused (``template``: the command's wording)."""
    say(messages.text(template, missing=False, detail=storage_problem(messages, error)), error=True)
    return EXIT_STORAGE


def os_problem(error: OSError) -> str:
    """A file-system error as the OS words it (e.g. "Permission denied")."""
    return error.strerror or str(error)


@contextlib.contextmanager
def written_beside(path: Path) -> Iterator[TextIO]:
    """A UTF-8 text file written beside ``path`` and renamed over it once complete, so
    there is never half a file; on any error the partial file is removed."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            yield f
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
