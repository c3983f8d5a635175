"""How a flow's acts read in its trail (card and query reply): one clean line each, the
decision's wording then the written opinion after one "：" (issue #16)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from handlers.approvals.card import ApprovalCardView
from messages.render import Messages
from tests.unit.fakes import make_services

CLERK = "jia.lin"


def _flow(kind: str, *entries: tuple[str, str]) -> dict[str, Any]:
    trail = [
        {"at_ms": 1_790_000_000_000, "user": CLERK, "acting_for": None, "action": a, "opinion": o}
        for a, o in entries
    ]
    return {"kind": kind, "trail": trail}


def test_no_trail_wording_carries_its_own_colon() -> None:
    """An opinion follows a decision's wording after "："; a wording with a "：" of its own
    would read "意见：同意：拟同意"."""
    labels: Any = Messages()._labels
    tables = {"done": labels["done"], "deemed": labels["deemed"]}
    tables |= {f"done_by_kind.{k}": t for k, t in labels["done_by_kind"].items()}
    with_colon = [f"{n}.{k}" for n, t in tables.items() for k, v in t.items() if "：" in v]
    assert with_colon == []


async def test_an_opinion_reads_as_one_line_after_the_decision(tmp_path: Path) -> None:
    services = await make_services(tmp_path)
    try:
        view = ApprovalCardView(services)
        request = _flow("request", ("submit", ""), ("decide:approve", "拟同意"))
        outgoing = _flow("outgoing", ("deputy:approve", "拟同意"))
        texts = [line["text"] for line in view.trail_lines(request)]
        assert texts == ["提交", "批示同意：拟同意"]
        assert [line["text"] for line in view.trail_lines(outgoing)] == ["同意：拟同意"]
        trail = services.messages.fragment("flow_trail", lines=view.trail_lines(outgoing))
        assert trail.endswith(" 同意：拟同意")
        assert "意见：" not in trail
    finally:
        await services.db.close()
