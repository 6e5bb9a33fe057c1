"""The accounting identities of a 部门决算 table, in one place (domain.md, "Identities").

Used by `indexer.checks` (identities checked on parsed tables) and by the PDF-text column solver
(identities that decide which column an unlabeled number belongs to):

* column sums inside one row: a total-like column of a header group = Σ the group's other columns;
* code-level sums: a 类 row = Σ its 款 rows, a 款 row = Σ its 项 rows (by code prefix);
* 合计 identities: the 合计 row = Σ the top-level code rows.

Differences up to `ROUNDING` are the reports' own rounding (尾数误差) and count as holding.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from ..lexicon import load
from ..models import Check
from ..numbers import format_amount

# The reports' rounding (尾数误差 of 0.01–0.02): an identity within this holds.
ROUNDING = 0.021
# Float equality only (never a reporting tolerance): sums of two-decimal figures differ by ~1e-13.
FLOAT_EPS = 1e-6
# Each further term of a long sum may add up to half a cent of rounding.
_PER_TERM = ROUNDING / 4
_FREE_TERMS = 3
_TOTAL_COLUMN_SUFFIXES = tuple(load("table_headers.json")["total_column_suffixes"])  # 合计, 小计, 总计


def tolerance(terms: int) -> float:
    """Rounding allowed for an identity with `terms` figures (grows with long sums)."""
    return ROUNDING + _PER_TERM * max(0, terms - _FREE_TERMS)


# ---------------------------------------------------------------- one identity over a grid
@dataclass
class Identity:
    """Σ coef·value(row, column) = 0 over the cells of one table."""

    terms: list[tuple[float, int, int]]  # (coefficient, row, column)
    rule: str
    line: Optional[int] = None

    def evaluate(self, values: dict[tuple[int, int], float]) -> Optional[tuple[bool, float]]:
        total, present = 0.0, 0
        for coef, r, c in self.terms:
            v = values.get((r, c))
            if v is not None:
                present += 1
                total += coef * v
        if not present:
            return None
        return abs(total) <= tolerance(present), abs(total)


def identity_checks(identities: Sequence[Identity], values: dict[tuple[int, int], float],
                    table: str) -> list[Check]:
    """Every identity that has figures, as a Check (what the solver settled on)."""
    out = []
    for ident in identities:
        res = ident.evaluate(values)
        if res is None:
            continue
        holds, diff = res
        detail = "成立" if holds else f"不成立（差 {diff:.2f}）"
        out.append(Check(rule=ident.rule, table=table, holds=holds, detail=detail,
                         diff=round(diff, 4), line=ident.line))
    return out


# ---------------------------------------------------------------- which rows / columns sum up
def code_groups(codes: Sequence[Optional[str]], names: Sequence[str],
                total_names: Sequence[str]) -> list[tuple[int, list[int], str]]:
    """(parent row, child rows, level) for every code-level sum of a table: a coded row = Σ the
    rows of the next code length that start with its code (类 = Σ款, 款 = Σ项); a total row (a
    name in `total_names`, no code) = Σ the rows of the shortest code length. `level` is
    "3>5"-like for code sums and "total" for the 合计 identity."""
    by_len: dict[int, list[int]] = {}
    for i, code in enumerate(codes):
        if code and code.isdigit():
            by_len.setdefault(len(code), []).append(i)
    lengths = sorted(by_len)
    out = []
    for i, code in enumerate(codes):
        if code and code.isdigit():
            longer = [n for n in lengths if n > len(code)]
            if not longer:
                continue
            kids = [j for j in by_len[longer[0]] if codes[j].startswith(code)]
            if kids:
                out.append((i, kids, f"{len(code)}>{longer[0]}"))
        elif not code and names[i] in total_names and lengths:
            out.append((i, list(by_len[lengths[0]]), "total"))
    return out


def is_total_column(name: str, total_words: Sequence[str]) -> bool:
    leaf = name.split("/")[-1]
    return leaf in total_words or leaf.endswith(_TOTAL_COLUMN_SUFFIXES)


def column_groups(columns: list[str], total_words: Sequence[str],
                  indices: Optional[list[int]] = None) -> list[tuple[int, list[tuple[float, int]]]]:
    """(total, parts) column sums implied by a header: a total-like column of a group is the sum
    of the group's other leaves and of its sub-groups' totals."""
    idx = indices if indices is not None else list(range(len(columns)))
    paths = {i: columns[i].split("/") for i in idx}
    out: list[tuple[int, list[tuple[float, int]]]] = []

    def walk(prefix: tuple[str, ...]) -> Optional[int]:
        depth = len(prefix)
        members = [i for i in idx if tuple(paths[i][:depth]) == prefix and len(paths[i]) > depth]
        leaves = [i for i in members if len(paths[i]) == depth + 1]
        groups: list[str] = []
        for i in members:
            if len(paths[i]) > depth + 1 and paths[i][depth] not in groups:
                groups.append(paths[i][depth])
        group_totals = [walk(prefix + (g,)) for g in groups]
        total = next((i for i in leaves if is_total_column(columns[i], total_words)), None)
        if total is None:
            return None
        parts = [i for i in leaves if i != total] + [g for g in group_totals if g is not None]
        if parts and len(parts) + 1 == len(leaves) + len(groups):
            out.append((total, [(1.0, p) for p in sorted(parts)]))
        return total

    walk(())
    return out


def merge_groups(a: list, b: list) -> list:
    """Column sums from two sources (header, formula notes) without repeats."""
    seen, out = set(), []
    for total, parts in a + b:
        key = (total, tuple(sorted(parts)))
        if key not in seen:
            seen.add(key)
            out.append((total, parts))
    return out


def row_identities(labels: Sequence[str], lines: Sequence[Optional[int]], rows: Sequence[int],
                   groups: list, columns: list[str]) -> list[Identity]:
    """The column sums of `groups`, inside each of `rows`."""
    out = []
    for i in rows:
        for total, parts in groups:
            terms = [(1.0, i, total)] + [(-coef, i, p) for coef, p in parts]
            rhs = " + ".join(("-" if coef < 0 else "") + columns[p] for coef, p in parts)
            out.append(Identity(terms, f"{labels[i]}: {columns[total]} = {rhs}", lines[i]))
    return out


def hierarchy_identities(codes: Sequence[Optional[str]], names: Sequence[str], labels: Sequence[str],
                         lines: Sequence[Optional[int]], cols: list[int], columns: list[str],
                         total_names: Sequence[str]) -> list[Identity]:
    """类 = Σ 款, 款 = Σ 项, 合计 = Σ 类, for every column in `cols`."""
    out = []
    for i, kids, _ in code_groups(codes, names, total_names):
        names_of_kids = "+".join(codes[j] or names[j] for j in kids)
        for c in cols:
            terms = [(1.0, i, c)] + [(-1.0, j, c) for j in kids]
            out.append(Identity(terms, f"{columns[c]}: {labels[i]} = {names_of_kids}", lines[i]))
    return out


# ---------------------------------------------------------------- tallies (checks on parsed tables)
class Tally:
    """Collects the instances of one rule into one Check."""

    def __init__(self, rule: str, table: str):
        self.rule, self.table = rule, table
        self.n, self.fails, self.rounded = 0, [], []
        self.max_diff = 0.0
        self.first_fail_line: Optional[int] = None

    def add(self, where: str, lhs: float, rhs: float, line: int, rhs_text: str = "") -> None:
        self.n += 1
        diff = abs(lhs - rhs)
        self.max_diff = max(self.max_diff, diff)
        if diff > ROUNDING:
            self.fails.append(f"{where}: {format_amount(lhs)} ≠ {rhs_text or format_amount(rhs)} (差 {diff:.2f}, 第{line}行)")
            self.first_fail_line = self.first_fail_line or line
        elif diff > FLOAT_EPS:
            self.rounded.append(f"{where} 差 {diff:.2f}")

    def result(self) -> Optional[Check]:
        if not self.n:
            return None
        if self.fails:
            detail = f"{len(self.fails)}/{self.n} 处不成立: " + "; ".join(self.fails[:6])
        else:
            detail = f"{self.n} 处均成立"
            if self.rounded:
                detail += f"（尾数误差: {'; '.join(self.rounded[:6])}）"
        return Check(rule=self.rule, table=self.table, holds=not self.fails, detail=detail,
                     diff=round(self.max_diff, 4), line=self.first_fail_line)
