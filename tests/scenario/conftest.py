from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.harness import BotProcess, Control, SandboxThread


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[SandboxThread]:
    # Short ACK timeout so redelivery tests do not wait a minute.
    overrides: dict[str, object] = {"ack_timeout_s": 3.0, "ping_interval_s": 2.0}
    marker = request.node.get_closest_marker("sandbox_start")
    if marker is not None:
        overrides["start_time"] = datetime.fromisoformat(marker.args[0])
    box = SandboxThread(**overrides)
    box.start()
    yield box
    box.stop()


@pytest.fixture
def control(sandbox: SandboxThread) -> Iterator[Control]:
    client = Control(sandbox.url)
    yield client
    # Whatever the scenario did, every card the bot wrote fitted its card-platform
    # template: the sandbox refuses a variable the template does not declare, or a value
    # it cannot read (a boolean that is not "true"/"false", a loop that is not a list).
    refused = [
        (call["path"], call["response"])
        for call in client.get("/sandbox/calls")
        if "/card/instances" in call["path"]
        and call["status"] == 400
        and "cardParamMap" in str((call["response"] or {}).get("code", ""))
    ]
    client.close()
    assert not refused, refused


@pytest.fixture
def bot(sandbox: SandboxThread, control: Control, tmp_path: Path) -> Iterator[BotProcess]:
    (tmp_path / "logs").mkdir()
    process = BotProcess(sandbox.url, sandbox.config_path, tmp_path / "data", tmp_path / "logs")
    process.start()
    control.wait_connected()
    yield process
    process.stop()
