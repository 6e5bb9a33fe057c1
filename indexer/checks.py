"""Accounting identities checked on parsed tables (domain.md; definitions in lexicon/identities.json).

Each check says which identity was tested, whether it holds, and where it fails by how much.
The arithmetic (rounding tolerance, which rows sum up) is `indexer.layouts.identities`, shared with
the PDF-text column solver.
"""
from __future__ import annotations

from typing import Iterable, Optional

from .lexicon import load, squash, table_kind
from .layouts.identities import Tally, code_groups
from .models import Check, Row, Table


def _seg(column: str) -> str:
    return squash(column).split("/")[-1]


def _val(row: Row, names: Iterable[str], prefix: str = "") -> Optional[float]:
    names = list(names)
    for c in row.cells:
        if c.value is None or not c.column.startswith(prefix):
            continue
        if _seg(c.column) in names:
            return c.value
    return None


def _has_column(table: Table, names: Iterable[str]) -> bool:
    names = list(names)
    return any(_seg(c) in names for c in table.columns)


# code-level sums as `code_groups` names them; the economic-code table has no 合计 row
_LEVEL_RULES = {"3>5": "类 = Σ款", "5>7": "款 = Σ项", "total": "合计 = Σ类"}


def _row_sum(table: Table, spec: dict) -> Optional[Check]:
    parts = [p for p in spec["parts"] if _has_column(table, [p])]
    if not _has_column(table, spec["total"]) or not parts:
        return None
    tally = Tally(f"{table.name}: {spec['total'][0]} = " + " + ".join(parts), table.name)
    for row in table.rows:
        total = _val(row, spec["total"])
        if total is None:
            continue
        got = [_val(row, [p]) for p in parts]
        tally.add(row.code or row.name, total, sum(v or 0.0 for v in got), row.line_start)
    return tally.result()


def _add_column_sums(tally: Tally, label: str, total: Row, parts: list[Row], columns: list[str]) -> None:
    """total = Σ parts, column by column (columns where all are empty are skipped)."""
    for col in columns:
        tv = _cell(total, col)
        pv = [_cell(r, col) for r in parts]
        if tv is None and all(v is None for v in pv):
            continue
        tally.add(f"{label} {_seg(col)}", tv or 0.0, sum(v or 0.0 for v in pv), total.line_start)


def _hierarchy(table: Table) -> list[Check]:
    coded = [r for r in table.rows if r.code and r.code.isdigit()]
    if not coded:
        return []
    columns = sorted({c.column for r in coded for c in r.cells if c.value is not None})
    rows = [r for r in table.rows if (r.code and r.code.isdigit()) or not r.code]
    groups = code_groups([r.code for r in rows], [squash(r.name) for r in rows],
                         load("identities.json")["hierarchy_total_rows"])
    tallies = {level: Tally(f"{table.name}: {rule}（逐列）", table.name) for level, rule in _LEVEL_RULES.items()}
    for parent, kids, level in groups:
        if level in tallies:
            _add_column_sums(tallies[level], rows[parent].code or squash(rows[parent].name),
                             rows[parent], [rows[j] for j in kids], columns)
    return [c for c in (t.result() for t in tallies.values()) if c is not None]


def _two_sided(table: Table) -> list[Check]:
    spec = load("identities.json")["two_sided"]
    checks = []
    for side, names in spec.items():
        rows = [r for r in sorted(table.rows, key=lambda r: r.line_start)
                if any(c.column.startswith(side + "/") for c in r.cells) or _side_of(r) == side]
        columns = sorted({c.column for r in rows for c in r.cells if c.column.startswith(side + "/") and c.value is not None})
        sub = next((i for i, r in enumerate(rows) if squash(r.name) in names["subtotal"]), None)
        tot = next((i for i, r in enumerate(rows) if squash(r.name) in names["total"]), None)
        if sub is None:
            continue
        items = rows[:sub]
        carry = [r for r in rows[sub + 1:tot] if squash(r.name) in names["carry"]] if tot else []
        t1 = Tally(f"{table.name}: {names['subtotal'][0]} = Σ{side}项目", table.name)
        t2 = Tally(f"{table.name}: 总计 = {names['subtotal'][0]} + 结转结余等（{side}）", table.name)
        for col in columns:
            st = _cell(rows[sub], col)
            if st is not None:
                t1.add(col, st, sum(_cell(r, col) or 0.0 for r in items), rows[sub].line_start)
            if tot is not None and (tv := _cell(rows[tot], col)) is not None:
                t2.add(col, tv, (st or 0.0) + sum(_cell(r, col) or 0.0 for r in carry), rows[tot].line_start)
        checks += [c for c in (t1.result(), t2.result()) if c]
    return checks


def _side_of(row: Row) -> str:
    return row.cells[0].column.split("/")[0] if row.cells and "/" in row.cells[0].column else ""


def _cell(row: Row, column: str) -> Optional[float]:
    for c in row.cells:
        if c.column == column and c.value is not None:
            return c.value
    return None


def _basic_detail(table: Table) -> list[Check]:
    spec = load("identities.json")["basic_detail"]
    by_name = {squash(r.name): r for r in table.rows if not r.code}
    top = [r for r in table.rows if r.code and len(r.code) == 3]
    checks = []
    for total_name, pick in ((spec["personnel_total"], lambda c: c in spec["personnel_codes"]),
                             (spec["public_total"], lambda c: c not in spec["personnel_codes"])):
        row = by_name.get(total_name)
        if row is None or not row.cells:
            continue
        tally = Tally(f"{table.name}: {total_name} = Σ" + ("301, 303" if total_name == spec["personnel_total"] else "302, 310, …"), table.name)
        tv = next((c.value for c in row.cells if c.value is not None), None)
        parts = [next((c.value for c in r.cells if c.value is not None), 0.0) for r in top if pick(r.code)]
        if tv is not None:
            tally.add(total_name, tv, sum(v or 0.0 for v in parts), row.line_start)
        if (c := tally.result()) is not None:
            checks.append(c)
    return checks


def _sangong(table: Table) -> list[Check]:
    kw = load("identities.json")["sangong"]
    row = next((r for r in table.rows if any(c.value is not None for c in r.cells)), None)
    if row is None:
        return []
    prefixes = sorted({c.split("/")[0] for c in table.columns if "/" in c})
    t1 = Tally(f"{table.name}: 合计 = 因公出国（境）费 + 公务用车购置及运行费 + 公务接待费", table.name)
    t2 = Tally(f"{table.name}: 公务用车购置及运行费 = 购置费 + 运行费", table.name)

    def get(prefix: str, test) -> tuple[bool, float]:
        cols = [c for c in table.columns if c.startswith(prefix + "/") and test(squash(c)[len(prefix) + 1:])]
        if not cols:
            return False, 0.0
        return True, _cell(row, cols[0]) or 0.0

    for p in prefixes:
        has_total, total = get(p, lambda s: s == kw["total"])
        _, abroad = get(p, lambda s: kw["abroad"] in s)
        has_sub, car = get(p, lambda s: kw["car"] in s and (s.endswith(kw["subtotal"]) or "/" not in s))
        _, buy = get(p, lambda s: "/" in s and s.split("/")[-1] != kw["subtotal"] and kw["car_buy"] in s.split("/")[-1])
        _, run = get(p, lambda s: "/" in s and kw["car_run"] in s.split("/")[-1])
        _, rec = get(p, lambda s: kw["reception"] in s)
        if has_total:
            t1.add(p, total, abroad + car + rec, row.line_start)
        if has_sub:
            t2.add(p, car, buy + run, row.line_start)
    return [c for c in (t1.result(), t2.result()) if c]


def _cross(tables: list[Table]) -> list[Check]:
    by_name: dict[str, Table] = {}
    for t in tables:
        by_name.setdefault(t.name, t)
    checks = []
    for spec in load("identities.json")["cross"]:
        a_table, a_row, a_col = spec["a"]
        ta = by_name.get(a_table)
        if ta is None:
            continue
        ra = next((r for r in ta.rows if squash(r.name) == a_row and not r.code), None)
        av = _val(ra, [a_col]) if ra else None
        if av is None:
            continue
        if "b" in spec:
            b_table, b_row, b_prefix = spec["b"]
            tb = by_name.get(b_table)
            rb = next((r for r in tb.rows if squash(r.name) == b_row), None) if tb else None
            bv = next((c.value for c in rb.cells if c.column.startswith(b_prefix) and c.value is not None), None) if rb else None
            label = f"{b_table} {b_row}"
        else:
            b_table, names = spec["b_sum"]
            tb = by_name.get(b_table)
            vals = [next((c.value for c in r.cells if c.value is not None), None)
                    for r in (tb.rows if tb else []) if squash(r.name) in names]
            bv = sum(v for v in vals if v is not None) if vals and any(v is not None for v in vals) else None
            label = f"{b_table} " + " + ".join(names)
        if bv is None:
            continue
        tally = Tally(f"跨表: {a_table} {a_row} {a_col} = {label}", a_table)
        tally.add(spec["concept"], av, bv, ra.line_start)
        if (c := tally.result()) is not None:
            checks.append(c)
    return checks


def check_tables(tables: list[Table]) -> list[Check]:
    spec = load("identities.json")
    checks: list[Check] = []
    for t in tables:
        if not t.rows:
            continue
        if t.name in spec["row_sum"]:
            c = _row_sum(t, spec["row_sum"][t.name])
            if c:
                checks.append(c)
        if t.name in spec["hierarchy"]:
            checks += _hierarchy(t)
        kind = table_kind(t.name)
        if kind == "two_sided":
            checks += _two_sided(t)
        elif kind == "triples":
            checks += _basic_detail(t)
        elif kind == "sangong":
            checks += _sangong(t)
    return checks + _cross(tables)
