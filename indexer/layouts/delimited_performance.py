"""绩效自评表 as a delimited grid: key/value lines, the 预算执行情况 line(s) and the indicator lines
(TABLES.md), read by a small state machine over the lines."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ..lexicon import load, squash
from ..models import Cell, Row
from .cells import row_name
from .delimited_grid import Line, header_text, is_number, make_row, quantity, text_raw

_PERF = load("table_headers.json")["performance"]
BUDGET_WORDS = _PERF["budget_header_required"]
INDICATOR_WORDS = _PERF["indicator_header_words"]
LEVEL1_COLUMN = _PERF["level1_column"]
LEVEL2_COLUMN = _PERF["level2_column"]
GOAL_COLUMN = _PERF["goal_column"]
KV_COLUMN = _PERF["kv_column"]
LEVEL1_NAMES = frozenset(_PERF["level1_names"])
LEVEL2_NAMES = frozenset(_PERF["level2_names"])
LEVEL_NAMES = LEVEL1_NAMES | LEVEL2_NAMES
LEVEL_SUFFIX = _PERF["level_suffix"]
GOAL_LABEL_RE = re.compile(_PERF["goal_label_pattern"])
GOAL_LINE_RE = re.compile(_PERF["goal_line_pattern"])
KV_KEYS = [squash(k) for k in _PERF["kv_keys"]]
SCORE_COLUMNS = frozenset(_PERF["score_columns"])
SCORE_UNIT = _PERF["score_unit"]
QUANTITY_COLUMNS = frozenset(_PERF["indicator_quantity_columns"])



@dataclass(eq=False)
class _Carry:
    """A 一级/二级指标 value carried down merged cells; rows share it, so later fragments reach them."""

    text: str = ""

    @property
    def open(self) -> bool:
        return bool(self.text) and not self.text.endswith(LEVEL_SUFFIX)


@dataclass
class _IndicatorHeader:
    p1: int
    p2: int
    p3: int
    cols: list[tuple[str, int]]  # value columns after 三级指标


@dataclass(eq=False)
class _IndicatorRow:
    name: str
    first: int
    last: int
    lv1: _Carry
    lv2: _Carry
    goal: str
    values: dict[str, tuple[str, int]]  # column -> (text, line of the figure)
    pos_map: dict[int, str]  # source position -> column ("" = the 三级指标 name)
    shift: int
    uncertain: bool = False


def _is_level(text: str) -> bool:
    if text in LEVEL_NAMES or text.endswith(LEVEL_SUFFIX):
        return True
    return len(text) >= 2 and any(n.startswith(text) or n.endswith(text) for n in LEVEL_NAMES)


def _is_kv_key(text: str) -> bool:
    if len(text) < 2 or GOAL_LABEL_RE.fullmatch(text):
        return False
    return any(k.startswith(text) or text.startswith(k) for k in KV_KEYS)


def _has_words(labels: list[str], words: list[str]) -> bool:
    return all(any(w == l or l.startswith(w) for l in labels) for w in words)


class _PerformanceReader:
    """State machine over the lines of a 绩效自评表: key/value lines, 预算执行情况 lines, indicators."""

    def __init__(self, unit: str):
        self.unit = unit
        self.items: list = []  # Row or _IndicatorRow, in order
        self.budget: list[tuple[str, int]] = []
        self.ind: Optional[_IndicatorHeader] = None
        self.mode = "kv"
        self.lv1, self.lv2 = _Carry(), _Carry()
        self.goal = ""
        self.prev_ind: Optional[_IndicatorRow] = None
        self.prev_kv: Optional[Row] = None
        self.head: list[str] = []  # a 三级指标 fragment standing above its row
        self.head_line: Optional[int] = None  # a level-only line standing above its row

    # -- dispatch
    def feed(self, line: Line) -> None:
        filled = line.filled
        if not filled:
            return
        labels = [header_text(c) for c in line.cells]
        if _has_words(labels, INDICATOR_WORDS):
            self._indicator_header(labels)
            return
        if _has_words(labels, BUDGET_WORDS):
            self._budget_header(labels)
            return
        first_pos, first = filled[0]
        key = squash(first)
        if len(filled) == 2 and GOAL_LINE_RE.fullmatch(key) and not is_number(filled[1][1]) \
                and not _is_level(squash(filled[1][1])):
            self._goal_line(line, key, filled[1][1])
            return
        if self.mode == "budget" and any(quantity(c) for _, c in filled[1:]):
            self._funding_line(line)
            return
        if self.mode == "ind" and not (first_pos == 0 and _is_kv_key(key)):
            self._indicator_line(line)
            return
        if self.mode == "ind":
            self.mode = "post"
        self._kv_line(line)

    # -- headers
    def _indicator_header(self, labels: list[str]) -> None:
        pos = {w: next(p for p, l in enumerate(labels) if l.startswith(w)) for w in INDICATOR_WORDS}
        p3 = pos[INDICATOR_WORDS[2]]
        cols = [(l, p) for p, l in enumerate(labels) if l and p > p3]
        self.ind = _IndicatorHeader(pos[INDICATOR_WORDS[0]], pos[INDICATOR_WORDS[1]], p3, cols)
        self.lv1, self.lv2 = _Carry(), _Carry()
        self.prev_ind = None
        self.head_line = None
        self.mode = "ind"

    def _budget_header(self, labels: list[str]) -> None:
        filled = [(l, p) for p, l in enumerate(labels) if l]
        if filled and not any(filled[0][0].startswith(w) for w in BUDGET_WORDS):
            filled = filled[1:]  # the row label (预算执行情况)
        self.budget = filled
        self.mode = "budget"

    def _goal_line(self, line: Line, key: str, text: str) -> None:
        self.goal = row_name(text)
        self.lv1, self.lv2 = _Carry(), _Carry()
        self.prev_ind = None
        self.head_line = None
        self._add_kv(line, key, text)

    # -- 预算执行情况 lines
    def _funding_line(self, line: Line) -> None:
        filled = line.filled
        first_num = next(i for i, (_, c) in enumerate(filled) if quantity(c))
        name = row_name(filled[first_num - 1][1]) if first_num > 0 else ""
        values = filled[first_num:]
        positions = {p: col for col, p in self.budget}
        uncertain = False
        if all(p in positions for p, _ in values):
            pairs = [(positions[p], c) for p, c in values]
        else:
            uncertain = len(values) != len(self.budget)
            pairs = [(col, c) for (col, _), (_, c) in zip(self.budget, values)]
        cells = [self._value_cell(col, raw, line.no, uncertain) for col, raw in pairs]
        self.items.append(make_row(None, name, cells, line.no, line.no))
        self.prev_kv = None

    # -- indicator lines
    def _indicator_line(self, line: Line) -> None:
        ind = self.ind
        filled = [(p, c) for p, c in line.filled if not (p < ind.p1 and GOAL_LABEL_RE.fullmatch(squash(c)))]
        levels, rest = [], []
        for p, c in filled:
            t = squash(c)
            limit = ind.p2 + (1 if t.endswith(LEVEL_SUFFIX) else 0)
            if not rest and p <= limit and _is_level(t):
                levels.append((p, t))
            else:
                rest.append((p, c))
        if len(rest) < 2:  # level fragments and/or the tail of a wrapped cell
            shift = self.prev_ind.shift if self.prev_ind else 0
            appended = self._apply_levels(levels, shift)
            if rest:
                self._continue(line, rest[0])
            elif appended and self.prev_ind is not None:
                self.prev_ind.last = line.no
            elif levels:
                self.head_line = self.head_line or line.no  # new levels for the rows below
            return
        (name_pos, name), values = rest[0], rest[1:]
        shift = name_pos - ind.p3
        col_at = {p: col for col, p in ind.cols}
        uncertain = False
        if all(p - shift in col_at for p, _ in values):
            pairs = [(col_at[p - shift], p, c) for p, c in values]
        else:
            n = len(ind.cols)
            extra, values = (values[:-n], values[-n:]) if len(values) > n else ([], values)
            if extra:
                name = " ".join([name] + [c for _, c in extra])
                uncertain = True
            uncertain = uncertain or len(values) < n
            pairs = [(col, p, c) for (col, _), (p, c) in zip(ind.cols, values)]
        self._apply_levels(levels, shift)
        if self.head:
            name = "".join(self.head) + name
            self.head = []
        first, self.head_line = self.head_line or line.no, None
        row = _IndicatorRow(
            name=name, first=first, last=line.no, lv1=self.lv1, lv2=self.lv2, goal=self.goal,
            values={col: (c, line.no) for col, _, c in pairs}, pos_map={name_pos: "", **{p: col for col, p, _ in pairs}},
            shift=shift, uncertain=uncertain,
        )
        self.items.append(row)
        self.prev_ind = row

    def _apply_levels(self, levels: list[tuple[int, str]], shift: int) -> bool:
        """Carry level cells down; True when a fragment completed a name already in use."""
        appended = False
        if len(levels) >= 2:
            assigned = [(1, levels[0][1]), (2, "".join(t for _, t in levels[1:]))]
        elif levels:
            p, t = levels[0]
            assigned = [(self._level_of(p - shift, t), t)]
        else:
            return False
        for k, t in sorted(assigned):
            carry = self.lv1 if k == 1 else self.lv2
            joined = carry.text + t
            if carry.open and (joined in LEVEL_NAMES or not t.endswith(LEVEL_SUFFIX)):
                carry.text = joined  # the rest of a name wrapped inside a merged cell
                appended = True
            elif not carry.text:
                carry.text = t  # also fills rows above that were waiting under a merged cell
            elif k == 1:
                self.lv1, self.lv2 = _Carry(t), _Carry()
            else:
                self.lv2 = _Carry(t)
        return appended

    def _level_of(self, pos: int, text: str) -> int:
        fits = [k for k, carry in ((1, self.lv1), (2, self.lv2))
                if carry.open and (carry.text + text in LEVEL_NAMES or not text.endswith(LEVEL_SUFFIX))]
        if len(fits) == 1:
            return fits[0]
        if text in LEVEL1_NAMES and text not in LEVEL2_NAMES:
            return 1
        if text in LEVEL2_NAMES and text not in LEVEL1_NAMES:
            return 2
        return 1 if abs(pos - self.ind.p1) < abs(pos - self.ind.p2) else 2

    def _continue(self, line: Line, fragment: tuple[int, str]) -> None:
        pos, text = fragment
        row = self.prev_ind
        if row is None:
            self.head.append(text)
            return
        nearest = min(row.pos_map, key=lambda p: abs(p - pos))
        col = row.pos_map[nearest]
        if col:
            raw, at = row.values[col]
            row.values[col] = (raw + text, at)
        else:
            row.name = row.name + text
        row.last = line.no

    # -- key/value lines
    def _kv_line(self, line: Line) -> None:
        filled = line.filled
        prev = self.prev_kv
        if len(filled) == 1 and prev is not None:
            pos, text = filled[0]
            if pos == 0 and any(k.startswith(prev.name) and k != prev.name for k in KV_KEYS):
                prev.name = row_name(prev.name + text)  # key wrapped onto the next line
                prev.line_end = line.no
                return
            if pos > 0 and prev.cells and prev.cells[0].value is None:
                prev.cells[0].raw = text_raw(prev.cells[0].raw + text)  # value wrapped
                prev.line_end = line.no
                return
        for i in range(0, len(filled), 2):
            key = filled[i][1]
            value = filled[i + 1][1] if i + 1 < len(filled) else ""
            self._add_kv(line, key, value)

    def _add_kv(self, line: Line, key: str, value: str) -> None:
        name = row_name(key)
        cells = [self._value_cell(KV_COLUMN, value, line.no, False, score=name in SCORE_COLUMNS)] if value else []
        row = make_row(None, name, cells, line.no, line.no)
        self.items.append(row)
        self.prev_kv = row

    # -- cells
    def _value_cell(self, column: str, raw: str, line: int, uncertain: bool, score: bool = False) -> Cell:
        score = score or column in SCORE_COLUMNS
        q = quantity(raw)
        if q is None:
            return Cell(column=column, raw=text_raw(raw), uncertain=uncertain, line=line)
        value, unit, _ = q
        if score and unit is None:
            unit = SCORE_UNIT
        if unit == self.unit:
            unit = None
        return Cell(column=column, raw=raw, value=value, unit=unit, uncertain=uncertain, line=line)

    def rows(self) -> list[Row]:
        out = []
        for item in self.items:
            out.append(self._indicator_row(item) if isinstance(item, _IndicatorRow) else item)
        return out

    def _indicator_row(self, item: _IndicatorRow) -> Row:
        cells = []
        if item.goal:
            cells.append(Cell(column=GOAL_COLUMN, raw=item.goal))
        if item.lv1.text:
            cells.append(Cell(column=LEVEL1_COLUMN, raw=item.lv1.text))
        if item.lv2.text:
            cells.append(Cell(column=LEVEL2_COLUMN, raw=item.lv2.text))
        values = {col: self._value_cell(col, raw, at, item.uncertain) for col, (raw, at) in item.values.items()}
        # "12" beside a target of "12份" is 12 份: a bare number takes its sibling's unit
        units = {c.unit for col, c in values.items() if col in QUANTITY_COLUMNS and c.value is not None and c.unit}
        for col, c in values.items():
            if col in QUANTITY_COLUMNS and c.value is not None and c.unit is None and len(units) == 1:
                c.unit = next(iter(units))
        cells.extend(values.values())
        return make_row(None, row_name(item.name), cells, item.first, item.last, item.uncertain)


def performance_layout(lines: list[Line]) -> bool:
    """The block has a 绩效自评表's own structure: an indicator or funding header, or key-value lines
    (项目名称 | …); a plain grid under such a title (指标 | 年初目标值 | 实际完成值) has none."""
    for line in lines:
        labels = [header_text(c) for c in line.cells]
        if _has_words(labels, INDICATOR_WORDS) or _has_words(labels, BUDGET_WORDS):
            return True
        if line.filled and _is_kv_key(squash(line.filled[0][1])):
            return True
    return False


def parse_grid_performance(lines: list[Line], unit: str) -> tuple[list[str], list[Row]]:
    reader = _PerformanceReader(unit)
    for line in lines:
        if not line.separator:
            reader.feed(line)
    rows = reader.rows()
    columns = list(dict.fromkeys(c.column for r in rows for c in r.cells))
    return columns, rows
