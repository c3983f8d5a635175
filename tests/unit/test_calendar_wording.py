"""Dates computed with the provisional calendar are marked with one phrase everywhere:
the fragment calendar_provisional.frag.j2, included by every template that marks them."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from messages.render import Messages

MESSAGES = Path(__file__).resolve().parents[2] / "messages"
TEMPLATES = MESSAGES / "templates"
FRAGMENT = "calendar_provisional.frag.j2"
PHRASE = "暂定：该年节假日安排尚未录入"
INCLUDE = '{% include "calendar_provisional.frag.j2" %}'
# Words that only a provisional mark would use (spelled out elsewhere they drift apart).
MARKERS = ("暂定", "暂按", "临时日历", "未公布", "临时计算")


def _texts() -> dict[Path, str]:
    files = [p for p in MESSAGES.rglob("*") if p.suffix in {".j2", ".toml", ".json", ".html"}]
    return {p: p.read_text(encoding="utf-8") for p in files if p.is_file()}


def test_the_fragment_is_the_phrase() -> None:
    assert (TEMPLATES / FRAGMENT).read_text(encoding="utf-8").strip() == PHRASE


def test_no_message_spells_provisional_wording_itself() -> None:
    spelled = [
        f"{path.name}: {word}"
        for path, text in _texts().items()
        if path.name != FRAGMENT
        for word in MARKERS
        if word in text
    ]
    assert spelled == []


def test_every_template_marking_provisional_dates_includes_the_fragment() -> None:
    marking = {
        path.name: text
        for path, text in _texts().items()
        if path.suffix == ".j2" and re.search(r"\bprovisional\b", text)
    }
    assert marking, "no template marks provisional dates"
    missing = [name for name, text in marking.items() if INCLUDE not in text]
    assert missing == []


@pytest.mark.parametrize(
    ("name", "context"),
    [
        ("flow_deadline", {"when": "2027年1月4日 18:00", "provisional": True}),
        ("sv_deadline", {"due": date(2027, 1, 8), "given": True, "provisional": True, "days": 10}),
        (
            "leave_urgent_done",
            {"number": "QJ2026-0001", "deadline": "2027年1月4日 18:00", "provisional": True},
        ),
    ],
)
def test_rendered_marks_carry_the_phrase(name: str, context: dict[str, object]) -> None:
    messages = Messages()
    assert PHRASE in messages.text(name, **context)
    assert PHRASE not in messages.text(name, **{**context, "provisional": False})


def test_the_notice_describes_the_fallback_and_its_mark() -> None:
    notice = Messages().markdown("calendar_not_covered", year=2027)
    assert "元旦、劳动节、国庆节" in notice.text
    assert f"“{PHRASE}”" in notice.text
