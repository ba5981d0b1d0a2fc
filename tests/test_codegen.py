"""Generated criteria modules: imported and executed; outcome changes of the canonical pair.

The cases are read from the two canonical PDFs (section A "Criteria for Initial
Approval", B continuation, C durations, D not covered), not from the code.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner
from conftest import GOLDEN_DIR, ROOT, single
from hypothesis import given
from hypothesis import strategies as st

from policy_tools import EXTRACTOR_VERSION
from policy_tools.cli import cli
from policy_tools.codegen.compile import criterion_id
from policy_tools.codegen.outcomes import outcome_changes, outcome_report
from policy_tools.model.policy import Leaf, Node, PolicyDocument, PolicyMeta, Source
from policy_tools.render.module import generate_module, py_lines
from policy_tools.store.refs import load_revision

STORE = ROOT / "extracted"
OLD_REF = "MP-RX-FP-171-25@2025-08-08"
NEW_REF = "MP-RX-FP-171-25@2026-05-06"
RUFF = Path(sys.executable).with_name("ruff")


@pytest.fixture(scope="module")
def docs() -> tuple[PolicyDocument, PolicyDocument]:
    return (
        load_revision(str(GOLDEN_DIR / "2025-08-08.json")),
        load_revision(str(GOLDEN_DIR / "2026-05-06.json")),
    )


_counter = iter(range(1_000_000))


def import_source(source: str, directory: Path) -> ModuleType:
    name = f"generated_criteria_{next(_counter)}"
    path = directory / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while importing
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def modules(
    docs: tuple[PolicyDocument, PolicyDocument], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ModuleType, ModuleType]]:
    tmp = tmp_path_factory.mktemp("generated")
    old, new = (import_source(generate_module(d), tmp) for d in docs)
    yield old, new
    for m in (old, new):
        sys.modules.pop(m.__name__, None)


def cid(module: ModuleType, fragment: str) -> str:
    """The one criterion id of ``module`` whose text contains ``fragment``."""
    hits: list[str] = [c.id for c in module.CRITERIA.values() if fragment in c.text]
    assert len(hits) == 1, (fragment, hits)
    return hits[0]


def facts(module: ModuleType, *fragments: str) -> dict[str, bool]:
    return {cid(module, f): True for f in fragments}


ADULT_2025 = (
    "18 years of age or older",
    "diagnosis of extensive stage small cell",
    "Individual has experienced disease progression",
    "performance status 0-2",
)


# --- the 2025 inception revision ------------------------------------------------------


def test_2025_metadata_and_table(modules: tuple[ModuleType, ModuleType]) -> None:
    old, _ = modules
    assert old.POLICY_NUMBER == "MP-RX-FP-171-25"
    assert old.EFFECTIVE_DATE == "2025-08-08"
    assert old.SOURCE_SHA256.startswith("9b5fe1eabb698ed4")
    assert old.EXTRACTOR_VERSION == EXTRACTOR_VERSION  # the version the golden was made by
    assert (old.INITIAL_MONTHS, old.REAUTHORIZATION_MONTHS) == (6, 12)
    # 4 initial + 2 continuation (the lead-in's 'when ...' condition and the oncology
    # note) + 4 not-covered leaves, all distinct
    assert len(old.CRITERIA) == 10
    age = old.CRITERIA[cid(old, "18 years of age")]
    assert (age.label, age.page, age.text) == (
        "initial.i",
        2,
        "Individual is 18 years of age or older",
    )


def test_2025_adult_after_platinum_is_approved_for_6_months(
    modules: tuple[ModuleType, ModuleType],
) -> None:
    old, _ = modules
    decision = old.initial_approval(facts(old, *ADULT_2025))
    assert decision.approved and decision.satisfied
    assert decision.authorization_months == 6
    assert len(decision.met) == 4 and decision.unmet == [] and decision.missing == []


def test_2025_seventeen_year_old_is_not_approved(modules: tuple[ModuleType, ModuleType]) -> None:
    old, _ = modules
    case = facts(old, *ADULT_2025)
    age = cid(old, "18 years of age or older")
    case[age] = False
    decision = old.initial_approval(case)
    assert not decision.approved
    assert decision.unmet == [age] and decision.missing == []
    assert decision.authorization_months is None
    del case[age]  # closed world: an unstated fact is unmet and reported missing
    decision = old.initial_approval(case)
    assert not decision.approved and decision.missing == [age]


def test_2025_continuation_and_exclusions(modules: tuple[ModuleType, ModuleType]) -> None:
    old, _ = modules
    assert not old.continuation(facts(old, "current oncology note")).approved
    renewal = old.continuation(facts(old, "current oncology note", "positive clinical response"))
    assert renewal.approved and renewal.authorization_months == 12
    assert not old.continuation({}).approved
    first_line = old.not_covered(facts(old, "first-line therapy"))
    assert first_line.satisfied and not first_line.approved
    assert old.not_covered({}).approved  # nothing excluded


# --- the 2026 annual review ------------------------------------------------------------


def test_2026_limited_brain_metastases_recurrent_is_approved(
    modules: tuple[ModuleType, ModuleType],
) -> None:
    _, new = modules
    case = facts(
        new,
        "limited brain metastases",
        "single-agent treatment",
        "recurrent brain metastases",
    )
    decision = new.initial_approval(case)
    assert decision.approved and decision.authorization_months == 12
    # one fact "single-agent treatment" serves both brain-metastasis branches
    single = new.CRITERIA[cid(new, "single-agent treatment")]
    assert single.paths == ("initial.2.vi", "initial.3.ix")


def test_2026_extensive_brain_metastases_needs_a_use_case(
    modules: tuple[ModuleType, ModuleType],
) -> None:
    _, new = modules
    base = facts(new, "Individual has extensive brain metastases", "single-agent treatment")
    assert not new.initial_approval(base).approved
    primary = {**base, **facts(new, "primary treatment in select cases")}
    assert new.initial_approval(primary).approved


def test_2026_es_sclc_needs_subsequent_single_agent(
    modules: tuple[ModuleType, ModuleType],
) -> None:
    _, new = modules
    case = facts(
        new,
        "diagnosis of extensive stage small cell",
        "Individual has experienced disease progression",
        "performance status 0-2",
    )
    assert not new.initial_approval(case).approved
    case |= facts(new, "subsequent systemic therapy as a single agent")
    assert new.initial_approval(case).approved
    # a 17-year-old meets the initial tree now, but section D excludes the use
    minor = facts(new, "younger than 18 years")
    assert not new.not_covered(minor).approved


def test_2026_continuation_needs_note_and_imaging(modules: tuple[ModuleType, ModuleType]) -> None:
    _, new = modules
    note = facts(new, "current oncology note")
    assert not new.continuation(note).approved
    both = note | facts(new, "Current imaging studies")
    assert not new.continuation(both).approved  # the lead-in asks for no toxicity too
    assert new.continuation(both | facts(new, "no evidence of an unacceptable")).approved


def test_ids_are_stable_across_revisions(modules: tuple[ModuleType, ModuleType]) -> None:
    old, new = modules
    # same normalised text: the 2026 citation "(Label, NCCN 1))" and the end "." aside
    for fragment in (
        "diagnosis of extensive stage small cell",
        "Individual has experienced disease progression",
        "performance status 0-2",
        "current oncology note",
    ):
        assert cid(old, fragment) == cid(new, fragment), fragment
    # changed meaning: different ids
    assert cid(old, "Use for limited-stage") != cid(new, "Use for limited-stage")
    assert criterion_id("Individual has performance status 0-2.") == criterion_id(
        "individual  has performance status 0–2"
    )
    assert criterion_id("Use is for recurrent brain metastases") != criterion_id(
        "Use is for recurrent disease"
    )


# --- code generation properties -------------------------------------------------------


def test_generation_is_deterministic_across_processes(
    docs: tuple[PolicyDocument, PolicyDocument],
) -> None:
    here = generate_module(docs[1])
    assert generate_module(docs[1]) == here
    script = (
        "import sys; from policy_tools.render.module import generate_module; "
        "from policy_tools.store.refs import load_revision; "
        f"sys.stdout.write(generate_module(load_revision({str(GOLDEN_DIR / '2026-05-06.json')!r})))"
    )
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, env=env, check=True, text=True
        ).stdout
        assert out == here


def ruff_check(path: Path) -> subprocess.CompletedProcess[str]:
    assert RUFF.exists(), f"ruff is a dev dependency, expected at {RUFF}"
    return subprocess.run(
        [str(RUFF), "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(path)],
        capture_output=True,
        text=True,
    )


def test_generated_modules_are_ruff_clean(
    docs: tuple[PolicyDocument, PolicyDocument], tmp_path: Path
) -> None:
    for i, doc in enumerate(docs):
        path = tmp_path / f"criteria_{i}.py"
        path.write_text(generate_module(doc), encoding="utf-8")
        result = ruff_check(path)
        assert result.returncode == 0, result.stdout + result.stderr
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n", encoding="utf-8")
    assert ruff_check(bad).returncode == 1  # the check can fail


HOSTILE = [
    'Individual """ closes a docstring',
    "Individual ''' closes another",
    "Line one\n__import__('os').system('x')",
    "C:\\path\\to\\n \\' \\\" \\x00 backslashes",
    "Ünïcödé — “quotes” ‘here’ 18 ≥ years; tab\there \u2028 line separator",
    "",
]


def hostile_doc(marker: Path) -> PolicyDocument:
    payload = f"\"\"\"\n'''\nopen({str(marker)!r}, 'w').write('pwned')  # "
    leaves: list[Node | Leaf] = [Leaf(label=f"{i}.", text=t, page=1) for i, t in enumerate(HOSTILE)]
    leaves.append(Leaf(label=payload, text=payload * 3, page=1))
    return PolicyDocument(
        source=Source(
            path="evil\"'.pdf",
            sha256="0" * 64,
            format="pdf",
            pages=1,
            extractor_version="1.0.0\n'''",
        ),
        policy=PolicyMeta(number='X"""\n', name=payload, effective_date="2026-01-01"),
        criteria=single(
            initial=Node(op="AND", text=payload, page=1, items=leaves),
            not_covered=Node(op="OR", items=[Leaf(label="'a", text=payload, page=1)]),
        ),
    )


def test_pdf_text_cannot_inject_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    doc = hostile_doc(marker)
    source = generate_module(doc)
    module = import_source(source, tmp_path)
    try:
        assert not marker.exists()
        texts = sorted(c.text for c in module.CRITERIA.values())
        payload = doc.policy.name
        assert payload is not None
        assert texts == sorted([*HOSTILE, payload * 3, payload])
        assert module.POLICY_NUMBER == 'X"""\n'
        assert payload == module.POLICY_NAME
        assert module.SOURCE_PATH == "evil\"'.pdf"
        assert module.EXTRACTOR_VERSION == "1.0.0\n'''"
        every = {c.id: True for c in module.CRITERIA.values()}
        assert module.initial_approval(every).approved
        one_missing = dict(every)
        del one_missing[criterion_id(HOSTILE[2])]
        assert not module.initial_approval(one_missing).approved
        assert not module.not_covered({criterion_id(payload): True}).approved
        assert not marker.exists()
        result = ruff_check(tmp_path / f"{module.__name__}.py")
        assert result.returncode == 0, result.stdout
    finally:
        sys.modules.pop(module.__name__, None)


def test_py_lines_concatenate_back() -> None:
    text = "a\\b " * 30 + "x" * 150 + " \"'\n"
    pieces = py_lines(text, 40)
    assert len(pieces) > 3
    assert all(len(p) <= 40 for p in pieces)
    assert "".join(ast.literal_eval(p) for p in pieces) == text  # complete literals


@given(st.text(max_size=300), st.integers(min_value=12, max_value=90))
def test_py_lines_round_trip_any_text(text: str, width: int) -> None:
    pieces = py_lines(text, width)
    assert "".join(ast.literal_eval(p) for p in pieces) == text
    assert all(isinstance(ast.parse(p, mode="eval").body, ast.Constant) for p in pieces)


@given(st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=80))
def test_criterion_id_ignores_case_spacing_and_end_punctuation(text: str) -> None:
    assert criterion_id(text) == criterion_id(f"  {text.upper()} .")
    assert re.fullmatch(r"[a-z0-9-]+_[0-9a-f]{8}", criterion_id(text))


def test_generated_module_is_mypy_strict_clean(
    docs: tuple[PolicyDocument, PolicyDocument], tmp_path: Path
) -> None:
    path = tmp_path / "criteria_2026.py"
    path.write_text(generate_module(docs[1]), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout


# --- outcome changes ------------------------------------------------------------------


def texts_of(doc_modules: tuple[ModuleType, ModuleType], ids: tuple[str, ...]) -> set[str]:
    table = {**doc_modules[0].CRITERIA, **doc_modules[1].CRITERIA}
    return {table[i].text for i in ids}


def test_outcome_changes_of_the_canonical_pair(
    docs: tuple[PolicyDocument, PolicyDocument], modules: tuple[ModuleType, ModuleType]
) -> None:
    old, new = modules
    changes = outcome_changes(*docs)
    initial = [c for c in changes if c.tree == "initial"]
    approved = {frozenset(c.facts) for c in initial if c.new_approved}
    denied = {frozenset(c.facts) for c in initial if not c.new_approved}
    es_sclc = {
        cid(new, "diagnosis of extensive stage small cell"),
        cid(new, "Individual has experienced disease progression"),
        cid(new, "performance status 0-2"),
    }
    age = cid(old, "18 years of age or older")
    subsequent = cid(new, "subsequent systemic therapy")
    single = cid(new, "single-agent treatment")
    assert approved == {
        frozenset(es_sclc | {subsequent}),  # no age criterion any more: under 18 too
        frozenset({cid(new, "limited brain"), single, cid(new, "initial treatment in select")}),
        frozenset({cid(new, "limited brain"), single, cid(new, "recurrent brain metastases")}),
        frozenset(
            {cid(new, "Individual has extensive brain"), single, cid(new, "primary treatment")}
        ),
        frozenset(
            {cid(new, "Individual has extensive brain"), single, cid(new, "recurrent disease with")}
        ),
    }
    assert denied == {frozenset(es_sclc | {age})}  # 2026 asks for subsequent single agent
    under_18 = next(c for c in initial if subsequent in c.facts)
    assert under_18.lacking == (age,)
    assert under_18.rejecting == "old"
    continuation = [c for c in changes if c.tree == "continuation"]
    note, response = cid(new, "current oncology note"), cid(old, "positive clinical response")
    imaging, no_toxicity = cid(new, "Current imaging"), cid(new, "no evidence of an unacceptable")
    assert [(set(c.facts), c.old_approved, c.new_approved) for c in continuation] == [
        ({note, response}, True, False),
        ({note, imaging, no_toxicity}, False, True),
    ]
    excluded = [c for c in changes if c.tree == "not_covered"]
    assert len(excluded) == 4 + 7  # every 2025 exclusion reworded, 2026 lists 7
    assert texts_of(modules, tuple(i for c in excluded if not c.new_approved for i in c.facts)) == {
        c.text for c in new.CRITERIA.values() if c.paths[0].startswith("not_covered")
    }


def test_outcome_changes_agree_with_the_generated_modules(
    docs: tuple[PolicyDocument, PolicyDocument], modules: tuple[ModuleType, ModuleType]
) -> None:
    old, new = modules
    function = {"initial": "initial_approval", "continuation": "continuation"}
    function["not_covered"] = "not_covered"
    changes = outcome_changes(*docs)
    assert changes
    for change in changes:
        case = dict.fromkeys(change.facts, True)
        assert getattr(old, function[change.tree])(case).approved == change.old_approved
        assert getattr(new, function[change.tree])(case).approved == change.new_approved


def test_outcome_figures_and_bounded_strategy_agree(
    docs: tuple[PolicyDocument, PolicyDocument],
) -> None:
    full = outcome_report(*docs)
    figures = {t.tree: (t.ids, t.strategy, t.evaluated, t.cases) for t in full.trees}
    assert figures == {
        "initial": (12, "exhaustive", 2**12, 6),
        "continuation": (4, "exhaustive", 2**4, 2),
        "not_covered": (11, "exhaustive", 2**11, 11),
    }
    assert [(a.field, a.old, a.new) for a in full.authorization] == [("initial_months", 6, 12)]
    bounded = outcome_report(*docs, exhaustive_limit=0)
    assert {t.strategy for t in bounded.trees} == {"minimal-terms"}
    assert bounded.changes == full.changes
    same = outcome_report(docs[1], docs[1])
    assert same.changes == () and same.authorization == () and same.exit_code == 0


def test_more_than_16_criteria_use_the_bounded_strategy() -> None:
    def doc(n: int) -> PolicyDocument:
        leaves: list[Node | Leaf] = [Leaf(text=f"criterion number {i}", page=1) for i in range(n)]
        return PolicyDocument(
            source=Source(
                path="p.pdf", sha256="1" * 64, format="pdf", pages=1, extractor_version="1"
            ),
            criteria=single(initial=Node(op="OR", items=leaves)),
        )

    report = outcome_report(doc(17), doc(18))
    initial = report.trees[0]
    assert (initial.ids, initial.strategy) == (18, "minimal-terms")
    assert [c.facts for c in report.changes] == [(criterion_id("criterion number 17"),)]
    assert report.changes[0].new_approved and not report.changes[0].old_approved


# --- CLI ------------------------------------------------------------------------------


def test_cli_codegen_writes_an_importable_module(tmp_path: Path) -> None:
    out = tmp_path / "imdelltra_2026.py"
    result = CliRunner().invoke(cli, ["codegen", NEW_REF, "--store", str(STORE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.stderr
    module = import_source(out.read_text(encoding="utf-8"), tmp_path)
    try:
        assert module.EFFECTIVE_DATE == "2026-05-06"
    finally:
        sys.modules.pop(module.__name__, None)
    printed = CliRunner().invoke(cli, ["codegen", NEW_REF, "--store", str(STORE)])
    assert printed.exit_code == 0
    assert printed.stdout == out.read_text(encoding="utf-8")


def test_cli_codegen_unknown_revision(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["codegen", "MP-RX-FP-171-25@1999-01-01", "--store", str(STORE)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_outcomes_exit_codes_and_formats() -> None:
    runner = CliRunner()
    changed = runner.invoke(cli, ["outcomes", OLD_REF, NEW_REF, "--store", str(STORE)])
    assert changed.exit_code == 1, changed.output
    assert "initial: 12 criteria, exhaustive (4096 evaluated" in changed.stdout
    assert "newly approved" in changed.stdout and "Individual is 18 years" in changed.stdout
    as_json = runner.invoke(
        cli, ["outcomes", OLD_REF, NEW_REF, "--store", str(STORE), "--format", "json"]
    )
    assert as_json.exit_code == 1
    data = json.loads(as_json.stdout)
    assert len(data["changes"]) == 6 + 2 + 11
    assert {c["direction"] for c in data["changes"]} == {
        "newly approved",
        "newly denied",
        "newly excluded",
        "no longer excluded",
    }
    assert {(c["tree"], c["direction"], c["rejecting"]) for c in data["changes"]} == {
        ("initial", "newly approved", "old"),
        ("initial", "newly denied", "new"),
        ("continuation", "newly denied", "new"),
        ("continuation", "newly approved", "old"),
        ("not_covered", "newly excluded", "old"),
        ("not_covered", "no longer excluded", "new"),
    }
    same = runner.invoke(cli, ["outcomes", NEW_REF, NEW_REF, "--store", str(STORE)])
    assert same.exit_code == 0, same.output
    assert "No outcome changes." in same.stdout


def test_absent_and_empty_trees(tmp_path: Path) -> None:
    source = Source(path="p.pdf", sha256="2" * 64, format="pdf", pages=1, extractor_version="1")
    bare = import_source(generate_module(PolicyDocument(source=source)), tmp_path)
    heading_only = PolicyDocument(
        source=source,
        criteria=single(
            initial=Node(op="AND", items=[Node(op="OR", items=[])]),  # nothing to satisfy
            continuation=Node(op="AND", text="Documented positive response", page=2),
        ),
    )
    empty = import_source(generate_module(heading_only), tmp_path)
    try:
        assert bare.INITIAL is None and bare.CRITERIA == {}
        assert not bare.initial_approval({}).approved
        assert bare.not_covered({}).approved
        assert not empty.initial_approval({}).approved  # an empty group is never satisfied
        response = criterion_id("Documented positive response")
        assert list(empty.CRITERIA) == [response]  # a group without items is one fact
        assert empty.continuation({response: True}).approved
        assert not empty.continuation({response: 1}).approved  # only True counts
    finally:
        for m in (bare, empty):
            sys.modules.pop(m.__name__, None)
