"""The console's own JSON endpoints and static files (no browser needed)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.harness import SandboxThread


@pytest.fixture
def http(sandbox: SandboxThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=10) as client:
        yield client


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2026-11-27T09:00:00+08:00", "2026-11-30T09:00:00+08:00"),  # Friday -> Monday
        ("2026-09-30T10:30:00+08:00", "2026-10-08T10:30:00+08:00"),  # National Day
        ("2026-02-13T08:00:00+08:00", "2026-02-14T08:00:00+08:00"),  # a working Saturday
        ("2026-11-24T01:00:00+00:00", "2026-11-25T09:00:00+08:00"),  # Beijing wall time
    ],
)
def test_next_workday_follows_the_statutory_calendar(
    http: httpx.Client, start: str, expected: str
) -> None:
    answer = http.get("/console/api/next-workday", params={"from": start})
    assert answer.status_code == 200
    assert answer.json()["next"] == expected


def test_next_workday_rejects_bad_input(http: httpx.Client) -> None:
    for bad in ("yesterday", "2026-11-24T09:00:00"):
        answer = http.get("/console/api/next-workday", params={"from": bad})
        assert answer.status_code == 400
        assert "error" in answer.json()


def test_directory_groups_units_leadership_and_office_first(http: httpx.Client) -> None:
    body = http.get("/console/api/directory").json()
    names = [u["name"] for u in body["units"]]
    assert names[:2] == ["县人民政府领导", "县人民政府办公室"]
    people = {u["userId"]: u for u in body["users"]}
    assert people["sun.yongming"]["roleNames"] == ["办公室主任"]
    assert people["wang.jianguo"]["roleNames"] == ["县长"]
    assert any(g["conversationId"] == "cidYc0GovOffice0000001==" for g in body["groups"])


def test_card_definitions_come_from_the_card_files(http: httpx.Client) -> None:
    templates = http.get("/console/api/cards").json()
    approval = templates["govbot.approval.schema"]
    assert approval["type"] == "im" and approval["mode"] == "card"
    names = {v["name"] for v in json.loads(approval["editorData"])["variableList"]}
    assert {"title", "status", "fields", "trail", "can_act", "actions"} <= names


def test_page_and_static_files_are_served_without_auth_or_call_log(
    http: httpx.Client,
) -> None:
    page = http.get("/")
    assert page.status_code == 200 and "钉钉沙盒" in page.text
    script = http.get("/static/app.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert http.get("/static/..%2Fconsole.py").status_code == 404
    assert http.get("/static/nope.js").status_code == 404
    assert http.get("/sandbox/calls").json() == []
