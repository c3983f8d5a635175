"""``govbot`` command line: run, sandbox, check-config, doctor, import-org, site build,
export."""

from __future__ import annotations

import argparse
import asyncio
import functools
import io
import logging
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.api_scopes import scope_in_text
from bot.clock import TZ, SystemClock
from bot.config import Config, ConfigError, Secrets, check_config, load_config, load_secrets
from bot.config_schema import DEFAULT_API_BASE, DEFAULT_OAPI_BASE
from bot.redact import install_redaction, register_secret
from bot.site import default_site_dir
from messages.render import Messages
from storage.database import Database
from storage.errors import StorageError

if TYPE_CHECKING:
    from bot.dingtalk_admin import DingTalkAdminClient

EXIT_FAILED = 1  # doctor: a check failed; import-org: DingTalk refused
EXIT_CONFIG = 2
EXIT_STORAGE = 3
ADMIN_RETRIES = 3  # doctor / import-org: a few retries, then report

DEFAULT_CONFIG = Path("govbot.toml")
DEFAULT_DATA = Path("govbot-data")


def _say(text: str, *, error: bool = False) -> None:
    stream = sys.stderr if error else sys.stdout
    stream.write(text + "\n")
    stream.flush()


def _setup_logging(secrets: Sequence[str] = ()) -> None:
    logging.basicConfig(
        level=os.environ.get("GOVBOT_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_redaction(secrets)
    # One line per heartbeat would drown the log; problems are still logged (WARNING+).
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def cmd_check_config(args: argparse.Namespace) -> int:
    messages = Messages()
    problems = check_config(Path(args.file))
    if not problems:
        _say(messages.text("cli_config_ok", path=str(args.file)))
        return 0
    _say(messages.text("cli_config_problems", path=str(args.file), problems=problems), error=True)
    return EXIT_CONFIG


def _config_and_secrets(
    args: argparse.Namespace, messages: Messages
) -> tuple[Config, Secrets] | None:
    """The config (pointed at ``--endpoint`` if given) and the env secrets, or None
    after printing every problem."""
    from bot.app import with_endpoint

    try:
        config = with_endpoint(load_config(Path(args.config)), args.endpoint)
        secrets = load_secrets(os.environ)
    except ConfigError as error:
        _say(
            messages.text("cli_config_problems", path=str(args.config), problems=error.problems),
            error=True,
        )
        return None
    return config, secrets


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import RunOptions, create_app, run_app

    messages = Messages()
    loaded = _config_and_secrets(args, messages)
    if loaded is None:
        return EXIT_CONFIG
    config, secrets = loaded
    _setup_logging([secrets.app_secret])
    options = RunOptions(
        data_dir=Path(args.data),
        follow_clock_url=args.follow_clock,
        scan_interval_s=args.scan_interval,
        watchdog_s=args.watchdog,
        site_dir=Path(args.site) if args.site else None,
    )

    async def main() -> int:
        try:
            app = await create_app(config, secrets, options)
        except StorageError as error:
            _say(
                messages.text("cli_storage_refused", detail=storage_problem(messages, error)),
                error=True,
            )
            return EXIT_STORAGE
        await run_app(app)
        return 0

    return asyncio.run(main())


def _parse_start(text: str) -> datetime | None:
    """``--start``: an ISO moment; without a timezone it is Beijing time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=TZ)


def cmd_sandbox(args: argparse.Namespace) -> int:
    from sandbox.launcher import run_sandbox

    start = None
    if args.start:
        start = _parse_start(args.start)
        if start is None:
            _say(Messages().text("cli_sandbox_start", part="bad", value=args.start), error=True)
            return EXIT_CONFIG
    _setup_logging()
    return run_sandbox(
        port=args.port, data_dir=Path(args.data), config_path=args.config, start=start
    )


def _admin_client(
    secrets: Secrets, *, corp_id: str, api_base: str, oapi_base: str
) -> DingTalkAdminClient:
    """The OpenAPI client of the administration commands: few retries, quiet log."""
    from bot.dingtalk import DingTalkCredentials
    from bot.dingtalk_admin import DingTalkAdminClient

    logging.basicConfig(
        level=os.environ.get("GOVBOT_LOG_LEVEL", "ERROR"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_redaction([secrets.app_secret])
    return DingTalkAdminClient(
        DingTalkCredentials(
            app_key=secrets.app_key,
            app_secret=secrets.app_secret,
            robot_code=secrets.robot_code,
            agent_id=secrets.agent_id,
            corp_id=corp_id,
        ),
        clock=SystemClock(),
        api_base=api_base,
        oapi_base=oapi_base,
        max_retries=ADMIN_RETRIES,
        backoff_base=0.5,
        backoff_cap=2.0,
        secret_sink=register_secret,
    )


def cmd_doctor(args: argparse.Namespace) -> int:
    from bot.doctor import Doctor, DoctorReport, render_report

    messages = Messages()
    loaded = _config_and_secrets(args, messages)
    if loaded is None:
        return EXIT_CONFIG
    config, secrets = loaded

    async def main() -> DoctorReport:
        async with _admin_client(
            secrets,
            corp_id=config.dingtalk.corp_id,
            api_base=config.dingtalk.api_base,
            oapi_base=config.dingtalk.oapi_base,
        ) as client:
            return await Doctor(config, secrets, client, messages).run()

    report = asyncio.run(main())
    _say(
        render_report(
            messages, report, config_path=str(args.config), config=config, secrets=secrets
        )
    )
    return 0 if report.passed else EXIT_FAILED


def cmd_import_org(args: argparse.Namespace) -> int:
    from bot.dingtalk_errors import DingTalkError
    from bot.import_org import fetch_org, render_skeleton

    messages = Messages()
    out = Path(args.out)
    if out.exists() and not args.force:
        _say(messages.text("cli_import_result", part="exists", out=str(out)), error=True)
        return EXIT_CONFIG
    try:
        secrets = load_secrets(os.environ)
    except ConfigError as error:
        _say(
            messages.text("cli_config_problems", path="", problems=error.problems),
            error=True,
        )
        return EXIT_CONFIG
    api_base = args.endpoint or DEFAULT_API_BASE
    oapi_base = args.endpoint or DEFAULT_OAPI_BASE

    async def main() -> str:
        async with _admin_client(
            secrets, corp_id=args.corp_id or "", api_base=api_base, oapi_base=oapi_base
        ) as client:
            org = await fetch_org(client, args.root_dept)
        return render_skeleton(messages, org, corp_id=args.corp_id or "", source=oapi_base)

    try:
        text = asyncio.run(main())
    except DingTalkError as error:
        _say(
            messages.text(
                "cli_import_result",
                part="failed",
                code=error.code,
                message=error.message,
                scope=getattr(error, "scope", "") or scope_in_text(error.message),
            ),
            error=True,
        )
        return EXIT_FAILED
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(out)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        _say(
            messages.text(
                "cli_import_result",
                part="unwritable",
                out=str(out),
                detail=error.strerror or str(error),
            ),
            error=True,
        )
        return EXIT_CONFIG
    problems = check_config(out)
    _say(messages.text("cli_import_result", part="done", out=str(out), problems=len(problems)))
    return 0


def cmd_site_build(args: argparse.Namespace) -> int:
    from bot.site import SiteError, rebuild_site_from_storage
    from storage.database import Database

    messages = Messages()
    try:
        config = load_config(Path(args.config))
    except ConfigError as error:
        _say(
            messages.text("cli_config_problems", path=str(args.config), problems=error.problems),
            error=True,
        )
        return EXIT_CONFIG
    data = Path(args.data)
    out = Path(args.out) if args.out else default_site_dir(data)
    if not data.is_dir():
        _say(messages.text("cli_site_storage_refused", missing=True, data=str(data)), error=True)
        return EXIT_STORAGE
    try:
        db = Database.open_sync(data)
    except StorageError as error:
        _say(
            messages.text(
                "cli_site_storage_refused", missing=False, detail=storage_problem(messages, error)
            ),
            error=True,
        )
        return EXIT_STORAGE
    try:
        report = rebuild_site_from_storage(db, out, county=config.county.name)
    except SiteError as error:
        _say(
            messages.text(
                "cli_site_refused", reason=error.reason, path=str(error.path), data=str(data)
            ),
            error=True,
        )
        return EXIT_CONFIG
    except StorageError as error:
        _say(
            messages.text(
                "cli_site_storage_refused", missing=False, detail=storage_problem(messages, error)
            ),
            error=True,
        )
        return EXIT_STORAGE
    finally:
        db.close_sync()
    _say(
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
_EXPORTS: dict[str, Callable[[Database, date, date, str, TextIO], int]] = {
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


def storage_problem(messages: Messages, error: StorageError) -> str:
    """A storage refusal in Chinese, with what to do next."""
    return messages.text("storage_error", reason=error.reason, detail=str(error), **error.context)


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
        _say(messages.text("cli_backup", part="failed", detail=_backup_problem(error)), error=True)
        return EXIT_STORAGE
    _say(
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
        _say(messages.text("cli_backup", part="restore_failed", detail=detail), error=True)
        return EXIT_STORAGE
    try:  # the journal applied, every file checked, before any bot uses it
        Database.open_sync(data).close_sync()
    except StorageError as error:
        _say(
            messages.text(
                "cli_backup",
                part="restore_bad",
                detail=storage_problem(messages, error),
                data=str(data),
            ),
            error=True,
        )
        return EXIT_STORAGE
    _say(
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
            _say(
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
            _say(
                messages.text("cli_export_bad_args", reason="bad_date", option=option, value=""),
                error=True,
            )
            return EXIT_CONFIG
        day = _parse_day(value)
        if day is None:
            _say(
                messages.text("cli_export_bad_args", reason="bad_date", option=option, value=value),
                error=True,
            )
            return EXIT_CONFIG
        days.append(day)
    start, end = days
    if start > end:
        _say(
            messages.text("cli_export_bad_args", reason="from_after_to", start=start, end=end),
            error=True,
        )
        return EXIT_CONFIG
    data = Path(args.data)
    if not data.is_dir():
        _say(messages.text("cli_export_storage_refused", missing=True, data=str(data)), error=True)
        return EXIT_STORAGE
    try:
        db = Database.open_sync(data)
    except StorageError as error:
        _say(
            messages.text(
                "cli_export_storage_refused", missing=False, detail=storage_problem(messages, error)
            ),
            error=True,
        )
        return EXIT_STORAGE
    export = _EXPORTS[args.what]
    if args.what == "leave":
        export = functools.partial(_export_leave, names=_leave_names(args.config))
    out_path = Path(args.out) if args.out else None
    try:
        count = _run_export(export, db, start, end, args.format, out_path)
    except OSError as error:
        _say(
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
        _say(
            messages.text(
                "cli_export_storage_refused", missing=False, detail=storage_problem(messages, error)
            ),
            error=True,
        )
        return EXIT_STORAGE
    finally:
        db.close_sync()
    _say(
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


def build_parser() -> argparse.ArgumentParser:
    texts = Messages()
    parser = argparse.ArgumentParser(prog="govbot", description="County government DingTalk bot")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="connect to DingTalk (credentials from the environment)")
    run.add_argument("--config", default=str(DEFAULT_CONFIG))
    run.add_argument("--data", default=str(DEFAULT_DATA))
    run.add_argument("--endpoint", help="one base URL for both DingTalk hosts (the sandbox)")
    run.add_argument("--follow-clock", help="sandbox clock URL; business time follows it")
    run.add_argument("--scan-interval", type=float, default=15.0)
    run.add_argument("--watchdog", type=float, default=90.0)
    run.add_argument("--site", help="government website folder (default: <data>-site)")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check-config", help="validate a configuration file")
    check.add_argument("file")
    check.set_defaults(func=cmd_check_config)

    sandbox = sub.add_parser("sandbox", help="local DingTalk stand-in plus the bot")
    sandbox.add_argument("--port", type=int, default=8600)
    sandbox.add_argument("--data", default="sandbox-data")
    sandbox.add_argument("--config", default=None, help="organisation (default: the demo)")
    sandbox.add_argument(
        "--start",
        metavar="2026-09-28T09:00+08:00",
        help=texts.text("cli_sandbox_start", part="help"),
    )
    sandbox.set_defaults(func=cmd_sandbox)

    doctor = sub.add_parser(
        "doctor",
        help=texts.text("cli_doctor_help", part="command"),
        description=texts.text("cli_doctor_help", part="description"),
    )
    doctor.add_argument(
        "--config", default=str(DEFAULT_CONFIG), help=texts.text("cli_doctor_help", part="config")
    )
    doctor.add_argument("--endpoint", help=texts.text("cli_doctor_help", part="endpoint"))
    doctor.set_defaults(func=cmd_doctor)

    import_org = sub.add_parser(
        "import-org",
        help=texts.text("cli_import_help", part="command"),
        description=texts.text("cli_import_help", part="description"),
    )
    import_org.add_argument("--out", required=True, help=texts.text("cli_import_help", part="out"))
    import_org.add_argument(
        "--root-dept", type=int, default=1, help=texts.text("cli_import_help", part="root_dept")
    )
    import_org.add_argument("--corp-id", help=texts.text("cli_import_help", part="corp_id"))
    import_org.add_argument("--endpoint", help=texts.text("cli_doctor_help", part="endpoint"))
    import_org.add_argument(
        "--force", action="store_true", help=texts.text("cli_import_help", part="force")
    )
    import_org.set_defaults(func=cmd_import_org)

    site = sub.add_parser("site", help="the public government website (第七十八条)")
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
    export.add_argument("what", choices=sorted(_EXPORTS))
    export.add_argument("--data", default=str(DEFAULT_DATA))
    export.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
    export.add_argument("--to", dest="end", help="last day, YYYY-MM-DD")
    export.add_argument("--year", type=int, help="a whole year instead of --from/--to")
    export.add_argument(
        "--config",
        default=str(DEFAULT_CONFIG),
        help="organisation file (names in the leave export)",
    )
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--out", help="output file (default: standard output)")
    export.set_defaults(func=cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
