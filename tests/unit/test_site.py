"""The public website (第七十八条): what is published, what never is, and how it is built."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from handlers.distribution.site_build import SiteError, build_site
from handlers.distribution.site_publisher import rebuild_site, rebuild_site_from_storage
from storage import Database, Session

PROJECT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = PROJECT / "sandbox" / "demo_org.toml"
COUNTY = "阳城县"


def make_doc(seq: int, disclosure: str = "主动公开", **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": f"阳政发〔2026〕{seq}号",
        "flow": f"FW2026-{seq:04d}",
        "type": "county_gov",
        "year": 2026,
        "seq": seq,
        "title": f"关于公文{seq}号的通知",
        "issued_at": f"2026-03-{seq:02d}T10:00:00+08:00",
        "issuer": "阳城县人民政府",
        "body": f"各乡镇人民政府：\n\n  第{seq}号正文第一段。\n第{seq}号正文第二段。\n",
        "attachment": None,
        "disclosure": disclosure,
        "withdrawn": False,
        "withdrawn_at": None,
    }
    doc.update(changes)
    return doc


def add_file(data: Path, name: str, content: bytes) -> str:
    path = data / "files" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return f"files/{name}"


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def all_text(root: Path) -> str:
    return "\n".join(b.decode("utf-8", "replace") for b in tree(root).values())


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "site"


# -- what is published ------------------------------------------------------------------


def test_public_document_on_index_page_and_feed(data: Path, out: Path) -> None:
    report = build_site([make_doc(15)], out, data_dir=data, county=COUNTY)
    assert report.published == ("阳政发〔2026〕15号",)
    assert report.withheld == 0
    assert report.problems == ()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "阳政发〔2026〕15号" in index
    assert "关于公文15号的通知" in index
    assert 'href="docs/2026/county_gov-15.html"' in index
    assert "2026年" in index and "县政府文件" in index
    page = (out / "docs" / "2026" / "county_gov-15.html").read_text(encoding="utf-8")
    assert "阳政发〔2026〕15号" in page
    assert "阳城县人民政府" in page
    assert "2026年3月15日" in page
    assert "<p>第15号正文第一段。</p>" in page
    assert "<p>第15号正文第二段。</p>" in page
    feed = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert [item["id"] for item in feed["items"]] == ["阳政发〔2026〕15号"]
    item = feed["items"][0]
    assert item["title"] == "关于公文15号的通知"
    assert item["url"] == "docs/2026/county_gov-15.html"
    assert item["date_published"] == "2026-03-15T10:00:00+08:00"
    assert "第15号正文第一段。" in item["content_text"]


def test_index_grouped_by_year_then_type_newest_first(data: Path, out: Path) -> None:
    docs = [
        make_doc(3),
        make_doc(9),
        make_doc(4, id="阳政办发〔2026〕4号", type="gov_office", issuer="阳城县人民政府办公室"),
        make_doc(20, id="阳政发〔2025〕20号", year=2025, issued_at="2025-12-30T10:00:00+08:00"),
    ]
    report = build_site(docs, out, data_dir=data, county=COUNTY)
    assert report.published == (
        "阳政发〔2026〕9号",
        "阳政发〔2026〕3号",
        "阳政办发〔2026〕4号",
        "阳政发〔2025〕20号",
    )
    index = (out / "index.html").read_text(encoding="utf-8")
    positions = [index.index(number) for number in report.published]
    assert positions == sorted(positions)
    assert index.index("2026年") < index.index("县政府办公室文件") < index.index("2025年")
    assert (out / "docs" / "2026" / "gov_office-4.html").is_file()
    assert (out / "docs" / "2025" / "county_gov-20.html").is_file()


@pytest.mark.parametrize("disclosure", ["涉密", "依申请公开", "不予公开"])
def test_non_public_documents_never_appear(data: Path, out: Path, disclosure: str) -> None:
    secret_bytes = b"SECRET-ATTACHMENT-CONTENT-42"
    hidden = make_doc(
        7,
        disclosure,
        title="机密标题不应出现",
        body="机密正文不应出现" if disclosure != "涉密" else None,
        attachment={
            "name": "机密附件.pdf",
            "path": add_file(data, "s.pdf", secret_bytes),
            "size": 1,
        },
    )
    report = build_site([make_doc(15), hidden], out, data_dir=data, county=COUNTY)
    assert report.published == ("阳政发〔2026〕15号",)
    assert report.withheld == 1
    everything = all_text(out)
    for needle in (
        "机密标题不应出现",
        "机密正文不应出现",
        "阳政发〔2026〕7号",
        "机密附件",
        "FW2026-0007",
    ):
        assert needle not in everything
    assert not any(secret_bytes in content for content in tree(out).values())
    assert not (out / "files").exists()
    assert not (out / "docs" / "2026" / "county_gov-7.html").exists()
    feed = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    assert [item["id"] for item in feed["items"]] == ["阳政发〔2026〕15号"]


@pytest.mark.parametrize(
    "changes",
    [{"disclosure": "主动公开 "}, {"disclosure": None}, {"withdrawn": None}, {"withdrawn": "no"}],
)
def test_unclear_disclosure_is_not_published(
    data: Path, out: Path, changes: dict[str, Any]
) -> None:
    report = build_site([make_doc(5, **changes)], out, data_dir=data, county=COUNTY)
    assert report.published == ()
    assert "关于公文5号的通知" not in all_text(out)


def test_withdrawn_document_disappears(data: Path, out: Path) -> None:
    path = add_file(data, "a.pdf", b"%PDF-1.7 withdrawn")
    doc = make_doc(15, attachment={"name": "附件.pdf", "path": path, "size": 18})
    build_site([doc, make_doc(16)], out, data_dir=data, county=COUNTY)
    assert (out / "docs" / "2026" / "county_gov-15.html").is_file()
    assert (out / "files" / "2026-county_gov-15.pdf").is_file()

    doc.update(withdrawn=True, withdrawn_at="2026-04-01T09:00:00+08:00")
    report = build_site([doc, make_doc(16)], out, data_dir=data, county=COUNTY)
    assert report.published == ("阳政发〔2026〕16号",)
    assert report.withheld == 1
    assert not (out / "docs" / "2026" / "county_gov-15.html").exists()
    assert not (out / "files").exists()
    assert "关于公文15号的通知" not in all_text(out)
    feed = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    assert [item["id"] for item in feed["items"]] == ["阳政发〔2026〕16号"]


def test_rebuild_is_byte_identical_and_leaves_nothing_behind(data: Path, out: Path) -> None:
    path = add_file(data, "a.pdf", b"%PDF-1.7 same")
    docs = [make_doc(1, attachment={"name": "a.pdf", "path": path, "size": 13}), make_doc(2)]
    build_site(docs, out, data_dir=data, county=COUNTY)
    first = tree(out)
    build_site(list(reversed(docs)), out, data_dir=data, county=COUNTY)
    assert tree(out) == first
    siblings = sorted(p.name for p in out.parent.iterdir())
    assert siblings == [".site.lock", "data", "site"]


def test_empty_site(data: Path, out: Path) -> None:
    report = build_site([], out, data_dir=data, county=COUNTY)
    assert report.published == ()
    assert "暂无公开文件" in (out / "index.html").read_text(encoding="utf-8")
    assert json.loads((out / "feed.json").read_text(encoding="utf-8"))["items"] == []


def test_invalid_document_is_left_out_and_reported(data: Path, out: Path) -> None:
    bad = make_doc(8, type="../../etc", title="坏记录")
    report = build_site([bad, make_doc(9)], out, data_dir=data, county=COUNTY)
    assert report.published == ("阳政发〔2026〕9号",)
    assert [(p.doc_id, p.reason) for p in report.problems] == [("阳政发〔2026〕8号", "invalid")]
    assert "坏记录" not in all_text(out)


# -- hostile content ------------------------------------------------------------------


def test_hostile_title_body_and_attachment_name_render_as_text(data: Path, out: Path) -> None:
    path = add_file(data, "h.pdf", b"%PDF")
    doc = make_doc(
        15,
        title="<script>alert(1)</script>通知",
        body='<img src=x onerror="alert(2)">\n<a href="javascript:alert(3)">点我</a>',
        attachment={"name": '"><script>alert(4)</script>.pdf', "path": path, "size": 4},
    )
    build_site([doc], out, data_dir=data, county=COUNTY)
    for name in ("index.html", "docs/2026/county_gov-15.html"):
        html = (out / name).read_text(encoding="utf-8")
        assert "<script" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;通知" in html
    page = (out / "docs" / "2026" / "county_gov-15.html").read_text(encoding="utf-8")
    assert "<img" not in page
    assert 'href="javascript:' not in page
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in page
    assert 'download="&#34;&gt;&lt;script&gt;alert(4)&lt;/script&gt;.pdf"' in page
    assert "default-src 'none'" in page  # and a CSP that forbids scripts anyway
    feed = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    assert feed["items"][0]["title"] == "<script>alert(1)</script>通知"  # JSON, not HTML


# -- attachments ------------------------------------------------------------------------


def test_attachment_copied_under_a_safe_generated_name(data: Path, out: Path) -> None:
    content = b"%PDF-1.7 attachment body"
    path = add_file(data, "ab12.pdf", content)
    doc = make_doc(15, attachment={"name": "../../附件 1.PDF", "path": path, "size": 3})
    report = build_site([doc], out, data_dir=data, county=COUNTY)
    assert report.attachments == 1
    copied = out / "files" / "2026-county_gov-15.pdf"
    assert copied.read_bytes() == content
    assert sorted(p.name for p in (out / "files").iterdir()) == ["2026-county_gov-15.pdf"]
    page = (out / "docs" / "2026" / "county_gov-15.html").read_text(encoding="utf-8")
    assert 'href="../../files/2026-county_gov-15.pdf"' in page
    feed = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    assert feed["items"][0]["attachments"] == [
        {
            "url": "files/2026-county_gov-15.pdf",
            "mime_type": "application/pdf",
            "title": "../../附件 1.PDF",
            "size_in_bytes": len(content),
        }
    ]


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink"])
def test_attachment_path_outside_the_data_dir_is_rejected(
    tmp_path: Path, data: Path, out: Path, kind: str
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"NOT-FOR-PUBLICATION")
    if kind == "dotdot":
        path = "files/../../outside.txt"
    elif kind == "absolute":
        path = str(outside)
    else:
        (data / "files").mkdir()
        (data / "files" / "link.pdf").symlink_to(outside)
        path = "files/link.pdf"
    doc = make_doc(15, attachment={"name": "x.pdf", "path": path, "size": 1})
    report = build_site([doc], out, data_dir=data, county=COUNTY)
    assert report.published == ("阳政发〔2026〕15号",)  # the text is still public
    assert [(p.doc_id, p.reason) for p in report.problems] == [
        ("阳政发〔2026〕15号", "attachment_outside")
    ]
    assert report.attachments == 0
    assert not (out / "files").exists()
    assert not any(b"NOT-FOR-PUBLICATION" in c for c in tree(out).values())
    assert "x.pdf" not in (out / "docs" / "2026" / "county_gov-15.html").read_text("utf-8")


def test_missing_attachment_is_reported(data: Path, out: Path) -> None:
    doc = make_doc(15, attachment={"name": "x.pdf", "path": "files/gone.pdf", "size": 1})
    report = build_site([doc], out, data_dir=data, county=COUNTY)
    assert [p.reason for p in report.problems] == ["attachment_missing"]
    assert report.published == ("阳政发〔2026〕15号",)


# -- where the site may go --------------------------------------------------------------


@pytest.mark.parametrize("where", ["inside", "same", "parent"])
def test_site_never_overlaps_the_data_dir(tmp_path: Path, data: Path, where: str) -> None:
    (data / "keep.json").write_text("{}")
    target = {"inside": data / "site", "same": data, "parent": tmp_path}[where]
    with pytest.raises(SiteError) as info:
        build_site([make_doc(1)], target, data_dir=data, county=COUNTY)
    assert info.value.reason == "inside_data"
    assert (data / "keep.json").read_text() == "{}"
    assert not (data / "site").exists()


def test_a_foreign_folder_is_not_replaced(data: Path, out: Path) -> None:
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(SiteError) as info:
        build_site([make_doc(1)], out, data_dir=data, county=COUNTY)
    assert info.value.reason == "not_a_site"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_leftovers_of_a_crashed_build_are_cleared(data: Path, out: Path) -> None:
    stale = out.parent / ".site.building"
    stale.mkdir()
    (stale / "half.html").write_text("half")
    (out.parent / ".site.old").mkdir()
    build_site([make_doc(1)], out, data_dir=data, county=COUNTY)
    assert not stale.exists()
    assert not (out.parent / ".site.old").exists()
    assert (out / "index.html").is_file()


# -- from storage ---------------------------------------------------------------------


@pytest.fixture
def db(data: Path) -> Iterator[Database]:
    database = Database.open_sync(data)
    yield database
    database.close_sync()


def store(db: Database, *docs: dict[str, Any], archive: int | None = None) -> None:
    def work(s: Session) -> None:
        documents = s.collection("documents")
        for doc in docs:
            documents.insert(doc)
            if archive is not None:
                documents.archive(doc["id"], archive)

    db.run_sync(work)


def test_rebuild_from_storage_reads_open_and_archived(db: Database, out: Path) -> None:
    old = make_doc(30, id="阳政发〔2025〕30号", year=2025, issued_at="2025-06-01T10:00:00+08:00")
    store(db, old, archive=2025)
    store(db, make_doc(1), make_doc(2, "涉密", body=None))
    report = rebuild_site_from_storage(db, out, county=COUNTY)
    assert report.published == ("阳政发〔2026〕1号", "阳政发〔2025〕30号")
    assert report.withheld == 1
    assert "关于公文2号的通知" not in all_text(out)


async def test_rebuild_site_async(data: Path, out: Path) -> None:
    database = await Database.open(data)
    try:
        await database.run(lambda s: s.collection("documents").insert(make_doc(4)))
        report = await rebuild_site(database, out, county=COUNTY)
    finally:
        await database.close()
    assert report.published == ("阳政发〔2026〕4号",)
    assert (out / "docs" / "2026" / "county_gov-4.html").is_file()


# -- the command ------------------------------------------------------------------------


def govbot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def prepare_data(data: Path) -> None:
    database = Database.open_sync(data)
    try:
        path = add_file(data, "ab12.pdf", b"%PDF-1.7 cli")
        store(
            database,
            make_doc(15, attachment={"name": "附件.pdf", "path": path, "size": 12}),
            make_doc(16, "涉密", title="涉密文件标题", body=None),
        )
    finally:
        database.close_sync()


def test_cli_site_build(tmp_path: Path, data: Path) -> None:
    prepare_data(data)
    result = govbot("site", "build", "--config", str(DEMO_CONFIG), "--data", str(data))
    assert result.returncode == 0, result.stderr
    site = tmp_path / "data-site"  # the default: beside the data dir, never inside
    assert str(site) in result.stdout
    assert "公开文件 1 件" in result.stdout
    assert (site / "index.html").is_file()
    assert (site / "feed.json").is_file()
    assert (site / "docs" / "2026" / "county_gov-15.html").is_file()
    assert (site / "files" / "2026-county_gov-15.pdf").read_bytes() == b"%PDF-1.7 cli"
    assert "涉密文件标题" not in all_text(site)
    first = tree(site)

    again = govbot("site", "build", "--config", str(DEMO_CONFIG), "--data", str(data))
    assert again.returncode == 0, again.stderr
    assert tree(site) == first
    Database.open_sync(data).close_sync()  # the data dir is still a valid database


def test_cli_site_build_explicit_out(tmp_path: Path, data: Path) -> None:
    prepare_data(data)
    target = tmp_path / "www" / "public"
    result = govbot(
        "site", "build", "--config", str(DEMO_CONFIG), "--data", str(data), "--out", str(target)
    )
    assert result.returncode == 0, result.stderr
    assert (target / "index.html").is_file()


def test_cli_site_build_refuses_out_inside_data(data: Path) -> None:
    prepare_data(data)
    result = govbot(
        "site", "build", "--config", str(DEMO_CONFIG), "--data", str(data), "--out", str(data / "s")
    )
    assert result.returncode == 2
    assert "数据目录" in result.stderr
    assert not (data / "s").exists()


def test_cli_site_build_bad_config(tmp_path: Path, data: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[county]\n", encoding="utf-8")
    result = govbot("site", "build", "--config", str(bad), "--data", str(data))
    assert result.returncode == 2
    assert "问题" in result.stderr


def test_cli_site_build_refused_while_the_bot_holds_the_data(db: Database, data: Path) -> None:
    result = govbot("site", "build", "--config", str(DEMO_CONFIG), "--data", str(data))
    assert result.returncode == 3
    assert "停止机器人" in result.stderr
