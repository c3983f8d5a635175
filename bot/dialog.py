"""Multi-step forms in chat: a command starts a form; the bot asks field by field (or
takes every field at once as ``字段：值`` lines), shows a summary, and submits on
``确认``. ``取消`` ends it at any point. The state is stored per user, so a restart in the
middle of a dialog loses nothing. Field names, prompts and aliases live in
messages/forms.toml.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import Clock, to_epoch_ms
from bot.errors import UserFacingError
from bot.outgoing import Outgoing
from messages.vocabulary import word_list

if TYPE_CHECKING:
    from bot.router import CommandContext
    from storage.session import Session

DIALOGS = "dialogs"
CANCEL_WORDS = frozenset(word_list("answers.cancel"))
CONFIRM_WORDS = frozenset(word_list("answers.confirm"))
SKIP_WORDS = frozenset(word_list("answers.skip"))  # an optional field left out
NONE_WORDS = frozenset(word_list("answers.none"))
KEEP_WORDS = frozenset(word_list("answers.keep"))  # a pre-filled field left as it was
# A form left alone this long is forgotten (the user is told when he comes back).
DIALOG_TTL = timedelta(hours=12)
DIALOG_TTL_MS = int(DIALOG_TTL.total_seconds() * 1000)
_LINE = re.compile(r"^\s*([^：:\n]{1,12})\s*[：:]\s*(.*)$")


@dataclass(frozen=True)
class FormField:
    key: str
    # Returns the parsed value, or an awaitable of it when parsing must read storage.
    parse: Callable[[Any, CommandContext, Mapping[str, Any]], Any]
    optional: bool = False
    accepts_file: bool = False
    # Ask this field only when the values so far call for it.
    applies: Callable[[Mapping[str, Any]], bool] = lambda values: True


Submit = Callable[["CommandContext", dict[str, Any]], Awaitable[list[Outgoing]]]


@dataclass(frozen=True)
class Form:
    id: str  # section in messages/forms.toml
    fields: tuple[FormField, ...]
    submit: Submit
    summary: Callable[[CommandContext, Mapping[str, Any]], list[tuple[str, str]]]
    # Checks across fields before the summary (e.g. length against the kind).
    check: Callable[[CommandContext, Mapping[str, Any]], None] = lambda ctx, values: None
    # Extra summary rows that need storage (e.g. a warning that a partner is away).
    notes: (
        Callable[[CommandContext, Mapping[str, Any]], Awaitable[list[tuple[str, str]]]] | None
    ) = None
    # How a pre-filled value (``begin(initial=...)``) is shown in its prompt.
    show: Callable[[CommandContext, str, Any], str] = lambda ctx, key, value: str(value)


class Forms:
    def __init__(self, forms: Sequence[Form], texts: Mapping[str, Any]) -> None:
        self._forms = {f.id: f for f in forms}
        self._texts = texts
        for form in forms:
            for f in form.fields:
                if f.key not in texts.get(form.id, {}):
                    raise ValueError(f"forms.toml has no [{form.id}.{f.key}]")

    # -- texts ---------------------------------------------------------------------

    def _text(self, form: Form, key: str) -> Mapping[str, Any]:
        return self._texts[form.id][key]  # type: ignore[no-any-return]

    def label(self, form: Form, key: str) -> str:
        return str(self._text(form, key)["label"])

    def label_of(self, form_id: str, key: str) -> str:
        return self.label(self._forms[form_id], key)

    def _by_label(self, form: Form) -> dict[str, str]:
        names: dict[str, str] = {}
        for f in form.fields:
            text = self._text(form, f.key)
            for name in [text["label"], *text.get("aliases", [])]:
                names[str(name)] = f.key
        return names

    # -- starting ------------------------------------------------------------------

    async def begin(
        self,
        ctx: CommandContext,
        form_id: str,
        *,
        initial: Mapping[str, Any] | None = None,
        fixed: Mapping[str, Any] | None = None,
    ) -> list[Outgoing]:
        """Starts a form. ``initial`` pre-fills fields (each is still asked, showing its
        value, and the keep word leaves it); ``fixed`` values are set and never asked.
        With either, the command's arguments are its own (e.g. a number), not lines."""
        form = self._forms[form_id]
        if initial is not None or fixed is not None:
            return await self._begin_prefilled(ctx, form, dict(initial or {}), dict(fixed or {}))
        values: dict[str, Any] = {}
        if ctx.args.strip():
            values = await self._parse_lines(ctx, form, ctx.args)
            missing = [f for f in self._pending(form, values) if not f.optional]
            if missing:
                names = "、".join(self.label(form, f.key) for f in missing)
                await self._save(ctx, form, values, confirming=False)
                return [ctx.text("form_missing", names=names), *self._ask_next(ctx, form, values)]
            return await self._to_summary(ctx, form, values)
        await self._save(ctx, form, values, confirming=False)
        return [
            ctx.text("form_started", form=self._texts[form.id]["_name"]),
            *self._ask_next(ctx, form, values),
        ]

    async def _begin_prefilled(
        self, ctx: CommandContext, form: Form, initial: dict[str, Any], values: dict[str, Any]
    ) -> list[Outgoing]:
        await self._save(ctx, form, values, confirming=False, initial=initial)
        return [
            ctx.text("form_started", form=self._texts[form.id]["_name"]),
            *self._ask_next(ctx, form, values, initial),
        ]

    # -- continuing ----------------------------------------------------------------

    async def resume(self, ctx: CommandContext) -> list[Outgoing] | None:
        """Answer a message that belongs to an open form; None if there is none."""
        state = await ctx.services.db.run(lambda s: s.collection(DIALOGS).get(ctx.sender.user_id))
        if state is None or state.get("closed"):
            return None
        form = self._forms.get(state["form"])
        if form is None:
            await self._close(ctx)
            return None
        text = (ctx.message.text or "").strip()
        if idle_ms(state, ctx.message.created_ms, ctx.services.clock) > DIALOG_TTL_MS:
            await self._close(ctx)
            if ctx.services.router.match(text) is not None:
                return None  # a command: answered as such
            return [
                ctx.text(
                    "form_expired",
                    form=self._texts[form.id]["_name"],
                    hours=int(DIALOG_TTL.total_seconds() // 3600),
                )
            ]
        matched = ctx.services.router.match(text)
        if matched is not None and not matched[1] and text not in CONFIRM_WORDS:
            return None  # a command word (帮助, 待办 …) is answered; the form stays open
        if text in CANCEL_WORDS:
            await self._close(ctx)
            return [ctx.text("form_cancelled", form=self._texts[form.id]["_name"])]
        values = dict(state["values"])
        if state["confirming"]:
            if text in CONFIRM_WORDS:
                return await self._submit(ctx, form, values)
            return [ctx.text("form_confirm_hint")]
        initial = dict(state.get("initial") or {})
        field = self._pending(form, values)[0]
        try:
            values[field.key] = await self._answer(ctx, form, field, values, initial)
        except UserFacingError as problem:
            return [
                ctx.text(problem.template, **problem.context),
                self._prompt(ctx, form, field, initial),
            ]
        if self._pending(form, values):
            await self._save(ctx, form, values, confirming=False, initial=initial)
            return self._ask_next(ctx, form, values, initial)
        return await self._to_summary(ctx, form, values)

    async def _answer(
        self,
        ctx: CommandContext,
        form: Form,
        field: FormField,
        values: Mapping[str, Any],
        initial: Mapping[str, Any],
    ) -> Any:
        """The parsed value of the message answering ``field`` (None: left out)."""
        text = (ctx.message.text or "").strip()
        if ctx.message.file is not None:
            if not field.accepts_file:
                raise UserFacingError("form_no_file_here", field=self.label(form, field.key))
            answer = {
                "name": ctx.message.file.name,
                "download_code": ctx.message.file.download_code,
            }
            return await _parsed(field, answer, ctx, values)
        if ctx.message.msgtype not in ("text", "richText"):
            raise UserFacingError("form_text_please", field=self.label(form, field.key))
        if field.key in initial and text in KEEP_WORDS:
            return initial[field.key]
        if field.optional and text in SKIP_WORDS:
            return None
        return await _parsed(field, text, ctx, values)

    # -- internals -----------------------------------------------------------------

    def _pending(self, form: Form, values: Mapping[str, Any]) -> list[FormField]:
        return [f for f in form.fields if f.key not in values and f.applies(values)]

    def _prompt(
        self,
        ctx: CommandContext,
        form: Form,
        field: FormField,
        initial: Mapping[str, Any] | None = None,
    ) -> Outgoing:
        text = self._text(form, field.key)
        current = None
        if initial and field.key in initial:
            current = form.show(ctx, field.key, initial[field.key])
        return ctx.text(
            "form_prompt",
            prompt=text["prompt"],
            optional=field.optional,
            accepts_file=field.accepts_file,
            current=current,
        )

    def _ask_next(
        self,
        ctx: CommandContext,
        form: Form,
        values: Mapping[str, Any],
        initial: Mapping[str, Any] | None = None,
    ) -> list[Outgoing]:
        pending = self._pending(form, values)
        return [self._prompt(ctx, form, pending[0], initial)] if pending else []

    async def _parse_lines(self, ctx: CommandContext, form: Form, raw: str) -> dict[str, Any]:
        names = self._by_label(form)
        collected: dict[str, list[str]] = {}
        current: str | None = None
        for line in raw.splitlines():
            found = _LINE.match(line)
            if found and found.group(1).strip() in names:
                current = names[found.group(1).strip()]
                collected[current] = [found.group(2)]
            elif current is not None:
                collected[current].append(line)
            elif line.strip():
                raise UserFacingError(
                    "form_bad_line",
                    line=line.strip()[:30],
                    names="、".join(self.label(form, f.key) for f in form.fields),
                )
        values: dict[str, Any] = {}
        for f in form.fields:
            if f.key in collected:
                answer = "\n".join(collected[f.key]).strip()
                values[f.key] = (
                    None
                    if (f.optional and answer in NONE_WORDS)
                    else await _parsed(f, answer, ctx, values)
                )
        return values

    async def _to_summary(
        self, ctx: CommandContext, form: Form, values: dict[str, Any]
    ) -> list[Outgoing]:
        form.check(ctx, values)
        await self._save(ctx, form, values, confirming=True)
        rows = form.summary(ctx, values)
        if form.notes is not None:
            rows = [*rows, *await form.notes(ctx, values)]
        return [ctx.markdown("form_summary", form=self._texts[form.id]["_name"], rows=rows)]

    async def _submit(
        self, ctx: CommandContext, form: Form, values: dict[str, Any]
    ) -> list[Outgoing]:
        form.check(ctx, values)  # the rules may have changed since the summary
        return await form.submit(ctx, values)

    async def _save(
        self,
        ctx: CommandContext,
        form: Form,
        values: dict[str, Any],
        *,
        confirming: bool,
        initial: Mapping[str, Any] | None = None,
    ) -> None:
        user = ctx.sender.user_id
        now_ms = to_epoch_ms(ctx.services.clock.now())
        doc = {
            "id": user,
            "form": form.id,
            "values": values,
            "confirming": confirming,
            "updated_ms": now_ms,
            # DingTalk's time stamp of the message that moved the form (0 if it had none).
            "message_ms": ctx.message.created_ms,
            "closed": False,
            "initial": dict(initial or {}),
        }

        def save(session: Session) -> None:
            dialogs = session.collection(DIALOGS)
            if dialogs.get(user) is None:
                dialogs.insert(doc)
            else:
                dialogs.update(user, doc)

        await ctx.services.db.run(save)

    async def _close(self, ctx: CommandContext) -> None:
        await ctx.services.db.run(lambda s: close_dialog(s, ctx.sender.user_id))


def idle_ms(state: Mapping[str, Any], message_ms: int, clock: Clock) -> int:
    """How long a stored form was left alone when a message arrives.

    Measured between DingTalk's time stamps (``createAt``) of the message that last moved
    the form and of this one: both come from the same clock, so neither the bot's lag
    behind a sandbox clock that has just jumped nor a skew between the bot host and
    DingTalk's servers can make a form expire early or live on. Forms stored without a
    time stamp, or messages without one, fall back to the bot's clock.
    """
    last = int(state.get("message_ms") or 0)
    if last > 0 and message_ms > 0:
        return message_ms - last
    return to_epoch_ms(clock.now()) - int(state.get("updated_ms") or 0)


async def _parsed(
    field: FormField, answer: Any, ctx: CommandContext, values: Mapping[str, Any]
) -> Any:
    value = field.parse(answer, ctx, values)
    return await value if inspect.isawaitable(value) else value


def close_dialog(session: Session, user_id: str) -> None:
    """Ends a user's form (inside the storage call that submits it)."""
    dialogs = session.collection(DIALOGS)
    if dialogs.get(user_id) is not None:
        dialogs.update(user_id, {"closed": True, "values": {}})
