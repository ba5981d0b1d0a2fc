"""``policy-tools serve``: a local web app over the version store (Starlette + uvicorn).

Policy staff browse revisions, compare any two beside the page images of their PDFs
(each change's box highlighted), search by code, try a case and upload a PDF. The app
reads the store; it needs no database server and binds to loopback by default.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from ..compare.codesets import check_code
from ..errors import StoreError
from ..store import resolve_store
from .server import LOOPBACK, create_app

__all__ = ["create_app", "is_loopback", "serve"]


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


def _warm_up() -> None:
    """Load the ICD-10-CM code set (seconds) before the first comparison needs it."""
    check_code("ICD-10-CM", "C34.90")


def serve(
    store_dir: Path | str | None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    sources: Sequence[Path] = (),
) -> None:
    """Run the app until interrupted (Ctrl-C)."""
    store = resolve_store(store_dir)
    if store.exists() and not store.is_dir():
        raise StoreError(f"{store}: not a folder (the version store is a folder)")
    for folder in sources:
        if not Path(folder).is_dir():
            raise StoreError(f"{folder}: no such folder (--sources)")
    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
    hosts = None if is_loopback(host) else ["*"]
    app = create_app(store, sources=sources, allowed_hosts=hosts)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)
