"""Items nested into an outline by their labels, never by one producer's x positions.

A list is a run of items whose labels share a style ('1.', 'A)', 'i.', '(a)', '•') and
continue its numbering. An item continues the innermost open list of its style; an item
of a new style opens a list under the item before it; an item whose numbering resumes a
list that an unlabelled lead-in interrupted ('2.' after '1. ... AND ONE of the following
for X ONLY: a. ...') takes that lead-in into the item it interrupted. Indentation is
only ever compared between siblings, to tell a deeper list of bullets (or a restarted
numbering) from a sibling, with ``Settings.assemble.sibling_indent`` of slack.

Unlabelled text is placed by what it is: a lead-in ('Patient must have ONE of the
following:') heads the list that follows it; a lead-in starting with a connective
('AND ALL of the following:') is a sibling of the lead-in before it; a dosing lead-in
belongs to the outermost numbered item; other headings and text are kept where they
were printed, as markers the interpreter reads (indication headings, durations).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...settings import SETTINGS
from ...vocab.criteria import BRANCH_CUES, CONNECTIVES, DOSING_CUES, INDICATION_CUES
from .items import Item

__all__ = ["ONode", "build_outline", "is_lead", "label_style"]

_ROMAN = {
    "i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9,
    "x": 10, "xi": 11, "xii": 12, "xiii": 13, "xiv": 14, "xv": 15, "xvi": 16, "xvii": 17,
    "xviii": 18, "xix": 19, "xx": 20,
}  # fmt: skip
_LABEL = re.compile(r"^(\()?([A-Za-z]{1,5}|\d{1,3})([.)])?$")
Style = tuple[str, int | None]


@dataclass
class ONode:
    item: Item | None  # None: the root
    children: list[ONode] = field(default_factory=list)
    diagnoses: bool = False  # the list printed after a 'Diagnoses' row

    @property
    def text(self) -> str:
        return self.item.text if self.item else ""


@dataclass
class _Frame:
    owner: ONode
    style: str | None  # None: a lead-in's list whose first item has not come yet
    last: int | None = None
    indent: float | None = None


def label_style(label: str) -> list[Style]:
    """The styles a printed label may belong to, most likely first: 'ii.' ->
    [('roman.', 2)]; 'i.' -> [('alpha.', 9), ('roman.', 1)]; '•' -> [('bullet', None)]."""
    s = label.strip()
    if s in ("•", "o"):
        return [("bullet" if s == "•" else "o", None)]
    m = _LABEL.match(s)
    if not m:
        return [(f"other:{s}", None)]
    form = ("(" if m.group(1) else "") + (m.group(3) or "")
    core = m.group(2)
    if core.isdigit():
        return [(f"dec{form}", int(core))]
    case = "lower" if core.islower() else "upper"
    roman = _ROMAN.get(core.lower())
    if len(core) > 1:
        return [(f"roman-{case}{form}", roman)] if roman else [(f"other:{s}", None)]
    out: list[Style] = [(f"alpha-{case}{form}", ord(core.lower()) - 96)]
    if roman:
        out.append((f"roman-{case}{form}", roman))
    return out


def is_lead(item: Item) -> bool:
    """Unlabelled text that heads a list: ends with ':', names its connective or a
    branch, or is a dosing lead-in."""
    if item.label or item.kind not in ("text", "heading"):
        return False
    text = item.text.strip()
    if text.endswith(":") or text.endswith("::"):
        return True
    if any(c.strong and c.regex.search(text) for c in CONNECTIVES):
        return True
    return any(p.regex.match(text) for p in (*BRANCH_CUES, *DOSING_CUES))


def _is_dosing(item: Item) -> bool:
    return any(p.regex.match(item.text) for p in DOSING_CUES)


def _connective_start(text: str) -> bool:
    return bool(re.match(r"^\s*(?:AND|OR)\b", text))


class _Builder:
    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.root = ONode(item=None)
        self.stack: list[_Frame] = [_Frame(owner=self.root, style=None)]
        self.closed: list[_Frame] = []
        self.tol = SETTINGS.assemble.sibling_indent

    # --------------------------------------------------------------- frames

    def _pop_to(self, k: int) -> None:
        while len(self.stack) > k + 1:
            self.closed.append(self.stack.pop())

    def _append(self, frame: _Frame, node: ONode) -> None:
        frame.owner.children.append(node)

    def _last_node(self, frame: _Frame) -> ONode:
        labelled = [
            c
            for c in frame.owner.children
            if c.item and (c.item.label or c.item.sub or is_lead(c.item))
        ]
        return labelled[-1] if labelled else frame.owner

    def _deeper(self, item: Item, frame: _Frame) -> bool:
        return (
            item.indent is not None
            and frame.indent is not None
            and item.indent > frame.indent + self.tol
        )

    # --------------------------------------------------------------- labelled items

    def labelled(self, item: Item, styles: list[Style]) -> None:
        node = ONode(item=item)
        starts = any(o in (None, 1) for _, o in styles)
        if starts and self._adopt(item, node, styles):
            return  # the first item of a lead-in's list
        if self._continue(item, node, styles) or self._adopt(item, node, styles):
            return
        if self._resume(item, node, styles):
            return
        top = self.stack[-1]
        kids = top.owner.children
        after_heading = bool(kids) and _is_marker_heading(kids[-1])
        parent = self._last_node(top) if kids and not after_heading else top.owner
        style, ordinal = styles[-1] if len(styles) > 1 and styles[-1][1] == 1 else styles[0]
        frame = _Frame(owner=parent, style=style, last=ordinal, indent=item.indent)
        self.stack.append(frame)
        self._append(frame, node)

    def _continue(self, item: Item, node: ONode, styles: list[Style]) -> bool:
        for k in range(len(self.stack) - 1, -1, -1):
            f = self.stack[k]
            for style, ordinal in styles:
                if f.style != style:
                    continue
                if ordinal is None and self._deeper(item, f):
                    return False  # bullets: siblings unless printed deeper
                if ordinal is not None and not self._follows(item, f, ordinal):
                    continue
                self._pop_to(k)
                f.last, f.indent = ordinal, item.indent if item.indent is not None else f.indent
                self._append(f, node)
                return True
        return False

    @staticmethod
    def _follows(item: Item, f: _Frame, ordinal: int) -> bool:
        """Does the label continue (or repeat) the list's numbering? A section title may
        skip numbers: the sections left out of the criteria region."""
        if f.last is None:
            return False
        return ordinal in (f.last, f.last + 1) or (item.title and ordinal > f.last)

    def _adopt(self, item: Item, node: ONode, styles: list[Style]) -> bool:
        top = self.stack[-1]
        if top.style is not None:
            return False
        style, ordinal = styles[-1] if len(styles) > 1 and styles[-1][1] == 1 else styles[0]
        top.style, top.last, top.indent = style, ordinal, item.indent
        self._append(top, node)
        return True

    def _resume(self, item: Item, node: ONode, styles: list[Style]) -> bool:
        """A numbering resumed after an interruption: the interrupting nodes move into
        the last item of the resumed list."""
        for f in reversed(self.closed):
            match = [o for s, o in styles if s == f.style and o is not None and f.last is not None]
            if not match or match[0] != (f.last or 0) + 1:
                continue
            k = self._frame_holding(f.owner)
            if k is None:
                return False
            siblings = self.stack[k].owner.children
            pos = siblings.index(f.owner)
            if any(c.item and c.item.label for c in siblings[pos + 1 :]):
                continue  # a sibling list went on: the numbering is a new list's
            self._pop_to(k)
            moved, siblings[pos + 1 :] = siblings[pos + 1 :], []
            last = [c for c in f.owner.children if c.item and c.item.label]
            if last:
                last[-1].children.extend(moved)
            self.closed.remove(f)
            self.stack.append(f)
            f.last = match[0]
            self._append(f, node)
            return True
        return False

    def _frame_holding(self, node: ONode) -> int | None:
        for k in range(len(self.stack) - 1, -1, -1):
            if node in self.stack[k].owner.children:
                return k
        return None

    # --------------------------------------------------------------- unlabelled text

    def lead(self, item: Item, index: int) -> None:
        if self._merge_into_heading(item):
            return
        if item.title:
            self._pop_to(0)
        node = ONode(item=item)
        k = self._lead_frame(item, index)
        self._pop_to(k)
        self._append(self.stack[k], node)
        self.stack.append(_Frame(owner=node, style=None))

    def _lead_frame(self, item: Item, index: int) -> int:
        if _is_dosing(item):
            outer = next((k for k, f in enumerate(self.stack) if f.style), None)
            if outer is not None and self.stack[outer].owner.children:
                last = self._last_node(self.stack[outer])
                return self._open_under(last, outer)
        if not _connective_start(item.text):
            nxt = self._next_styles(index)
            for k in range(len(self.stack) - 1, -1, -1):
                f = self.stack[k]
                if any(s == f.style and o == 1 for s, o in nxt):
                    owner_lead = f.owner.item is not None and is_lead(f.owner.item)
                    if owner_lead and (j := self._frame_holding(f.owner)) is not None:
                        return j
                    return k
        recent = self._recent_lead_frame()
        return recent if recent is not None else self._default_frame()

    def _open_under(self, node: ONode, k: int) -> int:
        """Index of a frame holding ``node``'s children (opened when it has none)."""
        for j in range(k + 1, len(self.stack)):
            if self.stack[j].owner is node:
                return j
        self._pop_to(k)
        self.stack.append(_Frame(owner=node, style="lead-holder"))
        return len(self.stack) - 1

    def _recent_lead_frame(self, headings: bool = False) -> int | None:
        """The innermost frame holding a lead-in (or, with ``headings``, an unlabelled
        heading): where the next one of its rank goes."""
        for k in range(len(self.stack) - 1, -1, -1):
            for c in self.stack[k].owner.children:
                it = c.item
                if it is None or it.label:
                    continue
                if is_lead(it) or (headings and it.kind == "heading"):
                    return k
        return None

    def _default_frame(self) -> int:
        """A lead-in after a labelled heading that heads nothing yet opens its list;
        otherwise it is a sibling in the innermost list."""
        top = len(self.stack) - 1
        kids = self.stack[top].owner.children
        last = kids[-1] if kids else None
        if last and last.item and last.item.label and last.item.kind == "heading":
            return self._open_under(last, top)
        return top

    def _next_styles(self, index: int) -> list[Style]:
        for it in self.items[index + 1 :]:
            if it.label:
                return label_style(it.label)
            if is_lead(it):
                return []
        return []

    def _merge_into_heading(self, item: Item) -> bool:
        """Text printed after a labelled heading that continues its line ('A. Acute
        Lymphoblastic Leukemia' + '(must meet all):', '10. X.' + 'Approve for ...')."""
        kids = self.stack[-1].owner.children
        prev = kids[-1].item if kids and not kids[-1].children else None
        if prev is None or not prev.label or prev.kind != "heading":
            return False
        joined = f"{prev.text} {item.text}"
        cue = INDICATION_CUES[0].regex.match(joined)
        named = cue is not None and cue.group(1).startswith(prev.text.rstrip(". "))
        if not (item.text.startswith("(") or named):
            return False
        prev.text = joined
        prev.kind = "item" if named else prev.kind
        prev.blocks.extend(item.blocks)
        prev.notes.extend(item.notes)
        return True

    def _body_of_heading(self, item: Item) -> bool:
        """Text printed under a labelled heading that heads nothing else ('1. Concurrent
        Use with a Biologic.' + its explanation) is that heading's note."""
        kids = self.stack[-1].owner.children
        prev = kids[-1].item if kids and not kids[-1].children else None
        if prev is None or not prev.label or prev.kind != "heading" or prev.hint:
            return False
        if item.kind != "text":
            return False
        prev.notes.append(item.text)
        prev.blocks.extend(item.blocks)
        return True

    def marker(self, item: Item) -> None:
        """Headings and text that head no list: kept where they were printed."""
        if self._merge_into_heading(item) or self._body_of_heading(item):
            return
        if item.title:
            self._pop_to(0)  # a section title ends every list of the section before
        elif not item.label:
            k = self._recent_lead_frame(headings=True)
            if k is not None:
                self._pop_to(k)
        self._append(self.stack[-1], ONode(item=item))

    def sibling(self, item: Item) -> None:
        """A piece split off the item before it ('x; AND y'): its sibling."""
        self._append(self.stack[-1], ONode(item=item))


def _is_marker_heading(n: ONode) -> bool:
    """An unlabelled heading that heads no list (an indication or group heading)."""
    it = n.item
    return it is not None and it.kind == "heading" and not it.label and not n.children


def build_outline(items: list[Item]) -> ONode:
    """The outline of the criteria region (see the module docstring)."""
    b = _Builder(items)
    for i, it in enumerate(items):
        if it.split:
            b.sibling(it)
        elif it.label:
            b.labelled(it, label_style(it.label))
        elif it.sub:
            b.labelled(it, [(f"sub:{it.parent}" if it.parent else "o", None)])
        elif is_lead(it):
            b.lead(it, i)
        else:
            b.marker(it)
    return b.root
