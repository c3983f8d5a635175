"""Builds DingTalk card-platform templates (the JSON the platform exports and imports)
from the compact specs in ``messages/cards/*.toml``.

The output follows the shape of the platform's own exports (open-dingtalk's card
examples): ``{"editorData": "<json>", "widgetInfo", "type": "im", "mode": "card"}`` with
``schema.componentsTree`` (StdCard root, Loop/Grid/BaseText/Markdown/Input/SingleButton
children), ``variableList`` and ``localList``. Buttons are "request" buttons with an empty
actionId; what a click means travels in their bound ``params`` (loop fields and local
input variables), exactly what the bot reads.

``python -m messages.card_export`` rewrites the JSON files; ``--check`` exits 1 when a
committed file is out of date with its spec.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

CARDS_DIR = Path(__file__).parent / "cards"
CARD_NAMES = ("approval", "meeting", "notice")
COMPONENTS = ("StdCard", "Loop", "Grid", "BaseText", "Markdown", "Input", "SingleButton")
Json = dict[str, Any]


def _node_id(card: str, *parts: object) -> str:
    digest = hashlib.sha256(":".join([card, *map(str, parts)]).encode()).hexdigest()
    return "node_ocl" + digest[:8]


def _string(content: str) -> Json:
    return {"i18n": False, "type": "dynamicString", "content": content}


def _select(value: str, variable: str = "", variable_type: str = "global") -> Json:
    return {
        "type": "dynamicSelect",
        "valueType": "variable" if variable else "fixed",
        "value": value,
        "variable": variable,
        "variableType": variable_type,
    }


def _visible(conditions: list[Json]) -> Json:
    return {
        "type": "dynamicVisible",
        "value": True,
        "valueType": "condition" if conditions else "fixed",
        "condition": {"op": "and", "conditions": conditions},
    }


def _condition(op: str, variable: str, variable_type: str = "global") -> Json:
    return {
        "value": "",
        "op": op,
        "variable": variable,
        "variableType": variable_type,
        "type": "variable",
        "valueType": "fixed",
        "valueVariableType": "global",
    }


def _node(component: str, node_id: str, props: Json, children: list[Json] | None = None) -> Json:
    node: Json = {
        "componentName": component,
        "id": node_id,
        "props": props,
        "hidden": False,
        "isLocked": False,
        "condition": True,
        "conditionGroup": "",
    }
    if children is not None:
        node["children"] = children
    return node


def _text(node_id: str, content: str, visible: list[Json], *, bold: bool = False) -> Json:
    props = {
        "text": _string(content),
        "maxLine": {"type": "dynamicNumber", "valueType": "fixed", "value": 0},
        "color": "black",
        "bold": bold,
        "marginLeft": 12,
        "marginRight": 12,
        "marginTop": 8,
        "marginBottom": 0,
        "visible": _visible(visible),
    }
    return _node("BaseText", node_id, props)


def _markdown(node_id: str, variable: str) -> Json:
    props = {
        "mdVer": 0,
        "content": {
            "type": "dynamicMarkdown",
            "valueType": "variable",
            "value": "",
            "variable": variable,
            "variableType": "global",
        },
        "marginLeft": 12,
        "marginRight": 12,
        "marginTop": 8,
        "marginBottom": 0,
        "visible": _visible([_condition("isNotEmpty", variable)]),
    }
    return _node("Markdown", node_id, props)


def _loop(node_id: str, items: str, direction: str, visible: list[Json], child: Json) -> Json:
    props = {
        "listData": {"type": "variableValue", "variableType": "global", "variable": items},
        "direction": direction,
        "flowLayout": direction == "horizontal",
        "childGap": True,
        "childGapSize": 8,
        "marginLeft": 0,
        "marginRight": 0,
        "marginTop": 8,
        "marginBottom": 0,
        "visible": _visible(visible),
    }
    return _node("Loop", node_id, props, [child])


def _fields(card: str, index: int, block: Json) -> list[Json]:
    items = block["items"]
    row = _node(
        "Grid",
        _node_id(card, index, "row"),
        {"direction": "horizontal", "isAutoHeight": True, "visible": _visible([])},
        [
            _text(_node_id(card, index, "label"), "${loop.label}", []),
            _text(_node_id(card, index, "value"), "${loop.value}", [], bold=True),
        ],
    )
    return [_loop(_node_id(card, index), items, "vertical", [], row)]


def _labelled(card: str, index: int, block: Json) -> list[Json]:
    variable = block["variable"]
    shown = [_condition("isNotEmpty", variable)]
    label = block.get("label")
    if block["type"] == "markdown":
        nodes = [_text(_node_id(card, index, "label"), label, shown, bold=True)] if label else []
        return [*nodes, _markdown(_node_id(card, index), variable)]
    content = f"{label}：${{{variable}}}" if label else f"${{{variable}}}"
    return [_text(_node_id(card, index), content, shown, bold=bool(block.get("bold")))]


def _if(block: Json) -> list[Json]:
    flag = block.get("visible_if")
    return [_condition("isTrue", flag)] if flag else []


def _input(card: str, index: int, block: Json) -> list[Json]:
    props = {
        "title": _string(block["title"]),
        "placeholder": _string(block["placeholder"]),
        "currentValue": _string(""),
        "message": _string(block["placeholder"]),
        "id": block["local"],
        "params": [],
        "status": _select("normal"),
        "actionType": "setLocalState",
        "localVarAction": {
            "variable": block["local"],
            "variableType": "global",
            "varType": "string",
            "type": "variableValue",
        },
        "visible": _visible(_if(block)),
    }
    return [_node("Input", _node_id(card, index), props)]


def _param(name: str, variable: str, variable_type: str, number: int) -> Json:
    return {
        "type": "variable",
        "variable": variable,
        "value": "",
        "name": name,
        "variableType": variable_type,
        "id": str(number),
    }


def _buttons(card: str, index: int, block: Json) -> list[Json]:
    items = block["items"]
    params = [_param(p, f"{items}[0].{p}", "loop", n) for n, p in enumerate(block["params"], 1)]
    for name, local in block.get("local_params", {}).items():
        params.append(_param(name, local, "global", len(params) + 1))
    button = {
        "text": _string("${loop.text}"),
        "status": _select("normal"),
        "color": _select("blue", f"{items}[0].color", "loop"),
        "actionType": "request",
        "actionId": _string(""),
        "params": params,
        "successToast": _string(""),
        "failureToast": _string(""),
        "successCondition": {"op": "and", "conditions": []},
        "enableClickEvent": True,
        "disabledWhileForward": False,
        "marginLeft": 12,
        "marginRight": 0,
        "marginTop": 8,
        "marginBottom": 8,
        "visible": _visible([]),
    }
    child = _node("SingleButton", _node_id(card, index, "button"), button)
    return [_loop(_node_id(card, index), items, "horizontal", _if(block), child)]


BLOCKS = {
    "fields": _fields,
    "markdown": _labelled,
    "text": _labelled,
    "input": _input,
    "buttons": _buttons,
}


def _variable(spec: Json, kind: str) -> Json:
    out: Json = {
        "name": spec["name"],
        "id": spec["name"],
        "type": spec["type"],
        "private": bool(spec.get("private", False)),
        "description": spec.get("desc", ""),
        "editorVarType": kind,
    }
    if spec["type"] == "loopArray":
        out["schema"] = [
            {
                "id": f"{spec['name']}[0].{name}",
                "name": name,
                "type": "string",
                "private": out["private"],
                "description": desc,
                "editorVarType": kind,
            }
            for name, desc in spec["fields"]
        ]
    return out


def _root(card: str, spec: Json, children: list[Json]) -> Json:
    header = spec["header"]
    props = {
        "cardName": _string(f"${{{header['title']}}}"),
        "tagText": _string(f"${{{header['tag']}}}"),
        "tagColor": _select("blue", header["tag_color"]),
        "tagStyle": "hollow",
        "showCloseButton": False,
        "actionType": "none",
        "actionId": _string(""),
        "params": [],
    }
    node = _node("StdCard", _node_id(card, "root"), props, children)
    node.update({"fileName": card, "dataSource": {"list": []}, "state": {}, "lifeCycles": {}})
    return node


def _variable_list(spec: Json) -> list[Json]:
    """The card's variables, ``lastMessage`` (the chat-list preview) first."""
    last_message = {"name": "lastMessage", "type": "string", "desc": spec["last_message"]}
    return [_variable(v, "variables") for v in [last_message, *spec["variables"]]]


def _schema(card: str, spec: Json) -> Json:
    """The components the card uses, and its component tree."""
    children: list[Json] = []
    for index, block in enumerate(spec["layout"]):
        children.extend(BLOCKS[block["type"]](card, index, block))
    return {
        "version": "1.0.0",
        "componentsMap": [
            {
                "package": "@ali/dxComponent",
                "version": "1.0.0",
                "exportName": name,
                "main": "./src/index.tsx",
                "destructuring": False,
                "subName": "",
                "componentName": name,
            }
            for name in COMPONENTS
        ],
        "componentsTree": [_root(card, spec, children)],
        "i18n": {},
    }


def _mock_data(spec: Json) -> Json:
    """What the platform's editor previews the card with."""
    public = {v["name"]: v.get("mock", "") for v in spec["variables"] if not v.get("private")}
    private = {v["name"]: v.get("mock", "") for v in spec["variables"] if v.get("private")}
    return {
        "cardData": {"lastMessage": spec["last_message"], **public},
        "cardPrivateData": private,
        "localData": {v["name"]: "" for v in spec.get("locals", [])},
        "richTextData": {},
    }


def build(card: str, spec: Json) -> Json:
    """The platform's export for one card spec."""
    editor = {
        "schemaVersion": "3.0.0",
        "schema": _schema(card, spec),
        "mockData": _mock_data(spec),
        "editVersion": 0,
        "customWidgetInfo": "",
        "useCustomWidgetInfo": False,
        "variableList": _variable_list(spec),
        "formList": [],
        "expList": [],
        "localList": [_variable(v, "localList") for v in spec.get("locals", [])],
        "hsfList": [],
        "lwpList": [],
        "extension": {"extendType": "NORMAL", "fileTypeList": []},
    }
    return {
        "editorData": json.dumps(editor, ensure_ascii=False),
        "widgetInfo": "",
        "type": "im",
        "mode": "card",
    }


def render(card: str) -> str:
    spec = tomllib.loads((CARDS_DIR / f"{card}.toml").read_text("utf-8"))
    return json.dumps(build(card, spec), ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str]) -> int:
    stale = []
    for card in CARD_NAMES:
        target = CARDS_DIR / f"{card}.json"
        text = render(card)
        current = target.read_text("utf-8") if target.is_file() else ""
        if current == text:
            continue
        if "--check" in argv:
            stale.append(target.name)
        else:
            target.write_text(text, "utf-8")
    if stale:
        sys.stderr.write(f"out of date (run python -m messages.card_export): {stale}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
