"""``govbot`` command line: run, sandbox, check-config, doctor, import-org, site build,
export."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.api_scopes import scope_in_text
from bot.cli_common import (
    ADMIN_RETRIES,
    DEFAULT_CONFIG,
    DEFAULT_DATA,
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_STORAGE,
    os_problem,
    say,
    setup_logging,
    storage_problem,
    written_beside,
)
from bot.cli_data import add_data_commands
from bot.clock import TZ, SystemClock
from bot.config import Config, ConfigError, Secrets, check_config, load_config, load_secrets
from bot.config_schema import DEFAULT_API_BASE, DEFAULT_OAPI_BASE
from bot.redact import install_redaction, register_secret
from messages.render import Messages
from storage.errors import StorageError

if TYPE_CHECKING:
    from bot.dingtalk_admin import DingTalkAdminClient


def cmd_check_config(args: argparse.Namespace) -> int:
    messages = Messages()
    problems = check_config(Path(args.file))
    if not problems:
        say(messages.text("cli_config_ok", path=str(args.file)))
        return 0
    say(messages.text("cli_config_problems", path=str(args.file), problems=problems), error=True)
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
        say(
            messages.text("cli_config_problems", path=str(args.config), problems=error.problems),
            error=True,
        )
        return None
    return config, secrets


ConfiguredCommand = Callable[[argparse.Namespace, Messages, Config, Secrets], int]


def _with_config(command: ConfiguredCommand) -> Callable[[argparse.Namespace], int]:
    """A command that needs the config and the secrets: it is not run when either is
    wrong (every problem is printed and the exit code is ``EXIT_CONFIG``)."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        messages = Messages()
        loaded = _config_and_secrets(args, messages)
        if loaded is None:
            return EXIT_CONFIG
        return command(args, messages, *loaded)

    return run


@_with_config
def cmd_run(args: argparse.Namespace, messages: Messages, config: Config, secrets: Secrets) -> int:
    from bot.app import RunOptions, create_app, run_app

    setup_logging([secrets.app_secret])
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
            say(
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
            say(Messages().text("cli_sandbox_start", part="bad", value=args.start), error=True)
            return EXIT_CONFIG
    setup_logging()
    return run_sandbox(
        port=args.port, data_dir=Path(args.data), config_path=args.config, start=start
    )


def _admin_client(
    secrets: Secrets, *, corp_id: str, api_base: str, oapi_base: str
) -> DingTalkAdminClient:
    """The OpenAPI client of the administration commands: few retries, quiet log."""
    from bot.app import dingtalk_credentials
    from bot.dingtalk_admin import DingTalkAdminClient

    logging.basicConfig(
        level=os.environ.get("GOVBOT_LOG_LEVEL", "ERROR"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_redaction([secrets.app_secret])
    return DingTalkAdminClient(
        dingtalk_credentials(secrets, corp_id),
        clock=SystemClock(),
        api_base=api_base,
        oapi_base=oapi_base,
        max_retries=ADMIN_RETRIES,
        backoff_base=0.5,
        backoff_cap=2.0,
        secret_sink=register_secret,
    )


@_with_config
def cmd_doctor(
    args: argparse.Namespace, messages: Messages, config: Config, secrets: Secrets
) -> int:
    from bot.doctor import Doctor, DoctorReport, render_report

    async def main() -> DoctorReport:
        async with _admin_client(
            secrets,
            corp_id=config.dingtalk.corp_id,
            api_base=config.dingtalk.api_base,
            oapi_base=config.dingtalk.oapi_base,
        ) as client:
            return await Doctor(config, secrets, client, messages).run()

    report = asyncio.run(main())
    say(
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
        say(messages.text("cli_import_result", part="exists", out=str(out)), error=True)
        return EXIT_CONFIG
    try:
        secrets = load_secrets(os.environ)
    except ConfigError as error:
        say(
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
        say(
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
    try:
        with written_beside(out) as f:
            f.write(text + "\n")
    except OSError as error:
        detail = os_problem(error)
        unwritable = messages.text(
            "cli_import_result", part="unwritable", out=str(out), detail=detail
        )
        say(unwritable, error=True)
        return EXIT_CONFIG
    problems = check_config(out)
    say(messages.text("cli_import_result", part="done", out=str(out), problems=len(problems)))
    return 0


def _add_bot_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], texts: Messages
) -> None:
    """``run``, ``check-config`` and ``sandbox``."""
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


def _add_admin_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], texts: Messages
) -> None:
    """``doctor`` and ``import-org``: they talk to the real DingTalk, not to the data."""
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


def build_parser() -> argparse.ArgumentParser:
    texts = Messages()
    parser = argparse.ArgumentParser(prog="govbot", description="County government DingTalk bot")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_bot_commands(sub, texts)
    _add_admin_commands(sub, texts)
    add_data_commands(sub, texts)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
