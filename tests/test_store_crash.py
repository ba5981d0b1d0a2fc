"""Batch isolation and crash safety of ingest, with real processes and SIGKILL.

- a worker killed with SIGKILL (as the out-of-memory killer does) fails only the file it
  held, by name; the rest of the batch is stored, the pool carries on;
- workers die with their parent (the parent killed with SIGKILL leaves no orphans);
- transient failures (memory, a killed worker) are never remembered as bad bytes;
- an ingest killed at many points (during extraction, inside the atomic write, between
  the revision write and the catalog write, inside SQLite statements and commits) is
  followed by a plain ingest after which the store equals one never interrupted and
  ``store check`` is clean.

Kills inside the ingest process come from a trace function (every line executed in
``policy_tools/store`` and ``io.py`` is a point) or from SQLite's progress handler and
statement trace (points inside the catalog write); the ingest runs in a forked child,
so a kill never reaches the test process.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import test_ingest
from click.testing import CliRunner
from test_ingest import fake_file

from policy_tools import EXTRACTOR_VERSION
from policy_tools.cli import cli
from policy_tools.errors import InputError
from policy_tools.model.policy import PolicyDocument
from policy_tools.store import check_store, ingest_paths
from policy_tools.store.catalog import CATALOG_NAME, CatalogDB

PACKAGE = Path(__file__).resolve().parent.parent / "policy_tools"
TRACED = {str(p) for p in (PACKAGE / "store").glob("*.py")} | {str(PACKAGE / "io.py")}


def hostile_extract(path: Path) -> PolicyDocument:
    """The fake extractor of test_ingest, plus behaviours asked for in the file:
    ``kill: yes`` (SIGKILL itself), ``memory: yes`` / ``memory: wrapped`` (MemoryError,
    bare or as the cause of an InputError, as the PDF reader wraps it), ``sleep: S``,
    ``pidfile: PATH`` (writes its pid there first)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    fields = dict(line.split(": ", 1) for line in text.splitlines()[1:] if ": " in line)
    if "pidfile" in fields:
        Path(fields["pidfile"]).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(float(fields.get("sleep", "0")))
    if fields.get("kill") == "yes":
        os.kill(os.getpid(), signal.SIGKILL)
    if fields.get("memory") == "yes":
        raise MemoryError
    if fields.get("memory") == "wrapped":
        try:
            raise MemoryError
        except MemoryError as err:
            raise InputError(path, "not a readable PDF (MemoryError: )") from err
    return test_ingest.fake_extract(path)


@pytest.fixture(autouse=True)
def use_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    test_ingest.install_fake(monkeypatch, hostile_extract)


def memo(store: Path) -> dict[str, Any]:
    db = CatalogDB.connect(store / CATALOG_NAME)
    try:
        return {sha: db.memo(sha) for (sha,) in db.conn.execute("SELECT sha256 FROM memo")}
    finally:
        db.close()


# ------------------------------------------------------------------- batch isolation


def test_killed_worker_fails_only_its_file(tmp_path: Path) -> None:
    folder, store = tmp_path / "in", tmp_path / "s"
    for i in range(6):
        fake_file(folder, f"f{i}.pdf", number=f"P-{i}", date="2025-01-01")
    doomed = fake_file(folder, "killed.pdf", number="K-1", kill="yes")
    res = ingest_paths([folder], store_dir=store, jobs=2)
    got = {Path(f.source).name: (f.status, f.message) for f in res.files}
    assert [n for n, (s, _) in got.items() if s == "added"] == [f"f{i}.pdf" for i in range(6)]
    status, message = got["killed.pdf"]
    assert status == "failed" and message.startswith(f"{doomed}: the extraction worker")
    assert "killed by SIGKILL (the out-of-memory killer sends it)" in message
    assert res.exit_code == 1
    assert sorted(p.parent.name for p in store.glob("*/*.json")) == [f"P-{i}" for i in range(6)]
    assert memo(store) == {}  # a killed worker says nothing about the bytes
    # the next ingest tries it again (it is not a known bad file)
    doomed.write_text(doomed.read_text().replace("kill: yes", "kill: no"), encoding="utf-8")
    again = ingest_paths([folder], store_dir=store, jobs=2)
    assert {Path(f.source).name: f.status for f in again.files}["killed.pdf"] == "added"


def test_cli_ingest_jobs_2_names_the_killed_file(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for i in range(3):
        fake_file(folder, f"ok{i}.pdf", number=f"P-{i}")
    fake_file(folder, "oom.pdf", number="K-1", kill="yes")
    args = ["ingest", str(folder), "--store", str(tmp_path / "s"), "-j", "2", "--no-reports"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1, res.output
    assert "3 added, 0 unchanged, 0 replaced, 1 failed" in res.output
    (failed,) = [line for line in res.output.splitlines() if line.startswith("failed")]
    assert str(folder / "oom.pdf") in failed and "killed by SIGKILL" in failed


@pytest.mark.parametrize("how", ["yes", "wrapped"])
def test_memory_errors_are_not_remembered_as_bad_bytes(tmp_path: Path, how: str) -> None:
    store = tmp_path / "s"
    big = fake_file(tmp_path, "big.pdf", memory=how)
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf at all")
    first = ingest_paths([big, bad], store_dir=store)
    assert [f.status for f in first.files] == ["failed", "failed"]
    remembered = memo(store)
    assert len(remembered) == 1  # only the deterministic input error
    (entry,) = remembered.values()
    assert entry[1]["cause"] == "not a PDF (no %PDF- header)"
    big.write_text(big.read_text().replace(f"memory: {how}", "memory: no"), encoding="utf-8")
    assert [f.status for f in ingest_paths([big], store_dir=store).files] == ["added"]


CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
import policy_tools.store.ingest
import test_store_crash
policy_tools.store.ingest.extract_file = test_store_crash.hostile_extract
from policy_tools.store import ingest_paths
ingest_paths([Path(sys.argv[2])], store_dir=Path(sys.argv[1]), jobs=2)
"""


def _gone(pid: int) -> bool:
    """Dead, or a zombie waiting for a reaper that is not us."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in {"Z", "X"}


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_workers_die_with_their_parent(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    pidfiles = [tmp_path / f"w{i}.pid" for i in range(2)]
    for i, pidfile in enumerate(pidfiles):
        fake_file(folder, f"slow{i}.pdf", number=f"S-{i}", sleep="120", pidfile=str(pidfile))
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(tests=str(Path(__file__).parent)), encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path / "s"), str(folder)])
    deadline = time.monotonic() + 60
    while not all(p.exists() and p.read_text() for p in pidfiles):
        assert time.monotonic() < deadline and parent.poll() is None, "workers never started"
        time.sleep(0.05)
    workers = [int(p.read_text()) for p in pidfiles]
    assert all(not _gone(w) for w in workers)
    parent.kill()  # SIGKILL: no clean-up code runs in the parent
    parent.wait()
    deadline = time.monotonic() + 10
    while not all(_gone(w) for w in workers):
        assert time.monotonic() < deadline, f"orphaned workers still alive: {workers}"
        time.sleep(0.05)


# ------------------------------------------------------------- kill at many points


def batch(folder: Path) -> list[Path]:
    """Two policies, two dates, a conflicting copy (refused) and an undatable file."""
    return [
        fake_file(folder, "a.pdf", number="P-1", date="2025-01-01", review="Policy Inception"),
        fake_file(folder, "b.pdf", number="P-1", date="2026-01-01", pages="4"),
        fake_file(folder, "c.pdf", number="P/2", date="2025-06-01"),
        fake_file(folder, "d.pdf", number="P-1", date="2025-01-01", name="another print"),
        fake_file(folder, "u.pdf", number="P-9", date=None),
    ]


def snapshot(store: Path) -> dict[str, bytes]:
    """Every revision file (relative path -> bytes)."""
    return {str(p.relative_to(store)): p.read_bytes() for p in sorted(store.glob("*/*.json"))}


def in_child(prepare: Callable[[], None], run: Callable[[], object]) -> int:
    """Run ``run`` in a forked child after ``prepare``; return its wait status."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            prepare()
            run()
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    return os.waitpid(pid, 0)[1]


def line_killer(at: int, counter: list[int]) -> Callable[[], None]:
    """Install a tracer that SIGKILLs this process at the ``at``-th traced line
    (``at`` 0: never; the count is written into ``counter`` via a pipe by the caller)."""

    def prepare() -> None:
        me = os.getpid()

        def local(frame: Any, event: str, arg: Any) -> Any:
            if event == "line" and os.getpid() == me:
                counter[0] += 1
                if counter[0] == at:
                    os.kill(me, signal.SIGKILL)
            return local

        def trace(frame: Any, event: str, arg: Any) -> Any:
            return local if frame.f_code.co_filename in TRACED else None

        sys.settrace(trace)

    return prepare


def count_lines(run: Callable[[], object]) -> int:
    """How many traced lines ``run`` executes (measured in a child, through a pipe)."""
    read, write = os.pipe()
    counter = [0]

    def report() -> None:
        run()
        sys.settrace(None)
        os.write(write, str(counter[0]).encode())

    in_child(line_killer(0, counter), report)
    os.close(write)
    with os.fdopen(read) as fh:
        return int(fh.read() or 0)


def sqlite_killer(statement: int = 0, steps: int = 0) -> Callable[[], None]:
    """Kill inside the catalog's SQLite work: before the ``statement``-th SQL statement
    (COMMIT included), or after ``steps`` virtual-machine steps of one statement."""

    def prepare() -> None:
        connect, seen, me = CatalogDB.connect.__func__, [0], os.getpid()  # type: ignore[attr-defined]

        def patched(cls: type[CatalogDB], path: Path | None) -> CatalogDB:
            db: CatalogDB = connect(cls, path)

            def on_statement(sql: str) -> None:
                seen[0] += 1
                if statement and seen[0] == statement and os.getpid() == me:
                    os.kill(me, signal.SIGKILL)

            def on_progress() -> int:
                if os.getpid() == me and seen[0] > 8:  # past opening: inside the writes
                    os.kill(me, signal.SIGKILL)
                return 0

            db.conn.set_trace_callback(on_statement)
            if steps:
                db.conn.set_progress_handler(on_progress, steps)
            return db

        CatalogDB.connect = classmethod(patched)  # type: ignore[method-assign,assignment]

    return prepare


def assert_recovers(store: Path, files: list[Path], want: dict[str, bytes]) -> None:
    """After the kill, a plain ingest of another file leaves a consistent store (what
    was written is catalogued, no temp files, ``store check`` clean); a plain ingest of
    the batch then completes it."""
    other = fake_file(files[0].parent.parent / "other", "z.pdf", number="Z-1")
    first = ingest_paths([other], store_dir=store)
    assert [f.status for f in first.files] == ["added"] and first.damaged == []
    assert list(store.rglob("*.tmp")) == []
    assert [p.line() for p in check_store(store).problems] == []
    res = ingest_paths(files, store_dir=store)
    statuses = {Path(f.source).name: f.status for f in res.files}
    assert statuses["d.pdf"] == statuses["u.pdf"] == "failed", res.files
    assert all(statuses[n] != "failed" for n in ("a.pdf", "b.pdf", "c.pdf")), res.files
    assert res.damaged == []
    assert snapshot(store) == {
        **want,
        "Z-1/2025-01-01.json": snapshot(store)["Z-1/2025-01-01.json"],
    }
    assert list(store.rglob("*.tmp")) == []
    report = check_store(store)
    assert [p.line() for p in report.problems] == []
    assert report.revisions == len(want) + 1
    db = CatalogDB.connect(store / CATALOG_NAME)
    try:
        assert db.pending() == [] and db.damages() == []
    finally:
        db.close()


def _points(total: int, count: int) -> list[int]:
    step = max(1, total // count)
    return sorted({*range(1, total + 1, step), total})


@pytest.mark.parametrize("jobs", [1, 2])
def test_ingest_killed_at_many_points_recovers(tmp_path: Path, jobs: int) -> None:
    """First ingest into an empty store, killed at every ~1/40th of its traced lines."""
    files = batch(tmp_path / "in")
    ingest_paths(files, store_dir=tmp_path / "reference")
    want = snapshot(tmp_path / "reference")
    assert len(want) == 3
    total = count_lines(lambda: ingest_paths(files, store_dir=tmp_path / "probe", jobs=jobs))
    assert total > 200
    killed = 0
    for n, at in enumerate(_points(total, 40)):
        store = tmp_path / f"s{n}"
        status = in_child(
            line_killer(at, [0]), lambda s=store: ingest_paths(files, store_dir=s, jobs=jobs)
        )
        killed += os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        assert_recovers(store, files, want)
    assert killed >= 35, f"only {killed} kills landed"
    print(f"\nkill test (jobs={jobs}): {killed} kills over {total} traced lines, all recovered")


def test_upgrade_killed_at_many_points_recovers(tmp_path: Path) -> None:
    """A re-extracting ingest (new extractor version) killed midway: old or new file,
    never a torn one; the next ingest finishes the upgrade."""
    files = batch(tmp_path / "in")
    ingest_paths(files, store_dir=tmp_path / "reference")
    want = snapshot(tmp_path / "reference")

    def old_store(path: Path) -> None:
        test_ingest.FAKE_VERSION["value"] = "0.0.1"
        ingest_paths(files, store_dir=path)
        test_ingest.FAKE_VERSION["value"] = EXTRACTOR_VERSION

    old_store(tmp_path / "probe")
    total = count_lines(lambda: ingest_paths(files, store_dir=tmp_path / "probe"))
    killed = 0
    for n, at in enumerate(_points(total, 25)):
        store = tmp_path / f"s{n}"
        old_store(store)
        status = in_child(line_killer(at, [0]), lambda s=store: ingest_paths(files, store_dir=s))
        killed += os.WIFSIGNALED(status)
        assert_recovers(store, files, want)
    assert killed >= 20
    print(f"\nkill test (upgrade): {killed} kills over {total} traced lines, all recovered")


def test_ingest_killed_inside_sqlite_recovers(tmp_path: Path) -> None:
    """Kills before each SQL statement (COMMITs included) and inside statements."""
    files = batch(tmp_path / "in")
    ingest_paths(files, store_dir=tmp_path / "reference")
    want = snapshot(tmp_path / "reference")
    kills = 0
    for at in range(1, 80, 3):
        store = tmp_path / f"q{at}"
        status = in_child(
            sqlite_killer(statement=at), lambda s=store: ingest_paths(files, store_dir=s)
        )
        kills += os.WIFSIGNALED(status)
        assert_recovers(store, files, want)
    for steps in (1, 5, 20, 100):
        store = tmp_path / f"p{steps}"
        status = in_child(
            sqlite_killer(steps=steps), lambda s=store: ingest_paths(files, store_dir=s)
        )
        kills += os.WIFSIGNALED(status)
        assert_recovers(store, files, want)
    assert kills >= 20
    print(f"\nkill test (SQLite): {kills} kills inside catalog statements, all recovered")


def test_parent_killed_at_random_times_with_two_workers(tmp_path: Path) -> None:
    """``ingest -j 2`` killed from outside while workers extract and the parent stores."""
    folder = tmp_path / "in"
    files = batch(folder) + [
        fake_file(folder, f"x{i}.pdf", number=f"X-{i}", date="2024-01-01", sleep="0.02")
        for i in range(8)
    ]
    ingest_paths(files, store_dir=tmp_path / "reference")
    want = snapshot(tmp_path / "reference")
    killed = 0
    for n, delay in enumerate((0.05, 0.1, 0.15, 0.2, 0.3, 0.45)):
        store = tmp_path / f"t{n}"
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                ingest_paths(files, store_dir=store, jobs=2)
            finally:
                os._exit(0)
        time.sleep(delay)
        if os.waitpid(pid, os.WNOHANG)[0] == 0:  # still running: kill it
            os.kill(pid, signal.SIGKILL)
            killed += os.WIFSIGNALED(os.waitpid(pid, 0)[1])
        res = ingest_paths(files, store_dir=store)
        assert snapshot(store) == want and res.damaged == []
        assert check_store(store).problems == []
    assert killed >= 3
    print(f"\nkill test (-j 2, killed from outside at random times): {killed} kills, all recovered")


def test_sqlite_catalog_is_wal(tmp_path: Path) -> None:
    ingest_paths([fake_file(tmp_path, "a.pdf")], store_dir=tmp_path / "s")
    conn = sqlite3.connect(tmp_path / "s" / CATALOG_NAME)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
