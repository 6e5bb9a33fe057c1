"""Cells of a PDF table drawn without rules, from the positions of its characters.

A ruled table comes out of pdfplumber cell by cell. A table without rules comes out as lines of
text with one space wherever a gap was, so a row with empty cells no longer says which columns its
figures stand in. Here the lines of such a table (a run of lines with three or more cells, a cell
being characters closer together than GAP character heights) are cut at the columns the table
agrees on over all its pages: an x range no cell covers parts two columns (cells that span several
cells of another row, a header over a group of columns, aside; figures no header reaches belong to
the header on their left). Every line becomes one tab-joined
row with an empty cell wherever the row leaves its column blank, as ruled tables are read.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Optional

from .lexicon import squash

MIN_CELLS = 3  # a line of a table: three or more cells
MIN_ROWS = 2  # a table: two or more such lines, one after another
TOP = 3  # a table ending within this many lines of its page's end may run onto the next page
PREFACE = 6  # lines above a table that a page it runs onto may repeat (title, unit, header rows)
GAP = 0.6  # a gap of at least this many character heights parts two cells
WRAP = 0.75  # a line this close to the row above (share of the rows' spacing) goes on with its cell


Columns = list[tuple[float, float]]


@dataclass
class _Cell:
    text: str
    x0: float
    x1: float


def _cells(chars: list[dict]) -> list[_Cell]:
    """The line's characters in cells: a gap wider than GAP character heights starts a new cell."""
    out: list[_Cell] = []
    for ch in sorted(chars, key=lambda c: c["x0"]):
        text = ch["text"]
        if out and ch["x0"] - out[-1].x1 < GAP * ch["size"]:
            cell = out[-1]
            if not text.isspace():
                # a narrow space between two Latin words stays; CJK and figures join directly
                if ch["x0"] - cell.x1 > 0.2 * ch["size"] and cell.text[-1:].isascii() and text.isascii():
                    cell.text += " "
                cell.text += text
            cell.x1 = max(cell.x1, ch["x1"])
        elif not text.isspace():
            out.append(_Cell(text, ch["x0"], ch["x1"]))
    return out


def _spans_columns(cell: _Cell, rows: list[list[_Cell]]) -> bool:
    """Whether the cell reaches over two or more cells of another row: a header over a group of
    columns (预算数, 公务用车购置及运行费, 科目编码 over 类 款 项), or a label running into the next
    column."""
    for row in rows:
        if sum(1 for c in row if c is not cell and c.x0 < cell.x1 and c.x1 > cell.x0) >= 2:
            return True
    return False


def _stretches(ranges: list[tuple[float, float]]) -> Columns:
    spans: Columns = []
    for a, b in sorted(ranges):
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], b))
        else:
            spans.append((a, b))
    return spans


def _columns(rows: list[list[_Cell]]) -> Columns:
    """x ranges of the columns: the stretches the cells cover, leaving out cells that span columns.
    Figures in a stretch no header cell reaches (a column wider than its header and its figures, the
    figures set right) belong to the column of the nearest header cell on their left."""
    basis = [c for r in rows for c in r if not _spans_columns(c, rows)]
    spans = _stretches([(c.x0, c.x1) for c in basis])
    heads = [c for r in rows if not any(ch.isdigit() for x in r for ch in x.text) for c in r if c in basis]
    homes = {}
    for sp in spans:
        if heads and not any(sp[0] <= h.x0 and h.x1 <= sp[1] for h in heads):
            left = [h for h in heads if h.x1 <= sp[0]]
            if left:
                h = max(left, key=lambda h: h.x1)
                homes[sp] = next(s for s in spans if s[0] <= h.x0 and h.x1 <= s[1])
    if not homes:
        return spans
    return _stretches([(min(sp[0], homes[sp][0]), max(sp[1], homes[sp][1])) if sp in homes else sp for sp in spans])


def _slot(cell: _Cell, columns: Columns) -> int:
    """The first column the cell reaches into (a cell spanning a group of columns stands in the
    first, as a merged cell of a ruled table); the nearest when it reaches into none."""
    for k, (a, b) in enumerate(columns):
        if cell.x0 < b and cell.x1 > a:
            return k
    return min(range(len(columns)), key=lambda k: min(abs(columns[k][0] - cell.x1), abs(columns[k][1] - cell.x0)))


def _slots(cells: list[_Cell], columns: Columns) -> list[str]:
    slots = [""] * len(columns)
    for c in cells:
        k = _slot(c, columns)
        slots[k] = f"{slots[k]} {c.text}".strip() if slots[k] else c.text
    return slots


def _tabular(cells: list[_Cell]) -> bool:
    """A line of a table: MIN_CELLS cells or more, most of them longer than one character (a title
    printed with its characters spaced out, "部  门  决  算", is no table)."""
    return len(cells) >= MIN_CELLS and sum(1 for c in cells if len(c.text) == 1) * 2 < len(cells)


def _continuations(lines: list[dict], cells: list[list[_Cell]]) -> dict[int, int]:
    """Lines that belong to a cell of a table row next to them (a name wrapped in its cell, above or
    below the row's figures): one cell, no figure, under (over) one cell of the row line and no
    other, joined to it by lines each closer to the next than WRAP of the rows' spacing; the nearer
    row when both are. {line: row line}."""
    tops = [line["top"] for line in lines]
    pitches = [tops[i + 1] - tops[i] for i in range(len(lines) - 1) if len(cells[i]) >= 2 <= len(cells[i + 1])]
    if not pitches:
        return {}
    close = WRAP * statistics.median(pitches)

    def wrapped(i: int) -> bool:
        return len(cells[i]) == 1 and not any(ch.isdigit() for ch in cells[i][0].text)

    def row_from(i: int, step: int) -> Optional[int]:
        """The row line reached from line i going by `step` over wrapped lines, each gap close."""
        k = i
        while 0 <= k + step < len(lines) and abs(tops[k + step] - tops[k]) < close:
            k += step
            if len(cells[k]) >= 2:
                return k
            if not wrapped(k):
                return None
        return None

    def fits(i: int, row: Optional[int]) -> Optional[int]:
        """The row, when line i's cell stands under (over) one cell of it and reaches no other."""
        if row is None:
            return None
        c = cells[i][0]
        return row if sum(1 for r in cells[row] if r.x0 < c.x1 and r.x1 > c.x0) == 1 else None

    out: dict[int, int] = {}
    for i in range(len(lines)):
        if not wrapped(i):
            continue
        above, below = fits(i, row_from(i, -1)), fits(i, row_from(i, 1))
        if above is not None and (below is None or tops[i] - tops[above] <= tops[below] - tops[i]):
            out[i] = above
        elif below is not None:
            out[i] = below
    return out


def _runs(cells: list[list[_Cell]], texts: list[str], cont: dict[int, int]) -> list[list[int]]:
    """Runs of table lines on one page: lines of two or more cells, one after another, from a
    `_tabular` line (or from the line of two cells without figures right above it: a header over
    groups of columns, 收入 … 支出); at the page's top from its first line (it may run on from the page
    before)."""
    runs, k = [], 0
    while k < len(cells):
        end = k
        while end < len(cells) and (len(cells[end]) >= 2 or end in cont):
            end += 1
        lines = list(range(k, end))
        if k >= TOP:
            first = next((i for i in lines if _tabular(cells[i])), None)
            lines = [] if first is None else lines[lines.index(first):]
            if lines and first > k and not any(ch.isdigit() or ch in "：:" for ch in texts[first - 1]):
                lines.insert(0, first - 1)
        if lines:
            runs.append(lines)
        k = max(end, k + 1)
    return runs


def table_lines(pages: list[list[dict]]) -> list[list[Optional[str]]]:
    """Each page's text lines (pdfplumber `extract_text_lines(return_chars=True)`), with the lines of
    every table written as tab-joined rows and every other line as its text; a line that goes on
    with a cell of the row above (`_continuations`) joins that cell and becomes None.

    A table is a run of lines (`_runs`), or runs on consecutive pages where one ends within TOP lines
    of its page's end and the next is the first of its page with nothing above it but lines repeated
    from above the table (a table running over a page break keeps one set of columns, a column left
    empty on one page included); with MIN_ROWS `_tabular` lines in all. Page furniture (page
    numbers, running headers) is gone before."""
    cells = [[_cells(line["chars"]) for line in lines] for lines in pages]
    out: list[list[Optional[str]]] = [[line["text"] for line in lines] for lines in pages]
    conts = [_continuations(lines, page_cells) for lines, page_cells in zip(pages, cells)]
    tables: list[list[tuple[int, int]]] = []  # (page, line) of each table's lines

    def runs_on(p: int, run: list[int]) -> bool:
        """Whether the page's first run continues the table the page before ends in: the lines above
        it repeat lines from above that table (its header's upper rows, its title)."""
        if not tables or tables[-1][-1][0] != p - 1 or tables[-1][-1][1] < len(pages[p - 1]) - TOP:
            return False
        first_page, first = tables[-1][0]
        above = {squash(t) for t in out[first_page][max(0, first - PREFACE):first]}
        return all(squash(t) in above for t in out[p][:run[0]])

    for p, lines in enumerate(pages):
        for n, run in enumerate(_runs(cells[p], out[p], conts[p])):
            if n == 0 and runs_on(p, run):
                tables[-1] += [(p, i) for i in run]
            else:
                tables.append([(p, i) for i in run])
    for table in tables:
        lines = [(p, i) for p, i in table if i not in conts[p]]
        rows = [cells[p][i] for p, i in lines]
        if sum(1 for r in rows if _tabular(r)) < MIN_ROWS:
            continue
        columns = _columns(rows)
        if len(columns) < MIN_CELLS:
            continue
        slots = {(p, i): _slots(row, columns) for (p, i), row in zip(lines, rows)}
        for p, i in table:
            if i in conts[p] and (p, conts[p][i]) in slots:
                cell, row = cells[p][i][0], slots[(p, conts[p][i])]
                k = _slot(cell, columns)
                row[k] = row[k] + cell.text if conts[p][i] < i else cell.text + row[k]
                out[p][i] = None
        for (p, i), row_slots in slots.items():
            out[p][i] = "\t".join(row_slots)
    return out
