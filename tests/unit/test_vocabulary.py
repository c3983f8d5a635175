"""Command words come from messages/commands.toml; every feature's commands have some,
and a command without words stops start-up."""

from __future__ import annotations

import pytest

from bot.feature import commands_of
from handlers.features import FEATURES
from messages.vocabulary import words


def test_every_command_is_called_by_its_words_from_messages() -> None:
    commands = commands_of(FEATURES)
    assert commands and all(c.words == words(c.id) for c in commands)
    assert words("help")[0] == "帮助" and words("card_redeliver") == ("补发卡片",)


def test_a_command_without_words_is_refused() -> None:
    with pytest.raises(KeyError, match="no_such_command"):
        words("no_such_command")


def test_no_chinese_text_in_python_outside_the_vocabulary_module() -> None:
    """User-facing words live in messages/ (templates, tables): Python code outside
    messages/vocabulary.py holds no Chinese string (docstrings and comments aside)."""
    import ast
    import io
    import re
    import tokenize
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    cjk = re.compile(r"[\u4e00-\u9fff]")
    found = []
    for package in ("bot", "handlers", "messages", "storage"):
        for path in sorted((root / package).rglob("*.py")):
            if path == root / "messages" / "vocabulary.py":
                continue
            source = path.read_text("utf-8")
            docstrings = set()
            for node in ast.walk(ast.parse(source)):
                body = getattr(node, "body", None)
                if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
                    value = body[0].value
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        docstrings.update(range(body[0].lineno, (body[0].end_lineno or 0) + 1))
            for token in tokenize.generate_tokens(io.StringIO(source).readline):
                literal = token.type == tokenize.STRING and token.start[0] not in docstrings
                if literal and cjk.search(token.string):
                    found.append(f"{path.relative_to(root)}:{token.start[0]}")
    assert found == []
