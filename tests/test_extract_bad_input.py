"""Bad input to ``policy-tools extract FILE -o OUT``: one-line error, exit code 2, nothing written.

Every bad file is generated here in tmp_path (pypdf for encryption, Pillow for an
image-only "scan", byte slicing for truncation), never committed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import PDF_2025
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter

from policy_tools.cli import cli
from policy_tools.errors import InputError
from policy_tools.extract import extract_file


def run_extract(source: Path, out: Path) -> Result:
    return CliRunner().invoke(cli, ["extract", str(source), "-o", str(out)])


def encrypted(tmp_path: Path, user_password: str, algorithm: str = "AES-128") -> Path:
    writer = PdfWriter(clone_from=PDF_2025)
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
    path = tmp_path / (f"locked-{algorithm}.pdf" if user_password else "owner-only.pdf")
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def make_user_password(tmp_path: Path) -> Path:
    return encrypted(tmp_path, "user-secret")


def make_user_password_rc4(tmp_path: Path) -> Path:
    return encrypted(tmp_path, "user-secret", "RC4-128")


def make_scanned(tmp_path: Path) -> Path:
    """A page that is only a picture of text: no text layer at all."""
    image = Image.new("RGB", (850, 1100), "white")
    ImageDraw.Draw(image).text((60, 60), "Policy Number: MP-RX-FP-171-25", fill="black")
    path = tmp_path / "scanned.pdf"
    image.save(path, "PDF", resolution=100.0)
    return path


def make_truncated(tmp_path: Path) -> Path:
    data = PDF_2025.read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 2])
    return path


def make_empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    return path


def make_not_a_pdf(tmp_path: Path) -> Path:
    path = tmp_path / "notes.pdf"
    path.write_text("These are meeting notes, not a policy PDF.\n", encoding="utf-8")
    return path


def make_directory(tmp_path: Path) -> Path:
    path = tmp_path / "folder.pdf"
    path.mkdir()
    return path


def make_missing(tmp_path: Path) -> Path:
    return tmp_path / "does-not-exist.pdf"


# (maker, words of which at least one must name the cause in the message)
CASES: dict[str, tuple[Callable[[Path], Path], tuple[str, ...]]] = {
    "encrypted": (make_user_password, ("password",)),
    "encrypted_rc4": (make_user_password_rc4, ("password",)),
    "scanned": (make_scanned, ("OCR",)),
    "truncated": (make_truncated, ("truncated", "corrupt", "damaged")),
    "empty": (make_empty, ("empty", "0 bytes")),
    "not_a_pdf": (make_not_a_pdf, ("not a PDF", "not a readable PDF", "no PDF")),
    "directory": (make_directory, ("directory",)),
    "missing": (make_missing, ("no such file", "not found", "does not exist")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_cli(case: str, tmp_path: Path) -> None:
    maker, causes = CASES[case]
    source = maker(tmp_path)
    out = tmp_path / "out" / "result.json"
    result = run_extract(source, out)
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    message = lines[0]
    assert message.startswith("Error: ")
    assert str(source) in message, message
    cause = message.replace(str(source), "").lower()  # the file name must not count as cause
    assert any(c.lower() in cause for c in causes), message
    assert "Traceback" not in result.output
    assert not out.exists()
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
    assert result.stdout == ""


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_library_raises_input_error(case: str, tmp_path: Path) -> None:
    maker, _ = CASES[case]
    source = maker(tmp_path)
    with pytest.raises(InputError) as info:
        extract_file(source)
    assert info.value.path == str(source)
    assert "\n" not in str(info.value)


def test_existing_output_untouched_on_error(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    out.write_text("previous\n", encoding="utf-8")
    result = run_extract(make_truncated(tmp_path), out)
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert {p.name for p in tmp_path.iterdir()} == {"result.json", "truncated.pdf"}  # no temp left


def test_generated_files_really_are_what_they_claim(tmp_path: Path) -> None:
    """Guard the fixtures themselves: the lock needs a password, the scan has no text."""
    locked = PdfReader(make_user_password(tmp_path))
    assert locked.is_encrypted
    with pytest.raises(Exception):  # noqa: B017 - pypdf's own error type for a missing password
        _ = locked.pages[0].extract_text()
    scan = PdfReader(make_scanned(tmp_path))
    assert len(scan.pages) == 1
    assert scan.pages[0].extract_text().strip() == ""
    owner_only = PdfReader(encrypted(tmp_path, ""))
    assert owner_only.is_encrypted
    assert owner_only.decrypt("") != 0  # opens with the empty user password


def test_owner_password_only_reads_normally(tmp_path: Path) -> None:
    source = encrypted(tmp_path, "")
    out = tmp_path / "owner.json"
    result = run_extract(source, out)
    assert result.exit_code == 0, result.output
    assert out.exists()
    plain = extract_file(PDF_2025)
    locked = extract_file(source)
    assert locked.source.pages == 4
    assert locked.policy == plain.policy
    assert locked.criteria == plain.criteria
    assert locked.codes == plain.codes
    assert locked.dosing == plain.dosing
    assert locked.history == plain.history
