"""Routing: chat commands and card actions, registered in one visible table (each
feature's manifest ``handlers/<feature>/feature.py``, listed once in
``handlers/features.py`` and collected by ``bot.app``). Matching is separate from
handling, as in python-telegram-bot.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self, Union, get_args, get_origin, get_type_hints

from bot.errors import RouteConflictError
from bot.incoming import IncomingMessage
from bot.outgoing import Outgoing, Recipient, markdown_to, text_to
from messages.vocabulary import words as command_words

if TYPE_CHECKING:
    from bot.config import OrgDirectory, Person
    from bot.services import Services


# Separators between a command word and its arguments: ASCII/full-width space, colon.
_SEPARATORS = (" ", "\u3000", "：", ":", "\n")


@dataclass
class CommandContext:
    message: IncomingMessage
    sender: Person
    args: str
    services: Services
    _replies: int = 0

    def _next_key(self) -> str:
        self._replies += 1
        return f"reply:{self.message.msg_id}:{self._replies}"

    def _reply_to(self) -> Recipient:
        """The conversation the message came from: its group, or its sender 1:1."""
        if self.message.is_group:
            return Recipient(user_id=None, conversation_id=self.message.conversation_id)
        return Recipient(user_id=self.sender.user_id, conversation_id=None)

    def markdown(self, template: str, **context: Any) -> Outgoing:
        """A reply in the conversation the message came from."""
        rendered = self.services.messages.markdown(template, **context)
        return markdown_to(
            self._next_key(), **self._reply_to(), title=rendered.title, text=rendered.text
        )

    def text(self, template: str, **context: Any) -> Outgoing:
        rendered = self.services.messages.text(template, **context)
        return text_to(self._next_key(), **self._reply_to(), text=rendered)


CommandHandler = Callable[[CommandContext], Awaitable[list[Outgoing]]]
Audience = Callable[["Person", "OrgDirectory"], bool]


def everyone(person: Person, directory: OrgDirectory) -> bool:
    return True


@dataclass(frozen=True)
class Command:
    id: str
    handler: CommandHandler
    audience: Audience = everyone
    # The words calling it, the first shown in 帮助; by default its entry in commands.toml.
    words: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.words:
            object.__setattr__(self, "words", command_words(self.id))

    @property
    def word(self) -> str:
        return self.words[0]


class PayloadError(ValueError):
    """A card callback's params do not fit the action's payload type."""


@dataclass(frozen=True)
class CardPayload:
    """Base for typed card-button payloads. Subclasses are frozen dataclasses whose
    fields are str/int/bool (optionally ``| None``); ``parse`` validates client data."""

    _SCALARS: ClassVar[tuple[type, ...]] = (str, int, bool)

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> Self:
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            expected = hints[f.name]
            optional = get_origin(expected) in (Union, types.UnionType) and type(None) in get_args(
                expected
            )
            base = next((a for a in get_args(expected) if a is not type(None)), expected)
            raw = params.get(f.name)
            if raw is None:
                if optional or f.default is not dataclasses.MISSING:
                    continue
                raise PayloadError(f"missing field {f.name!r}")
            values[f.name] = _coerce(f.name, raw, base)
        return cls(**values)


def _coerce(name: str, raw: Any, base: Any) -> Any:
    if base is bool:
        if isinstance(raw, bool):
            return raw
        if raw in ("true", "false"):
            return raw == "true"
    elif base is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lstrip("-").isdigit():
            return int(raw)
    elif base is str and isinstance(raw, str):
        return raw
    raise PayloadError(f"field {name!r} has the wrong type")


@dataclass
class CardResult:
    """The answer to a card click: the card update carried back in the ACK (within 2 s)
    and messages to send afterwards through the outbox."""

    card_data: dict[str, Any] = field(default_factory=dict)
    private_data: dict[str, Any] = field(default_factory=dict)
    outgoing: list[Outgoing] = field(default_factory=list)


@dataclass(frozen=True)
class CardContext:
    user_id: str
    out_track_id: str
    card: dict[str, Any]  # the stored card record (never the client's claim)
    services: Services


CardHandler = Callable[[CardContext, Any], Awaitable[CardResult]]


@dataclass(frozen=True)
class CardAction:
    id: str  # the "action" param a card button binds (or its actionId)
    payload_type: type[CardPayload]
    handler: CardHandler


class Router:
    """Validates the routing table at start-up and answers "which handler?"."""

    def __init__(
        self,
        commands: Sequence[Command],
        card_actions: Sequence[CardAction],
        *,
        has_description: Callable[[str], bool],
    ) -> None:
        self.commands = list(commands)
        self._by_word: dict[str, Command] = {}
        ids: set[str] = set()
        for command in self.commands:
            if command.id in ids:
                raise RouteConflictError(f"command id {command.id!r} registered twice")
            ids.add(command.id)
            if not command.words:
                raise RouteConflictError(f"command {command.id!r} has no words")
            if not has_description(command.id):
                raise RouteConflictError(f"command {command.id!r} has no entry in commands.toml")
            for word in command.words:
                key = word.casefold()
                if key in self._by_word:
                    other = self._by_word[key].id
                    raise RouteConflictError(
                        f"word {word!r} claimed by {other!r} and {command.id!r}"
                    )
                self._by_word[key] = command
        self._actions: dict[str, CardAction] = {}
        for action in card_actions:
            if action.id in self._actions:
                raise RouteConflictError(f"card action {action.id!r} registered twice")
            self._actions[action.id] = action

    def match(self, text: str) -> tuple[Command, str] | None:
        text = text.strip()
        if not text:
            return None
        exact = self._by_word.get(text.casefold())
        if exact:
            return exact, ""
        for sep in _SEPARATORS:
            head, found, rest = text.partition(sep)
            if found and (command := self._by_word.get(head.strip().casefold())):
                return command, rest.strip()
        return None

    def visible(self, person: Person, directory: OrgDirectory) -> list[Command]:
        return [c for c in self.commands if c.audience(person, directory)]

    def suggest(
        self, text: str, person: Person, directory: OrgDirectory, limit: int = 3
    ) -> list[Command]:
        """The closest commands to an unknown input (by word similarity)."""
        visible = self.visible(person, directory)
        words = {w: c for c in visible for w in c.words}
        head = text.strip().split()[0] if text.strip() else ""
        close = difflib.get_close_matches(head, list(words), n=limit * 2, cutoff=0.3)
        close += [w for w in words if w in text or (head and head in w)]
        result: list[Command] = []
        for word in close:
            if words[word] not in result:
                result.append(words[word])
        return result[:limit]

    def card_action(self, action_id: str) -> CardAction | None:
        return self._actions.get(action_id)
