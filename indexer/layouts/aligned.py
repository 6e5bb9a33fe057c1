"""The `aligned` layout: space-aligned tables (``pdftotext -layout``), column positions from the
header line; the column solver settles numbers that sit between two columns."""
from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

from ..models import Check, Table, TableBlock
from .column_solver import (RawRow, build_rows, column_formulas, column_sums, is_total, raw_hierarchy,
                            raw_row_identities, solve_rows)
from .cells import unplaced_notes
from .identities import merge_groups
from .pdf_regions import TABLE_KIND, new_table, parse_formulas, row_start, scan_tail
from .pdf_tokens import (INT_RE, LEX, LLine, MAX_CANDIDATES, NON_VALUE_HEADERS, ROW_LABELS, W_POSITION, Tok,
                         find_unit, logical_lines, placeholder_columns, token_kind)


def display_width(text: str, wide: bool) -> int:
    if not wide:
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@dataclass
class ACell:
    text: str
    start: int
    end: int
    line: int


def aligned_cells(num: int, raw: str, wide: bool) -> list[ACell]:
    """Cells separated by 2+ spaces; positions in characters or display columns."""
    out = []
    pos = width = 0  # display width of raw[:pos], carried forward (linear in the line)
    for m in re.finditer(r"\S+(?: \S+)*", raw):
        start = width + display_width(raw[pos:m.start()], wide)
        end = start + display_width(m.group(), wide)
        out.append(ACell(m.group(), start, end, num))
        pos, width = m.end(), end
    return out


def looks_aligned(lines: list[tuple[int, str]]) -> bool:
    """A header line of 2+ cells separated by 2+ spaces, and numbers never glued to
    their neighbours by a single space."""
    wide = narrow = numeric_lines = 0
    header = False
    for _, raw in lines:
        ms = list(re.finditer(r"\S+", raw or ""))
        nums = [m for m in ms if token_kind(m.group()) == "num"]
        if not nums:
            cells = list(re.finditer(r"\S+(?: \S+)*", raw or ""))
            if len(cells) >= 2 and sum(1 for c in cells if not INT_RE.match(c.group())) >= 2:
                header = True
            continue
        numeric_lines += 1
        for a, b in zip(ms, ms[1:]):
            if b in nums:
                if b.start() - a.end() >= 2:
                    wide += 1
                else:
                    narrow += 1
    return header and numeric_lines >= 2 and wide >= 3 and narrow <= 0.1 * (wide + narrow)


CODE_CELL_RE = re.compile(r"^(\d{3}|\d{5}|\d{7})(?:\s+(\S.*))?$")


def span_distance(span: tuple[int, int], cell: ACell) -> int:
    """0 when the cell overlaps the column's header span, else the gap between them."""
    a, b = span
    if cell.start < b and a < cell.end:
        return 0
    return min(abs(cell.start - b), abs(a - cell.end))


_RULE = re.compile(r"^[-—=─_]{3,}$")


def _aligned_header(header: list[list[ACell]]) -> tuple[list[str], list[tuple[int, int]]]:
    """Value columns from the header line with the most cells; words stacked above or
    below one column are wrapped parts of its name, a word above several columns is a
    group label (prefixed to an ambiguous 合计/小计 below it)."""
    header = [[c for c in cells if re.sub(r"\s+", "", c.text) not in NON_VALUE_HEADERS
               and not _RULE.match(c.text.strip())]  # (a rule drawn under a group label names no column)
              for cells in header]
    if not any(header):
        return [], []
    main = max(range(len(header)), key=lambda k: (len(header[k]), k))
    cols = [[re.sub(r"\s+", "", c.text), c.start, c.end] for c in header[main]]
    for k, cells in enumerate(header):
        if k == main:
            continue
        for c in cells:
            word = re.sub(r"\s+", "", c.text)
            over = [j for j, (_, a, b) in enumerate(cols) if c.start < b and a < c.end]
            if len(over) == 1:
                j = over[0]
                cols[j][0] = word + cols[j][0] if k < main else cols[j][0] + word
            elif len(over) > 1 and k < main:
                for j in over:
                    if is_total(cols[j][0]):
                        cols[j][0] = f"{word}/{cols[j][0]}"
    return [c[0] for c in cols], [(c[1], c[2]) for c in cols]


def _aligned_rows(body: list[LLine], cells_by_line: dict[int, list[ACell]]) -> tuple[list[RawRow], dict[int, list[ACell]]]:
    """One row per line that starts with a code or label; a text-only line is a wrapped
    name (of the row above when that row has no numbers yet or the next line opens a
    new row, else the head of the next row)."""
    rows: list[RawRow] = []
    num_cells: dict[int, list[ACell]] = {}

    def code_cell(cells: list[ACell]) -> bool:  # a code followed by its name
        m = CODE_CELL_RE.match(cells[0].text) if cells else None
        return bool(m) and (bool(m.group(2)) or (len(cells) > 1 and token_kind(cells[1].text) == "text"))

    def opens_row(cells: list[ACell]) -> bool:
        return code_cell(cells) or (bool(cells) and cells[0].text in ROW_LABELS)

    for k, ll in enumerate(body):
        cells = cells_by_line[ll.line_start]
        has_code = code_cell(cells)
        values = [c for j, c in enumerate(cells) if token_kind(c.text) in ("num", "qty", "int")
                  and not (j == 0 and has_code)]
        texts = [c for c in cells if c not in values]
        prev = rows[-1] if rows else None
        next_opens = k + 1 >= len(body) or opens_row(cells_by_line[body[k + 1].line_start])
        tok = Tok(ll.raw.strip(), ll.line_start, ll.line_end, 0)
        if not values and not opens_row(cells) and prev is not None and (not prev.nums or next_opens):
            prev.name_parts += [c.text for c in texts]
            prev.toks.append(tok)
            continue
        if opens_row(cells) or prev is None or prev.nums:
            m = CODE_CELL_RE.match(texts[0].text) if has_code else None
            cur = RawRow(code=m.group(1) if m else None)
            rows.append(cur)
            if m:
                texts = texts[1:]
                cur.name_parts += [m.group(2)] if m.group(2) else []
        else:
            cur = prev
        cur.toks.append(tok)
        cur.name_parts += [c.text for c in texts]
        for c in values:
            cur.nums.append(Tok(c.text, ll.line_start, ll.line_end, c.start))
            num_cells.setdefault(len(rows) - 1, []).append(c)
    return rows, num_cells


_HEADING = re.compile(r"^[一二三四五六七八九十]+、")


def _section_heading(ll: LLine) -> bool:
    """A numbered heading after the table ("二、情况说明"): no figure, so no row of it."""
    return bool(_HEADING.match(ll.raw.strip())) and not any(t.kind in ("num", "qty") for t in ll.toks)


def parse_aligned(block: TableBlock, unit: str, kind: str) -> tuple[Table, list[Check]]:
    """Space-aligned table: each number goes to the header column above it, unless the
    identities say otherwise."""
    lls = logical_lines(block.lines, glue=False)
    start = next((i for i, ll in enumerate(lls) if row_start(ll, kind)), len(lls))
    header_lls = [ll for ll in lls[:start] if ll.kind == "content"]
    end = start
    while end < len(lls) and lls[end].kind in ("content", "ws", "lanci", "colnums", "furniture", "unit") \
            and not _section_heading(lls[end]):
        end += 1
    body_lls = [ll for ll in lls[start:end] if ll.kind == "content"]
    notes, end_line, stop = scan_tail(lls, end)
    raws = {n: (raw or "").rstrip("\r\n") for n, raw in block.lines}
    heads = {c.text for ll in header_lls for c in aligned_cells(ll.line_start, raws[ll.line_start], False)}
    body_lls = [ll for ll in body_lls if not _header_again(raws[ll.line_start], heads)]

    # positions in characters, or in display columns (CJK = 2) if numbers fit those better
    best = None
    for wide in (False, True):
        names, spans = _aligned_header([aligned_cells(ll.line_start, raws[ll.line_start], wide) for ll in header_lls])
        cells = {ll.line_start: aligned_cells(ll.line_start, raws[ll.line_start], wide) for ll in body_lls}
        misfit = sum(min(span_distance(s, c) for s in spans) for cs in cells.values() for c in cs
                     if spans and token_kind(c.text) == "num")
        if best is None or misfit < best[0]:
            best = (misfit, names, spans, cells)
    _, columns, spans, cells_by_line = best
    raw_rows, num_cells = _aligned_rows(body_lls, cells_by_line)
    if not columns:
        columns = placeholder_columns(max((len(r.nums) for r in raw_rows), default=0))
        spans = []
    n = len(columns)

    def cost_fn(r: RawRow, allowed: list[int]):
        cells = num_cells.get(raw_rows.index(r), [])
        dists = [[span_distance(spans[c], cell) if spans else 0 for c in allowed] for cell in cells]
        nearest = [min(range(len(allowed)), key=lambda j: (d[j], j)) for d in dists]
        combos = list(itertools.combinations(range(len(allowed)), len(cells)))
        if len(combos) > MAX_CANDIDATES:
            combos = [tuple(nearest)] if len(set(nearest)) == len(nearest) else [tuple(range(len(cells)))]
        costs = [W_POSITION * sum(abs(j - nj) for j, nj in zip(combo, nearest))
                 + 0.01 * sum(d[j] for d, j in zip(dists, combo)) for combo in combos]
        return [tuple(allowed[j] for j in combo) for combo in combos], costs

    col_ids = merge_groups(column_sums(columns), column_formulas(parse_formulas(lls[:stop]), n))
    numbered = [i for i, r in enumerate(raw_rows) if r.nums]
    identities = raw_row_identities(raw_rows, numbered, col_ids, columns)
    identities += raw_hierarchy(raw_rows, list(range(n)), columns)
    units, solver = solve_rows(raw_rows, columns, lambda r: list(range(n)), lambda r: False, identities, cost_fn)
    table = new_table(block, "aligned", unit)
    table.columns = columns
    table.rows = build_rows(raw_rows, units, columns, LEX["sangong_row_name"] if kind == "sangong" else "")
    table.notes = notes + unplaced_notes(table.rows)
    table.line_end = max([r.line_end for r in table.rows] + [end_line or 0]
                         + [ll.line_end for ll in header_lls] + [block.title_line])
    return table, solver.checks(block.name)


def _header_again(raw: str, heads: set[str]) -> bool:
    """A line of labels ending in a column label of the header ("支出项目  决算数" under "收入项目  决算数"):
    the header of a second list set under the first, no row."""
    cells = [c.text for c in aligned_cells(0, raw, False)]
    return len(cells) >= 2 and cells[-1] in heads and not any(token_kind(c) == "num" for c in cells)


def parse_aligned_block(block: TableBlock) -> tuple[Table, list[Check]]:
    """A space-aligned by-code or 三公 table block; also the identities the solver settled on."""
    unit = find_unit(logical_lines(block.lines, glue=False))
    return parse_aligned(block, unit, TABLE_KIND.get(block.name, "by_code"))
