"""Property tests (hypothesis) of the semantic diff."""

from __future__ import annotations

from collections import Counter

from conftest import single
from hypothesis import given, settings
from hypothesis import strategies as st
from test_diff import make_doc

from policy_tools.compare import diff_documents
from policy_tools.model.changeset import ChangeSet
from policy_tools.model.policy import (
    Code,
    Definition,
    Dosing,
    DosingRow,
    Leaf,
    Node,
    PolicyDocument,
    Reference,
)
from policy_tools.text import compare_key

WORDS = [
    "patient",
    "diagnosis",
    "therapy",
    "prior",
    "failure",
    "documented",
    "adult",
    "pediatric",
    "dose",
    "infusion",
    "monthly",
    "weekly",
    "oncology",
    "prescriber",
    "specialist",
    "biopsy",
    "imaging",
    "response",
    "progression",
    "toxicity",
    "lenalidomide",
    "methotrexate",
    "psoriasis",
    "arthritis",
    "lymphoma",
    "myeloma",
    "metastases",
    "platinum",
    "stage",
    "extensive",
    "limited",
    "refractory",
    "relapsed",
    "maintenance",
]

sentences = st.lists(st.sampled_from(WORDS), min_size=4, max_size=10).map(
    lambda ws: " ".join(ws).capitalize()
)
unique_texts = st.lists(sentences, min_size=0, max_size=7, unique_by=compare_key)
LABELS = ["i.", "ii.", "iii.", "iv.", "v.", "vi.", "vii.", "viii.", "ix.", "x."]
CODE_POOL = ["C33", "C34.00-C34.92", "C7A.1", "C79.31", "C34.10-C34.32", "C50.911", "J9026"]
DAY_POOL = ["Day 1", "Day 8", "Day 15", "Day 1 and 15"]


def leaves(texts: list[str], labels: list[str] = LABELS) -> list[Node | Leaf]:
    return [Leaf(label=labels[k % len(labels)], text=t, page=1) for k, t in enumerate(texts)]


@st.composite
def trees(draw: st.DrawFn, pool: list[str]) -> Node | None:
    if not pool:
        return None
    n_branches = draw(st.integers(1, 3))
    texts = draw(st.permutations(pool))
    chunks = [texts[k::n_branches] for k in range(n_branches)]
    branches = [Node(op=draw(st.sampled_from(["AND", "OR"])), items=leaves(c)) for c in chunks if c]
    if len(branches) == 1:
        return branches[0]
    return Node(
        op="OR",
        text=draw(st.sampled_from([None, "Meets one of the following"])),
        items=list(branches),
    )


@st.composite
def documents(draw: st.DrawFn, pool: list[str]) -> PolicyDocument:
    crit_pool = draw(st.lists(st.sampled_from(pool), unique=True)) if pool else []
    refs = draw(st.lists(st.sampled_from(pool), unique=True, max_size=4)) if pool else []
    codes = draw(st.lists(st.sampled_from(CODE_POOL), unique=True, max_size=4))
    days = draw(st.lists(st.sampled_from(DAY_POOL), unique=True, max_size=3))
    doses = draw(
        st.lists(st.sampled_from(["1 mg", "10 mg"]), min_size=len(days), max_size=len(days))
    )
    return make_doc(
        criteria=single(initial=draw(trees(crit_pool))),
        references=[
            Reference(label=f"{k + 1}.", text=f"{t}. Journal 2024.", page=3)
            for k, t in enumerate(refs)
        ],
        definitions=[Definition(term=t.split()[0], text=t, page=1) for t in refs[:1]],
        codes=[
            Code(
                system="HCPCS" if c.startswith("J") else "ICD-10-CM",
                code=c,
                first=c.split("-")[0],
                last=c.split("-")[-1],
                description="d",
                page=2,
            )
            for c in codes
        ],
        dosing=Dosing(
            schedule=[
                DosingRow(schedule="Cycle 1", day=d, dose=dose, monitoring="Observe", page=2)
                for d, dose in zip(days, doses, strict=True)
            ]
        ),
    )


def counts(cs: ChangeSet) -> Counter[tuple[str, str]]:
    return Counter((c.section, c.kind) for c in cs.changes)


@settings(max_examples=60, deadline=None)
@given(st.data(), unique_texts)
def test_diff_with_itself_is_empty(data: st.DataObject, pool: list[str]) -> None:
    doc = data.draw(documents(pool))
    cs = diff_documents(doc, doc)
    assert cs.changes == [] and cs.format_changes == [] and cs.summary == {}


@settings(max_examples=80, deadline=None)
@given(st.data(), unique_texts)
def test_swapping_old_and_new_swaps_added_and_removed(data: st.DataObject, pool: list[str]) -> None:
    a, b = data.draw(documents(pool)), data.draw(documents(pool))
    fwd, back = counts(diff_documents(a, b)), counts(diff_documents(b, a))
    swap = {"added": "removed", "removed": "added"}
    mirrored = Counter({(s, swap.get(k, k)): n for (s, k), n in back.items()})
    assert fwd == mirrored


@settings(max_examples=60, deadline=None)
@given(
    st.lists(sentences, min_size=1, max_size=9, unique_by=compare_key),
    st.sampled_from(["letters", "numbers", "shift"]),
)
def test_renumbering_all_labels_gives_only_renumbered(texts: list[str], scheme: str) -> None:
    if scheme == "letters":
        labels = [f"{chr(ord('a') + k)}." for k in range(len(texts))]
    elif scheme == "numbers":
        labels = [f"{k + 1}." for k in range(len(texts))]
    else:
        labels = LABELS[1:] + LABELS[:1]
    old = make_doc(
        criteria=single(initial=Node(op="AND", items=leaves(texts))),
        references=[Reference(label=LABELS[k], text=t, page=1) for k, t in enumerate(texts)],
    )
    new = make_doc(
        criteria=single(initial=Node(op="AND", items=leaves(texts, labels))),
        references=[Reference(label=labels[k], text=t, page=2) for k, t in enumerate(texts)],
    )
    cs = diff_documents(old, new)
    assert {c.kind for c in cs.changes} == {"renumbered"}
    assert len(cs.changes) == 2 * len(texts)
    assert all(c.old_label != c.new_label for c in cs.changes)
