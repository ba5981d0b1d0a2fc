"""The package's one Jinja environment: templates in ``render/templates``,
``StrictUndefined`` (a misspelt field fails loudly), autoescape for HTML, and the
``md`` filter that escapes Markdown-significant characters. Text from a PDF is never
trusted; it is also stripped of control characters (terminal escapes) on the way in."""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..text import squash, strip_control

__all__ = ["ENV", "md_escape"]

_MD_INLINE = re.compile(r"([\\`*_\[\]<|~&])")
_MD_LINE_START = re.compile(r"^([#+\-=>])|^(\d+)([.)])")


def md_escape(value: Any) -> str:
    """Markdown-safe inline text: one line, Markdown/HTML-significant characters escaped."""
    text = squash(strip_control(str(value))) if value is not None else ""
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LINE_START.sub(
        lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", text
    )


ENV = Environment(
    loader=PackageLoader("policy_tools", "render/templates"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
ENV.filters["md"] = md_escape
