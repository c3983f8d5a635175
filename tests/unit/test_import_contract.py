"""The kernel never imports a feature: features (handlers/<name>/) plug into the kernel
through their manifests, and only the composition roots (the app factory and the CLI,
which choose the features to run) name them. Storage knows nothing of the bot."""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
COMPOSITION_ROOTS = {"bot/app.py", "bot/cli.py", "bot/cli_data.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _offenders(package: str, forbidden: tuple[str, ...], allowed: set[str]) -> list[str]:
    offenders = []
    for path in sorted((PROJECT / package).rglob("*.py")):
        name = path.relative_to(PROJECT).as_posix()
        if name in allowed:
            continue
        bad = sorted(m for m in _imports(path) if m.split(".")[0] in forbidden)
        offenders += [f"{name} imports {m}" for m in bad]
    return offenders


def test_the_kernel_imports_no_feature() -> None:
    assert _offenders("bot", ("handlers",), COMPOSITION_ROOTS) == []


def test_storage_and_messages_import_neither_bot_nor_features() -> None:
    assert _offenders("storage", ("bot", "handlers"), set()) == []
    assert _offenders("messages", ("bot", "handlers"), set()) == []


def test_features_declare_each_name_once_and_conflicts_stop_start_up() -> None:
    import pytest

    from bot.feature import Feature, FeatureConflictError, forms_of, jobs_of
    from handlers.features import FEATURES

    assert len({f.name for f in FEATURES}) == len(FEATURES)
    jobs_of(FEATURES)
    forms_of(FEATURES)
    twice = Feature("again", jobs=FEATURES[0].jobs)
    with pytest.raises(FeatureConflictError, match="calendar-coverage"):
        jobs_of([*FEATURES, twice])
