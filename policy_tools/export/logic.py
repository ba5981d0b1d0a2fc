"""CQL library text and ELM JSON of a revision, both printed from one expression tree so
they stay in step (CQL-to-ELM translation is not available here: the ELM is emitted
directly and the CQL is its readable twin).

The library reads its answers as parameters: one ``Boolean`` parameter per criterion id
and one per typed fact key (``Decimal`` numbers, ``String`` texts, ``List<String>``
lists). One ``define`` per criterion (``"crit:<id>"``: its answer, or the typed
condition on its fact when the criterion itself is not answered), per tree
(``"tree:<k>:initial"``, ``"tree:not_covered"``) and per decision
(``"decision:<k>:initial"``: the tree AND NOT the exclusions; ``"decision:any:initial"``
over every indication). CQL's own null semantics give the three outcomes: true is
approved, false denied, null undetermined. The printed text of each criterion is a
``"text:<id>"`` string define.

Text from a PDF only ever becomes a CQL string literal (every character outside printable
ASCII, the quote and the backslash escaped) or a JSON string, so it cannot become code;
identifiers are criterion ids and fact keys (``[a-z0-9_-]``), checked before printing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..codegen.runtime import fold
from ..errors import PolicyToolsError
from ..io import dumps
from ..version import __version__

__all__ = ["E", "cql_text", "elm_json", "library_statements"]

ELM_TYPES = "urn:hl7-org:elm-types:r1"
_IDENT = re.compile(r"^[a-z0-9_:-]+$")
_CQL_TYPES = {"number": "Decimal", "text": "String", "list": "List<String>"}


@dataclass(frozen=True)
class E:
    """One expression node: ``kind`` with ``args`` (expressions) and an atom ``value``."""

    kind: str
    args: tuple[E, ...] = ()
    value: Any = None


def lit(value: Any) -> E:
    return E("lit", value=value)


NULL = E("null")
TRUE, FALSE = lit(True), lit(False)


def param(name: str) -> E:
    return E("param", value=_ident(name))


def ref(name: str) -> E:
    return E("ref", value=_ident(name))


def op(kind: str, *args: E) -> E:
    return E(kind, tuple(args))


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise PolicyToolsError(f"CQL export: {name!r} is not a safe identifier")
    return name


def all_of(kind: str, items: Sequence[E], empty: E) -> E:
    """n-ary And / Or as nested binary operators (CQL's three-valued ones)."""
    if not items:
        return empty
    acc = items[0]
    for item in items[1:]:
        acc = op(kind, acc, item)
    return acc


def _count_if(test: str, e: E) -> E:
    return op("if", op(test, e), lit(1), lit(0))


def n_of(items: Sequence[E], n: int) -> E:
    """At least ``n`` true: true when n are true, false when fewer than n can be, else null."""
    trues = all_of("add", [_count_if("istrue", i) for i in items], lit(0))
    maybe = all_of("add", [_count_if("isnull", i) for i in items], lit(0))
    return op(
        "if",
        op(">=", trues, lit(n)),
        TRUE,
        op("if", op("<", op("add", trues, maybe), lit(n)), FALSE, NULL),
    )


# ---------------------------------------------------------------------------- ELM


def _elm_type(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Decimal"
    return "String"


def _elm_literal(value: Any) -> dict[str, Any]:
    kind = _elm_type(value)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return {"type": "Literal", "valueType": f"{{{ELM_TYPES}}}{kind}", "value": text}


_ELM_OPS = {
    "and": "And",
    "or": "Or",
    "not": "Not",
    "istrue": "IsTrue",
    "isnull": "IsNull",
    "add": "Add",
    ">=": "GreaterOrEqual",
    ">": "Greater",
    "<=": "LessOrEqual",
    "<": "Less",
    "==": "Equal",
    "in": "In",
    "lower": "Lower",
    "upper": "Upper",
    "count": "Count",
    "intersect": "Intersect",
    "coalesce": "Coalesce",
}
_UNARY = {"not", "istrue", "isnull", "lower", "upper"}


def _elm_fold(operand: dict[str, Any]) -> dict[str, Any]:
    upper = {"type": "Upper", "operand": operand}
    return {"type": "ReplaceMatches", "operand": [upper, _elm_literal("\\s+"), _elm_literal("")]}


def to_elm(e: E) -> dict[str, Any]:
    """The ELM (JSON) form of an expression."""
    if e.kind == "lit":
        return _elm_literal(e.value)
    if e.kind == "null":
        return {"type": "As", "operand": {"type": "Null"}, "asType": f"{{{ELM_TYPES}}}Boolean"}
    if e.kind == "param":
        return {"type": "ParameterRef", "name": e.value}
    if e.kind == "ref":
        return {"type": "ExpressionRef", "name": e.value}
    if e.kind == "list":
        return {"type": "List", "element": [to_elm(a) for a in e.args]}
    if e.kind == "if":
        cond, then, other = (to_elm(a) for a in e.args)
        return {"type": "If", "condition": cond, "then": then, "else": other}
    if e.kind == "count":
        return {"type": "Count", "source": to_elm(e.args[0])}
    if e.kind == "folded":  # upper case, white space removed (runtime.fold)
        return _elm_fold(to_elm(e.args[0]))
    if e.kind == "folded_each":
        code = _elm_fold({"type": "AliasRef", "name": "item"})
        source = [{"alias": "item", "expression": to_elm(e.args[0])}]
        return {
            "type": "Query",
            "source": source,
            "relationship": [],
            "return": {"expression": code},
        }
    name = _ELM_OPS[e.kind]
    if e.kind in _UNARY:
        return {"type": name, "operand": to_elm(e.args[0])}
    return {"type": name, "operand": [to_elm(a) for a in e.args]}


def elm_json(
    name: str, version: str, params: Mapping[str, str], defines: Sequence[tuple[str, E]]
) -> str:
    """The ELM library: parameters (name -> fact type) and defines, in order."""

    def spec(kind: str) -> dict[str, Any]:
        base = {"number": "Decimal", "text": "String", "boolean": "Boolean"}.get(kind, "String")
        named = {"type": "NamedTypeSpecifier", "name": f"{{{ELM_TYPES}}}{base}"}
        return {"type": "ListTypeSpecifier", "elementType": named} if kind == "list" else named

    library = {
        "annotation": [
            {"type": "CqlToElmInfo", "translatorVersion": f"policy-tools {__version__}"}
        ],
        "identifier": {"id": name, "version": version},
        "schemaIdentifier": {"id": "urn:hl7-org:elm", "version": "r1"},
        "usings": {"def": [{"localIdentifier": "System", "uri": ELM_TYPES}]},
        "parameters": {
            "def": [
                {
                    "name": _ident(p),
                    "accessLevel": "Public",
                    "parameterTypeSpecifier": spec(kind),
                    "default": {
                        "type": "As",
                        "operand": {"type": "Null"},
                        "asTypeSpecifier": spec(kind),
                    },
                }
                for p, kind in params.items()
            ]
        },
        "contexts": {"def": [{"name": "Unfiltered"}]},
        "statements": {
            "def": [
                {
                    "name": _ident(d),
                    "context": "Unfiltered",
                    "accessLevel": "Public",
                    "expression": to_elm(e),
                }
                for d, e in defines
            ]
        },
    }
    return dumps({"library": library})


# ---------------------------------------------------------------------------- CQL


def cql_string(text: str) -> str:
    """A CQL string literal: printable ASCII as is, the rest as \\uXXXX escapes."""
    out = []
    for ch in text:
        if ch in "'\\":
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.extend(f"\\u{unit:04x}" for unit in _utf16(ch))
    return "'" + "".join(out) + "'"


def _utf16(ch: str) -> list[int]:
    data = ch.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


_CQL_INFIX = {
    "and": "and",
    "or": "or",
    "add": "+",
    ">=": ">=",
    ">": ">",
    "<=": "<=",
    "<": "<",
    "==": "=",
    "in": "in",
}


def to_cql(e: E) -> str:
    """The CQL text of an expression (fully parenthesised: no precedence to get wrong)."""
    if e.kind == "lit":
        if isinstance(e.value, bool):
            return "true" if e.value else "false"
        return cql_string(e.value) if isinstance(e.value, str) else repr(e.value)
    if e.kind == "null":
        return "(null as Boolean)"
    if e.kind in ("param", "ref"):
        return f'"{e.value}"'
    if e.kind == "list":
        return "{ " + ", ".join(to_cql(a) for a in e.args) + " }"
    if e.kind == "if":
        c, t, o = (to_cql(a) for a in e.args)
        return f"(if {c} then {t} else {o})"
    if e.kind == "folded":
        return f"ReplaceMatches(Upper({to_cql(e.args[0])}), '\\\\s+', '')"
    if e.kind == "folded_each":
        return f"({to_cql(e.args[0])} item return ReplaceMatches(Upper(item), '\\\\s+', ''))"
    if e.kind in _CQL_INFIX:
        a, b = (to_cql(x) for x in e.args)
        return f"({a} {_CQL_INFIX[e.kind]} {b})"
    if e.kind == "not":
        return f"not ({to_cql(e.args[0])})"
    if e.kind in ("istrue", "isnull"):
        return f"({to_cql(e.args[0])} is {'true' if e.kind == 'istrue' else 'null'})"
    names = {
        "lower": "Lower",
        "upper": "Upper",
        "count": "Count",
        "coalesce": "Coalesce",
        "intersect": "Intersect",
    }
    if e.kind == "intersect":
        a, b = (to_cql(x) for x in e.args)
        return f"({a} intersect {b})"
    return f"{names[e.kind]}({', '.join(to_cql(a) for a in e.args)})"


def cql_text(
    name: str,
    version: str,
    params: Mapping[str, str],
    defines: Sequence[tuple[str, E]],
    header: Sequence[str],
) -> str:
    """The CQL library text (``header``: comment lines, no PDF text in them)."""
    lines = [f"// {line}" for line in header]
    lines += [f"library \"{_ident(name)}\" version '{_ident(version)}'", ""]
    for p, kind in params.items():
        lines.append(f'parameter "{_ident(p)}" {_CQL_TYPES.get(kind, "Boolean")} default null')
    lines += ["", "context Unfiltered", ""]
    for d, e in defines:
        lines += [f'define "{_ident(d)}":', f"  {to_cql(e)}", ""]
    return "\n".join(lines).rstrip() + "\n"


def library_statements(data: Mapping[str, Any]) -> tuple[dict[str, str], list[tuple[str, E]]]:
    """Parameters and defines of a revision's library, from its ``policy_data``."""
    params: dict[str, str] = {cid: "boolean" for cid in data["criteria"]}
    defines: list[tuple[str, E]] = []
    typed = {c["cond"]["fact"] for c in data["criteria"].values() if c["cond"]}
    params.update({k: data["fact_types"][k] for k in sorted(typed)})
    for table, codes in data["tables"].items():
        defines.append((f"table:{_slug(table)}", E("list", tuple(lit(c) for c in codes))))
    for cid, crit in data["criteria"].items():
        defines.append((f"text:{cid}", lit(crit["text"])))
        answer = param(cid)
        if crit["cond"]:
            answer = op("coalesce", answer, condition(crit["cond"]))
        defines.append((f"crit:{cid}", answer))
    excl = tree(data.get("not_covered"))
    defines.append(("tree:not_covered", excl))
    for kind in ("initial", "continuation"):
        decisions = []
        for k, ind in enumerate(data["indications"]):
            if ind.get(kind) is None:
                continue
            defines.append((f"tree:{k}:{kind}", tree(ind[kind])))
            decision = op("and", ref(f"tree:{k}:{kind}"), op("not", ref("tree:not_covered")))
            defines.append((f"decision:{k}:{kind}", decision))
            decisions.append(ref(f"decision:{k}:{kind}"))
        defines.append((f"decision:any:{kind}", all_of("or", decisions, FALSE)))
    defines.append(("decision:not_covered", op("not", ref("tree:not_covered"))))
    return params, defines


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def tree(node: Mapping[str, Any] | None) -> E:
    """A tree as an expression over the criterion defines (no tree: false)."""
    if node is None:
        return FALSE
    if "id" in node:
        return ref(f"crit:{node['id']}")
    items = [tree(child) for child in node["items"]]
    if not items:
        return FALSE
    if node["op"] == "N_OF":
        return n_of(items, int(node["n"]))
    return all_of("and" if node["op"] == "AND" else "or", items, FALSE)


def _folded_list(values: Sequence[str]) -> E:
    return E("list", tuple(lit(fold(v)) for v in values))


def condition(cond: Mapping[str, Any]) -> E:
    """A typed condition on its fact parameter (null when the fact is not given)."""
    fact = param(cond["fact"])
    kind = cond["op"]
    low = lit(float(cond.get("value") or 0))
    if kind in (">=", ">", "<=", "<", "=="):
        body = op(kind, fact, low)
    elif kind == "between":
        body = op("and", op(">=", fact, low), op("<=", fact, lit(float(cond.get("upper") or 0))))
    elif kind == "in":
        body = op("in", E("folded", (fact,)), _folded_list(cond.get("values", ())))
    else:
        if cond.get("table"):
            allowed = ref(f"table:{_slug(cond['table'])}")
        else:
            allowed = _folded_list(cond.get("values", ()))
        given = E("folded_each", (fact,))
        hits = op("count", op("intersect", given, allowed))
        need = int(cond.get("value") or 1) if kind == "count_in" else 1
        body = op(">=", hits, lit(need))
    return op("if", op("isnull", fact), NULL, body)
