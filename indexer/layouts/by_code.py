"""By-code tables (收入决算表, 支出决算表, 一般公共预算财政拨款支出决算表, …; the one-row 三公 table of
PDF text reads the same way): one parser for every layout.

A layout's reader turns the block into a `Draft`: the value columns and the draft rows (code,
name, the figures and, when the layout fixes it, the column of each figure). `parse_by_code`
then settles every figure with the column solver — the accounting identities of `identities.py`
(row totals from the header groups and formula notes, 类 = Σ款, 款 = Σ项, 合计 = Σ类) plus the
spacing evidence — and builds the rows the same way for every layout.

Readers: `delimited.grid_draft` (tab / pipe grids, where a figure's cell fixes its column; the
solver only evaluates the identities) and `pdftext.stream_draft` (PDF text with collapsed empty
cells, where every increasing placement of a row's figures is a candidate).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..models import Check, Row
from .column_solver import (RawRow, build_rows, column_formulas, column_sums, raw_hierarchy, raw_row_identities,
                            solve_rows)
from .identities import merge_groups


@dataclass
class Draft:
    columns: list[str]
    rows: list[RawRow]
    formulas: list = field(default_factory=list)  # 栏 formula notes (pdf_regions.parse_formulas)
    force_first: bool = False  # a row's first figure is its total (first column) when spacing says nothing
    default_name: str = ""  # name of a row the table does not name (the one row of a 三公 table)


def _fixed(r: RawRow, allowed: list[int]) -> tuple[list[tuple[int, ...]], list[float]]:
    return [r.placed], [0.0]


def parse_by_code(draft: Draft, table: str) -> tuple[list[Row], list[Check]]:
    """The rows of a by-code table and the identities its figures were settled by."""
    columns, raw_rows = draft.columns, draft.rows
    n = len(columns)
    col_ids = merge_groups(column_sums(columns), column_formulas(draft.formulas, n))
    numbered = [i for i, r in enumerate(raw_rows) if r.nums]
    identities = raw_row_identities(raw_rows, numbered, col_ids, columns)
    identities += raw_hierarchy(raw_rows, list(range(n)), columns)
    fixed = all(r.placed is not None for r in raw_rows if r.nums)
    units, solver = solve_rows(raw_rows, columns, lambda r: list(range(n)), lambda r: draft.force_first, identities,
                               _fixed if fixed and numbered else None)
    return build_rows(raw_rows, units, columns, draft.default_name), solver.checks(table)
