"""The shipped card templates are the card platform's import format, and they match the
bot: every button binds the params the bot's card actions read, and nothing else."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from bot.card_buttons import ACTION_PARAM, button
from bot.feature import card_actions_of
from handlers.approvals.card import FLOW_ACT
from handlers.distribution.distribute import PROGRESS, SIGN
from handlers.emergencies.card import EMERGENCY_ACK
from handlers.features import FEATURES
from handlers.information.card import INFORMATION_ACT
from handlers.letters.card import LETTER_ACT
from handlers.meetings.card import MEETING_ACT
from handlers.supervision.card import SUPERVISION_ACT
from messages import card_export
from sandbox.card_template import Template

CARDS = Path(card_export.__file__).parent / "cards"
PLATFORM_TYPES = {"string", "markdown", "boolean", "number", "loopArray", "object"}
TEMPLATE_OF = {
    FLOW_ACT: "approval",
    SUPERVISION_ACT: "approval",  # the supervision card is an approval card
    EMERGENCY_ACK: "approval",  # and so is the emergency card
    LETTER_ACT: "approval",  # and the letter card
    INFORMATION_ACT: "approval",  # and the information card
    MEETING_ACT: "meeting",
    SIGN: "notice",
    PROGRESS: "notice",
}


def exported(card: str) -> dict[str, Any]:
    raw = json.loads((CARDS / f"{card}.json").read_text("utf-8"))
    assert isinstance(raw, dict)
    return raw


def editor(card: str) -> dict[str, Any]:
    data = json.loads(exported(card)["editorData"])
    assert isinstance(data, dict)
    return data


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [node]
    for child in node.get("children", []):
        nodes.extend(walk(child))
    return nodes


def bound_params(card: str) -> dict[str, dict[str, Any]]:
    """param name -> binding, over every request button of the template."""
    out: dict[str, dict[str, Any]] = {}
    for node in walk(editor(card)["schema"]["componentsTree"][0]):
        props = node["props"]
        if node["componentName"] == "SingleButton" and props["actionType"] == "request":
            assert props["actionId"]["content"] == ""  # meaning travels in params
            out.update({p["name"]: p for p in props["params"]})
    return out


def test_committed_templates_are_built_from_their_specs() -> None:
    assert card_export.main(["--check"]) == 0


@pytest.mark.parametrize("card", card_export.CARD_NAMES)
def test_templates_have_the_platform_export_shape(card: str) -> None:
    raw = exported(card)
    assert raw["type"] == "im" and raw["mode"] == "card" and isinstance(raw["editorData"], str)
    data = editor(card)
    assert data["schema"]["componentsTree"][0]["componentName"] == "StdCard"
    variables = data["variableList"]
    assert {v["type"] for v in variables} <= PLATFORM_TYPES
    assert all(v["editorVarType"] == "variables" for v in variables)
    assert all(v["editorVarType"] == "localList" for v in data["localList"])
    names = [v["name"] for v in variables]
    assert len(names) == len(set(names))
    assert set(data["mockData"]["cardData"]) <= set(names)


@pytest.mark.parametrize("card", card_export.CARD_NAMES)
def test_every_binding_names_something_the_template_declares(card: str) -> None:
    data = editor(card)
    loops = {v["name"]: {f["name"] for f in v.get("schema", [])} for v in data["variableList"]}
    local = {v["name"] for v in data["localList"]}
    for name, param in bound_params(card).items():
        if param["variableType"] == "loop":
            source, field = param["variable"].split("[0].")
            assert field in loops[source], (card, name)
        else:
            assert param["variable"] in local, (card, name)
    for node in walk(data["schema"]["componentsTree"][0]):
        if node["componentName"] == "Input":
            assert node["props"]["localVarAction"]["variable"] in local


def test_every_card_action_reads_only_what_its_buttons_send() -> None:
    for action in card_actions_of(FEATURES):
        card = TEMPLATE_OF[action.id]
        sent = set(bound_params(card))
        fields = {f.name for f in dataclasses.fields(action.payload_type)}
        required = {
            f.name
            for f in dataclasses.fields(action.payload_type)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        assert ACTION_PARAM in sent, card
        assert required <= sent, (card, required - sent)
        assert sent - {ACTION_PARAM} == fields, (card, sent ^ fields)


def test_the_buttons_the_bot_builds_fit_the_loop_items() -> None:
    for action in card_actions_of(FEATURES):
        card = TEMPLATE_OF[action.id]
        data = editor(card)
        schema = next(v for v in data["variableList"] if v["name"] == "actions")
        item_fields = {f["name"] for f in schema["schema"]}
        loop_params = {
            name for name, p in bound_params(card).items() if p["variableType"] == "loop"
        }
        built = button(action.id, "x", "primary", **dict.fromkeys(loop_params - {"action"}, "v"))
        assert set(built) == item_fields, card


@pytest.mark.parametrize("card", card_export.CARD_NAMES)
def test_the_sandbox_draws_the_mock_data_with_its_buttons(card: str) -> None:
    template = Template(exported(card))
    mock = editor(card)["mockData"]
    data = {
        k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
        for k, v in {**mock["cardData"], **mock["cardPrivateData"]}.items()
    }
    view, buttons = template.render(data)
    assert view["title"] and buttons
    assert all(b.params[ACTION_PARAM] == TEMPLATE_OF_ACTION[card] for b in buttons)


# The action of each template's mock buttons (the notice card's mock is a recipient's 签收).
TEMPLATE_OF_ACTION = {"approval": FLOW_ACT, "meeting": MEETING_ACT, "notice": SIGN}
