"""Formatting of the synthetic reports (bench/synth.py): figures as the reports print them,
tables in a layout-independent form, PDF-extracted rows and hard wraps."""
from __future__ import annotations

from typing import Iterable


# ------------------------------------------------------------------ formatting helpers
def money(fen: int, sep: bool = True) -> str:
    s = f"{fen / 100:,.2f}" if sep else f"{fen / 100:.2f}"
    return s


def cell(fen: int) -> str:
    """A table cell: empty when zero (as the reports print it)."""
    return money(fen) if fen else ""


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.2f}" if b else "0"


class Table:
    """A table in a layout-independent form: header rows and body rows of cell strings."""

    def __init__(self, heading: str, title: str, header: list[list[str]], rows: list[list[str]],
                 notes: Iterable[str] = ()):
        self.heading, self.title, self.header, self.rows, self.notes = heading, title, header, rows, list(notes)


def _pdf_row(cells: list[str]) -> str:
    """PDF-extracted row: one space between cells, two more per empty cell, a trailing space."""
    out, skipped, first = "", 0, True
    for c in cells:
        if not c:
            skipped += 1
            continue
        out += ("  " * skipped) if first else (" " + "  " * skipped)
        out += c
        skipped, first = 0, False
    return out + " " + "  " * skipped


def _wrap(text: str, width: int) -> list[str]:
    """Hard wraps every `width` characters, never inside a number."""
    lines, cur = [], ""
    for k, ch in enumerate(text):
        cur += ch
        nxt = text[k + 1] if k + 1 < len(text) else ""
        if (len(cur) >= width and not (ch.isdigit() or ch in ".,") and not (nxt.isdigit() or nxt in ".,%")
                and nxt not in "，。、；：）%"):
            lines.append(cur)
            cur = ""
    if cur:
        lines.append(cur)
    return lines
