"""Table cells → facts: one fact per numeric cell, with its table, row, column, unit and line."""
from __future__ import annotations

from typing import Iterator, Optional

from .lexicon import load, squash
from .models import Cell, Fact, Row, Table

_PERF = load("table_headers.json")["performance"]
SCORE_COLUMNS = frozenset(_PERF["score_columns"])


def numeric_cells(tables: list[Table]) -> Iterator[tuple[int, int, Table, Row, Cell]]:
    """(table index, row index, table, row, cell) of every numeric cell, in document order."""
    for ti, t in enumerate(tables):
        for ri, row in enumerate(t.rows):
            for cell in row.cells:
                if cell.value is not None:
                    yield ti, ri, t, row, cell


def cell_unit(t: Table, cell: Cell) -> str:
    """The cell's own unit, else the table's; a score column (得分, 分值) counts in points, never in the
    table's money unit."""
    if cell.unit:
        return cell.unit
    if squash(cell.column).split("/")[-1] in SCORE_COLUMNS:
        return _PERF["score_unit"]
    return t.unit


def table_facts(report_id: str, tables: list[Table],
                row_chunk: Optional[dict[tuple[int, int], str]] = None) -> list[Fact]:
    """One fact per numeric cell; `row_chunk` (the chunker's chunk id of each table row) ties each fact
    to the chunk that cites it."""
    row_chunk = row_chunk or {}
    return [
        Fact(report_id=report_id, table=t.name, table_title=t.title, row_code=row.code, row_name=row.name,
             column=cell.column, value=cell.value, raw=cell.raw.strip(), unit=cell_unit(t, cell),
             line=cell.line or row.line_end, line_end=row.line_end, uncertain=cell.uncertain,
             chunk_id=row_chunk.get((ti, ri)))
        for ti, ri, t, row, cell in numeric_cells(tables)
    ]
