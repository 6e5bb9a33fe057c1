"""Which column an unlabeled number belongs to, decided as a small constraint problem.

Every row's possible assignments of its numbers to columns are enumerated and scored by the
accounting identities they satisfy (`identities.py`: row totals, 类 = Σ 款, 款 = Σ 项,
合计 = Σ 类, formula notes such as ``1 栏各行＝（2＋3）栏各行``) plus agreement with the spacing /
position evidence. Rows are improved one at a time until nothing changes; when the best
assignment of a row is not unique the differing cells are marked ``uncertain``. The identities
the solver settled on are returned as checks (failures reach `ParsedReport.checks`).
"""
from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..models import Cell, Check, Row
from .identities import (FLOAT_EPS, Identity, column_groups, hierarchy_identities, identity_checks, is_total_column,
                         row_identities)
from .pdf_tokens import (FORMULA_COLUMN, FUNCTION_CODE_LENGTHS, MAX_CANDIDATES, ROW_LABELS, TOTAL_WORDS, W_SPACING, Tok, placeholder_columns, skip,
                         value_of, words_in)
from .cells import row_name

log = logging.getLogger(__name__)


def alternatives(seg: str) -> list[str]:
    return sorted(seg.split("|"), key=len, reverse=True)


def _match_template(template: list[str], text: str) -> Optional[list[str]]:
    names = []
    for col in template:
        segs = []
        for seg in col.split("/"):
            found = next((a for a in alternatives(seg) if a in text), None)
            if found is None:
                return None
            segs.append(found)
        names.append("/".join(segs))
    return names


def _default_names(template: list[str]) -> list[str]:
    return ["/".join(seg.split("|")[0] for seg in col.split("/")) for col in template]


def resolve_columns(templates: list[list[str]], header: str, count: Optional[int]) -> list[str]:
    """Column names: a template whose words are all in the header, else the 栏次 count."""
    matches = [m for t in templates if (m := _match_template(t, header))]
    if count:
        exact = [m for m in matches if len(m) == count]
        if exact:
            return exact[0]
        sized = [t for t in templates if len(t) == count]
        if sized:
            return _default_names(sized[0])
        found = words_in(header, [a for t in templates for col in t for a in col.split("/")[-1].split("|")])
        if len(found) == count:
            return found
        return placeholder_columns(count)
    if matches:
        return max(matches, key=len)
    return []


@dataclass
class Unit:
    """A row whose numbers need columns: candidates are tuples of column indices."""

    row: int
    values: list[float]
    candidates: list[tuple[int, ...]]
    costs: list[float]
    choice: int = 0
    uncertain: set[int] = field(default_factory=set)  # positions of uncertain numbers


class Solver:
    def __init__(self, units: list[Unit], identities: list[Identity], fixed: Optional[dict] = None):
        self.units = units
        self.identities = identities
        self.values: dict[tuple[int, int], float] = dict(fixed or {})
        self.by_row: dict[int, list[Identity]] = {}
        for ident in identities:
            for r in {r for _, r, _ in ident.terms}:
                self.by_row.setdefault(r, []).append(ident)

    def _set(self, unit: Unit, cand: int, on: bool) -> None:
        for v, c in zip(unit.values, unit.candidates[cand]):
            if on:
                self.values[(unit.row, c)] = v
            else:
                self.values.pop((unit.row, c), None)

    def _score(self, unit: Unit, cand: int, local_only: bool = False) -> float:
        self._set(unit, unit.choice, False)
        self._set(unit, cand, True)
        s = 0.0
        for ident in self.by_row.get(unit.row, []):
            if local_only and any(r != unit.row for _, r, _ in ident.terms):
                continue
            res = ident.evaluate(self.values)
            if res is not None:
                s += 1.0 if res[0] else -1.0
        self._set(unit, cand, False)
        self._set(unit, unit.choice, True)
        return s - unit.costs[cand]

    def _best(self, unit: Unit, scores: list[float]) -> int:
        return min(range(len(scores)), key=lambda i: (-scores[i], unit.costs[i], unit.candidates[i]))

    def solve(self) -> None:
        for u in self.units:  # start from what each row says on its own
            u.choice = 0
            self._set(u, 0, True)
            u.choice = self._best(u, [self._score(u, i, local_only=True) for i in range(len(u.candidates))])
            self._set(u, 0, False)
            self._set(u, u.choice, True)
        for _ in range(10):  # then let the rows agree with each other
            changed = False
            for u in self.units:
                if len(u.candidates) < 2:
                    continue
                scores = [self._score(u, i) for i in range(len(u.candidates))]
                best = self._best(u, scores)
                if scores[best] > scores[u.choice] + FLOAT_EPS:
                    self._set(u, u.choice, False)
                    u.choice = best
                    self._set(u, best, True)
                    changed = True
            if not changed:
                break
        for u in self.units:
            if len(u.candidates) < 2:
                continue
            scores = [self._score(u, i) for i in range(len(u.candidates))]
            top = scores[u.choice]
            for i, s in enumerate(scores):
                if abs(s - top) <= FLOAT_EPS and i != u.choice:
                    for pos, (a, b) in enumerate(zip(u.candidates[u.choice], u.candidates[i])):
                        if a != b:
                            u.uncertain.add(pos)

    def checks(self, table: str) -> list[Check]:
        return identity_checks(self.identities, self.values, table)


def spacing_candidates(observed: list[Optional[int]], allowed: list[int],
                        force_first: bool) -> tuple[list[tuple[int, ...]], list[float]]:
    """All increasing placements of k numbers into the allowed columns, with the cost of
    disagreeing with the observed skips (before each number, and after the last)."""
    k = len(observed) - 1
    m = len(allowed)
    if k == 0:
        return [()], [0.0]
    k = min(k, m)
    if math.comb(m, k) > MAX_CANDIDATES:
        pos, cols = -1, []
        for s in observed[:k]:
            pos = min(pos + 1 + (s or 0), m - (k - len(cols)))
            cols.append(pos)
        combos = [tuple(cols)]
    else:
        combos = list(itertools.combinations(range(m), k))
        if force_first:
            combos = [c for c in combos if c[0] == 0] or combos
    cands, costs = [], []
    for c in combos:
        implied = [c[0]] + [c[i] - c[i - 1] - 1 for i in range(1, k)] + [m - 1 - c[-1]]
        cost = sum(abs(a - b) for a, b in zip(implied, observed[:k] + [observed[-1]]) if b is not None)
        cands.append(tuple(allowed[i] for i in c))
        costs.append(W_SPACING * cost)
    return cands, costs


# ======================================================================= rows
@dataclass
class RawRow:
    code: Optional[str] = None
    name_parts: list[str] = field(default_factory=list)
    nums: list[Tok] = field(default_factory=list)
    toks: list[Tok] = field(default_factory=list)
    rowno: Optional[int] = None  # 行次 (two-sided tables), never a cell
    side: str = ""
    trail: Optional[int] = None  # observed empty cells after the last number
    dropped: bool = False
    placed: Optional[tuple[int, ...]] = None  # the column of each number, when the layout fixes it
    doubtful: set[int] = field(default_factory=set)  # numbers whose fixed column is a best guess (still facts)
    flagged: bool = False  # the row itself is doubtful (no name and no code, column numbers removed)
    given_name: Optional[str] = None  # the name as the reader already cleaned it

    @property
    def name(self) -> str:
        return self.given_name if self.given_name is not None else row_name("".join(self.name_parts))

    @property
    def label(self) -> str:
        return " ".join(x for x in (self.code, self.name) if x) or (f"行次{self.rowno}" if self.rowno else "(无名行)")

    def lines(self) -> tuple[int, int]:
        if not self.toks:
            return 0, 0
        return min(t.line for t in self.toks), max(t.line_end for t in self.toks)


def segment_code_rows(toks: list[Tok], code_lengths=FUNCTION_CODE_LENGTHS) -> list[RawRow]:
    """A row begins at a code (followed by its name) or at a text after numbers, and
    collects name fragments until its numbers arrive."""
    rows: list[RawRow] = []
    cur: Optional[RawRow] = None
    for i, t in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        kind = t.kind
        if kind == "int" and len(t.text) in code_lengths and (
            (nxt is not None and nxt.kind == "text") or cur is None or not (cur.nums or cur.name_parts)
        ):
            cur = RawRow(code=t.text, toks=[t])
            rows.append(cur)
            continue
        if kind == "text":
            if cur is None or cur.nums or (cur.name_parts and t.text in ROW_LABELS):
                cur = RawRow()
                rows.append(cur)
            cur.name_parts.append(t.text)
            cur.toks.append(t)
            continue
        if cur is None:
            cur = RawRow()
            rows.append(cur)
        cur.nums.append(t)
        cur.toks.append(t)
    for r in rows:
        r.trail = skip(r.toks[-1].ws_after) if r.nums else None
    return rows


def raw_hierarchy(rows: list[RawRow], cols: list[int], columns: list[str]) -> list[Identity]:
    """类 = Σ 款, 款 = Σ 项 (by code prefix), 合计/总计 = Σ 类, for every column."""
    return hierarchy_identities([r.code for r in rows], [r.name for r in rows], [r.label for r in rows],
                                [r.lines()[0] for r in rows], cols, columns, ROW_LABELS)


def raw_row_identities(rows: list[RawRow], units_rows: list[int], col_ids, columns: list[str]) -> list[Identity]:
    return row_identities([r.label for r in rows], [r.lines()[0] for r in rows], units_rows, col_ids, columns)


def column_sums(columns: list[str], indices: Optional[list[int]] = None) -> list[tuple[int, list[tuple[float, int]]]]:
    return column_groups(columns, TOTAL_WORDS, indices)


def is_total(name: str) -> bool:
    return is_total_column(name, TOTAL_WORDS)


def column_formulas(formulas, ncols: int, offset: int = 0) -> list[tuple[int, list[tuple[float, int]]]]:
    out = []
    for kind, lhs, terms in formulas:
        if kind != FORMULA_COLUMN:
            continue
        if all(1 <= n <= ncols for _, n in terms) and 1 <= lhs <= ncols:
            out.append((lhs - 1 + offset, [(coef, n - 1 + offset) for coef, n in terms]))
    return out


def build_rows(raw_rows: list[RawRow], units: dict[int, Unit], columns: list[str], default_name: str = "") -> list[Row]:
    rows = []
    for i, r in enumerate(raw_rows):
        cells = []
        u = units.get(i)
        if u is not None:
            for pos, (tok, c) in enumerate(zip(r.nums, u.candidates[u.choice])):
                value, unit = value_of(tok.text)
                unplaced = pos in u.uncertain or r.dropped
                # a figure the identities and the spacing cannot place is no fact (TABLES.md)
                cells.append(Cell(column=columns[c], raw=tok.text, value=None if unplaced else value,
                                  unit=unit,
                                  uncertain=unplaced or pos in r.doubtful or value is None, line=tok.line))
        start, end = r.lines()
        rows.append(Row(code=r.code, name=r.name or default_name, cells=cells, line_start=start, line_end=end,
                        uncertain=r.dropped or r.flagged or any(c.uncertain for c in cells)))
    return rows


def solve_rows(raw_rows: list[RawRow], columns: list[str], allowed_for: Callable[[RawRow], list[int]],
                force_first_for: Callable[[RawRow], bool], identities: list[Identity],
                cost_fn: Optional[Callable] = None) -> tuple[dict[int, Unit], Solver]:
    units: dict[int, Unit] = {}
    for i, r in enumerate(raw_rows):
        if not r.nums:
            continue
        allowed = allowed_for(r)
        if not allowed:
            r.dropped = True
            continue
        if len(r.nums) > len(allowed):
            log.warning("row %s has %d numbers for %d columns; extra numbers ignored", r.label, len(r.nums), len(allowed))
            r.nums = r.nums[: len(allowed)]
            r.dropped = True
        values = [value_of(t.text)[0] or 0.0 for t in r.nums]
        if cost_fn is not None:
            cands, costs = cost_fn(r, allowed)
        else:
            observed = [skip(t.ws_before) for t in r.nums] + [r.trail]
            cands, costs = spacing_candidates(observed, allowed, force_first_for(r))
        if not cands:  # no placement of its numbers fits the columns: the row holds no fact
            r.dropped = True
            continue
        units[i] = Unit(i, values, cands, costs)
    solver = Solver(list(units.values()), identities)
    solver.solve()
    return units, solver
