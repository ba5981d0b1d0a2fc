"""Clean output: no control characters reach a terminal, library log lines only with -v,
every failure to write an output is one line with exit 2."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PDF_2025
from test_ingest import fake_extract, fake_extractor, fake_file  # noqa: F401 - a fixture

from policy_tools.cli import cli
from policy_tools.extract import extract_file
from policy_tools.io import dumps
from policy_tools.model.policy import PolicyDocument, PolicyMeta, Source

# what a terminal must never receive: C0 (but tab/newline), DEL, C1, bidi overrides
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
EVIL = "e\x1b[2J\x1b]0;owned\x07v\u202eil\x9b"


pytestmark = pytest.mark.usefixtures("fake_extractor")


def test_file_names_in_ingest_lines_and_errors_are_clean(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    fake_file(folder, f"{EVIL}.pdf", number="P-1")
    (folder / f"bad{EVIL}.pdf").write_bytes(b"not a pdf")
    runner = CliRunner()
    res = runner.invoke(cli, ["ingest", str(folder), "--store", str(tmp_path / "s")])
    assert res.exit_code == 1
    assert not RAW.search(res.output), repr(res.output)
    assert "[1/2] failed - <- " in res.output and "e[2J]0;ownedvil.pdf" in res.output
    res = runner.invoke(cli, ["extract", str(tmp_path / f"missing{EVIL}.pdf")])
    assert res.exit_code == 2 and not RAW.search(res.output)
    assert res.output == f"Error: {tmp_path}/missinge[2J]0;ownedvil.pdf: no such file\n"


def test_click_messages_are_clean() -> None:
    res = CliRunner().invoke(cli, ["ingest", "x", "--jobs", f"1{EVIL}"])
    assert res.exit_code == 2 and not RAW.search(res.output), repr(res.output)
    res = CliRunner().invoke(cli, ["diff", "a", "b", "--format", EVIL])
    assert res.exit_code == 2 and not RAW.search(res.output), repr(res.output)


def test_json_output_escapes_control_characters(tmp_path: Path) -> None:
    doc = PolicyDocument(
        source=Source(path="a.pdf", sha256="a" * 64, format="pdf", pages=1, extractor_version="1"),
        policy=PolicyMeta(number="P-1", name=f"Name {EVIL}", effective_date="2025-01-01"),
    )
    text = dumps(doc)
    assert not RAW.search(text)
    assert "\\u001b[2J" in text and "\\u202e" in text and "\\u009b" in text
    assert PolicyDocument.model_validate_json(text) == doc  # the data is unchanged
    path = tmp_path / "doc.json"
    path.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(cli, ["show", str(path), "--json"])
    assert res.exit_code == 0 and not RAW.search(res.output)
    assert json.loads(res.output)["policy"]["name"] == f"Name {EVIL}"


def test_library_log_lines_only_with_verbose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def noisy(source: Path, **options: object) -> PolicyDocument:
        logging.getLogger("pdfminer.pdfpage").warning("CropBox missing \x1b[31mred")
        return fake_extract(source)

    monkeypatch.setattr("policy_tools.app.extract_file", noisy)
    src = fake_file(tmp_path, "a.pdf")
    runner = CliRunner()
    quiet = runner.invoke(cli, ["extract", str(src), "-o", str(tmp_path / "a.json")])
    assert quiet.exit_code == 0 and "CropBox" not in quiet.output
    loud = runner.invoke(cli, ["-v", "extract", str(src), "-o", str(tmp_path / "b.json")])
    assert loud.exit_code == 0
    assert "WARNING pdfminer.pdfpage: CropBox missing [31mred" in loud.output
    assert not RAW.search(loud.output)
    again = runner.invoke(cli, ["extract", str(src), "-o", str(tmp_path / "c.json")])
    assert "CropBox" not in again.output  # -v does not stick


SCRIPT = """
import logging, sys, warnings
from policy_tools import app
from policy_tools.cli import cli
real = app.extract_file
def noisy(path, **options):
    logging.getLogger("pdfminer.psparser").warning("library noise")
    warnings.warn("library warning", UserWarning)
    return real(path, **options)
app.extract_file = noisy
cli(sys.argv[1:])
"""


def test_a_real_process_prints_no_library_lines_without_verbose(tmp_path: Path) -> None:
    """Python's last-resort handler and warnings.showwarning would print both lines."""
    base = [sys.executable, "-c", SCRIPT, "extract", str(PDF_2025), "-o"]
    quiet = subprocess.run([*base, str(tmp_path / "q.json")], capture_output=True, text=True)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == f"Wrote {tmp_path / 'q.json'}\n"
    cmd = [sys.executable, "-c", SCRIPT, "-v", "extract", str(PDF_2025), "-o", str(tmp_path / "v")]
    loud = subprocess.run(cmd, capture_output=True, text=True)
    assert "WARNING pdfminer.psparser: library noise" in loud.stderr
    assert "library warning" in loud.stderr


def test_every_failure_to_write_an_output_is_one_line_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    doc = tmp_path / "doc.json"
    doc.write_text(extract_file(PDF_2025).model_dump_json(), encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text("x", encoding="utf-8")
    for command in ("diff", "audit", "report", "outcomes"):
        res = runner.invoke(cli, [command, str(doc), str(doc), "-o", str(readme / "x.txt")])
        assert res.exit_code == 2, (command, res.output)  # for diff/audit 1 is "changes"
        assert res.output == (
            f"Error: cannot write {readme / 'x.txt'}: {readme} is a file, not a folder\n"
        )
    if Path("/proc/self").is_dir():  # a folder nobody can create, not even root
        res = runner.invoke(cli, ["codegen", str(doc), "-o", "/proc/no-such-dir/m.py"])
        assert res.exit_code == 2 and res.output.count("\n") == 1
        assert res.output.startswith("Error: cannot write /proc/no-such-dir/m.py: ")
    # a folder that does not exist yet is created (reports/<policy>/ as `make run` needs)
    res = runner.invoke(cli, ["codegen", str(doc), "-o", str(tmp_path / "new" / "m.py")])
    assert res.exit_code == 0 and (tmp_path / "new" / "m.py").is_file()


def test_store_under_a_file_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    src = fake_file(tmp_path, "a.pdf")
    res = CliRunner().invoke(cli, ["ingest", str(src), "--store", str(blocker / "store")])
    assert res.exit_code == 2 and res.output.count("\n") == 1
    assert res.output.startswith(f"Error: cannot write to the store {blocker / 'store'} (")


def test_stdout_closed_early_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``policy-tools diff ... | head``: a failed write, so exit 2 - never 1 ("changes").
    (Simulated: on the machine these tests were written on, writing into a closed pipe
    did not fail, so a real pipe could not show it.)"""

    def closed_pipe(*args: object, **kwargs: object) -> str:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("policy_tools.cli.diff_text", closed_pipe)
    doc = tmp_path / "doc.json"
    doc.write_text(extract_file(PDF_2025).model_dump_json(), encoding="utf-8")
    res = CliRunner().invoke(cli, ["diff", str(doc), str(doc)])
    assert res.exit_code == 2
    assert res.output == "Error: cannot write to standard output (broken pipe)\n"
