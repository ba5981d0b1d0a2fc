"""The PDFium text and drawing layer of one page, as plain data.

PDFium (``pypdfium2``) reads the characters (text, font, size, box) and the painted
paths of a page; this module turns them into the plain dictionaries pdfplumber's own
layout helpers work on (``pdfplumber.utils.text`` for text lines, ``pdfplumber.table``
for ruled tables), so the reader keeps pdfplumber's line and table algorithms while
PDFium does the parsing (about ten times faster than pdfminer's Python interpreter).

What is matched to pdfminer (so the layout helpers decide as they did before):
- a character's box: from its origin, advance width and the font's descent, through
  the character's matrix, as pdfminer's ``LTChar`` computes it; ``upright`` likewise;
- word spaces: PDFium keeps most spaces printed in the file and generates others where
  it finds a gap; where it drops a printed space (a space in another font overlapping
  the previous glyph) the gap left behind, :data:`~policy_tools.settings.PdfSettings`
  ``space_gap`` of the font size or more, is a space again;
- paths: split into subpaths at each move-to; a two-point subpath is a line, a closed
  axis-aligned four-point one a rectangle, anything else a curve (pdfminer's
  ``paint_path``); their edges as pdfplumber derives them.

Coordinates are PDF points with the origin at the top left of the page as displayed
(page rotation applied), which is what pdfplumber uses for a page at the origin.

Glyphs without a Unicode mapping are never passed on as placeholders (pdfminer wrote
"(cid:127)"): a glyph of a symbol font, or with a code symbol fonts give bullets, becomes
"•", which the block builder reads as a list label; any other unmapped glyph is dropped
and counted. Control characters (C0/C1, bidi embeddings, overrides and isolates) never
enter the text either.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pypdfium2_raw.bindings as pdfium_bindings

from ...settings import SETTINGS
from .pdf_streams import base_font

__all__ = ["PageLayer", "TooBig", "read_layer"]

_S = SETTINGS.pdf
Matrix = tuple[float, float, float, float, float, float]
Obj = dict[str, Any]
Descents = dict[str, float] | None  # font name (no subset tag) -> descent per unit size

BULLET = "•"
_SYMBOL_FONTS = ("symbol", "dingbat", "wingding", "webding")
# codes an unmapped glyph of any font has where it is drawn as a bullet (reportlab: 127)
_BULLET_CODES = {0x7F, 0x95, 0xB7}


class TooBig(Exception):
    """A page is over a budget; ``what`` names it, ``value`` and ``limit`` say by how much."""

    def __init__(self, what: str, value: int, limit: int) -> None:
        self.what, self.value, self.limit = what, value, limit
        super().__init__(f"{what} {value:,} over the limit of {limit:,}")


@dataclass
class PageLayer:
    """What the reader needs of one page: its size, characters and ruling edges."""

    number: int
    width: float
    height: float
    chars: list[Obj] = field(default_factory=list)
    edges: list[Obj] = field(default_factory=list)
    unmapped: int = 0  # glyphs without a Unicode mapping that were dropped
    bullets: int = 0  # unmapped symbol glyphs read as a bullet
    controls: int = 0  # control characters (C0/C1, bidi controls) left out of the text

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (0.0, 0.0, self.width, self.height)


# ------------------------------------------------------------------ geometry


@dataclass(frozen=True)
class _Frame:
    """User space -> pdfminer's y-up page space of the displayed (rotated) page."""

    m: Matrix  # user (x, y) -> (X, Y), Y up
    height: float

    def point(self, x: float, y: float) -> tuple[float, float]:
        a, b, c, d, e, f = self.m
        return a * x + c * y + e, b * x + d * y + f


def _frame(page: Any) -> tuple[_Frame, float, float]:
    x0, y0, x1, y1 = page.get_mediabox()
    w, h = abs(x1 - x0), abs(y1 - y0)
    rot = page.get_rotation() % 360
    frames: dict[int, tuple[Matrix, float, float]] = {
        0: ((1, 0, 0, 1, -x0, -y0), w, h),
        90: ((0, -1, 1, 0, -y0, x1), h, w),
        180: ((-1, 0, 0, -1, x1, y1), w, h),
        270: ((0, 1, -1, 0, y1, -x0), h, w),
    }
    m, width, height = frames.get(rot, frames[0])
    return _Frame(m, height), width, height


def _mul(m1: Matrix, m2: Matrix) -> Matrix:
    """m1 then m2 (PDF row-vector convention)."""
    a1, b1, c1, d1, e1, f1 = m1
    a2, b2, c2, d2, e2, f2 = m2
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


# ---------------------------------------------------------------- characters


def _raw(name: str, restype: Any) -> Any:
    """PDFium's ``name`` without argument conversion, or None where it is not at hand.

    The character loop calls a handful of functions once per character; the binding's
    own versions check and convert every argument (about 0.6 us a call, 4x the bare
    call). These are fresh function objects taking the text page as a ``c_void_p``, the
    index as a C int and pointers by ``byref``; the binding's functions are untouched.
    """
    libs = getattr(pdfium_bindings, "_libs", None)
    lib = libs.get("pdfium") if isinstance(libs, dict) else None
    if lib is None:
        return None
    fn = lib[name]  # a fresh function object: its own argtypes and restype
    fn.argtypes = None
    fn.restype = restype
    return fn


class _TextCalls:
    """The per-character PDFium calls of one text page, each bound to the page.

    ``origin(i)`` writes character i's origin into the ``x`` and ``y`` it was made with;
    ``address(i)`` is the address of its text object as an int (0 or None: none).
    """

    def __init__(self, textpage: Any, x: ctypes.c_double, y: ctypes.c_double) -> None:
        fast = [_raw(name, restype) for name, restype in _FAST]
        bind = functools.partial
        if all(fn is not None for fn in fast):
            handle = ctypes.cast(textpage, ctypes.c_void_p)
            self.unicode, self.generated, self.map_error, self.address = (
                bind(fn, handle) for fn in fast[:4]
            )
            get_origin, px, py = fast[4], ctypes.byref(x), ctypes.byref(y)

            def origin(index: int) -> None:
                get_origin(handle, index, px, py)

            self.origin = origin
        else:  # the binding's own functions (no library handle exposed)
            self.unicode = bind(pdfium_c.FPDFText_GetUnicode, textpage)
            self.generated = bind(pdfium_c.FPDFText_IsGenerated, textpage)
            self.map_error = bind(pdfium_c.FPDFText_HasUnicodeMapError, textpage)
            self.address = bind(_address_via_binding, textpage)
            self.origin = bind(_origin_via_binding, textpage, x, y)


_FAST = (
    ("FPDFText_GetUnicode", ctypes.c_uint),
    ("FPDFText_IsGenerated", ctypes.c_int),
    ("FPDFText_HasUnicodeMapError", ctypes.c_int),
    ("FPDFText_GetTextObject", ctypes.c_void_p),
    ("FPDFText_GetCharOrigin", ctypes.c_int),
)


def _origin_via_binding(textpage: Any, x: Any, y: Any, index: int) -> None:
    pdfium_c.FPDFText_GetCharOrigin(textpage, index, x, y)


def _address_via_binding(textpage: Any, index: int) -> int | None:
    pointer = pdfium_c.FPDFText_GetTextObject(textpage, index)
    return ctypes.cast(pointer, ctypes.c_void_p).value


@dataclass
class _Font:
    name: str
    descent: float  # per unit of font size
    symbolic: bool
    widths: dict[int, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class _Run:
    """One text object of the page: what its characters share."""

    key: int
    handle: Any
    matrix: Matrix
    size: float
    font: _Font
    upright: bool
    plain: bool  # no skew, no rotation: a character's box needs two corners only


class _CharReader:
    """Reads the characters of one text page; caches per text object and font."""

    def __init__(self, textpage: Any, frame: _Frame, descents: Descents) -> None:
        self.tp = textpage
        self.frame = frame
        self.descents = descents
        self.fonts: dict[int, _Font] = {}
        self.objects: dict[int, _Run] = {}
        self._x, self._y = ctypes.c_double(), ctypes.c_double()
        self.calls = _TextCalls(textpage, self._x, self._y)
        self._m = pdfium_c.FS_MATRIX()
        self._f = ctypes.c_float()
        self.unmapped = 0
        self.bullets = 0
        self.controls = 0

    def font(self, handle: Any) -> _Font:
        key = ctypes.cast(handle, ctypes.c_void_p).value or 0
        got = self.fonts.get(key)
        if got is None:
            buf = ctypes.create_string_buffer(256)
            pdfium_c.FPDFFont_GetBaseFontName(handle, buf, 256)
            name = base_font(buf.value.decode("latin-1")) or "unknown"
            symbolic = any(s in name.lower() for s in _SYMBOL_FONTS)
            got = self.fonts[key] = _Font(name, self.descent(handle, name), symbolic)
        return got

    def descent(self, handle: Any, name: str) -> float:
        """The font's descent per unit of size, as pdfminer reads it where it can."""
        if self.descents is not None:
            return self.descents.get(name, 0.0)
        pdfium_c.FPDFFont_GetDescent(handle, ctypes.c_float(1.0), ctypes.byref(self._f))
        return min(self._f.value, 0.0)

    def text_object(self, index: int, key: int) -> _Run:
        """The text object (run) at address ``key`` of character ``index``: matrix, size,
        font; cached."""
        got = self.objects.get(key)
        if got is None:
            obj = ctypes.cast(key, pdfium_c.FPDF_PAGEOBJECT)
            m = self._m
            pdfium_c.FPDFText_GetMatrix(self.tp, index, m)
            matrix: Matrix = (m.a, m.b, m.c, m.d, 0.0, 0.0)
            fa, fb, fc, fd, _, _ = _mul(matrix, self.frame.m)
            font = self.font(pdfium_c.FPDFTextObj_GetFont(obj))
            got = self.objects[key] = _Run(
                key=key,
                handle=obj,
                matrix=matrix,
                size=pdfium_c.FPDFText_GetFontSize(self.tp, index),
                font=font,
                upright=fa * fd > 0 and fb * fc <= 0,
                plain=m.b == 0 and m.c == 0 and self.frame.m[:4] == (1, 0, 0, 1),
            )
        return got

    def width(self, run: _Run, code: int) -> float | None:
        """The glyph's advance width per unit of size (None: the font has no such glyph)."""
        widths = run.font.widths
        if code not in widths:
            ok = pdfium_c.FPDFFont_GetGlyphWidth(
                pdfium_c.FPDFTextObj_GetFont(run.handle),
                code,
                ctypes.c_float(1.0),
                ctypes.byref(self._f),
            )
            # a zero width for a printed glyph means PDFium found no such glyph either
            widths[code] = self._f.value if ok and (self._f.value or code == 0x20) else None
        return widths[code]

    def advance(self, i: int, text: str, run: _Run) -> tuple[str, float]:
        """The character's text and advance width in text space (pdfminer's ``adv``).

        PDFium names the glyph "hyphen" U+2010 where pdfminer (and the Adobe glyph list)
        read "-": the font then knows no U+2010 glyph, and the character is its "-".
        """
        width = self.width(run, ord(text[0]))
        if width is None and text == "\u2010":
            width = self.width(run, 0x2D)
            text = "-" if width is not None else text
        if width is None:  # no reverse map: PDFium's box of the glyph says how wide it is
            box = pdfium_c.FS_RECTF()
            pdfium_c.FPDFText_GetLooseCharBox(self.tp, i, box)
            scale = run.matrix[0] or 1.0
            return text, (box.right - self._x.value) / scale
        return text, width * run.size

    def char(self, i: int, text: str, code: int, run: _Run) -> Obj:
        self.calls.origin(i)
        ox, oy = self._x.value, self._y.value
        width = run.font.widths.get(ord(text[0]))
        if width is None:  # not looked up yet, or no such glyph
            text, adv = self.advance(i, text, run)
        else:  # a glyph seen before: what ``advance`` returns for it
            adv = width * run.size
        size = run.size
        lo, hi = run.font.descent * size, run.font.descent * size + size
        a, b, c, d, _, _ = run.matrix
        frame = self.frame
        if run.plain:  # no skew or rotation: the box is two corners
            ex, ey = frame.m[4], frame.m[5]
            xa, xb = ox + ex, ox + a * adv + ex
            ya, yb = oy + d * lo + ey, oy + d * hi + ey
            x0, x1 = (xa, xb) if xa <= xb else (xb, xa)
            y0, y1 = (ya, yb) if ya <= yb else (yb, ya)
        else:
            xs, ys = [], []
            for tx, ty in ((0.0, lo), (adv, lo), (0.0, hi), (adv, hi)):
                px, py = frame.point(ox + a * tx + c * ty, oy + b * tx + d * ty)
                xs.append(px)
                ys.append(py)
            x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        top, bottom = frame.height - y1, frame.height - y0
        return {
            "text": text,
            "x0": x0,
            "x1": x1,
            "top": top,
            "bottom": bottom,
            "doctop": top,
            "size": bottom - top,
            "fontname": run.font.name,
            "upright": run.upright,
        }

    def read(self, limit: int) -> list[Obj]:
        """Every printed character (word spaces included), in PDFium's reading order."""
        n = pdfium_c.FPDFText_CountChars(self.tp)
        unicode, generated = self.calls.unicode, self.calls.generated
        address, map_error, objects = self.calls.address, self.calls.map_error, self.objects
        if n > limit:
            raise TooBig("characters on the page", n, limit)
        out: list[Obj] = []
        last: tuple[float, float, int] | None = None  # origin and text object of out[-1]
        for i in range(n):
            code = unicode(i)
            if code in (0x0D, 0x0A):  # line breaks PDFium adds
                continue
            if generated(i):
                if code == 0x20 and out and out[-1]["text"] != " ":
                    out.append(_space_after(out[-1]))
                    last = None
                continue
            key = address(i)
            if not key:
                continue
            run = objects.get(key) or self.text_object(i, key)
            # printable ASCII with a Unicode mapping is itself (``text_of``, quicker)
            text = chr(code) if 0x20 <= code < 0x7F and not map_error(i) else None
            if text is None:
                text = self.text_of(i, code, run)
            if text is None:
                continue
            ch = self.char(i, text, code, run)
            here = (self._x.value, self._y.value, run.key)
            if last == here and out and not text.isspace():
                self.ligature(out[-1], i, text)  # a ligature's letters share one glyph
                continue
            out.append(ch)
            last = here
        return _restore_spaces(out)

    def ligature(self, first: Obj, index: int, text: str) -> None:
        """Join a ligature's next letter to its first (pdfminer: one character, 'fi')."""
        box = pdfium_c.FS_RECTF()
        pdfium_c.FPDFText_GetLooseCharBox(self.tp, index, box)
        first["text"] += text
        first["x1"] = max(first["x1"], box.right)

    def text_of(self, i: int, code: int, run: _Run) -> str | None:
        """The character's text; an unmapped glyph becomes a bullet or is dropped.

        A glyph without a Unicode mapping comes with its bare character code: in a
        symbol font, or with a code symbol fonts use for bullets, it is a list bullet;
        otherwise it is dropped (and counted). Control characters never enter the text.
        """
        if code == 0x02:  # PDFium's mark for a hyphen at a line end
            return "-"
        if code == 0x09:
            return " "
        if self.calls.map_error(i):
            if run.font.symbolic or code & 0xFF in _BULLET_CODES:
                self.bullets += 1
                return BULLET
            self.unmapped += 1
            return None
        if code < 0x20 or 0x7F <= code <= 0x9F or 0x202A <= code <= 0x202E:
            self.controls += 1
            return None
        if 0x2066 <= code <= 0x2069 or 0xD800 <= code <= 0xDFFF:
            self.controls += 1  # bidi isolates; lone surrogates cannot be text
            return None
        return chr(code)


def _space_after(prev: Obj) -> Obj:
    """A word space after ``prev``; placed against the next character by _restore_spaces."""
    return {**prev, "text": " ", "x0": prev["x1"], "placed": False}


def _restore_spaces(chars: list[Obj]) -> list[Obj]:
    """A printed space PDFium dropped leaves a gap of a space's width: put it back.

    PDFium's own generated spaces carry no position; each such space goes between the
    characters it parts (so it sorts between them even where letters overlap).
    """
    out: list[Obj] = []
    for ch in chars:
        prev = out[-1] if out else None
        if prev is not None and ch["text"] != " ":
            if prev.get("placed") is False and len(out) > 1:
                before = out[-2]
                if before["upright"] and before["x0"] <= ch["x0"]:
                    x = max(before["x0"], min(before["x1"], ch["x0"]))  # between the two
                    out[-1] = {**before, "text": " ", "x0": x, "x1": x}
                else:  # rotated or right-to-left: the space shares the box it follows
                    out[-1] = {**before, "text": " "}
            elif prev["text"] != " ":
                gap = ch["x0"] - prev["x1"]
                size = max(prev["size"], ch["size"])
                same_line = abs(ch["top"] - prev["top"]) < 0.5 * prev["size"]
                if same_line and prev["upright"] and _S.space_gap * size <= gap <= _S.word_gap:
                    x = prev["x1"]
                    out.append({**prev, "text": " ", "x0": x, "x1": x})
        out.append(ch)
    if out and out[-1].get("placed") is False:
        out[-1] = {k: v for k, v in out[-1].items() if k != "placed"}
    return out


# --------------------------------------------------------------------- paths


def _objects(page: Any, limit: int) -> Iterator[tuple[Any, Matrix]]:
    """Every page object, form XObjects opened, with its matrix to user space."""
    count = 0
    stack: list[tuple[Any, int, Matrix, bool]] = [(page.raw, 0, (1, 0, 0, 1, 0, 0), False)]
    m = pdfium_c.FS_MATRIX()
    while stack:
        parent, index, outer, is_form = stack.pop()
        total = (
            pdfium_c.FPDFFormObj_CountObjects(parent)
            if is_form
            else pdfium_c.FPDFPage_CountObjects(parent)
        )
        if index >= total:
            continue
        stack.append((parent, index + 1, outer, is_form))
        obj = (
            pdfium_c.FPDFFormObj_GetObject(parent, index)
            if is_form
            else pdfium_c.FPDFPage_GetObject(parent, index)
        )
        count += 1
        if count > limit:
            raise TooBig("layout objects on the page", count, limit)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        pdfium_c.FPDFPageObj_GetMatrix(obj, m)
        own: Matrix = (m.a, m.b, m.c, m.d, m.e, m.f)
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            stack.append((obj, 0, _mul(own, outer), True))
        elif kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            yield obj, _mul(own, outer)


class _Pointer(ctypes.c_void_p):
    """A pointer result kept as a ctypes object (a bare ``c_void_p`` result is an int,
    which a call without argument conversion would pass as a 32-bit C int)."""


@dataclass(frozen=True)
class _PathCalls:
    """The per-segment PDFium calls: bare where the library is at hand (see ``_raw``)."""

    segment: Any
    point: Any
    kind: Any
    closes: Any


def _path_calls() -> _PathCalls:
    bare = [
        _raw("FPDFPath_GetPathSegment", _Pointer),
        _raw("FPDFPathSegment_GetPoint", ctypes.c_int),
        _raw("FPDFPathSegment_GetType", ctypes.c_int),
        _raw("FPDFPathSegment_GetClose", ctypes.c_int),
    ]
    if all(fn is not None for fn in bare):
        return _PathCalls(*bare)
    return _PathCalls(
        pdfium_c.FPDFPath_GetPathSegment,
        pdfium_c.FPDFPathSegment_GetPoint,
        pdfium_c.FPDFPathSegment_GetType,
        pdfium_c.FPDFPathSegment_GetClose,
    )


def _path_ops(
    obj: Any, matrix: Matrix, frame: _Frame, calls: _PathCalls
) -> list[tuple[str, float, float]]:
    """A path object as pdfminer's operators: m, l, c (end point only), h."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDFPath_GetDrawMode(obj, ctypes.byref(fill), ctypes.byref(stroke))
    if not fill.value and not stroke.value:
        return []  # a path only clipping ("W n") is not painted
    x, y = ctypes.c_float(), ctypes.c_float()
    px_, py_ = ctypes.byref(x), ctypes.byref(y)
    ops: list[tuple[str, float, float]] = []
    pending_curve = 0
    a, b, c, d, e, f = matrix
    start: tuple[float, float] | None = None
    for i in range(pdfium_c.FPDFPath_CountSegments(obj)):
        seg = calls.segment(obj, i)
        calls.point(seg, px_, py_)
        px, py = frame.point(a * x.value + c * y.value + e, b * x.value + d * y.value + f)
        kind = calls.kind(seg)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            ops.append(("m", px, py))
            start = (px, py)
        elif kind == pdfium_c.FPDF_SEGMENT_LINETO:
            ops.append(("l", px, py))
        else:  # a Bezier curve is three segments: two control points, then its end
            pending_curve += 1
            if pending_curve == 3:
                ops.append(("c", px, py))
                pending_curve = 0
        if calls.closes(seg) and start is not None:
            ops.append(("h", *start))
    return ops


def _subpaths(ops: list[tuple[str, float, float]]) -> Iterator[list[tuple[str, float, float]]]:
    current: list[tuple[str, float, float]] = []
    for op in ops:
        if op[0] == "m" and current:
            yield current
            current = []
        current.append(op)
    if current and current[0][0] == "m":
        yield current


def _shape_edges(path: list[tuple[str, float, float]], height: float) -> list[Obj]:
    """One subpath as pdfminer classifies it (line, rect or curve), as pdfplumber edges."""
    shape = "".join(op[0] for op in path)
    pts = [(px, py) for _, px, py in path]
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"
        pts.pop()
    if shape in ("mlh", "ml"):
        return [_line_edge(pts[0], pts[1], height)]
    if shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (
            y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0
        )
        if pts[0] == pts[4] and square:
            return _rect_edges(pts[0], pts[2], height)
    return [_segment_edge(p, q, height) for p, q in itertools.pairwise(pts)]


def _line_edge(p: tuple[float, float], q: tuple[float, float], height: float) -> Obj:
    x0, x1 = min(p[0], q[0]), max(p[0], q[0])
    top, bottom = height - max(p[1], q[1]), height - min(p[1], q[1])
    return {
        "object_type": "line",
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "doctop": top,
        "width": x1 - x0,
        "height": bottom - top,
        "orientation": "h" if top == bottom else "v",
    }


def _rect_edges(p: tuple[float, float], q: tuple[float, float], height: float) -> list[Obj]:
    x0, x1 = min(p[0], q[0]), max(p[0], q[0])
    top, bottom = height - max(p[1], q[1]), height - min(p[1], q[1])
    base = {"object_type": "rect_edge", "x0": x0, "x1": x1, "top": top, "bottom": bottom}
    w, h = x1 - x0, bottom - top
    return [
        {**base, "bottom": top, "doctop": top, "width": w, "height": 0, "orientation": "h"},
        {**base, "top": bottom, "doctop": bottom, "width": w, "height": 0, "orientation": "h"},
        {**base, "x1": x0, "doctop": top, "width": 0, "height": h, "orientation": "v"},
        {**base, "x0": x1, "doctop": top, "width": 0, "height": h, "orientation": "v"},
    ]


def _segment_edge(p: tuple[float, float], q: tuple[float, float], height: float) -> Obj:
    top, bottom = height - max(p[1], q[1]), height - min(p[1], q[1])
    x0, x1 = min(p[0], q[0]), max(p[0], q[0])
    orient = "v" if p[0] == q[0] else ("h" if p[1] == q[1] else None)
    return {
        "object_type": "curve_edge",
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "doctop": top,
        "width": abs(p[0] - q[0]),
        "height": abs(p[1] - q[1]),
        "orientation": orient,
    }


def _edges(page: Any, frame: _Frame, limit: int) -> list[Obj]:
    """Ruling edges in pdfplumber's order: lines, then rectangle edges, then curves."""
    lines: list[Obj] = []
    rects: list[Obj] = []
    curves: list[Obj] = []
    calls = _path_calls()
    for obj, matrix in _objects(page, limit):
        for path in _subpaths(_path_ops(obj, matrix, frame, calls)):
            for edge in _shape_edges(path, frame.height):
                kind = edge["object_type"]
                (lines if kind == "line" else rects if kind == "rect_edge" else curves).append(edge)
    return lines + rects + curves


# ---------------------------------------------------------------------- page


def read_layer(
    doc: pdfium.PdfDocument, index: int, max_chars: int, max_objects: int, descents: Descents
) -> PageLayer:
    """Read page ``index`` (0-based) and release it before returning."""
    page = doc[index]
    try:
        frame, width, height = _frame(page)
        if not (math.isfinite(width) and math.isfinite(height)) or width <= 0 or height <= 0:
            raise ValueError(f"page {index + 1} has an empty or invalid MediaBox")
        layer = PageLayer(number=index + 1, width=width, height=height)
        layer.edges = _edges(page, frame, max_objects)
        textpage = page.get_textpage()
        try:
            reader = _CharReader(textpage.raw, frame, descents)
            layer.chars = reader.read(max_chars)
            layer.unmapped, layer.bullets = reader.unmapped, reader.bullets
            layer.controls = reader.controls
        finally:
            textpage.close()
        return layer
    finally:
        page.close()
