"""The executable criteria module of a revision, rendered from
``templates/criteria_module.py.j2``. Text from a PDF reaches the generated code only
through the ``py`` and ``py_lines`` filters, which emit ``repr()`` literals, so it is
always data."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment

from ..codegen import runtime
from ..codegen.compile import policy_data, require_readable
from ..model.policy import PolicyDocument
from ..settings import SETTINGS
from ..version import __version__
from .env import ENV

__all__ = ["generate_module", "module_context", "py_data", "py_lines", "py_literal"]

TEMPLATE = "criteria_module.py.j2"

_LITERAL_TYPES = (str, int, float, bool, type(None))
_WIDTH = SETTINGS.codegen.line_width


def py_literal(value: Any) -> str:
    """A Python literal for ``value`` (``repr``); anything but str/int/float/bool/None is
    refused."""
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


def _data_lines(value: Any, pad: str, lead: str, end: str) -> list[str]:
    """``lead`` + the literal of ``value`` + ``end``, as lines indented by ``pad``."""
    if isinstance(value, str) or not isinstance(value, dict | list | tuple):
        if isinstance(value, str):
            room = max(_WIDTH - len(pad) - len(lead) - len(end) - 4, 20)
            pieces = py_lines(value, room)
            if len(pieces) > 1:
                wrapped = [f"{pad}    {piece}" for piece in pieces]
                return [f"{pad}{lead}(", *wrapped, f"{pad}){end}"]
        return [f"{pad}{lead}{py_literal(value)}{end}"]
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    if not value:
        return [f"{pad}{lead}{opening}{closing}{end}"]
    flat = [x for x in (value.values() if isinstance(value, dict) else value)]
    if not isinstance(value, dict) and all(not isinstance(x, dict | list | tuple) for x in flat):
        one = f"{pad}{lead}{opening}{', '.join(py_literal(x) for x in flat)}{closing}{end}"
        if len(one) <= _WIDTH:
            return [one]
    out: list[str] = [f"{pad}{lead}{opening}"]
    inner = pad + "    "
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(_data_lines(item, inner, f"{py_literal(key)}: ", ","))
    else:
        for item in value:
            out.extend(_data_lines(item, inner, "", ","))
    out.append(f"{pad}{closing}{end}")
    return out


def py_data(value: Any) -> str:
    """A literal of plain data (dicts, lists, texts, numbers) over lines within the
    project's line width; every text through ``repr`` (:func:`py_lines`)."""
    return "\n".join(_data_lines(value, "", "", ""))


def runtime_source() -> str:
    """The decision engine's source below its docstring (copied into every module)."""
    source = Path(runtime.__file__).read_text(encoding="utf-8")
    body = ast.parse(source).body
    first = body[1] if isinstance(body[0], ast.Expr) else body[0]
    return "\n".join(source.splitlines()[first.lineno - 1 :]).strip() + "\n"


def _environment() -> Environment:
    """The project's one Jinja environment, overlaid without autoescape."""
    env = ENV.overlay(autoescape=False)
    env.filters = dict(ENV.filters)  # an overlay shares the dict: do not touch ENV's
    env.filters["py"] = py_literal
    env.filters["py_lines"] = py_lines
    env.filters["py_data"] = py_data
    return env


def module_context(doc: PolicyDocument) -> dict[str, Any]:
    inds = doc.criteria.indications
    auth = inds[0].authorization if len(inds) == 1 else None
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
        "initial_months": auth.initial_months if auth else None,
        "reauthorization_months": auth.reauthorization_months if auth else None,
        "data": policy_data(doc),
        "runtime": runtime_source(),
    }


def generate_module(doc: PolicyDocument) -> str:
    """Python source of the executable criteria module for ``doc`` (deterministic).

    Refuses (one-line error) a revision whose criteria could not be read."""
    require_readable(doc)
    template = _environment().get_template(TEMPLATE)
    return template.render(**module_context(doc))
