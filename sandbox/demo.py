"""The demo county organisation and the fixed demo credentials of the sandbox."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# Fixed demo credentials: the sandbox listens on loopback only.
DEMO_APP_KEY = "dinggovbotsandbox"
DEMO_APP_SECRET = "sandbox-secret-not-for-production"  # noqa: S105 (loopback demo)
DEMO_AGENT_ID = 3000001


def demo_config_path() -> Path:
    return Path(str(resources.files("sandbox").joinpath("demo_org.toml")))
