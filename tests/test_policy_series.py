"""Policy identity across revisions: a printed number whose trailing part counts revisions
(UHC '2024 P 2116-18' -> '2025 P 2116-22') keys one policy in the store; the number as
printed is kept in each revision. The folder is the series' folder-safe form 'P-2116'
(``store/keys.py``: a series is our own name, never printed, so no hash is needed), and
the series as printed names the policy in references ('P 2116@latest')."""

from __future__ import annotations

from pathlib import Path

import pytest

from policy_tools import app
from policy_tools.store import load_revision

pytestmark = pytest.mark.corpus

OLD = "uhc_dupixent_pa-med-nec_2024-06-01.pdf"
NEW = "uhc_dupixent_pa-med-nec_2025-11-01.pdf"


def test_both_dupixent_revisions_are_one_policy(corpus_dir: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = app.ingest([corpus_dir / OLD, corpus_dir / NEW], store_dir=store, reports=False)
    assert result.exit_code == 0 and result.count("added") == 2
    key = "P-2116"
    assert sorted(result.changed) == [(key, "2024-06-01"), (key, "2025-11-01")]
    catalog = app.policies(store)
    keys = [p.key for p in catalog.policies]
    assert keys == [key]
    entry = app.revisions("P 2116", store)
    assert [r.effective_date for r in entry.revisions] == ["2024-06-01", "2025-11-01"]
    old = load_revision("P 2116@previous", store)
    new = load_revision("P 2116@latest", store)
    assert (old.policy.number, new.policy.number) == ("2024 P 2116-18", "2025 P 2116-22")
    assert old.policy.series == new.policy.series == "P 2116"
    changes = app.diff("P 2116@previous", f"{key}@latest", store)
    assert changes.changes  # the pair is compared: three indications were added in 2025
    added = [
        c for c in changes.changes if c.section == "criteria.indications" and c.kind == "added"
    ]
    assert len(added) == 3
