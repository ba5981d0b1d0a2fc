"""PDF reader: PDFium's text layer and drawings -> RawDocument.

Steps, each a small function over plain data:
1. check the bytes (cut off? a stream inflating past the budget?) and open the file
   with PDFium, turning every failure into a one-line InputError;
2. per page (one at a time, or spread over processes with ``jobs``): characters and
   ruling edges from PDFium (``pdf_layer``), grouped into text lines and ruled tables
   by pdfplumber's layout helpers (``pdf_pages``); the page is released at once and
   only plain data is kept, so memory stays flat in the page count;
3. running headers/footers found by fuzzy recurrence on nearby pages (``pdf_running``);
4. body lines and tables become blocks (``pdf_blocks``), each with its boxes.

Budgets (``settings.Budgets``) bound the work: wall time for the file, characters and
layout objects per page, the inflated size of any stream. Going over one is a
BudgetError naming the budget, the file and the page.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from ...errors import BudgetError, InputError
from ...model.policy import Warning
from ...settings import BUDGET_ENV, SETTINGS, Budgets
from ..blocks import RawDocument
from .pdf_blocks import blocks
from .pdf_layer import TooBig, read_layer
from .pdf_pages import PageData, read_page
from .pdf_running import page_headers, split_running_lines, title
from .pdf_streams import font_descents, has_eof_marker, largest_stream

__all__ = ["LIBRARY_LOGGERS", "PageProgress", "read_pdf", "read_pdf_pages"]

PageProgress = Callable[[int, int], None]  # (pages done, pages in the file)
_MIB = 1 << 20

LIBRARY_LOGGERS = ("pypdfium2", "pdfminer", "pdfplumber")
for _name in LIBRARY_LOGGERS:  # library chatter never reaches users (``-v`` lets it through)
    logging.getLogger(_name).setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class _Job:
    path: str
    max_chars: int
    max_objects: int
    descents: dict[str, float] | None


def read_pdf(
    path: Path,
    budgets: Budgets = SETTINGS.budgets,
    jobs: int = 1,
    progress: PageProgress | None = None,
) -> RawDocument:
    """Read a PDF into the reader-neutral form."""
    pages = read_pdf_pages(path, budgets, jobs, progress)
    split_running_lines(pages)
    if not any(p.lines or p.tables for p in pages):
        raise InputError(
            path,
            f"no text layer on any of its {len(pages)} page(s) - a scanned image; OCR is needed",
        )
    return RawDocument(
        format="pdf",
        pages=len(pages),
        title=title(pages),
        headers=page_headers(pages),
        blocks=blocks(pages),
        warnings=_warnings(pages),
    )


def _warnings(pages: list[PageData]) -> list[Warning]:
    warnings = [
        Warning(code="empty_page", message="page has no text layer", page=p.number)
        for p in pages
        if not p.lines and not p.tables and not p.header_lines
    ]
    for p in pages:
        for code, count, what in (
            ("unmapped_glyphs", p.unmapped, "glyph(s) without a Unicode mapping"),
            ("control_characters", p.controls, "control character(s) in the text"),
        ):
            if count:
                message = f"{count} {what} were left out"
                warnings.append(Warning(code=code, message=message, page=p.number))
    return warnings


# ------------------------------------------------------------------ pages


def read_pdf_pages(
    path: Path,
    budgets: Budgets = SETTINGS.budgets,
    jobs: int = 1,
    progress: PageProgress | None = None,
) -> list[PageData]:
    """Every page of the PDF as plain data, in page order (the same for any ``jobs``)."""
    started = time.monotonic()
    _check_bytes(path, budgets)
    job = _Job(
        str(path), budgets.max_chars_per_page, budgets.max_objects_per_page, font_descents(path)
    )
    total = _page_count(path)
    pages: list[PageData] = []
    reader = _serial(job, total) if jobs <= 1 or total < 2 else _parallel(job, total, jobs)
    try:
        for data in reader:
            pages.append(data)
            elapsed = time.monotonic() - started
            if elapsed > budgets.max_seconds:
                raise BudgetError(
                    path,
                    f"over the time budget of {budgets.max_seconds:g} s ({_set_by('max_seconds')}) "
                    f"at page {data.number} of {total}",
                    "max_seconds",
                    transient=True,
                )
            if progress is not None:
                progress(len(pages), total)
    finally:
        close = getattr(reader, "close", None)
        if close is not None:
            close()
    return pages


def _check_bytes(path: Path, budgets: Budgets) -> None:
    if not has_eof_marker(path):
        raise InputError(path, "not a readable PDF: truncated or corrupt (no %%EOF marker)")
    limit = int(budgets.max_stream_mb * _MIB)
    size, offset = largest_stream(path, limit)
    if size > limit:
        raise BudgetError(
            path,
            f"a stream at byte {offset:,} inflates past the stream budget of "
            f"{budgets.max_stream_mb:g} MiB ({_set_by('max_stream_mb')})",
            "max_stream_mb",
            transient=False,
        )


def _open(path: str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as err:
        raise _open_error(Path(path), err) from err
    except OSError as err:
        raise InputError(path, f"cannot read file ({err.strerror})") from err


def _open_error(path: Path, err: pdfium.PdfiumError) -> InputError:
    code = getattr(err, "err_code", None)
    if code == pdfium.raw.FPDF_ERR_PASSWORD:
        return InputError(path, "encrypted PDF: a password is needed to open it")
    if code == pdfium.raw.FPDF_ERR_SECURITY:
        return InputError(path, "encrypted PDF with an unsupported security handler")
    if code == pdfium.raw.FPDF_ERR_FORMAT:
        return InputError(path, "not a readable PDF: truncated or corrupt (bad file structure)")
    return InputError(path, f"not a readable PDF ({err})")


def _page_count(path: Path) -> int:
    doc = _open(str(path))
    try:
        n = len(doc)
    finally:
        doc.close()
    if n == 0:
        raise InputError(path, "the PDF has no pages (or its page tree cannot be read)")
    return n


def _set_by(budget: str) -> str:
    """Where a budget is set: the extract option and the environment variable (ingest)."""
    return f"extract --{budget.replace('_', '-')}, or {BUDGET_ENV[budget]}"


def _read_one(doc: pdfium.PdfDocument, job: _Job, index: int) -> PageData:
    """One page; a damaged page or one over a budget becomes a one-line error."""
    try:
        layer = read_layer(doc, index, job.max_chars, job.max_objects, job.descents)
    except TooBig as err:
        budget = "max_chars_per_page" if "characters" in err.what else "max_objects_per_page"
        raise BudgetError(
            job.path,
            f"page {index + 1}: {err.value:,} {err.what}, over the budget of "
            f"{err.limit:,} ({_set_by(budget)})",
            budget,
            transient=False,
        ) from err
    except (pdfium.PdfiumError, ValueError, OverflowError) as err:
        raise InputError(job.path, f"page {index + 1} cannot be read ({err})") from err
    return read_page(layer)


def _serial(job: _Job, total: int) -> Iterator[PageData]:
    doc = _open(job.path)
    try:
        for index in range(total):
            yield _read_one(doc, job, index)
    finally:
        doc.close()


# --------------------------------------------------------- page-parallel

_WORKER: dict[str, Any] = {}


def _worker_init(job: _Job) -> None:
    _WORKER["job"] = job
    _WORKER["doc"] = _open(job.path)


def _worker_pages(indexes: list[int]) -> list[PageData]:
    job: _Job = _WORKER["job"]
    return [_read_one(_WORKER["doc"], job, i) for i in indexes]


def _chunks(total: int, jobs: int) -> list[list[int]]:
    """Runs of consecutive pages, a few per worker so the load evens out."""
    size = max(1, min(SETTINGS.pdf.page_chunk, -(-total // (jobs * 4))))
    return [list(range(i, min(total, i + size))) for i in range(0, total, size)]


def _parallel(job: _Job, total: int, jobs: int) -> Iterator[PageData]:
    """Pages read by ``jobs`` worker processes, yielded in page order."""
    # fork where there is one: a worker starts at once instead of importing everything
    # again; PDFium holds no open document of the parent at this point
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_worker_init, initargs=(job,)
    )
    futures: list[Future[list[PageData]]] = []
    done = False
    try:
        futures = [pool.submit(_worker_pages, chunk) for chunk in _chunks(total, jobs)]
        for future in futures:
            yield from future.result()
        done = True
    finally:
        if not done:  # an error or a budget stop must not wait for pages still being read
            for future in futures:
                future.cancel()
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
