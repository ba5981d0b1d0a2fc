"""Reading the outline: which node is an indication, a branch (initial / continuation),
a dosing list, an approval duration or an exclusion, and the criteria of each.

Two layouts are read by the same walk: an indication holding its branches (Cigna
'1. Crohn's Disease' -> 'A) Initial Therapy' / 'B) Patient is Currently Receiving ...';
UHC 'A. Asthma' -> '1. Initial Authorization'; a heading and 'For initial therapy, all
of the following:'), and a branch holding its indications (Centene 'I. Initial Approval
Criteria' -> 'A. Acute Lymphoblastic Leukemia (must meet all):'; FEP 'Prior-Approval
Requirements' with a 'Diagnoses' row). Criteria printed in a section before its
indications (and not under one) are common to the indications that follow in that
section or its product group; a renewal section that names no indication applies to all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ...model.policy import Box, DosingTable, Leaf, Node, TableRow
from ...text import normalize_space
from ...vocab import Pattern
from ...vocab.criteria import (
    BRANCH_CUES,
    COMMON_CUES,
    DIAGNOSIS_LABELS,
    DOSING_CUES,
    INDICATION_CUES,
    NOT_COVERED_CUES,
    ROW_CRITERIA,
    Phrase,
)
from .durations import Duration, durations_in
from .items import Item
from .outline import ONode, is_lead
from .trees import (
    Built,
    Part,
    boxes_of,
    connective,
    group_of,
    is_criterion,
    is_duration_only,
    leaf_of,
    pure_cue,
    split_approve,
    tree_of,
)

__all__ = ["Reader", "Unit", "clean_name"]

_APPROVE = re.compile(r"\bApprove\b")
_STRUCTURE = frozenset(
    {"indication", "branch", "named-lead", "heading", "exclusion", "container", "duration"}
)
_FOOTNOTES = re.compile(r"(?:\s*[†‡Ф±¥◊*]+|\s*\^[\d,\-–\s]+)+\s*$")


@dataclass
class Unit:
    """One criteria set as printed: an indication's initial or continuation criteria
    (``name`` None: printed for no indication in particular)."""

    name: str | None
    branch: str
    tree: Part | None
    page: int | None
    section: str
    order: int
    scope: str | None = None
    months: list[Duration] = field(default_factory=list)
    dosing: list[DosingTable] = field(default_factory=list)
    boxes: list[Box] | None = None


@dataclass
class Ctx:
    branch: str = "initial"
    name: str | None = None
    page: int | None = None
    boxes: list[Box] | None = None
    scope: str | None = None
    section: str = ""
    exclusions: bool = False


def clean_name(text: str) -> str:
    """An indication name as printed, without its footnote marks, trailing ':' or a
    parenthetical that only states the connective ('(must meet all)')."""
    t = normalize_space(text).rstrip(": ")
    m = re.search(r"\s*\(([^()]*)\)\s*:?\s*$", t)
    if m and connective(m.group(1)) is not None:
        t = t[: m.start()]
    t = _FOOTNOTES.sub("", t).rstrip(":. ")
    return t


def _cue(cues: tuple[Phrase, ...], text: str) -> Phrase | None:
    """The first cue a text begins with."""
    return next((c for c in cues if c.regex.match(text)), None)


def _any(pats: tuple[Pattern, ...], text: str) -> bool:
    return any(p.regex.search(text) for p in pats)


class Reader:
    def __init__(self, title: str) -> None:
        self.title = title.lower()
        self.units: list[Unit] = []
        self.durations: list[tuple[Ctx, Duration]] = []
        self.exclusions: list[Part] = []
        self.limits: list[tuple[Ctx, str, int]] = []
        self.used: list[Item] = []  # items read into criteria, durations or dosing
        self._order = 0

    # ------------------------------------------------------------------ roles

    def role(self, n: ONode, ctx: Ctx) -> str:
        it = n.item
        assert it is not None
        text = it.text
        bare = not it.label and it.kind in ("text", "heading")
        if any(p.regex.match(text) for p in DOSING_CUES):
            return "dosing"
        if (it.hint == "not_covered" and it.title) or (
            (bare or it.title) and _any(NOT_COVERED_CUES, text) and not _cue(BRANCH_CUES, text)
        ):
            return "exclusion"
        if ctx.exclusions:
            return "exclusion"
        timed = not n.children and bool(durations_in(text, it.page))
        if timed and (is_duration_only(text) or not is_criterion(n)):
            return "duration"
        if is_lead(it) and _named(text) is not None:
            return "named-lead"
        if _cue(BRANCH_CUES, text) or (it.title and it.hint in ("initial", "continuation")):
            return "branch"
        if (
            it.label
            and n.children
            and (INDICATION_CUES[0].regex.match(text) or (it.kind == "heading" and not it.title))
        ):
            return "indication"
        if bare and it.kind == "heading" and not n.children:
            return self._heading_role(text)
        if n.children and any(
            self.role(c, ctx) in _STRUCTURE for c in n.children if c.item is not None
        ):
            return "container"  # '2. Coverage Criteria' holding the indications
        return "criteria" if is_criterion(n) else "noise"

    def _heading_role(self, text: str) -> str:
        if _any(DIAGNOSIS_LABELS, text):
            return "diagnosis"
        if _any(COMMON_CUES, text):
            return "common"
        if not re.search(r"[A-Za-z]{3}", text) or is_lead_text(text):
            return "noise"
        if self._product_group(text):
            return "group"
        return "heading"

    def _product_group(self, text: str) -> bool:
        names = [p.strip(" .:") for p in re.split(r"[,;/&]|\band\b", clean_name(text))]
        names = [p for p in names if p]
        known = [p for p in names if p.lower() in self.title]
        return len(names) >= 2 and len(known) * 2 >= len(names)

    # ------------------------------------------------------------------ the walk

    def walk(self, nodes: list[ONode], ctx: Ctx) -> None:
        """Read a run of sibling nodes; headings and titles set the context of what
        follows them, criteria gather until the next boundary."""
        cur = ctx
        pending: list[ONode] = []
        for n in _flat(nodes):
            it = n.item
            assert it is not None
            if it.title:
                self.flush(pending, cur)
                pending = []
                cur = self._title_ctx(n, ctx)
                if not it.label:
                    continue
            if it.section and it.section != cur.section:
                cur = replace(cur, section=it.section)
            role = self.role(n, cur)
            if role != "noise":
                self._use(n)
            boundary = role in (
                "indication",
                "named-lead",
                "heading",
                "group",
                "common",
                "branch",
                "container",
            )
            if boundary or (role == "diagnosis" and self._has_diagnosis(pending)):
                carried = _trailing_rows(pending) if role == "diagnosis" else []
                self.flush(pending[: len(pending) - len(carried)], cur)
                pending = carried
            cur = self.visit(n, role, cur, pending)

        self.flush(pending, cur)

    def _title_ctx(self, n: ONode, ctx: Ctx) -> Ctx:
        it = n.item
        assert it is not None
        cue = _cue(BRANCH_CUES, it.text)
        branch = (
            cue.meaning if cue else (it.hint if it.hint in ("initial", "continuation") else None)
        )
        return Ctx(
            branch=branch or ctx.branch,
            section=it.section,
            exclusions=self.role(n, Ctx()) == "exclusion",
        )

    def visit(self, n: ONode, role: str, cur: Ctx, pending: list[ONode]) -> Ctx:
        it = n.item
        assert it is not None
        if role == "exclusion":
            self.exclusion(n, cur)
            heads = it.kind == "heading" or is_lead(it)
            return replace(cur, exclusions=True) if heads and not n.children else cur
        if role == "duration":
            for dur in durations_in(it.text, it.page):
                self.durations.append((cur, dur))
            self._limit_text(it.text, it.page, cur)
        elif role == "branch":
            return self.branch(n, cur)
        elif role == "indication":
            self.indication(n, cur)
        elif role == "named-lead":
            return self.named_lead(n, cur)
        elif role == "heading":
            return replace(cur, name=clean_name(it.text), page=it.page, boxes=it.boxes)
        elif role == "group":
            return replace(cur, name=None, scope=clean_name(it.text))
        elif role == "common":
            return replace(cur, name=None)
        elif role == "container":
            self.walk([c for c in n.children if c.item is not None], cur)
        elif role in ("criteria", "diagnosis"):
            pending.append(n)
        elif role == "noise" and cur.section and not n.children:
            self._limit_text(it.text, it.page, cur)
        return cur

    def _use(self, n: ONode) -> None:
        stack = [n]
        while stack:
            m = stack.pop()
            if m.item is not None:
                self.used.append(m.item)
            stack.extend(m.children)

    # ------------------------------------------------------------------ units

    def add(
        self,
        name: str | None,
        ctx: Ctx,
        tree: Part | None,
        page: int | None,
        boxes: list[Box] | None = None,
    ) -> Unit:
        self._order += 1
        unit = Unit(
            name=name,
            branch=ctx.branch,
            tree=tree,
            page=page,
            section=ctx.section,
            order=self._order,
            scope=ctx.scope,
            boxes=boxes,
        )
        self.units.append(unit)
        return unit

    def flush(self, pending: list[ONode], ctx: Ctx) -> None:
        """Criteria gathered under one heading (or none): a unit, or one per diagnosis
        when a 'Diagnoses' list gives each diagnosis criteria of its own."""
        crit = [n for n in pending if is_criterion(n) or self._is_diag(n)]
        if not crit:
            return
        diag = next((n for n in crit if self._is_diag(n)), None)
        if diag is None:
            self.add(ctx.name, ctx, _tree(crit), _first_page(crit), ctx.boxes)
            return
        items = [c for c in diag.children if is_criterion(c)]
        own = [c for c in items if any(is_criterion(g) for g in c.children)]
        if not own:
            name = ctx.name or (clean_name(items[0].text) if items else None)
            self.add(name, ctx, _tree(crit), _first_page(crit), ctx.boxes)
            return
        for c in items:
            rest = [n if n is not diag else c for n in crit]
            assert c.item is not None
            self.add(clean_name(c.item.text), ctx, _tree(rest), c.item.page, c.item.boxes)

    def _is_diag(self, n: ONode) -> bool:
        return n.diagnoses

    def _has_diagnosis(self, pending: list[ONode]) -> bool:
        return any(self._is_diag(n) for n in pending)

    # ------------------------------------------------------------------ kinds of nodes

    def branch(self, n: ONode, cur: Ctx) -> Ctx:
        """A branch heading: inside an indication, that branch's criteria; otherwise
        the branch of what it holds (and of what follows it, when it holds nothing)."""
        it = n.item
        assert it is not None
        cue = _cue(BRANCH_CUES, it.text)
        branch = cue.meaning if cue else (it.hint or cur.branch)
        ctx = replace(cur, branch=branch)
        if cur.name is not None and n.children:
            self.branch_unit(n, ctx, cue)
            return cur
        if n.children:
            inner = [c for c in n.children if c.item is not None]
            if any(self.role(c, ctx) == "criteria" for c in inner) and not is_lead(it):
                self.walk(inner, ctx)
            elif is_lead(it):
                self.add(cur.name, ctx, self._branch_tree(n, cue), it.page, it.boxes)
                self._durations_under(n, ctx)
            else:
                self.walk(inner, ctx)
            return cur
        return ctx

    def branch_unit(self, n: ONode, ctx: Ctx, cue: Phrase | None) -> Unit:
        it = n.item
        assert it is not None
        unit = self.add(ctx.name, ctx, self._branch_tree(n, cue), it.page, ctx.boxes)
        self._durations_under(n, ctx, unit)
        return unit

    def _branch_tree(self, n: ONode, cue: Phrase | None) -> Part | None:
        """'Patient is Currently Receiving X. Approve for 1 year if the patient meets BOTH
        of the following (i and ii):' -> AND['Patient is Currently Receiving X', i, ii]."""
        it = n.item
        assert it is not None
        head, lead = split_approve(it.text)
        if lead is None and connective(it.text) is not None:
            lead = it.text  # 'For continuation of therapy, all of the following:'
        kids = [c for c in n.children if is_criterion(c)]
        group = group_of(kids, lead, False, page=it.page, item=it) if kids else None
        condition = head and (cue is None or cue.condition) and not pure_cue(head)
        if not condition:
            if group is not None and lead is None and len(kids) == 1:
                return tree_of(kids[0])
            return group
        leaf = leaf_of(it, head)
        if group is None:
            return leaf
        if isinstance(group, Node) and group.op == "AND":
            group.items = [leaf, *group.items]
            return group
        return Node(op="AND", text=lead, page=it.page, box=boxes_of([it]), items=[leaf, group])

    def _durations_under(self, n: ONode, ctx: Ctx, unit: Unit | None = None) -> None:
        stack = [n]
        while stack:
            m = stack.pop()
            if m.item is None:
                continue
            if m.item is not None:
                for dur in durations_in(m.item.text, m.item.page):
                    if unit is not None:
                        unit.months.append(dur)
                    else:
                        self.durations.append((ctx, dur))
            stack.extend(reversed(m.children))

    def indication(self, n: ONode, cur: Ctx) -> None:
        """A labelled indication ('1. Crohn's Disease. Approve for ...', 'A. Asthma')."""
        it = n.item
        assert it is not None
        m = INDICATION_CUES[0].regex.match(it.text)
        name = clean_name(m.group(1) if m else it.text)
        ctx = replace(cur, name=name, page=it.page, boxes=it.boxes)
        approve = _approval(it.text)
        kids = [c for c in n.children if c.item is not None]
        roles = [self.role(c, ctx) for c in kids]
        branches = [c for c, r in zip(kids, roles, strict=True) if r == "branch" or _branchy(c)]
        if not branches:
            crit = [c for c, r in zip(kids, roles, strict=True) if r == "criteria"]
            tree = (
                group_of(crit, approve or it.text, False, page=it.page, item=it) if crit else None
            )
            unit = self.add(name, ctx, tree, it.page, it.boxes)
            for c in crit:
                self._durations_under(c, ctx, unit)
        else:
            unit = None
            for k, c in enumerate(branches):
                cue = _cue(BRANCH_CUES, c.item.text if c.item else "")
                branch = cue.meaning if cue else ("initial" if k == 0 else "continuation")
                u = self.branch_unit(c, replace(ctx, branch=branch), cue)
                unit = unit or u
        for dur in durations_in(approve, it.page):
            self.durations.append((ctx, replace(dur, branch="indication")))
        for c, r in zip(kids, roles, strict=True):
            if r == "dosing" and unit is not None:
                self.dosing_of(c, unit)
            elif r == "duration" and c.item is not None:
                for dur in durations_in(c.item.text, c.item.page):
                    self.durations.append((ctx, dur))

    def named_lead(self, n: ONode, cur: Ctx) -> Ctx:
        """'Initial requests for Dupixent for asthma may be approved if ...:' names its
        indication and branch; the heading printed just before it names it better."""
        it = n.item
        assert it is not None
        name = _named(it.text) or ""
        if cur.name and _near(cur.name, name):
            name = cur.name
        cue = _cue(BRANCH_CUES, it.text)
        ctx = replace(
            cur,
            name=clean_name(name[:1].upper() + name[1:]),
            branch=cue.meaning if cue else cur.branch,
        )
        if n.children:
            kids = [c for c in n.children if is_criterion(c)]
            tree = group_of(kids, it.text, False, page=it.page, item=it) if kids else None
            self.add(ctx.name, ctx, tree, it.page, it.boxes)
            self._durations_under(n, ctx)
        return replace(ctx, branch=cur.branch if cue is None else ctx.branch)

    def dosing_of(self, n: ONode, unit: Unit) -> None:
        """'Dosing. Approve ONE of the following regimens (A or B):' -> a table of the
        regimens printed under it (the lowest level), or the sentence itself."""
        it = n.item
        assert it is not None
        rows: list[TableRow] = []
        for leaf_node, context in _leaves(n):
            li = leaf_node.item
            assert li is not None
            cells = {"Regimen": normalize_space(li.text)}
            if context:
                cells = {"Context": context, **cells}
            rows.append(TableRow(cells=cells, page=li.page, box=boxes_of([li])))
        if not rows:
            body = re.sub(r"^\s*Dosing\s*[.:]\s*", "", it.text)
            rows = [TableRow(cells={"Regimen": body}, page=it.page, box=boxes_of([it]))]
        columns = list(dict.fromkeys(c for r in rows for c in r.cells))
        for r in rows:
            r.cells = {c: r.cells.get(c, "") for c in columns}
        unit.dosing.append(
            DosingTable(
                title=normalize_space(it.text),
                page=it.page,
                columns=columns,
                key=columns,
                rows=rows,
            )
        )

    def exclusion(self, n: ONode, cur: Ctx) -> None:
        it = n.item
        assert it is not None
        heads = it.title or (it.kind == "heading" and connective(it.text) is None)
        if heads and not is_lead(it) and n.children:
            for c in n.children:  # 'D. Conditions Not Covered' heads the exclusions
                if c.item is not None and (is_criterion(c) or c.children):
                    self.exclusion(c, cur)
            return
        if n.children and any(is_criterion(c) for c in n.children):
            tree = tree_of(n, exclusions=True)
            named = connective(it.text)
            if isinstance(tree, Node) and tree.op == "AND" and (named is None or not named[2]):
                tree.op = "OR"  # a list of exclusions: any one excludes
            if tree is not None:
                self.exclusions.append(tree)
        elif not it.title and (
            it.label or it.sub or (_any(NOT_COVERED_CUES, it.text) and not is_lead(it))
        ):
            self.exclusions.append(leaf_of(it))

    def _limit_text(self, text: str, page: int, ctx: Ctx) -> None:
        """A limits row ('Quantity One infusion ...') kept as dosing text of the policy."""
        m = re.match(r"^\s*Quantity\s+(.+?)(?:\s+Duration\b.*)?$", text)
        if m:
            self.limits.append((ctx, normalize_space(m.group(1)), page))


# ------------------------------------------------------------------ helpers


def _trailing_rows(pending: list[ONode]) -> list[ONode]:
    """The row criteria ('Age ...') printed at the end of a block, before the next
    'Diagnosis' row: they open the next block."""
    k = len(pending)
    while k > 0 and pending[k - 1].item is not None and not pending[k - 1].children:
        if not _any(ROW_CRITERIA, pending[k - 1].item.text):  # type: ignore[union-attr]
            break
        k -= 1
    return pending[k:]


def _flat(nodes: list[ONode]) -> list[ONode]:
    """Sibling nodes, with what an unlabelled section title holds read after it."""
    out: list[ONode] = []
    for n in nodes:
        out.append(n)
        if n.item is not None and n.item.title and not n.item.label:
            out.extend(_flat([c for c in n.children if c.item is not None]))
    return out


def is_lead_text(text: str) -> bool:
    return text.rstrip().endswith(":") and len(text.split()) > 12


def _named(text: str) -> str | None:
    for cue in INDICATION_CUES[1:]:
        m = cue.regex.search(text)
        if m:
            return normalize_space(m.group(1))
    return None


def _near(a: str, b: str) -> bool:
    wa = set(re.findall(r"[a-z0-9]+", a.lower()))
    wb = set(re.findall(r"[a-z0-9]+", b.lower()))
    return bool(wa and wb) and len(wa & wb) * 2 >= min(len(wa), len(wb))


def _approval(text: str) -> str:
    m = _APPROVE.search(text)
    return text[m.start() :] if m else ""


def _branchy(n: ONode) -> bool:
    it = n.item
    return it is not None and bool(it.label) and bool(n.children) and bool(_APPROVE.search(it.text))


def _tree(nodes: list[ONode]) -> Part | None:
    if len(nodes) == 1:
        return tree_of(nodes[0])
    return group_of(nodes, None, False)


def _first_page(nodes: list[ONode]) -> int | None:
    return next((n.item.page for n in nodes if n.item is not None), None)


def _leaves(n: ONode, context: str = "") -> list[tuple[ONode, str]]:
    out: list[tuple[ONode, str]] = []
    for c in n.children:
        if c.item is None or not (c.item.label or c.item.sub):
            continue
        if c.children:
            out.extend(_leaves(c, normalize_space(c.item.text)))
        else:
            out.append((c, context))
    return out


def mark_diagnoses(root: ONode) -> None:
    """The list after a 'Diagnoses' row names the diagnoses: mark it."""
    stack = [root]
    while stack:
        n = stack.pop()
        kids = n.children
        for k, c in enumerate(kids):
            if c.item is not None and _any(DIAGNOSIS_LABELS, c.item.text):
                nxt = next((x for x in kids[k + 1 :] if x.children), None)
                if nxt is not None:
                    nxt.diagnoses = True
        stack.extend(kids)


__all__ += ["Built", "Leaf", "mark_diagnoses"]
