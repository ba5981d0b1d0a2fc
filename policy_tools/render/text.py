"""Text views for the terminal: ``show``, ``versions``, ``diff``, ``audit``,
``outcomes``, ``ingest`` and ``store rebuild-index``. Each is a pure function from data
to text; every text leaves here through :func:`policy_tools.text.strip_control`, because
text from a PDF (and a file name) is never trusted on a terminal."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from ..codegen.outcomes import Decider, OutcomeReport
from ..model.catalog import Catalog, CatalogPolicy
from ..model.changeset import (
    Change,
    ChangeSet,
    Claim,
    CodeValue,
    ListValue,
    Payload,
    RowValue,
    ScalarValue,
    TextValue,
    TreeValue,
    WordOp,
)
from ..model.policy import Leaf, Node, PolicyDocument
from ..store import FileResult, IngestResult, StoreReport
from ..store.ingest import STATUSES
from ..text import clean_text, one_line, strip_control

__all__ = [
    "SECTIONS",
    "audit_text",
    "diff_text",
    "ingest_line",
    "ingest_summary",
    "outcomes_text",
    "policies_text",
    "redline",
    "revisions_text",
    "show_text",
    "store_report_text",
]


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])


# --------------------------------------------------------------------------- versions


def policies_text(cat: Catalog) -> str:
    """The stored policies, one line each."""
    if not cat.policies:
        return strip_control(
            f"No policies stored in {cat.store} (add some with `policy-tools ingest PATH`).\n"
        )
    rows = [[p.key, one_line(p.name, 60), str(len(p.revisions)), p.latest] for p in cat.policies]
    return table(["POLICY", "NAME", "REVISIONS", "LATEST"], rows) + "\n"


def _coverage(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.0%}"


def revisions_text(policy: CatalogPolicy) -> str:
    """One policy's revisions, oldest first (then its unreadable files, if any)."""
    header = f"{policy.key}  {one_line(policy.name)}".rstrip()
    rows = [
        [
            r.effective_date,
            one_line(r.review_type) or "-",
            one_line(r.source),
            r.sha256[:12],
            str(r.pages),
            _coverage(r.coverage),
        ]
        for r in policy.revisions
    ]
    heads = ["EFFECTIVE", "REVIEW TYPE", "SOURCE", "SHA256", "PAGES", "COVERAGE"]
    problems = [f"Problem: {one_line(p)}" for p in policy.problems]
    return strip_control("\n".join([header, table(heads, rows), *problems]) + "\n")


# ------------------------------------------------------------------------------- show

SECTIONS = (
    "policy",
    "source",
    "criteria",
    "codes",
    "dosing",
    "history",
    "references",
    "definitions",
    "sections",
    "warnings",
)


def _kv(pairs: list[tuple[str, str | None]]) -> list[str]:
    width = max(len(k) for k, _ in pairs)
    return [f"{k + ':':<{width + 1}} {one_line(v) or '-'}" for k, v in pairs]


def _page(page: int | None) -> str:
    return f"  [p. {page}]" if page is not None else ""


def _text_policy(doc: PolicyDocument) -> list[str]:
    m = doc.policy
    mark = {True: "[x]", False: "[ ]", None: "[?]"}
    cats = ", ".join(f"{mark[c.checked]} {c.label}" for c in m.service_categories)
    return _kv(
        [
            ("Number", m.number),
            ("Name", m.name),
            ("Title", m.title),
            ("Drug", " / ".join(x for x in (m.drug.brand, m.drug.generic) if x)),
            ("Scope", ", ".join(m.scope)),
            ("Line of business", m.line_of_business),
            ("Service categories", cats),
            ("Origination date", m.origination_date),
            ("Last review date", m.last_review_date),
            ("Effective date", m.effective_date),
            ("Revision frequency", m.revision_frequency),
        ]
    )


def _text_source(doc: PolicyDocument) -> list[str]:
    s = doc.source
    return _kv(
        [
            ("File", s.path),
            ("SHA-256", s.sha256),
            ("Format", s.format),
            ("Pages", str(s.pages)),
            ("Extractor", s.extractor_version),
        ]
    )


def _text_node(node: Node | Leaf, depth: int) -> list[str]:
    pad = "  " * depth
    head = " ".join(x for x in (node.label, one_line(node.text)) if x)
    if isinstance(node, Leaf):
        return [f"{pad}{head}{_page(node.page)}"]
    joiner = "ALL of (AND)" if node.op == "AND" else "ANY of (OR)"
    lines = [f"{pad}{head + ' - ' if head else ''}{joiner}:{_page(node.page)}"]
    for item in node.items:
        lines.extend(_text_node(item, depth + 1))
    return lines


_TREE_TITLES = {
    "initial": "Initial authorization",
    "continuation": "Continuation of therapy",
    "not_covered": "Not covered",
}


def _text_criteria(doc: PolicyDocument) -> list[str]:
    c = doc.criteria
    several = len(c.indications) > 1
    lines: list[str] = []
    for ind in c.indications:
        pad = "  " if several else ""
        if several:
            lines.append(f"Indication: {one_line(ind.name)}{_page(ind.page)}")
        for name in ("initial", "continuation"):
            node = getattr(ind, name)
            if node is not None:
                lines += [f"{pad}{_TREE_TITLES[name]}:", *_text_node(node, 1 + len(pad) // 2)]
        a = ind.authorization
        if a.initial_months is not None or a.reauthorization_months is not None:
            lines.append(
                f"{pad}Authorization period: initial {a.initial_months or '-'} months, "
                f"reauthorization {a.reauthorization_months or '-'} months{_page(a.page)}"
            )
    if c.not_covered is not None:
        lines += [f"{_TREE_TITLES['not_covered']}:", *_text_node(c.not_covered, 1)]
    return lines or ["(no criteria found)"]


def _text_codes(doc: PolicyDocument) -> list[str]:
    if not doc.codes:
        return ["(no codes found)"]
    rows = [[c.system, c.code, one_line(c.description, 70), str(c.page)] for c in doc.codes]
    return table(["SYSTEM", "CODE", "DESCRIPTION", "PAGE"], rows).splitlines()


def _text_dosing(doc: PolicyDocument) -> list[str]:
    d = doc.dosing
    lines: list[str] = []
    if d.schedule:
        rows = [
            [one_line(x, 40) for x in (r.schedule, r.day, r.dose, r.monitoring)] + [str(r.page)]
            for r in d.schedule
        ]
        lines += table(["SCHEDULE", "DAY", "DOSE", "MONITORING", "PAGE"], rows).splitlines()
    if d.premedication:
        rows = [
            [one_line(x, 50) for x in (p.day, p.medication, p.administration)] + [str(p.page)]
            for p in d.premedication
        ]
        lines += ["Premedication:"]
        lines += table(["DAY", "MEDICATION", "ADMINISTRATION", "PAGE"], rows).splitlines()
    lines += [f"- {one_line(n)}" for n in d.notes]
    return lines or ["(no dosing found)"]


def _text_history(doc: PolicyDocument) -> list[str]:
    lines: list[str] = []
    for h in doc.history:
        dates = ", ".join(
            f"{k} {v}"
            for k, v in (
                ("date", getattr(h, "date", None)),
                ("P&T", h.pt_approval_date),
                ("UM", h.um_approval_date),
            )
            if v
        )
        lines.append(f"{one_line(h.review_type)}{f' ({dates})' if dates else ''}{_page(h.page)}")
        lines.append(f"  {one_line(h.summary)}")
    return lines or ["(no policy history found)"]


def _text_sections(doc: PolicyDocument) -> list[str]:
    lines: list[str] = []
    for s in doc.sections:
        lines.append(f"== {one_line(s.title)} [{s.key}]{_page(s.page)}")
        for b in s.blocks:
            pad = "  " * (b.level + 1)
            if b.type == "table":
                lines += [f"{pad}| " + " | ".join(one_line(c) for c in row) for row in b.rows or []]
            else:
                lines.append(f"{pad}{' '.join(x for x in (b.label, one_line(b.text)) if x)}")
    return lines or ["(no sections found)"]


def _text_view(doc: PolicyDocument, section: str) -> list[str]:
    simple: dict[str, Callable[[PolicyDocument], list[str]]] = {
        "policy": _text_policy,
        "source": _text_source,
        "criteria": _text_criteria,
        "codes": _text_codes,
        "dosing": _text_dosing,
        "history": _text_history,
        "sections": _text_sections,
        "references": lambda d: (
            [
                f"- {' '.join(x for x in (r.label, one_line(r.text)) if x)}{_page(r.page)}"
                for r in d.references
            ]
            or ["(no references found)"]
        ),
        "definitions": lambda d: (
            [f"- {one_line(x.term)}: {one_line(x.text)}{_page(x.page)}" for x in d.definitions]
            or ["(no definitions found)"]
        ),
        "warnings": lambda d: (
            [f"- {w.code}: {one_line(w.message)}{_page(w.page)}" for w in d.warnings]
            or ["(no warnings)"]
        ),
    }
    return simple[section](doc)


def show_text(doc: PolicyDocument, section: str | None = None) -> str:
    """A readable text view of one revision (or one part of it)."""
    if section is not None:
        return strip_control("\n".join(_text_view(doc, section)) + "\n")
    title = f"{doc.policy.number or '(no number)'} {one_line(doc.policy.name)}".rstrip()
    out = [f"{title} - effective {doc.policy.effective_date or '(unknown)'}"]
    for part in SECTIONS:
        if part == "sections":
            continue
        heading = part.capitalize()
        out += ["", heading, "-" * len(heading), *_text_view(doc, part)]
    out += ["", f"({len(doc.sections)} sections of full text: show with --section sections)"]
    return strip_control("\n".join(out) + "\n")


# ------------------------------------------------------------------------- diff, audit


def redline(
    words: list[WordOp] | None, old: Payload | None = None, new: Payload | None = None
) -> str:
    """'[-old-]{+new+}' markup of a word diff (or of old/new when there is none)."""
    if words:
        parts = []
        for w in words:
            if w.op == "equal":
                parts.append(w.text)
            elif w.op == "delete":
                parts.append(f"[-{w.text}-]")
            else:
                parts.append(f"{{+{w.text}+}}")
        return " ".join(parts)
    bits = []
    if plain(old):
        bits.append(f"[-{plain(old)}-]")
    if plain(new):
        bits.append(f"{{+{plain(new)}+}}")
    return " ".join(bits)


def plain(value: Payload | None) -> str:
    """A payload on one line (a row or code as its cells joined by ' | ')."""
    if value is None:
        return ""
    if isinstance(value, TextValue):
        return value.text
    if isinstance(value, TreeValue):
        return value.outline
    if isinstance(value, CodeValue):
        parts = (value.system, value.code, value.first, value.last, value.description)
        return " | ".join(clean_text(p) for p in parts if p)
    if isinstance(value, RowValue):
        return " | ".join(clean_text(c.value) for c in value.cells if c.value not in (None, ""))
    if isinstance(value, ListValue):
        return "; ".join(value.items)
    assert isinstance(value, ScalarValue)
    return "" if value.value is None else str(value.value)


def _multiline(value: Payload | None) -> str:
    text = plain(value) if isinstance(value, TextValue | TreeValue) else ""
    return text if "\n" in text else ""


def _where_line(ch: Change) -> str:
    def side(label: str | None, page: int | None) -> str:
        bits = [label or ""] + ([f"p.{page}"] if page is not None else [])
        return " ".join(b for b in bits if b) or "-"

    return f"old {side(ch.old_label, ch.old_page)} / new {side(ch.new_label, ch.new_page)}"


def _indent(text: str, pad: str = "      ") -> str:
    return "\n".join(pad + line for line in text.splitlines())


def diff_text(cs: ChangeSet) -> str:
    """A readable text view: grouped by section, redline markup, labels and pages."""
    f, t = cs.from_, cs.to
    lines = [
        f"policy-tools diff: {f.policy or '?'} {f.effective_date or '?'} ({f.source_path}) -> "
        f"{t.policy or '?'} {t.effective_date or '?'} ({t.source_path})",
        *verdict_lines(cs),
        f"{len(cs.changes)} content change(s), {len(cs.format_changes)} layout/format "
        f"difference(s), {cs.unexplained} unexplained",
        conservation_line(cs),
    ]
    by_section: dict[str, list[Change]] = defaultdict(list)
    for ch in cs.changes:
        by_section[ch.section].append(ch)
    for section, items in by_section.items():
        counts = ", ".join(f"{n} {k}" for k, n in cs.summary.get(section, {}).items())
        lines += ["", f"== {section} ({counts}) =="]
        for ch in items:
            head = f"{ch.id} [{ch.kind}] {ch.summary}"
            lines.append(head)
            if ch.detail:
                lines.append(f"      logic: {ch.detail}")
            lines.append(f"      where: {_where_line(ch)}")
            if _multiline(ch.old) or _multiline(ch.new):
                if plain(ch.old):
                    lines.append("      old:")
                    lines.append(_indent(plain(ch.old), "        - "))
                if plain(ch.new):
                    lines.append("      new:")
                    lines.append(_indent(plain(ch.new), "        + "))
            elif ch.kind == "moved" and not ch.words:
                lines.append(f"      {plain(ch.new)}")
            elif ch.kind != "renumbered":
                lines.append(f"      {redline(ch.words, ch.old, ch.new)}")
            if ch.codes_gained:
                lines.append(
                    f"      billable codes gained ({len(ch.codes_gained)}): "
                    f"{', '.join(ch.codes_gained)}"
                )
            if ch.codes_lost:
                lines.append(
                    f"      billable codes lost ({len(ch.codes_lost)}): {', '.join(ch.codes_lost)}"
                )
            lines.extend(f"      note: {n}" for n in ch.notes)
    if cs.format_changes:
        lines += ["", "== layout / format (not content) =="]
        lines += [f"{ch.id} {ch.summary}" for ch in cs.format_changes]
    if cs.code_findings:
        lines += ["", "== code-set findings (new revision) =="]
        lines += [f"- {x.code} (p.{x.page}): {x.message}" for x in cs.code_findings]
    lines += ["", *_audit_lines(cs)]
    return strip_control("\n".join(lines) + "\n")


def verdict_lines(cs: ChangeSet) -> list[str]:
    """The verdict: the most consequential changes first, in plain words."""
    if not cs.headlines:
        return ["Verdict: no consequential change" + (" (no content change)" * (not cs.changes))]
    lines = ["Verdict (most consequential first):"]
    lines += [f"  - {one_line(h.text)} [{', '.join(h.change_ids[:6])}]" for h in cs.headlines]
    return lines


def conservation_line(cs: ChangeSet) -> str:
    c = cs.conservation
    return (
        f"Conservation check: {c.differing_words} differing word(s) of {c.old_words} -> "
        f"{c.new_words}; {c.explained_words} explained ({c.moved_words} moved or layout), "
        f"{c.unexplained_words} unexplained"
    )


def _claim_line(cs: ChangeSet, c: Claim) -> str:
    support = ", ".join(c.change_ids) if c.change_ids else "no change"
    return f'    {c.id} "{one_line(c.text)}" - supported by {support}'


def _audit_lines(cs: ChangeSet) -> list[str]:
    a = cs.audit
    lines = ["== audit of the policy history =="]
    if not cs.from_.criteria_read or not cs.to.criteria_read:
        lines.append("Note: criteria could not be read; criteria statements cannot be checked.")
    if not a.rows:
        lines.append("No new policy-history row describes this revision.")
    for r, row in enumerate(a.rows):
        page = f", new p. {row.page}" if row.page is not None else ""
        head = one_line(row.review_type) or "History row"
        lines.append(f"Row {r + 1}: {head} ({row.date or 'undated'}{page}):")
        lines.append(f"  {one_line(row.summary)}")
        lines += [_claim_line(cs, c) for c in a.claims if c.row == r]
    total = sum(u.count or len(u.change_ids) for u in a.undocumented)
    lines.append(f"Undocumented changes ({total}):")
    for u in a.undocumented:
        where = f"{u.indication} / {u.section}" if u.indication else u.section
        lines.append(f"  - {where}: {u.message} [{', '.join(u.change_ids)}]")
    lines.append(f"Unsupported claims ({len(a.unsupported_claims)}):")
    lines += [f'  - {u.claim_id} "{one_line(u.claim)}": {u.message}' for u in a.unsupported_claims]
    lines.append(f"Unmapped statements ({len(a.unmapped)}), not counted as false claims:")
    lines += [f'  - {u.claim_id} "{one_line(u.claim)}": {u.message}' for u in a.unmapped]
    if cs.unexplained:
        lines.append(f"Not audited: {cs.unexplained} unexplained difference(s) (see above).")
    if not a.undocumented and not a.unsupported_claims and a.rows:
        lines.append("The history rows match the changes found.")
    return lines


def audit_text(cs: ChangeSet) -> str:
    """The audit as readable text (the ``audit`` command's default output)."""
    f, t = cs.from_, cs.to
    head = (
        f"policy-tools audit: {f.policy or '?'} {f.effective_date or '?'} -> "
        f"{t.policy or '?'} {t.effective_date or '?'}"
    )
    return strip_control("\n".join([head, *_audit_lines(cs)]) + "\n")


# --------------------------------------------------------------------------- outcomes


def _deciders(side: str, outcome: str, deciding: tuple[Decider, ...]) -> list[str]:
    lines = [f"    {side}: {outcome}" + (", decided by:" if deciding else "")]
    lines.extend(f"      [{d.role}] {clean_text(d.text)}  [p. {d.page}]" for d in deciding)
    return lines


def _witness(facts: dict[str, object], criteria: dict[str, str]) -> list[str]:
    lines = ["    witness:"]
    for key, value in facts.items():
        if value is True:
            lines.append(f"      {key}: {clean_text(criteria.get(key, ''))}")
        else:
            lines.append(f"      {key} = {value!r}")
    lines.append("      (every other criterion not met)")
    return lines


def outcomes_text(report: OutcomeReport) -> str:
    """Flips of the combined decisions, each with its witness and deciding criteria."""
    lines = [f"Outcome changes {report.old} -> {report.new}"]
    for old_id, new_id in ((o, n) for n, o in report.matched.items()):
        lines.append(f"reworded, one criterion: {old_id} -> {new_id}")
    for lone in report.unmatched:
        lines.append(f"indication {lone}")
    texts = {d.id: d.text for c in report.changes for d in (*c.old_deciding, *c.new_deciding)}
    texts |= report.criteria
    for st in report.trees:
        lines.append(
            f"{st.indication} / {st.tree}: {st.variables} criteria, {st.typed} typed fact(s), "
            f"{st.evaluated} cases evaluated, {st.flipped} flip, {st.cases} witness(es)"
            + ("" if st.complete else " (trees too large: candidate cases sampled, not all)")
        )
        for ch in (c for c in report.changes if (c.tree, c.indication) == (st.tree, st.indication)):
            lines.append(f"  - {ch.direction}")
            lines.extend(_witness(ch.facts, texts))
            lines.extend(_deciders("old", ch.old_outcome, ch.old_deciding))
            lines.extend(_deciders("new", ch.new_outcome, ch.new_deciding))
    for au in report.authorization:
        lines.append(f"authorization {au.indication} {au.field}: {au.old} -> {au.new}")
    if report.exit_code == 0:
        lines.append("No outcome changes.")
    return strip_control("\n".join(lines) + "\n")


# ----------------------------------------------------------------------------- ingest


def _detail(res: FileResult) -> str:
    return one_line(res.message.removeprefix(f"{res.source}: "))


def ingest_line(done: int, total: int, res: FileResult) -> str:
    """One progress line: '[3/7] added IP0660@2026-01-01 <- file.pdf (detail)'."""
    detail = f" ({_detail(res)})" if res.message else ""
    return strip_control(f"[{done}/{total}] {res.status} {res.ref or '-'} <- {res.source}{detail}")


def ingest_summary(result: IngestResult) -> str:
    """The closing table of an ingest: one row per file, then the counts."""
    rows = [[f.status, f.ref or "-", one_line(f.source), _detail(f)] for f in result.files]
    out = [f"Ingest into {result.store}: {len(result.files)} file(s)"]
    if rows:
        out.append(table(["STATUS", "REVISION", "SOURCE", "DETAIL"], rows))
    if result.reports:
        out.append("Change reports written:")
        out.extend(f"  {p}" for p in result.reports)
    out.extend(f"Note: {n}" for n in result.report_notes)
    out.extend(f"Error: {e}" for e in result.report_errors)
    for p in result.store_problems:
        out.append(f"{'Store' if p.action else 'Problem'}: {one_line(p.line())}")
    out.append(", ".join(f"{result.count(s)} {s}" for s in STATUSES))
    return strip_control("\n".join(out) + "\n")


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def store_report_text(report: StoreReport, verb: str = "Checked") -> str:
    """``store check`` / ``--repair`` / ``rebuild-index``: counts, then one line per problem."""
    where = report.catalog if verb == "Rebuilt" else report.store
    found = len(report.problems)
    head = f"{verb} {where}: {_n(report.policies, 'policy', 'policies')}, "
    head += _n(report.revisions, "revision", "revisions")
    if verb != "Rebuilt" or found:
        head += f"; {found} problem{'s' if found != 1 else ''}" if found else "; no problems"
    check = verb == "Checked" and not report.repair
    lines = [f"  {one_line(p.line(check=check))}" for p in report.problems]
    return strip_control("\n".join([head, *lines]) + "\n")
