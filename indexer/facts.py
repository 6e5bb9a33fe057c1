"""Table cells → facts: one fact per numeric cell, with its table, row, column, unit and line."""
from __future__ import annotations

from typing import Iterator, Optional

from .models import Cell, Fact, Row, Table


def numeric_cells(tables: list[Table]) -> Iterator[tuple[int, int, Table, Row, Cell]]:
    """(table index, row index, table, row, cell) of every numeric cell, in document order."""
    for ti, t in enumerate(tables):
        for ri, row in enumerate(t.rows):
            for cell in row.cells:
                if cell.value is not None:
                    yield ti, ri, t, row, cell


def table_facts(report_id: str, tables: list[Table],
                row_chunk: Optional[dict[tuple[int, int], str]] = None) -> list[Fact]:
    """One fact per numeric cell; `row_chunk` (the chunker's chunk id of each table row) ties each fact
    to the chunk that cites it."""
    row_chunk = row_chunk or {}
    return [
        Fact(report_id=report_id, table=t.name, table_title=t.title, row_code=row.code, row_name=row.name,
             column=cell.column, value=cell.value, raw=cell.raw.strip(), unit=cell.unit or t.unit,
             line=cell.line or row.line_end, line_end=row.line_end, uncertain=cell.uncertain,
             chunk_id=row_chunk.get((ti, ri)))
        for ti, ri, t, row, cell in numeric_cells(tables)
    ]
