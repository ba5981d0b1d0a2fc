"""Measuring code shared by the benchmarks (``bench.py``, the one table, and the focused
scripts beside it).

- ``run``: one whole process, measured from outside with ``os.wait4``: wall seconds,
  CPU seconds (user + system, its reaped children included) and peak resident memory;
- ``alternate``: several kinds of measurement run in turn, ``repeat`` times, so a change
  in machine load hits all alike; ``Sample`` gives their medians (peak: the largest);
- ``frozen_code``: a copy of ``policy_tools`` the child processes import (PYTHONPATH), so
  edits to the working tree during a long run cannot mix two code versions;
- the extraction floors (pdfplumber, PDFium) and our ``extract`` command, each run in a
  child process of its own (``python benchmarks/benchlib.py KIND PDF``) that also reports
  its start-up (imports) and its work apart;
- ``redlines`` (the PyPI package, word-level) on the text layer of two PDFs, in a child
  process of its own, with its change count;
- a generated policy of N pages (reportlab) and the text layer of a PDF (PDFium).

This module imports neither ``policy_tools`` nor anything that is not public.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("POLICY_TOOLS_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus" / "real"
SOURCE_PDFS = ROOT / "source_pdfs"
PDF_2025 = SOURCE_PDFS / "MP-RX-FP-171-25_2025-08-08_inception.pdf"
PDF_2026 = SOURCE_PDFS / "MP-RX-FP-171-25_2026-05-06_annual-review.pdf"
GOLDEN = ROOT / "extracted" / "MP-RX-FP-171-25"
TENNCARE_OLD = CORPUS / "tenncare_pdl-clinical-criteria_2025-05-01.pdf"
TENNCARE_NEW = CORPUS / "tenncare_pdl-clinical-criteria_2025-06-01.pdf"
POLICY_SUFFIXES = {".pdf", ".md", ".txt", ".html", ".htm"}
# a measurement longer than this runs once: its noise is small beside its length, and the
# machine is shared (a minute of one core is what a second run would cost the others)
LONG_SECONDS = 60.0
# -P: the current folder does not come first on sys.path (it would shadow the frozen copy)
CLI = [sys.executable, "-P", "-c", "from policy_tools.cli import cli; cli()"]
EXTRACT_KINDS = ("pdfplumber", "pdfium", "ours")


# ------------------------------------------------------------------ processes


@dataclass(frozen=True)
class Proc:
    """One whole process as measured from outside, and what it printed."""

    wall: float
    cpu: float
    peak_mib: float
    code: int
    out: str = ""

    def last_json(self) -> dict[str, Any]:
        """The JSON object on the last line the process printed."""
        lines = self.out.strip().splitlines()
        return json.loads(lines[-1]) if lines else {}


def run(cmd: list[str], env: dict[str, str] | None = None, ok: Iterable[int] = (0,)) -> Proc:
    """Run ``cmd`` to its end; its wall and CPU seconds and peak memory (``wait4``).

    An exit code outside ``ok`` raises, with the end of what it wrote to stderr."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
        assert proc.stdout is not None
        out = proc.stdout.read()  # to its end; the child is reaped by wait4 alone
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.stdout.close()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in tuple(ok):
            errors.seek(0)
            tail = errors.read().strip().splitlines()[-3:]
            raise RuntimeError(f"{' '.join(cmd[-4:])}: exit {code}: {' / '.join(tail)}")
    # Linux: ru_maxrss in KiB, the largest of the process and its reaped children
    return Proc(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code, out)


@dataclass
class Sample:
    """Repeated measurements of one kind: medians of times, the largest peak."""

    runs: list[Proc] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.runs)

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def peak_mib(self) -> float:
        return max(r.peak_mib for r in self.runs)

    def inner(self, key: str) -> float:
        """Median of a figure the child reported about itself (``last_json``)."""
        return statistics.median(float(r.last_json()[key]) for r in self.runs)


def alternate(kinds: dict[str, Callable[[], Proc]], repeat: int) -> dict[str, Sample]:
    """Run each kind in turn, ``repeat`` rounds; a kind whose first run took longer than
    ``LONG_SECONDS`` is not run again."""
    got = {name: Sample() for name in kinds}
    for round_ in range(max(1, repeat)):
        for name, measure in kinds.items():
            if round_ and got[name].runs[0].wall > LONG_SECONDS:
                continue
            got[name].runs.append(measure())
    return got


def frozen_code(folder: Path) -> dict[str, str]:
    """Copy ``policy_tools`` into ``folder``; the environment whose children import it."""
    shutil.copytree(
        ROOT / "policy_tools",
        folder / "policy_tools",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return {**os.environ, "PYTHONPATH": str(folder)}


def cli(*args: str | Path) -> list[str]:
    """The command line of ``policy-tools ARGS`` (the frozen code when PYTHONPATH says)."""
    return [*CLI, *map(str, args)]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# --------------------------------------------------------- extraction children


def pdfplumber_floor(path: Path) -> None:
    """pdfplumber opening the file and extracting the words of every page."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_words()
            page.flush_cache()


def pdfium_floor(path: Path) -> None:
    """Every character of every page with its box, read with PDFium (``pypdfium2``)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument(path)
    box = pdfium_c.FS_RECTF()
    for index in range(len(doc)):
        page = doc[index]
        text = page.get_textpage()
        chars = []
        for i in range(pdfium_c.FPDFText_CountChars(text.raw)):
            pdfium_c.FPDFText_GetLooseCharBox(text.raw, i, ctypes.byref(box))
            chars.append((pdfium_c.FPDFText_GetUnicode(text.raw, i), box.left, box.top))
        text.close()
        page.close()
    doc.close()


def _child(kind: str, path: Path, jobs: int, out: Path | None) -> dict[str, float]:
    """Run one measurement in this process: ``start`` (imports) and ``work`` seconds."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if kind == "pdfplumber":
        import pdfplumber  # noqa: F401
    elif kind == "pdfium":
        import pypdfium2  # noqa: F401
    else:
        # what `policy-tools` imports, and the extraction stage it imports on first use
        # (pdfplumber, pdfminer, the readers): imports, as the floor's `import pdfplumber`
        import policy_tools.extract  # noqa: F401
        from policy_tools.cli import cli as command
    wall1, cpu1 = time.perf_counter(), time.process_time()
    if kind == "pdfplumber":
        pdfplumber_floor(path)
    elif kind == "pdfium":
        pdfium_floor(path)
    else:  # `policy-tools extract PDF -o OUT --jobs N`, in this process
        with tempfile.TemporaryDirectory() as tmp:  # never beside the PDF (the corpus)
            target = out or Path(tmp) / "out.json"
            args = ["extract", str(path), "-o", str(target), "--jobs", str(jobs)]
            command.main(args, standalone_mode=False)
    wall2, cpu2 = time.perf_counter(), time.process_time()
    return {
        "start_wall": wall1 - wall0,
        "start_cpu": cpu1 - cpu0,
        "work_wall": wall2 - wall1,
        "work_cpu": cpu2 - cpu1,
    }


def extract_cmd(kind: str, pdf: Path, jobs: int = 1, out: Path | None = None) -> list[str]:
    """The child process measuring ``kind`` (a floor, or ``ours``) on ``pdf``."""
    cmd = [sys.executable, "-P", __file__, kind, str(pdf), "--jobs", str(jobs)]
    return cmd + (["-o", str(out)] if out else [])


# ------------------------------------------------------------------- redlines


def text_layer(pdf: Path) -> str:
    """The text of every page as PDFium reads it (what a user copies out of the PDF)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    pages = []
    for index in range(len(doc)):
        page = doc[index]
        text = page.get_textpage()
        pages.append(text.get_text_range())
        text.close()
        page.close()
    doc.close()
    return "\n\n".join(pages)


def _redlines(old: Path, new: Path) -> dict[str, float]:
    """``redlines`` on two text files: its change count and its Markdown redline."""
    from redlines import Redlines

    diff = Redlines(old.read_text(encoding="utf-8"), new.read_text(encoding="utf-8"))
    changes = len(diff.changes)
    markdown = diff.output_markdown
    return {"changes": changes, "markdown_chars": len(markdown)}


def redlines_cmd(old_txt: Path, new_txt: Path) -> list[str]:
    return [sys.executable, "-P", __file__, "redlines", str(old_txt), str(new_txt)]


# ------------------------------------------------------------- generated PDFs


def page_count(pdf: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return len(doc)
    finally:
        doc.close()


def generated_policy(pages: int, folder: Path) -> Path:
    """A policy of ``pages`` pages typeset with reportlab: a heading, a criteria list and
    a ruled code table on every page, and running headers (cached in ``folder``)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import (
        ListFlowable,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Table,
        TableStyle,
    )

    path = folder / f"generated-{pages}.pdf"
    if path.exists():
        return path
    ss = getSampleStyleSheet()

    def header(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(72, 760, "Policy Number: GEN-1000   Policy Name: Generated policy")
        canvas.drawString(500, 30, f"Page {canvas.getPageNumber()} of {pages}")
        canvas.restoreState()

    story: list[Any] = []
    for n in range(1, pages + 1):
        story.append(Paragraph(f"Section {n}: Criteria for indication {n}", ss["Heading2"]))
        items = [
            Paragraph(f"Patient meets requirement {n}.{k} of the indication; AND", ss["Normal"])
            for k in range(1, 9)
        ]
        story.append(ListFlowable(items, bulletType="1"))
        rows = [["Code", "Description"]] + [
            [f"J{9000 + k}", f"Injection, drug {n}-{k}, 1 mg"] for k in range(6)
        ]
        table = Table(rows)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
        story.append(table)
        story.append(PageBreak())
    SimpleDocTemplate(str(path), pagesize=letter).build(
        story, onFirstPage=header, onLaterPages=header
    )
    return path


def main(argv: list[str] | None = None) -> int:
    """Child processes: ``KIND PDF [--jobs N] [-o OUT]`` or ``redlines OLD.txt NEW.txt``."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("kind", choices=[*EXTRACT_KINDS, "redlines"])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("-o", "--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.kind == "redlines":
        figures = _redlines(*args.paths)
    else:
        figures = _child(args.kind, args.paths[0], args.jobs, args.out)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
