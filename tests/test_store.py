"""Version store: reference resolution, catalog, views (hand-built documents)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policy_tools.errors import InputError, StoreError
from policy_tools.io import atomic_write_text, dumps
from policy_tools.models import HistoryEntry, PolicyDocument, PolicyMeta, Source
from policy_tools.store import load_revision

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
    with pytest.raises(StoreError, match="holds no policies"):
        load_revision(f"{POLICY}@latest", tmp_path / "empty")


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

    monkeypatch.setattr("policy_tools.refs.extract_source", fake_extract)
    assert load_revision(str(src)).source.path == "policy.pdf"
    assert seen == [src]
