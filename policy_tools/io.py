"""I/O at the edges: deterministic JSON, atomic writes, hashing."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .errors import OutputError

# json.dumps escapes C0 controls itself; DEL, C1 controls and bidi overrides it writes
# raw (ensure_ascii=False). They are escaped too, so JSON shown on a terminal is safe
# and the data is unchanged (text.strip_control is the rule for text views).
_RAW_CONTROL = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group(0)):04x}"


def dumps(data: Any) -> str:
    """Deterministic JSON: sorted keys, 2-space indent, UTF-8 text, trailing newline;
    control characters escaped (a terminal never receives one raw)."""
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return _RAW_CONTROL.sub(_escape, text)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder and a rename."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | Path, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (bytes, or chunks of bytes) to ``path`` via a temp file in the same
    folder and a rename: readers see the old file or the whole new one, never a part.

    The temp file is ``.<name>.<random>.tmp``; a process killed mid-write leaves it
    behind (the store removes such leftovers under its lock, see ``store/sync.py``).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; use what open() would
        with os.fdopen(fd, "wb") as fh:
            for chunk in [data] if isinstance(data, bytes) else data:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_chunks(path: str | Path, size: int = 1 << 20) -> Iterator[bytes]:
    """The bytes of ``path`` in chunks (bounded memory for big files)."""
    with open(path, "rb") as fh:
        yield from iter(lambda: fh.read(size), b"")


def write_output(path: str | Path, text: str) -> None:
    """``atomic_write_text`` for a file the user asked for (``-o``): a failure is one
    OutputError naming the file (a path under a file, no permission, a full disk)."""
    try:
        atomic_write_text(path, text)
    except (FileExistsError, NotADirectoryError) as err:
        blocker = next((p for p in Path(path).parents if p.exists()), None)
        if blocker is None or blocker.is_dir():
            raise OutputError(path, err) from err
        raise OutputError(path, NotADirectoryError(f"{blocker} is a file, not a folder")) from err
    except OSError as err:
        raise OutputError(path, err) from err


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    for chunk in read_chunks(path):
        h.update(chunk)
    return h.hexdigest()
