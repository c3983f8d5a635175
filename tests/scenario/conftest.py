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
    client.close()


@pytest.fixture
def bot(sandbox: SandboxThread, control: Control, tmp_path: Path) -> Iterator[BotProcess]:
    (tmp_path / "logs").mkdir()
    process = BotProcess(sandbox.url, sandbox.config_path, tmp_path / "data", tmp_path / "logs")
    process.start()
    control.wait_connected()
    yield process
    process.stop()
