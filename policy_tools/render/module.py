"""The executable criteria module of a revision, rendered from
``templates/criteria_module.py.j2``. Text from a PDF reaches the generated code only
through the ``py`` and ``py_lines`` filters, which emit ``repr()`` literals, so it is
always data."""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment

from ..codegen.compile import TREES, compile_criteria
from ..model.policy import Authorization, PolicyDocument
from ..version import __version__
from .env import ENV

__all__ = ["generate_module", "module_context", "py_lines", "py_literal"]

TEMPLATE = "criteria_module.py.j2"

_LITERAL_TYPES = (str, int, bool, type(None))


def py_literal(value: Any) -> str:
    """A Python literal for ``value`` (``repr``); anything but str/int/bool/None is refused."""
    if not isinstance(value, _LITERAL_TYPES):
        raise TypeError(f"py filter: {type(value).__name__} is not a literal type")
    return repr(value)


def py_lines(text: str, width: int = 60) -> list[str]:
    """``text`` as ``repr`` literals of word runs, each at most ``width`` characters.

    Concatenated (implicitly, inside parentheses) they equal ``text``; every piece
    is a complete literal, so an escape sequence is never split.
    """
    if not isinstance(text, str):
        raise TypeError("py_lines filter: expects a string")
    pieces: list[str] = []
    current = ""
    for word in re.findall(r"\S*\s*", text):
        if not word:
            continue
        if current and len(repr(current + word)) > width:
            pieces.append(current)
            current = ""
        while len(repr(word)) > width:  # one very long word: cut by characters
            cut = len(word)
            while cut > 1 and len(repr(word[:cut])) > width:
                cut -= 1
            pieces.append(word[:cut])
            word = word[cut:]
        current += word
    if current or not pieces:
        pieces.append(current)
    return [repr(p) for p in pieces]


def _environment() -> Environment:
    """The project's one Jinja environment, overlaid without autoescape."""
    env = ENV.overlay(autoescape=False)
    env.filters = dict(ENV.filters)  # an overlay shares the dict: do not touch ENV's
    env.filters["py"] = py_literal
    env.filters["py_lines"] = py_lines
    return env


def module_context(doc: PolicyDocument) -> dict[str, Any]:
    compiled = compile_criteria(doc)
    inds = doc.criteria.indications
    auth = inds[0].authorization if len(inds) == 1 else Authorization()
    return {
        "meta": {
            "POLICY_NUMBER": doc.policy.number,
            "POLICY_NAME": doc.policy.name,
            "EFFECTIVE_DATE": doc.policy.effective_date,
            "SOURCE_PATH": doc.source.path,
            "SOURCE_SHA256": doc.source.sha256,
            "EXTRACTOR_VERSION": doc.source.extractor_version,
            "CODEGEN_VERSION": __version__,
        },
        "initial_months": auth.initial_months,
        "reauthorization_months": auth.reauthorization_months,
        "criteria": list(compiled.criteria.values()),
        "trees": [(name.upper(), compiled.trees[name]) for name in TREES],
    }


def generate_module(doc: PolicyDocument) -> str:
    """Python source of the executable criteria module for ``doc`` (deterministic)."""
    template = _environment().get_template(TEMPLATE)
    return template.render(**module_context(doc))
