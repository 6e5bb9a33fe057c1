"""Item tables: tables without a template title, as other provinces' reports write them.

A caption (`收支总体情况表  金额单位：万元`, `**收支总计变动的主要因素**：`) or the nearest heading
names the table (`indexer.tables.find_untitled_blocks`). The rows are items (a label, then one cell
per value column), written as Markdown pipe rows, tab-separated rows or space-aligned columns
(positions from the header line, in characters or in display columns where CJK is two wide).

* A table whose row labels name measures (决算数, 增减额, 增减幅度 …) and whose header names items is
  transposed: one Row per item, one column per measure.
* Placeholders (— - /) are empty cells; a signed change (+12.3) is the number as written; a share
  (93.54%) has unit %; a word in a value column (无增减, 增加/减少) is a text cell, no figure.
* A number whose column the spacing cannot decide is no fact: its cell keeps the text, is marked
  uncertain, and the table's notes say why.
* Leading code / name columns (科目编码 | 科目名称) form the row label and Row.code.
* Sums are checked: by code level when rows have codes (上级科目 = Σ下级科目, 合计 = Σ类), else a total
  row (first or last, named …合计/总计/总额) against the other rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from ..lexicon import load, squash
from ..models import Cell, Check, Row, Table, TableBlock
from ..numbers import parse_quantity
from .aligned import ACell, aligned_cells, span_distance
from .cells import amount, is_page_furniture, is_placeholder, item_name, row_name, unplaced_notes
from .delimited_grid import (CODE_NAME_RE, PIPE_SEPARATOR, clean_cell, code_and_name, header_text, is_code,
                             is_pipe_line, is_stub_label, MEASURE_WORDS, split_cells, unit_statement)
from .identities import Tally, code_groups

LEX = load("table_headers.json")
ITEMS = LEX["items"]
TOTAL_SUFFIXES = tuple(ITEMS["total_suffixes"])
UNIT_NOTE_RE = re.compile(ITEMS["unit_note_pattern"])
RULE_LINE_RE = re.compile(ITEMS["rule_line_pattern"])
DEFAULT_UNIT = LEX["default_unit"]
INDEX_LABELS = frozenset(ITEMS["index_labels"])
PERCENT = "%"
_NEAR = 2  # display columns: a figure this much nearer to one header cell than to the next is under it


@dataclass
class GridRow:
    label: str
    cells: list[Optional[tuple[str, int]]]  # per value column: (text, line) or None
    line: int
    indent: int = 0
    uncertain: set[int] = field(default_factory=set)  # columns whose figure sits between two columns
    code: Optional[str] = None  # function / economic code, when the stub columns hold one
    line_end: Optional[int] = None  # last line of a label wrapped onto the next line


@dataclass
class Grid:
    layout: str
    header: list[str]  # value columns as written
    rows: list[GridRow]
    unit: Optional[str] = None
    notes: list[str] = field(default_factory=list)
    stub_header: str = ""  # the header cell above the row labels

    @property
    def line_end(self) -> int:
        return max((r.line_end or r.line for r in self.rows), default=0)


# ---------------------------------------------------------------- which layout
def delimited_rows(texts: list[str]) -> int:
    """How many lines are pipe rows or tab-separated rows, whichever is more."""
    return max(sum(is_pipe_line(t) for t in texts), sum("\t" in t for t in texts))


def is_figure(text: str) -> bool:
    return amount(text)[0] is not None


def is_rule_line(text: str) -> bool:
    return bool(RULE_LINE_RE.match(text)) and bool(text.strip())


# ---------------------------------------------------------------- delimited grid
def _delimited_grid(block: TableBlock, layout: str) -> Optional[Grid]:
    header: Optional[list[str]] = None
    grid = Grid(layout, [], [])
    for no, raw in block.lines:
        text = (raw or "").rstrip("\r\n")
        is_row = is_pipe_line(text) if layout == "pipe" else "\t" in text
        if not is_row and is_page_furniture(text):
            continue
        if not is_row:
            if text.strip() and grid.rows:
                break  # the rows have ended
            grid.unit = grid.unit or unit_statement(text)
            continue
        if layout == "pipe" and PIPE_SEPARATOR.match(text.strip()):
            continue
        cells = split_cells(text, layout)
        if not any(cells):
            continue
        if header is None:
            header = cells
            continue
        if cells == header:
            continue  # the header repeated after a page break
        if not grid.rows and not cells[0] and not any(is_figure(c) for c in cells):
            header = _stack_headers(header, cells)  # a second header line: lower labels
            continue
        values = cells[1:len(header)] + [""] * (len(header) - len(cells))
        grid.rows.append(GridRow(cells[0], [(c, no) if c else None for c in values], no))
        if len(cells) > len(header) and any(cells[len(header):]):
            grid.notes.append(f"第{no}行的单元格多于表头，多出的未读入")
    if header is None or len(header) < 2:
        return None
    grid.stub_header, grid.header = header[0], header[1:]
    return grid


def _stack_headers(upper: list[str], lower: list[str]) -> list[str]:
    """Two header lines as one: an upper label spans right over empty cells; a lower label below
    it is joined as upper/lower (TABLES.md: multi-level headers joined with "/")."""
    width = max(len(upper), len(lower))
    upper, lower = upper + [""] * (width - len(upper)), lower + [""] * (width - len(lower))
    spanning, out = "", []
    for k in range(width):
        spanning = upper[k] or (spanning if lower[k] else "")
        out.append("/".join(x for x in (spanning, lower[k]) if x) if k else upper[k] or lower[k])
    return out


# ---------------------------------------------------------------- space-aligned grid
def _aligned_lines(block: TableBlock, wide: bool) -> list[list[ACell]]:
    out = []
    for no, raw in block.lines:
        text = (raw or "").rstrip("\r\n").expandtabs()
        if is_page_furniture(text) or not text.strip():
            continue  # the block is one run of rows (tables.find_untitled_blocks), broken only by pages
        if is_rule_line(text):
            continue
        out.append(aligned_cells(no, text, wide))
    return out


def _caption_and_unit(lines: list[list[ACell]]) -> tuple[list[list[ACell]], Optional[str]]:
    """Drop a caption line (`收支总体情况表  金额单位：万元`) and read the unit it states."""
    unit = None
    while lines:
        first = lines[0]
        units = [u for c in first if (u := unit_statement(c.text))]
        if any(is_figure(c.text) for c in first) or not (units or len(first) == 1):
            break
        unit = unit or (units[0] if units else None)
        lines = lines[1:]
    return lines, unit


def _place(cells: list[ACell], spans: list[tuple[int, int]]) -> tuple[dict[int, ACell], set[int]]:
    """Each cell to the header column it overlaps or is nearest; a cell as near to two columns,
    or a second cell for a taken column, is uncertain."""
    placed: dict[int, ACell] = {}
    uncertain: set[int] = set()
    for cell in cells:
        dists = [span_distance(s, cell) for s in spans]
        best = min(range(len(spans)), key=lambda j: (dists[j], j))
        runner_up = min((d for j, d in enumerate(dists) if j != best), default=None)
        if best in placed:
            free = [j for j in range(len(spans)) if j not in placed]
            if not free:
                continue
            best = min(free, key=lambda j: (dists[j], j))
            uncertain.add(best)
        elif dists[best] > 0 and runner_up is not None and runner_up <= dists[best] + max(_NEAR, dists[best]):
            uncertain.add(best)  # under neither header cell, and about as near to another one
        placed[best] = cell
    return placed, uncertain


def _aligned_grid_for(block: TableBlock, wide: bool) -> Optional[tuple[int, Grid]]:
    lines, unit = _caption_and_unit(_aligned_lines(block, wide))
    if len(lines) < 2 or any(is_figure(c.text) for c in lines[0]) or len(lines[0]) < 2:
        return None
    header = lines[0]
    label_end = min(c.end for c in header[:1])
    spans = [(c.start, c.end) for c in header[1:]]
    grid = Grid("aligned", [c.text for c in header[1:]], [], unit, stub_header=header[0].text)
    misfit = 0
    for cells in lines[1:]:
        if [c.text for c in cells] == [c.text for c in header]:
            continue  # the header repeated after a page break
        label = cells[0] if cells and not is_figure(cells[0].text) and cells[0].start < spans[0][0] else None
        values = [c for c in cells if c is not label]
        placed, uncertain = _place(values, spans)
        misfit += sum(min(span_distance(s, c) for s in spans) for c in values)
        row_cells = [(placed[j].text, placed[j].line) if j in placed else None for j in range(len(spans))]
        line = cells[0].line
        prev = grid.rows[-1] if grid.rows else None
        if label is not None and not values and prev is not None and any(prev.cells) and label.start >= prev.indent:
            prev.label, prev.line_end = prev.label + label.text, line  # the label wrapped onto this line
            continue
        grid.rows.append(GridRow(label.text if label else "", row_cells, line,
                                 label.start if label else label_end, uncertain))
    return misfit, grid


def _aligned_grid(block: TableBlock) -> Optional[Grid]:
    """Positions in characters or in display columns, whichever the figures fit better."""
    found = [g for wide in (True, False) if (g := _aligned_grid_for(block, wide)) is not None]
    return min(found, key=lambda mg: mg[0])[1] if found else None


# ---------------------------------------------------------------- grid -> Table
def _is_stub_column(grid: Grid, k: int) -> bool:
    """A column of row labels rather than values: headed 科目名称/项目/…, or holding codes only."""
    texts = [r.cells[k][0] for r in grid.rows if r.cells[k]]
    return is_stub_label(header_text(grid.header[k])) or (bool(texts) and all(is_code(t) for t in texts))


def _read_stub(grid: Grid) -> None:
    """Leading columns that hold codes or names join the row label; a code in it becomes Row.code
    (科目编码 | 科目名称 | 决算数, or "201 一般公共服务支出" in one cell)."""
    width = 0
    while width < len(grid.header) - 1 and _is_stub_column(grid, width):
        width += 1
    labels = [r.label for r in grid.rows if r.label]
    coded = sum(bool(CODE_NAME_RE.match(l) or is_code(l)) for l in labels)
    if not width and 2 * coded < max(1, len(labels)):
        return
    index_first = width > 0 and squash(grid.stub_header) in INDEX_LABELS  # 序号 is no part of the name
    for r in grid.rows:
        stub = ([] if index_first else [r.label]) + [c[0] for c in r.cells[:width] if c]
        r.code, r.label = code_and_name([s for s in stub if s])
        r.cells = r.cells[width:]
        r.uncertain = {j - width for j in r.uncertain if j >= width}
    grid.header = grid.header[width:]



def is_measure(text: str) -> bool:
    t = squash(text)
    return any(w in t for w in MEASURE_WORDS)


def is_transposed(grid: Grid) -> bool:
    """Rows that name measures under a header that names items."""
    labels = [r.label for r in grid.rows if r.label]
    if len(labels) < 2 or any(is_measure(h) for h in grid.header):
        return False
    return 3 * sum(is_measure(l) for l in labels) >= 2 * len(labels)


def column_unit(header: str) -> Optional[str]:
    m = UNIT_NOTE_RE.search(header or "")
    return None if m is None else (PERCENT if m.group(1) in ("%", "％") else m.group(1))


def make_cell(column: str, text: str, line: int, col_unit: Optional[str], table_unit: str,
              uncertain: bool) -> Cell:
    raw = clean_cell(text)
    value, unit = amount(raw)
    if value is None and (q := parse_quantity(raw)) is not None:
        value, unit = q[0], q[1]
    if value is not None and unit is None:
        unit = col_unit
    if unit == table_unit:
        unit = None
    if uncertain:
        value = None  # a figure whose column is not known is no fact
    return Cell(column=column, raw=raw, value=value, unit=unit, uncertain=uncertain, line=line)


def _table_unit(grid: Grid, units: list[Optional[str]]) -> str:
    amounts = [u for u in units if u and u != PERCENT]
    return grid.unit or (amounts[0] if amounts else DEFAULT_UNIT)


def _item_rows(grid: Grid) -> tuple[list[str], list[Row], str]:
    columns = [header_text(h) for h in grid.header]
    units = [column_unit(h) for h in grid.header]
    unit = _table_unit(grid, units)
    rows = []
    for r in grid.rows:
        cells = [make_cell(columns[j], c[0], c[1], units[j], unit, j in r.uncertain)
                 for j, c in enumerate(r.cells) if c and not is_placeholder(c[0])]
        rows.append(Row(code=r.code, name=item_name(clean_cell(r.label)), cells=cells, line_start=r.line,
                        line_end=r.line_end or r.line,
                        uncertain=any(c.uncertain for c in cells)))
    return columns, rows, unit


def _transposed_rows(grid: Grid) -> tuple[list[str], list[Row], str]:
    measures = [r for r in grid.rows if r.label]
    columns = [header_text(clean_cell(r.label)) for r in measures]
    units = [column_unit(r.label) for r in measures]
    unit = _table_unit(grid, units)
    first, last = measures[0].line, measures[-1].line
    rows = []
    for j, item in enumerate(grid.header):
        cells = [make_cell(columns[i], r.cells[j][0], r.cells[j][1], units[i], unit, j in r.uncertain)
                 for i, r in enumerate(measures) if r.cells[j] and not is_placeholder(r.cells[j][0])]
        rows.append(Row(name=item_name(clean_cell(item)), cells=cells, line_start=first, line_end=last,
                        uncertain=any(c.uncertain for c in cells)))
    return columns, rows, unit


# ---------------------------------------------------------------- identities
def is_total_row(name: str) -> bool:
    return name.endswith(TOTAL_SUFFIXES)


def _sum_groups(rows: list[Row]) -> list[tuple[Row, list[Row], str]]:
    """(total, parts, rule) of an item table: with codes, the code levels (类 = Σ款, 合计 = Σ类);
    else a total row, first or last, = Σ the other rows."""
    if any(r.code for r in rows):
        groups = code_groups([r.code for r in rows], [r.name for r in rows],
                             [r.name for r in rows if is_total_row(r.name)])
        return [(rows[i], [rows[j] for j in kids], f"{rows[i].name} = Σ类" if level == "total" else "上级科目 = Σ下级科目")
                for i, kids, level in groups]
    total = rows[-1] if is_total_row(rows[-1].name) else rows[0] if is_total_row(rows[0].name) else None
    return [] if total is None else [(total, [r for r in rows if r is not total], f"{total.name} = Σ其余各行")]


def total_checks(table: Table, sub_items: bool) -> list[Check]:
    """The sums of an item table (`_sum_groups`), per column of amounts (shares excluded); not
    checked when some rows are sub-items (其中) of others."""
    if len(table.rows) < 3 or sub_items:
        return []
    tallies: dict[str, Tally] = {}
    for total, parts, rule in _sum_groups(table.rows):
        tally = tallies.setdefault(rule, Tally(f"{table.name}: {rule}", table.name))
        for col in table.columns:
            tc = total.cell(col)
            if tc is None or tc.value is None or tc.unit == PERCENT:
                continue
            values = [c.value for r in parts if (c := r.cell(col)) is not None and c.value is not None]
            if values:
                tally.add(f"{total.code or total.name} {col}", tc.value, sum(values), total.line_start)
    return [c for t in tallies.values() if (c := t.result()) is not None]


def _has_sub_items(grid: Grid) -> bool:
    indents = [r.indent for r in grid.rows if r.label]
    labels = [squash(clean_cell(r.label)) for r in grid.rows]
    return (bool(indents) and max(indents) > min(indents)) or any(item_name(l) != row_name(l) for l in labels)


# ---------------------------------------------------------------- entry point
def parse_items_checked(block: TableBlock) -> tuple[Optional[Table], list[Check]]:
    texts = [t for _, t in block.lines if t.strip()]
    layout = "pipe" if sum(map(is_pipe_line, texts)) >= 2 else "tab" if sum("\t" in t for t in texts) >= 2 else "aligned"
    grid = _delimited_grid(block, layout) if layout != "aligned" else _aligned_grid(block)
    if grid is None or not grid.rows:
        return None, []
    _read_stub(grid)
    if not grid.header:
        return None, []
    transposed = is_transposed(grid)
    columns, rows, unit = _transposed_rows(grid) if transposed else _item_rows(grid)
    table = Table(name=block.name, title=block.title, layout=layout, unit=unit, columns=columns, rows=rows,
                  line_start=block.title_line, line_end=max(grid.line_end, block.title_line),
                  notes=grid.notes + unplaced_notes(rows))
    return table, total_checks(table, _has_sub_items(grid) or transposed)
