"""How candidate figures relate to one another: total rows and the parts that add up to them, cells of
one column, and one concept offered by an all-funds table and by an appropriation-only table.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

from indexer.layouts.identities import tolerance
from indexer.lexicon import load, squash
from indexer.models import Fact

from . import rank
from .thresholds import ACCEPT, NEARBY_LINES, SAME_VALUE, SLIP
from .match import Candidate, clean_row
from .query import FLOWS, Question

_LEX = load("questions.json")
_WHOLE_COLUMN = tuple(_LEX["whole_column_words"])  # a column holding a row's whole (本年支出合计, 小计)
_TOTAL_ROWS = frozenset(_LEX["total_rows"])
_OTHER_VALUE = {"budget_unasked", "change_unasked", "label_unasked"}  # not the figure itself, or another one
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
        return _stated_whole(cands, best, margin)
    tied = [c for c in cands if c.kind == "table" and c.fact is not None and best.score - c.score < margin
            and same_column(c.fact, best.fact)]
    totals = [c for c in tied if is_total_row(c.row_name)]
    if len(totals) != 1:
        return _whole_column(cands, best, margin)
    return totals[0] if adds_up(totals[0].value, [c.value for c in tied if c is not totals[0]]) else None


def _whole_column(cands: list[Candidate], best: Candidate, margin: float) -> Optional[Candidate]:
    """Cells of one row that tie (三公经费: 合计 42, 因公出国（境）费 5, 公务用车… 32): the cell of its
    total column (合计, 小计) holding the largest figure, which the others are parts of."""
    row = [c for c in cands if c.kind == "table" and c.fact is not None and best.score - c.score < margin + 1e-6
           and c.report_id == best.report_id and c.fact.table == best.fact.table
           and c.fact.row_name == best.fact.row_name and c.fact.line == best.fact.line]
    wholes = [c for c in row if squash(c.fact.column).split("/")[-1] in _TOTAL_ROWS]
    if len(row) < 2 or not wholes:
        return None
    top = max(wholes, key=lambda c: c.value)
    return top if all(top.value >= c.value for c in row) else None


def _stated_whole(cands: list[Candidate], best: Candidate, margin: float) -> Optional[Candidate]:
    """Figures of nearby sentences that tie (公车: 购置费 0, 运行费 2.01) and add up to a figure stated
    there of what they share, which the question asks (购置及运行费支出决算 2.01): that figure."""
    def near(c: Candidate) -> bool:
        return c.prose is not None and c.report_id == best.report_id and c.unit == best.unit \
            and abs(c.line_start - best.line_start) <= NEARBY_LINES
    tied = [c for c in cands if near(c) and best.score - c.score < margin + 1e-6]
    if len(tied) < 2:
        return None
    return next((c for c in cands if near(c) and c not in tied and c.score >= ACCEPT
                 and not _OTHER_VALUE.intersection(c.features) and adds_up(c.value, [t.value for t in tied])), None)


def corroborated(cands: list[Candidate], a: Candidate, b: Candidate) -> Optional[Candidate]:
    """Two figures of one name a hair apart (a report's own slip: 4361.78 once, 4361.89 elsewhere): the
    one more accepted figures of the report repeat; None when neither is repeated more."""
    if a.label != b.label or a.report_id != b.report_id or a.unit != b.unit \
            or abs(a.value - b.value) > SLIP * max(abs(a.value), abs(b.value)):
        return None
    def repeated(v: float) -> int:
        return sum(1 for c in cands if c.report_id == a.report_id and c.unit == a.unit and c.score >= ACCEPT
                   and abs(c.value - v) <= SAME_VALUE and not _OTHER_VALUE.intersection(c.features))
    na, nb = repeated(a.value), repeated(b.value)
    return a if na > nb else b if nb > na else None


def named_child(q: Question, cands: list[Candidate]) -> Optional[Candidate]:
    """The best candidate a row of a table and the question naming, besides its row, a row classified
    under it ("市场监督管理事务下的行政运行"): that child row's cell, of the same column when it has one,
    scored as the row it is named under; the named row's cells, of every table, leave `cands`. None
    otherwise."""
    best = cands[0] if cands else None
    if best is None or best.fact is None or not best.fact.row_code:
        return None
    code, parent = best.fact.row_code, squash(best.fact.row_name)
    rest = squash(q.core).replace(parent, " ")  # 事业单位医疗 inside 行政事业单位医疗 names no child
    children = [c for c in cands[1:] if c.fact is not None and c.report_id == best.report_id
                and c.fact.table == best.fact.table and c.features.get("row_in_question")
                and (c.fact.row_code or "").startswith(code) and len(c.fact.row_code) > len(code)
                and squash(c.fact.row_name) in rest]
    child = next((c for c in children if c.fact.column == best.fact.column), children[0] if children else None)
    if child is None:
        return None
    cands[:] = [c for c in cands if c is not child and not (c.fact is not None and c.report_id == best.report_id
                                                            and c.fact.row_code == code)]
    return replace(child, score=max(child.score, best.score))
