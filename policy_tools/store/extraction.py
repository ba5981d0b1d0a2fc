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

from pathlib import Path

from ..model.policy import PolicyDocument

__all__ = ["extract_file"]


def extract_file(path: Path) -> PolicyDocument:
    """``policy_tools.extract.extract_file``: the extraction stage, loaded when first used."""
    from ..extract import extract_file as extract  # lazy: measured in the module doc

    return extract(path)
