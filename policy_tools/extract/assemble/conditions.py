"""Typed facts: a criterion whose whole text is one condition of a known shape (an age,
a duration, a prescriber specialty, a code in the policy's code table, a lab value or
score threshold, "tried and failed N of ...") gets a :class:`Condition` beside its text.

Driven by ``vocab/conditions.py``; deterministic (the first rule that accounts for the
whole text wins, in table order). A criterion that says more than a rule reads keeps
no condition and stays a boolean fact. A group heading of a known shape ("Prescribed by
or in consultation with one of the following:") types the items under it that are
plain specialty names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ...model.policy import Code, Condition, Leaf, Node
from ...text import compare_key
from ...vocab.conditions import (
    CONDITION_RULES,
    EVIDENCE_CITATION,
    LABS,
    LEAD_INS,
    NUMBER_WORDS,
    OP_PHRASES,
    SPECIALTIES,
    SUBJECTS,
    ConditionRule,
)
from .draft import Draft

__all__ = ["conditions", "parse_condition", "specialty_of"]

_SUBJECTS = [re.compile(rf"^{pattern} ") for pattern, _, _ in SUBJECTS]
_LABS = [(re.compile(rf"^(?:{lab.pattern})$"), lab) for lab in LABS]
_SPECIALTIES = [(re.compile(rf"^(?:an? )?(?:{s.pattern})$"), s.name) for s in SPECIALTIES]
_LIST_SPLIT = re.compile(r"\s*,\s*(?:or |and )?|\s+or\s+|\s+and\s+|\s*/\s*")
_SYSTEMS = {"icd-10": "ICD-10-CM", "icd-10-cm": "ICD-10-CM", "cpt": "CPT", "hcpcs": "HCPCS"}
_UNIT_FACTS = {"month": "months_on_therapy", "week": "weeks_on_therapy", "day": "days_on_therapy"}


def _key(text: str) -> str:
    """The comparison form rules read: citations and trailing punctuation aside."""
    return compare_key(EVIDENCE_CITATION.sub("", compare_key(text)))


def _forms(key: str) -> Iterable[str]:
    """The text, then the text without each subject phrase it opens with."""
    yield key
    for subject in _SUBJECTS:
        m = subject.match(key)
        if m:
            yield key[m.end() :]


def _number(word: str) -> int | float:
    if word in NUMBER_WORDS:
        return NUMBER_WORDS[word]
    value = float(word)
    return int(value) if value.is_integer() else value


def specialty_of(text: str) -> str | None:
    """The canonical specialty a printed name stands for ('an Oncologist' -> oncologist)."""
    key = _key(text)
    return next((name for regex, name in _SPECIALTIES if regex.match(key)), None)


def _names(listed: str, specialties: bool) -> list[str] | None:
    parts = [p.strip(" ()") for p in _LIST_SPLIT.split(listed) if p.strip(" ()")]
    if not parts:
        return None
    if not specialties:
        return parts
    names = [specialty_of(p) for p in parts]
    return [n for n in names if n is not None] if all(names) else None


def _fields(rule: ConditionRule, m: re.Match[str], codes: Sequence[Code]) -> dict[str, object]:
    """What a matching rule reads from its groups; empty when the groups do not fit."""
    out: dict[str, object] = dict(rule.fixed)
    groups = {k: v for k, v in m.groupdict().items() if v is not None}
    if "n" in groups:
        out["value"] = _number(groups["n"])
    if "m" in groups:
        out["upper"] = _number(groups["m"])
    if "op" in groups:
        out["op"] = OP_PHRASES[groups["op"]]
    if "lab" in groups:
        lab = next((lab for regex, lab in _LABS if regex.match(groups["lab"].strip())), None)
        if lab is None:
            return {}
        out["fact"], out["unit"] = lab.fact, lab.unit
    if rule.kind == "duration":
        unit = groups.get("unit", "month").rstrip("s")
        out["fact"], out["unit"] = _UNIT_FACTS[unit], f"{unit}s"
    if "list" in groups:
        names = _names(groups["list"], rule.kind == "specialty")
        if not names:
            return {}
        out["values"] = names
    if rule.kind == "code_in_table":
        system = _SYSTEMS.get(groups.get("system", "").strip(), out.get("system"))
        printed = [c.code for c in codes if c.system == system]
        if not printed:
            return {}  # the policy prints no such table: nothing to read the codes from
        out["system"], out["values"] = system, printed
    return out


def parse_condition(
    text: str, codes: Sequence[Code] = (), lead_in: str | None = None
) -> Condition | None:
    """The typed condition of a criterion's whole text, or None (it stays a boolean fact)."""
    key = _key(text)
    if lead_in is not None:
        return _from_lead_in(text, key, lead_in)
    for form in _forms(key):
        for rule in CONDITION_RULES:
            m = rule.regex.match(form)
            if m is None:
                continue
            fields = _fields(rule, m, codes)
            if fields and "fact" in fields and "op" in fields:
                return Condition.model_validate(
                    {"kind": rule.kind, "text": text, "rule": rule.name, **fields}
                )
    return None


def _from_lead_in(text: str, key: str, lead_in: str) -> Condition | None:
    heading = _key(lead_in)
    for entry in LEAD_INS:
        if entry.kind == "specialty" and entry.regex.match(heading):
            name = specialty_of(key)
            if name is not None:
                return Condition(
                    kind="specialty",
                    fact="prescriber_specialty",
                    op="in",
                    values=[name],
                    text=text,
                    rule=f"lead-in: {entry.example}",
                )
    return None


def _type_tree(node: Node | Leaf, codes: Sequence[Code], heading: str | None) -> None:
    if isinstance(node, Leaf):
        found = parse_condition(node.text, codes, heading) if heading else None
        node.condition = found or parse_condition(node.text, codes)
        return
    for child in node.items:
        _type_tree(child, codes, node.text)


def conditions(d: Draft) -> None:
    """Give every criterion of a known shape its typed condition (last pipeline step)."""
    for _, _, tree in d.criteria.trees():
        _type_tree(tree, d.codes, None)
