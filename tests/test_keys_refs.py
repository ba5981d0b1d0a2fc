"""Store keys never collide; references say which revision they mean; look-ups are indexed."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_ingest import fake_extract, fake_extractor, fake_file  # noqa: F401 - a fixture

from policy_tools.cli import cli
from policy_tools.store import ingest_paths, policy_key
from policy_tools.store.catalog import CATALOG_NAME

pytestmark = pytest.mark.usefixtures("fake_extractor")


def h(number: str) -> str:
    return hashlib.sha256(number.encode()).hexdigest()[:8]


@pytest.mark.parametrize(
    ("number", "key"),
    [
        ("MP-RX-FP-171-25", "MP-RX-FP-171-25"),
        ("5.21.169", "5.21.169"),
        ("IP0319", "IP0319"),
        ("AB-CD-1", "AB-CD-1"),
        ("AB/CD-1", f"AB-CD-1~{h('AB/CD-1')}"),
        ("AB CD-1", f"AB-CD-1~{h('AB CD-1')}"),
        ("AB--CD-1", f"AB-CD-1~{h('AB--CD-1')}"),
        ("  AB-CD-1 ", "AB-CD-1"),  # white space around a number is not part of it
        ("../etc", f"etc~{h('../etc')}"),
        ("///", f"number~{h('///')}"),
    ],
)
def test_policy_key_is_one_to_one(number: str, key: str) -> None:
    assert policy_key(number)[0] == key


def test_long_number_is_cut_with_a_note_and_stays_unique() -> None:
    a, b = "X" * 499 + "A", "X" * 499 + "B"
    key_a, note = policy_key(a)
    key_b, _ = policy_key(b)
    assert key_a != key_b and len(key_a) <= 60 + 1 + 8
    assert note == (
        f"policy number '{a}' stored as '{key_a}' (cut to 60 characters for its folder name; "
        "the hash keeps it unique)"
    )


def test_lookalike_numbers_are_two_policies(tmp_path: Path) -> None:
    store = tmp_path / "s"
    slash = fake_file(tmp_path, "slash.pdf", number="AB/CD-1", date="2025-01-01")
    dash = fake_file(tmp_path, "dash.pdf", number="AB-CD-1", date="2026-01-01")
    res = ingest_paths([slash, dash], store_dir=store)
    assert [(f.status, f.ref) for f in res.files] == [
        ("added", f"AB-CD-1~{h('AB/CD-1')}@2025-01-01"),
        ("added", "AB-CD-1@2026-01-01"),
    ]
    runner = CliRunner()
    # the printed number finds its policy; neither is the other's previous revision
    out = runner.invoke(cli, ["versions", "AB/CD-1", "--store", str(store)]).output
    assert out.splitlines()[0].startswith(f"AB-CD-1~{h('AB/CD-1')}")
    res = runner.invoke(cli, ["show", "AB-CD-1@previous", "--store", str(store)])
    assert res.exit_code == 2 and "only one revision is stored (2026-01-01)" in res.output


def test_a_key_two_numbers_share_is_refused_naming_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should the short hash ever collide, the second number is refused, not merged."""

    def colliding(number: str) -> tuple[str, str | None]:
        return "AB-CD-1~00000000", None

    monkeypatch.setattr("policy_tools.store.keys.policy_key", colliding)
    monkeypatch.setattr("policy_tools.store.ingest.policy_key", colliding)
    first = fake_file(tmp_path, "a.pdf", number="AB/CD-1", date="2025-01-01")
    second = fake_file(tmp_path, "b.pdf", number="AB CD 1", date="2026-01-01")
    res = ingest_paths([first, second], store_dir=tmp_path / "s")
    assert [f.status for f in res.files] == ["added", "failed"]
    assert res.files[1].message == (
        "policy numbers 'AB CD 1' (b.pdf) and 'AB/CD-1' (stored from a.pdf) share the store "
        "key AB-CD-1~00000000; not stored"
    )


# -------------------------------------------------------------------------- references

POLICY_MD = """# Concizumab Policy

Policy Number: CONC-1
Effective Date: 01/01/2025

## Criteria

1. Patient is 18 years or older
"""


def test_reference_naming_a_file_and_a_stored_revision_asks_which(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "s"
    ingest_paths([fake_file(tmp_path, "c.pdf", number="CONC-1")], store_dir=store)
    work = tmp_path / "work"
    work.mkdir()
    (work / "CONC-1@latest").write_text(POLICY_MD, encoding="utf-8")
    monkeypatch.chdir(work)
    runner = CliRunner()
    res = runner.invoke(cli, ["show", "CONC-1@latest", "--store", str(store)])
    assert res.exit_code == 2 and res.output.count("\n") == 1
    assert res.output == (
        f"Error: 'CONC-1@latest' names both the file {work / 'CONC-1@latest'} and the stored "
        f"revision CONC-1@2025-01-01 in {store}; write ./CONC-1@latest for the file, or "
        "CONC-1@2025-01-01 for the stored revision\n"
    )
    res = runner.invoke(cli, ["diff", "CONC-1@latest", "CONC-1@2025-01-01", "--store", str(store)])
    assert res.exit_code == 2  # an error, not "changes found"
    res = runner.invoke(cli, ["show", "./CONC-1@latest", "--section", "source"])
    assert res.exit_code == 0 and "Format:    markdown" in res.output
    res = runner.invoke(
        cli, ["show", "CONC-1@2025-01-01", "--section", "source", "--store", str(store)]
    )
    assert res.exit_code == 0 and "File:      c.pdf" in res.output
    # no such policy in the store: the file is meant, nothing to ask
    res = runner.invoke(cli, ["show", "CONC-1@latest", "--store", str(tmp_path / "other")])
    assert res.exit_code == 0 and "Concizumab" in res.output


def test_catalog_look_ups_use_indexes(tmp_path: Path) -> None:
    store = tmp_path / "s"
    ingest_paths([fake_file(tmp_path, "a.pdf", number="AB/CD-1")], store_dir=store)
    conn = sqlite3.connect(store / CATALOG_NAME)
    plans = {
        "sha256": "SELECT * FROM revisions WHERE sha256 = 'x'",
        "number": "SELECT policy FROM revisions WHERE number = 'x'",
        "key": "SELECT policy FROM revisions WHERE policy = 'x' COLLATE NOCASE",
        "versions": "SELECT * FROM revisions WHERE policy = 'x' ORDER BY policy, effective_date",
    }
    for what, sql in plans.items():
        plan = " ".join(str(r[-1]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert plan.startswith("SEARCH revisions USING"), (what, plan)  # never a SCAN
        assert "INDEX" in plan or "PRIMARY KEY" in plan, (what, plan)
    conn.close()
    runner = CliRunner()
    res = runner.invoke(cli, ["versions", "ab-cd-1~" + h("AB/CD-1"), "--store", str(store)])
    assert res.exit_code == 0, res.output  # the key in another case
