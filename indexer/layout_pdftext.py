"""Layout parser for tables in PDF-extracted text (see indexer/TABLES.md).

Two layouts are handled:

* ``pdftext`` - text where empty cells collapsed into runs of spaces, rows and cell
  texts wrapped over several lines (武昌 2019).  A line that ends without a space is a
  cell wrapped mid-word and is glued to the next line.  After gluing, the whole table
  body is read as one stream of tokens; the whitespace before a token tells how many
  empty cells were skipped (in this extraction a run of ``1 + 2k`` spaces = ``k`` empty
  cells).
* ``aligned`` - space-aligned tables (``pdftotext -layout``): column positions come
  from the header line.

Which column an unlabeled number belongs to is decided as a small constraint problem:
every row's possible assignments are enumerated and scored by the accounting identities
they satisfy (row totals, 类 = Σ 款, 款 = Σ 项, 合计 = Σ 类, formula notes such as
``1 栏各行＝（2＋3）栏各行``) plus agreement with the spacing / position evidence.  Rows
are improved one at a time until nothing changes; when the best assignment of a row is
not unique the differing cells are marked ``uncertain``.

Domain words (column names, labels) live in ``lexicon/pdftext_headers.json``.
"""
from __future__ import annotations

import itertools
import json
import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from indexer.models import Cell, Check, Row, Table, TableBlock
from indexer.numbers import parse_number, parse_quantity

__all__ = ["parse_pdftext_table", "parse_pdftext_table_checked", "looks_aligned"]

log = logging.getLogger(__name__)

_LEX_DIR = Path(__file__).parent / "lexicon"


def _load_json(name: str) -> dict:
    return json.loads((_LEX_DIR / name).read_text(encoding="utf-8"))


LEX = _load_json("pdftext_headers.json")
TABLE_KIND = {t["name"]: t["kind"] for t in _load_json("tables.json")["tables"]}
PERF = LEX["performance"]
TOTAL_WORDS = set(LEX["total_words"])
ROW_LABELS = set(LEX["row_labels"])
NON_VALUE_HEADERS = set(LEX["non_value_headers"])
UNIT_WORDS = set(LEX["quantity_units"])

# scoring weights: an identity that holds counts +1, one that fails -1; spacing and
# position disagreements are cheaper so that the identities decide when they can.
W_SPACING = 0.25  # per skipped-cell of disagreement (pdftext)
W_POSITION = 1.5  # per column of distance (aligned)
MAX_CANDIDATES = 5000
TIE_EPS = 1e-9

INT_RE = re.compile(r"^\d+$")
FUNCTION_CODE_LENGTHS = (3, 5, 7)
ECONOMIC_CODE_LENGTHS = (3, 5)
ORDINAL_RE = re.compile(
    r"^(?:[一二三四五六七八九十百零]+[、.．]|[（(][一二三四五六七八九十百零\d]+[）)][、.．]?|\d+[、.．](?!\d))"
)
FORMULA_LINE_RE = re.compile(r"\d+(?:栏|行)(?:各行)?[＝=]")
FORMULA_ITEM_RE = re.compile(r"(\d+)(栏|行)(?:各行)?[＝=][（(]([^）)]*)[）)]")
NO_DATA_RE = re.compile(r"(本部门|本单位|我部门|我单位|本机关).{0,60}?(无|为零|为0|没有|未发生)")
AB_MARK_RE = re.compile(r"[（(][A-Za-z][A-Za-z/×*＋+\-－]*[）)]")
UNIT_RE = re.compile(r"(?:金额)?单位[：:]\s*(万元|千元|元|亿元)")


# ======================================================================= tokens
@dataclass
class Tok:
    text: str
    line: int
    line_end: int
    start: int  # character offset in its first physical line
    ws_before: int = 0  # whitespace before the token (across line breaks in a stream)
    ws_after: int = 0

    @property
    def kind(self) -> str:
        return _token_kind(self.text)


def _token_kind(text: str) -> str:
    if INT_RE.match(text):
        return "int"
    if parse_number(text) is not None:
        return "num"
    q = parse_quantity(text)
    if q is not None and (q[1] or q[2]):
        return "qty"
    return "text"


def _is_value(tok: Tok) -> bool:
    return tok.kind in ("int", "num", "qty")


def _value_of(text: str) -> tuple[Optional[float], Optional[str]]:
    v = parse_number(text)
    if v is not None:
        return v, ("%" if text.strip().endswith("%") else None)
    q = parse_quantity(text)
    if q is not None:
        return q[0], q[1]
    return None, None


def _skip(ws: int) -> int:
    """Empty cells implied by a run of whitespace (1 space = adjacent, 3 = one empty...)."""
    return max(0, (ws - 1) // 2)


def _split_physical(num: int, raw: str) -> tuple[list[Tok], int, int]:
    """Tokens of one physical line, its leading and trailing whitespace."""
    toks: list[Tok] = []
    prev_end = 0
    for m in re.finditer(r"\S+", raw):
        gap = m.start() - prev_end
        text = m.group()
        prev = toks[-1] if toks else None
        # "21900000 元", "≥ 95%": a unit or comparator split off by one space
        if prev is not None and gap <= 1 and (
            (text in UNIT_WORDS and prev.kind in ("int", "num", "qty") and not (parse_quantity(prev.text) or (0, None))[1])
            or (prev.text in ("≥", "≤", ">", "<", "＞", "＜") and _token_kind(text) != "text")
        ):
            prev.text += " " * gap + text
        else:
            toks.append(Tok(text, num, num, m.start(), ws_before=gap))
        prev_end = m.end()
    lead = len(raw) - len(raw.lstrip())
    trail = len(raw) - len(raw.rstrip())
    return toks, lead, trail


@dataclass
class LLine:
    """A logical line: physical lines glued where a cell text wrapped mid-word."""

    toks: list[Tok]
    raw: str
    line_start: int
    line_end: int
    lead: int
    trail: int
    kind: str = "content"  # ws | note | formula | nodata | unit | furniture | lanci | colnums | sentence | content

    @property
    def compact(self) -> str:
        return re.sub(r"\s+", "", self.raw)


def trailing_space_convention(lines: list[tuple[int, str]]) -> bool:
    """True when finished cells end their line with a space (so a line without one is a
    cell wrapped mid-word); other extractions must not glue lines."""
    text = [raw for _, raw in lines if raw and raw.strip()]
    return bool(text) and sum(1 for raw in text if raw != raw.rstrip()) >= 0.3 * len(text)


def _gluable(a: Tok, b: Tok) -> bool:
    return a.kind == "text" and b.kind == "text"


def _logical_lines(lines: list[tuple[int, str]], glue: bool = True) -> list[LLine]:
    out: list[LLine] = []
    cur: Optional[LLine] = None
    for num, raw in lines:
        raw = (raw or "").rstrip("\r\n")
        if raw == "":
            continue  # blank lines between every line are extraction artefacts
        if not raw.strip():
            out.append(LLine([], raw, num, num, len(raw), 0, kind="ws"))
            cur = None
            continue
        toks, lead, trail = _split_physical(num, raw)
        if glue and cur is not None and cur.trail == 0 and lead == 0 and _gluable(cur.toks[-1], toks[0]):
            last = cur.toks[-1]
            last.text += toks[0].text
            last.line_end = num
            cur.toks.extend(toks[1:])
            cur.raw += raw
            cur.line_end = num
            cur.trail = trail
            continue
        cur = LLine(toks, raw, num, num, lead, trail)
        out.append(cur)
    for ll in out:
        if ll.kind != "ws":
            ll.kind = _classify(ll)
    return out


def _classify(ll: LLine) -> str:
    c = ll.compact
    texts = [t.text for t in ll.toks]
    if c.startswith(("注：", "注:")):
        return "note"
    if FORMULA_LINE_RE.search(c):
        return "formula"
    if c.startswith(("说明：", "说明:")) or NO_DATA_RE.search(c):
        return "nodata"
    if c.startswith(("部门：", "部门:", "编制部门", "编制单位")) or UNIT_RE.search(c):
        return "unit"
    if re.fullmatch(r"公开\d+表", c):
        return "furniture"
    if texts and texts[0] == "栏次" and all(INT_RE.match(t) or t == "栏次" for t in texts):
        return "lanci"
    if len(texts) >= 2 and all(INT_RE.match(t) for t in texts) and [int(t) for t in texts] == list(range(1, len(texts) + 1)):
        return "colnums"
    if "。" in c:
        return "sentence"
    return "content"


def _stream(lls: list[LLine]) -> list[Tok]:
    """Tokens of consecutive logical lines with the whitespace between them."""
    toks: list[Tok] = []
    pending = 0
    prev_trail: Optional[int] = None
    for ll in lls:
        if ll.kind == "ws":
            pending += ll.lead
            continue
        if not ll.toks:
            continue
        ll.toks[0].ws_before = (prev_trail or 0) + pending + ll.lead
        toks.extend(ll.toks)
        prev_trail, pending = ll.trail, 0
    for a, b in zip(toks, toks[1:]):
        a.ws_after = b.ws_before
    if toks:
        toks[-1].ws_after = (prev_trail or 0) + pending
    return toks


def _clean_name(text: str) -> str:
    name = re.sub(r"\s+", "", text)
    return ORDINAL_RE.sub("", name, count=1) or name


def _find_unit(lls: list[LLine]) -> str:
    for ll in lls:
        m = UNIT_RE.search(ll.compact)
        if m:
            return m.group(1)
    return "万元"


# ======================================================================= header
def _alternatives(seg: str) -> list[str]:
    return sorted(seg.split("|"), key=len, reverse=True)


def _match_template(template: list[str], text: str) -> Optional[list[str]]:
    names = []
    for col in template:
        segs = []
        for seg in col.split("/"):
            found = next((a for a in _alternatives(seg) if a in text), None)
            if found is None:
                return None
            segs.append(found)
        names.append("/".join(segs))
    return names


def _default_names(template: list[str]) -> list[str]:
    return ["/".join(seg.split("|")[0] for seg in col.split("/")) for col in template]


def _resolve_columns(templates: list[list[str]], header: str, count: Optional[int]) -> list[str]:
    """Column names: a template whose words are all in the header, else the 栏次 count."""
    matches = [m for t in templates if (m := _match_template(t, header))]
    if count:
        exact = [m for m in matches if len(m) == count]
        if exact:
            return exact[0]
        sized = [t for t in templates if len(t) == count]
        if sized:
            return _default_names(sized[0])
        found = _words_in(header, [a for t in templates for col in t for a in col.split("/")[-1].split("|")])
        if len(found) == count:
            return found
        return [f"第{i}栏" for i in range(1, count + 1)]
    if matches:
        return max(matches, key=len)
    return []


def _words_in(text: str, vocabulary: list[str]) -> list[str]:
    """Known words in the order they first appear (longest match wins)."""
    taken = [False] * len(text)
    first: dict[str, int] = {}
    for w in sorted(vocabulary, key=len, reverse=True):
        for m in re.finditer(re.escape(w), text):
            if not any(taken[m.start():m.end()]):
                first.setdefault(w, m.start())
                for k in range(m.start(), m.end()):
                    taken[k] = True
    return sorted(first, key=first.get)


def _is_total(name: str) -> bool:
    leaf = name.split("/")[-1]
    return leaf in TOTAL_WORDS or leaf.endswith(("合计", "小计", "总计"))


def _column_identities(columns: list[str], indices: Optional[list[int]] = None) -> list[tuple[int, list[tuple[float, int]]]]:
    """(total, parts) pairs implied by the header: a total-like first column of a group
    is the sum of the group's other leaves and of its sub-groups' totals."""
    idx = indices if indices is not None else list(range(len(columns)))
    paths = {i: columns[i].split("/") for i in idx}
    out = []

    def walk(prefix: tuple[str, ...]) -> Optional[int]:
        depth = len(prefix)
        members = [i for i in idx if tuple(paths[i][:depth]) == prefix and len(paths[i]) > depth]
        leaves = [i for i in members if len(paths[i]) == depth + 1]
        groups: list[str] = []
        for i in members:
            if len(paths[i]) > depth + 1 and paths[i][depth] not in groups:
                groups.append(paths[i][depth])
        group_totals = [walk(prefix + (g,)) for g in groups]
        total = next((i for i in leaves if _is_total(columns[i])), None)
        if total is None:
            return None
        parts = [i for i in leaves if i != total] + [g for g in group_totals if g is not None]
        if parts and len(parts) + 1 == len(leaves) + len(groups):
            out.append((total, [(1.0, p) for p in sorted(parts)]))
        return total

    walk(())
    return out


def _parse_formulas(lls: list[LLine]) -> list[tuple[str, int, list[tuple[float, int]]]]:
    """'1 栏各行＝（2＋3－4）栏各行' -> ('栏', 1, [(1,2),(1,3),(-1,4)]); '…' expands ranges."""
    out = []
    for ll in lls:
        if ll.kind != "formula":
            continue
        for m in FORMULA_ITEM_RE.finditer(ll.compact):
            terms: list[tuple[float, int]] = []
            pending_range = False
            for sign, item in re.findall(r"([＋+－\-−]?)(\d+|…+|\.\.\.)", m.group(3)):
                if not item[0].isdigit():
                    pending_range = True
                    continue
                n = int(item)
                coef = -1.0 if sign in ("－", "-", "−") else 1.0
                if pending_range and terms:
                    terms.extend((1.0, k) for k in range(terms[-1][1] + 1, n))
                pending_range = False
                terms.append((coef, n))
            if terms:
                out.append((m.group(2), int(m.group(1)), terms))
    return out


# ======================================================================= solver
@dataclass
class Identity:
    terms: list[tuple[float, int, int]]  # (coefficient, row, column): Σ coef·value = 0
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
        tol = 0.021 + 0.005 * max(0, present - 3)  # rounding (尾数误差) grows with the terms
        return abs(total) <= tol, abs(total)


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
                if scores[best] > scores[u.choice] + TIE_EPS:
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
                if abs(s - top) <= TIE_EPS and i != u.choice:
                    for pos, (a, b) in enumerate(zip(u.candidates[u.choice], u.candidates[i])):
                        if a != b:
                            u.uncertain.add(pos)

    def checks(self, table: str) -> list[Check]:
        out = []
        for ident in self.identities:
            res = ident.evaluate(self.values)
            if res is None:
                continue
            holds, diff = res
            out.append(Check(rule=ident.rule, table=table, holds=holds, detail=("holds" if holds else f"off by {diff:.2f}"),
                             diff=round(diff, 4), line=ident.line))
        return out


def _spacing_candidates(observed: list[Optional[int]], allowed: list[int],
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

    @property
    def name(self) -> str:
        return _clean_name("".join(self.name_parts))

    @property
    def label(self) -> str:
        return " ".join(x for x in (self.code, self.name) if x) or (f"行次{self.rowno}" if self.rowno else "(无名行)")

    def lines(self) -> tuple[int, int]:
        if not self.toks:
            return 0, 0
        return min(t.line for t in self.toks), max(t.line_end for t in self.toks)


def _segment_code_rows(toks: list[Tok], code_lengths=FUNCTION_CODE_LENGTHS) -> list[RawRow]:
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
        r.trail = _skip(r.toks[-1].ws_after) if r.nums else None
    return rows


def _hierarchy_identities(rows: list[RawRow], cols: list[int], columns: list[str]) -> list[Identity]:
    """类 = Σ 款, 款 = Σ 项 (by code prefix), 合计/总计 = Σ 类, for every column."""
    out = []
    by_len: dict[int, list[int]] = {}
    for i, r in enumerate(rows):
        if r.code:
            by_len.setdefault(len(r.code), []).append(i)
    lengths = sorted(by_len)
    for i, r in enumerate(rows):
        children: list[int] = []
        if r.code:
            longer = [n for n in lengths if n > len(r.code)]
            if longer:
                children = [j for j in by_len[longer[0]] if rows[j].code.startswith(r.code)]
        elif r.name in ROW_LABELS and lengths:
            children = by_len[lengths[0]]
        if not children:
            continue
        for c in cols:
            terms = [(1.0, i, c)] + [(-1.0, j, c) for j in children]
            kids = "+".join(rows[j].code or rows[j].name for j in children)
            out.append(Identity(terms, f"{columns[c]}: {r.label} = {kids}", r.lines()[0]))
    return out


def _row_identities(rows: list[RawRow], units_rows: list[int], col_ids, columns: list[str]) -> list[Identity]:
    out = []
    for i in units_rows:
        for total, parts in col_ids:
            terms = [(1.0, i, total)] + [(-coef, i, p) for coef, p in parts]
            rhs = " + ".join(("-" if coef < 0 else "") + columns[p] for coef, p in parts)
            out.append(Identity(terms, f"{rows[i].label}: {columns[total]} = {rhs}", rows[i].lines()[0]))
    return out


def _column_formulas(formulas, ncols: int, offset: int = 0) -> list[tuple[int, list[tuple[float, int]]]]:
    out = []
    for kind, lhs, terms in formulas:
        if kind != "栏":
            continue
        if all(1 <= n <= ncols for _, n in terms) and 1 <= lhs <= ncols:
            out.append((lhs - 1 + offset, [(coef, n - 1 + offset) for coef, n in terms]))
    return out


def _merge_col_ids(a, b):
    seen, out = set(), []
    for total, parts in a + b:
        key = (total, tuple(sorted(parts)))
        if key not in seen:
            seen.add(key)
            out.append((total, parts))
    return out


def _build_rows(raw_rows: list[RawRow], units: dict[int, Unit], columns: list[str], default_name: str = "") -> list[Row]:
    rows = []
    for i, r in enumerate(raw_rows):
        cells = []
        u = units.get(i)
        if u is not None:
            for pos, (tok, c) in enumerate(zip(r.nums, u.candidates[u.choice])):
                value, unit = _value_of(tok.text)
                cells.append(Cell(column=columns[c], raw=tok.text, value=value,
                                  unit=unit if unit not in (None, "%") else None,
                                  uncertain=pos in u.uncertain or r.dropped, line=tok.line))
        start, end = r.lines()
        rows.append(Row(code=r.code, name=r.name or default_name, cells=cells, line_start=start, line_end=end,
                        uncertain=r.dropped or any(c.uncertain for c in cells)))
    return rows


def _solve_rows(raw_rows: list[RawRow], columns: list[str], allowed_for: Callable[[RawRow], list[int]],
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
        values = [_value_of(t.text)[0] or 0.0 for t in r.nums]
        if cost_fn is not None:
            cands, costs = cost_fn(r, allowed)
        else:
            observed = [_skip(t.ws_before) for t in r.nums] + [r.trail]
            cands, costs = _spacing_candidates(observed, allowed, force_first_for(r))
        units[i] = Unit(i, values, cands, costs)
    solver = Solver(list(units.values()), identities)
    solver.solve()
    return units, solver


# ======================================================================= regions
@dataclass
class Regions:
    header: list[LLine]
    body: list[LLine]
    counts: list[list[int]]  # numbered columns from 栏次 / column-number rows (one list per side)
    formulas: list
    notes: list[str]
    end_line: Optional[int]  # last table line after the rows (notes, formulas)


def _row_start(ll: LLine, kind: str) -> bool:
    toks = ll.toks
    if not toks or ll.kind != "content":
        return False
    first, second = toks[0], (toks[1] if len(toks) > 1 else None)
    code_lengths = ECONOMIC_CODE_LENGTHS if kind == "triples" else FUNCTION_CODE_LENGTHS
    if first.kind == "int" and len(first.text) in code_lengths and second is not None and second.kind == "text":
        return True
    if kind == "triples":
        return False
    if any(t.kind == "num" for t in toks):
        return True
    return first.text in ROW_LABELS and second is not None and _is_value(second)


def _split_regions(lls: list[LLine], kind: str) -> Regions:
    counts: list[list[int]] = []
    first_row = next((i for i, ll in enumerate(lls) if _row_start(ll, kind)), len(lls))
    numbered = next((i for i, ll in enumerate(lls) if ll.kind in ("lanci", "colnums")), None)
    if numbered is not None and numbered <= first_row + 1:
        # the 栏次 / column-number row closes the header (a row start just before it is header text)
        start = numbered + 1
        groups: list[list[int]] = []
        for t in lls[numbered].toks:
            if t.text == "栏次" or not groups:
                groups.append([])
            if INT_RE.match(t.text):
                groups[-1].append(int(t.text))
        counts = [g for g in groups if g]
    else:
        start = first_row
    header = [ll for ll in lls[:start] if ll.kind == "content"]
    body: list[LLine] = []
    i = start
    while i < len(lls) and lls[i].kind in ("content", "ws", "unit", "furniture", "lanci", "colnums"):
        if lls[i].kind in ("content", "ws"):
            body.append(lls[i])
        i += 1
    while body and body[-1].kind == "ws":
        body.pop()
    notes, end_line, stop = _scan_tail(lls, i)
    if not body:  # an empty table: the sentence saying so may come anywhere
        notes = [_note_at(lls, k)[0] for k, ll in enumerate(lls) if ll.kind == "nodata"]
    return Regions(header, body, counts, _parse_formulas(lls[:stop]), notes, end_line)


def _note_at(lls: list[LLine], i: int) -> tuple[str, int]:
    """The 本部门…无… sentence starting at lls[i], with the lines it was hard-wrapped onto
    (when the extraction did not mark finished lines); returns it and its last index."""
    text = re.sub(r"\s+", " ", lls[i].raw).strip()
    while not text.endswith("。") and i + 1 < len(lls) and lls[i + 1].kind in ("content", "sentence", "ws"):
        i += 1
        text += lls[i].raw.strip()
    return text, i


def _scan_tail(lls: list[LLine], i: int) -> tuple[list[str], Optional[int], int]:
    """After the rows: notes and formula lines still belong to the table, 本部门…无…
    sentences go to the notes, anything else ends the table."""
    notes, end_line = [], None
    while i < len(lls):
        ll = lls[i]
        if ll.kind in ("note", "formula"):
            end_line = ll.line_end
        elif ll.kind == "nodata":
            text, i = _note_at(lls, i)
            notes.append(text)
        elif ll.kind not in ("ws", "unit", "furniture", "lanci", "colnums"):
            break
        i += 1
    return notes, end_line, i


def _header_text(lls: list[LLine]) -> str:
    return "".join(ll.compact for ll in lls)


def _line_end(block: TableBlock, rows: list[Row], regions: Optional[Regions], header: list[LLine]) -> int:
    ends = [r.line_end for r in rows if r.line_end]
    if regions is not None and regions.end_line:
        ends.append(regions.end_line)
    if not ends and header:
        ends.append(header[-1].line_end)
    return max(ends) if ends else block.title_line


def _new_table(block: TableBlock, layout: str, unit: str) -> Table:
    return Table(name=block.name, title=block.title.strip(), section=block.section, layout=layout, unit=unit,
                 line_start=block.title_line, line_end=block.title_line)


# ======================================================================= by code
def _parse_by_code(block: TableBlock, lls: list[LLine], unit: str, kind: str) -> tuple[Table, list[Check]]:
    reg = _split_regions(lls, kind)
    count = len(reg.counts[0]) if reg.counts else None
    templates = LEX["templates"].get(block.name, [])
    if kind == "sangong":
        templates = LEX["templates"]["三公经费支出决算表"]
    columns = _resolve_columns(templates, _header_text(reg.header), count)
    raw_rows = _segment_code_rows(_stream(reg.body))
    if not columns:
        width = max((len(r.nums) for r in raw_rows), default=0)
        columns = [f"第{i}栏" for i in range(1, width + 1)]
    n = len(columns)
    col_ids = _merge_col_ids(_column_identities(columns), _column_formulas(reg.formulas, n))
    numbered = [i for i, r in enumerate(raw_rows) if r.nums]
    identities = _row_identities(raw_rows, numbered, col_ids, columns)
    identities += _hierarchy_identities(raw_rows, list(range(n)), columns)
    force_first = kind != "sangong" and n > 0 and _is_total(columns[0])
    units, solver = _solve_rows(raw_rows, columns, lambda r: list(range(n)), lambda r: force_first, identities)
    default_name = LEX["sangong_row_name"] if kind == "sangong" else ""
    table = _new_table(block, "pdftext", unit)
    table.columns = columns
    table.rows = _build_rows(raw_rows, units, columns, default_name)
    table.notes = reg.notes
    table.line_end = _line_end(block, table.rows, reg, reg.header)
    return table, solver.checks(block.name)


# ======================================================================= two-sided
def _segment_two_sided(toks: list[Tok]) -> list[RawRow]:
    """Items are `[name] 行次 [values]`, alternating 收入 (left) and 支出 (right) sides.
    Plain integers are 行次, never values."""
    slots: list[RawRow] = []
    pending: list[Tok] = []
    cur: Optional[RawRow] = None
    last = {"L": None, "R": None}
    side = "L"
    for t in toks:
        kind = t.kind
        if kind == "text":
            cur = None
            pending.append(t)
        elif kind == "int":
            n = int(t.text)
            s = side
            other = "R" if s == "L" else "L"
            if last[s] is not None and n != last[s] + 1 and last[other] is not None and n == last[other] + 1:
                s = other
            cur = RawRow(name_parts=[p.text for p in pending], toks=pending + [t], rowno=n, side=s)
            slots.append(cur)
            pending = []
            last[s] = n
            side = "R" if s == "L" else "L"
        else:
            if cur is None:
                cur = RawRow(name_parts=[p.text for p in pending], toks=list(pending), side=side)
                slots.append(cur)
                pending = []
                side = "R" if side == "L" else "L"
            cur.nums.append(t)
            cur.toks.append(t)
    if pending:
        slots.append(RawRow(name_parts=[p.text for p in pending], toks=pending, side=side))
    position = {id(t): i for i, t in enumerate(toks)}
    for s in slots:
        if s.nums:  # empty cells after the last value; an empty name of the next item is not one of them
            i = position[id(s.nums[-1])]
            next_is_rowno = i + 1 < len(toks) and toks[i + 1].kind == "int"
            s.trail = max(0, _skip(s.nums[-1].ws_after) - (1 if next_is_rowno else 0))
    return slots


def _parse_two_sided(block: TableBlock, lls: list[LLine], unit: str) -> tuple[Table, list[Check]]:
    reg = _split_regions(lls, "two_sided")
    header = _header_text(reg.header)
    spec = LEX["two_sided"].get(block.name) or LEX["two_sided"]["收入支出决算总表"]
    left_n = len(reg.counts[0]) if len(reg.counts) >= 2 else None
    right_n = len(reg.counts[1]) if len(reg.counts) >= 2 else None
    left = _resolve_columns(spec["left"], header, left_n) or [LEX["two_sided_default"]["left"]]
    right = _resolve_columns(spec["right"], header, right_n) or [LEX["two_sided_default"]["right"]]
    # 第N栏 fallbacks get their side prefix
    left = [c if "/" in c else f"收入/{c}" for c in left]
    right = [c if "/" in c else f"支出/{c}" for c in right]
    columns = left + right
    side_cols = {"L": list(range(len(left))), "R": list(range(len(left), len(columns)))}
    slots = [s for s in _segment_two_sided(_stream(reg.body)) if s.name_parts or s.nums]
    identities: list[Identity] = []
    for s_key, cols in side_cols.items():
        col_ids = _column_identities(columns, cols)
        identities += _row_identities(slots, [i for i, s in enumerate(slots) if s.side == s_key and s.nums], col_ids, columns)
    by_rowno = {s.rowno: i for i, s in enumerate(slots) if s.rowno is not None}
    for kind, lhs, terms in reg.formulas:
        if kind != "行" or lhs not in by_rowno:
            continue
        i = by_rowno[lhs]
        kids = [(coef, by_rowno[n]) for coef, n in terms if n in by_rowno]
        if not kids or any(slots[j].side != slots[i].side for _, j in kids):
            continue
        for c in side_cols[slots[i].side]:
            rhs = "+".join(str(n) for _, n in terms)
            identities.append(Identity([(1.0, i, c)] + [(-coef, j, c) for coef, j in kids],
                                       f"{columns[c]}: {lhs} 行 {slots[i].name} = ({rhs}) 行", slots[i].lines()[0]))
    units, solver = _solve_rows(slots, columns, lambda r: side_cols[r.side or "L"],
                                lambda r: _is_total(columns[side_cols[r.side or "L"][0]]), identities)
    rows = _build_rows(slots, units, columns)
    order = sorted(range(len(rows)), key=lambda i: (slots[i].side != "L", i))  # 收入 side first, then 支出
    table = _new_table(block, "pdftext", unit)
    table.columns = columns
    table.rows = [rows[i] for i in order]
    table.notes = reg.notes
    table.line_end = _line_end(block, table.rows, reg, reg.header)
    return table, solver.checks(block.name)


# ======================================================================= triples
def _parse_triples(block: TableBlock, lls: list[LLine], unit: str) -> tuple[Table, list[Check]]:
    """Three code/name/value slots per line (基本支出明细表): one Row per slot."""
    reg = _split_regions(lls, "triples")
    header = _header_text(reg.header)
    column = next((a for a in _alternatives(LEX["triples"]["value_column"]) if a in header),
                  LEX["triples"]["value_column"].split("|")[0])
    toks = _stream(reg.body)
    slots: list[RawRow] = []
    cur: Optional[RawRow] = None
    for i, t in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t.kind == "int" and len(t.text) in ECONOMIC_CODE_LENGTHS and (nxt is None or nxt.kind == "text"):
            cur = RawRow(code=t.text, toks=[t])
            slots.append(cur)
        elif t.kind == "text":
            # a slot's name never spans an empty cell: text after a skip opens a new slot
            if cur is None or cur.nums or (cur.name_parts and _skip(t.ws_before) >= 1):
                cur = RawRow()
                slots.append(cur)
            cur.name_parts.append(t.text)
            cur.toks.append(t)
        else:
            if cur is None:
                cur = RawRow()
                slots.append(cur)
            if cur.nums:  # a second value in one slot: keep the first
                cur.dropped = True
            else:
                cur.nums.append(t)
            cur.toks.append(t)

    def order(i: int):
        c = slots[i].code
        return (0, c[:3], len(c), c, i) if c else (1, "", 0, "", i)

    slots = [slots[i] for i in sorted(range(len(slots)), key=order)]
    rows = []
    values: dict[tuple[int, int], float] = {}
    for i, s in enumerate(slots):
        cells = []
        if s.nums:
            v, u = _value_of(s.nums[0].text)
            cells.append(Cell(column=column, raw=s.nums[0].text, value=v, uncertain=s.dropped, line=s.nums[0].line))
            values[(i, 0)] = v if v is not None else 0.0
        a, b = s.lines()
        rows.append(Row(code=s.code, name=s.name, cells=cells, line_start=a, line_end=b, uncertain=s.dropped))
    # identities (checks only): 3-digit = Σ its 5-digit codes; 人员/公用经费合计 = Σ listed classes
    identities = _hierarchy_identities(slots, [0], [column])
    identities = [ident for ident in identities if slots[ident.terms[0][1]].code]
    code_row = {s.code: i for i, s in enumerate(slots) if s.code}
    for i, s in enumerate(slots):
        parts = LEX["triples"]["totals"].get(s.name)
        if parts:
            kids = [code_row[c] for c in parts if c in code_row]
            identities.append(Identity([(1.0, i, 0)] + [(-1.0, j, 0) for j in kids],
                                       f"{column}: {s.name} = {'+'.join(c for c in parts if c in code_row)}", s.lines()[0]))
    solver = Solver([], identities, values)
    table = _new_table(block, "pdftext", unit)
    table.columns = [column]
    table.rows = rows
    table.notes = reg.notes
    table.line_end = _line_end(block, rows, reg, reg.header)
    return table, solver.checks(block.name)


# ======================================================================= performance
def _is_level2(text: str) -> bool:
    return text in PERF["level2"] or (
        len(text) <= 12 and any(text.endswith(s) and len(text) > len(s) + 1 for s in PERF["level2_suffixes"]))


def _parse_performance(block: TableBlock, lls: list[LLine], unit: str) -> tuple[Table, list[Check]]:
    """项目/部门绩效自评表: the budget line(s) and the indicator lines become rows."""
    table = _new_table(block, "pdftext", unit)
    notes: list[str] = []
    rows: list[Row] = []
    budget_cols: list[str] = []
    ind_cols: list[str] = []
    i = 0
    content = [ll for ll in lls if ll.kind != "ws"]
    # 1. project information and the budget part, up to the indicator header
    while i < len(content):
        ll = content[i]
        c = ll.compact
        if c.startswith(PERF["indicator_header_start"]):
            break
        words = [t.text for t in ll.toks]
        if sum(any(w in t for w in PERF["budget_header_words"]) for t in words) >= 2:
            budget_cols = [AB_MARK_RE.sub("", t) for t in words if any(w in t for w in PERF["budget_header_words"])]
        elif budget_cols and any(_is_value(t) for t in ll.toks):
            rows.append(_budget_row(ll, budget_cols))
        elif c in PERF["section_labels"] or re.fullmatch(r"[（(]?\d{4}年度?[）)]?", c) or c.startswith("填报单位"):
            pass
        elif ll.kind in ("content", "sentence", "nodata"):
            notes.append(re.sub(r"\s+", " ", ll.raw).strip())
        i += 1
    # 2. the indicator header: tokens until the first 一级/二级 label
    header_toks: list[Tok] = []
    while i < len(content):
        ll = content[i]
        if header_toks and ll.toks and (ll.toks[0].text in PERF["level1"] or _is_level2(ll.toks[0].text)):
            break
        header_toks.extend(ll.toks)
        i += 1
    ind_cols = [AB_MARK_RE.sub("", t.text) for t in header_toks]
    first_row_line = content[i].line_start if i < len(content) else None
    body = [ll for ll in lls if first_row_line is not None and ll.line_start >= first_row_line
            and ll.kind in ("content", "ws", "sentence")]
    if ind_cols:
        rows += _indicator_rows(_stream(body), ind_cols)
    table.columns = list(dict.fromkeys(budget_cols + [c for c in ind_cols if c != "三级指标"]))
    table.rows = rows
    table.notes = notes
    table.line_end = max([r.line_end for r in rows] + [ll.line_end for ll in content[:i]] + [block.title_line])
    return table, []


def _budget_row(ll: LLine, cols: list[str]) -> Row:
    name_parts, cells, pos = [], [], -1
    for t in ll.toks:
        if not _is_value(t):
            if not cells:
                name_parts.append(t.text)
            continue
        pos += 1 + (_skip(t.ws_before) if cells else 0)
        uncertain = pos >= len(cols)
        pos = min(pos, len(cols) - 1)
        v, u = _value_of(t.text)
        cells.append(Cell(column=cols[pos], raw=t.text, value=v, unit=u if u != "%" else None, uncertain=uncertain,
                          line=t.line))
    return Row(name=_clean_name("".join(name_parts)), cells=cells, line_start=ll.line_start, line_end=ll.line_end,
               uncertain=any(c.uncertain for c in cells))


def _indicator_rows(toks: list[Tok], cols: list[str]) -> list[Row]:
    """Fill the indicator columns left to right; a row ends at the last column, and a
    一级/二级 label after the 三级指标 starts the next row."""
    n = len(cols)
    i1 = cols.index("一级指标") if "一级指标" in cols else 0
    i2 = cols.index("二级指标") if "二级指标" in cols else min(1, n - 1)
    i3 = cols.index("三级指标") if "三级指标" in cols else min(2, n - 1)
    groups: list[dict[int, Tok]] = []
    cur: Optional[dict[int, Tok]] = None
    pos = -1
    for k, t in enumerate(toks):
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        level1 = t.text in PERF["level1"] and nxt is not None and _is_level2(nxt.text)
        level2 = not level1 and _is_level2(t.text)
        step = pos + 1 + _skip(t.ws_before)
        if cur is None or step >= n or ((level1 or level2) and pos >= i3):
            cur = {}
            groups.append(cur)
            pos = i1 if level1 else i2 if level2 else i3
        else:
            pos = step
        cur[pos] = t
    rows, carry = [], {}
    quantity_cols = set(PERF["quantity_columns"])
    for g in groups:
        if i1 in g:
            carry = {i1: g[i1].text}
            if i2 in g:
                carry[i2] = g[i2].text
        elif i2 in g:
            carry[i2] = g[i2].text
        cells = []
        for c in range(n):
            if c == i3:
                continue
            text = g[c].text if c in g else carry.get(c) if c in (i1, i2) else None
            if not text:
                continue
            value, unit = (_value_of(text) if cols[c] in quantity_cols else (None, None))
            cells.append(Cell(column=cols[c], raw=text, value=value, unit=unit if unit != "%" else None,
                              line=g[c].line if c in g else None))
        lines = [t.line for t in g.values()] + [t.line_end for t in g.values()]
        rows.append(Row(name=_clean_name(g[i3].text) if i3 in g else "", cells=cells,
                        line_start=min(lines), line_end=max(lines)))
    return rows


def _parse_performance_lines(block: TableBlock, lls: list[LLine], unit: str) -> tuple[Table, list[Check]]:
    """绩效自评表 where every physical line stands alone (no trailing-space marks): the
    budget line is the first line of values; an indicator line ends with one value per
    column after the indicator name, and the lines before it that are not labels are
    the wrapped start of its name."""
    table = _new_table(block, "pdftext", unit)
    content = [ll for ll in lls if ll.kind != "ws"]
    header_at = next((i for i, ll in enumerate(content) if "一级指标" in ll.compact), len(content))
    score_note = re.compile(PERF["score_note"])
    notes, rows, budget_cols, pending, note = [], [], [], [], ""
    in_budget = False
    for ll in content[:header_at]:
        values = [t for t in ll.toks if _is_value(t)]
        if len(values) >= 2 and len(values) == len(ll.toks) and not budget_cols:
            header = "".join(pending)
            budget_cols = _words_in(header, PERF["budget_columns"])
            name = next((w for w in PERF["budget_items"] if w in header), PERF["budget_items"][0])
            cells = [Cell(column=budget_cols[k] if k < len(budget_cols) else f"第{k + 1}栏", raw=t.text,
                          value=_value_of(t.text)[0], uncertain=len(values) != len(budget_cols), line=t.line)
                     for k, t in enumerate(values)]
            rows.append(Row(name=name, cells=cells, line_start=ll.line_start, line_end=ll.line_end,
                            uncertain=any(c.uncertain for c in cells)))
            pending, in_budget = [], False
        elif "预算执行情况" in ll.compact:
            pending, in_budget = [ll.compact], True
        elif in_budget:
            pending.append(ll.compact)
        else:  # project information: wrapped fragments joined into one note per item
            text = re.sub(r"\s+", " ", ll.raw).strip()
            note += (" " if note and text[:1].isdigit() else "") + text
            if values or len(ll.toks) >= 2 or text.endswith("。") or len(text) > 20:
                notes.append(note)
                note = ""
    if note:
        notes.append(note)
    # indicator header: the header line and the fragments after it, up to the first label
    k = header_at
    header = ""
    while k < len(content) and (k == header_at or not (content[k].compact in PERF["level1"] or _is_level2(content[k].compact))):
        header += content[k].compact[content[k].compact.find("一级指标"):] if k == header_at else content[k].compact
        k += 1
    cols = _words_in(header, PERF["indicator_columns"])
    name_col = next((c for c in ("三级指标", "指标名称") if c in cols), None)
    if name_col is None:
        table.rows, table.notes = rows, notes
        table.line_end = max([r.line_end for r in rows] + [block.title_line])
        return table, []
    value_cols = cols[cols.index(name_col) + 1:]
    level = {"一级指标": None, "二级指标": None}
    pending, pending_lines, last_label = [], [], None
    for ll in content[k:]:
        c = ll.compact
        if ll.kind in ("sentence", "nodata", "note"):
            break  # the narrative after the table
        if score_note.match(c):
            continue
        if last_label == "二级指标" and _is_level2(level["二级指标"] + c) and not _is_level2(c):
            level["二级指标"] += c  # a label wrapped over two lines (社会效益 / 指标)
            continue
        if c in PERF["level1"] or _is_level2(c):  # a label; fragments before it were a repeated header
            if c in PERF["level1"] and not (last_label == "一级指标" and _is_level2(c)):
                level = {"一级指标": c, "二级指标": None}
                last_label = "一级指标"
            else:
                level["二级指标"] = c
                last_label = "二级指标"
            pending, pending_lines = [], []
            continue
        last_label = None
        toks = ll.toks
        if len(toks) >= len(value_cols) and value_cols and _is_value(toks[-1]):
            name_toks, value_toks = toks[: len(toks) - len(value_cols)], toks[len(toks) - len(value_cols):]
            name = _clean_name("".join(pending) + "".join(t.text for t in name_toks))
            cells = [Cell(column=col, raw=text, line=ll.line_start) for col, text in
                     (("一级指标", level["一级指标"]), ("二级指标", level["二级指标"])) if text and col in cols]
            for col, t in zip(value_cols, value_toks):
                value, vunit = _value_of(t.text) if col in PERF["quantity_columns"] else (None, None)
                cells.append(Cell(column=col, raw=t.text, value=value, unit=vunit if vunit != "%" else None, line=t.line))
            rows.append(Row(name=name, cells=cells, line_start=min(pending_lines + [ll.line_start]), line_end=ll.line_end))
            pending, pending_lines = [], []
        else:
            pending.append(c)
            pending_lines.append(ll.line_start)
    table.columns = list(dict.fromkeys(budget_cols + [c for c in cols if c != name_col]))
    table.rows = rows
    table.notes = notes
    table.line_end = max([r.line_end for r in rows] + [block.title_line])
    return table, []


# ======================================================================= aligned
def _width(text: str, wide: bool) -> int:
    if not wide:
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@dataclass
class ACell:
    text: str
    start: int
    end: int
    line: int


def _aligned_cells(num: int, raw: str, wide: bool) -> list[ACell]:
    """Cells separated by 2+ spaces; positions in characters or display columns."""
    out = []
    for m in re.finditer(r"\S+(?: \S+)*", raw):
        start = _width(raw[: m.start()], wide)
        out.append(ACell(m.group(), start, start + _width(m.group(), wide), num))
    return out


def looks_aligned(lines: list[tuple[int, str]]) -> bool:
    """A header line of 3+ cells separated by 2+ spaces, and numbers never glued to
    their neighbours by a single space."""
    wide = narrow = numeric_lines = 0
    header = False
    for _, raw in lines:
        ms = list(re.finditer(r"\S+", raw or ""))
        nums = [m for m in ms if _token_kind(m.group()) == "num"]
        if not nums:
            cells = list(re.finditer(r"\S+(?: \S+)*", raw or ""))
            if len(cells) >= 3 and sum(1 for c in cells if not INT_RE.match(c.group())) >= 3:
                header = True
            continue
        numeric_lines += 1
        for a, b in zip(ms, ms[1:]):
            if b in nums:
                if b.start() - a.end() >= 2:
                    wide += 1
                else:
                    narrow += 1
    return header and numeric_lines >= 2 and wide >= 3 and narrow <= 0.1 * (wide + narrow)


CODE_CELL_RE = re.compile(r"^(\d{3}|\d{5}|\d{7})(?:\s+(\S.*))?$")


def _span_distance(span: tuple[int, int], cell: ACell) -> int:
    """0 when the cell overlaps the column's header span, else the gap between them."""
    a, b = span
    if cell.start < b and a < cell.end:
        return 0
    return min(abs(cell.start - b), abs(a - cell.end))


def _aligned_header(header: list[list[ACell]]) -> tuple[list[str], list[tuple[int, int]]]:
    """Value columns from the header line with the most cells; words stacked above or
    below one column are wrapped parts of its name, a word above several columns is a
    group label (prefixed to an ambiguous 合计/小计 below it)."""
    header = [[c for c in cells if re.sub(r"\s+", "", c.text) not in NON_VALUE_HEADERS] for cells in header]
    if not any(header):
        return [], []
    main = max(range(len(header)), key=lambda k: (len(header[k]), k))
    cols = [[re.sub(r"\s+", "", c.text), c.start, c.end] for c in header[main]]
    for k, cells in enumerate(header):
        if k == main:
            continue
        for c in cells:
            word = re.sub(r"\s+", "", c.text)
            over = [j for j, (_, a, b) in enumerate(cols) if c.start < b and a < c.end]
            if len(over) == 1:
                j = over[0]
                cols[j][0] = word + cols[j][0] if k < main else cols[j][0] + word
            elif len(over) > 1 and k < main:
                for j in over:
                    if _is_total(cols[j][0]):
                        cols[j][0] = f"{word}/{cols[j][0]}"
    return [c[0] for c in cols], [(c[1], c[2]) for c in cols]


def _aligned_rows(body: list[LLine], cells_by_line: dict[int, list[ACell]]) -> tuple[list[RawRow], dict[int, list[ACell]]]:
    """One row per line that starts with a code or label; a text-only line is a wrapped
    name (of the row above when that row has no numbers yet or the next line opens a
    new row, else the head of the next row)."""
    rows: list[RawRow] = []
    num_cells: dict[int, list[ACell]] = {}

    def code_cell(cells: list[ACell]) -> bool:  # a code followed by its name
        m = CODE_CELL_RE.match(cells[0].text) if cells else None
        return bool(m) and (bool(m.group(2)) or (len(cells) > 1 and _token_kind(cells[1].text) == "text"))

    def opens_row(cells: list[ACell]) -> bool:
        return code_cell(cells) or (bool(cells) and cells[0].text in ROW_LABELS)

    for k, ll in enumerate(body):
        cells = cells_by_line[ll.line_start]
        has_code = code_cell(cells)
        values = [c for j, c in enumerate(cells) if _token_kind(c.text) in ("num", "qty", "int")
                  and not (j == 0 and has_code)]
        texts = [c for c in cells if c not in values]
        prev = rows[-1] if rows else None
        next_opens = k + 1 >= len(body) or opens_row(cells_by_line[body[k + 1].line_start])
        tok = Tok(ll.raw.strip(), ll.line_start, ll.line_end, 0)
        if not values and not opens_row(cells) and prev is not None and (not prev.nums or next_opens):
            prev.name_parts += [c.text for c in texts]
            prev.toks.append(tok)
            continue
        if opens_row(cells) or prev is None or prev.nums:
            m = CODE_CELL_RE.match(texts[0].text) if has_code else None
            cur = RawRow(code=m.group(1) if m else None)
            rows.append(cur)
            if m:
                texts = texts[1:]
                cur.name_parts += [m.group(2)] if m.group(2) else []
        else:
            cur = prev
        cur.toks.append(tok)
        cur.name_parts += [c.text for c in texts]
        for c in values:
            cur.nums.append(Tok(c.text, ll.line_start, ll.line_end, c.start))
            num_cells.setdefault(len(rows) - 1, []).append(c)
    return rows, num_cells


def _parse_aligned(block: TableBlock, unit: str, kind: str) -> tuple[Table, list[Check]]:
    """Space-aligned table: each number goes to the header column above it, unless the
    identities say otherwise."""
    lls = _logical_lines(block.lines, glue=False)
    start = next((i for i, ll in enumerate(lls) if _row_start(ll, kind)), len(lls))
    header_lls = [ll for ll in lls[:start] if ll.kind == "content"]
    end = start
    while end < len(lls) and lls[end].kind in ("content", "ws", "lanci", "colnums", "furniture", "unit"):
        end += 1
    body_lls = [ll for ll in lls[start:end] if ll.kind == "content"]
    notes, end_line, stop = _scan_tail(lls, end)
    raws = {n: (raw or "").rstrip("\r\n") for n, raw in block.lines}

    # positions in characters, or in display columns (CJK = 2) if numbers fit those better
    best = None
    for wide in (False, True):
        names, spans = _aligned_header([_aligned_cells(ll.line_start, raws[ll.line_start], wide) for ll in header_lls])
        cells = {ll.line_start: _aligned_cells(ll.line_start, raws[ll.line_start], wide) for ll in body_lls}
        misfit = sum(min(_span_distance(s, c) for s in spans) for cs in cells.values() for c in cs
                     if spans and _token_kind(c.text) == "num")
        if best is None or misfit < best[0]:
            best = (misfit, names, spans, cells)
    _, columns, spans, cells_by_line = best
    raw_rows, num_cells = _aligned_rows(body_lls, cells_by_line)
    if not columns:
        columns = [f"第{i}栏" for i in range(1, max((len(r.nums) for r in raw_rows), default=0) + 1)]
        spans = []
    n = len(columns)

    def cost_fn(r: RawRow, allowed: list[int]):
        cells = num_cells.get(raw_rows.index(r), [])
        dists = [[_span_distance(spans[c], cell) if spans else 0 for c in allowed] for cell in cells]
        nearest = [min(range(len(allowed)), key=lambda j: (d[j], j)) for d in dists]
        combos = list(itertools.combinations(range(len(allowed)), len(cells)))
        if len(combos) > MAX_CANDIDATES:
            combos = [tuple(nearest)] if len(set(nearest)) == len(nearest) else [tuple(range(len(cells)))]
        costs = [W_POSITION * sum(abs(j - nj) for j, nj in zip(combo, nearest))
                 + 0.01 * sum(d[j] for d, j in zip(dists, combo)) for combo in combos]
        return [tuple(allowed[j] for j in combo) for combo in combos], costs

    col_ids = _merge_col_ids(_column_identities(columns), _column_formulas(_parse_formulas(lls[:stop]), n))
    numbered = [i for i, r in enumerate(raw_rows) if r.nums]
    identities = _row_identities(raw_rows, numbered, col_ids, columns)
    identities += _hierarchy_identities(raw_rows, list(range(n)), columns)
    units, solver = _solve_rows(raw_rows, columns, lambda r: list(range(n)), lambda r: False, identities, cost_fn)
    table = _new_table(block, "aligned", unit)
    table.columns = columns
    table.rows = _build_rows(raw_rows, units, columns, LEX["sangong_row_name"] if kind == "sangong" else "")
    table.notes = notes
    table.line_end = max([r.line_end for r in table.rows] + [end_line or 0]
                         + [ll.line_end for ll in header_lls] + [block.title_line])
    return table, solver.checks(block.name)


# ======================================================================= entry points
def parse_pdftext_table_checked(block: TableBlock) -> tuple[Table, list[Check]]:
    """Parse a table block; also return the accounting identities evaluated on it."""
    try:
        kind = TABLE_KIND.get(block.name, "by_code")
        glue = trailing_space_convention(block.lines)
        lls = _logical_lines(block.lines, glue=glue)
        unit = _find_unit(lls)
        if kind == "performance":
            return _parse_performance(block, lls, unit) if glue else _parse_performance_lines(block, lls, unit)
        if kind in ("by_code", "sangong") and looks_aligned(block.lines):
            return _parse_aligned(block, unit, kind)
        if kind == "two_sided":
            return _parse_two_sided(block, lls, unit)
        if kind == "triples":
            return _parse_triples(block, lls, unit)
        return _parse_by_code(block, lls, unit, kind)
    except Exception:  # a malformed block must not take the whole report down
        log.exception("pdftext layout failed for %s (line %s); falling back to plain rows", block.name, block.title_line)
        return _fallback(block), []


def parse_pdftext_table(block: TableBlock) -> Table:
    return parse_pdftext_table_checked(block)[0]


def _fallback(block: TableBlock) -> Table:
    """Every line with numbers becomes a row whose cells are all uncertain."""
    table = _new_table(block, "pdftext", "万元")
    try:
        for num, raw in block.lines:
            toks, _, _ = _split_physical(num, (raw or "").rstrip("\r\n"))
            values = [t for t in toks if t.kind in ("num", "qty")]
            if not values:
                continue
            name = _clean_name("".join(t.text for t in toks if t.kind == "text"))
            cells = [Cell(column=f"第{i}栏", raw=t.text, value=_value_of(t.text)[0], uncertain=True, line=num)
                     for i, t in enumerate(values, 1)]
            table.rows.append(Row(name=name, cells=cells, line_start=num, line_end=num, uncertain=True))
        table.columns = sorted({c.column for r in table.rows for c in r.cells}, key=lambda c: int(c[1:-1]))
        table.line_end = max([r.line_end for r in table.rows] + [block.title_line])
    except Exception:
        log.exception("fallback failed for %s", block.name)
    return table
