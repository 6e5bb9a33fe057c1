"""The `pdftext` layout: PDF text where empty cells collapsed into runs of spaces (see TABLES.md).

A table block is split into header, body and tail (notes, formula lines, 本部门…无… sentences);
the body is read as one token stream and segmented into rows (by code, by 行次 for two-sided
tables, by code/name/value slots for the 基本支出明细表); `column_solver` then decides the
columns of the numbers. `parse_checked` also returns the identities the solver settled on.
"""
from __future__ import annotations

import logging
from typing import Optional

from ..models import Cell, Check, Row, Table, TableBlock
from .column_solver import (RawRow, Solver, column_sums, is_total, raw_hierarchy,
                            raw_row_identities, resolve_columns, segment_code_rows, solve_rows, alternatives, build_rows)
from .identities import Identity
from .pdf_tokens import (ECONOMIC_CODE_LENGTHS, FORMULA_ROW, LEX, LLine, Tok, find_unit, logical_lines, skip, split_physical, stream,
                         trailing_space_convention, value_of, placeholder_columns)
from .cells import row_name, unplaced_notes
from .by_code import Draft, parse_by_code
from .pdf_regions import TABLE_KIND, Regions, header_text, line_end_of, new_table, split_regions
from .pdftext_performance import parse_performance, parse_performance_lines

log = logging.getLogger(__name__)

SANGONG_TABLE = next(name for name, kind in TABLE_KIND.items() if kind == "sangong")


def stream_draft(reg: Regions, block: TableBlock, kind: str) -> Draft:
    """A by-code table of PDF text: columns from the header's template (or the 栏次 count), rows
    from the token stream (a row begins at a code or at a label after figures)."""
    count = len(reg.counts[0]) if reg.counts else None
    templates = LEX["templates"][SANGONG_TABLE] if kind == "sangong" else LEX["templates"].get(block.name, [])
    columns = resolve_columns(templates, header_text(reg.header), count)
    raw_rows = segment_code_rows(stream(reg.body))
    if not columns:
        columns = placeholder_columns(max((len(r.nums) for r in raw_rows), default=0))
    force_first = kind != "sangong" and bool(columns) and is_total(columns[0])
    return Draft(columns, raw_rows, reg.formulas, force_first, LEX["sangong_row_name"] if kind == "sangong" else "")


def _stream_by_code(block: TableBlock, lls: list[LLine], unit: str, kind: str) -> tuple[Table, list[Check]]:
    """A by-code (or 三公) table of PDF text, read by the one by-code parser (by_code.py)."""
    reg = split_regions(lls, kind)
    draft = stream_draft(reg, block, kind)
    rows, checks = parse_by_code(draft, block.name)
    table = new_table(block, "pdftext", unit)
    table.columns = draft.columns
    table.rows = rows
    table.notes = reg.notes + unplaced_notes(table.rows)
    table.line_end = line_end_of(block, table.rows, reg, reg.header)
    return table, checks


# ======================================================================= two-sided
def _line_sides(lls: list[LLine]) -> dict[int, str]:
    """The side ("L" / "R") of the token opening each line, by where it starts: at or past the place
    the other lines' second name starts, the line's left side is empty. Space-aligned text keeps the
    columns; read by alternation alone, a line with one side empty would swap the sides of every item
    after it. Empty when the columns are not kept."""
    named = [names for names in ([t for t in ll.toks if t.kind == "text"] for ll in lls) if names]
    seconds = sorted(names[1].start for names in named if len(names) >= 2)
    if not seconds or len(seconds) * 2 < len(named):
        return {}  # most lines hold one name: the sides are not set side by side line by line
    middle = seconds[len(seconds) // 2]
    if sum(abs(x - middle) <= 3 for x in seconds) < 0.8 * len(seconds) or middle <= 0:
        return {}  # the right side's names do not start in one column
    edge = middle * 0.8
    return {id(ll.toks[0]): "R" if ll.toks[0].start >= edge else "L"
            for ll in lls if ll.toks and ll.toks[0].kind == "text"}


def _segment_two_sided(toks: list[Tok], line_sides: Optional[dict[int, str]] = None) -> list[RawRow]:
    """Items are `[name] 行次 [values]`, alternating 收入 (left) and 支出 (right) sides, except where
    `line_sides` places a line's first token. Plain integers are 行次, never values."""
    slots: list[RawRow] = []
    pending: list[Tok] = []
    cur: Optional[RawRow] = None
    last = {"L": None, "R": None}
    side = "L"
    for t in toks:
        kind = t.kind
        if line_sides and id(t) in line_sides and not pending:
            side = line_sides[id(t)]
        if kind == "text":
            cur = None
            pending.append(t)
        elif kind == "int":
            n = int(t.text)
            s = side
            other = "R" if s == "L" else "L"
            if last[s] is not None and n != last[s] + 1 and last[other] is not None and n == last[other] + 1:
                s = other
            cur = RawRow(name_parts=[p.text for p in pending], toks=pending + [t], rowno=n, side=s)
            slots.append(cur)
            pending = []
            last[s] = n
            side = "R" if s == "L" else "L"
        else:
            if cur is None:
                cur = RawRow(name_parts=[p.text for p in pending], toks=list(pending), side=side)
                slots.append(cur)
                pending = []
                side = "R" if side == "L" else "L"
            cur.nums.append(t)
            cur.toks.append(t)
    if pending:
        slots.append(RawRow(name_parts=[p.text for p in pending], toks=pending, side=side))
    position = {id(t): i for i, t in enumerate(toks)}
    for s in slots:
        if s.nums:  # empty cells after the last value; an empty name of the next item is not one of them
            i = position[id(s.nums[-1])]
            next_is_rowno = i + 1 < len(toks) and toks[i + 1].kind == "int"
            s.trail = max(0, skip(s.nums[-1].ws_after) - (1 if next_is_rowno else 0))
    return slots


def _parse_two_sided(block: TableBlock, lls: list[LLine], unit: str) -> tuple[Table, list[Check]]:
    reg = split_regions(lls, "two_sided")
    header = header_text(reg.header)
    spec = LEX["two_sided"].get(block.name) or next(iter(LEX["two_sided"].values()))  # the first as default
    left_n = len(reg.counts[0]) if len(reg.counts) >= 2 else None
    right_n = len(reg.counts[1]) if len(reg.counts) >= 2 else None
    left = resolve_columns(spec["left"], header, left_n) or [LEX["two_sided_default"]["left"]]
    right = resolve_columns(spec["right"], header, right_n) or [LEX["two_sided_default"]["right"]]
    # 第N栏 fallbacks get their side prefix
    left = [c if "/" in c else f"收入/{c}" for c in left]
    right = [c if "/" in c else f"支出/{c}" for c in right]
    columns = left + right
    side_cols = {"L": list(range(len(left))), "R": list(range(len(left), len(columns)))}
    slots = [s for s in _segment_two_sided(stream(reg.body), _line_sides(reg.body)) if s.name_parts or s.nums]
    identities: list[Identity] = []
    for s_key, cols in side_cols.items():
        col_ids = column_sums(columns, cols)
        identities += raw_row_identities(slots, [i for i, s in enumerate(slots) if s.side == s_key and s.nums], col_ids, columns)
    by_rowno = {s.rowno: i for i, s in enumerate(slots) if s.rowno is not None}
    for kind, lhs, terms in reg.formulas:
        if kind != FORMULA_ROW or lhs not in by_rowno:
            continue
        i = by_rowno[lhs]
        kids = [(coef, by_rowno[n]) for coef, n in terms if n in by_rowno]
        if not kids or any(slots[j].side != slots[i].side for _, j in kids):
            continue
        for c in side_cols[slots[i].side]:
            rhs = "+".join(str(n) for _, n in terms)
            identities.append(Identity([(1.0, i, c)] + [(-coef, j, c) for coef, j in kids],
                                       f"{columns[c]}: {lhs} 行 {slots[i].name} = ({rhs}) 行", slots[i].lines()[0]))
    units, solver = solve_rows(slots, columns, lambda r: side_cols[r.side or "L"],
                                lambda r: is_total(columns[side_cols[r.side or "L"][0]]), identities)
    rows = build_rows(slots, units, columns)
    order = sorted(range(len(rows)), key=lambda i: (slots[i].side != "L", i))  # 收入 side first, then 支出
    table = new_table(block, "pdftext", unit)
    table.columns = columns
    table.rows = [rows[i] for i in order]
    table.notes = reg.notes + unplaced_notes(table.rows)
    table.line_end = line_end_of(block, table.rows, reg, reg.header)
    return table, solver.checks(block.name)


# ======================================================================= triples
def _parse_triples(block: TableBlock, lls: list[LLine], unit: str) -> tuple[Table, list[Check]]:
    """Three code/name/value slots per line (基本支出明细表): one Row per slot."""
    reg = split_regions(lls, "triples")
    header = header_text(reg.header)
    column = next((a for a in alternatives(LEX["triples"]["value_column"]) if a in header),
                  LEX["triples"]["value_column"].split("|")[0])
    toks = stream(reg.body)
    slots: list[RawRow] = []
    cur: Optional[RawRow] = None
    for i, t in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t.kind == "int" and len(t.text) in ECONOMIC_CODE_LENGTHS and (nxt is None or nxt.kind == "text"):
            cur = RawRow(code=t.text, toks=[t])
            slots.append(cur)
        elif t.kind == "text":
            # a slot's name never spans an empty cell: text after a skip opens a new slot
            if cur is None or cur.nums or (cur.name_parts and skip(t.ws_before) >= 1):
                cur = RawRow()
                slots.append(cur)
            cur.name_parts.append(t.text)
            cur.toks.append(t)
        else:
            if cur is None:
                cur = RawRow()
                slots.append(cur)
            if cur.nums:  # a second value in one slot: keep the first
                cur.dropped = True
            else:
                cur.nums.append(t)
            cur.toks.append(t)

    def order(i: int):
        c = slots[i].code
        return (0, c[:3], len(c), c, i) if c else (1, "", 0, "", i)

    slots = [slots[i] for i in sorted(range(len(slots)), key=order)]
    rows = []
    values: dict[tuple[int, int], float] = {}
    for i, s in enumerate(slots):
        cells = []
        if s.nums:
            v, u = value_of(s.nums[0].text)
            cells.append(Cell(column=column, raw=s.nums[0].text, value=v, uncertain=s.dropped, line=s.nums[0].line))
            values[(i, 0)] = v if v is not None else 0.0
        a, b = s.lines()
        rows.append(Row(code=s.code, name=s.name, cells=cells, line_start=a, line_end=b, uncertain=s.dropped))
    # identities (checks only): 3-digit = Σ its 5-digit codes; 人员/公用经费合计 = Σ listed classes
    identities = raw_hierarchy(slots, [0], [column])
    identities = [ident for ident in identities if slots[ident.terms[0][1]].code]
    code_row = {s.code: i for i, s in enumerate(slots) if s.code}
    for i, s in enumerate(slots):
        parts = LEX["triples"]["totals"].get(s.name)
        if parts:
            kids = [code_row[c] for c in parts if c in code_row]
            identities.append(Identity([(1.0, i, 0)] + [(-1.0, j, 0) for j in kids],
                                       f"{column}: {s.name} = {'+'.join(c for c in parts if c in code_row)}", s.lines()[0]))
    solver = Solver([], identities, values)
    table = new_table(block, "pdftext", unit)
    table.columns = [column]
    table.rows = rows
    table.notes = reg.notes + unplaced_notes(table.rows)
    table.line_end = line_end_of(block, rows, reg, reg.header)
    return table, solver.checks(block.name)


def parse_pdftext_table_checked(block: TableBlock) -> tuple[Table, list[Check]]:
    """Parse a table block; also return the accounting identities evaluated on it."""
    try:
        kind = TABLE_KIND.get(block.name, "by_code")
        glue = trailing_space_convention(block.lines)
        lls = logical_lines(block.lines, glue=glue)
        unit = find_unit(lls)
        if kind == "performance":
            return parse_performance(block, lls, unit) if glue else parse_performance_lines(block, lls, unit)
        if kind == "two_sided":
            return _parse_two_sided(block, lls, unit)
        if kind == "triples":
            return _parse_triples(block, lls, unit)
        return _stream_by_code(block, lls, unit, kind)
    except Exception:  # a malformed block must not take the whole report down
        log.exception("pdftext layout failed for %s (line %s); falling back to plain rows", block.name, block.title_line)
        return _fallback(block), []


def _fallback(block: TableBlock) -> Table:
    """Every line with numbers becomes a row whose cells are all uncertain."""
    table = new_table(block, "pdftext", LEX["default_unit"])
    try:
        for num, raw in block.lines:
            toks, _, _ = split_physical(num, (raw or "").rstrip("\r\n"))
            values = [t for t in toks if t.kind in ("num", "qty")]
            if not values:
                continue
            name = row_name("".join(t.text for t in toks if t.kind == "text"))
            cells = [Cell(column=col, raw=t.text, value=value_of(t.text)[0], uncertain=True, line=num)
                     for col, t in zip(placeholder_columns(len(values)), values)]
            table.rows.append(Row(name=name, cells=cells, line_start=num, line_end=num, uncertain=True))
        table.columns = placeholder_columns(max((len(r.cells) for r in table.rows), default=0))
        table.line_end = max([r.line_end for r in table.rows] + [block.title_line])
    except Exception:
        log.exception("fallback failed for %s", block.name)
    return table
