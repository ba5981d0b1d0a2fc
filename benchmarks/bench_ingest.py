"""Benchmark ingest into the version store (a script, not a test).

Measures, each in fresh temporary stores and as the user runs it (``policy-tools``
subprocesses, so start-up time counts):

1. first ingest of a folder with ``--jobs 1`` vs re-ingesting the same files
   (everything ``unchanged``; the issue asks for < 5% of the first ingest);
2. first ingest with ``--jobs 2`` (speed-up over ``--jobs 1``);
3. peak resident memory of extracting the largest file alone (``wait4`` rusage).

The code is copied to a temporary folder first and run from there (PYTHONPATH), so
edits to the working tree during a long run cannot mix two code versions.

The real corpus holds one Cigna revision printed twice (Adobe and PDFium renderings:
other bytes, the same policy number and effective date); the second is refused by
design, so "19 added, 1 failed" and exit code 1 of the ingest runs are expected there.

Usage: ``python benchmarks/bench_ingest.py [FOLDER] [--json OUT]``
(default folder: ../shared/corpus/real, else source_pdfs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# -P: do not put the current folder first on sys.path (it would shadow the frozen copy)
CLI = [sys.executable, "-P", "-c", "from policy_tools.cli import cli; cli()"]
SUFFIXES = {".pdf", ".md", ".txt", ".html", ".htm"}


def run_ingest(folder: Path, store: Path, jobs: int, env: dict[str, str]) -> tuple[float, str, int]:
    """Run ``policy-tools ingest``; return wall seconds, the summary's last line, exit code."""
    cmd = [*CLI, "ingest", str(folder), "--store", str(store), "--jobs", str(jobs), "--no-reports"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr.strip()
    return elapsed, last, proc.returncode


def peak_rss_mib(path: Path, env: dict[str, str]) -> tuple[float, float]:
    """Extract ``path`` in a child process; return (peak RSS MiB, wall seconds)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*CLI, "extract", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    _, _, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    return usage.ru_maxrss / 1024, elapsed  # Linux: ru_maxrss in KiB


def main() -> int:
    default = ROOT.parent / "shared" / "corpus" / "real"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=default if default.is_dir() else ROOT / "source_pdfs",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    folder: Path = args.folder.resolve()
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES)
    if not files:
        print(f"no policy files in {folder}", file=sys.stderr)
        return 2
    largest = max(files, key=lambda p: p.stat().st_size)
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    print(f"folder: {folder} ({len(files)} files, {size_mb:.1f} MB); {os.cpu_count()} CPUs")

    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        shutil.copytree(ROOT / "policy_tools", tmp / "code" / "policy_tools")
        env = {**os.environ, "PYTHONPATH": str(tmp / "code")}
        t1, sum1, rc1 = run_ingest(folder, tmp / "s1", 1, env)
        print(f"first ingest  --jobs 1: {t1:8.2f} s  exit {rc1}  [{sum1}]")
        t_re, sum_re, rc_re = run_ingest(folder, tmp / "s1", 1, env)
        print(f"re-ingest     --jobs 1: {t_re:8.2f} s  exit {rc_re}  [{sum_re}]")
        t2, sum2, rc2 = run_ingest(folder, tmp / "s2", 2, env)
        print(f"first ingest  --jobs 2: {t2:8.2f} s  exit {rc2}  [{sum2}]")
        differ = sorted(
            str(p.relative_to(tmp / "s1"))
            for p in (tmp / "s1").glob("*/*.json")
            if not (tmp / "s2" / p.relative_to(tmp / "s1")).is_file()
            or (tmp / "s2" / p.relative_to(tmp / "s1")).read_bytes() != p.read_bytes()
        )
        same = not differ
        rss, t_largest = peak_rss_mib(largest, env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    figures = {
        "files": len(files),
        "first_ingest_jobs1_s": round(t1, 2),
        "reingest_s": round(t_re, 2),
        "reingest_ratio": round(t_re / t1, 4),
        "first_ingest_jobs2_s": round(t2, 2),
        "speedup_jobs2": round(t1 / t2, 2),
        "jobs2_store_identical": same,
        "largest_file": largest.name,
        "largest_file_mb": round(largest.stat().st_size / 1e6, 2),
        "largest_extract_s": round(t_largest, 2),
        "largest_peak_rss_mib": round(rss, 1),
    }
    print(f"re-ingest / first ingest: {figures['reingest_ratio']:.2%} (target < 5%)")
    print(
        f"speed-up --jobs 2 over --jobs 1: {figures['speedup_jobs2']:.2f}x "
        f"(revision files identical: {same}{'' if same else '; differ: ' + ', '.join(differ)})"
    )
    print(
        f"largest file {largest.name} ({figures['largest_file_mb']} MB): "
        f"peak RSS {rss:.0f} MiB, {t_largest:.1f} s"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0 if figures["reingest_ratio"] < 0.05 and same else 1


if __name__ == "__main__":
    sys.exit(main())
