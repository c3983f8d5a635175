"""Card-platform templates as DingTalk reads them: the exported JSON (``editorData`` with
``schema.componentsTree``, ``variableList``, ``localList``).

The sandbox uses one interpreter for everything a template decides: which keys a
``cardParamMap`` may carry and how each must be written, what a person sees (the
console draws the resolved tree), and what a click sends back — the button's own
``actionId`` (often empty) and its bound ``params`` (fixed values, card variables, loop
fields, local input variables), never what the clicking client would like to send.

Only the components the project's templates use are interpreted (StdCard/Card, Loop,
Grid, BaseText, Markdown, Input, SingleButton, ButtonBlock); others are skipped with
their children drawn.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import ApiError

Json = dict[str, Any]
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][\w.]*)\}")
TYPED = ("boolean", "number", "loopArray", "object", "numberArray")


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    private: bool


@dataclass
class Button:
    id: str
    text: str
    color: str
    action_id: str
    params: Json  # resolved fixed/variable/loop params
    locals: dict[str, str]  # param name -> local variable bound to it
    sends: bool  # only "request" buttons call back; others open links and the like

    def callback_params(self, local_values: dict[str, Any]) -> Json:
        out = dict(self.params)
        for name, variable in self.locals.items():
            if variable in local_values:  # an untouched input sends nothing
                out[name] = local_values[variable]
        return out


@dataclass
class _Scope:
    data: dict[str, str]
    item: Json | None = None
    indices: tuple[int, ...] = ()
    buttons: list[Button] = field(default_factory=list)

    def child(self, item: Json, index: int) -> _Scope:
        return _Scope(self.data, item, (*self.indices, index), self.buttons)


class Template:
    def __init__(self, raw: Json) -> None:
        editor = raw.get("editorData")
        if isinstance(editor, str):
            editor = json.loads(editor)
        if not isinstance(editor, dict) or raw.get("type") != "im" or raw.get("mode") != "card":
            raise ValueError("not a card-platform export (editorData, type=im, mode=card)")
        tree = editor.get("schema", {}).get("componentsTree")
        if not isinstance(tree, list) or not tree:
            raise ValueError("editorData.schema.componentsTree is empty")
        self.root: Json = tree[0]
        self.variables = {
            v["name"]: Variable(v["name"], v.get("type", "string"), bool(v.get("private")))
            for v in editor.get("variableList", [])
        }
        self.locals = {v["name"]: v.get("type", "string") for v in editor.get("localList", [])}

    # -- data written through the OpenAPI --------------------------------------------
    def check_param_map(self, values: dict[str, str], where: str) -> None:
        """Every key must be a template variable, every typed value parseable."""
        for key, value in values.items():
            variable = self.variables.get(key)
            if variable is None:
                raise ApiError(
                    400, "param.cardParamMapInvalid", f"{where}：卡片模板中没有变量 {key}"
                )
            if variable.type in TYPED and not _parses_as(variable.type, value):
                raise ApiError(
                    400,
                    "param.cardParamMapInvalid",
                    f"{where}.{key} 的值不是 {variable.type} 类型：{value[:60]}",
                )

    # -- what one person sees --------------------------------------------------------
    def render(self, data: dict[str, str]) -> tuple[Json, list[Button]]:
        scope = _Scope(data)
        view = self._node(self.root, scope)
        return view or {"kind": "card", "children": []}, scope.buttons

    def button(self, data: dict[str, str], button_id: str = "", text: str = "") -> Button | None:
        _, buttons = self.render(data)
        for candidate in buttons:
            if (button_id and candidate.id == button_id) or (text and candidate.text == text):
                return candidate
        return None

    def _node(self, node: Json, scope: _Scope) -> Json | None:
        props = node.get("props", {})
        if not _visible(props.get("visible"), scope):
            return None
        name = node.get("componentName")
        children = node.get("children") or []
        if name == "Loop":
            return self._loop(props, children, scope)
        if name in ("StdCard", "Card"):
            return {
                "kind": "card",
                "title": _content(props.get("cardName"), scope),
                "tag": _content(props.get("tagText"), scope),
                "tagColor": _selected(props.get("tagColor"), scope),
                "children": self._children(children, scope),
            }
        if name == "BaseText":
            text = _content(props.get("text"), scope)
            return {"kind": "text", "text": text, "bold": bool(props.get("bold"))}
        if name == "Markdown":
            return {"kind": "markdown", "text": _bound(props.get("content"), scope)}
        if name == "Input":
            action = props.get("localVarAction") or {}
            return {
                "kind": "input",
                "local": action.get("variable", "") if props.get("actionType") else "",
                "title": _content(props.get("title"), scope),
                "placeholder": _content(props.get("placeholder"), scope),
            }
        if name == "SingleButton":
            return self._button(node.get("id", ""), props, scope)
        if name == "ButtonBlock":
            drawn = [
                self._button(f"{node.get('id')}.{b.get('id', i)}", b, scope)
                for i, b in enumerate(props.get("buttons", []))
            ]
            return {"kind": "row", "children": [b for b in drawn if b]}
        kind = "row" if name == "Grid" and props.get("direction") == "horizontal" else "box"
        return {"kind": kind, "children": self._children(children, scope)}

    def _children(self, children: list[Any], scope: _Scope) -> list[Json]:
        drawn = (self._node(c, scope) for c in children if isinstance(c, dict))
        return [c for c in drawn if c is not None]

    def _loop(self, props: Json, children: list[Any], scope: _Scope) -> Json:
        source = (props.get("listData") or {}).get("variable", "")
        items = _loop_items(scope, source)
        drawn = []
        for index, item in enumerate(items):
            inner = scope.child(item, index)
            drawn.append({"kind": "box", "children": self._children(children, inner)})
        kind = "row" if props.get("direction") == "horizontal" else "list"
        return {"kind": kind, "children": drawn}

    def _button(self, node_id: str, props: Json, scope: _Scope) -> Json | None:
        if not _visible(props.get("visible"), scope):  # ButtonBlock items carry their own
            return None
        suffix = "".join(f"#{i}" for i in scope.indices)
        fixed: Json = {}
        local: dict[str, str] = {}
        for param in props.get("params") or []:
            name = param.get("name")
            if not name:
                continue
            variable = param.get("variable", "")
            if param.get("type") == "fixed":
                fixed[name] = param.get("value", "")
            elif param.get("variableType") == "global" and variable in self.locals:
                local[name] = variable
            else:
                fixed[name] = _variable_value(variable, param.get("variableType"), scope, self)
        button = Button(
            id=node_id + suffix,
            text=_content(props.get("text"), scope),
            color=_selected(props.get("color"), scope) or "blue",
            action_id=_content(props.get("actionId"), scope),
            params=fixed,
            locals=local,
            sends=props.get("actionType") == "request",
        )
        scope.buttons.append(button)
        return {"kind": "button", "id": button.id, "text": button.text, "color": button.color}


def _parses_as(kind: str, value: str) -> bool:
    if kind == "boolean":
        return value in ("true", "false")
    if kind == "number":
        try:
            float(value)
        except ValueError:
            return False
        return True
    try:
        parsed = json.loads(value)
    except ValueError:
        return False
    if kind == "loopArray":
        return isinstance(parsed, list) and all(isinstance(i, dict) for i in parsed)
    if kind == "object":
        return isinstance(parsed, dict)
    return isinstance(parsed, list)


def _loop_items(scope: _Scope, variable: str) -> list[Json]:
    raw = scope.data.get(variable, "")
    try:
        items = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _item_field(scope: _Scope, path: str) -> Any:
    """``actions[0].flow`` or ``loop.flow`` -> the current loop item's field."""
    name = path.rsplit(".", 1)[-1]
    return (scope.item or {}).get(name, "")


def _variable_value(variable: str, variable_type: Any, scope: _Scope, template: Template) -> Any:
    if variable_type == "loop":
        return _item_field(scope, variable)
    raw = scope.data.get(variable, "")
    declared = template.variables.get(variable)
    if declared is not None and declared.type in TYPED and raw:
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _content(value: Any, scope: _Scope) -> str:
    if not isinstance(value, dict):
        return ""
    text = str(value.get("content", ""))

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("loop."):
            return str(_item_field(scope, name))
        return scope.data.get(name, "")

    return PLACEHOLDER.sub(substitute, text)


def _bound(value: Any, scope: _Scope) -> str:
    if not isinstance(value, dict):
        return ""
    if value.get("valueType") != "variable":
        return str(value.get("value", ""))
    if value.get("variableType") == "loop":
        return str(_item_field(scope, value.get("variable", "")))
    return scope.data.get(value.get("variable", ""), "")


def _selected(value: Any, scope: _Scope) -> str:
    return _bound(value, scope) if isinstance(value, dict) else ""


def _visible(value: Any, scope: _Scope) -> bool:
    if not isinstance(value, dict):
        return True
    if value.get("valueType") != "condition":
        return value.get("value", True) is not False
    return _holds(value.get("condition") or {}, scope)


def _holds(condition: Json, scope: _Scope) -> bool:
    parts = condition.get("conditions") or []
    results = [_test(c, scope) if "conditions" not in c else _holds(c, scope) for c in parts]
    if condition.get("op") == "or":
        return any(results) if results else True
    return all(results)


def _test(condition: Json, scope: _Scope) -> bool:
    variable = condition.get("variable", "")
    if condition.get("variableType") == "loop":
        value = str(_item_field(scope, variable))
    else:
        value = scope.data.get(variable, "")
    op = condition.get("op")
    expected = str(condition.get("value", ""))
    checks = {
        "isTrue": value == "true",
        "isFalse": value != "true",
        "isNotEmpty": value.strip() not in ("", "[]", "{}"),
        "isEmpty": value.strip() in ("", "[]", "{}"),
        "equal": value == expected,
        "notEqual": value != expected,
    }
    return checks.get(str(op), True)
