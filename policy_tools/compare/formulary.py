"""Row-level diff of two revisions of a preferred drug list (``PolicyDocument.formulary``).

Drugs are matched by normalised name within their class (the n-th row of a name in a
class pairs with the n-th: a class may list one drug under two sub-groups); a name found
in another class is one move; a leftover pair in one class with a close name and the
same status is a rename or strength change. Pages never count, so reflow is no change.

Each kind of change has its own change-set section, so the change set's summary counts
them: ``formulary.drugs`` (added, removed, moved, modified = renamed),
``formulary.status``, ``formulary.pa`` (added / removed), ``formulary.step_therapy`` and
``formulary.quantity_limit`` (added / removed / modified, with the parsed limits),
``formulary.pa_form``, ``formulary.age_limit``, ``formulary.criteria`` (a drug's criteria
tree, compared as logic), ``formulary.class_criteria``, ``formulary.classes`` and
``formulary.wording`` (criteria whose words are the same: bullets, breaks, a duplicated
line). :func:`change_kind` names each for people (``status changed``, ``QL added``...).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from ..model.changeset import Cell, Change, ChangeKind, Location, RowValue, ScalarValue, TextValue
from ..model.policy import Formulary, FormularyClass, FormularyDrug, Leaf, Node, PolicyDocument
from ..settings import SETTINGS
from ..text import compare_key, short
from .collect import Collector
from .criteria import TreeAt, diff_tree
from .match import word_diff

__all__ = ["FORMULARY_KINDS", "change_kind", "diff_formulary", "drug_key"]

_S = SETTINGS.formulary
_BULLETS = re.compile(r"(?:^|\s)(?:[•●▪\uf0b7\u00ad−]|o)(?=\s|$)")

# (section, kind) -> the kind of change as pharmacy staff name it
FORMULARY_KINDS: dict[tuple[str, str], str] = {
    ("formulary.drugs", "added"): "added",
    ("formulary.drugs", "removed"): "removed",
    ("formulary.drugs", "moved"): "moved",
    ("formulary.drugs", "modified"): "renamed",
    ("formulary.status", "modified"): "status changed",
    ("formulary.pa", "added"): "PA added",
    ("formulary.pa", "removed"): "PA removed",
    ("formulary.step_therapy", "added"): "ST added",
    ("formulary.step_therapy", "removed"): "ST removed",
    ("formulary.step_therapy", "modified"): "ST changed",
    ("formulary.quantity_limit", "added"): "QL added",
    ("formulary.quantity_limit", "removed"): "QL removed",
    ("formulary.quantity_limit", "modified"): "QL changed",
    ("formulary.pa_form", "modified"): "PA form changed",
    ("formulary.age_limit", "modified"): "age limit changed",
    ("formulary.criteria", "modified"): "criteria changed",
    ("formulary.class_criteria", "modified"): "class criteria changed",
    ("formulary.classes", "added"): "class added",
    ("formulary.classes", "removed"): "class removed",
    ("formulary.wording", "modified"): "wording only",
}


def change_kind(change: Change) -> str:
    """The formulary kind of a change ('status changed'), or its plain kind."""
    return FORMULARY_KINDS.get((change.section, change.kind), change.kind)


def drug_key(name: str) -> str:
    """A drug name for matching: case, spacing, marks (®, ™) and punctuation aside."""
    return re.sub(r"\s*([/,&()])\s*", r"\1", compare_key(name))


def _words(text: str | None) -> str:
    """What a criteria text says: its words without bullets, breaks or punctuation."""
    t = _BULLETS.sub(" ", text or "")
    return " ".join(re.findall(r"[\w≥≤<>%./-]+", compare_key(t)))


def _row(d: FormularyDrug) -> RowValue:
    cells = [
        ("class", d.class_name),
        ("drug", d.name),
        ("status", d.status_printed),
        ("PA", "yes" if d.pa else "no"),
        ("criteria", d.pa_text),
        ("step therapy", d.step_therapy),
        ("quantity limit", d.quantity_limit),
        ("PA form", d.pa_form),
    ]
    return RowValue(cells=[Cell(name=k, value=v) for k, v in cells])


@dataclass
class _Pair:
    old: FormularyDrug
    new: FormularyDrug
    i: int
    j: int

    def loc(self, field: str | None = None) -> Location:
        return Location(
            indication=self.new.name,
            old_index=[self.i],
            new_index=[self.j],
            row_key=[self.new.class_name, self.new.name],
            field=field,
        )

    def where(self) -> str:
        return f"{self.new.name} ({self.new.class_name})"

    def pages(self) -> dict[str, int]:
        return {"old_page": self.old.page, "new_page": self.new.page}


def _match(
    olds: Sequence[FormularyDrug], news: Sequence[FormularyDrug]
) -> tuple[
    list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]], list[int], list[int]
]:
    """(same place, moved, renamed, removed, added) as index pairs / indexes."""
    slots: dict[tuple[str, str], list[int]] = defaultdict(list)
    for j, d in enumerate(news):
        slots[(compare_key(d.class_name), drug_key(d.name))].append(j)
    same: list[tuple[int, int]] = []
    lone_old: list[int] = []
    for i, d in enumerate(olds):
        bucket = slots.get((compare_key(d.class_name), drug_key(d.name)))
        if bucket:
            same.append((i, bucket.pop(0)))
        else:
            lone_old.append(i)
    taken = {j for _, j in same}
    lone_new = [j for j in range(len(news)) if j not in taken]
    moved = _pair_up(
        lone_old, lone_new, lambda i, j: drug_key(olds[i].name) == drug_key(news[j].name)
    )
    lone_old = [i for i in lone_old if i not in {a for a, _ in moved}]
    lone_new = [j for j in lone_new if j not in {b for _, b in moved}]

    def renamed(i: int, j: int) -> bool:
        o, n = olds[i], news[j]
        if compare_key(o.class_name) != compare_key(n.class_name) or o.status != n.status:
            return False
        return fuzz.ratio(drug_key(o.name), drug_key(n.name)) >= _S.rename_match

    renames = _pair_up(lone_old, lone_new, renamed)
    lone_old = [i for i in lone_old if i not in {a for a, _ in renames}]
    lone_new = [j for j in lone_new if j not in {b for _, b in renames}]
    return same, moved, renames, lone_old, lone_new


def _pair_up(
    olds: list[int], news: list[int], ok: Callable[[int, int], bool]
) -> list[tuple[int, int]]:
    used: set[int] = set()
    out: list[tuple[int, int]] = []
    for i in olds:
        j = next((j for j in news if j not in used and ok(i, j)), None)
        if j is not None:
            used.add(j)
            out.append((i, j))
    return out


def diff_formulary(old: PolicyDocument, new: PolicyDocument, out: Collector) -> None:
    """Changes of the formulary part (nothing when neither revision is a PDL)."""
    fo, fn = old.formulary, new.formulary
    if fo is None and fn is None:
        return
    if fo is None or fn is None:
        fresh = fo is None
        f = fn if fresh else fo
        assert f is not None
        out.add(
            "formulary.drugs",
            "added" if fresh else "removed",
            "formulary",
            f"{'New' if fresh else 'No more'} drug list: {len(f.drugs)} drug rows in "
            f"{len(f.classes)} classes",
        )
        return
    _classes(fo, fn, out)
    same, moved, renames, removed, added = _match(fo.drugs, fn.drugs)
    for i, j in moved:
        _moved(_Pair(fo.drugs[i], fn.drugs[j], i, j), out)
    for i, j in renames:
        _renamed(_Pair(fo.drugs[i], fn.drugs[j], i, j), out)
    for i, j in sorted(same + moved + renames, key=lambda p: p[1]):
        _fields(_Pair(fo.drugs[i], fn.drugs[j], i, j), out)
    lone: list[tuple[int, ChangeKind]] = [(i, "removed") for i in removed]
    for k, kind in lone + [(j, "added") for j in added]:
        _one_side(out, fo.drugs[k] if kind == "removed" else fn.drugs[k], k, kind)


def _one_side(out: Collector, d: FormularyDrug, k: int, kind: ChangeKind) -> None:
    """A drug row only one revision prints."""
    role = "new" if kind == "added" else "old"
    status = f": {d.status_printed or 'no status printed'}" if kind == "added" else ""
    side: dict[str, Any] = {role: _row(d), f"{role}_page": d.page}
    out.add(
        "formulary.drugs",
        kind,
        f"formulary.drugs[{k}]",
        f"{kind.capitalize()} {d.name} ({d.class_name}){status}",
        location=Location(
            indication=d.name, row_key=[d.class_name, d.name], **{f"{role}_index": [k]}
        ),
        **side,
    )


def _moved(p: _Pair, out: Collector) -> None:
    out.add(
        "formulary.drugs",
        "moved",
        f"formulary.drugs[{p.j}].class_name",
        f"Moved {p.new.name}: {p.old.class_name} -> {p.new.class_name}",
        location=p.loc("class_name"),
        old=ScalarValue(value=p.old.class_name),
        new=ScalarValue(value=p.new.class_name),
        detail=f"moved from class {p.old.class_name} to {p.new.class_name}",
        **p.pages(),
    )


def _renamed(p: _Pair, out: Collector) -> None:
    out.add(
        "formulary.drugs",
        "modified",
        f"formulary.drugs[{p.j}].name",
        f"Renamed {p.old.name} -> {p.new.name} ({p.new.class_name})",
        location=p.loc("name"),
        old=TextValue(text=p.old.name),
        new=TextValue(text=p.new.name),
        words=word_diff(p.old.name, p.new.name),
        detail="name or strength changed",
        **p.pages(),
    )


def _value_change(
    p: _Pair, out: Collector, field: str, label: str, old: str | None, new: str | None
) -> None:
    """An optional text field of a drug: added, removed or modified (compare_key aside)."""
    if compare_key(old) == compare_key(new):
        return
    kind: ChangeKind = "added" if not old else "removed" if not new else "modified"
    section = f"formulary.{field}"
    if field in ("status", "pa_form", "age_limit"):
        kind = "modified"
    out.add(
        section,
        kind,
        f"formulary.drugs[{p.j}].{field}",
        f"{label} {FORMULARY_KINDS.get((section, kind), kind).split()[-1]}: {p.where()}: "
        f"{old or '(none)'} -> {new or '(none)'}",
        location=p.loc(field),
        old=TextValue(text=old) if old else None,
        new=TextValue(text=new) if new else None,
        words=word_diff(old, new) if old and new else None,
        detail=_limits_detail(p) if field == "quantity_limit" else None,
        **p.pages(),
    )


def _limits_detail(p: _Pair) -> str:
    def show(d: FormularyDrug) -> str:
        parts = []
        for lim in d.limits:
            per = f"{lim.days} days" if lim.days else (lim.per or "?")
            what = f"{lim.strength}: " if lim.strength else ""
            parts.append(f"{what}{lim.quantity:g}{' ' + lim.unit if lim.unit else ''} per {per}")
        return "; ".join(parts) or "no limit read"

    return f"limits {show(p.old)} -> {show(p.new)}"


def _fields(p: _Pair, out: Collector) -> None:
    o, n = p.old, p.new
    _value_change(p, out, "status", "Status", o.status_printed, n.status_printed)
    _value_change(p, out, "step_therapy", "ST", o.step_therapy, n.step_therapy)
    _value_change(p, out, "quantity_limit", "QL", o.quantity_limit, n.quantity_limit)
    if o.pa_form is not None and n.pa_form is not None:
        _value_change(p, out, "pa_form", "PA form", o.pa_form, n.pa_form)
    _value_change(p, out, "age_limit", "Age limit", o.age_limit, n.age_limit)
    by_status = compare_key(o.status_printed) != compare_key(n.status_printed) and compare_key(
        o.pa_text
    ) == compare_key(n.pa_text)
    pa_moved = bool(o.pa) != bool(n.pa) and not by_status  # the legend's PA: the status change
    if pa_moved:
        # the criteria that came (or went) with it are the PA change's payload
        out.add(
            "formulary.pa",
            "added" if n.pa else "removed",
            f"formulary.drugs[{p.j}].pa",
            f"PA {'added' if n.pa else 'removed'}: {p.where()}",
            location=p.loc("pa"),
            old=TextValue(text=o.pa_text) if o.pa_text else ScalarValue(value=bool(o.pa)),
            new=TextValue(text=n.pa_text) if n.pa_text else ScalarValue(value=bool(n.pa)),
            **p.pages(),
        )
    if pa_moved and not (o.pa_text and n.pa_text):
        return
    _criteria(
        out,
        "formulary.criteria",
        f"formulary.drugs[{p.j}].pa_criteria",
        p.loc("pa_criteria"),
        (o.pa_text, n.pa_text, o.pa_criteria, n.pa_criteria),
        p.where(),
        p.pages(),
    )


def _criteria(
    out: Collector,
    section: str,
    path: str,
    loc: Location,
    texts: tuple[str | None, str | None, Node | None, Node | None],
    where: str,
    pages: dict[str, int],
) -> None:
    """One change for a drug's (or class's) criteria: wording only when the words are
    the same, else the logic changes of its tree (compared as for policies) in notes."""
    old_text, new_text, old_tree, new_tree = texts
    if compare_key(old_text) == compare_key(new_text):
        return
    common: dict[str, Any] = dict(location=loc, words=word_diff(old_text, new_text), **pages)
    payload: dict[str, Any] = dict(
        old=TextValue(text=old_text) if old_text else None,
        new=TextValue(text=new_text) if new_text else None,
    )
    if _words(old_text) == _words(new_text):
        out.add(
            "formulary.wording",
            "modified",
            path,
            f"Wording only (same words): {where}",
            detail="bullets, line breaks or punctuation",
            **payload,
            **common,
        )
        return
    logic, wording = _logic(old_tree, new_tree)
    target = "formulary.wording" if wording and not logic else section
    label = "Wording only" if target == "formulary.wording" else "Criteria changed"
    out.add(
        target,
        "modified",
        path,
        f"{label}: {where}: {short(logic[0] if logic else (wording or [''])[0], 70)}",
        detail="; ".join(logic + wording)[:500] or None,
        notes=logic + wording,
        **payload,
        **common,
    )


def _logic(old: Node | None, new: Node | None) -> tuple[list[str], list[str]]:
    """The tree diff's own summaries, split into logic changes and wording-only ones (a
    criterion removed that the other revision still prints elsewhere, a group whose
    words stayed)."""
    scratch = Collector()
    diff_tree(TreeAt(tree="initial", path="pa_criteria"), old, new, scratch)
    new_leaves = _leaf_keys(new)
    old_leaves = _leaf_keys(old)
    logic: list[str] = []
    wording: list[str] = []
    for ch in scratch.changes:
        text = ch.old.text if isinstance(ch.old, TextValue) else None
        text = text or (ch.new.text if isinstance(ch.new, TextValue) else None)
        dup_removed = ch.kind == "removed" and text and old_leaves.count(compare_key(text)) > 1
        dup_added = ch.kind == "added" and text and new_leaves.count(compare_key(text)) > 1
        kept = ch.kind == "removed" and text and compare_key(text) in new_leaves
        if dup_removed or dup_added or kept or ch.kind in ("moved", "renumbered"):
            wording.append(f"{ch.summary} (wording only)")
        else:
            logic.append(ch.summary)
    if not scratch.changes:
        logic.append("criteria text changed")
    return logic, wording


def _leaf_keys(node: Node | None) -> list[str]:
    if node is None:
        return []
    out: list[str] = []
    for item in node.items:
        if isinstance(item, Leaf):
            out.append(compare_key(item.text))
        else:
            out.extend(_leaf_keys(item))
    return out


def _classes(fo: Formulary, fn: Formulary, out: Collector) -> None:
    """Classes by name: added, removed, and their class-level criteria."""
    old_by = {compare_key(c.name): (k, c) for k, c in enumerate(fo.classes)}
    new_by = {compare_key(c.name): (k, c) for k, c in enumerate(fn.classes)}
    for key, (j, c) in new_by.items():
        if key not in old_by:
            _class_side(out, "added", j, c)
            continue
        i, o = old_by[key]
        _criteria(
            out,
            "formulary.class_criteria",
            f"formulary.classes[{j}].criteria",
            Location(indication=c.name, old_index=[i], new_index=[j], row_key=[c.name]),
            (o.criteria_text, c.criteria_text, o.criteria, c.criteria),
            f"class {c.name}",
            {"old_page": o.page, "new_page": c.page},
        )
    for key, (i, c) in old_by.items():
        if key not in new_by:
            _class_side(out, "removed", i, c)


def _class_side(out: Collector, kind: ChangeKind, k: int, c: FormularyClass) -> None:
    added = kind == "added"
    role = "new" if added else "old"
    side: dict[str, Any] = {role: TextValue(text=c.name), f"{role}_page": c.page}
    out.add(
        "formulary.classes",
        kind,
        f"formulary.classes[{k}]",
        f"{'Added' if added else 'Removed'} class {c.name}",
        location=Location(
            indication=c.name,
            new_index=[k] if added else None,
            old_index=None if added else [k],
            row_key=[c.name],
        ),
        **side,
    )
