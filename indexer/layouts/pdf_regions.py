"""Where a PDF-text table's rows begin and end: header lines, body, and the tail of notes,
formula lines (``1 栏各行＝（2＋3）栏各行``) and 本部门…无… sentences that belong to the table."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ..lexicon import table_specs
from ..models import Row, Table, TableBlock
from .pdf_tokens import (ECONOMIC_CODE_LENGTHS, FORMULA_ITEM_RE, FUNCTION_CODE_LENGTHS, INT_RE, LANCI_LABEL, NON_VALUE_HEADERS, ROW_LABELS, LLine,
                         is_value)

TABLE_KIND = {t["name"]: t["kind"] for t in table_specs()}


def parse_formulas(lls: list[LLine]) -> list[tuple[str, int, list[tuple[float, int]]]]:
    """'1 栏各行＝（2＋3－4）栏各行' -> ('栏', 1, [(1,2),(1,3),(-1,4)]); '…' expands ranges."""
    out = []
    for ll in lls:
        if ll.kind != "formula":
            continue
        for m in FORMULA_ITEM_RE.finditer(ll.compact):
            terms: list[tuple[float, int]] = []
            pending_range = False
            for sign, item in re.findall(r"([＋+－\-−]?)(\d+|…+|\.\.\.)", m.group(3)):
                if not item[0].isdigit():
                    pending_range = True
                    continue
                n = int(item)
                coef = -1.0 if sign in ("－", "-", "−") else 1.0
                if pending_range and terms:
                    terms.extend((1.0, k) for k in range(terms[-1][1] + 1, n))
                pending_range = False
                terms.append((coef, n))
            if terms:
                out.append((m.group(2), int(m.group(1)), terms))
    return out


@dataclass
class Regions:
    header: list[LLine]
    body: list[LLine]
    counts: list[list[int]]  # numbered columns from 栏次 / column-number rows (one list per side)
    formulas: list
    notes: list[str]
    end_line: Optional[int]  # last table line after the rows (notes, formulas)


def row_start(ll: LLine, kind: str) -> bool:
    toks = ll.toks
    if not toks or ll.kind != "content":
        return False
    first, second = toks[0], (toks[1] if len(toks) > 1 else None)
    code_lengths = ECONOMIC_CODE_LENGTHS if kind == "triples" else FUNCTION_CODE_LENGTHS
    if first.kind == "int" and len(first.text) in code_lengths and second is not None and second.kind == "text":
        return True
    if kind == "triples":
        return False
    if any(t.kind == "num" for t in toks):
        return True
    return first.text in ROW_LABELS and second is not None and is_value(second)


def split_regions(lls: list[LLine], kind: str) -> Regions:
    counts: list[list[int]] = []
    first_row = next((i for i, ll in enumerate(lls) if row_start(ll, kind)), len(lls))
    numbered = next((i for i, ll in enumerate(lls) if ll.kind in ("lanci", "colnums")), None)
    if numbered is not None and numbered <= first_row + 1:
        # the 栏次 / column-number row closes the header (a row start just before it is header text)
        start = numbered + 1
        groups: list[list[int]] = []
        for t in lls[numbered].toks:
            if t.text == LANCI_LABEL or not groups:
                groups.append([])
            if INT_RE.match(t.text):
                groups[-1].append(int(t.text))
        counts = [g for g in groups if g]
    else:
        start = first_row
    header = [ll for ll in lls[:start] if ll.kind == "content"]
    body: list[LLine] = []
    i = start
    repeated = "".join(ll.compact for ll in header)
    while i < len(lls) and lls[i].kind in ("content", "ws", "unit", "furniture", "lanci", "colnums"):
        if lls[i].kind == "ws" or (lls[i].kind == "content" and not repeats_header(lls[i], repeated)):
            body.append(lls[i])
        i += 1
    while body and body[-1].kind == "ws":
        body.pop()
    notes, end_line, stop = scan_tail(lls, i)
    if not body:  # an empty table: the sentence saying so may come anywhere
        notes = [note_at(lls, k)[0] for k, ll in enumerate(lls) if ll.kind == "nodata"]
    return Regions(header, body, counts, parse_formulas(lls[:stop]), notes, end_line)


def repeats_header(ll: LLine, header: str) -> bool:
    """A header line repeated after a page break: no figures, and its words are the header's."""
    if not ll.toks or any(is_value(t) for t in ll.toks) or ll.compact not in header:
        return False
    return len(ll.toks) >= 2 or ll.compact in NON_VALUE_HEADERS


def note_at(lls: list[LLine], i: int) -> tuple[str, int]:
    """The 本部门…无… sentence starting at lls[i], with the lines it was hard-wrapped onto
    (when the extraction did not mark finished lines); returns it and its last index."""
    text = re.sub(r"\s+", " ", lls[i].raw).strip()
    while not text.endswith("。") and i + 1 < len(lls) and lls[i + 1].kind in ("content", "sentence", "ws"):
        i += 1
        text += lls[i].raw.strip()
    return text, i


def scan_tail(lls: list[LLine], i: int) -> tuple[list[str], Optional[int], int]:
    """After the rows: notes and formula lines still belong to the table, 本部门…无…
    sentences go to the notes, anything else ends the table."""
    notes, end_line = [], None
    while i < len(lls):
        ll = lls[i]
        if ll.kind in ("note", "formula"):
            end_line = ll.line_end
        elif ll.kind == "nodata":
            text, i = note_at(lls, i)
            notes.append(text)
        elif ll.kind not in ("ws", "unit", "furniture", "lanci", "colnums"):
            break
        i += 1
    return notes, end_line, i


def header_text(lls: list[LLine]) -> str:
    return "".join(ll.compact for ll in lls)


def line_end_of(block: TableBlock, rows: list[Row], regions: Optional[Regions], header: list[LLine]) -> int:
    ends = [r.line_end for r in rows if r.line_end]
    if regions is not None and regions.end_line:
        ends.append(regions.end_line)
    if not ends and header:
        ends.append(header[-1].line_end)
    return max(ends) if ends else block.title_line


def new_table(block: TableBlock, layout: str, unit: str) -> Table:
    return Table(name=block.name, title=block.title.strip(), layout=layout, unit=unit,
                 line_start=block.title_line, line_end=block.title_line)


# ======================================================================= by code
