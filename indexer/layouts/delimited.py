"""The delimited layouts (`tab`, `pipe`): by-code tables, two-sided totals tables, the three
code/name/value triples of the 基本支出明细表, the 三公 table and the 绩效自评表 (TABLES.md)."""
from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Optional

from ..lexicon import table_kind
from ..models import Row, Table, TableBlock
from .cells import row_name
from .delimited_grid import (DEFAULT_UNIT, DEFAULT_VALUE_COLUMN, HANGCI_LABEL, ITEM_LABEL, NAME_LABEL,
                             SANGONG_ROW_NAME, SIDE_NAMES, SMALL_INT_RE, TOTAL_NAMES, Line, amount_cell,
                             code_and_name, columns_from_data, columns_from_leaves, figures_in_stub,
                             header_text, header_tree, is_code, is_number, make_row, MEASURE_WORDS, name_columns,
                             text_raw, place_columns, quantity, realign_row, segment, split_header)
from .delimited_performance import parse_grid_performance, performance_layout
from .by_code import Draft, parse_by_code
from .column_solver import RawRow
from .pdf_tokens import Tok

log = logging.getLogger(__name__)

def grid_draft(lines: list[Line]) -> Draft:
    """A by-code table of tab / pipe rows: columns from the header tree (placed by the 栏次 row),
    each figure's column fixed by its cell; wrapped names joined."""
    grid = split_header(lines)
    leaves, _ = header_tree(grid.header)
    cols = columns_from_leaves(leaves) or columns_from_data(grid)
    place_columns(cols, grid)
    cols = _without_leading_text_columns(cols, grid)
    name_columns(cols)
    index = {id(c): k for k, c in enumerate(cols)}
    by_pos = {c.pos: c for c in cols if c.pos is not None}
    draft = Draft([c.name for c in cols], [])
    if not by_pos:
        return draft
    first_val = min(by_pos)
    # The header names more columns than the 栏次 row numbers: the missing numbers may have
    # slid into the first data row ("合计 … 3"); they are column numbers, not data.
    residue = set(range(len(grid.lanci) + 1, len(cols) + 1)) if grid.lanci and len(grid.lanci) < len(cols) else set()
    levels: dict[int, tuple[str, int]] = {}  # code length → (latest code of that level, its cell's position)
    for i, line in enumerate(grid.data):
        cells, flagged = _drop_residue(line, residue, first_val) if i == 0 and residue else (line.cells, False)
        filled = [(p, c) for p, c in enumerate(cells) if c]
        stub = [c for p, c in filled if p < first_val]
        values = [(p, c) for p, c in filled if p >= first_val]
        shifted = False
        if figures_in_stub(stub) or any(p not in by_pos for p, _ in values):
            stub, values, shifted = realign_row(cells, by_pos, first_val)
        code, name = code_and_name(stub)
        if code is None and not shifted:
            code, name = _relative_code(filled, first_val, levels, name)
        at = next((p for p, c in filled if p < first_val and c.isdigit()), None)
        if code is not None and is_code(code) and at is not None:
            levels[len(code)] = (code, at)
        figures = [(by_pos[p], raw) for p, raw in values if p in by_pos]
        _add_grid_row(draft.rows, line.no, code, name, figures, index, shifted, flagged)
    return draft


def _relative_code(filled: list[tuple[int, str]], first_val: int, levels: dict, name: str) -> tuple[Optional[str], str]:
    """A row giving only its own level's two digits in the 款 or 项 column ("\t05\t\t统计信息事务" under
    201): its code is the parent's code and those digits. The column says the level: the one right of
    the latest 类 code's cell is 款, the next 项."""
    stub = [(p, c) for p, c in filled if p < first_val]
    if len(stub) < 2 or not (stub[0][1].isdigit() and len(stub[0][1]) == 2) or 3 not in levels:
        return None, name
    step = stub[0][0] - levels[3][1]
    parent = levels.get(3 if step == 1 else 5) if step in (1, 2) else None
    if parent is None or (step == 2 and not parent[0].startswith(levels[3][0])):
        return None, name
    return parent[0] + stub[0][1], row_name("".join(c for _, c in stub[1:]))


def _without_leading_text_columns(cols: list, grid) -> list:
    """Columns left of every figure whose cells are never figures name the rows (指标, 收入项目): the
    stub, whatever their header says."""
    figure_pos = {p for line in grid.data for p, c in line.filled if is_number(c) or quantity(c) is not None}
    if not figure_pos:
        return cols
    lead = min(figure_pos)
    return [c for c in cols if c.pos is None or c.pos >= lead]


def _drop_residue(line: Line, residue: set[int], first_val: int) -> tuple[list[str], bool]:
    cells, dropped = list(line.cells), False
    for p, c in line.filled:
        if SMALL_INT_RE.match(c) and int(c) in residue and p >= first_val:
            cells[p], dropped = "", True
    return cells, dropped


def _add_grid_row(rows: list[RawRow], no: int, code, name: str, figures: list, index: dict,
                  shifted: bool, flagged: bool) -> None:
    """One line's row, or its name joined to the row above (a wrapped name, or a name whose head
    stands on the line above the figures)."""
    nums = [Tok(raw if is_number(raw) else text_raw(raw), no, no, col.pos or 0) for col, raw in figures]
    doubtful = {k for k, (col, _) in enumerate(figures) if shifted or col.merged}
    placed = tuple(index[id(col)] for col, _ in figures)
    prev = rows[-1] if rows else None
    if not nums and code is None and name and name not in TOTAL_NAMES and prev is not None:
        prev.given_name = row_name(prev.name + name)  # tail of a wrapped name
        prev.toks.append(Tok(name, no, no, 0))
        return
    if nums and code is None and prev is not None and prev.code and not prev.nums and name not in TOTAL_NAMES:
        prev.given_name = row_name(prev.name + name)  # name head on the line above, figures here
        prev.nums, prev.toks, prev.placed, prev.doubtful = nums, prev.toks + nums, placed, doubtful
        prev.flagged = prev.flagged or flagged
        return
    if not nums and code is None and not name:
        return
    rows.append(RawRow(code=code, toks=[Tok(name, no, no, 0)] + nums, nums=nums, placed=placed, doubtful=doubtful,
                       flagged=flagged or (not name and not code), given_name=name))


def _grid_by_code(lines: list[Line]) -> tuple[list[str], list[Row]]:
    """A by-code table of tab / pipe rows, read by the one by-code parser (by_code.py)."""
    draft = grid_draft(lines)
    return draft.columns, parse_by_code(draft, "")[0]


_NAME_CELL = re.compile(r"[\u4e00-\u9fff]{2}")


def _parse_two_sided(lines: list[Line]) -> tuple[list[str], list[Row]]:
    grid = split_header(lines)
    leaves, labels = header_tree(grid.header)
    width = max((len(l.cells) for l in lines if not l.separator), default=0)
    starts = sorted({lab.pos for lab in labels if lab.text == ITEM_LABEL})
    if len(starts) < 2:
        starts = [0, width // 2] if width >= 4 else [0]
    bounds = [(s, (starts[i + 1] - 1) if i + 1 < len(starts) else 10 ** 6) for i, s in enumerate(starts)]

    def side_of(pos: int) -> int:
        return max((i for i, (lo, _) in enumerate(bounds) if pos >= lo), default=0)

    side_names = []
    for i, (lo, hi) in enumerate(bounds):
        named = [lab.text for lab in labels if lo <= lab.pos <= hi and lab.text in SIDE_NAMES]
        side_names.append(named[0] if named else (SIDE_NAMES[i] if i < len(SIDE_NAMES) else str(i + 1)))
    hangci = {lab.pos for lab in labels if lab.text == HANGCI_LABEL}

    cols = columns_from_leaves(leaves)
    place_columns(cols, grid)
    # a side's item column headed by the side's own name ("收入 ⇥ 决算数 ⇥ 支出 ⇥ 决算数") holds names,
    # not figures (a column of no figure but no names either is an empty value column)
    figures = {p for line in grid.data for p, cell in line.filled if is_number(cell)}
    names = {p for line in grid.data for p, cell in line.filled if _NAME_CELL.search(cell)}
    cols = [c for c in cols if c.pos is None or c.pos in figures or c.pos not in names]
    for c in cols:
        side = side_names[side_of(c.header_pos)]
        c.path = [side] + [t for t in c.path if t not in SIDE_NAMES]
    # side/leaf, or side/…/leaf when a leaf repeats within its side
    seen = Counter((c.path[0], c.path[-1]) for c in cols)
    for c in cols:
        c.name = "/".join([c.path[0], c.path[-1]] if seen[(c.path[0], c.path[-1])] == 1 else c.path)

    by_side: list[list[Row]] = [[] for _ in bounds]
    for line in grid.data:
        for i, (lo, hi) in enumerate(bounds):
            side_cols = {c.pos: c for c in cols if c.pos is not None and lo <= c.pos <= hi}
            part = [(p, c) for p, c in line.filled if lo <= p <= hi]
            texts = [c for p, c in part if p not in side_cols and p not in hangci and not is_number(c)]
            has_hangci = any(p in hangci for p, _ in part)
            row_cells = [amount_cell(side_cols[p].name, c, line.no, side_cols[p].merged)
                         for p, c in part if p in side_cols]
            name = row_name("".join(texts))
            prev = by_side[i][-1] if by_side[i] else None
            if name and not row_cells and not has_hangci and hangci and prev is not None:
                prev.name = row_name(prev.name + name)  # wrapped item name
                prev.line_end = line.no
                continue
            if not name and not row_cells:
                continue
            by_side[i].append(make_row(None, name, row_cells, line.no, line.no, uncertain=not name))
    for side in by_side:
        _name_repeats(side)
    return [c.name for c in cols], [r for side in by_side for r in side]


def _name_repeats(rows: list[Row]) -> None:
    """A side's row repeating an earlier row's name is a part of the row above it ("年初财政拨款结转和结余"
    then "一般公共预算财政拨款 265.30", the income row of that name being 4692.84): named under it."""
    seen: set[str] = set()
    parent = None
    for r in rows:
        if r.name and r.name in seen and parent is not None:
            r.name = f"{parent.name}：{r.name}"
        elif r.name:
            seen.add(r.name)
            parent = r


# ---------------------------------------------------------------- three code/name/value triples
def _parse_triples(lines: list[Line]) -> tuple[list[str], list[Row]]:
    grid = split_header(lines)
    _, labels = header_tree(grid.header)
    width = max((len(l.cells) for l in lines if not l.separator), default=0)
    name_pos = sorted({lab.pos for lab in labels if lab.text == NAME_LABEL})
    if not name_pos:
        name_pos = list(range(1, max(width, 3), 3))
    groups = []
    for i, np_ in enumerate(name_pos):
        nxt = name_pos[i + 1] - 1 if i + 1 < len(name_pos) else max(width, np_ + 2)
        value_pos = list(range(np_ + 1, nxt))
        heads = [lab.text for lab in labels if lab.pos in value_pos and not lab.stub and lab.text not in SIDE_NAMES]
        groups.append((np_ - 1, np_, value_pos, heads[-1] if heads else DEFAULT_VALUE_COLUMN))
    columns = list(dict.fromkeys(g[3] for g in groups))
    width = max([width] + [p + 1 for g in groups for p in [g[1], *g[2]]])

    rows: list[list[Row]] = [[] for _ in groups]
    for line in grid.data:
        cells = line.cells + [""] * (width - len(line.cells))
        parsed = []
        for code_pos, np_, value_pos, col in groups:
            code_cell = cells[code_pos] if code_pos >= 0 else ""
            name_cell = cells[np_]
            vals = [cells[p] for p in value_pos if cells[p]]
            code = code_cell if is_code(code_cell) else None
            name = row_name((code_cell if code is None else "") + name_cell)
            parsed.append([code, name, vals, col])
        # a value standing alone right of a total (merged cells: "公用经费合计 ⇥⇥⇥⇥⇥ 13.48")
        for g, item in enumerate(parsed):
            if item[2] and not item[0] and not item[1]:
                owner = next((o for o in reversed(parsed[:g]) if o[1] and not o[2]), None)
                if owner is not None:
                    owner[2], item[2] = item[2], []
        for g, (code, name, vals, col) in enumerate(parsed):
            prev = rows[g][-1] if rows[g] else None
            if name and not code and not vals and name not in TOTAL_NAMES and prev is not None and prev.code:
                prev.name = row_name(prev.name + name)  # wrapped name
                prev.line_end = line.no
                continue
            if not code and not name and not vals:
                continue
            row_cells = [amount_cell(col, vals[0], line.no, uncertain=len(vals) > 1)] if vals else []
            rows[g].append(make_row(code, name, row_cells, line.no, line.no, uncertain=not code and not name))
    return columns, [r for group in rows for r in group]


# ---------------------------------------------------------------- 三公 table
def _parse_sangong(lines: list[Line]) -> tuple[list[str], list[Row]]:
    sections = _value_sections(lines)
    if len(sections) >= 2:  # "预算数" over one header and row, "决算数" over another (公开07表)
        columns, rows = [], []
        for label, part in sections:
            cols, part_rows = _parse_sangong(part)
            columns += [f"{label}/{c}" for c in cols]
            for r in part_rows:
                for cell in r.cells:
                    cell.column = f"{label}/{cell.column}"
            rows += part_rows
        return columns, rows
    grid = split_header(lines)
    leaves, _ = header_tree(grid.header)
    cols = columns_from_leaves(leaves) or columns_from_data(grid)
    place_columns(cols, grid)
    for c in cols:
        c.name = "/".join(c.path) if c.path else c.name
    by_pos = {c.pos: c for c in cols if c.pos is not None}
    rows = []
    for line in grid.data:
        filled = line.filled
        nums = [(p, c) for p, c in filled if is_number(c)]
        texts = [c for p, c in filled if not is_number(c) and p not in by_pos]
        uncertain = any(p not in by_pos for p, _ in nums)
        if uncertain and len(nums) <= len(by_pos):
            # figures off the header's columns: read them in order
            placed = list(zip(sorted(by_pos), [c for _, c in nums]))
        else:
            placed = [(p, c) for p, c in nums if p in by_pos]
        row_cells = [amount_cell(by_pos[p].name, c, line.no, uncertain or by_pos[p].merged) for p, c in placed]
        if not row_cells and not texts:
            continue
        rows.append(make_row(None, row_name("".join(texts)) or SANGONG_ROW_NAME, row_cells, line.no, line.no))
    return [c.name for c in cols], rows


def _value_sections(lines: list[Line]) -> list[tuple[str, list[Line]]]:
    """The table's parts each under a line naming only which value follows (预算数, 决算数); [] for a
    table with no such lines."""
    sections: list[tuple[str, list[Line]]] = []
    for line in lines:
        cells = [c for _, c in line.filled]
        label = header_text(cells[0]) if len(cells) == 1 else ""
        if label and label in MEASURE_WORDS:
            sections.append((label, []))
        elif sections:
            sections[-1][1].append(line)
    return [s for s in sections if s[1]]


def _kind(block_kind: str, lines: list[Line]) -> str:
    """The lexicon's kind, corrected by what the header shows (two 项目 → two-sided, …)."""
    if block_kind == "performance":  # by its title; a plain grid under such a title is read as a grid
        return block_kind if performance_layout(lines) else "grid"
    head = [header_text(c) for l in lines[:8] for _, c in l.filled]
    if head.count(NAME_LABEL) >= 2 and block_kind != "two_sided":
        return "triples"
    if head.count(ITEM_LABEL) >= 2 and head.count(HANGCI_LABEL) >= 2:
        return "two_sided"
    if block_kind == "two_sided" and not _two_sides_shown(lines, head):
        return "grid"  # a totals table drawn as one list of items (项目 | 2021年决算数 | 2020年决算数 | 增减额)
    return block_kind


def _two_sides_shown(lines: list[Line], head: list[str]) -> bool:
    """The header or the rows show two sides: two 项目 columns, both side names, or rows naming an
    item in a second place right of a figure."""
    if head.count(ITEM_LABEL) >= 2 or all(side in head for side in SIDE_NAMES[:2]):
        return True
    for line in lines:
        cells = [c for _, c in line.filled]
        first = next((i for i, c in enumerate(cells) if is_number(c)), None)
        if first is not None and any(_NAME_CELL.search(c) for c in cells[first + 1:]):
            return True
    return False


def parse_delimited_table(block: TableBlock) -> Table:
    """Read one tab-separated or Markdown pipe table block; never raises."""
    layout, lines, notes, unit = "tab", [], [], None
    try:
        layout, lines, notes, unit = segment(block)
        unit = unit or DEFAULT_UNIT
        kind = _kind(table_kind(block.name), lines)
        parser = {
            "two_sided": _parse_two_sided,
            "triples": _parse_triples,
            "sangong": _parse_sangong,
        }.get(kind, _grid_by_code)
        columns, rows = parse_grid_performance(lines, unit) if kind == "performance" else parser(lines)
    except Exception:  # a malformed block must not stop indexing the report
        log.exception("delimited layout: could not read table %r at line %d", block.title, block.title_line)
        columns, rows = [], []
    table_lines = [l.no for l in lines if not l.separator]
    return Table(
        name=block.name,
        title=block.title,
        layout=layout,
        unit=unit or DEFAULT_UNIT,
        columns=columns,
        rows=rows,
        line_start=block.title_line,
        line_end=max(table_lines) if table_lines else block.title_line,
        notes=notes,
    )
