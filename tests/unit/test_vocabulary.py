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
