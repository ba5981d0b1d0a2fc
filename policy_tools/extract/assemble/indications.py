"""Units read off the outline become the policy's indications.

Units of one name (initial and continuation, read in different places) are one
indication; several units of one branch are alternatives (OR). Common criteria (printed
for no indication in particular) join every indication they apply to (AND): those of
the indications' own section and product group, and those of a later section that names
no indication (a renewal section). An item a common list scopes to one indication
('Giant Cell Tumor of the Bone: stabilization of disease') joins that one only. A policy
with criteria but no named indication is one indication named after the policy.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from ...model.policy import Authorization, Dosing, Indication, Node
from ...settings import SETTINGS
from .durations import Duration
from .interpret import Ctx, Reader, Unit
from .trees import Part

__all__ = ["build_indications", "same_indication", "scopes_of"]

_WORD = re.compile(r"[a-z0-9]+")
_SMALL = frozenset(["a", "an", "the", "of", "in", "with", "and", "or", "for", "to", "by", "on"])


def _words(name: str) -> set[str]:
    return {w for w in _WORD.findall(name.lower()) if w not in _SMALL}


def same_indication(a: str, b: str) -> bool:
    """Two printed names of one indication: equal words, or the shorter one's words all
    in the longer one ('EoE' and 'eosinophilic esophagitis (EoE)')."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return False
    short, long_ = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    return short <= long_


@dataclass
class _Ind:
    name: str
    units: list[Unit] = field(default_factory=list)

    @property
    def first(self) -> Unit:
        return self.units[0]

    def branch(self, branch: str) -> list[Unit]:
        return [u for u in self.units if u.branch == branch]


def _group(units: list[Unit]) -> list[_Ind]:
    inds: list[_Ind] = []
    for u in units:
        assert u.name is not None
        match = next((i for i in inds if same_indication(i.name, u.name)), None)
        if match is None:
            match = _Ind(name=u.name)
            inds.append(match)
        match.units.append(u)
    return inds


def _scope_matches(common: Unit, ind: _Ind) -> bool:
    if common.scope is None:
        return True
    own = ind.first.scope
    return own is not None and _ratio(common.scope, own) >= SETTINGS.match.row_match


def _applies(common: Unit, ind: _Ind, named_sections: set[str]) -> bool:
    if not _scope_matches(common, ind):
        return False
    if common.section in named_sections:
        own = [u for u in ind.units if u.section == common.section]
        return any(u.order > common.order for u in own)
    return common.order > min(u.order for u in ind.units)  # a later section (renewal)


def scopes_of(reader: Reader) -> dict[str, str]:
    """The product group each named indication was printed under."""
    out: dict[str, str] = {}
    for u in reader.units:
        if u.name and u.scope and u.name not in out:
            out[u.name] = u.scope
    return out


def build_indications(reader: Reader, policy_name: str) -> list[Indication]:
    named = [u for u in reader.units if u.name]
    loose = [u for u in reader.units if not u.name and u.tree is not None]
    if not named:
        if not loose:
            return []
        for u in loose:
            u.name = policy_name
        named, loose = loose, []
    inds = _group(named)
    sections = {u.section for u in named}
    names = [i.name for i in inds]
    out = []
    for ind in inds:
        common = [c for c in loose if _applies(c, ind, sections)]
        out.append(_indication(ind, common, names, reader))
    return out


def _indication(ind: _Ind, common: list[Unit], names: list[str], reader: Reader) -> Indication:
    trees = {}
    for branch in ("initial", "continuation"):
        own = [u.tree for u in ind.branch(branch) if u.tree is not None]
        shared = [_scoped(u.tree, ind.name, names) for u in common if u.branch == branch]
        trees[branch] = _combine([t for t in shared if t is not None], own)
    first = ind.first
    dosing = Dosing(tables=[t for u in ind.units for t in u.dosing])
    return Indication(
        name=ind.name,
        page=first.page,
        box=first.boxes,
        initial=trees["initial"],
        continuation=trees["continuation"],
        authorization=_authorization(ind, reader),
        dosing=dosing,
    )


def _combine(shared: list[Part], own: list[Part]) -> Node | None:
    """AND of the common criteria and the indication's own (alternatives OR'ed)."""
    mine: Part | None = None
    if len(own) == 1:
        mine = own[0]
    elif own:
        mine = Node(op="OR", page=own[0].page, items=list(own))
    parts = [*shared, *([mine] if mine is not None else [])]
    if not parts:
        return None
    if len(parts) == 1:
        only = parts[0]
        return only if isinstance(only, Node) else Node(op="AND", page=only.page, items=[only])
    return Node(op="AND", page=parts[0].page, items=parts)


def _prefix(text: str | None) -> str | None:
    m = re.match(r"^([^:]{3,120}):", text or "")
    return m.group(1) if m else None


def _ratio(a: str, b: str) -> float:
    return float(fuzz.token_set_ratio(a.lower(), b.lower()))


def _scoped(tree: Part | None, name: str, names: list[str]) -> Part | None:
    """A copy of a common tree without the items it scopes to other indications."""
    if tree is None:
        return None
    tree = copy.deepcopy(tree)

    def keep(part: Part) -> bool:
        pre = _prefix(part.text)
        if pre is None:
            return True
        best = max(names, key=lambda n: _ratio(pre, n))
        if _ratio(pre, best) < SETTINGS.match.row_match:
            return True
        return best == name

    def prune(part: Part) -> Part | None:
        if not keep(part):
            return None
        if isinstance(part, Node):
            part.items = [p for p in (prune(i) for i in part.items) if p is not None]
            if not part.items:
                return None
        return part

    return prune(tree)


def _own(ind: _Ind, branch: str) -> list[int]:
    """The first duration each unit of the indication prints for ``branch``."""
    out = []
    for u in ind.units:
        for d in u.months:
            where = u.branch if d.branch == "context" else d.branch
            if where == branch and d.months is not None:
                out.append(d.months)
                break
    return out


def _pooled(pool: list[tuple[Ctx, Duration]], branch: str) -> tuple[int | None, int | None]:
    """(months, page) a pool of durations gives ``branch``: one naming the branch, one
    printed in the branch ('context'), one printed for the indication; 'Same as above'
    repeats the initial duration."""
    initial: int | None = None
    for ctx, d in pool:
        where = d.branch
        if where == "context":
            where = ctx.branch
        if where == "indication":
            where = branch
        months = d.months if d.months is not None else initial
        if where == "initial" and d.months is not None and initial is None:
            initial = d.months
        if where == branch and months is not None:
            return months, d.page
    return None, None


def _authorization(ind: _Ind, reader: Reader) -> Authorization:
    named = [
        (ctx, d)
        for ctx, d in reader.durations
        if ctx.name is not None and same_indication(ctx.name, ind.name)
    ]
    policy = [(ctx, d) for ctx, d in reader.durations if ctx.name is None]
    got: dict[str, int | None] = {}
    page: int | None = None
    for branch in ("initial", "continuation"):
        own = sorted(set(_own(ind, branch)))
        if len(own) == 1:
            got[branch] = own[0]
            page = page or ind.first.page
            continue
        if len(own) > 1:
            got[branch] = None  # alternatives with durations of their own
            continue
        pool = named
        if branch == "continuation" and not ind.branch("continuation"):
            pool = [(c, d) for c, d in named if d.branch == "continuation"]  # none printed
        months, where = _pooled(pool, branch)
        if months is None:
            months, where = _pooled(policy, branch)
        got[branch] = months
        page = page or where
    return Authorization(
        initial_months=got["initial"], reauthorization_months=got["continuation"], page=page
    )
