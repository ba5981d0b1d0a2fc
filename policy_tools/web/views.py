"""The pages of the web app as data: each builder returns a :class:`Page` holding the
template, its context (typed, frozen views) and the page's JSON twin.

Builders are plain functions of the checked store view (``StoreView``), so every page
can be built and tested without HTTP; ``server.py`` maps URLs to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..codegen.compile import TREES
from ..codegen.runtime import Reason
from ..errors import PolicyToolsError
from ..history import new_entries
from ..model.catalog import CatalogPolicy
from ..model.policy import Box, HistoryEntry, PolicyDocument
from ..render.report import anchor_for, build_context, default_generated_at
from ..settings import SETTINGS
from ..version import __version__
from .case import (
    CLOSED_WORLD,
    INDICATION,
    OTHER,
    SIDES,
    CaseModel,
    CaseResult,
    Question,
    Suggestions,
    Verdict,
    case_model,
    suggested_cases,
    try_case,
)
from .highlight import Mark, Side, change_marks
from .images import PageSize, page_sizes
from .search import CodeSearch, search_codes, search_policies
from .sources import SourceFinder
from .store_view import StoreView
from .upload import UploadOutcome
from .urls import case_url, compare_url, page_url, policy_url, source_url

__all__ = [
    "Page",
    "case_page",
    "codes_page",
    "compare_page",
    "error_page",
    "policies_page",
    "timeline_page",
    "upload_page",
]

BOX_PAD = 2.0  # points around a highlighted box, so the printed line is not cut
SUGGESTIONS = 12  # flipping cases offered on the case page (the canonical pair has 9)


@dataclass(frozen=True)
class Page:
    template: str
    title: str
    context: dict[str, Any]
    data: Any  # the JSON twin
    status: int = 200
    nav: str = ""  # the navigation entry to mark as current


# -- policies ------------------------------------------------------------------------


def policies_page(view: StoreView, query: str) -> Page:
    hits = search_policies(query, view.summaries())
    limit = SETTINGS.web.search_results
    shown = hits[:limit]
    data = {
        "store": str(view.store),
        "query": query,
        "total": len(hits),
        "shown": len(shown),
        "policies": [
            {**asdict(h), "matched": list(h.matched), "url": policy_url(h.policy)} for h in shown
        ],
    }
    context = {"query": query, "hits": shown, "total": len(hits), "store": str(view.store)}
    return Page("web/policies.html", "Policies", context, data, nav="policies")


# -- code search -----------------------------------------------------------------------


def _code_data(search: CodeSearch) -> dict[str, Any]:
    q = search.query
    return {
        "query": q.text,
        "system": q.system,
        "billable_codes": len(q.billable),
        "problem": q.problem,
        "revisions_searched": search.searched,
        "revisions_without_code_tables": list(search.without_codes),
        "policies": [
            {
                "policy": p.policy,
                "number": p.number,
                "name": p.name,
                "first_effective": p.first_effective,
                "last_effective": p.last_effective,
                "latest_revision": p.latest,
                "in_latest_revision": p.in_latest,
                "url": policy_url(p.policy),
                "revisions": [
                    {
                        "effective_date": r.date,
                        "review_type": r.review_type,
                        "codes": [asdict(h) for h in r.hits],
                    }
                    for r in p.revisions
                ],
            }
            for p in search.policies
        ],
    }


def codes_page(view: StoreView, query: str) -> Page:
    query = query.strip()[:200]
    if not query:
        data: dict[str, Any] = {"query": "", "policies": []}
        context: dict[str, Any] = {"query": "", "search": None}
        return Page("web/codes.html", "Code search", context, data, nav="codes")
    search = search_codes(query, view.summaries())
    context = {"query": query, "search": search}
    return Page("web/codes.html", f"Code {query}", context, _code_data(search), nav="codes")


# -- timeline ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RevisionRow:
    date: str
    review_type: str
    source: str
    sha256: str
    pages: int
    format: str
    ingested_at: str
    added_rows: tuple[HistoryEntry, ...]  # history rows this revision added
    all_rows: tuple[HistoryEntry, ...]
    previous: str | None
    url_pdf: str


def _revision_rows(view: StoreView, entry: CatalogPolicy) -> list[RevisionRow]:
    rows: list[RevisionRow] = []
    prev: PolicyDocument | None = None
    for rev in entry.revisions:
        doc = view.document(entry.key, rev.effective_date)
        added = [h for _, h in new_entries(prev, doc)] if prev else list(doc.history)
        rows.append(
            RevisionRow(
                date=rev.effective_date,
                review_type=rev.review_type or "not stated",
                source=rev.source,
                sha256=rev.sha256,
                pages=rev.pages,
                format=rev.format,
                ingested_at=rev.ingested_at or "",
                added_rows=tuple(added),
                all_rows=tuple(doc.history),
                previous=rows[-1].date if rows else None,
                url_pdf=source_url(entry.key, rev.effective_date),
            )
        )
        prev = doc
    return rows


def _revision_data(policy: str, row: RevisionRow) -> dict[str, Any]:
    return {
        "effective_date": row.date,
        "review_type": row.review_type,
        "source": row.source,
        "sha256": row.sha256,
        "format": row.format,
        "pages": row.pages,
        "ingested_at": row.ingested_at or None,
        "history_rows_added": [h.model_dump(mode="json") for h in row.added_rows],
        "compare_with_previous": compare_url(policy, row.previous, row.date)
        if row.previous
        else None,
        "source_pdf": row.url_pdf,
    }


def timeline_page(view: StoreView, policy: str) -> Page:
    entry = view.catalog().get(policy)
    if entry is None:
        raise PolicyToolsError(
            f"{policy} is stored but missing from the catalog; "
            "run `policy-tools store rebuild-index`"
        )
    rows = _revision_rows(view, entry)
    data = {
        "policy": entry.key,
        "number": entry.number,
        "name": entry.name,
        "revisions": [_revision_data(entry.key, r) for r in rows],
    }
    context = {"entry": entry, "rows": rows}
    return Page("web/policy.html", f"{entry.key} timeline", context, data)


# -- compare -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoxView:
    change_id: str
    change_anchor: str  # the change's element id in the report pane
    anchor: str
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class PageView:
    number: int
    anchor: str
    img: str
    width_px: int
    height_px: int
    width_pt: float
    height_pt: float
    boxes: tuple[BoxView, ...]
    page_marks: tuple[Mark, ...]  # changes marked on this page without a box


@dataclass(frozen=True)
class PdfSide:
    side: Side
    title: str
    date: str
    source: str
    pdf_url: str
    pages: tuple[PageView, ...]
    missing: str  # why no pages are shown ('' when they are)


@dataclass(frozen=True)
class ChangeMarks:
    """Where one change is marked: the first mark of each side, and whether boxed."""

    old_anchor: str = ""
    new_anchor: str = ""
    old_page: int | None = None
    new_page: int | None = None
    boxed: tuple[str, ...] = ()  # the sides marked by a box (the others by page only)


def _box_view(mark: Mark, box: Box, size: PageSize, title: str) -> BoxView:
    x0, top = max(0.0, box.x0 - BOX_PAD), max(0.0, box.top - BOX_PAD)
    x1, bottom = min(size.width, box.x1 + BOX_PAD), min(size.height, box.bottom + BOX_PAD)
    width, height = max(1.0, x1 - x0), max(1.0, bottom - top)
    return BoxView(
        mark.change_id, anchor_for(mark.change_id), mark.anchor, x0, top, width, height, title
    )


@dataclass(frozen=True)
class _SideInput:
    side: Side
    policy: str
    date: str
    doc: PolicyDocument


def _missing(inp: _SideInput, why: str) -> PdfSide:
    title = f"{inp.side.capitalize()} revision {inp.date}"
    return PdfSide(inp.side, title, inp.date, inp.doc.source.path, "", (), why)


def _page_view(
    inp: _SideInput, n: int, size: PageSize, marks: Sequence[Mark], titles: dict[str, str]
) -> PageView:
    scale = SETTINGS.web.page_scale
    mine = [m for m in marks if m.side == inp.side and m.page == n]
    return PageView(
        number=n,
        anchor=f"{inp.side}-page-{n}",
        img=page_url(inp.policy, inp.date, n),
        width_px=round(size.width * scale),
        height_px=round(size.height * scale),
        width_pt=size.width,
        height_pt=size.height,
        boxes=tuple(_box_view(m, m.box, size, titles[m.change_id]) for m in mine if m.box),
        page_marks=tuple(m for m in mine if m.box is None),
    )


def _pdf_side(
    inp: _SideInput, marks: Sequence[Mark], titles: dict[str, str], finder: SourceFinder
) -> PdfSide:
    """The page images of one side with the highlights on them (or why there are none)."""
    src = inp.doc.source
    if src.format != "pdf":
        return _missing(inp, f"the source is {src.format}, not a PDF: no pages to show")
    pdf = finder.find(src.sha256, src.path)
    if pdf is None:
        return _missing(
            inp,
            f"source PDF {src.path} (sha256 {src.sha256[:12]}) is not in the store: upload "
            "the same PDF, ingest it with --keep-sources, or start serve with --sources FOLDER",
        )
    sizes = page_sizes(finder.store, src.sha256, pdf)
    pages = tuple(_page_view(inp, n, size, marks, titles) for n, size in enumerate(sizes, 1))
    title = f"{inp.side.capitalize()} revision {inp.date}"
    return PdfSide(inp.side, title, inp.date, src.path, source_url(inp.policy, inp.date), pages, "")


def _change_marks(marks: Sequence[Mark]) -> ChangeMarks:
    first: dict[str, Mark] = {}
    for m in marks:
        first.setdefault(m.side, m)
    o, n = first.get("old"), first.get("new")
    return ChangeMarks(
        old_anchor=o.anchor if o else "",
        new_anchor=n.anchor if n else "",
        old_page=o.page if o else None,
        new_page=n.page if n else None,
        boxed=tuple(sorted({m.side for m in marks if m.box is not None})),
    )


def compare_page(view: StoreView, finder: SourceFinder, policy: str, old: str, new: str) -> Page:
    old_doc, new_doc = view.document(policy, old), view.document(policy, new)
    changeset = view.changeset(policy, old, new)
    report = build_context(changeset, old_doc, new_doc, default_generated_at())
    marks = {c.id: change_marks(c, old_doc, new_doc) for c in changeset.changes}
    titles = {c.id: f"{c.id} {c.summary}" for c in changeset.changes}
    flat = [m for ms in marks.values() for m in ms]
    inputs = (_SideInput("old", policy, old, old_doc), _SideInput("new", policy, new, new_doc))
    sides = tuple(_pdf_side(inp, flat, titles, finder) for inp in inputs)
    context = {
        "report": report,
        "policy": policy,
        "old_date": old,
        "new_date": new,
        "sides": sides,
        "marks": {cid: _change_marks(ms) for cid, ms in marks.items()},
        "urls": {
            "json": compare_url(policy, old, new, ".json"),
            "case": case_url(policy, old, new),
            "timeline": policy_url(policy),
            "swap": compare_url(policy, new, old),
        },
    }
    data = changeset.model_dump(mode="json", by_alias=True)
    return Page("web/compare.html", f"{policy} {old} → {new}", context, data)


# -- try a case -------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionGroup:
    title: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class CaseView:
    groups: tuple[QuestionGroup, ...]  # the form, in the Questionnaires' order
    result: CaseResult
    model: CaseModel
    suggestions: Suggestions
    suggestion_urls: tuple[str, ...]  # the case URL of each suggestion


def _groups(qs: Sequence[Question]) -> tuple[QuestionGroup, ...]:
    titles = list(dict.fromkeys(q.group for q in qs))
    return tuple(QuestionGroup(t, tuple(q for q in qs if q.group == t)) for t in titles)


def _reason_data(r: Reason) -> dict[str, Any]:
    keep = ("id", "text", "page", "status", "indication", "tree", "fact", "value")
    return {k: v for k, v in asdict(r).items() if k in keep}


def _verdict_data(v: Verdict) -> dict[str, Any]:
    return {
        "tree": v.tree,
        "present": v.present,
        "absent": v.absent or None,
        "outcome": v.outcome,
        "authorization_months": v.months,
        "reasons": [_reason_data(r) for r in v.reasons],
        "to_ask": [_reason_data(r) for r in v.to_ask],
        "missing": [r.id for r in v.missing],
    }


def _question_data(q: Question) -> dict[str, Any]:
    return {
        "name": q.name,
        "kind": q.kind,
        "group": q.group,
        "revisions": q.revisions,
        "options": list(q.options),
        "criteria": [asdict(a) for a in q.asks],
    }


def _case_data(policy: str, old: str, new: str, case: CaseView) -> dict[str, Any]:
    result, sugg = case.result, case.suggestions
    answers = result.answers
    return {
        "policy": policy,
        "old": old,
        "new": new,
        "answers": answers.facts,
        "ignored": list(answers.ignored),
        "indication": answers.indication.name if answers.indication else None,
        "closed_world": answers.closed_world,
        "questions": [_question_data(q) for q in case.model.questions],
        "decisions": {side: [_verdict_data(v) for v in result.side(side)] for side in SIDES},
        "flips": [t for t in TREES if result.flips(t)],
        "suggestions": [
            {**asdict(s), "url": url}
            for s, url in zip(sugg.cases, case.suggestion_urls, strict=True)
        ],
        "suggestions_total": sugg.total,
        "suggestions_sampled": sugg.sampled,
        "suggestions_problem": sugg.problem or None,
    }


def case_page(
    view: StoreView, policy: str, old: str, new: str, params: Sequence[tuple[str, str]]
) -> Page:
    model = view.pair("case", policy, (old, new), case_model)
    result = try_case(model, params)
    suggestions = view.pair(
        "suggestions", policy, (old, new), lambda o, n: suggested_cases(model, o, n, SUGGESTIONS)
    )
    case = CaseView(
        groups=_groups(model.questions),
        result=result,
        model=model,
        suggestions=suggestions,
        suggestion_urls=tuple(case_url(policy, old, new, s.query) for s in suggestions.cases),
    )
    given = [(k, v) for k, vs in result.answers.given.items() for v in vs]
    context = {"case": case, "policy": policy, "old_date": old, "new_date": new, "other": OTHER}
    context["urls"] = {
        "compare": compare_url(policy, old, new),
        "form": case_url(policy, old, new),
        "json": case_url(policy, old, new, [*given, *_case_options(result)], ".json"),
    }
    data = _case_data(policy, old, new, case)
    return Page("web/case.html", f"{policy}: try a case", context, data)


def _case_options(result: CaseResult) -> list[tuple[str, str]]:
    out = []
    if result.answers.indication is not None:
        out.append((INDICATION, result.answers.indication.value))
    if result.answers.closed_world:
        out.append((CLOSED_WORLD, "1"))
    return out


# -- upload and errors ---------------------------------------------------------------------


def upload_page(outcome: UploadOutcome | None = None) -> Page:
    limit_mb = SETTINGS.web.upload_max_bytes // (1024 * 1024)
    context: dict[str, Any] = {"outcome": outcome, "limit_mb": limit_mb, "timeline": None}
    if outcome is None:
        data = {"limit_bytes": SETTINGS.web.upload_max_bytes}
        return Page("web/upload.html", "Upload", context, data, nav="upload")
    if outcome.ref:
        key, _, date = outcome.ref.partition("@")
        context["timeline"] = policy_url(key)
        context["date"] = date
    data = asdict(outcome)
    return Page("web/upload.html", "Upload", context, data, status=outcome.status, nav="upload")


def error_page(status: int, title: str, message: str) -> Page:
    data = {"error": {"status": status, "title": title, "message": message}}
    context = {"status": status, "heading": title, "message": message}
    return Page("web/error.html", title, context, data, status=status)


def base_context(page: Page, store: Path) -> dict[str, Any]:
    """What every template gets besides its own context."""
    return {
        "page_title": page.title,
        "nav": page.nav,
        "store": str(store),
        "tool_version": __version__,
        "policy_url": policy_url,
        "compare_url": compare_url,
    }
