"""Wiring: ``create_app`` builds every long-lived object once and passes it down (no
module-level state); ``run_app`` runs them until SIGTERM/SIGINT and stops within 5 s."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import httpx

from bot.api_budget import ApiBudget
from bot.calendar import WorkCalendar
from bot.cards import CardDispatcher
from bot.clock import Clock, OffsetClock, SystemClock
from bot.config import Config, OrgDirectory, Secrets
from bot.dingtalk import DingTalkClient, DingTalkCredentials
from bot.feature import card_actions_of, commands_of, jobs_of
from bot.files import FileStore
from bot.housekeeping import archive_finished
from bot.inbound import InboundPipeline
from bot.outbox import Outbox
from bot.redact import register_secret
from bot.router import Router
from bot.scheduler import Scheduler
from bot.services import Services
from bot.stream import StreamSupervisor
from handlers.basics.api_notices import budget_notifier
from handlers.delivery.redeliver import parked_card_notice
from handlers.distribution.read_tracking import ReadTracker, read_check_interval
from handlers.distribution.site_build import default_site_dir
from handlers.distribution.site_publisher import SitePublisher
from handlers.features import FEATURES
from handlers.wiring import wire_domain
from messages.render import Messages
from storage.database import Database

log = logging.getLogger(__name__)

SHUTDOWN_BUDGET_S = 4.0


@dataclass(frozen=True)
class RunOptions:
    data_dir: Path
    # Sandbox mode: business time follows the sandbox clock at this URL.
    follow_clock_url: str | None = None
    scan_interval_s: float = 15.0
    watchdog_s: float = 90.0
    # The government website folder (default: "<data>-site" beside the data folder).
    site_dir: Path | None = None

    @property
    def site_folder(self) -> Path:
        return self.site_dir or default_site_dir(self.data_dir)


# How long a sandbox clock move may wait for its messages (a held-back send waits no more).
CAUGHT_UP_BUDGET_S = 3.0


@dataclass
class App:
    services: Services
    client: DingTalkClient
    outbox: Outbox
    inbound: InboundPipeline
    cards: CardDispatcher
    scheduler: Scheduler
    stream: StreamSupervisor
    site: SitePublisher
    options: RunOptions
    clock: Clock
    http: httpx.AsyncClient  # downloads and the sandbox clock; DingTalk calls use `client`
    read_tracker: ReadTracker  # polls who has read distributed documents (needs `client`)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    budget: ApiBudget | None = None  # the monthly DingTalk API count (stored at shutdown)

    async def caught_up(self) -> None:
        """Run the jobs due at the (moved) sandbox time and let their messages go out."""
        await self.scheduler.scan()
        await self.outbox.settled(CAUGHT_UP_BUDGET_S)


async def create_app(config: Config, secrets: Secrets, options: RunOptions) -> App:
    """Open storage (refusing a locked or corrupt data folder) and build everything."""
    clock: Clock = OffsetClock() if options.follow_clock_url else SystemClock()
    calendar = WorkCalendar(config.calendar_overrides, day_end=config.rules.office_day_end)
    messages = Messages()
    router = _router(messages)  # a conflicting registration stops here, before storage
    db = await Database.open(options.data_dir)
    budget = await _api_budget(db, clock, config)
    client = _dingtalk_client(config, secrets, clock, budget)
    services = Services(
        config=config,
        directory=OrgDirectory(config),
        calendar=calendar,
        clock=clock,
        messages=messages,
        db=db,
        router=router,
    )
    outbox = _outbox(services, client, budget, options.data_dir)
    budget.attach(budget_notifier(services, outbox), outbox.wake)
    return _wire_features(services, client, outbox, budget, secrets, options)


def _router(messages: Messages) -> Router:
    """Every feature's commands and card actions in one table."""
    return Router(
        commands_of(FEATURES),
        card_actions_of(FEATURES),
        has_description=messages.has_command_text,
    )


async def _api_budget(db: Database, clock: Clock, config: Config) -> ApiBudget:
    """The monthly DingTalk API count, resumed from storage."""
    budget = ApiBudget(
        db,
        clock,
        monthly_quota=config.dingtalk.monthly_api_quota,
        warn_ratio=config.dingtalk.api_quota_warn_ratio,
    )
    await budget.load()
    return budget


def dingtalk_credentials(secrets: Secrets, corp_id: str) -> DingTalkCredentials:
    """The app's credentials (from the environment) for the organisation ``corp_id``."""
    return DingTalkCredentials(
        app_key=secrets.app_key,
        app_secret=secrets.app_secret,
        robot_code=secrets.robot_code,
        agent_id=secrets.agent_id,
        corp_id=corp_id,
    )


def _dingtalk_client(
    config: Config, secrets: Secrets, clock: Clock, budget: ApiBudget
) -> DingTalkClient:
    return DingTalkClient(
        dingtalk_credentials(secrets, config.dingtalk.corp_id),
        clock=clock,
        api_base=config.dingtalk.api_base,
        oapi_base=config.dingtalk.oapi_base,
        secret_sink=register_secret,  # tokens and tickets are masked in every log line
        observer=budget,  # counts every call against the monthly quota
    )


def _outbox(services: Services, client: DingTalkClient, budget: ApiBudget, data: Path) -> Outbox:
    return Outbox(
        services.db,
        client,
        services.clock,
        files_root=data,
        messages=services.messages,
        budget=budget,
        todo_delay_ms=services.config.dingtalk.todo_delay_minutes * 60_000,
        on_parked=parked_card_notice(services),
    )


def _stream(
    client: DingTalkClient,
    secrets: Secrets,
    inbound: InboundPipeline,
    cards: CardDispatcher,
    options: RunOptions,
) -> StreamSupervisor:
    return StreamSupervisor(
        client,
        app_key=secrets.app_key,
        app_secret=secrets.app_secret,
        on_message=inbound.accept,
        on_card=cards.handle,
        watchdog_s=options.watchdog_s,
    )


def _wire_features(
    services: Services,
    client: DingTalkClient,
    outbox: Outbox,
    budget: ApiBudget,
    secrets: Secrets,
    options: RunOptions,
) -> App:
    """The features, their scheduler, the Stream connection, files and the website."""
    db, clock = services.db, services.clock
    deadline_actions = wire_domain(services, outbox)
    inbound = InboundPipeline(services, outbox)
    cards = CardDispatcher(services, outbox)
    scheduler = Scheduler(
        services,
        outbox,
        jobs_of(FEATURES),
        scan_interval_s=options.scan_interval_s,
        housekeeping=lambda: archive_finished(db, clock),
        actions=deadline_actions,
    )
    stream = _stream(client, secrets, inbound, cards, options)
    http = httpx.AsyncClient()
    services._files = FileStore(options.data_dir, client, http)
    site = SitePublisher(db, options.site_folder, services.config.county.name)
    services.site_changed = site.request
    read_tracker = ReadTracker(
        services, client, interval_s=read_check_interval(options.scan_interval_s), budget=budget
    )
    return App(
        services,
        client,
        outbox,
        inbound,
        cards,
        scheduler,
        stream,
        site,
        options,
        clock,
        http,
        read_tracker,
        budget=budget,
    )


async def _follow_clock(
    clock: OffsetClock, url: str, http: httpx.AsyncClient, caught_up: Callable[[], Awaitable[None]]
) -> None:
    """Sandbox mode: adopt the sandbox's (movable) time five times a second.

    When the time has moved, the due jobs run at once (``caught_up``) and the next poll
    tells the sandbox which move has been dealt with, so whoever moved it can wait for
    the bot rather than sleep."""
    done = 0
    while True:
        moved = False
        with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
            answer = await http.get(url, params={"done": done}, timeout=2.0)
            reading = answer.json()
            clock.follow(datetime.fromisoformat(reading["now"]))
            version = int(reading.get("version", 0))
            if version != done:
                try:
                    await caught_up()
                except Exception:  # a failing job must not stop time from following
                    log.exception("catching up with the sandbox time failed")
                done, moved = version, True
        if not moved:
            await asyncio.sleep(0.2)


async def run_app(app: App) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    http = app.http
    try:
        if app.options.follow_clock_url and isinstance(app.clock, OffsetClock):
            answer = await http.get(app.options.follow_clock_url, timeout=5.0)
            app.clock.follow(datetime.fromisoformat(answer.json()["now"]))
            app.tasks.append(
                asyncio.create_task(
                    _follow_clock(app.clock, app.options.follow_clock_url, http, app.caught_up)
                )
            )
        resumed = await app.inbound.resume_pending()
        if resumed:
            log.info("resuming %d messages left unfinished", resumed)
        app.tasks.append(asyncio.create_task(app.outbox.run(), name="outbox"))
        app.tasks.append(asyncio.create_task(app.site.run(), name="site"))
        app.scheduler.start()
        app.tasks.append(asyncio.create_task(app.read_tracker.run(), name="read-tracking"))
        app.tasks.append(asyncio.create_task(app.stream.run(), name="stream"))
        log.info("govbot running")
        await stop.wait()
    finally:
        log.info("govbot stopping")
        await _shutdown(app)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def _shutdown(app: App) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(SHUTDOWN_BUDGET_S):
            for task in app.tasks:
                task.cancel()
            await asyncio.gather(*app.tasks, return_exceptions=True)
            await app.stream.stop()
            await app.scheduler.shutdown()
            await app.inbound.drain()
            await app.outbox.drain(budget_s=1.0)
    if app.budget is not None:
        try:
            await app.budget.flush()
        except Exception:
            log.exception("storing the API budget at shutdown failed")
    await app.client.aclose()
    await app.http.aclose()
    await app.services.db.close()


def with_endpoint(config: Config, endpoint: str | None) -> Config:
    """Point both DingTalk hosts at one base URL (the sandbox)."""
    if not endpoint:
        return config
    return replace(config, dingtalk=replace(config.dingtalk, api_base=endpoint, oapi_base=endpoint))
