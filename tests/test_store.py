"""Version store: reference resolution, catalog, views (hand-built documents)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policy_tools import app
from policy_tools.cli import cli
from policy_tools.errors import InputError, PolicyToolsError, StoreError
from policy_tools.history import review_type
from policy_tools.io import atomic_write_text, dumps
from policy_tools.model.policy import (
    HistoryEntry,
    Indication,
    Leaf,
    Node,
    PolicyDocument,
    PolicyMeta,
    Source,
)
from policy_tools.render.text import show_text
from policy_tools.store import load_revision, rebuild_catalog


def versions_view(policy: str | None, *, store_dir: Path, as_json: bool = False) -> str:
    """The ``versions`` command's output, through the CLI."""
    args = ["versions", *([policy] if policy else []), "--store", str(store_dir)]
    res = CliRunner().invoke(cli, [*args, *(["--json"] if as_json else [])])
    if res.exit_code == 2:
        raise StoreError(res.output)
    return res.output


def show_view(
    ref: str, *, store_dir: Path, section: str | None = None, as_json: bool = False
) -> str:
    """The ``show`` command's output (text views rendered from ``app.show``)."""
    doc = app.show(ref, section, store_dir)
    if as_json:
        data = doc.model_dump(mode="json")
        return dumps(data[section] if section else data)
    return show_text(doc, section)


POLICY = "MP-RX-FP-171-25"


def make_doc(
    number: str | None = POLICY,
    date: str | None = "2025-08-08",
    *,
    source: str = "a.pdf",
    sha: str = "a" * 64,
    review_type: str = "Policy Inception",
    name: str = "Imdelltra",
) -> PolicyDocument:
    return PolicyDocument(
        source=Source(path=source, sha256=sha, format="pdf", pages=3, extractor_version="1.0.0"),
        policy=PolicyMeta(number=number, name=name, effective_date=date),
        history=[HistoryEntry(review_type=review_type, summary="s", page=3)],
    )


def put(store: Path, doc: PolicyDocument, policy: str = POLICY) -> Path:
    path = store / policy / f"{doc.policy.effective_date}.json"
    atomic_write_text(path, dumps(doc))
    return path


@pytest.fixture
def store(tmp_path: Path) -> Path:
    s = tmp_path / "store"
    put(s, make_doc(date="2025-08-08", sha="1" * 64))
    put(s, make_doc(date="2026-05-06", sha="2" * 64, review_type="Annual Review"))
    put(s, make_doc(date="2027-01-01", sha="3" * 64, review_type="Ad hoc"))
    put(s, make_doc("OTHER-1", "2024-01-01", sha="4" * 64), policy="OTHER-1")
    return s


@pytest.mark.parametrize(
    ("ref", "date"),
    [
        (f"{POLICY}@latest", "2027-01-01"),
        (f"{POLICY}@previous", "2026-05-06"),
        (f"{POLICY}@inception", "2025-08-08"),
        (f"{POLICY}@2026-05-06", "2026-05-06"),
        (POLICY, "2027-01-01"),
        (f"{POLICY.lower()}@LATEST", "2027-01-01"),
    ],
)
def test_reference_resolution(store: Path, ref: str, date: str) -> None:
    assert load_revision(ref, store).policy.effective_date == date


def test_unknown_policy_lists_known_ones(store: Path) -> None:
    with pytest.raises(
        StoreError, match=rf"unknown policy 'NOPE'.*stored policies: {POLICY}, OTHER-1"
    ):
        load_revision("NOPE@latest", store)


def test_unknown_date_lists_dates(store: Path) -> None:
    with pytest.raises(
        StoreError, match="no revision effective 2025-01-01; stored: 2025-08-08, 2026-05-06, 2027"
    ):
        load_revision(f"{POLICY}@2025-01-01", store)


def test_bad_alias_and_missing_previous(store: Path) -> None:
    with pytest.raises(StoreError, match=r"expected a date .* latest, previous, inception"):
        load_revision(f"{POLICY}@newest", store)
    with pytest.raises(StoreError, match="only one revision is stored \\(2024-01-01\\)"):
        load_revision("OTHER-1@previous", store)


def test_empty_store_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(StoreError, match="holds no policies"):
        load_revision(f"{POLICY}@latest", tmp_path / "empty")


def test_missing_store_folder_is_an_error_for_reading_commands(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    runner = CliRunner()
    for args in (
        ["versions"],
        ["versions", POLICY],
        ["show", f"{POLICY}@latest"],
        ["diff", f"{POLICY}@previous", f"{POLICY}@latest"],
        ["report", f"{POLICY}@previous", f"{POLICY}@latest"],
        ["store", "rebuild-index"],
        ["store", "check"],
    ):
        res = runner.invoke(cli, [*args, "--store", str(missing)])
        assert res.exit_code == 2, (args, res.output)
        assert res.output.count("\n") == 1 and res.output.startswith("Error: "), res.output
        assert f"no version store at {missing} (the folder does not exist" in res.output
    assert not missing.exists()  # nothing created


def test_store_dir_from_environment(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICY_TOOLS_STORE", str(store))
    assert load_revision("OTHER-1@inception", None).policy.number == "OTHER-1"
    monkeypatch.delenv("POLICY_TOOLS_STORE")
    monkeypatch.chdir(store.parent)
    (store.parent / "extracted").symlink_to(store)
    assert load_revision("OTHER-1", None).policy.number == "OTHER-1"


def test_json_path_is_validated(store: Path, tmp_path: Path) -> None:
    doc = load_revision(str(store / POLICY / "2026-05-06.json"))
    assert doc.source.sha256 == "2" * 64
    bad = tmp_path / "bad.json"
    bad.write_text('{"source": {"path": "x"}}', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.json: not valid policy JSON"):
        load_revision(str(bad))
    with pytest.raises(InputError, match=r"missing\.json: no such file"):
        load_revision(str(tmp_path / "missing.json"))


def test_source_path_is_extracted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "policy.pdf"
    src.write_bytes(b"%PDF-1.4 fake")
    seen: list[Path] = []

    def fake_extract(path: Path) -> PolicyDocument:
        seen.append(path)
        return make_doc(source=path.name)

    monkeypatch.setattr("policy_tools.store.refs.extract_file", fake_extract)
    assert load_revision(str(src)).source.path == "policy.pdf"
    assert seen == [src]


# ------------------------------------------------------------------ views and CLI


def test_versions_view_tables(store: Path) -> None:
    rebuild_catalog(store)
    table = versions_view(None, store_dir=store).splitlines()
    assert table[0].split() == ["POLICY", "NAME", "REVISIONS", "LATEST"]
    assert table[1].split() == [POLICY, "Imdelltra", "3", "2027-01-01"]
    assert table[2].split() == ["OTHER-1", "Imdelltra", "1", "2024-01-01"]
    revs = versions_view(POLICY, store_dir=store).splitlines()
    head = ["EFFECTIVE", "REVIEW", "TYPE", "SOURCE", "SHA256", "PAGES", "COVERAGE"]
    assert revs[1].split() == head
    assert revs[2].split() == ["2025-08-08", "Policy", "Inception", "a.pdf", "1" * 12, "3", "-"]
    assert revs[3].split()[:3] == ["2026-05-06", "Annual", "Review"]
    data = json.loads(versions_view(POLICY, store_dir=store, as_json=True))
    assert [r["sha256"] for r in data["revisions"]] == ["1" * 64, "2" * 64, "3" * 64]
    listing = json.loads(versions_view(None, store_dir=store, as_json=True))
    assert [p["policy"] for p in listing["policies"]] == [POLICY, "OTHER-1"]


def test_versions_view_without_catalog_and_empty(store: Path, tmp_path: Path) -> None:
    assert not (store / ".catalog.sqlite").exists()  # derived on the fly, not written
    assert "2027-01-01" in versions_view(POLICY, store_dir=store)
    assert "OTHER-1" in versions_view(None, store_dir=store)
    assert sorted(p.name for p in store.iterdir()) == [POLICY, "OTHER-1"]
    (tmp_path / "none").mkdir()
    assert "No policies stored" in versions_view(None, store_dir=tmp_path / "none")
    with pytest.raises(StoreError, match="stored policies: MP-RX-FP-171-25, OTHER-1"):
        versions_view("MP-X", store_dir=store)


def test_show_view_sections(store: Path) -> None:
    path = store / POLICY / "2026-05-06.json"
    doc = PolicyDocument.model_validate_json(path.read_text())
    doc.policy.name = "Evil \x1b[31mred\x1b[0m name"
    initial = Node(
        op="AND",
        text="All of:",
        page=2,
        items=[
            Leaf(label="i.", text="Adult", page=2),
            Node(op="OR", label="ii.", items=[Leaf(label="a.", text="X", page=3)]),
        ],
    )
    doc.criteria.indications = [Indication(name="Imdelltra", initial=initial)]
    atomic_write_text(path, dumps(doc))
    text = show_view(f"{POLICY}@previous", store_dir=store)
    assert "\x1b" not in text and "Evil [31mred[0m name" in text
    assert show_view(f"{POLICY}@previous", store_dir=store, section="criteria").splitlines() == [
        "Initial authorization:",
        "  All of: - ALL of (AND):  [p. 2]",
        "    i. Adult  [p. 2]",
        "    ii. - ANY of (OR):",
        "      a. X  [p. 3]",
    ]
    hist = show_view(f"{POLICY}@2026-05-06", store_dir=store, section="history", as_json=True)
    (row,) = json.loads(hist)
    assert (row["review_type"], row["summary"], row["page"]) == ("Annual Review", "s", 3)
    meta = json.loads(show_view(POLICY, store_dir=store, section="policy", as_json=True))
    assert meta["effective_date"] == "2027-01-01"
    whole = json.loads(show_view(f"{POLICY}@inception", store_dir=store, as_json=True))
    assert whole["source"]["sha256"] == "1" * 64
    with pytest.raises(
        PolicyToolsError, match="unknown section 'dose'; valid sections: policy, source"
    ):
        show_view(POLICY, store_dir=store, section="dose")


def test_cli_versions_show_rebuild(store: Path) -> None:
    runner = CliRunner()
    env = {"POLICY_TOOLS_STORE": str(store)}
    res = runner.invoke(cli, ["store", "rebuild-index"], env=env)
    assert res.exit_code == 0
    assert res.output == f"Rebuilt {store / '.catalog.sqlite'}: 2 policies, 4 revisions\n"
    res = runner.invoke(cli, ["versions", POLICY], env=env)
    assert res.exit_code == 0 and "2026-05-06  Annual Review" in res.output
    res = runner.invoke(cli, ["versions", "NOPE", "--store", str(store)])
    assert res.exit_code == 2
    assert "Error: unknown policy 'NOPE'" in res.output
    res = runner.invoke(cli, ["show", f"{POLICY}@previous", "--section", "source"], env=env)
    assert res.exit_code == 0 and "SHA-256:   " + "2" * 64 in res.output
    res = runner.invoke(cli, ["show", f"{POLICY}@1999-01-01"], env=env)
    assert res.exit_code == 2
    assert "has no revision effective 1999-01-01; stored: 2025-08-08, 2026-05-06" in res.output
    res = runner.invoke(cli, ["show", POLICY, "--section", "bogus"], env=env)
    assert res.exit_code == 2 and "valid sections:" in res.output
    res = runner.invoke(cli, ["store", "rebuild-index", "--store", str(store / "nothing")])
    assert res.exit_code == 2 and "no version store at" in res.output


def test_rebuild_names_damaged_revision_and_catalogs_the_rest(store: Path) -> None:
    damaged = store / POLICY / "2026-05-06.json"
    damaged.write_text("{}", encoding="utf-8")
    res = CliRunner().invoke(cli, ["store", "rebuild-index", "--store", str(store)])
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert lines[0] == f"Rebuilt {store / '.catalog.sqlite'}: 2 policies, 3 revisions; 1 problem"
    assert lines[1].startswith(f"  {damaged}: damaged revision file (not valid policy JSON (")
    # nothing names its source (a catalog built from the files): the fix says what to do
    assert lines[1].endswith(
        f"fix: restore it (e.g. `git checkout -- {damaged}`), or remove it and re-ingest its source"
    )
    res = CliRunner().invoke(cli, ["versions", POLICY, "--store", str(store)])
    assert res.exit_code == 0 and "2026-05-06" not in res.output.split("Problem:")[0]
    assert f"Problem: {damaged}: damaged revision file" in res.output


def test_review_type_is_newest_history_row(store: Path) -> None:
    doc = make_doc()
    doc.history = [
        HistoryEntry(
            review_type="Annual Review", summary="", pt_approval_date="2026-05-01", page=5
        ),
        HistoryEntry(
            review_type="Policy Inception", summary="", pt_approval_date="2025-08-01", page=5
        ),
    ]
    assert review_type(doc) == "Annual Review"  # newest first in print: the date decides
    doc.history = [
        HistoryEntry(review_type="Policy Inception", summary="", page=5),
        HistoryEntry(review_type="Ad hoc", summary="", page=5),
    ]
    assert review_type(doc) == "Ad hoc"  # no dates: the last row
