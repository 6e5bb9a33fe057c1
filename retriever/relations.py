"""How candidate figures relate to one another: total rows and the parts that add up to them, cells of
one column, and one concept offered by an all-funds table and by an appropriation-only table.
"""
from __future__ import annotations

from typing import Optional

from indexer.layouts.identities import tolerance
from indexer.lexicon import load
from indexer.models import Fact

from . import rank
from .match import Candidate, clean_row
from .query import FLOWS, Question

_LEX = load("questions.json")
_WHOLE_COLUMN = tuple(_LEX["whole_column_words"])  # a column holding a row's whole (本年支出合计, 小计)
_TOTAL_ROWS = frozenset(_LEX["total_rows"])
TOTAL_WORDS = tuple(_LEX["total_rows"]) + tuple(_LEX["part_total_words"])  # rows that are totals (合计, 总额)


def prefer_all_funds(q: Question, cands: list[Candidate]) -> None:
    """The same concept in an all-funds table and an appropriation-only table: unless the question
    asks for appropriations, the appropriation figure steps back (it stays available as a sibling)."""
    if q.table or any(w in q.norm for w in _LEX["appropriation_words"]):
        return
    whole = not any(w in q.core for w in _WHOLE_COLUMN)  # "X合计" may name the appropriation table's 合计 column
    all_funds = {k for c in cands if c.kind == "table" and c.table in _LEX["all_funds_tables"]
                 for k in _twin_keys(c, whole)}
    for c in cands:
        if c.kind == "table" and c.table in _LEX["appropriation_tables"] \
                and not _twin_keys(c, whole).isdisjoint(all_funds):
            c.features["appropriation_twin"] = 1.0
            c.score += rank.weighed("table", {"appropriation_twin": 1.0})


def _twin_keys(c: Candidate, whole: bool) -> set[tuple[str, str, str]]:
    """What makes two tables' figures one concept: the same label; the same total row on the same side (总计
    of 支出/金额 in the all-funds table, 总计 of 支出/合计 in the appropriation one); when `whole`, the
    same row's whole (一般公共服务支出 of 本年支出合计 there, of 小计 here)."""
    keys = {(c.report_id, "label", c.label)}
    side = next((k for k in FLOWS if k in c.column), "")
    if side and c.row_name in _TOTAL_ROWS:
        keys.add((c.report_id, c.row_name, side))
    if whole and any(w in c.column for w in _WHOLE_COLUMN):
        keys.add((c.report_id, c.row_name, "whole"))
    return keys


def is_total_row(row_name: str) -> bool:
    return clean_row(row_name).endswith(TOTAL_WORDS)


def same_column(a: Fact, b: Fact) -> bool:
    """Two cells of one column of one table of one report."""
    return (a.report_id, a.table, a.table_title, a.column, a.unit) \
        == (b.report_id, b.table, b.table_title, b.column, b.unit)


def adds_up(total: float, parts: list[float]) -> bool:
    """At least two parts summing to the total within the reports' rounding (`identities.tolerance`)."""
    return len(parts) >= 2 and abs(sum(parts) - total) <= tolerance(len(parts) + 1)


def fact_candidate(f: Fact, score: float) -> Candidate:
    """A table fact as a candidate that no question scored (a part or total found by an identity)."""
    return Candidate("table", f.report_id, f.value, f.raw, f.unit or "万元", clean_row(f.row_name), f.chunk_id,
                     f.line, f.line_end or f.line, score, f.table, f.column, f.row_name, f)


def tied_total(cands: list[Candidate], best: Candidate, margin: float) -> Optional[Candidate]:
    """Rows of one table and column that tie for a question naming only what they share (政府采购:
    货物支出 15, 服务支出 45, 支出总额 60): the one total row that the others add up to is the figure
    itself, by the report's own identity; None when there is no such row."""
    if best.fact is None:
        return None
    tied = [c for c in cands if c.kind == "table" and c.fact is not None and best.score - c.score < margin
            and same_column(c.fact, best.fact)]
    totals = [c for c in tied if is_total_row(c.row_name)]
    if len(totals) != 1:
        return None
    return totals[0] if adds_up(totals[0].value, [c.value for c in tied if c is not totals[0]]) else None
