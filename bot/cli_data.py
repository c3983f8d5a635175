"""``govbot`` commands on a data folder: site build, export, backup and restore."""

from __future__ import annotations

import argparse
import functools
import io
import re
import sys
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.cli_common import EXIT_CONFIG, EXIT_STORAGE, say, storage_problem, storage_refused
from bot.config import ConfigError, load_config
from bot.site import default_site_dir
from messages.render import Messages
from storage.database import Database
from storage.errors import StorageError

if TYPE_CHECKING:
    pass


def cmd_site_build(args: argparse.Namespace) -> int:
    from bot.site import SiteError, rebuild_site_from_storage
    from storage.database import Database

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
    if not data.is_dir():
        say(messages.text("cli_site_storage_refused", missing=True, data=str(data)), error=True)
        return EXIT_STORAGE
    try:
        db = Database.open_sync(data)
    except StorageError as error:
        return storage_refused(messages, "cli_site_storage_refused", error)
    try:
        report = rebuild_site_from_storage(db, out, county=config.county.name)
    except SiteError as error:
        say(
            messages.text(
                "cli_site_refused", reason=error.reason, path=str(error.path), data=str(data)
            ),
            error=True,
        )
        return EXIT_CONFIG
    except StorageError as error:
        return storage_refused(messages, "cli_site_storage_refused", error)
    finally:
        db.close_sync()
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


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_day(text: str) -> date | None:
    """A strict YYYY-MM-DD date (a Beijing date), or None."""
    if not _DATE_RE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _export_audit(db: Database, start: date, end: date, fmt: str, out: TextIO) -> int:
    from handlers.export import export_audit

    return export_audit(db, start, end, fmt, out)


def _export_leave(
    db: Database,
    start: date,
    end: date,
    fmt: str,
    out: TextIO,
    names: Mapping[str, tuple[str, str]] | None = None,
) -> int:
    from handlers.export import export_leave

    return export_leave(db, start, end, fmt, out, names=names)


def _leave_names(config_path: str) -> dict[str, tuple[str, str]]:
    """Names and units for the leave export, when the organisation file is at hand."""
    path = Path(config_path)
    if not path.is_file():
        return {}
    try:
        config = load_config(path)
    except ConfigError:
        return {}
    units = config.units
    return {
        p.user_id: (p.name, units[p.unit_id].name if p.unit_id in units else p.unit_id)
        for p in config.people.values()
    }


# What `govbot export <what>` can export: name -> writer(db, start, end, format, out).
EXPORTS: dict[str, Callable[[Database, date, date, str, TextIO], int]] = {
    "audit": _export_audit,
    "leave": _export_leave,
}


def _run_export(
    export: Callable[[Database, date, date, str, TextIO], int],
    db: Database,
    start: date,
    end: date,
    fmt: str,
    out_path: Path | None,
) -> int:
    """To a file (written beside it, then renamed: never half a file) or to stdout."""
    if out_path is None:
        stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            return export(db, start, end, fmt, stdout)
        finally:
            stdout.flush()
            stdout.detach()
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            count = export(db, start, end, fmt, f)
        tmp.replace(out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


def _size_text(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def _backup_problem(error: Exception) -> str:
    """Why a backup or restore failed, in Chinese (a file-system error as the OS says)."""
    from storage.backup import BackupError

    if isinstance(error, BackupError):
        return Messages().text("cli_backup_error", reason=error.reason, **error.context)
    return str(error)


def cmd_backup(args: argparse.Namespace) -> int:
    from storage.backup import BackupError, backup

    messages = Messages()
    data, out = Path(args.data), Path(args.out)
    try:
        report = backup(data, out)
    except (BackupError, OSError) as error:
        say(messages.text("cli_backup", part="failed", detail=_backup_problem(error)), error=True)
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
    from storage.backup import BackupError, restore
    from storage.database import Database

    messages = Messages()
    archive, data = Path(args.archive), Path(args.data)
    try:
        files = restore(archive, data)
    except (BackupError, OSError) as error:
        detail = _backup_problem(error)
        say(messages.text("cli_backup", part="restore_failed", detail=detail), error=True)
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


def cmd_export(args: argparse.Namespace) -> int:
    messages = Messages()
    days: list[date] = []
    if args.year is not None:
        if not 2000 <= args.year <= 2100:
            say(
                messages.text(
                    "cli_export_bad_args", reason="bad_date", option="--year", value=args.year
                ),
                error=True,
            )
            return EXIT_CONFIG
        args.start = args.start or f"{args.year}-01-01"
        args.end = args.end or f"{args.year}-12-31"
    for option, value in (("--from", args.start), ("--to", args.end)):
        if value is None:
            say(
                messages.text("cli_export_bad_args", reason="bad_date", option=option, value=""),
                error=True,
            )
            return EXIT_CONFIG
        day = _parse_day(value)
        if day is None:
            say(
                messages.text("cli_export_bad_args", reason="bad_date", option=option, value=value),
                error=True,
            )
            return EXIT_CONFIG
        days.append(day)
    start, end = days
    if start > end:
        say(
            messages.text("cli_export_bad_args", reason="from_after_to", start=start, end=end),
            error=True,
        )
        return EXIT_CONFIG
    data = Path(args.data)
    if not data.is_dir():
        say(messages.text("cli_export_storage_refused", missing=True, data=str(data)), error=True)
        return EXIT_STORAGE
    try:
        db = Database.open_sync(data)
    except StorageError as error:
        return storage_refused(messages, "cli_export_storage_refused", error)
    export = EXPORTS[args.what]
    if args.what == "leave":
        export = functools.partial(_export_leave, names=_leave_names(args.config))
    out_path = Path(args.out) if args.out else None
    try:
        count = _run_export(export, db, start, end, args.format, out_path)
    except OSError as error:
        say(
            messages.text(
                "cli_export_bad_args",
                reason="out_unwritable",
                path=str(out_path),
                detail=error.strerror or str(error),
            ),
            error=True,
        )
        return EXIT_CONFIG
    except StorageError as error:
        return storage_refused(messages, "cli_export_storage_refused", error)
    finally:
        db.close_sync()
    say(
        messages.text(
            "cli_export_done",
            what=args.what,
            count=count,
            start=start,
            end=end,
            path=args.out or "",
        ),
        error=True,  # stdout may carry the export itself
    )
    return 0
