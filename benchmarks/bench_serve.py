"""Benchmark ``policy-tools serve`` on a store of the real corpus (a script, not a test).

1. ``policy-tools ingest FOLDER --keep-sources`` into a fresh temporary store (once);
2. through the app (Starlette's test client, no network): the policy list, the code
   search for J1745 (it must list both Cigna IP0660 revisions), and, for every policy with
   two revisions or more, the compare page of its two newest revisions: the first request
   (change set computed, page sizes read), every page image of both PDFs rendered by
   PDFium, then the compare page again from a new app (nothing in memory, the page images
   cached on disk).

Prints one line per measurement and, with ``--json OUT``, writes them all.
Usage: ``python benchmarks/bench_serve.py [FOLDER] [--json OUT] [--jobs N]``
(default folder: ../shared/corpus/real).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from policy_tools.compare.codesets import check_code
from policy_tools.web import create_app

ROOT = Path(__file__).resolve().parent.parent
IMG = re.compile(r'<img src="([^"]+)"')


def timed(http: TestClient, url: str) -> tuple[float, Any]:
    start = time.perf_counter()
    answer = http.get(url)
    elapsed = time.perf_counter() - start
    assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
    return elapsed, answer


def client(store: Path) -> TestClient:
    return TestClient(create_app(store, allowed_hosts=["testserver"]))


def compare_figures(store: Path, policy: str, old: str, new: str) -> dict[str, Any]:
    url = f"/policy/{policy}/compare/{old}...{new}"
    first, page = timed(client(store), url)
    images = IMG.findall(page.text)
    http = client(store)
    start = time.perf_counter()
    for src in images:
        http.get(src)
    render = time.perf_counter() - start
    cached, _ = timed(client(store), url)
    return {
        "compare": url,
        "first_request_s": round(first, 3),
        "page_images": len(images),
        "render_all_images_s": round(render, 3),
        "cached_fresh_app_s": round(cached, 3),
        "html_bytes": len(page.content),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT.parent / "shared/corpus/real")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    out: dict[str, Any] = {"folder": str(args.folder)}
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        cmd = [sys.executable, "-m", "policy_tools.cli", "ingest", str(args.folder)]
        cmd += ["--store", str(store), "--keep-sources", "--no-reports", "-j", str(args.jobs)]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        out["ingest_s"] = round(time.perf_counter() - start, 1)
        out["ingest_summary"] = proc.stdout.strip().splitlines()[-1:]
        print(f"ingest {out['ingest_s']} s: {out['ingest_summary']}", flush=True)
        check_code("ICD-10-CM", "C34.90")  # `serve` loads the code set at start-up
        http = client(store)
        out["policy_list_first_s"], listing = timed(http, "/index.json")
        out["policy_list_s"], _ = timed(http, "/index.json")
        out["code_search_J1745_s"], found = timed(http, "/codes.json?q=J1745")
        hits = {
            p["policy"]: [r["effective_date"] for r in p["revisions"]]
            for p in found.json()["policies"]
        }
        out["J1745"] = hits
        print(f"J1745: {hits}", flush=True)
        out["compares"] = []
        for p in listing.json()["policies"]:
            if p["revisions"] < 2:
                continue
            dates = [
                r["effective_date"]
                for r in http.get(f"/policy/{p['policy']}.json").json()["revisions"]
            ]
            figures = compare_figures(store, p["policy"], dates[-2], dates[-1])
            out["compares"].append(figures)
            print(json.dumps(figures), flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    ok = hits.get("IP0660") == ["2026-01-01", "2026-03-15"]
    print("J1745 lists both IP0660 revisions:", ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
