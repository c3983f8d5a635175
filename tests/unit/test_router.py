from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.errors import RouteConflictError
from bot.feature import card_actions_of, commands_of
from bot.outgoing import Outgoing
from bot.router import CardAction, CardPayload, CardResult, Command, PayloadError, Router
from handlers.features import FEATURES
from messages.render import Messages


async def _noop(ctx: object) -> list[Outgoing]:
    return []


async def _card(ctx: object, payload: object) -> CardResult:
    return CardResult()


def _router(commands: list[Command], actions: list[CardAction] | None = None) -> Router:
    return Router(commands, actions or [], has_description=lambda _id: True)


def test_the_real_routing_table_is_valid() -> None:
    router = Router(
        commands_of(FEATURES),
        card_actions_of(FEATURES),
        has_description=Messages().has_command_text,
    )
    assert router.match("帮助") is not None


def test_duplicate_word_fails_at_start_up() -> None:
    with pytest.raises(RouteConflictError, match="帮助"):
        _router([Command("a", _noop, words=("帮助",)), Command("b", _noop, words=("帮助",))])


def test_duplicate_command_id_and_card_action_fail() -> None:
    with pytest.raises(RouteConflictError):
        _router([Command("a", _noop, words=("甲",)), Command("a", _noop, words=("乙",))])

    @dataclass(frozen=True)
    class Empty(CardPayload):
        pass

    action = CardAction("x.go", Empty, _card)
    with pytest.raises(RouteConflictError):
        _router([], [action, action])


def test_command_without_description_fails() -> None:
    with pytest.raises(RouteConflictError, match=r"commands\.toml"):
        Router([Command("nope", _noop, words=("无",))], [], has_description=lambda _id: False)


def test_match_words_aliases_and_arguments() -> None:
    router = _router(
        [Command("doc", _noop, words=("公文", "gw")), Command("help", _noop, words=("帮助",))]
    )
    assert router.match("  帮助 ") == (router.commands[1], "")
    assert router.match("GW") == (router.commands[0], "")
    command, args = router.match("公文 阳政发〔2026〕15号") or (None, "")
    assert command is router.commands[0] and args == "阳政发〔2026〕15号"
    command, args = router.match("公文：关于") or (None, "")
    assert command is router.commands[0] and args == "关于"
    assert router.match("公文库") is None
    assert router.match("") is None


@dataclass(frozen=True)
class Decide(CardPayload):
    decision: str
    round: int
    urgent: bool = False
    note: str | None = None


def test_card_payload_parses_and_validates() -> None:
    parsed = Decide.parse({"decision": "agree", "round": "3", "urgent": "true"})
    assert parsed == Decide("agree", 3, True, None)
    with pytest.raises(PayloadError):
        Decide.parse({"round": 1})
    with pytest.raises(PayloadError):
        Decide.parse({"decision": "agree", "round": "three"})
    with pytest.raises(PayloadError):
        Decide.parse({"decision": ["x"], "round": 1})
