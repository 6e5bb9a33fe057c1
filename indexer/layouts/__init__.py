"""Table parsers behind one interface: `parse(block) -> Table | None`, one family per module.

`LAYOUTS` is the registry, tried in this order; the first layout that accepts a block and
returns a table wins (conventions of the resulting tables: indexer/TABLES.md):

1. `delimited` — tab-separated rows or Markdown pipe tables (`delimited.py`, grid in `delimited_grid.py`,
   绩效自评表 in `delimited_performance.py`).
2. `items` — a table without a template title (a caption or none): label rows × value columns,
   transposed tables, direction columns, shares; pipe, tab or space-aligned (`items.py`).
3. `aligned` — space-aligned by-code and 三公 tables (`aligned.py`).
4. `pdftext` — PDF text with collapsed empty cells (`pdftext.py`, `pdf_tokens.py`, `pdf_regions.py`,
   `pdftext_performance.py`), numbers placed by `column_solver.py`.

By-code tables of both the delimited and the PDF-text layouts are read by one parser (`by_code.py`).
The accounting identities both the solver and `indexer.checks` use are in `identities.py`.
"""
from __future__ import annotations

import logging
import re
from typing import Optional, Protocol

from ..models import Check, Table, TableBlock
from .aligned import looks_aligned, parse_aligned_block
from .delimited import parse_delimited_table
from .delimited_grid import ITEM_LABEL, SIDE_NAMES, commas_as_tabs
from .items import delimited_rows, is_rule_line, parse_items_checked
from .pdftext import parse_pdftext_table_checked
from .pdf_regions import TABLE_KIND

log = logging.getLogger(__name__)


class Layout(Protocol):
    name: str
    reports_holding: bool  # the report keeps its identities that hold, not only the failing ones

    def accepts(self, block: TableBlock) -> bool: ...

    def parse(self, block: TableBlock) -> Optional[Table]: ...

    def read(self, block: TableBlock) -> tuple[Optional[Table], list[Check]]:
        """The table (None when the layout cannot read the block) and the identities it evaluated."""
        ...


def _texts(block: TableBlock) -> list[str]:
    return [t for _, t in block.lines if t.strip()]


def _one_side_shown(block: TableBlock) -> bool:
    """A totals table set as one list of items (项目 | 2021年决算数 | 2020年决算数 | 增减额): one 项目
    column, not both side names, and no row naming a second item right of its figures."""
    texts = _texts(block)
    words = [w for t in texts[:3] for w in t.split()]
    if words.count(ITEM_LABEL) >= 2 or all(side in words for side in SIDE_NAMES[:2]):
        return False
    return bool(texts) and not any(_NAME_AFTER_FIGURE.search(t) for t in texts)


_NAME_AFTER_FIGURE = re.compile(r"\d\s+[^\d\s%％.,，-]*[\u4e00-\u9fff]{2}")


def is_template_table(block: TableBlock) -> bool:
    """A block titled with one of the template's table names (lexicon tables.json)."""
    return block.name in TABLE_KIND


class _Family:
    name = ""
    reports_holding = True

    def parse(self, block: TableBlock) -> Optional[Table]:
        return self.read(block)[0]


class Delimited(_Family):
    name = "delimited"

    def accepts(self, block: TableBlock) -> bool:
        return is_template_table(block) and delimited_rows(_texts(block)) >= 2

    def read(self, block: TableBlock) -> tuple[Optional[Table], list[Check]]:
        return parse_delimited_table(block), []  # its identities are checked by indexer.checks


class Items(_Family):
    name = "items"  # its identities are not checked anywhere else: all reported

    def accepts(self, block: TableBlock) -> bool:
        return not is_template_table(block)

    def read(self, block: TableBlock) -> tuple[Optional[Table], list[Check]]:
        return parse_items_checked(block)


class Aligned(_Family):
    name = "aligned"
    reports_holding = False  # what holds is in the cells chosen; indexer.checks reports the table

    def accepts(self, block: TableBlock) -> bool:
        kind = TABLE_KIND.get(block.name)
        return (kind in ("by_code", "sangong") or kind == "two_sided" and _one_side_shown(block)) \
            and looks_aligned(block.lines)

    def read(self, block: TableBlock) -> tuple[Optional[Table], list[Check]]:
        return parse_aligned_block(block)


class PdfText(_Family):
    name = "pdftext"
    reports_holding = False

    def accepts(self, block: TableBlock) -> bool:
        return bool(_texts(block))

    def read(self, block: TableBlock) -> tuple[Optional[Table], list[Check]]:
        return parse_pdftext_table_checked(block)


LAYOUTS: list[Layout] = [Delimited(), Items(), Aligned(), PdfText()]


def _parse(block: TableBlock) -> tuple[Table, list[Check], Optional[Layout]]:
    block = commas_as_tabs(block)  # 科目编码,科目名称,…: comma-separated rows read as tab-separated
    if any(is_rule_line(t) for _, t in block.lines):  # ---- / ==== rules drawn in text hold nothing
        block = block.model_copy(update={"lines": [(n, t) for n, t in block.lines if not is_rule_line(t)]})
    for layout in LAYOUTS:
        if not layout.accepts(block):
            continue
        try:
            table, checks = layout.read(block)
        except Exception as exc:  # a broken table must not lose the rest of the report
            log.warning("table %r at line %d could not be parsed by %s: %s", block.title, block.title_line,
                        layout.name, exc)
            return _empty(block, layout.name, [f"parse error: {exc}"]), [], None
        if table is not None:
            return table, checks, layout
    return _empty(block, "empty", []), [], None


def parse_block_checked(block: TableBlock) -> tuple[Table, list[Check]]:
    """The table of one block by the first layout that reads it, and every identity that layout
    evaluated (a column solver's, an item table's total); never raises."""
    table, checks, _ = _parse(block)
    return table, checks


def parse_block_reported(block: TableBlock) -> tuple[Table, list[Check]]:
    """As `parse_block_checked`, with only the checks worth adding to the report: of a column
    solver those that fail, of other layouts all of them."""
    table, checks, layout = _parse(block)
    if layout is not None and not layout.reports_holding:
        checks = [c for c in checks if not c.holds]
    return table, checks


def parse_block(block: TableBlock) -> Table:
    return parse_block_checked(block)[0]


def _empty(block: TableBlock, layout: str, notes: list[str]) -> Table:
    return Table(name=block.name, title=block.title, layout=layout, line_start=block.title_line,
                 line_end=block.title_line, notes=notes)


__all__ = ["LAYOUTS", "Layout", "parse_block", "parse_block_checked", "parse_block_reported"]
