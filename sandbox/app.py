"""Build and run the sandbox: one aiohttp server for the api and oapi hosts, the stream
gateway and the control API."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from sandbox import (
    auth,
    cards_api,
    chatbot,
    contacts,
    control,
    control_cards,
    gateway,
    media,
    oapi,
    robot_api,
    todo_api,
)
from sandbox.console import setup_console
from sandbox.gateway import StreamHub
from sandbox.middleware import sandbox_middleware
from sandbox.seed import SandboxSeed
from sandbox.state import STATE, SandboxState

log = logging.getLogger("sandbox")

MAX_BODY = 25 * 1024 * 1024  # media uploads up to 20 MB plus multipart overhead


def create_sandbox_app(seed: SandboxSeed) -> web.Application:
    app = web.Application(middlewares=[sandbox_middleware], client_max_size=MAX_BODY)
    state = SandboxState(seed)
    state.hub = StreamHub(state)
    app[STATE] = state
    for module in (
        auth,
        gateway,
        chatbot,
        robot_api,
        cards_api,
        oapi,
        media,
        contacts,
        todo_api,
        control,
        control_cards,
    ):
        module.register(app)
    setup_console(app)
    app.on_shutdown.append(_on_shutdown)
    return app


async def _on_shutdown(app: web.Application) -> None:
    state = app[STATE]
    state.bus.close()
    await state.stream.close()


@dataclass
class RunningSandbox:
    url: str
    port: int
    state: SandboxState
    runner: web.AppRunner

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_sandbox(
    seed: SandboxSeed, host: str = "127.0.0.1", port: int = 0
) -> RunningSandbox:
    app = create_sandbox_app(seed)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = int(runner.addresses[0][1])  # the real port when port=0
    state = app[STATE]
    state.base_url = f"http://{host}:{bound}"
    log.info("sandbox listening on %s", state.base_url)
    return RunningSandbox(url=state.base_url, port=bound, state=state, runner=runner)
