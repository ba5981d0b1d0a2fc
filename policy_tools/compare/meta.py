"""Header metadata: content fields (number, dates, drug, scope, ...) and the layout-only
differences (the name as headers print it, its spellings, the template title)."""

from __future__ import annotations

from typing import Any

from ..model.changeset import (
    Cell,
    ChangeKind,
    ListValue,
    Location,
    Payload,
    RowValue,
    ScalarValue,
    TextValue,
)
from ..model.policy import PolicyDocument
from ..text import clean_text, compare_key
from .collect import Collector
from .match import deep, word_diff

__all__ = ["diff_policy", "fmt_value"]

DATE_FIELDS = ("origination_date", "last_review_date", "effective_date")
META_LABELS = {
    "number": "Policy number",
    "line_of_business": "Line of business",
    "origination_date": "Origination date",
    "last_review_date": "Last review date",
    "effective_date": "Effective date",
    "revision_frequency": "Revision frequency",
    "drug": "Drug",
    "scope": "Scope",
    "service_categories": "Service categories",
}


def fmt_value(v: Any) -> str:
    """A raw metadata value as one line: '(none)', '[x] label; ...', 'k=v, ...'."""
    if v is None or v == [] or v == "":
        return "(none)"
    if isinstance(v, list):
        parts = []
        for x in v:
            if isinstance(x, dict) and "label" in x:
                checked = x.get("checked")
                box = "[?]" if checked is None else "[x]" if checked else "[ ]"
                parts.append(f"{box} {x['label']}")
            else:
                parts.append(str(x))
        return "; ".join(parts)
    if isinstance(v, dict):
        return ", ".join(f"{k}={val}" for k, val in v.items() if val)
    return str(v)


def _meta_content(doc: PolicyDocument, other: PolicyDocument) -> dict[str, Any]:
    """The content fields of the header, in comparison form.

    A service-category box a source cannot read (None, e.g. Markdown lost the glyph)
    compares equal to whatever the other revision says for the same label.
    """
    p = doc.policy
    theirs = {compare_key(c.label): c.checked for c in other.policy.service_categories}
    cats = {}
    for c in p.service_categories:
        label = compare_key(c.label)
        known = c.checked is not None and theirs.get(label, False) is not None
        cats[label] = c.checked if known else None
    return {
        "number": p.number,
        "drug": {"brand": compare_key(p.drug.brand), "generic": compare_key(p.drug.generic)},
        "scope": sorted(compare_key(s) for s in p.scope),
        "line_of_business": p.line_of_business,
        "service_categories": cats,
        "origination_date": p.origination_date,
        "last_review_date": p.last_review_date,
        "effective_date": p.effective_date,
        "revision_frequency": compare_key(p.revision_frequency) or None,
    }


def _raw_meta(doc: PolicyDocument, name: str) -> Any:
    value = getattr(doc.policy, name)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [v.model_dump(mode="json") if hasattr(v, "model_dump") else v for v in value]
    return value


def _meta_payload(value: Any) -> Payload | None:
    """A raw metadata value as a typed payload."""
    if value in (None, [], ""):
        return None
    if isinstance(value, dict):
        return RowValue(cells=[Cell(name=k, value=v) for k, v in value.items()])
    if isinstance(value, list):
        return ListValue(items=[fmt_value([x]) for x in value])
    return ScalarValue(value=value)


def diff_policy(old: PolicyDocument, new: PolicyDocument, out: Collector) -> None:
    res = deep(
        {"policy": _meta_content(old, new)}, {"policy": _meta_content(new, old)}, ignore_order=True
    )
    names: list[str] = []
    for _, rest, _, _ in res.changed:
        if rest and str(rest[0]) not in names:
            names.append(str(rest[0]))
    for name in names:
        o, n = _raw_meta(old, name), _raw_meta(new, name)
        kind: ChangeKind = (
            "added" if o in (None, [], "") else ("removed" if n in (None, [], "") else "modified")
        )
        out.add(
            "policy",
            kind,
            f"policy.{name}",
            f"{META_LABELS.get(name, name)}: {fmt_value(o)} -> {fmt_value(n)}",
            location=Location(field=name),
            old=_meta_payload(o),
            new=_meta_payload(n),
            old_page=old.policy.page if o not in (None, [], "") else None,
            new_page=new.policy.page if n not in (None, [], "") else None,
            detail="date" if name in DATE_FIELDS else None,
        )
    _format_changes(old, new, out)


def _format_changes(old: PolicyDocument, new: PolicyDocument, out: Collector) -> None:
    """Layout only: the name as headers print it, its spellings, the template title."""
    po, pn = old.policy, new.policy
    _text_format(out, "name", "Policy name as printed", po.name, pn.name)
    ov, nv = set(po.name_variants), set(pn.name_variants)
    if ov != nv:
        gained, lost = sorted(nv - ov), sorted(ov - nv)
        out.fmt(
            "format.policy",
            "policy.name_variants",
            f"Header spellings of the name: +{len(gained)} -{len(lost)}",
            location=Location(field="name_variants"),
            old=ListValue(items=sorted(ov)),
            new=ListValue(items=sorted(nv)),
            notes=[f"new spelling: {g}" for g in gained] + [f"gone: {x}" for x in lost],
        )
    _text_format(out, "title", "Document title", po.title, pn.title, words=False)


def _text_format(
    out: Collector, name: str, label: str, old: str | None, new: str | None, words: bool = True
) -> None:
    if clean_text(old) == clean_text(new):
        return
    out.fmt(
        "format.policy",
        f"policy.{name}",
        f"{label}: {old} -> {new}",
        location=Location(field=name),
        old=TextValue(text=old) if old is not None else None,
        new=TextValue(text=new) if new is not None else None,
        words=word_diff(old, new) if words else None,
    )
