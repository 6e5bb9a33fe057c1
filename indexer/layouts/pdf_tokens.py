"""Tokens and logical lines of PDF-extracted table text (the `pdftext` and `aligned` layouts).

A line that ends without a space is a cell wrapped mid-word and is glued to the next line
(when the extraction marks finished cells with a trailing space). The whole table body can
then be read as one stream of tokens; the whitespace before a token tells how many empty
cells were skipped (a run of ``1 + 2k`` spaces = ``k`` empty cells).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ..lexicon import load, longest_first
from ..numbers import parse_number, parse_quantity
from .cells import amount, is_page_furniture, signed_number

LEX = load("table_headers.json")
TOTAL_WORDS = set(LEX["total_words"])
ROW_LABELS = set(LEX["row_labels"])
NON_VALUE_HEADERS = set(LEX["non_value_headers"])
UNIT_WORDS = set(LEX["quantity_units"])


W_SPACING = 0.25  # per skipped-cell of disagreement (pdftext)
W_POSITION = 1.5  # per column of distance (aligned)
MAX_CANDIDATES = 5000

INT_RE = re.compile(r"^\d+$")
FUNCTION_CODE_LENGTHS = (3, 5, 7)
ECONOMIC_CODE_LENGTHS = (3, 5)
_LINES = LEX["pdftext_lines"]
FORMULA_LINE_RE = re.compile(_LINES["formula_line_pattern"])
FORMULA_ITEM_RE = re.compile(_LINES["formula_item_pattern"])
FORMULA_COLUMN, FORMULA_ROW = _LINES["formula_kinds"]["column"], _LINES["formula_kinds"]["row"]
NO_DATA_RE = re.compile(_LINES["no_data_pattern"])
FURNITURE_RE = re.compile(_LINES["furniture_pattern"])
LANCI_LABEL = LEX["lanci_label"]
PLACEHOLDER_COLUMN = LEX["placeholder_column"]
AB_MARK_RE = re.compile(r"[（(][A-Za-z][A-Za-z/×*＋+\-－]*[）)]")
UNIT_RE = re.compile(_LINES["unit_pattern"])


@dataclass
class Tok:
    text: str
    line: int
    line_end: int
    start: int  # character offset in its first physical line
    ws_before: int = 0  # whitespace before the token (across line breaks in a stream)
    ws_after: int = 0

    @property
    def kind(self) -> str:
        return token_kind(self.text)


def token_kind(text: str) -> str:
    if INT_RE.match(text):
        return "int"
    if parse_number(text) is not None or signed_number(text) is not None:
        return "num"
    q = parse_quantity(text)
    if q is not None and (q[1] or q[2]):
        return "qty"
    return "text"


def is_value(tok: Tok) -> bool:
    return tok.kind in ("int", "num", "qty")


def value_of(text: str) -> tuple[Optional[float], Optional[str]]:
    v, unit = amount(text)
    if v is not None:
        return v, unit
    q = parse_quantity(text)
    if q is not None:
        return q[0], q[1]
    return None, None


def skip(ws: int) -> int:
    """Empty cells implied by a run of whitespace (1 space = adjacent, 3 = one empty...)."""
    return max(0, (ws - 1) // 2)


def split_physical(num: int, raw: str) -> tuple[list[Tok], int, int]:
    """Tokens of one physical line, its leading and trailing whitespace."""
    toks: list[Tok] = []
    prev_end = 0
    for m in re.finditer(r"\S+", raw):
        gap = m.start() - prev_end
        text = m.group()
        prev = toks[-1] if toks else None
        # "21900000 元", "≥ 95%": a unit or comparator split off by one space
        if prev is not None and gap <= 1 and (
            (text in UNIT_WORDS and prev.kind in ("int", "num", "qty") and not (parse_quantity(prev.text) or (0, None))[1])
            or (prev.text in ("≥", "≤", ">", "<", "＞", "＜") and token_kind(text) != "text")
        ):
            prev.text += " " * gap + text
        else:
            toks.append(Tok(text, num, num, m.start(), ws_before=gap))
        prev_end = m.end()
    lead = len(raw) - len(raw.lstrip())
    trail = len(raw) - len(raw.rstrip())
    return toks, lead, trail


@dataclass
class LLine:
    """A logical line: physical lines glued where a cell text wrapped mid-word."""

    toks: list[Tok]
    raw: str
    line_start: int
    line_end: int
    lead: int
    trail: int
    kind: str = "content"  # ws | note | formula | nodata | unit | furniture | lanci | colnums | sentence | content

    @property
    def compact(self) -> str:
        return re.sub(r"\s+", "", self.raw)


def trailing_space_convention(lines: list[tuple[int, str]]) -> bool:
    """True when finished cells end their line with a space (so a line without one is a
    cell wrapped mid-word); other extractions must not glue lines."""
    text = [raw for _, raw in lines if raw and raw.strip()]
    return bool(text) and sum(1 for raw in text if raw != raw.rstrip()) >= 0.3 * len(text)


def _gluable(a: Tok, b: Tok) -> bool:
    return a.kind == "text" and b.kind == "text"


def logical_lines(lines: list[tuple[int, str]], glue: bool = True) -> list[LLine]:
    out: list[LLine] = []
    cur: Optional[LLine] = None
    for num, raw in lines:
        raw = (raw or "").rstrip("\r\n")
        if raw == "":
            continue  # blank lines between every line are extraction artefacts
        if not raw.strip():
            out.append(LLine([], raw, num, num, len(raw), 0, kind="ws"))
            cur = None
            continue
        toks, lead, trail = split_physical(num, raw)
        if glue and cur is not None and cur.trail == 0 and lead == 0 and _gluable(cur.toks[-1], toks[0]):
            last = cur.toks[-1]
            last.text += toks[0].text
            last.line_end = num
            cur.toks.extend(toks[1:])
            cur.raw += raw
            cur.line_end = num
            cur.trail = trail
            continue
        cur = LLine(toks, raw, num, num, lead, trail)
        out.append(cur)
    for ll in out:
        if ll.kind != "ws":
            ll.kind = _classify(ll)
    return out


def _classify(ll: LLine) -> str:
    c = ll.compact
    texts = [t.text for t in ll.toks]
    if c.startswith(tuple(_LINES["note_prefixes"])):
        return "note"
    if FORMULA_LINE_RE.search(c):
        return "formula"
    if c.startswith(tuple(_LINES["explanation_prefixes"])) or NO_DATA_RE.search(c):
        return "nodata"
    if c.startswith(tuple(_LINES["meta_prefixes"])) or UNIT_RE.search(c):
        return "unit"
    if FURNITURE_RE.fullmatch(c) or is_page_furniture(ll.raw):
        return "furniture"
    if texts and texts[0] == LANCI_LABEL and all(INT_RE.match(t) or t == LANCI_LABEL for t in texts):
        return "lanci"
    if len(texts) >= 2 and all(INT_RE.match(t) for t in texts) and [int(t) for t in texts] == list(range(1, len(texts) + 1)):
        return "colnums"
    if _LINES["sentence_end"] in c:
        return "sentence"
    return "content"


def stream(lls: list[LLine]) -> list[Tok]:
    """Tokens of consecutive logical lines with the whitespace between them."""
    toks: list[Tok] = []
    pending = 0
    prev_trail: Optional[int] = None
    for ll in lls:
        if ll.kind == "ws":
            pending += ll.lead
            continue
        if not ll.toks:
            continue
        ll.toks[0].ws_before = (prev_trail or 0) + pending + ll.lead
        toks.extend(ll.toks)
        prev_trail, pending = ll.trail, 0
    for a, b in zip(toks, toks[1:]):
        a.ws_after = b.ws_before
    if toks:
        toks[-1].ws_after = (prev_trail or 0) + pending
    return toks


def placeholder_columns(n: int) -> list[str]:
    """Names for n value columns the header does not name."""
    return [PLACEHOLDER_COLUMN.format(n=i) for i in range(1, n + 1)]


def find_unit(lls: list[LLine]) -> str:
    for ll in lls:
        m = UNIT_RE.search(ll.compact)
        if m:
            return m.group(1)
    return LEX["default_unit"]


def words_in(text: str, vocabulary: list[str]) -> list[str]:
    """Known words in the order they first appear (longest match wins)."""
    taken = [False] * len(text)
    first: dict[str, int] = {}
    for w in longest_first(vocabulary):
        for m in re.finditer(re.escape(w), text):
            if not any(taken[m.start():m.end()]):
                first.setdefault(w, m.start())
                for k in range(m.start(), m.end()):
                    taken[k] = True
    return sorted(first, key=first.get)
