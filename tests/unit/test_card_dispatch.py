"""What a card click means: the bound ``action`` param first, an actionId as fallback."""

from __future__ import annotations

from bot.cards import dispatch_key


def test_platform_button_with_empty_action_id_dispatches_on_params() -> None:
    assert dispatch_key({"action": "flow.act", "decision": "approve"}, []) == "flow.act"
    assert dispatch_key({"action": "flow.act"}, [""]) == "flow.act"


def test_params_win_over_an_action_id() -> None:
    assert dispatch_key({"action": "doc.sign"}, ["flow.act"]) == "doc.sign"


def test_a_button_with_its_own_action_id_is_still_understood() -> None:
    assert dispatch_key({"decision": "approve"}, ["flow.act"]) == "flow.act"


def test_nothing_usable_means_no_action() -> None:
    assert dispatch_key({}, None) == ""
    assert dispatch_key({"action": 3}, [7]) == ""
    assert dispatch_key({"action": ""}, []) == ""
