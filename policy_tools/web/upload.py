"""Upload: a PDF sent from the browser is staged in the store and ingested through the
same code path as ``policy-tools ingest`` (``app.ingest``), keeping a copy of its bytes
so its pages can be shown.

Bounded: the request body is counted as it arrives and refused past
``SETTINGS.web.upload_max_bytes`` (a larger ``Content-Length`` is refused before any
byte is read); at most one file and a few fields are parsed. Typed: the bytes must
start with ``%PDF-`` whatever the name or the browser's content type say. Atomic: the
file is written to a private staging folder under ``<store>/.uploads`` through a
temporary file and a rename, ingested from there and removed. The client's file name
is reduced to its last component and to ``A-Z a-z 0-9 . _ -`` and spaces before it is
used (the store may file a revision under a date in that name).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message, Receive

from .. import app
from ..io import atomic_write_bytes
from ..settings import SETTINGS
from ..store.sources import PDF_MAGIC
from ..text import strip_control
from .errors import WebError

__all__ = ["UPLOADS_DIR", "UploadOutcome", "receive_upload", "safe_name"]

UPLOADS_DIR = ".uploads"
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_FORM_FIELD_BYTES = 16 * 1024  # a non-file form field (none is expected) is tiny
_CHUNK = 1 << 20


class _TooLarge(Exception):
    pass


def _too_large() -> WebError:
    limit = SETTINGS.web.upload_max_bytes
    return WebError(413, "File too large", f"uploads are limited to {limit // (1024 * 1024)} MB")


def safe_name(name: str | None) -> str:
    """A file name safe to create: last path component, safe characters, ends in .pdf."""
    base = strip_control(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base[:-4] if base.lower().endswith(".pdf") else base
    stem = _UNSAFE.sub("-", stem).strip(" .-_")[: SETTINGS.web.upload_name_max]
    return f"{stem.strip(' .-_') or 'upload'}.pdf"


def _limited(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def inner() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge
        return message

    return inner


async def _form_file(request: Request) -> UploadFile:
    limit = SETTINGS.web.upload_max_bytes + 64 * 1024  # the multipart framing around it
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise _too_large()
    bounded = Request(request.scope, _limited(request.receive, limit))
    try:
        form = await bounded.form(max_files=1, max_fields=4, max_part_size=_FORM_FIELD_BYTES)
    except _TooLarge as err:
        raise _too_large() from err
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise WebError(400, "No file", "choose a PDF file to upload (form field 'file')")
    return upload


def _chunks(fh: IO[bytes], first: bytes) -> Iterator[bytes]:
    yield first
    yield from iter(lambda: fh.read(_CHUNK), b"")


def _stage(upload: UploadFile, folder: Path, name: str) -> Path:
    """Write the upload to ``folder/name`` atomically, after checking it is a PDF."""
    upload.file.seek(0)
    head = upload.file.read(len(PDF_MAGIC))
    if head != PDF_MAGIC:
        raise WebError(415, "Not a PDF", f"{name}: not a PDF (it does not start with %PDF-)")
    target = folder / name
    atomic_write_bytes(target, _chunks(upload.file, head))
    return target


@dataclass(frozen=True)
class UploadOutcome:
    status: int  # the HTTP status of the answer
    result: str  # added, unchanged, replaced or failed (as ingest says)
    ref: str | None
    file_name: str
    message: str


def _ingest(store: Path, upload: UploadFile) -> UploadOutcome:
    name = safe_name(upload.filename)
    (store / UPLOADS_DIR).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=store / UPLOADS_DIR))
    try:
        staged = _stage(upload, folder, name)
        result = app.ingest([staged], store_dir=store, reports=False, keep_sources=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    (res,) = result.files
    message = res.message.replace(f"{folder}/", "").replace(str(folder), "")
    notes = [n.replace(f"{folder}/", "") for n in result.report_notes]
    message = "; ".join(m for m in (message, *notes) if m)
    if res.status == "failed":
        status = 409 if res.ref else 422
    else:
        status = 201 if res.status == "added" else 200
    return UploadOutcome(status, res.status, res.ref, name, message)


async def receive_upload(request: Request, store: Path) -> UploadOutcome:
    """Read, check, stage and ingest the one PDF of a multipart upload request."""
    upload = await _form_file(request)
    try:
        return await run_in_threadpool(_ingest, store, upload)
    finally:
        await upload.close()
