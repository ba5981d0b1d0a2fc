"""The catalog ``<store>/index.json``: derived data, rebuilt from the revision files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import InputError, StoreError
from ..history import review_type
from ..io import atomic_write_text, dumps
from ..model.catalog import Catalog, CatalogPolicy
from ..model.policy import PolicyDocument
from .lock import store_lock
from .refs import list_policies, list_revisions, read_revision_file, resolve_store, revision_path

INDEX_NAME = "index.json"
INDEX_FORMAT = 1


def iso_time(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def catalog_entry(doc: PolicyDocument, date: str, ingested_at: str) -> dict[str, Any]:
    return {
        "effective_date": date,
        "review_type": review_type(doc),
        "name": doc.policy.name,
        "number": doc.policy.number,
        "source": doc.source.path,
        "sha256": doc.source.sha256,
        "format": doc.source.format,
        "pages": doc.source.pages,
        "extractor_version": doc.source.extractor_version,
        "ingested_at": ingested_at,
    }


def empty_index() -> dict[str, Any]:
    return {"index_format": INDEX_FORMAT, "policies": {}}


def put_entry(index: dict[str, Any], policy: str, entry: dict[str, Any]) -> None:
    """Insert or replace one revision entry, keeping revisions sorted by date."""
    policies: dict[str, Any] = index["policies"]
    revs = [
        r
        for r in policies.get(policy, {}).get("revisions", [])
        if r["effective_date"] != entry["effective_date"]
    ]
    revs.append(entry)
    revs.sort(key=lambda r: str(r["effective_date"]))
    latest = revs[-1]
    policies[policy] = {"name": latest["name"], "number": latest["number"], "revisions": revs}


def read_index(store: Path) -> dict[str, Any]:
    """The catalog, or an empty one when the store has none yet."""
    path = store / INDEX_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return empty_index()
    except (OSError, ValueError) as err:
        raise StoreError(
            f"{path}: unreadable catalog ({err}); run `policy-tools store rebuild-index`"
        ) from err
    if not isinstance(data, dict) or not isinstance(data.get("policies"), dict):
        raise StoreError(
            f"{path}: not a policy-tools catalog; run `policy-tools store rebuild-index`"
        )
    return data


def write_index(store: Path, index: dict[str, Any]) -> None:
    atomic_write_text(store / INDEX_NAME, dumps(index))


def build_index(store: Path, old: dict[str, Any] | None = None) -> dict[str, Any]:
    """Catalog derived from the revision files (ingest time from ``old`` or file mtime)."""
    old_entries = {
        (policy, r["effective_date"]): r
        for policy, info in (old or empty_index())["policies"].items()
        for r in info.get("revisions", [])
    }
    index = empty_index()
    bad: list[str] = []
    for policy in list_policies(store):
        for date in list_revisions(store, policy):
            path = revision_path(store, policy, date)
            try:
                doc = read_revision_file(path)
            except InputError as err:
                bad.append(str(err))
                continue
            prior = old_entries.get((policy, date))
            if prior and prior.get("sha256") == doc.source.sha256 and prior.get("ingested_at"):
                ingested = str(prior["ingested_at"])
            else:
                ingested = iso_time(path.stat().st_mtime)
            put_entry(index, policy, catalog_entry(doc, date, ingested))
    if bad:
        raise StoreError(
            f"{len(bad)} damaged revision file(s), catalog not written: {'; '.join(bad)}"
        )
    return index


def rebuild_index(store_dir: Path | str | None = None) -> dict[str, Any]:
    """Recreate ``<store>/index.json`` from the revision files; returns the new index."""
    store = resolve_store(store_dir)
    if not store.is_dir():
        raise StoreError(f"no version store at {store}")
    with store_lock(store):
        try:
            old = read_index(store)
        except StoreError:
            old = None  # a damaged catalog is exactly what a rebuild repairs
        index = build_index(store, old)
        write_index(store, index)
    return index


def catalog(store: Path) -> Catalog:
    """The catalog for reading (typed); derived on the fly when there is no index.json."""
    index = build_index(store) if not (store / INDEX_NAME).exists() else read_index(store)
    return Catalog(
        store=str(store),
        policies=[
            CatalogPolicy(key=key, **info) for key, info in sorted(index["policies"].items())
        ],
    )


def ensure_index(store: Path) -> dict[str, Any]:
    """Read the catalog; derive and write it first when revisions exist without one."""
    if not (store / INDEX_NAME).exists() and list_policies(store):
        return rebuild_index(store)
    return read_index(store)
