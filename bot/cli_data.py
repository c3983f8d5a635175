"""``govbot`` commands on a data folder: site build, export, backup and restore."""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TextIO, TypeVar

from bot.cli_common import (
    DEFAULT_CONFIG,
    DEFAULT_DATA,
    EXIT_CONFIG,
    EXIT_STORAGE,
    os_problem,
    say,
    storage_problem,
    storage_refused,
    written_beside,
)
from bot.clock import SystemClock
from bot.config import Config, ConfigError, load_config
from handlers.distribution.site_build import default_site_dir
from messages.render import Messages
from storage.database import Database
from storage.errors import StorageError

_T = TypeVar("_T")


def _with_database(
    messages: Messages, data: Path, refused: str, work: Callable[[Database], int]
) -> int:
    """Open the data folder (taking its lock), run ``work`` on it and close it again.

    A missing folder or a storage refusal, on opening or during the work, is said with
    the command's ``refused`` wording and ends the command with ``EXIT_STORAGE``."""
    if not data.is_dir():
        say(messages.text(refused, missing=True, data=str(data)), error=True)
        return EXIT_STORAGE
    try:
        db = Database.open_sync(data)
    except StorageError as error:
        return storage_refused(messages, refused, error)
    try:
        return work(db)
    except StorageError as error:
        return storage_refused(messages, refused, error)
    finally:
        db.close_sync()


# -- site build ---------------------------------------------------------------------------


def cmd_site_build(args: argparse.Namespace) -> int:
    from handlers.distribution.site_build import SiteError
    from handlers.distribution.site_publisher import rebuild_site_from_storage

    messages = Messages()
    try:
        config = load_config(Path(args.config))
    except ConfigError as error:
        say(
            messages.text("cli_config_problems", path=str(args.config), problems=error.problems),
            error=True,
        )
        return EXIT_CONFIG
    data = Path(args.data)
    out = Path(args.out) if args.out else default_site_dir(data)

    def build(db: Database) -> int:
        try:
            report = rebuild_site_from_storage(db, out, county=config.county.name)
        except SiteError as error:
            refusal = messages.text(
                "cli_site_refused", reason=error.reason, path=str(error.path), data=str(data)
            )
            say(refusal, error=True)
            return EXIT_CONFIG
        say(
            messages.text(
                "cli_site_built",
                out=str(report.out_dir),
                published=len(report.published),
                attachments=report.attachments,
                withheld=report.withheld,
                problems=report.problems,
            )
        )
        return 0

    return _with_database(messages, data, "cli_site_storage_refused", build)


# -- export -------------------------------------------------------------------------------

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_day(text: str) -> date | None:
    """A strict YYYY-MM-DD date (a Beijing date), or None."""
    if not _DATE_RE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# What `govbot export <what>` offers (handlers/exports.py; listed here so that the parser
# does not import every feature).
EXPORT_NAMES = ("audit", "emergencies", "information", "leave", "normative", "supervision")


def _readable_config(config_path: str) -> Config | None:
    """The organisation file, when it is at hand and sound (names, holidays, limits)."""
    path = Path(config_path)
    if not path.is_file():
        return None
    try:
        return load_config(path)
    except ConfigError:
        return None


def _run_export(write: Callable[[TextIO], int], out_path: Path | None) -> int:
    """To a file (written beside it, then renamed: never half a file) or to stdout."""
    if out_path is None:
        stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            return write(stdout)
        finally:
            stdout.flush()
            stdout.detach()
    with written_beside(out_path) as f:
        return write(f)


def _bad_export_args(messages: Messages, **context: object) -> None:
    say(messages.text("cli_export_bad_args", **context), error=True)


def _export_days(messages: Messages, args: argparse.Namespace) -> tuple[date, date] | None:
    """The first and last day to export (``--year``, or ``--from`` and ``--to``), or None
    after saying which option is wrong."""
    start, end = args.start, args.end
    if args.year is not None:
        if not 2000 <= args.year <= 2100:
            _bad_export_args(messages, reason="bad_date", option="--year", value=args.year)
            return None
        start = start or f"{args.year}-01-01"
        end = end or f"{args.year}-12-31"
    days: list[date] = []
    for option, value in (("--from", start), ("--to", end)):
        day = None if value is None else _parse_day(value)
        if day is None:
            _bad_export_args(messages, reason="bad_date", option=option, value=value or "")
            return None
        days.append(day)
    first, last = days
    if first > last:
        _bad_export_args(messages, reason="from_after_to", start=first, end=last)
        return None
    return first, last


def cmd_export(args: argparse.Namespace) -> int:
    messages = Messages()
    days = _export_days(messages, args)
    if days is None:
        return EXIT_CONFIG
    start, end = days
    out_path = Path(args.out) if args.out else None

    config = _readable_config(args.config)
    today = SystemClock().now().date()

    def write(db: Database) -> int:
        from handlers.export_request import ExportRequest
        from handlers.exports import EXPORTS

        def to(out: TextIO) -> int:
            request = ExportRequest(db, start, end, args.format, out, config, today, messages)
            return EXPORTS[args.what](request)

        try:
            count = _run_export(to, out_path)
        except OSError as error:
            path, detail = str(out_path), os_problem(error)
            _bad_export_args(messages, reason="out_unwritable", path=path, detail=detail)
            return EXIT_CONFIG
        done = messages.text(
            "cli_export_done",
            what=args.what,
            count=count,
            start=start,
            end=end,
            path=args.out or "",
        )
        say(done, error=True)  # stdout may carry the export itself
        return 0

    return _with_database(messages, Path(args.data), "cli_export_storage_refused", write)


# -- backup and restore -------------------------------------------------------------------


def _size_text(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def _backup_problem(error: Exception) -> str:
    """Why a backup or restore failed, in Chinese (a file-system error as the OS says)."""
    from storage.backup import BackupError

    if isinstance(error, BackupError):
        return Messages().text("cli_backup_error", reason=error.reason, **error.context)
    return str(error)


def _archive_step(messages: Messages, failed: str, step: Callable[[], _T]) -> _T | None:
    """Run a backup or restore; on failure say why (the ``failed`` wording) and give None."""
    from storage.backup import BackupError

    try:
        return step()
    except (BackupError, OSError) as error:
        say(messages.text("cli_backup", part=failed, detail=_backup_problem(error)), error=True)
        return None


def cmd_backup(args: argparse.Namespace) -> int:
    from storage.backup import backup

    messages = Messages()
    data, out = Path(args.data), Path(args.out)
    report = _archive_step(messages, "failed", lambda: backup(data, out))
    if report is None:
        return EXIT_STORAGE
    say(
        messages.text(
            "cli_backup",
            part="done",
            data=str(data),
            out=str(out),
            files=report.files,
            size=_size_text(report.bytes),
            journal=_size_text(report.journal_bytes) if report.journal_bytes else "",
        )
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from storage.backup import restore

    messages = Messages()
    archive, data = Path(args.archive), Path(args.data)
    files = _archive_step(messages, "restore_failed", lambda: restore(archive, data))
    if files is None:
        return EXIT_STORAGE
    try:  # the journal applied, every file checked, before any bot uses it
        Database.open_sync(data).close_sync()
    except StorageError as error:
        say(
            messages.text(
                "cli_backup",
                part="restore_bad",
                detail=storage_problem(messages, error),
                data=str(data),
            ),
            error=True,
        )
        return EXIT_STORAGE
    say(
        messages.text(
            "cli_backup", part="restored", archive=str(archive), data=str(data), files=files
        )
    )
    return 0


# -- the parser ---------------------------------------------------------------------------


def add_data_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], texts: Messages
) -> None:
    """``site build``, ``backup``, ``restore`` and ``export``."""
    site = sub.add_parser("site", help=texts.text("cli_site_help", part="command"))
    site_sub = site.add_subparsers(dest="site_command", required=True)
    site_build = site_sub.add_parser(
        "build", help="render published documents to a static site (needs the data lock)"
    )
    site_build.add_argument("--config", default=str(DEFAULT_CONFIG))
    site_build.add_argument("--data", default=str(DEFAULT_DATA))
    site_build.add_argument("--out", help="output folder (default: <data>-site, beside <data>)")
    site_build.set_defaults(func=cmd_site_build)

    backup = sub.add_parser("backup", help=texts.text("cli_backup", part="help"))
    backup.add_argument("--data", default=str(DEFAULT_DATA))
    backup.add_argument("--out", required=True, help="backup file, e.g. govbot-20261202.tar.gz")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help=texts.text("cli_backup", part="restore_help"))
    restore.add_argument("archive", help="a file written by govbot backup")
    restore.add_argument("--data", required=True, help="a new, empty data folder")
    restore.set_defaults(func=cmd_restore)

    export = sub.add_parser("export", help="export records as CSV or JSON (needs the data lock)")
    export.add_argument("what", choices=EXPORT_NAMES)
    export.add_argument("--data", default=str(DEFAULT_DATA))
    export.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
    export.add_argument("--to", dest="end", help="last day, YYYY-MM-DD")
    export.add_argument("--year", type=int, help="a whole year instead of --from/--to")
    export.add_argument(
        "--config",
        default=str(DEFAULT_CONFIG),
        help="organisation file (names, holidays and limits in the exports)",
    )
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--out", help="output file (default: standard output)")
    export.set_defaults(func=cmd_export)
