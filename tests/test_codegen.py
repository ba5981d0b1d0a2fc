"""Generated criteria modules: imported (by path, without sys.modules) and executed.

The cases are read from the two canonical PDFs (section A "Criteria for Initial
Approval", B continuation, C durations, D not covered), not from the code: 2026 p. 2-3
has three approval paths (ES-SCLC after platinum as a subsequent single agent; limited
brain metastases; extensive brain metastases) and seven exclusions on p. 3, among them
"Use in individuals younger than 18 years of age".
"""

from __future__ import annotations

import ast
import importlib.util
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
from policy_tools.codegen.compile import compile_policy, criterion_id
from policy_tools.codegen.runtime import FactError, decide
from policy_tools.errors import PolicyToolsError
from policy_tools.model.policy import (
    Criteria,
    Indication,
    Leaf,
    Node,
    PolicyDocument,
    PolicyMeta,
    Source,
)
from policy_tools.render.module import generate_module, py_lines
from policy_tools.store.refs import load_revision

STORE = ROOT / "extracted"
OLD_REF = "MP-RX-FP-171-25@2025-08-08"
NEW_REF = "MP-RX-FP-171-25@2026-05-06"
RUFF = Path(sys.executable).with_name("ruff")
SOURCE = Source(path="p.pdf", sha256="2" * 64, format="pdf", pages=1, extractor_version="1")


@pytest.fixture(scope="module")
def docs() -> tuple[PolicyDocument, PolicyDocument]:
    return (
        load_revision(str(GOLDEN_DIR / "2025-08-08.json")),
        load_revision(str(GOLDEN_DIR / "2026-05-06.json")),
    )


_counter = iter(range(1_000_000))


def load_by_path(source: str, directory: Path) -> ModuleType:
    """Load a generated file by path as a deployment would: NOT registered in sys.modules."""
    name = f"generated_criteria_{next(_counter)}"
    path = directory / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert name not in sys.modules
    return module


@pytest.fixture(scope="module")
def modules(
    docs: tuple[PolicyDocument, PolicyDocument], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ModuleType, ModuleType]]:
    tmp = tmp_path_factory.mktemp("generated")
    yield load_by_path(generate_module(docs[0]), tmp), load_by_path(generate_module(docs[1]), tmp)


def cid(module: ModuleType, fragment: str) -> str:
    """The one criterion id of ``module`` whose text contains ``fragment``."""
    hits: list[str] = [c.id for c in module.CRITERIA.values() if fragment in c.text]
    assert len(hits) == 1, (fragment, hits)
    return hits[0]


def yes(module: ModuleType, *fragments: str) -> dict[str, object]:
    return {cid(module, f): True for f in fragments}


def no_exclusions(module: ModuleType) -> dict[str, object]:
    """Every untyped exclusion of section D answered 'no'."""
    return {
        c.id: False
        for c in module.CRITERIA.values()
        if c.paths[0].startswith("not_covered") and c.cond is None
    }


ADULT_2025 = (
    "diagnosis of extensive stage small cell",
    "Individual has experienced disease progression",
)
LIMITED_BRAIN = ("limited brain metastases", "single-agent treatment", "recurrent brain metastases")


# --- the 2025 inception revision ------------------------------------------------------


def test_2025_metadata_and_table(modules: tuple[ModuleType, ModuleType]) -> None:
    old, _ = modules
    assert old.POLICY_NUMBER == "MP-RX-FP-171-25"
    assert old.EFFECTIVE_DATE == "2025-08-08"
    assert old.SOURCE_SHA256.startswith("9b5fe1eabb698ed4")
    assert old.EXTRACTOR_VERSION == EXTRACTOR_VERSION  # the version the golden was made by
    assert (old.INITIAL_MONTHS, old.REAUTHORIZATION_MONTHS) == (6, 12)
    # 4 initial + 2 continuation ("when there is documentation of a positive clinical
    # response to therapy" in the lead-in, i. the oncology note) + 4 not covered (p. 2)
    assert len(old.CRITERIA) == 10
    age = old.CRITERIA[cid(old, "18 years of age")]
    assert (age.label, age.page, age.text) == (
        "initial.i",
        2,
        "Individual is 18 years of age or older",
    )
    assert (age.cond.fact, age.cond.op, age.cond.value) == ("age_years", ">=", 18)


def test_2025_adult_after_platinum_is_approved_for_6_months(
    modules: tuple[ModuleType, ModuleType],
) -> None:
    old, _ = modules
    case = {**yes(old, *ADULT_2025), "age_years": 40, "performance_status": 1}
    assert old.initial_approval(case).outcome == "undetermined"  # exclusions not answered
    decision = old.initial_approval({**case, **no_exclusions(old)})
    assert decision.outcome == "approved" and decision.approved
    assert decision.authorization_months == 6
    assert {r.status for r in decision.reasons} == {"met"}
    assert len(decision.reasons) == 4 and decision.missing == [] and decision.to_decide == []


def test_2025_seventeen_year_old_is_denied_by_the_age_criterion(
    modules: tuple[ModuleType, ModuleType],
) -> None:
    old, _ = modules
    decision = old.initial_approval({"age_years": 17})
    assert decision.outcome == "denied"  # one unmet AND criterion decides it: nothing to ask
    (reason,) = decision.reasons
    assert (reason.text, reason.page, reason.status) == (
        "Individual is 18 years of age or older",
        2,
        "not met",
    )
    assert (reason.policy_number, reason.effective_date) == ("MP-RX-FP-171-25", "2025-08-08")
    assert decision.authorization_months is None
    # the boundary: 18 is old enough, so the other criteria are still to be asked
    assert old.initial_approval({"age_years": 18}).outcome == "undetermined"


def test_2025_continuation_and_exclusions(modules: tuple[ModuleType, ModuleType]) -> None:
    old, _ = modules
    note = yes(old, "current oncology note", "positive clinical response")
    renewal = old.continuation({**note, **no_exclusions(old), "age_years": 40})
    assert renewal.approved and renewal.authorization_months == 12
    assert old.continuation({}).outcome == "undetermined"
    first_line = old.not_covered(yes(old, "first-line therapy"))
    assert first_line.outcome == "denied"
    assert [r.status for r in first_line.reasons] == ["excluded"]
    assert old.not_covered(no_exclusions(old)).outcome == "approved"  # nothing excluded


# --- the 2026 annual review: the "done when" ----------------------------------


def test_2026_nothing_answered_is_undetermined_and_says_what_to_ask(
    modules: tuple[ModuleType, ModuleType],
) -> None:
    _, new = modules
    decision = new.initial_approval({})
    assert decision.outcome == "undetermined"
    # the shortest path (3 criteria of a brain-metastasis branch) and all 7 exclusions
    assert len(decision.to_decide) == 3 + 7
    assert set(decision.to_decide) <= set(decision.missing)
    # every criterion but continuation's three (no toxicity or progression, note, imaging)
    assert len(decision.missing) == len(new.CRITERIA) - 3
    assert all(r.status == "unanswered" for r in decision.reasons)
    letter = new.reasons(decision)
    assert letter.startswith("Decision: undetermined (initial approval) under policy ")
    assert "Use in individuals younger than 18 years of age" in letter


def test_2026_seventeen_year_old_is_denied_with_the_age_exclusion(
    modules: tuple[ModuleType, ModuleType],
) -> None:
    _, new = modules
    decision = new.initial_approval({"age_years": 17, "diagnoses": ["C34.90"]})
    assert decision.outcome == "denied"
    (reason,) = decision.reasons
    assert (reason.text, reason.page) == ("Use in individuals younger than 18 years of age", 3)
    assert (reason.status, reason.tree, reason.fact, reason.value) == (
        "excluded",
        "not_covered",
        "age_years",
        "17",
    )
    letter = new.reasons(decision)
    assert '- "Use in individuals younger than 18 years of age" (not covered, page 3;' in letter
    assert "policy MP-RX-FP-171-25, effective 2026-05-06" in letter


def test_2026_full_brain_metastasis_path_is_approved_for_12_months(
    modules: tuple[ModuleType, ModuleType],
) -> None:
    _, new = modules
    case = {**yes(new, *LIMITED_BRAIN), **no_exclusions(new), "age_years": 62}
    decision = new.initial_approval(case)
    assert decision.outcome == "approved" and decision.authorization_months == 12
    assert [r.text for r in decision.reasons] == [
        "Individual has limited brain metastases from small cell lung cancer (NCCN 2A)",
        "Requested use is as single-agent treatment",
        "Use is for recurrent brain metastases",
    ]
    # one fact "single-agent treatment" serves both brain-metastasis branches
    assert new.CRITERIA[cid(new, "single-agent treatment")].paths == (
        "initial.2.vi",
        "initial.3.ix",
    )
    # the path alone, exclusions unanswered: asked, never denied
    partial = new.initial_approval(yes(new, *LIMITED_BRAIN))
    assert partial.outcome == "undetermined" and len(partial.to_decide) == 7


def everything_no(module: ModuleType) -> dict[str, object]:
    """Every untyped criterion answered 'no'."""
    return {c.id: False for c in module.CRITERIA.values() if c.cond is None}


def test_2026_es_sclc_needs_subsequent_single_agent(modules: tuple[ModuleType, ModuleType]) -> None:
    _, new = modules
    case = {
        **everything_no(new),
        **yes(new, *ADULT_2025),
        "age_years": 70,
        "performance_status": 2,
    }
    subsequent = cid(new, "subsequent systemic therapy as a single agent")
    denied = new.initial_approval({**case, subsequent: False})
    assert denied.outcome == "denied"
    assert subsequent in [r.id for r in denied.reasons]
    assert new.initial_approval({**case, subsequent: True}).approved
    # performance status is a typed fact: 3 is outside "0-2"
    assert not new.initial_approval({**case, subsequent: True, "performance_status": 3}).approved


def test_2026_continuation_needs_note_and_imaging(modules: tuple[ModuleType, ModuleType]) -> None:
    _, new = modules
    note = {
        **yes(new, "current oncology note", "no evidence of an unacceptable toxicity"),
        **no_exclusions(new),
        "age_years": 50,
    }
    imaging = cid(new, "Current imaging studies")
    assert new.continuation(note).outcome == "undetermined"
    assert new.continuation(note).to_decide == [imaging]
    assert new.continuation({**note, imaging: False}).outcome == "denied"
    assert new.continuation({**note, imaging: True}).approved


def test_closed_world_is_an_explicit_option(modules: tuple[ModuleType, ModuleType]) -> None:
    _, new = modules
    case = {**yes(new, *LIMITED_BRAIN), "age_years": 30}
    assert new.initial_approval(case).outcome == "undetermined"
    assert new.initial_approval(case, closed_world=True).approved  # no exclusion stated
    assert new.initial_approval({}, closed_world=True).outcome == "denied"


def test_bad_facts_are_errors_naming_the_key(modules: tuple[ModuleType, ModuleType]) -> None:
    _, new = modules
    some = cid(new, "single-agent treatment")
    for facts, key in (
        ({"no-such-criterion_00000000": True}, "no-such-criterion_00000000"),
        ({some: 1}, some),
        ({some: "yes"}, some),
        ({"age_years": "17"}, "age_years"),
        ({"age_years": True}, "age_years"),
        ({"diagnoses": "C34.90"}, "diagnoses"),
    ):
        with pytest.raises(new.FactError, match=re.escape(repr(key))):
            new.initial_approval(facts)
    with pytest.raises(new.FactError, match="unknown indication"):
        new.initial_approval({}, indication="Psoriasis")
    younger = cid(new, "younger than 18")
    with pytest.raises(new.FactError, match="age_years"):  # answered two ways that disagree
        new.initial_approval({younger: False, "age_years": 12})


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
    assert cid(old, "Use for limited-stage") != cid(new, "Use for limited-stage")
    assert criterion_id("Individual has performance status 0-2.") == criterion_id(
        "individual  has performance status 0–2"
    )


# --- Kleene logic on hand-built trees ---------------------------------------------------


def doc_of(criteria: Criteria) -> PolicyDocument:
    return PolicyDocument(
        source=SOURCE,
        policy=PolicyMeta(number="T-1", effective_date="2026-01-01"),
        criteria=criteria,
    )


def leaf(text: str, page: int = 1) -> Leaf:
    return Leaf(text=text, page=page)


def test_n_of_m_three_valued() -> None:
    tree = Node(op="N_OF", n=2, items=[leaf("A holds"), leaf("B holds"), leaf("C holds")])
    policy = compile_policy(doc_of(single(initial=tree)))
    a, b, c = (criterion_id(f"{x} holds") for x in "ABC")

    def outcome(**facts: bool) -> str:
        mapping = {{"a": a, "b": b, "c": c}[k]: v for k, v in facts.items()}
        return decide(policy, "initial", mapping).outcome

    assert outcome() == "undetermined"
    assert outcome(a=True, b=True) == "approved"
    assert outcome(a=True, c=True) == "approved"
    assert outcome(a=False, b=False) == "denied"  # at most one can still hold
    assert outcome(a=True, b=False) == "undetermined"  # c decides
    assert outcome(a=True, b=False, c=False) == "denied"
    d = decide(policy, "initial", {a: True, b: False})
    assert d.missing == [c] and d.to_decide == [c]


def test_missing_never_lists_branches_already_decided() -> None:
    tree = Node(
        op="OR",
        items=[
            Node(op="AND", items=[leaf("A holds"), leaf("B holds")]),
            Node(op="AND", items=[leaf("C holds"), leaf("D holds")]),
        ],
    )
    policy = compile_policy(doc_of(single(initial=tree)))
    a, b, c, d = (criterion_id(f"{x} holds") for x in "ABCD")
    approved = decide(policy, "initial", {a: True, b: True})
    assert approved.outcome == "approved" and approved.missing == [] and approved.to_decide == []
    half = decide(policy, "initial", {a: False})
    assert half.outcome == "undetermined" and half.missing == [c, d]  # not b: its branch failed
    denied = decide(policy, "initial", {a: False, c: False})
    assert denied.outcome == "denied" and {r.id for r in denied.reasons} == {a, c}


def test_several_indications_a_case_names_one_or_any() -> None:
    crohns = Indication(name="Crohn's disease", initial=Node(op="AND", items=[leaf("Has CD")]))
    uc = Indication(name="Ulcerative colitis", initial=Node(op="AND", items=[leaf("Has UC")]))
    excl = Node(op="OR", items=[leaf("Use with another biologic")])
    policy = compile_policy(doc_of(Criteria(indications=[crohns, uc], not_covered=excl)))
    cd, uc_id, other = (criterion_id(t) for t in ("Has CD", "Has UC", "Use with another biologic"))
    facts = {cd: False, uc_id: True, other: False}
    assert decide(policy, "initial", facts, "Crohn's disease").outcome == "denied"
    assert decide(policy, "initial", facts, 1).outcome == "approved"
    assert decide(policy, "initial", facts).outcome == "approved"  # any indication
    assert decide(policy, "initial", {**facts, other: True}).outcome == "denied"
    assert decide(policy, "initial", {cd: False}).outcome == "undetermined"


def test_typed_facts_of_every_kind() -> None:
    from policy_tools.extract.assemble.conditions import parse_condition
    from policy_tools.model.policy import Code

    codes = [Code(system="ICD-10-CM", code="C34.00-C34.92", first="C34.00", last="C34.92", page=4)]
    texts = [
        "Prescribed by or in consultation with an oncologist or hematologist",
        "Diagnosis is listed in the ICD-10 code table below",
        "Patient has been receiving therapy for at least 6 months",
        "Patient has tried and failed two of the following: methotrexate, leflunomide, "
        "sulfasalazine",
    ]
    leaves: list[Node | Leaf] = []
    for t in texts:
        lf = leaf(t)
        lf.condition = parse_condition(t, codes)
        assert lf.condition is not None, t
        leaves.append(lf)
    doc = doc_of(single(initial=Node(op="AND", items=leaves)))
    doc.codes = codes
    policy = compile_policy(doc)
    good = {
        "prescriber_specialty": "Hematologist",
        "diagnoses": ["Z00.00", "c34.90"],
        "months_on_therapy": 6,
        "drugs_tried_failed": ["Methotrexate", "sulfasalazine"],
    }
    assert decide(policy, "initial", good).outcome == "approved"
    for key, bad in (
        ("prescriber_specialty", "dermatologist"),
        ("diagnoses", ["C33"]),  # trachea: not in the C34 range
        ("months_on_therapy", 5),
        ("drugs_tried_failed", ["methotrexate", "methotrexate"]),
    ):
        d = decide(policy, "initial", {**good, key: bad})
        assert d.outcome == "denied", key
        assert [r.fact for r in d.reasons] == [key]
    assert decide(
        policy, "initial", {k: v for k, v in good.items() if k != "diagnoses"}
    ).outcome == ("undetermined")


# --- refusal, determinism, hygiene ------------------------------------------------------


def test_codegen_refuses_a_revision_without_criteria(tmp_path: Path) -> None:
    with pytest.raises(PolicyToolsError, match="criteria could not be read"):
        generate_module(PolicyDocument(source=SOURCE))
    path = tmp_path / "empty.json"
    path.write_text(PolicyDocument(source=SOURCE).model_dump_json(), encoding="utf-8")
    out = tmp_path / "never.py"
    result = CliRunner().invoke(cli, ["codegen", str(path), "-o", str(out)])
    assert result.exit_code == 2
    assert "criteria could not be read" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()


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
    module = load_by_path(generate_module(doc), tmp_path)
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
    every[criterion_id(payload)] = False  # the exclusion does not apply
    assert module.initial_approval(every).approved
    one_missing = dict(every)
    one_missing[criterion_id(HOSTILE[2])] = False
    assert module.initial_approval(one_missing).outcome == "denied"
    assert module.not_covered({criterion_id(payload): True}).outcome == "denied"
    assert not marker.exists()
    files = list(tmp_path.glob("generated_criteria_*.py"))
    assert files and all(ruff_check(f).returncode == 0 for f in files)


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


def test_library_and_module_agree(
    docs: tuple[PolicyDocument, PolicyDocument], modules: tuple[ModuleType, ModuleType]
) -> None:
    _, new = modules
    policy = compile_policy(docs[1])
    case = {**yes(new, *LIMITED_BRAIN), "age_years": 17}
    assert decide(policy, "initial", case).outcome == new.initial_approval(case).outcome
    with pytest.raises(FactError):
        decide(policy, "initial", {"x": True})


def test_cli_codegen_writes_a_loadable_module(tmp_path: Path) -> None:
    out = tmp_path / "imdelltra_2026.py"
    result = CliRunner().invoke(cli, ["codegen", NEW_REF, "--store", str(STORE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.stderr
    module = load_by_path(out.read_text(encoding="utf-8"), tmp_path)
    assert module.EFFECTIVE_DATE == "2026-05-06"
    assert module.initial_approval({"age_years": 17}).outcome == "denied"
    printed = CliRunner().invoke(cli, ["codegen", NEW_REF, "--store", str(STORE)])
    assert printed.exit_code == 0
    assert printed.stdout == out.read_text(encoding="utf-8")


def test_cli_codegen_unknown_revision() -> None:
    result = CliRunner().invoke(
        cli, ["codegen", "MP-RX-FP-171-25@1999-01-01", "--store", str(STORE)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.strip().splitlines()) == 1
