"""Ingest into the version store: unchanged, conflicts, --replace, bad files, locking.

Most tests use a fake extractor (``fake_extract``) reading tiny "%PDF-fake" files so
each outcome is controlled; the CLI tests at the end use the real extractor on the
two canonical PDFs.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import PDF_2025, PDF_2026

from policy_tools import EXTRACTOR_VERSION, app
from policy_tools.cli import _Progress, cli
from policy_tools.errors import InputError
from policy_tools.io import sha256_file
from policy_tools.model.policy import HistoryEntry, PolicyDocument, PolicyMeta, Source
from policy_tools.render.text import ingest_line, ingest_summary
from policy_tools.store import collect_sources, ingest_paths, rebuild_catalog
from policy_tools.store.catalog import CATALOG_NAME, CatalogDB

FAKE_VERSION = {"value": EXTRACTOR_VERSION}
CALLS: list[str] = []


def fake_extract(path: Path) -> PolicyDocument:
    """Extractor stand-in: ``%PDF-fake`` then ``key: value`` lines."""
    data = path.read_bytes()
    if not data.startswith(b"%PDF-fake"):
        raise InputError(path, "not a PDF (no %PDF- header)")
    CALLS.append(path.name)
    time.sleep(float(os.environ.get("FAKE_DELAY", "0")))
    fields = dict(line.split(": ", 1) for line in data.decode().splitlines()[1:] if ": " in line)
    return PolicyDocument(
        source=Source(
            path=path.name,
            sha256=sha256_file(path),
            format="pdf",
            pages=int(fields.get("pages", "1")),
            extractor_version=FAKE_VERSION["value"],
        ),
        policy=PolicyMeta(
            number=fields.get("number"),
            name=fields.get("name"),
            effective_date=fields.get("date"),
        ),
        history=[
            HistoryEntry(review_type=fields.get("review", "Annual Review"), summary="-", page=1)
        ],
    )


def fake_file(
    folder: Path,
    file_name: str,
    number: str | None = "MP-1",
    date: str | None = "2025-01-01",
    **extra: str,
) -> Path:
    lines = ["%PDF-fake"]
    if number:
        lines.append(f"number: {number}")
    if date:
        lines.append(f"date: {date}")
    lines += [f"{k}: {v}" for k, v in extra.items()]
    path = folder / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def install_fake(
    monkeypatch: pytest.MonkeyPatch, extractor: Callable[[Path], PolicyDocument] = fake_extract
) -> None:
    """Ingest (and the store repair) extract with ``extractor``; a fresh call log."""
    monkeypatch.setattr("policy_tools.store.ingest.extract_file", extractor)
    monkeypatch.setattr("policy_tools.store.maintain.extract_file", extractor)
    CALLS.clear()
    FAKE_VERSION["value"] = EXTRACTOR_VERSION
    monkeypatch.setitem(FAKE_VERSION, "value", EXTRACTOR_VERSION)  # restored afterwards


@pytest.fixture
def fake_extractor(monkeypatch: pytest.MonkeyPatch) -> None:
    """For other test modules: ``pytestmark = pytest.mark.usefixtures("fake_extractor")``."""
    install_fake(monkeypatch)


@pytest.fixture(autouse=True)
def use_fake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "real_extractor" not in request.fixturenames:
        install_fake(monkeypatch)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


def ingest(paths: list[Path], store: Path, **kw: object) -> tuple[dict[str, str], str, int]:
    """Run ingest; return {file name: status}, the summary and the exit code."""
    res = app.ingest(paths, store_dir=store, reports=False, **kw)  # type: ignore[arg-type]
    return {Path(f.source).name: f.status for f in res.files}, ingest_summary(res), res.exit_code


def index(store: Path) -> dict[str, Any]:
    """The catalog rows as {"policies": {key: {"revisions": [row, ...]}}}, oldest first."""
    db = CatalogDB.connect(store / CATALOG_NAME)
    try:
        policies: dict[str, Any] = {}
        for row in db.rows():
            policies.setdefault(row.policy, {"revisions": []})["revisions"].append(vars(row))
        return {"policies": policies}
    finally:
        db.close()


def remove_catalog(store: Path) -> None:
    for p in store.glob(CATALOG_NAME + "*"):
        p.unlink()


def test_add_then_same_bytes_unchanged_without_extraction(tmp_path: Path, store: Path) -> None:
    a = fake_file(tmp_path / "in", "a.pdf", date="2025-01-01", review="Policy Inception")
    b = fake_file(tmp_path / "in", "b.pdf", date="2026-01-01", pages="7")
    status, summary, code = ingest([tmp_path / "in"], store)
    assert (status, code) == ({"a.pdf": "added", "b.pdf": "added"}, 0)
    assert "2 added, 0 unchanged, 0 replaced, 0 failed" in summary
    revs = index(store)["policies"]["MP-1"]["revisions"]
    assert [(r["effective_date"], r["review_type"], r["source"], r["pages"]) for r in revs] == [
        ("2025-01-01", "Policy Inception", "a.pdf", 1),
        ("2026-01-01", "Annual Review", "b.pdf", 7),
    ]
    assert revs[0]["sha256"] == sha256_file(a)
    stored = store / "MP-1" / "2026-01-01.json"
    before = (stored.read_bytes(), stored.stat().st_mtime_ns, index(store))
    CALLS.clear()
    status, summary, code = ingest([a, b], store)
    assert (status, code) == ({"a.pdf": "unchanged", "b.pdf": "unchanged"}, 0)
    assert CALLS == []  # decided by sha256, the extractor never ran
    after = (stored.read_bytes(), stored.stat().st_mtime_ns, index(store))
    assert after == before


def test_conflict_refused_and_nothing_changed(tmp_path: Path, store: Path) -> None:
    a = fake_file(tmp_path, "a.pdf", name="First")
    ingest([a], store)
    stored = store / "MP-1" / "2025-01-01.json"
    before = (stored.read_bytes(), index(store))
    b = fake_file(tmp_path, "b.pdf", name="Second")
    status, summary, code = ingest([b], store)
    assert (status, code) == ({"b.pdf": "failed"}, 1)
    assert "MP-1@2025-01-01 is already stored from a.pdf (sha256 " + sha256_file(a)[:12] in summary
    assert f"b.pdf (sha256 {sha256_file(b)[:12]}) claims the same policy number" in summary
    assert "--replace" in summary
    assert (stored.read_bytes(), index(store)) == before


def test_replace_overwrites_and_says_so(tmp_path: Path, store: Path) -> None:
    ingest([fake_file(tmp_path, "a.pdf", name="First")], store)
    b = fake_file(tmp_path, "b.pdf", name="Second")
    status, summary, code = ingest([b], store, replace=True)
    assert (status, code) == ({"b.pdf": "replaced"}, 0)
    assert "replaced the revision from a.pdf" in summary
    assert "0 added, 0 unchanged, 1 replaced, 0 failed" in summary
    doc = PolicyDocument.model_validate_json((store / "MP-1" / "2025-01-01.json").read_text())
    assert (doc.source.path, doc.policy.name) == ("b.pdf", "Second")
    (rev,) = index(store)["policies"]["MP-1"]["revisions"]
    assert (rev["source"], rev["sha256"]) == ("b.pdf", sha256_file(b))


def test_new_extractor_version_re_extracts_same_bytes(tmp_path: Path, store: Path) -> None:
    a = fake_file(tmp_path, "a.pdf")
    FAKE_VERSION["value"] = "0.9.0"
    ingest([a], store)
    FAKE_VERSION["value"] = EXTRACTOR_VERSION
    status, summary, _ = ingest([a], store)
    assert status == {"a.pdf": "replaced"}
    assert f"extractor upgraded: 0.9.0 -> {EXTRACTOR_VERSION}, re-extracted" in summary


def test_extractor_version_moves_with_the_extraction_code(tmp_path: Path) -> None:
    """Any edit of the extraction sources gives a new version; other code does not."""
    import shutil

    from policy_tools import version

    root = tmp_path / "policy_tools"
    shutil.copytree(
        Path(version.__file__).parent, root, ignore=shutil.ignore_patterns("__pycache__")
    )
    before = version.extractor_version(root)
    assert before == EXTRACTOR_VERSION
    (root / "cli.py").write_text("# not extraction code\n", encoding="utf-8")
    assert version.extractor_version(root) == before
    rule = root / "vocab" / "sections.py"
    rule.write_text(rule.read_text(encoding="utf-8") + "\n# a new alias\n", encoding="utf-8")
    changed = version.extractor_version(root)
    assert changed != before and changed.startswith(version.__version__ + "+")


def test_upgraded_extractor_replaces_stale_revisions_of_the_real_pipeline(
    tmp_path: Path, real_extractor: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store written by an older extractor is re-extracted by plain ``ingest``."""
    store = tmp_path / "s"
    monkeypatch.setattr("policy_tools.store.ingest.EXTRACTOR_VERSION", "0.0.1")
    monkeypatch.setattr("policy_tools.extract.EXTRACTOR_VERSION", "0.0.1")
    first = ingest_paths([PDF_2025], store_dir=store)
    assert [f.status for f in first.files] == ["added"]
    monkeypatch.undo()
    again = ingest_paths([PDF_2025], store_dir=store)
    assert [f.status for f in again.files] == ["replaced"]
    assert "extractor upgraded: 0.0.1 -> " in again.files[0].message
    stored = json.loads((store / "MP-RX-FP-171-25" / "2025-08-08.json").read_text())
    assert stored["source"]["extractor_version"] == EXTRACTOR_VERSION


def test_bad_file_mid_batch_does_not_stop_it(tmp_path: Path, store: Path) -> None:
    folder = tmp_path / "in"
    fake_file(folder, "a.pdf", date="2025-01-01")
    (folder / "b.pdf").write_bytes(b"this is not a pdf")
    fake_file(folder, "c.pdf", date="2026-01-01")
    res = ingest_paths([folder, tmp_path / "missing"], store_dir=store)
    got = {Path(f.source).name: (f.status, f.ref) for f in res.files}
    assert got["a.pdf"] == ("added", "MP-1@2025-01-01")
    assert got["c.pdf"] == ("added", "MP-1@2026-01-01")
    assert got["b.pdf"] == ("failed", None)
    assert got["missing"] == ("failed", None)
    assert res.exit_code == 1
    summary = ingest_summary(res)
    rows = {line.split()[2]: line for line in summary.splitlines() if line.startswith("failed")}
    assert rows[str(tmp_path / "in" / "b.pdf")].endswith("not a PDF (no %PDF- header)")
    assert rows[str(tmp_path / "missing")].endswith("no such file or folder")
    assert (store / "MP-1" / "2026-01-01.json").exists()


def test_storage_key_fallbacks(tmp_path: Path, store: Path) -> None:
    files = [
        fake_file(tmp_path, "n.pdf", number=None, name="Clinical Criteria (PDL)"),
        fake_file(tmp_path, "pdl-criteria_2025-05-01.pdf", number=None, date=None),
        fake_file(tmp_path, "odd.pdf", number="2024 P/2116-18"),
        fake_file(tmp_path, "undated.pdf", number="MP-9", date=None),
    ]
    res = ingest_paths(files, store_dir=store)
    got = {Path(f.source).name: (f.status, f.ref, f.message) for f in res.files}
    assert got["n.pdf"] == (
        "added",
        "clinical-criteria-pdl@2025-01-01",
        "no policy number; filed under its name as 'clinical-criteria-pdl'",
    )
    assert got["pdl-criteria_2025-05-01.pdf"] == (
        "added",
        "pdl-criteria@2025-05-01",
        "no policy number or name; filed under its file name as 'pdl-criteria'; "
        "no effective date; filed under the date in the file name 2025-05-01",
    )
    key = "2024-P-2116-18~" + hashlib.sha256(b"2024 P/2116-18").hexdigest()[:8]
    assert got["odd.pdf"] == (
        "added",
        f"{key}@2025-01-01",
        f"policy number '2024 P/2116-18' stored as '{key}' (characters outside "
        "A-Z a-z 0-9 . _ - replaced; the hash keeps it unique)",
    )
    assert got["undated.pdf"][0] == "failed"
    assert "undated.pdf: no effective date found" in got["undated.pdf"][2]


def test_duplicate_bytes_in_one_batch(tmp_path: Path, store: Path) -> None:
    a = fake_file(tmp_path, "a.pdf")
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(a.read_bytes())
    res = ingest_paths([a, copy, a], store_dir=store)
    assert [(Path(f.source).name, f.status, f.message) for f in res.files] == [
        ("a.pdf", "added", ""),
        ("copy.pdf", "unchanged", f"same bytes as {a}"),
    ]
    assert CALLS == ["a.pdf"]


def test_collect_sources_skips_paperwork_and_hidden(tmp_path: Path) -> None:
    root = tmp_path / "in"
    for name in [
        "b.pdf",
        "sub/a.md",
        "sub/c.HTML",
        "d.htm",
        "e.txt",
        "MANIFEST.tsv",
        "README.md",
        "notes.docx",
        ".hidden.pdf",
        ".git/x.pdf",
        "LICENSE.txt",
    ]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")
    files, failed = collect_sources([root, root / "README.md", tmp_path / "nope"])
    rel = [str(p.relative_to(root)) for p in files]
    assert rel == ["b.pdf", "d.htm", "e.txt", "sub/a.md", "sub/c.HTML", "README.md"]
    assert [f.source for f in failed] == [str(tmp_path / "nope")]


def test_jobs_2_gives_the_same_store(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for i in range(5):
        fake_file(folder, f"f{i}.pdf", number=f"P-{i % 2}", date=f"202{i}-01-01")
    (folder / "bad.pdf").write_bytes(b"nope")
    one = ingest([folder], tmp_path / "s1", jobs=1)
    two = ingest([folder], tmp_path / "s2", jobs=2)
    assert one[0] == two[0] and one[2] == two[2] == 1
    for p in sorted((tmp_path / "s1").rglob("*-01-01.json")):
        twin = tmp_path / "s2" / p.relative_to(tmp_path / "s1")
        assert twin.read_bytes() == p.read_bytes()


def test_rebuild_index_equals_incremental_catalog(tmp_path: Path, store: Path) -> None:
    ingest([fake_file(tmp_path, "a.pdf", review="Policy Inception")], store)
    time.sleep(1.1)  # distinct ingest times
    ingest(
        [
            fake_file(tmp_path, "b.pdf", date="2026-01-01"),
            fake_file(tmp_path, "c.pdf", number="Q-7", date="2020-02-02"),
        ],
        store,
    )
    ingest([fake_file(tmp_path, "a2.pdf", name="again")], store, replace=True)
    incremental = index(store)
    done = app.rebuild(store)
    assert (done.catalog, done.policies, done.revisions, done.problems) == (
        store / CATALOG_NAME,
        2,
        3,
        [],
    )
    assert index(store) == incremental  # ingest times and source paths kept
    remove_catalog(store)  # without the old catalog: times from file mtimes
    rebuild_catalog(store)
    without = index(store)
    for p in without["policies"].values():
        for r in p["revisions"]:
            assert r.pop("source_path") is None  # only an ingest knows where it came from
    for p in incremental["policies"].values():
        for r in p["revisions"]:
            r.pop("source_path")
    assert without == incremental
    (store / CATALOG_NAME).write_bytes(b"this is not an SQLite database" * 100)
    rebuild_catalog(store)
    assert index(store)["policies"].keys() == incremental["policies"].keys()


def test_missing_catalog_is_rebuilt_before_ingest(tmp_path: Path, store: Path) -> None:
    a = fake_file(tmp_path, "a.pdf")
    ingest([a], store)
    remove_catalog(store)
    CALLS.clear()
    assert ingest([a], store)[0] == {"a.pdf": "unchanged"}
    assert CALLS == []
    assert "MP-1" in index(store)["policies"]


def test_change_reports_for_newer_revisions(
    tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str | None, str | None, Path]] = []

    def write_reports(old: PolicyDocument, new: PolicyDocument, reports_dir: Path) -> list[Path]:
        calls.append((old.policy.effective_date, new.policy.effective_date, reports_dir))
        return [reports_dir / f"{new.policy.effective_date}.html"]

    monkeypatch.setattr("policy_tools.app.write_reports", write_reports)
    newer = fake_file(tmp_path, "n.pdf", date="2026-01-01")
    res = app.ingest([newer], store_dir=store, reports_dir=tmp_path / "r")
    assert calls == [] and res.reports == []  # nothing to compare with yet
    older = fake_file(tmp_path, "o.pdf", date="2025-01-01")
    res = app.ingest([older], store_dir=store, reports_dir=tmp_path / "r")
    assert calls == []  # an older revision arriving is not a change to report
    newest = fake_file(tmp_path, "x.pdf", date="2027-01-01")
    res = app.ingest([newest], store_dir=store, reports_dir=tmp_path / "r")
    assert calls == [("2026-01-01", "2027-01-01", tmp_path / "r")]
    assert f"{tmp_path / 'r' / '2027-01-01.html'}" in ingest_summary(res)
    newest2 = fake_file(tmp_path, "y.pdf", date="2028-01-01")
    app.ingest([newest2], store_dir=store, reports=False)
    assert len(calls) == 1


CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
import policy_tools.store.ingest
import test_ingest
policy_tools.store.ingest.extract_file = test_ingest.fake_extract
from policy_tools.render.text import ingest_summary
from policy_tools.store import ingest_paths
res = ingest_paths([Path(p) for p in sys.argv[2:]], store_dir=Path(sys.argv[1]))
print(ingest_summary(res))
sys.exit(res.exit_code)
"""


PER_PROCESS = 20  # with flock disabled this test failed 5 runs out of 5 (lost catalog entries)


def test_two_concurrent_ingests_lose_nothing(tmp_path: Path, store: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(tests=str(Path(__file__).resolve().parent)), encoding="utf-8")
    shared = fake_file(tmp_path, "shared.pdf", number="S-1", date="2024-01-01")
    batches = [
        [
            fake_file(
                tmp_path / f"p{n}",
                f"f{i}.pdf",
                number=f"P{n}-{i % 3}",
                date=f"20{10 + i}-0{n + 1}-01",
            )
            for i in range(PER_PROCESS)
        ]
        + [shared]
        for n in range(2)
    ]
    env = {**os.environ, "FAKE_DELAY": "0.01"}
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(store), *map(str, batch)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for batch in batches
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    cat = index(store)["policies"]
    got = sorted((k, r["effective_date"]) for k, v in cat.items() for r in v["revisions"])
    want = sorted(
        [(f"P{n}-{i % 3}", f"20{10 + i}-0{n + 1}-01") for n in range(2) for i in range(PER_PROCESS)]
        + [("S-1", "2024-01-01")]
    )
    assert got == want
    assert len(list(store.rglob("*.json"))) == len(want)  # the revisions, nothing else
    shared_rows = sorted(
        line.split()[0] for out, _ in outs for line in out.splitlines() if "S-1@2024-01-01" in line
    )
    assert shared_rows == ["added", "unchanged"]  # stored once, the other saw the same bytes
    assert rebuild_catalog(store).problems == [] and index(store)["policies"] == cat


# --------------------------------------------------------------- CLI, real extractor


@pytest.fixture
def real_extractor() -> None:
    """Marks a test that runs the real extractor (the fake is not installed)."""


def test_cli_ingest_canonical_pdfs(tmp_path: Path, real_extractor: None) -> None:
    store = tmp_path / "ex"
    runner = CliRunner()
    args = ["ingest", str(PDF_2025.parent), "--store", str(store), "--no-reports"]
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    rows = [line.split()[:2] for line in res.output.splitlines() if line.startswith("added")]
    assert rows == [
        ["added", "MP-RX-FP-171-25@2025-08-08"],
        ["added", "MP-RX-FP-171-25@2026-05-06"],
    ]
    assert "2 added, 0 unchanged, 0 replaced, 0 failed" in res.output
    assert "[1/2] added MP-RX-FP-171-25@2025-08-08" in res.output  # plain lines, not a TTY
    res = runner.invoke(cli, args)
    assert res.exit_code == 0
    assert "0 added, 2 unchanged, 0 replaced, 0 failed" in res.output
    # the "done when": both revisions listed with their review types
    res = runner.invoke(cli, ["versions", "MP-RX-FP-171-25", "--store", str(store)])
    assert res.exit_code == 0
    rows = [line.split()[:3] for line in res.output.splitlines()[2:]]
    assert rows == [["2025-08-08", "Policy", "Inception"], ["2026-05-06", "Annual", "Review"]]
    res = runner.invoke(
        cli, ["show", "MP-RX-FP-171-25@previous", "--store", str(store), "--section", "policy"]
    )
    assert res.exit_code == 0 and "Effective date:     2025-08-08" in res.output


def test_cli_bad_file_next_to_good_one(tmp_path: Path, real_extractor: None) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x.pdf").write_bytes(b"Hello, I am not a PDF at all.\n" * 10)
    (folder / "y.pdf").write_bytes(PDF_2026.read_bytes())
    res = CliRunner().invoke(
        cli, ["ingest", str(folder), "--store", str(tmp_path / "s"), "--no-reports"]
    )
    assert res.exit_code == 1
    assert "1 added, 0 unchanged, 0 replaced, 1 failed" in res.output
    failed = [line for line in res.output.splitlines() if line.startswith("failed")]
    assert len(failed) == 1 and "x.pdf" in failed[0]
    assert (tmp_path / "s" / "MP-RX-FP-171-25" / "2026-05-06.json").exists()


def test_cli_two_concurrent_real_ingests(tmp_path: Path, real_extractor: None) -> None:
    exe = Path(sys.executable).parent / "policy-tools"
    store = tmp_path / "s"
    procs = [
        subprocess.Popen(
            [str(exe), "ingest", str(pdf), "--store", str(store), "--no-reports"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for pdf in (PDF_2025, PDF_2026)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    (entry,) = index(store)["policies"].values()
    assert [(r["effective_date"], r["review_type"]) for r in entry["revisions"]] == [
        ("2025-08-08", "Policy Inception"),
        ("2026-05-06", "Annual Review"),
    ]


def test_refused_and_failed_bytes_are_not_extracted_again(
    tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = fake_file(tmp_path, "a.pdf", name="First")
    b = fake_file(tmp_path, "b.pdf", name="Second")  # conflicts with a
    u = fake_file(tmp_path, "u.pdf", number="MP-9", date=None)  # cannot be dated
    first = ingest_paths([a, b, u], store_dir=store)
    assert [f.status for f in first.files] == ["added", "failed", "failed"]
    assert sorted(CALLS) == ["a.pdf", "b.pdf", "u.pdf"]
    CALLS.clear()
    again = ingest_paths([a, b, u], store_dir=store)
    assert CALLS == []
    assert [f.status for f in again.files] == ["unchanged", "failed", "failed"]
    assert again.files[1].message == first.files[1].message  # the same conflict, both sources
    assert again.files[2].message.startswith(f"{u}: no effective date found")
    assert again.files[2].message.endswith("(known outcome for these bytes; not re-extracted)")
    # --replace bypasses the memo and extracts
    assert ingest([b], store, replace=True)[0] == {"b.pdf": "replaced"}
    assert CALLS == ["b.pdf"]
    # a new extractor version retries the undated file
    CALLS.clear()
    FAKE_VERSION["value"] = "9.9.9"
    monkeypatch.setattr("policy_tools.store.ingest.EXTRACTOR_VERSION", "9.9.9")
    assert ingest([u], store)[0] == {"u.pdf": "failed"}
    assert CALLS == ["u.pdf"]


def test_refused_bytes_are_stored_once_the_slot_is_free(tmp_path: Path, store: Path) -> None:
    a = fake_file(tmp_path, "a.pdf", name="First")
    b = fake_file(tmp_path, "b.pdf", name="Second")
    ingest([a, b], store)
    (store / "MP-1" / "2025-01-01.json").unlink()
    rebuild_catalog(store)
    assert ingest([b], store)[0] == {"b.pdf": "added"}
    assert ingest([a], store)[0] == {"a.pdf": "failed"}


def test_cli_ingest_writes_change_report_for_newer_revision(
    tmp_path: Path, real_extractor: None
) -> None:
    runner = CliRunner()
    store, reports = tmp_path / "s", tmp_path / "r"
    base = ["--store", str(store), "--reports-dir", str(reports)]
    res = runner.invoke(cli, ["ingest", str(PDF_2025), *base])
    assert res.exit_code == 0 and "Change reports written" not in res.output
    res = runner.invoke(cli, ["ingest", str(PDF_2026), *base])
    assert res.exit_code == 0, res.output
    written = sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*.*"))
    assert written == [
        f"MP-RX-FP-171-25/2025-08-08_to_2026-05-06.{ext}" for ext in ("html", "json", "md")
    ]
    for name in written:
        assert str(reports / name) in res.output


def test_progress_bar_replaces_plain_lines(
    tmp_path: Path, store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [fake_file(tmp_path, "a.pdf"), fake_file(tmp_path, "b.pdf", date="2026-01-01")]
    bar = _Progress(tty=True)
    ingest_paths(files, store_dir=store, progress=bar)
    bar.close()
    assert "Ingesting" in capsys.readouterr().err
    lines: list[str] = []
    ingest_paths(files, store_dir=store, progress=lambda *a: lines.append(ingest_line(*a)))
    assert lines == [
        f"[1/2] unchanged MP-1@2025-01-01 <- {files[0]}",
        f"[2/2] unchanged MP-1@2026-01-01 <- {files[1]}",
    ]


@pytest.mark.corpus
def test_corpus_conflict_between_two_renderings(
    corpus_dir: Path, tmp_path: Path, real_extractor: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The corpus holds one Cigna revision printed twice (Adobe, PDFium): different bytes,
    same policy number and effective date - the second is refused, naming the first."""
    adobe = corpus_dir / "cigna_rituximab-non-oncology_ip0319_2026-02-01_adobe.pdf"
    pdfium = corpus_dir / "cigna_rituximab-non-oncology_ip0319_2026-02-01_pdfium.pdf"
    store = tmp_path / "s"
    res = ingest_paths([adobe, pdfium], store_dir=store, jobs=2)
    assert [(f.status, f.ref) for f in res.files] == [
        ("added", "IP0319@2026-02-01"),
        ("failed", "IP0319@2026-02-01"),
    ]
    assert f"already stored from {adobe.name} (sha256 {sha256_file(adobe)[:12]})" in (
        res.files[1].message
    )
    assert res.exit_code == 1
    stored = (store / "IP0319" / "2026-02-01.json").read_bytes()

    def no_extraction(path: Path) -> PolicyDocument:
        raise AssertionError(f"{path} extracted again")

    monkeypatch.setattr("policy_tools.store.ingest.extract_file", no_extraction)
    again = ingest_paths([pdfium, adobe], store_dir=store)
    assert [f.status for f in again.files] == ["failed", "unchanged"]
    assert (store / "IP0319" / "2026-02-01.json").read_bytes() == stored
