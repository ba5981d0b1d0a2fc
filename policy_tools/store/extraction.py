"""The extraction stage as the store calls it: imported on first use, not at start-up.

Every command imports the store, but only ``extract``, ``ingest``, ``store check
--repair`` and a reference naming a PDF, Markdown or HTML file extract anything. The
readers' libraries (pdfplumber, pdfminer.six, markdown-it-py, lxml) and the assembler's
vocabulary cost every start-up about 0.2 s: 190-310 ms under ``python -X importtime -c
"import policy_tools.cli"``, and ``/usr/bin/time policy-tools diff`` of the canonical pair
takes 0.79-0.80 s with this import eager, 0.59-0.60 s lazy (min of 7 runs, the shared
2-core machine). So ``diff`` of two JSON revisions does not pay for extraction. This is
the one allowed function-body import of the extraction stage
(``tests/test_architecture.py``, ``LAZY_IMPORTS``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..model.policy import PolicyDocument
from ..settings import Budgets

__all__ = ["extract_file", "library_logs_on", "resolve_budgets"]


def extract_file(
    path: Path,
    *,
    budgets: Budgets | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> PolicyDocument:
    """``policy_tools.extract.extract_file``: the extraction stage, loaded when first used."""
    from ..extract import extract_file as extract  # lazy: measured in the module doc

    return extract(path, budgets=budgets, jobs=jobs, progress=progress)


def resolve_budgets(overrides: Mapping[str, Any] | None = None) -> Budgets:
    """``policy_tools.extract.resolve_budgets`` (defaults, environment, overrides)."""
    from ..extract import resolve_budgets as resolve  # lazy: measured in the module doc

    return resolve(overrides)


def library_logs_on() -> None:
    """Let the PDF libraries' log lines through (``-v``; the CLI's handler prints them)."""
    from ..extract import LIBRARY_LOGGERS  # lazy: measured in the module doc

    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
