"""What the web app reads from the store, checked and cached.

Every policy key and date that arrives in a URL is checked here before any file is
opened: a key must be one the store lists (``list_policies``), a date one the policy
lists (``list_revisions``); the file opened is then ``revision_path`` of those listed
names, never a path built from the URL. Parsed revisions, their light summaries and
change sets are cached in memory, keyed by the revision file's identity (path, size,
mtime), so a re-ingested revision is read again and nothing stale is shown.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from ..compare import diff_documents
from ..errors import StoreError
from ..history import review_type
from ..model.catalog import Catalog
from ..model.changeset import ChangeSet
from ..model.policy import Code, PolicyDocument
from ..settings import SETTINGS
from ..store import DATE_RE, list_policies, list_revisions, read_catalog, read_revision_file
from ..store import revision_path as _revision_path

__all__ = ["LRU", "RevisionSummary", "StoreView", "valid_key"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
# what a store key can look like (store/keys.py writes [A-Za-z0-9._-] and a '~<hash>'
# suffix for numbers whose folder-safe form is lossy; never a leading dot)
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,199}$")
FileId = tuple[str, int, int]


def valid_key(text: str) -> bool:
    """Could ``text`` be a store key at all? (Checked before the store is listed.)"""
    return bool(_KEY.match(text)) and ".." not in text


class LRU(Generic[K, V]):
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, make: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()  # outside the lock: two threads may compute the same value once each
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


@dataclass(frozen=True)
class RevisionSummary:
    """The few fields of a revision the list and the code search read."""

    policy: str
    date: str
    number: str | None
    series: str | None
    name: str | None
    name_variants: tuple[str, ...]
    brand: str | None
    generic: str | None
    title: str | None
    line_of_business: str | None
    scope: tuple[str, ...]
    source: str
    sha256: str
    format: str
    pages: int
    review_type: str | None
    codes: tuple[Code, ...]


def summarize(policy: str, date: str, doc: PolicyDocument) -> RevisionSummary:
    meta = doc.policy
    return RevisionSummary(
        policy=policy,
        date=date,
        number=meta.number,
        series=meta.series,
        name=meta.name,
        name_variants=tuple(meta.name_variants),
        brand=meta.drug.brand,
        generic=meta.drug.generic,
        title=meta.title,
        line_of_business=meta.line_of_business,
        scope=tuple(meta.scope),
        source=doc.source.path,
        sha256=doc.source.sha256,
        format=doc.source.format,
        pages=doc.source.pages,
        review_type=review_type(doc),
        codes=tuple(doc.codes),
    )


class StoreView:
    """Checked, cached reading of one store (see module doc)."""

    def __init__(self, store: Path) -> None:
        self.store = store
        web = SETTINGS.web
        self._docs: LRU[FileId, PolicyDocument] = LRU(web.documents_cached)
        self._summaries: LRU[FileId, RevisionSummary] = LRU(4096)
        self._pairs: LRU[tuple[str, FileId, FileId], Any] = LRU(web.comparisons_cached)

    # -- names from URLs -----------------------------------------------------------
    def policy(self, text: str) -> str:
        """The store key ``text`` names (exactly, else the one key equal but for case)."""
        if not valid_key(text):
            raise StoreError(f"'{text}' is not a policy number this store could hold")
        known = list_policies(self.store)
        if text in known:
            return text
        folded = [k for k in known if k.casefold() == text.casefold()]
        if len(folded) == 1:
            return folded[0]
        raise StoreError(f"no policy '{text}' in this store ({len(known)} policies stored)")

    def date(self, policy: str, text: str) -> str:
        """A stored effective date of ``policy`` (``policy`` already checked)."""
        dates = list_revisions(self.store, policy)
        if not DATE_RE.match(text):
            raise StoreError(f"'{text}' is not a date (YYYY-MM-DD)")
        if text not in dates:
            raise StoreError(
                f"{policy} has no revision effective {text}; stored: {', '.join(dates)}"
            )
        return text

    def dates(self, policy: str) -> list[str]:
        return list_revisions(self.store, policy)

    # -- reading -------------------------------------------------------------------
    def catalog(self) -> Catalog:
        return read_catalog(self.store)

    def _file(self, policy: str, date: str) -> tuple[Path, FileId]:
        path = _revision_path(self.store, policy, date)
        try:
            st = path.stat()
        except OSError as err:
            raise StoreError(f"{policy}@{date}: revision file unreadable ({err})") from err
        return path, (str(path), st.st_size, st.st_mtime_ns)

    def document(self, policy: str, date: str) -> PolicyDocument:
        path, fid = self._file(policy, date)
        return self._docs.get(fid, lambda: read_revision_file(path))

    def summary(self, policy: str, date: str) -> RevisionSummary:
        _, fid = self._file(policy, date)
        return self._summaries.get(
            fid, lambda: summarize(policy, date, self.document(policy, date))
        )

    def summaries(self) -> list[RevisionSummary]:
        """Every stored revision, policies sorted, oldest first."""
        return [
            self.summary(policy, date)
            for policy in list_policies(self.store)
            for date in list_revisions(self.store, policy)
        ]

    def pair(
        self,
        what: str,
        policy: str,
        dates: tuple[str, str],
        make: Callable[[PolicyDocument, PolicyDocument], V],
    ) -> V:
        """``make(old, new)`` of two revisions, cached while both files are unchanged."""
        (_, old_id), (_, new_id) = (self._file(policy, d) for d in dates)
        value: V = self._pairs.get(
            (what, old_id, new_id),
            lambda: make(self.document(policy, dates[0]), self.document(policy, dates[1])),
        )
        return value

    def changeset(self, policy: str, old: str, new: str) -> ChangeSet:
        """The change set of two revisions (cached while both files are unchanged)."""
        return self.pair("changeset", policy, (old, new), diff_documents)
