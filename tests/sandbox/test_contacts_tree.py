"""The sandbox's contacts API with a department tree (an organisation's seed): nested
departments, department leaders, paging and DingTalk's errors for bad parameters."""

from __future__ import annotations

import pytest

from sandbox.contacts import OrgSeed, SeedDept
from sandbox.seed import SandboxSeed, SeedUser
from tests.sandbox.conftest import Api, make_seed


@pytest.fixture
def seed() -> SandboxSeed:
    base = make_seed()
    staff = [
        SeedUser(f"clerk{i:03d}", f"union-c{i:03d}", f"科员{i}", "县财政局", [], "科员", 20)
        for i in range(150)
    ]
    return OrgSeed(
        **{k: getattr(base, k) for k in ("app_key", "app_secret", "robot_code", "agent_id")},
        corp_id=base.corp_id,
        users=[
            SeedUser("boss", "union-boss", "局长", "县财政局", [], "局长", 20),
            SeedUser("chief", "union-chief", "股长", "预算股", [], "股长", 21),
            *staff,
        ],
        groups=[],
        org_name="测试县人民政府",
        departments=[
            SeedDept(20, "县财政局", leader_ids=("boss",)),
            SeedDept(21, "预算股", parent_id=20, leader_ids=("chief",)),
            SeedDept(30, "县林业局"),
        ],
    )


async def test_department_tree(api: Api) -> None:
    top = await api.oapi("/topapi/v2/department/listsub", {"dept_id": 1, "language": "zh_CN"})
    assert [(d["dept_id"], d["name"], d["parent_id"]) for d in top["result"]] == [
        (20, "县财政局", 1),
        (30, "县林业局", 1),
    ]
    sub = await api.oapi("/topapi/v2/department/listsub", {"dept_id": 20})
    assert [(d["dept_id"], d["parent_id"]) for d in sub["result"]] == [(21, 20)]
    assert (await api.oapi("/topapi/v2/department/listsub", {"dept_id": 21}))["result"] == []
    ids = await api.oapi("/topapi/v2/department/listsubid", {"dept_id": 1})
    assert ids["result"]["dept_id_list"] == [20, 30]
    root = await api.oapi("/topapi/v2/department/get", {"dept_id": 1})
    assert root["result"]["name"] == "测试县人民政府" and "parent_id" not in root["result"]
    dept = await api.oapi("/topapi/v2/department/get", {"dept_id": 21})
    assert dept["result"]["parent_id"] == 20
    assert dept["result"]["dept_manager_userid_list"] == ["chief"]


async def test_user_list_pages_and_leaders(api: Api) -> None:
    seen: list[str] = []
    cursor = 0
    pages = 0
    while True:
        page = await api.oapi(
            "/topapi/v2/user/list", {"dept_id": 20, "cursor": cursor, "size": 100}
        )
        result = page["result"]
        seen += [u["userid"] for u in result["list"]]
        pages += 1
        if not result["has_more"]:
            assert "next_cursor" not in result
            break
        cursor = result["next_cursor"]
    assert pages == 2 and len(seen) == 151 and len(set(seen)) == 151
    first = (await api.oapi("/topapi/v2/user/list", {"dept_id": 20, "cursor": 0, "size": 1}))[
        "result"
    ]["list"][0]
    assert first["userid"] == "boss"
    assert first["leader_in_dept"] == [{"dept_id": 20, "leader": True}]
    clerk = await api.oapi("/topapi/v2/user/get", {"userid": "clerk000"})
    assert clerk["result"]["leader_in_dept"] == [{"dept_id": 20, "leader": False}]
    assert clerk["result"]["dept_id_list"] == [20]


async def test_bad_parameters(api: Api) -> None:
    for body in (
        {"dept_id": 20, "cursor": 0, "size": 101},
        {"dept_id": 20, "cursor": 0, "size": 0},
        {"dept_id": 20, "cursor": 0},
        {"dept_id": 20, "cursor": -1, "size": 10},
        {"dept_id": "财政局", "cursor": 0, "size": 10},
        {"cursor": 0, "size": 10},
    ):
        answer = await api.oapi("/topapi/v2/user/list", body)
        assert answer["errcode"] == 40035, body
    missing = await api.oapi("/topapi/v2/department/listsub", {"dept_id": 99})
    assert missing["errcode"] == 60003
    assert (await api.oapi("/topapi/v2/department/get", {"dept_id": 99}))["errcode"] == 60003
    assert (await api.oapi("/topapi/v2/user/get", {}))["errcode"] == 40035
    assert (await api.oapi("/topapi/v2/user/get", {"userid": "nobody"}))["errcode"] == 60121


def test_seed_rejects_a_broken_tree() -> None:
    base = make_seed()
    values = {k: getattr(base, k) for k in ("app_key", "app_secret", "robot_code", "agent_id")}
    with pytest.raises(ValueError, match="unknown parent"):
        OrgSeed(**values, corp_id="c", users=[], groups=[], departments=[SeedDept(5, "x", 4)])
    with pytest.raises(ValueError, match="unknown department"):
        OrgSeed(
            **values,
            corp_id="c",
            users=[SeedUser("a", "ua", "甲", "乙", [], "", 7)],
            groups=[],
            departments=[],
        )
