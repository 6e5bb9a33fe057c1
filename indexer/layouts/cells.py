"""Cell text shared by every layout: row names, placeholders for empty cells, signed figures.

Conventions (TABLES.md): a row name has its whitespace and a leading ordinal (一、 （一） 1.)
removed; a placeholder (— - / …) is an empty cell and makes no Cell; a signed change (+12.3)
is the number 12.3 with its sign as written in `raw`; a share (93.54%) has the unit %.
"""
from __future__ import annotations

import re
from typing import Optional

from ..lexicon import load, squash
from ..models import Row
from ..numbers import parse_number

LEX = load("table_headers.json")
ORDINAL_RE = re.compile(LEX["ordinal_pattern"])
SUB_ITEM_RE = re.compile(LEX["sub_item_pattern"])
PLUS_RE = re.compile(LEX["signed_number_pattern"])
PLACEHOLDER_CELLS = frozenset(LEX["placeholder_cells"])
PERCENT_SIGNS = tuple(LEX["percent_signs"])
PAGE_FURNITURE_RE = re.compile(LEX["items"]["page_furniture_pattern"])


def row_name(text: str) -> str:
    """Row label: whitespace removed, a leading ordinal (一、 （一） 1.) removed."""
    name = squash(text)
    stripped = ORDINAL_RE.sub("", name, count=1)
    return stripped or name


def item_name(text: str) -> str:
    """A row label of an item table: also without the 其中： that marks a sub-item."""
    name = row_name(text)
    return SUB_ITEM_RE.sub("", name, count=1) or name


def is_page_furniture(text: str) -> bool:
    """A page break (\\f) or a page-number line (—10—, 第 3 页), not a mere blank line."""
    return bool(PAGE_FURNITURE_RE.match(text)) and bool(text.strip(" \t\r\n"))


def is_placeholder(text: str) -> bool:
    return squash(text) in PLACEHOLDER_CELLS


def signed_number(text: str) -> Optional[float]:
    """A figure with an optional explicit sign ("+455.35" → 455.35, "-3.2" → -3.2); None otherwise."""
    if text is None:
        return None
    return parse_number(PLUS_RE.sub("", text.strip(), count=1))


def amount(text: str) -> tuple[Optional[float], Optional[str]]:
    """(value, unit) of a figure cell: unit "%" for a share, None for a plain amount."""
    value = signed_number(text)
    if value is None:
        return None, None
    return value, ("%" if text.strip().endswith(PERCENT_SIGNS) else None)


def unplaced_notes(rows: list[Row]) -> list[str]:
    """Why the uncertain cells of a table are no facts."""
    return [f"{r.name or r.code or '?'}: 数字 {c.raw} 的栏目无法由恒等式或版式确定（最可能为“{c.column}”），"
            f"未作为事实（第{c.line}行）" for r in rows for c in r.cells if c.uncertain and c.value is None]
