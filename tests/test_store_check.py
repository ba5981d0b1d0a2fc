"""``store check`` / ``store check --repair``, the self-healing ingest, damaged revisions.

Each problem a store can have is made by hand (a leftover temp file, a revision file
the catalog lacks, a catalog row without its file, a truncated file, a file whose
recorded source sha256 is not one, bytes changed on disk behind the catalog's back, an
interrupted write in the journal, an unreadable catalog) and the commands are checked
to name each one, with its fix, and exit non-zero.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_ingest import fake_extract, fake_extractor, fake_file  # noqa: F401 - a fixture

from policy_tools.cli import cli
from policy_tools.store import ingest_paths
from policy_tools.store.catalog import CATALOG_NAME, CatalogDB

pytestmark = pytest.mark.usefixtures("fake_extractor")


def run(*args: str) -> tuple[int, list[str]]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.output.splitlines()


def everything(store: Path) -> dict[str, bytes]:
    """Every file of the store with its bytes (the catalog included)."""
    return {
        str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*")) if p.is_file()
    }


@pytest.fixture
def store(tmp_path: Path) -> Path:
    s = tmp_path / "s"
    files = [
        fake_file(tmp_path / "in", "a.pdf", number="P-1", date="2025-01-01"),
        fake_file(tmp_path / "in", "b.pdf", number="P-1", date="2026-01-01"),
        fake_file(tmp_path / "in", "c.pdf", number="P-2", date="2025-01-01"),
        fake_file(tmp_path / "in", "d.pdf", number="P-3", date="2025-01-01"),
    ]
    assert ingest_paths(files, store_dir=s).exit_code == 0
    return s


def test_clean_store_checks_clean(store: Path) -> None:
    code, out = run("store", "check", "--store", str(store))
    assert (code, out) == (0, [f"Checked {store}: 3 policies, 4 revisions; no problems"])


def test_check_names_every_problem_writes_nothing_and_repair_fixes(
    store: Path, tmp_path: Path
) -> None:
    p1, p2, p3 = store / "P-1", store / "P-2", store / "P-3"
    temp = p1 / ".2025-01-01.json.x1y2z3.tmp"
    temp.write_text('{"half": ', encoding="utf-8")
    root_temp = store / ".index.json.abc.tmp"  # left by an earlier version
    root_temp.write_text("{", encoding="utf-8")
    # a valid revision copied in by hand
    extra = json.loads((p1 / "2026-01-01.json").read_text())
    extra["policy"]["effective_date"] = "2027-01-01"
    extra["source"]["sha256"] = "e" * 64
    (p1 / "2027-01-01.json").write_text(json.dumps(extra), encoding="utf-8")
    (p2 / "2025-01-01.json").unlink()  # a row without its file
    truncated = p1 / "2026-01-01.json"  # its source b.pdf is still where it was ingested from
    truncated.write_bytes(truncated.read_bytes()[:200])
    bad_sha = p3 / "2025-01-01.json"  # and its source d.pdf is gone: nothing can rebuild it
    (tmp_path / "in" / "d.pdf").unlink()
    doc = json.loads(bad_sha.read_text())
    doc["source"]["sha256"] = "not-a-digest"
    bad_sha.write_text(json.dumps(doc), encoding="utf-8")
    rot = p1 / "2025-01-01.json"  # same size and mtime, other bytes: damaged on disk
    st = rot.stat()
    data = rot.read_bytes().replace(b'"pages": 1', b'"pages": 9')
    rot.write_bytes(data)
    os.utime(rot, ns=(st.st_atime_ns, st.st_mtime_ns))
    db = CatalogDB.connect(store / CATALOG_NAME)
    with db.write():
        db.begin("P-2", "2026-06-01")  # an interrupted write
    db.close()

    before = everything(store)
    code, out = run("store", "check", "--store", str(store))
    assert code == 1
    assert out[0] == f"Checked {store}: 1 policy, 2 revisions; 8 problems"
    lines = "\n".join(out[1:])
    for expected in (
        f"{p2 / '2026-06-01.json'}: interrupted write (journal); --repair: folder re-read",
        f"{root_temp}: leftover temp file of an interrupted write; --repair: removed",
        f"{temp}: leftover temp file of an interrupted write; --repair: removed",
        f"{p1 / '2027-01-01.json'}: revision file missing from the catalog; --repair: added "
        "to the catalog",
        f"{p2 / '2025-01-01.json'}: in the catalog but the file is gone; --repair: row removed",
        f"{truncated}: damaged revision file (not valid policy JSON (1 errors; first at "
        "(document): Invalid JSON:",
        f"`policy-tools ingest {tmp_path / 'in' / 'b.pdf'}` rewrites it from the bytes it "
        "came from",
        f"{bad_sha}: damaged revision file (its source.sha256 'not-a-digest' is not a SHA-256 "
        "digest); fix: re-ingest its source d.pdf (sha256 ",
        f"{rot}: revision file changed since it was catalogued (same size and time: changed "
        "on disk?); --repair: row re-read from the file",
        f"{p2 / '2025-01-01.json'}: in the catalog but the file is gone; --repair: row removed",
    ):
        assert expected in lines, expected
    assert everything(store) == before  # a check writes nothing

    code, out = run("store", "check", "--repair", "--store", str(store))
    assert code == 1
    fixed = "\n".join(out[1:])
    assert f"{temp}: leftover temp file of an interrupted write; removed" in fixed
    assert f"{truncated}: damaged revision file" in fixed
    assert f"re-extracted from {tmp_path / 'in' / 'b.pdf'}" in fixed
    assert f"{bad_sha}: damaged revision file" in fixed and "; fix: " in fixed
    assert not temp.exists() and not root_temp.exists()
    assert json.loads(truncated.read_text())["source"]["path"] == "b.pdf"

    code, out = run("store", "check", "--store", str(store))
    assert code == 1  # only the file nothing can rebuild is left
    assert out[0] == f"Checked {store}: 1 policy, 3 revisions; 1 problem"
    assert out[1].startswith(f"  {bad_sha}: damaged revision file (its source.sha256")
    bad_sha.unlink()  # the fix it names
    assert run("store", "check", "--store", str(store)) == (
        0,
        [f"Checked {store}: 1 policy, 3 revisions; no problems"],
    )


def test_unreadable_catalog_is_named_and_rebuilt(store: Path) -> None:
    for p in store.glob(CATALOG_NAME + "*"):
        p.unlink()
    (store / CATALOG_NAME).write_bytes(b"garbage, not SQLite" * 50)
    code, out = run("store", "check", "--store", str(store))
    assert code == 1
    assert out[1] == (
        f"  {store / CATALOG_NAME}: the catalog is not a readable SQLite database; "
        "--repair: rebuilt from the revision files"
    )
    res = ingest_paths([], store_dir=store)  # any ingest rebuilds it
    line = res.store_problems[0].line()
    assert line.startswith(f"{store / CATALOG_NAME}: the catalog was unreadable (")
    assert line.endswith("); rebuilt from the revision files")
    assert run("store", "check", "--store", str(store))[0] == 0


def test_catalog_failing_its_integrity_check_is_named_and_rebuilt(store: Path) -> None:
    catalog = store / CATALOG_NAME
    conn = sqlite3.connect(catalog)
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'revisions_sha256'")
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(catalog.read_bytes())
    data[(root[0] - 1) * page + 8 : root[0] * page] = b"\xab" * (page - 8)  # an index page
    catalog.write_bytes(bytes(data))
    code, out = run("store", "check", "--store", str(store))
    assert code == 1
    assert out[1].startswith(f"  {catalog}: SQLite integrity check failed (")
    assert out[1].endswith("; --repair: rebuilt from the revision files")
    code, out = run("store", "check", "--repair", "--store", str(store))
    assert code == 1 and out[0].startswith(f"Repaired {store}: 3 policies, 4 revisions; 1 problem")
    assert run("store", "check", "--store", str(store))[0] == 0


def test_fresh_clone_without_catalog_checks_clean(store: Path) -> None:
    for p in store.glob(CATALOG_NAME + "*"):
        p.unlink()
    assert run("store", "check", "--store", str(store))[0] == 0
    assert not (store / CATALOG_NAME).exists()  # derived data: not created by a check


# --------------------------------------------------------------- self-healing ingest


def test_truncated_revision_is_rewritten_by_plain_ingest_of_its_source(
    store: Path, tmp_path: Path
) -> None:
    target = store / "P-1" / "2026-01-01.json"
    good = target.read_bytes()
    target.write_bytes(good[:100])
    res = ingest_paths([tmp_path / "in" / "b.pdf"], store_dir=store)
    (f,) = res.files
    assert f.status == "replaced", f
    assert "the stored revision file did not read (not valid policy JSON" in f.message
    assert target.read_bytes() == good
    assert res.store_problems == [] and res.exit_code == 0


def test_damaged_revision_of_other_bytes_needs_replace(store: Path, tmp_path: Path) -> None:
    target = store / "P-2" / "2025-01-01.json"
    target.write_text("{ broken", encoding="utf-8")
    other = fake_file(tmp_path / "in2", "c2.pdf", number="P-2", date="2025-01-01", name="x")
    res = ingest_paths([other], store_dir=store)
    assert [f.status for f in res.files] == ["failed"]
    assert "P-2@2025-01-01 is already stored from c.pdf" in res.files[0].message
    assert "use --replace to overwrite" in res.files[0].message
    res = ingest_paths([other], store_dir=store, replace=True)
    assert [f.status for f in res.files] == ["replaced"]
    assert "replaced a damaged revision file (not valid policy JSON" in res.files[0].message
    assert json.loads(target.read_text())["source"]["path"] == "c2.pdf"


def test_known_damage_is_reported_by_every_ingest(store: Path, tmp_path: Path) -> None:
    target = store / "P-1" / "2025-01-01.json"
    target.write_text("{}", encoding="utf-8")
    code, out = run("versions", "P-1", "--store", str(store))  # reading notices it
    assert code == 0 and out[-1].startswith(f"Problem: {target}: damaged revision file")
    assert [line.split()[0] for line in out[2:-1]] == ["2026-01-01"]
    new = fake_file(tmp_path / "in", "n.pdf", number="P-4", date="2025-01-01")
    code, out = run("ingest", str(new), "--store", str(store), "--no-reports")
    assert code == 1
    problem = [line for line in out if line.startswith("Problem:")]
    assert len(problem) == 1 and str(target) in problem[0]
    assert f"fix: `policy-tools ingest {tmp_path / 'in' / 'a.pdf'}` rewrites it" in problem[0]
    assert "1 added, 0 unchanged, 0 replaced, 0 failed" in out[-1]


def test_revision_added_by_hand_is_catalogued_by_the_next_ingest_of_its_policy(
    store: Path, tmp_path: Path
) -> None:
    extra = json.loads((store / "P-1" / "2026-01-01.json").read_text())
    extra["policy"]["effective_date"] = "2024-01-01"
    extra["source"]["sha256"] = "f" * 64
    (store / "P-1" / "2024-01-01.json").write_text(json.dumps(extra), encoding="utf-8")
    newer = fake_file(tmp_path / "in", "n.pdf", number="P-1", date="2028-01-01")
    res = ingest_paths([newer], store_dir=store)
    assert [p.line() for p in res.store_problems] == [
        f"{store / 'P-1' / '2024-01-01.json'}: revision file missing from the catalog; "
        "added to the catalog"
    ]
    out = run("versions", "P-1", "--store", str(store))[1]
    assert [line.split()[0] for line in out[2:]] == [
        "2024-01-01",
        "2025-01-01",
        "2026-01-01",
        "2028-01-01",
    ]


def test_old_schema_revision_of_the_same_bytes_is_re_extracted(store: Path, tmp_path: Path) -> None:
    target = store / "P-2" / "2025-01-01.json"
    old = json.loads(target.read_text())
    old["schema_version"] = "1.0"
    old["legacy_field"] = {"from": "an older schema"}  # no longer valid
    target.write_text(json.dumps(old), encoding="utf-8")
    res = ingest_paths([tmp_path / "in" / "c.pdf"], store_dir=store)
    assert [f.status for f in res.files] == ["replaced"]
    assert "legacy_field" not in target.read_text()
