"""Hostile and broken PDFs (issue 12): one line, exit 2, nothing written, within budget.

Every file is generated here (``pdf_builder`` writes the bytes no library would: a flate
bomb, a MediaBox of ``[0 0 abc]``, a page tree 3,000 deep); nothing binary is committed.
Peak memory is measured on a separate process with ``/usr/bin/time -v``.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pdfplumber
import pytest
from click.testing import CliRunner, Result
from conftest import PDF_2025, PDF_2026
from pdf_builder import (
    bomb_pdf,
    deep_tree_pdf,
    simple_pdf,
    text_ops,
    unmapped_bullets_pdf,
)

from policy_tools.cli import cli
from policy_tools.errors import BudgetError, InputError
from policy_tools.extract import LIBRARY_LOGGERS, extract_file, read_raw, resolve_budgets
from policy_tools.settings import SETTINGS

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
MIB = 1 << 20


def run_extract(source: Path, out: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["extract", str(source), "-o", str(out), *args])


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 MB of deflate data that inflates to 1 GiB (built once: it takes seconds)."""
    return bomb_pdf(tmp_path_factory.mktemp("bomb") / "bomb.pdf", 1024)


def make_text_page(tmp: Path) -> Path:
    """2 MB of text on one page (2,000,000 characters, a few KB compressed)."""
    return simple_pdf(tmp / "text-2mb.pdf", [text_ops(["x" * 2000] * 1000)], deflate=True)


def make_operators(tmp: Path) -> Path:
    """200 MiB of drawing operators in one content stream (under 1 MB compressed)."""
    ops = b"0 0 m 10 10 l S\n" * (200 * MIB // 16)
    return simple_pdf(tmp / "operators.pdf", [ops], deflate=True)


def make_bad_mediabox(tmp: Path) -> Path:
    return simple_pdf(tmp / "mediabox.pdf", [text_ops(["Hello"])], media_box=b"[0 0 abc]")


def make_deep_tree(tmp: Path) -> Path:
    return deep_tree_pdf(tmp / "deep.pdf", 3000)


def make_jpeg(tmp: Path) -> Path:
    path = tmp / "photo.pdf"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + bytes(200))
    return path


def make_png(tmp: Path) -> Path:
    path = tmp / "screenshot.pdf"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    return path


def make_zip(tmp: Path) -> Path:
    path = tmp / "policy.docx.pdf"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(64))
    return path


def make_html(tmp: Path) -> Path:
    path = tmp / "saved-page.pdf"
    path.write_text("<!DOCTYPE html><html><body>Policy</body></html>", encoding="utf-8")
    return path


def make_text(tmp: Path) -> Path:
    path = tmp / "notes.pdf"
    path.write_text("Meeting notes: review the policy next week.\n", encoding="utf-8")
    return path


# (maker, words of which one must name the cause)
CASES: dict[str, tuple[Callable[[Path], Path], tuple[str, ...]]] = {
    "text_2mb_page": (make_text_page, ("--max-chars-per-page", "page 1")),
    "operators_200mib": (make_operators, ("--max-stream-mb",)),
    "bad_mediabox": (make_bad_mediabox, ("mediabox",)),
    "deep_page_tree": (make_deep_tree, ("page tree", "page 1 cannot be read")),
    "jpeg": (make_jpeg, ("a jpeg image, not a pdf",)),
    "png": (make_png, ("a png image, not a pdf",)),
    "zip": (make_zip, ("a zip archive",)),
    "html": (make_html, ("an html page, not a pdf",)),
    "text": (make_text, ("a text file, not a pdf",)),
}


def assert_one_line_error(result: Result, source: Path, out: Path, causes: tuple[str, ...]) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Error: {source}: "), lines[0]
    cause = lines[0].removeprefix(f"Error: {source}: ").lower()
    assert any(c.lower() in cause for c in causes), lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()
    assert result.stdout == ""
    return lines[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_file_one_line_exit_2(case: str, tmp_path: Path) -> None:
    maker, causes = CASES[case]
    source = maker(tmp_path)
    out = tmp_path / "out.json"
    assert_one_line_error(run_extract(source, out), source, out, causes)


def test_flate_bomb_stops_at_the_stream_budget(bomb: Path, tmp_path: Path) -> None:
    assert bomb.stat().st_size < 2 * MIB  # ~1 MB on disk for 1 GiB inflated
    out = tmp_path / "out.json"
    line = assert_one_line_error(run_extract(bomb, out), bomb, out, ("--max-stream-mb",))
    assert f"{SETTINGS.budgets.max_stream_mb:g} MiB" in line


def test_budget_errors_name_budget_and_page(tmp_path: Path) -> None:
    with pytest.raises(BudgetError) as info:
        extract_file(make_text_page(tmp_path))
    assert info.value.budget == "max_chars_per_page"
    assert not info.value.transient
    assert "page 1" in str(info.value)
    assert "2,001,998" in str(info.value) or "2,00" in str(info.value)


def _peak(args: list[str]) -> tuple[int, float, int]:
    """(exit code, wall seconds, peak RSS in KiB) of a separate ``policy-tools`` process."""
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "policy_tools.cli", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))  # type: ignore[union-attr]
    m = re.search(r"Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    assert m is not None, done.stderr
    wall = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    return done.returncode, wall, rss


@pytest.mark.skipif(not Path("/usr/bin/time").exists(), reason="needs GNU time")
def test_bomb_and_text_page_stop_under_300_mib(bomb: Path, tmp_path: Path) -> None:
    for source in (bomb, make_text_page(tmp_path)):
        code, wall, rss = _peak(["extract", str(source), "-o", str(tmp_path / "x.json")])
        assert code == 2
        assert rss < 300 * 1024, f"{source.name}: peak {rss / 1024:.0f} MiB"
        assert wall < SETTINGS.budgets.max_seconds
    assert not (tmp_path / "x.json").exists()


def test_same_two_lines_on_1200_pages_are_text_not_a_scan(tmp_path: Path) -> None:
    page = text_ops(["Policy Number: SAME-1", "The same two lines on every page."])
    source = simple_pdf(tmp_path / "same.pdf", [page] * 1200)
    raw, _ = read_raw(source)
    assert raw.pages == 1200
    pages = {b.page for b in raw.blocks if "The same two lines on every page." in b.text}
    assert pages == set(range(1, 1201))  # every page keeps its text
    doc = extract_file(source)
    assert doc.policy.number == "SAME-1"


def test_one_page_repeated_header_still_removed(tmp_path: Path) -> None:
    """The all-alike rule does not keep running headers of an ordinary document."""
    bodies = ["Alpha criteria apply.", "Bravo dosing follows.", "Charlie history ends."]
    pages = [
        text_ops([f"Policy Number: RUN-1   Page {n} of 3"]) + b"\n" + text_ops([body], top=400)
        for n, body in enumerate(bodies, start=1)
    ]
    raw, _ = read_raw(simple_pdf(tmp_path / "run.pdf", pages))
    assert [b.text for b in raw.blocks] == bodies
    assert all("RUN-1" in h.text for h in raw.headers)


def test_control_characters_never_enter_text(tmp_path: Path) -> None:
    line = "Beware \x1b[2J\x07 clear \x00 screen \u202e reversed \u2066 isolate \x9b end"
    source = simple_pdf(tmp_path / "ctrl.pdf", [text_ops(["Policy Number: CTRL-1", line])])
    out = tmp_path / "ctrl.json"
    assert run_extract(source, out).exit_code == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    decoded = json.dumps(doc, ensure_ascii=False)
    assert not CONTROL.search(decoded), "control characters leaked"
    assert "Beware [2J clear screen reversed isolate end" in decoded
    assert any(w["code"] == "control_characters" for w in doc["warnings"])


def test_unmapped_bullets_become_list_items_and_no_cid(tmp_path: Path) -> None:
    items = ["Patient is 18 years of age or older", "Diagnosis of small cell lung cancer"]
    source = unmapped_bullets_pdf(tmp_path / "bullets.pdf", items)
    with pdfplumber.open(source) as pdf:  # the fixture really is what pdfminer reads as cid
        assert "(cid:127)" in (pdf.pages[0].extract_text() or "")
    raw, _ = read_raw(source)
    listed = [(b.kind, b.label, b.text) for b in raw.blocks if b.kind == "list_item"]
    assert listed == [("list_item", "•", item) for item in items]
    assert any(w.code == "unmapped_glyphs" and "1 glyph" in w.message for w in raw.warnings)
    assert "(cid:" not in extract_file(source).model_dump_json()


def test_reportlab_symbol_bullets(tmp_path: Path) -> None:
    """Bullets set in reportlab's Symbol and ZapfDingbats fonts are list labels."""
    canvas = pytest.importorskip("reportlab.pdfgen.canvas")
    path = tmp_path / "reportlab.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("Helvetica-Bold", 14)
    c.drawString(72, 740, "Initial Approval Criteria")
    for n, (font, glyph) in enumerate((("Symbol", "\u2022"), ("ZapfDingbats", "l"))):
        c.setFont(font, 11)
        c.drawString(72, 710 - 18 * n, glyph)
        c.setFont("Helvetica", 11)
        c.drawString(90, 710 - 18 * n, f"Criterion number {n + 1}")
    c.save()
    raw, _ = read_raw(path)
    assert [b.kind for b in raw.blocks] == ["heading", "list_item", "list_item"]
    assert "(cid:" not in extract_file(path).model_dump_json()


# ------------------------------------------------------------------ budgets


def test_budget_override_by_option_env_and_parameter(tmp_path: Path) -> None:
    out = tmp_path / "o.json"
    result = run_extract(PDF_2025, out, "--max-chars-per-page", "100")
    line = assert_one_line_error(result, PDF_2025, out, ("--max-chars-per-page",))
    assert "page 1" in line and "over the budget of 100" in line
    env = {"POLICY_TOOLS_MAX_OBJECTS_PER_PAGE": "5"}
    result = CliRunner(env=env).invoke(cli, ["extract", str(PDF_2025), "-o", str(out)])
    assert_one_line_error(result, PDF_2025, out, ("--max-objects-per-page",))
    with pytest.raises(BudgetError, match="max-chars-per-page"):
        extract_file(PDF_2025, budgets=resolve_budgets({"max_chars_per_page": 100}))
    # the option wins over the environment
    env = {"POLICY_TOOLS_MAX_CHARS_PER_PAGE": "100"}
    result = CliRunner(env=env).invoke(
        cli, ["extract", str(PDF_2025), "-o", str(out), "--max-chars-per-page", "100000"]
    )
    assert result.exit_code == 0, result.output


def test_time_budget_is_transient(tmp_path: Path) -> None:
    with pytest.raises(BudgetError) as info:
        extract_file(PDF_2026, budgets=resolve_budgets({"max_seconds": 1e-6}))
    assert info.value.transient and info.value.budget == "max_seconds"
    assert "--max-seconds" in str(info.value) and "page 1 of 7" in str(info.value)


def test_malformed_budget_environment_is_an_error() -> None:
    with pytest.raises(InputError, match="POLICY_TOOLS_MAX_SECONDS"):
        resolve_budgets(env={"POLICY_TOOLS_MAX_SECONDS": "soon"})
    assert resolve_budgets(env={}).max_seconds == SETTINGS.budgets.max_seconds


def test_library_log_lines_stay_silent(tmp_path: Path) -> None:
    """A damaged file gives one line on stderr, nothing from pdfminer or PDFium."""
    data = PDF_2025.read_bytes()
    source = tmp_path / "damaged.pdf"
    source.write_bytes(data[: len(data) * 2 // 3] + b"\n%%EOF\n")
    out = tmp_path / "damaged.json"
    cmd = [sys.executable, "-m", "policy_tools.cli", "extract", str(source), "-o", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) <= 1, done.stderr
    assert done.returncode in (0, 2)
    if done.returncode == 2:
        assert lines[0].startswith(f"Error: {source}: ")


# --------------------------------------------------------- progress, --jobs


def test_progress_reports_every_page() -> None:
    seen: list[tuple[int, int]] = []
    extract_file(PDF_2026, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(n, 7) for n in range(1, 8)]


@pytest.mark.parametrize("source", [PDF_2025, PDF_2026], ids=["2025", "2026"])
def test_jobs_give_byte_identical_output(source: Path) -> None:
    one = extract_file(source).model_dump_json()
    assert extract_file(source, jobs=2).model_dump_json() == one


def test_jobs_on_a_long_generated_document(tmp_path: Path) -> None:
    pages = [
        text_ops([f"Policy Number: LONG-1   Page {n} of 40", "", f"Section {n}", f"Text {n}."])
        for n in range(1, 41)
    ]
    source = simple_pdf(tmp_path / "long.pdf", pages)
    one, _ = read_raw(source)
    three, _ = read_raw(source, jobs=3)
    assert [b.text for b in three.blocks] == [b.text for b in one.blocks]
    assert [b.boxes for b in three.blocks] == [b.boxes for b in one.blocks]
    assert one.pages == three.pages == 40


def test_extract_cli_jobs_option(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert run_extract(PDF_2026, a).exit_code == 0
    assert run_extract(PDF_2026, b, "--jobs", "2").exit_code == 0
    assert a.read_bytes() == b.read_bytes()


def test_verbose_flag_lets_library_logs_through(tmp_path: Path) -> None:
    """``-v`` is accepted before any command and the extraction is the same."""
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert run_extract(PDF_2025, a).exit_code == 0
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        result = CliRunner().invoke(cli, ["-v", "extract", str(PDF_2025), "-o", str(b)])
        assert logging.getLogger("pdfminer").level == logging.INFO
    finally:  # leave logging as the other tests expect it
        root.handlers[:], root.level = handlers, level
        for name in LIBRARY_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)
    assert result.exit_code == 0, result.output
    assert a.read_bytes() == b.read_bytes()
