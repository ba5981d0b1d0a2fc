"""Nothing is lost: the conservation check built into ``diff``.

Every word a plain word-level diff finds between two revisions' content text must be
covered by a reported change (or a layout difference naming it); a leftover is an
``unexplained`` change carrying the words. Checked on the seed with its Background
rewritten, on hypothesis-generated edits of the canonical documents (rewrites, whole
sections added and deleted, blocks moved between sections: 500 examples), on a list
regrouped under new headings, and on every revision pair of the real corpus.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import value_of
from hypothesis import given, settings
from hypothesis import strategies as st
from test_diff import load_golden, make_doc

from policy_tools.compare import diff_documents
from policy_tools.compare.conserve import check_conservation, words
from policy_tools.compare.match import deep
from policy_tools.model.changeset import Change, ChangeSet
from policy_tools.model.policy import Block, PolicyDocument, Section
from policy_tools.render.text import diff_text

# --- DeepDiff never hides a change at its root ------------------------------------------


def test_deep_maps_sharing_no_key_report_every_key() -> None:
    """DeepDiff's default replaces a map sharing < 1/3 of its keys by one root report."""
    res = deep({"o1": "a", "o2": "b", "m1": "x"}, {"n1": "c", "m1": "y"})
    assert res.removed == ["o1", "o2"] and res.added == ["n1"]
    assert [(k, t1, t2) for k, _, t1, t2 in res.changed] == [("m1", "x", "y")]


# --- the seed with its Background rewritten ------------------------------------------------

NEW_BACKGROUND = (
    "Background Information:\n\n"
    "Imdelltra now carries a new boxed warning for severe hemophagocytic "
    "lymphohistiocytosis observed in postmarketing reports.\n\n"
    "The scope of this policy extends to maintenance therapy after first-line "
    "chemoimmunotherapy in limited stage disease.\n\n"
)


def _texts(cs: ChangeSet, side: str) -> str:
    return " ".join(str(value_of(c.new if side == "new" else c.old) or "") for c in cs.changes)


def test_seed_with_background_rewritten(seed_md: Path, tmp_path: Path) -> None:
    from policy_tools.extract import extract_file

    seed = seed_md.read_text(encoding="utf-8")
    start, end = seed.index("Background Information:"), seed.index("Definitions and Measures")
    edited = tmp_path / "seed_background.txt"
    edited.write_text(seed[:start] + NEW_BACKGROUND + seed[end:], encoding="utf-8")
    cs = diff_documents(extract_file(seed_md), extract_file(edited))
    background = [c for c in cs.changes if c.section == "sections.background"]
    assert {c.kind for c in background} == {"added", "removed"}
    assert "hemophagocytic lymphohistiocytosis" in _texts(cs, "new")
    assert "maintenance therapy after first-line" in _texts(cs, "new")
    assert "cytokine release syndrome (CRS)" in _texts(cs, "old")  # the old boxed warning
    assert cs.unexplained == 0 and cs.conservation.unexplained_words == 0
    text = diff_text(cs)
    assert "0 content change(s)" not in text and "The history rows match" not in text


# --- planted edits of the canonical documents -------------------------------------------------

GENERIC = ("background", "description", "indications", "other_uses")
MARKS = [f"zq{k}x" for k in range(400)]  # words no policy prints: a planted edit is traceable


def _generic(doc: PolicyDocument) -> list[int]:
    return [k for k, s in enumerate(doc.sections) if s.key in GENERIC and s.blocks]


@st.composite
def edits(draw: st.DrawFn) -> tuple[PolicyDocument, PolicyDocument, set[str], set[str]]:
    """(old, new, planted words, removed words): 1-3 edits of one canonical revision."""
    doc = load_golden()[draw(st.integers(0, 1))]
    new = doc.model_copy(deep=True)
    marks = iter(draw(st.permutations(MARKS))[:40])
    planted: set[str] = set()
    removed: set[str] = set()
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["rewrite", "add_section", "drop_section", "move", "add"]))
        secs = _generic(new)
        if kind == "rewrite" and secs:
            sec = new.sections[draw(st.sampled_from(secs))]
            b = draw(st.integers(0, len(sec.blocks) - 1))
            old_words = (sec.blocks[b].text or "").split()
            if old_words:
                at = draw(st.integers(0, len(old_words) - 1))
                mark = next(marks)
                removed.add(old_words[at].strip(".,;:()").lower())
                old_words[at] = mark
                planted.add(mark)
                sec.blocks[b] = sec.blocks[b].model_copy(update={"text": " ".join(old_words)})
        elif kind == "add_section":
            text = " ".join(next(marks) for _ in range(6)) + "."
            planted |= set(text.rstrip(".").split())
            block = Block(type="paragraph", text=text, page=2)
            new.sections.insert(
                draw(st.integers(0, len(new.sections))),
                Section(key=f"extra_{len(planted)}", title="Extra Notes", page=2, blocks=[block]),
            )
        elif kind == "drop_section" and secs:
            gone = new.sections.pop(draw(st.sampled_from(secs)))
            removed |= {
                w.strip(".,;:()").lower() for b in gone.blocks for w in (b.text or "").split()
            }
        elif kind == "move" and len(secs) > 1:
            a, b = draw(st.permutations(secs))[:2]
            src, dst = new.sections[a], new.sections[b]
            k = draw(st.integers(0, len(src.blocks) - 1))
            block = src.blocks.pop(k)
            dst.blocks.insert(draw(st.integers(0, len(dst.blocks))), block)
        elif kind == "add" and secs:
            sec = new.sections[draw(st.sampled_from(secs))]
            text = "Planted sentence " + " ".join(next(marks) for _ in range(4)) + "."
            planted |= {w for w in text.rstrip(".").split() if w.startswith("zq")}
            sec.blocks.insert(
                draw(st.integers(0, len(sec.blocks))), Block(type="paragraph", text=text, page=1)
            )
    # what a later edit of the same example deleted again is no longer planted
    final = {w for s in new.sections for b in s.blocks for w in words(b.text) if w in planted}
    return doc, new, final, removed - {""}


def _reported_words(changes: list[Change], side: str) -> set[str]:
    out: set[str] = set()
    for c in changes:
        out |= set(words(str(value_of(c.new if side == "new" else c.old) or "")))
        for w in c.words or []:
            if w.op == ("insert" if side == "new" else "delete"):
                out |= set(words(w.text))
    return out


@settings(max_examples=500, deadline=None)
@given(edits())
def test_planted_edits_are_reported_and_nothing_is_unexplained(
    case: tuple[PolicyDocument, PolicyDocument, set[str], set[str]],
) -> None:
    old, new, planted, _ = case
    cs = diff_documents(old, new)
    assert cs.unexplained == 0, diff_text(cs)
    missing = planted - _reported_words(cs.changes, "new")
    assert not missing, diff_text(cs)


def test_a_dropped_change_is_unexplained_not_silent() -> None:
    """The check itself: with the differ's changes withheld, the words come back."""
    old, new = load_golden()
    cs = diff_documents(old, new)
    kept = [c for c in cs.changes if c.section != "sections.background"]
    res = check_conservation(old, new, kept, cs.format_changes)
    assert res.figures.unexplained >= 1 and res.figures.unexplained_words > 0
    background = [c for c in res.unexplained if c.location.field == "background"]
    assert background and "confirmatory" in (value_of(background[0].old) or "")
    assert all(c.kind == "unexplained" and c.section == "unexplained" for c in res.unexplained)


# --- a list regrouped under new headings -------------------------------------------------------

DRUGS = [f"Drug{k:02d} tablets {10 * (k + 1)} mg once daily for adults" for k in range(24)]


def _grouped(groups: dict[str, list[str]]) -> PolicyDocument:
    sections = [
        Section(
            key=re.sub(r"\W+", "_", title.lower()),
            title=title,
            page=1,
            blocks=[Block(type="list_item", label="-", text=t, page=1) for t in items],
        )
        for title, items in groups.items()
    ]
    return make_doc(sections=sections)


def test_regrouped_list_is_moves_plus_real_additions_and_removals() -> None:
    old = _grouped({"Class A": DRUGS[:8], "Class B": DRUGS[8:16], "Class C": DRUGS[16:]})
    kept = DRUGS[1:]  # Drug00 removed
    new = _grouped(
        {
            "Group 1": [*kept[0::4], "Newdrug tablets 5 mg once daily"],
            "Group 2": kept[1::4],
            "Group 3": [*kept[2::4], "Otherdrug capsules 2 mg twice daily"],
            "Group 4": kept[3::4],
        }
    )
    cs = diff_documents(old, new)
    kinds = [c.kind for c in cs.changes]
    assert kinds.count("added") == 2 and kinds.count("removed") == 1
    assert set(kinds) <= {"moved", "added", "removed"}
    assert kinds.count("moved") == 23  # every kept row left its heading
    assert cs.unexplained == 0
    assert len(cs.changes) < 30  # a set of moves, not thousands of changes


# --- the real corpus: every revision pair ------------------------------------------------------

PAIRS = [
    ("uhc_dupixent_pa-med-nec_2024-06-01.pdf", "uhc_dupixent_pa-med-nec_2025-11-01.pdf"),
    ("cigna_infliximab-iv_ip0660_2026-01-01.pdf", "cigna_infliximab-iv_ip0660_2026-03-15.pdf"),
    ("bcbs-fep_breyanzi_5.21.169_2024-04-01.pdf", "bcbs-fep_breyanzi_5.21.169_2025-04-01.pdf"),
    ("bcbs-fep_spinraza_5.75.015_2024-10-01.pdf", "bcbs-fep_spinraza_5.75.015_2025-01-01.pdf"),
    ("bcbs-fep_carvykti_5.21.188_2024-04-01.pdf", "bcbs-fep_carvykti_5.21.188_2025-07-01.pdf"),
    ("bcbs-fep_ibrance_5.21.054_2024-07-01.pdf", "bcbs-fep_ibrance_5.21.054_2025-07-01.pdf"),
    (
        "cigna_rituximab-non-oncology_ip0319_2026-02-01_adobe.pdf",
        "cigna_rituximab-non-oncology_ip0319_2026-02-01_pdfium.pdf",
    ),
]
if os.environ.get("POLICY_TOOLS_FULL_CORPUS"):  # two 277-page extractions: minutes
    PAIRS.append(
        (
            "tenncare_pdl-clinical-criteria_2025-05-01.pdf",
            "tenncare_pdl-clinical-criteria_2025-06-01.pdf",
        )
    )


@pytest.mark.corpus
@pytest.mark.parametrize(("old_name", "new_name"), PAIRS, ids=lambda n: n[:24])
def test_corpus_pairs_leave_nothing_unexplained(
    corpus_doc: object, old_name: str, new_name: str
) -> None:
    get = corpus_doc  # type: ignore[assignment]
    old, new = get(old_name), get(new_name)  # type: ignore[operator]
    cs = diff_documents(old, new)
    assert cs.unexplained == 0, [c.summary for c in cs.changes if c.kind == "unexplained"]
    back = diff_documents(new, old)
    assert back.unexplained == 0, [c.summary for c in back.changes if c.kind == "unexplained"]
