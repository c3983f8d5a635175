"""``govbot`` command line: run, sandbox, check-config."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, check_config, load_config, load_secrets
from bot.redact import install_redaction
from messages.render import Messages
from storage.errors import StorageError

EXIT_CONFIG = 2
EXIT_STORAGE = 3

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


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import RunOptions, create_app, run_app, with_endpoint

    messages = Messages()
    try:
        config = with_endpoint(load_config(Path(args.config)), args.endpoint)
        secrets = load_secrets(os.environ)
    except ConfigError as error:
        _say(
            messages.text("cli_config_problems", path=str(args.config), problems=error.problems),
            error=True,
        )
        return EXIT_CONFIG
    _setup_logging([secrets.app_secret])
    options = RunOptions(
        data_dir=Path(args.data),
        follow_clock_url=args.follow_clock,
        scan_interval_s=args.scan_interval,
        watchdog_s=args.watchdog,
    )

    async def main() -> int:
        try:
            app = await create_app(config, secrets, options)
        except StorageError as error:
            _say(messages.text("cli_storage_refused", detail=str(error)), error=True)
            return EXIT_STORAGE
        await run_app(app)
        return 0

    return asyncio.run(main())


def cmd_sandbox(args: argparse.Namespace) -> int:
    from sandbox.launcher import run_sandbox

    _setup_logging()
    return run_sandbox(port=args.port, data_dir=Path(args.data), config_path=args.config)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govbot", description="County government DingTalk bot")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="connect to DingTalk (credentials from the environment)")
    run.add_argument("--config", default=str(DEFAULT_CONFIG))
    run.add_argument("--data", default=str(DEFAULT_DATA))
    run.add_argument("--endpoint", help="one base URL for both DingTalk hosts (the sandbox)")
    run.add_argument("--follow-clock", help="sandbox clock URL; business time follows it")
    run.add_argument("--scan-interval", type=float, default=15.0)
    run.add_argument("--watchdog", type=float, default=90.0)
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check-config", help="validate a configuration file")
    check.add_argument("file")
    check.set_defaults(func=cmd_check_config)

    sandbox = sub.add_parser("sandbox", help="local DingTalk stand-in plus the bot")
    sandbox.add_argument("--port", type=int, default=8600)
    sandbox.add_argument("--data", default="sandbox-data")
    sandbox.add_argument("--config", default=None, help="organisation (default: the demo)")
    sandbox.set_defaults(func=cmd_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
