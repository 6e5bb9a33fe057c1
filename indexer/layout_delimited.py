"""Layout parser for delimited tables: tab-separated rows (empty cells kept) and Markdown pipe tables.

`parse_delimited_table(block) -> Table` follows indexer/TABLES.md. The block's lines are split into
cells; the header lines are merged column-wise into a label tree whose leaves are the value
columns; the data lines are then read by the layout of the table's kind (lexicon tables.json):
by-code tables, two-sided totals tables, the three-triples 基本支出明细表, the 三公 table and the
绩效自评表. Every domain word comes from lexicon/delimited_headers.json.

Column positions are taken from the 栏次 / column-number row when it agrees with the header,
else from the header (shifted when the data sit consistently beside it). A number whose column
is a guess, or sits under a header cell that names several columns, is marked uncertain.
"""
from __future__ import annotations

import html
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

from .lexicon import load, squash, table_kind
from .models import Cell, Row, Table, TableBlock
from .numbers import parse_number, parse_quantity, to_float

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- vocabulary (lexicon)
_LEX = load("delimited_headers.json")
_PERF = _LEX["performance"]

STUB_LABELS = frozenset(_LEX["stub_labels"])
STUB_PATTERNS = [re.compile(p) for p in _LEX["stub_label_patterns"]]
ITEM_LABEL = _LEX["item_label"]
NAME_LABEL = _LEX["name_label"]
LANCI_LABEL = _LEX["lanci_label"]
HANGCI_LABEL = _LEX["hangci_label"]
KNOWN_COLUMNS = frozenset(squash(c) for c in _LEX["known_columns"])
TOTAL_NAMES = frozenset(_LEX["total_names"])
SIDE_NAMES: list[str] = _LEX["side_names"]
DEFAULT_VALUE_COLUMN = _LEX["default_value_column"]
DEFAULT_UNIT = _LEX["default_unit"]
PLACEHOLDER_COLUMN = _LEX["placeholder_column"]
SANGONG_ROW_NAME = _LEX["sangong_row_name"]
PLACEHOLDER_CELLS = frozenset(_LEX["placeholder_cells"])

UNIT_RE = re.compile(_LEX["unit_pattern"])
META_RES = [re.compile(p) for p in _LEX["meta_patterns"]]
NARRATIVE_NOTE_RE = re.compile(_LEX["narrative_note_pattern"])
ORDINAL_RE = re.compile(_LEX["ordinal_pattern"])
HEADER_NOTE_RE = re.compile(_LEX["header_note_pattern"])  # (A), (B/A), (万元), (20分*执行率)

BUDGET_WORDS = _PERF["budget_header_words"]
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
QUANTITY_COLUMNS = frozenset(_PERF["quantity_columns"])

# ---------------------------------------------------------------- text helpers
CODE_RE = re.compile(r"^\d{3}(?:\d{2}){0,2}$")
CODE_NAME_RE = re.compile(r"^(\d{3}(?:\d{2}){0,2})\s*([^\d\s.,%].*)$")
SMALL_INT_RE = re.compile(r"^\d{1,2}$")
_CJK = r"\u4e00-\u9fff\u3000-\u303f\uff00-\uffef“”‘’"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_HTML_CHECKED = re.compile(r"<input[^>]*\bchecked\b[^>]*>", re.I)
_HTML_INPUT = re.compile(r"<input[^>]*>", re.I)
_HTML_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.I)
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_LATEX_MATH = re.compile(r"\$([^$]*)\$")
_LATEX_SYMBOLS = [(re.compile(r"\\geq?\s*"), "≥"), (re.compile(r"\\leq?\s*"), "≤"),
                  (re.compile(r"\\%"), "%"), (re.compile(r"\\times\s*"), "×")]
_MD_EMPHASIS = re.compile(r"\*\*|__")
_PIPE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")
_EXTRA_UNITS = sorted(_PERF["extra_units"], key=len, reverse=True)
_EXTRA_QUANTITY_RE = re.compile(
    r"^\s*(?P<cmp>[≥≤<>＞＜=]{1,2})?\s*(?P<num>[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*"
    r"(?P<unit>" + "|".join(re.escape(u) for u in _EXTRA_UNITS) + r")\s*$"
)


def clean_cell(text: str) -> str:
    """Cell text without HTML/LaTeX/Markdown residue; runs of whitespace collapsed (not removed)."""
    t = (text or "").strip()
    if not t:
        return ""
    if "<" in t:
        t = _HTML_CHECKED.sub(" ☑ ", t)
        t = _HTML_INPUT.sub(" ☐ ", t)
        t = _HTML_BREAK.sub(" ", t)
        t = _HTML_TAG.sub("", t)
        t = html.unescape(t)
    if "$" in t or "\\" in t:
        t = _LATEX_MATH.sub(lambda m: m.group(1), t)
        for rx, rep in _LATEX_SYMBOLS:
            t = rx.sub(rep, t)
    t = _MD_EMPHASIS.sub("", t)
    t = re.sub(r"\s+", " ", t).strip()
    return "" if t in PLACEHOLDER_CELLS else t


def text_raw(text: str) -> str:
    """A text cell as shown: wrap spaces between Chinese characters removed."""
    t = _CJK_GAP.sub("", text)
    return re.sub(r"\s+([☑☐])", r"\1", t)


def header_text(text: str) -> str:
    """A header label: notes like (A), (B/A), (万元), (20分*执行率) dropped, all whitespace removed."""
    return squash(HEADER_NOTE_RE.sub("", text or ""))


def row_name(text: str) -> str:
    """Row label: whitespace removed, a leading ordinal (一、 （一） 1.) removed."""
    name = squash(text)
    stripped = ORDINAL_RE.sub("", name, count=1)
    return stripped or name


def is_number(text: str) -> bool:
    return bool(text) and parse_number(text) is not None


def quantity(text: str) -> Optional[tuple[float, Optional[str], Optional[str]]]:
    """parse_quantity plus a few units of the 绩效自评表 (万件, h, …) from the lexicon."""
    q = parse_quantity(text)
    if q is not None:
        return q
    m = _EXTRA_QUANTITY_RE.match(text or "")
    if not m:
        return None
    value = to_float(m.group("num"))
    return None if value is None else (value, m.group("unit"), m.group("cmp"))


def is_stub_label(label: str) -> bool:
    return label in STUB_LABELS or any(p.match(label) for p in STUB_PATTERNS)


def is_code(text: str) -> bool:
    return bool(CODE_RE.match(text or ""))


def split_known(name: str) -> list[str]:
    """Split a header cell naming several known columns ("基本支出项目支出"); [] when it is one name."""
    if not name or name in KNOWN_COLUMNS:
        return []
    best: dict[int, list[str]] = {0: []}
    for i in range(len(name)):
        if i not in best:
            continue
        for known in KNOWN_COLUMNS:
            if name.startswith(known, i) and i + len(known) not in best:
                best[i + len(known)] = best[i] + [known]
    parts = best.get(len(name), [])
    return parts if len(parts) >= 2 else []


# ---------------------------------------------------------------- lines
@dataclass
class _Line:
    no: int
    cells: list[str]
    separator: bool = False

    @property
    def filled(self) -> list[tuple[int, str]]:
        return [(p, c) for p, c in enumerate(self.cells) if c]


def _is_pipe_line(text: str) -> bool:
    t = text.strip()
    return t.startswith("|") and t.count("|") >= 2


def _split_cells(text: str, layout: str) -> list[str]:
    if layout == "pipe":
        t = text.strip()
        if t.startswith("|"):
            t = t[1:]
        if t.endswith("|") and not t.endswith("\\|"):
            t = t[:-1]
        parts = [p.replace("\\|", "|") for p in re.split(r"(?<!\\)\|", t)]
    else:
        parts = text.split("\t")
    return [clean_cell(p) for p in parts]


def _segment(block: TableBlock) -> tuple[str, list[_Line], list[str], Optional[str]]:
    """Table lines (up to where the rows end), notes (本部门…无…) and the stated unit."""
    texts = [(no, (raw or "").rstrip("\r\n")) for no, raw in block.lines]
    n_pipe = sum(_is_pipe_line(t) for _, t in texts)
    n_tab = sum("\t" in t for _, t in texts)
    layout = "pipe" if n_pipe > n_tab else "tab"
    lines: list[_Line] = []
    notes: list[str] = []
    unit: Optional[str] = None
    started = ended = False
    for no, text in texts:
        stripped = text.strip()
        is_row = _is_pipe_line(text) if layout == "pipe" else "\t" in text
        if is_row:
            if ended:
                continue
            if layout == "pipe" and _PIPE_SEPARATOR.match(stripped):
                lines.append(_Line(no, [], separator=True))
                started = True
                continue
            cells = _split_cells(text, layout)
            if any(cells):
                lines.append(_Line(no, cells))
                started = True
            continue
        if not stripped:
            continue
        flat = squash(stripped)
        m = UNIT_RE.match(flat)
        if m:
            unit = unit or m.group(1)
            continue
        if NARRATIVE_NOTE_RE.search(flat):
            notes.append(stripped)
            ended = ended or started
            continue
        if any(p.search(flat) for p in META_RES):
            continue
        if started:  # 注：…, 备注, narrative: the table's rows have ended
            ended = True
    return layout, lines, notes, unit


def _is_lanci_line(line: _Line) -> bool:
    return any(squash(c) == LANCI_LABEL for _, c in line.filled)


def _is_column_number_line(line: _Line) -> bool:
    vals = [c for _, c in line.filled]
    if len(vals) < 3 or not all(SMALL_INT_RE.match(v) for v in vals):
        return False
    return [int(v) for v in vals] == list(range(1, len(vals) + 1))


def _number_positions(line: _Line) -> list[int]:
    return [p for p, c in line.filled if SMALL_INT_RE.match(c)]


def _looks_header(line: _Line) -> bool:
    filled = line.filled
    if any(is_number(c) or CODE_NAME_RE.match(c) for _, c in filled):
        return False
    labels = [header_text(c) for _, c in filled]
    if any(is_stub_label(l) for l in labels):
        return True
    return len(labels) >= 2


@dataclass
class _Grid:
    header: list[_Line]
    data: list[_Line]
    lanci: Optional[list[int]] = None  # positions of the column numbers (栏次 row)


def _split_header(lines: list[_Line]) -> _Grid:
    grid = _Grid([], [])
    for line in lines:
        if line.separator or not line.filled:
            continue
        if _is_lanci_line(line) or _is_column_number_line(line):
            if grid.lanci is None:
                grid.lanci = _number_positions(line)
            continue
        if _looks_header(line) and (not grid.data or any(is_stub_label(header_text(c)) for _, c in line.filled)):
            if not grid.data:
                grid.header.append(line)
            continue  # a header repeated after a page break
        grid.data.append(line)
    return grid


# ---------------------------------------------------------------- header tree
@dataclass(eq=False)
class _Label:
    row: int
    pos: int
    text: str
    stub: bool
    end: int = 0
    parent: Optional["_Label"] = None
    children: list["_Label"] = field(default_factory=list)
    dropped: bool = False

    def path(self) -> list[str]:
        out, lab = [], self
        while lab is not None:
            out.append(lab.text)
            lab = lab.parent
        return out[::-1]


def _covering(rows: list[list[_Label]], pos: int) -> Optional[_Label]:
    for labs in reversed(rows):
        for lab in labs:
            if lab.pos <= pos <= lab.end:
                return lab
    return None


def _header_tree(header: list[_Line]) -> tuple[list[_Label], list[_Label]]:
    """(value leaves in column order, all labels). Upper labels span right over empty cells."""
    if not header:
        return [], []
    width = max(len(l.cells) for l in header)
    rows: list[list[_Label]] = []
    for r, line in enumerate(header):
        labs = []
        for p, c in enumerate(line.cells):
            t = header_text(c)
            if t:
                labs.append(_Label(r, p, t, is_stub_label(t)))
        rows.append(labs)
    for r, labs in enumerate(rows):
        for i, lab in enumerate(labs):
            end = labs[i + 1].pos - 1 if i + 1 < len(labs) else width - 1
            parent = _covering(rows[:r], lab.pos)
            if parent is not None:
                end = min(end, parent.end)
                if not parent.stub and not lab.stub:
                    lab.parent = parent
                    parent.children.append(lab)
            lab.end = max(end, lab.pos)
    labels = [lab for labs in rows for lab in labs]
    # A one-column label over a single child is a name wrapped onto the next header line
    # when the two halves join into a known column name ("本年收入" / "合计").
    for lab in labels:
        if len(lab.children) == 1 and lab.end == lab.pos and lab.children[0].pos == lab.pos:
            child = lab.children[0]
            if lab.text + child.text in KNOWN_COLUMNS:
                child.text = lab.text + child.text
                child.parent = lab.parent
                lab.dropped = True
    stub_positions = {(lab.row, lab.pos) for lab in labels if lab.stub}
    leaves = [
        lab for lab in labels
        if not lab.stub and not lab.dropped and not lab.children
        # a label standing over stub columns only (e.g. 收入 over 项目/行次) is no value column
        and not any((r, lab.pos) in stub_positions for r in range(lab.row + 1, len(rows)))
    ]
    leaves.sort(key=lambda l: l.pos)
    return leaves, labels


@dataclass
class _Col:
    name: str
    pos: Optional[int]
    header_pos: int
    path: list[str]
    merged: bool = False  # shares one header cell with other columns


def _columns_from_leaves(leaves: list[_Label]) -> list[_Col]:
    cols: list[_Col] = []
    for leaf in leaves:
        parts = split_known(leaf.text)
        if parts:
            for i, part in enumerate(parts):
                cols.append(_Col(part, leaf.pos if i == 0 else None, leaf.pos, leaf.path()[:-1] + [part], merged=True))
        else:
            cols.append(_Col(leaf.text, leaf.pos, leaf.pos, leaf.path()))
    return cols


def _place_columns(cols: list[_Col], grid: _Grid) -> None:
    """Fix each column's data position: 栏次 numbers when they agree with the header, else the
    header position shifted by what the numbers in the data rows say."""
    placed = [c for c in cols if c.pos is not None]
    if not placed:
        return
    if grid.lanci and len(grid.lanci) == len(placed):
        for c, p in zip(placed, grid.lanci):
            c.pos = p
        return
    header_pos = {c.pos for c in placed}
    counts = Counter(p for line in grid.data for p, c in line.filled if is_number(c) and not is_code(c))
    if not counts:
        return

    def score(s: int) -> int:
        return sum(n for p, n in counts.items() if p - s in header_pos)

    best = max((0, 1, -1, 2, -2), key=lambda s: (score(s), -abs(s)))
    if best and score(best) > score(0):
        for c in placed:
            c.pos += best


def _name_columns(cols: list[_Col]) -> None:
    """The lowest header level alone, unless that name repeats; then the whole path."""
    counts = Counter(c.name for c in cols)
    for c in cols:
        if counts[c.name] > 1:
            c.name = "/".join(c.path) or c.name


# ---------------------------------------------------------------- cells and rows
def _amount_cell(column: str, raw: str, line: int, uncertain: bool = False) -> Cell:
    value = parse_number(raw)
    if value is None:
        q = quantity(raw)
        if q is not None:
            return Cell(column=column, raw=raw, value=q[0], unit=q[1], uncertain=uncertain, line=line)
        return Cell(column=column, raw=text_raw(raw), uncertain=True, line=line)  # text where a number belongs
    return Cell(column=column, raw=raw, value=value, uncertain=uncertain, line=line)


def _make_row(code, name, cells, first: int, last: int, uncertain: bool = False) -> Row:
    uncertain = uncertain or any(c.uncertain for c in cells)
    return Row(code=code, name=name, cells=cells, line_start=first, line_end=last, uncertain=uncertain)


def _code_and_name(stub: list[str]) -> tuple[Optional[str], str]:
    """Code (whole, or split over 类/款/项 cells) and name from the cells left of the values."""
    digits, texts = [], []
    for c in stub:
        m = CODE_NAME_RE.match(c)
        if is_code(c) or (c.isdigit() and len(c) == 2 and digits):
            digits.append(c)
        elif m and not texts:
            digits.append(m.group(1))
            texts.append(m.group(2))
        else:
            texts.append(c)
    code = None
    if digits:
        joined = "".join(digits)
        code = joined if is_code(joined) else digits[0]
    return code, row_name("".join(texts))


# ---------------------------------------------------------------- by-code tables
def _parse_by_code(lines: list[_Line]) -> tuple[list[str], list[Row]]:
    grid = _split_header(lines)
    leaves, _ = _header_tree(grid.header)
    cols = _columns_from_leaves(leaves)
    if not cols:
        cols = _columns_from_data(grid)
    _place_columns(cols, grid)
    _name_columns(cols)
    by_pos = {c.pos: c for c in cols if c.pos is not None}
    if not by_pos:
        return [c.name for c in cols], []
    first_val = min(by_pos)
    n_names = len(cols)
    # The header names more columns than the 栏次 row numbers: the missing numbers may have
    # slid into the first data row ("合计 … 3"); they are column numbers, not data.
    residue: set[int] = set()
    if grid.lanci and len(grid.lanci) < n_names:
        residue = set(range(len(grid.lanci) + 1, n_names + 1))
    rows: list[Row] = []
    for i, line in enumerate(grid.data):
        cells = line.cells
        filled = line.filled
        row_uncertain = False
        if i == 0 and residue:
            kept = []
            for p, c in filled:
                if SMALL_INT_RE.match(c) and int(c) in residue and p >= first_val:
                    cells = cells[:p] + [""] + cells[p + 1:]
                    row_uncertain = True
                else:
                    kept.append((p, c))
            filled = kept
        stub = [c for p, c in filled if p < first_val]
        values = [(p, c) for p, c in filled if p >= first_val]
        shift_uncertain = False
        misplaced = _figures_in_stub(stub) or any(p not in by_pos for p, _ in values)
        if misplaced:
            stub, values, shift_uncertain = _realign_row(cells, by_pos, first_val)
        code, name = _code_and_name(stub)
        row_cells = []
        for p, raw in values:
            col = by_pos.get(p)
            if col is None:
                continue
            row_cells.append(_amount_cell(col.name, raw, line.no, uncertain=shift_uncertain or col.merged))
        prev = rows[-1] if rows else None
        if not row_cells and code is None and name and name not in TOTAL_NAMES and prev is not None:
            prev.name = row_name(prev.name + name)  # tail of a wrapped name
            prev.line_end = line.no
            continue
        if row_cells and code is None and prev is not None and prev.code and not prev.cells \
                and name not in TOTAL_NAMES:
            prev.name = row_name(prev.name + name)  # name head on the line above, figures here
            prev.cells = row_cells
            prev.line_end = line.no
            prev.uncertain = prev.uncertain or row_uncertain or any(c.uncertain for c in row_cells)
            continue
        if not row_cells and code is None and not name:
            continue
        rows.append(_make_row(code, name, row_cells, line.no, line.no, row_uncertain or (not name and not code)))
    return [c.name for c in cols], rows


def _figures_in_stub(stub: list[str]) -> bool:
    """Amounts left of the value columns: a number that is no code (or 类/款/项 piece) or follows the name."""
    seen_text = False
    for c in stub:
        if not is_number(c):
            seen_text = True
        elif seen_text or not c.isdigit():
            return True
    return False


def _columns_from_data(grid: _Grid) -> list[_Col]:
    """No header: one column per position holding numbers (named as placeholders)."""
    positions = sorted({p for line in grid.data for p, c in line.filled if is_number(c) and not is_code(c)})
    if len(positions) == 1:
        return [_Col(DEFAULT_VALUE_COLUMN, positions[0], positions[0], [DEFAULT_VALUE_COLUMN])]
    return [_Col(PLACEHOLDER_COLUMN.format(n=i + 1), p, p, []) for i, p in enumerate(positions)]


def _realign_row(cells: list[str], by_pos: dict, first_val: int):
    """A row whose figures sit off the table's columns: re-anchor them after the row's name cell."""
    filled = [(p, c) for p, c in enumerate(cells) if c]
    first_num, seen_text = None, False
    for p, c in filled:  # the first figure: after the name, or one that cannot be a code
        if not is_number(c):
            seen_text = True
        elif seen_text or not c.isdigit():
            first_num = p
            break
    if first_num is None:
        return [c for p, c in filled if p < first_val], [], True
    name_pos = max((p for p, c in filled if p < first_num), default=-1)
    stub = [c for p, c in filled if p <= name_pos]
    shift = (first_val - 1) - name_pos
    values = [(p + shift, c) for p, c in filled if p > name_pos]
    tail_len = len(cells) - name_pos - 1
    certain = all(p in by_pos for p, _ in values) and tail_len == len(by_pos)
    return stub, values, not certain


# ---------------------------------------------------------------- two-sided totals tables
def _parse_two_sided(lines: list[_Line]) -> tuple[list[str], list[Row]]:
    grid = _split_header(lines)
    leaves, labels = _header_tree(grid.header)
    width = max((len(l.cells) for l in lines if not l.separator), default=0)
    starts = sorted({lab.pos for lab in labels if lab.text == ITEM_LABEL})
    if len(starts) < 2:
        starts = [0, width // 2] if width >= 4 else [0]
    bounds = [(s, (starts[i + 1] - 1) if i + 1 < len(starts) else 10 ** 6) for i, s in enumerate(starts)]

    def side_of(pos: int) -> int:
        return max((i for i, (lo, _) in enumerate(bounds) if pos >= lo), default=0)

    side_names = []
    for i, (lo, hi) in enumerate(bounds):
        named = [lab.text for lab in labels if lo <= lab.pos <= hi and lab.text in SIDE_NAMES]
        side_names.append(named[0] if named else (SIDE_NAMES[i] if i < len(SIDE_NAMES) else str(i + 1)))
    hangci = {lab.pos for lab in labels if lab.text == HANGCI_LABEL}

    cols = _columns_from_leaves(leaves)
    _place_columns(cols, grid)
    for c in cols:
        side = side_names[side_of(c.header_pos)]
        c.path = [side] + [t for t in c.path if t not in SIDE_NAMES]
    # side/leaf, or side/…/leaf when a leaf repeats within its side
    seen = Counter((c.path[0], c.path[-1]) for c in cols)
    for c in cols:
        c.name = "/".join([c.path[0], c.path[-1]] if seen[(c.path[0], c.path[-1])] == 1 else c.path)

    by_side: list[list[Row]] = [[] for _ in bounds]
    for line in grid.data:
        for i, (lo, hi) in enumerate(bounds):
            side_cols = {c.pos: c for c in cols if c.pos is not None and lo <= c.pos <= hi}
            part = [(p, c) for p, c in line.filled if lo <= p <= hi]
            texts = [c for p, c in part if p not in side_cols and p not in hangci and not is_number(c)]
            has_hangci = any(p in hangci for p, _ in part)
            row_cells = [_amount_cell(side_cols[p].name, c, line.no, side_cols[p].merged)
                         for p, c in part if p in side_cols]
            name = row_name("".join(texts))
            prev = by_side[i][-1] if by_side[i] else None
            if name and not row_cells and not has_hangci and hangci and prev is not None:
                prev.name = row_name(prev.name + name)  # wrapped item name
                prev.line_end = line.no
                continue
            if not name and not row_cells:
                continue
            by_side[i].append(_make_row(None, name, row_cells, line.no, line.no, uncertain=not name))
    return [c.name for c in cols], [r for side in by_side for r in side]


# ---------------------------------------------------------------- three code/name/value triples
def _parse_triples(lines: list[_Line]) -> tuple[list[str], list[Row]]:
    grid = _split_header(lines)
    _, labels = _header_tree(grid.header)
    width = max((len(l.cells) for l in lines if not l.separator), default=0)
    name_pos = sorted({lab.pos for lab in labels if lab.text == NAME_LABEL})
    if not name_pos:
        name_pos = list(range(1, max(width, 3), 3))
    groups = []
    for i, np_ in enumerate(name_pos):
        nxt = name_pos[i + 1] - 1 if i + 1 < len(name_pos) else max(width, np_ + 2)
        value_pos = list(range(np_ + 1, nxt))
        heads = [lab.text for lab in labels if lab.pos in value_pos and not lab.stub and lab.text not in SIDE_NAMES]
        groups.append((np_ - 1, np_, value_pos, heads[-1] if heads else DEFAULT_VALUE_COLUMN))
    columns = list(dict.fromkeys(g[3] for g in groups))
    width = max([width] + [p + 1 for g in groups for p in [g[1], *g[2]]])

    rows: list[list[Row]] = [[] for _ in groups]
    for line in grid.data:
        cells = line.cells + [""] * (width - len(line.cells))
        parsed = []
        for code_pos, np_, value_pos, col in groups:
            code_cell = cells[code_pos] if code_pos >= 0 else ""
            name_cell = cells[np_]
            vals = [cells[p] for p in value_pos if cells[p]]
            code = code_cell if is_code(code_cell) else None
            name = row_name((code_cell if code is None else "") + name_cell)
            parsed.append([code, name, vals, col])
        # a value standing alone right of a total (merged cells: "公用经费合计 ⇥⇥⇥⇥⇥ 13.48")
        for g, item in enumerate(parsed):
            if item[2] and not item[0] and not item[1]:
                owner = next((o for o in reversed(parsed[:g]) if o[1] and not o[2]), None)
                if owner is not None:
                    owner[2], item[2] = item[2], []
        for g, (code, name, vals, col) in enumerate(parsed):
            prev = rows[g][-1] if rows[g] else None
            if name and not code and not vals and name not in TOTAL_NAMES and prev is not None and prev.code:
                prev.name = row_name(prev.name + name)  # wrapped name
                prev.line_end = line.no
                continue
            if not code and not name and not vals:
                continue
            row_cells = [_amount_cell(col, vals[0], line.no, uncertain=len(vals) > 1)] if vals else []
            rows[g].append(_make_row(code, name, row_cells, line.no, line.no, uncertain=not code and not name))
    return columns, [r for group in rows for r in group]


# ---------------------------------------------------------------- 三公 table
def _parse_sangong(lines: list[_Line]) -> tuple[list[str], list[Row]]:
    grid = _split_header(lines)
    leaves, _ = _header_tree(grid.header)
    cols = _columns_from_leaves(leaves) or _columns_from_data(grid)
    _place_columns(cols, grid)
    for c in cols:
        c.name = "/".join(c.path) if c.path else c.name
    by_pos = {c.pos: c for c in cols if c.pos is not None}
    rows = []
    for line in grid.data:
        filled = line.filled
        nums = [(p, c) for p, c in filled if is_number(c)]
        texts = [c for p, c in filled if not is_number(c) and p not in by_pos]
        uncertain = any(p not in by_pos for p, _ in nums)
        if uncertain and len(nums) <= len(by_pos):
            # figures off the header's columns: read them in order
            placed = list(zip(sorted(by_pos), [c for _, c in nums]))
        else:
            placed = [(p, c) for p, c in nums if p in by_pos]
        row_cells = [_amount_cell(by_pos[p].name, c, line.no, uncertain or by_pos[p].merged) for p, c in placed]
        if not row_cells and not texts:
            continue
        rows.append(_make_row(None, row_name("".join(texts)) or SANGONG_ROW_NAME, row_cells, line.no, line.no))
    return [c.name for c in cols], rows


# ---------------------------------------------------------------- 绩效自评表
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
    def feed(self, line: _Line) -> None:
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

    def _goal_line(self, line: _Line, key: str, text: str) -> None:
        self.goal = row_name(text)
        self.lv1, self.lv2 = _Carry(), _Carry()
        self.prev_ind = None
        self.head_line = None
        self._add_kv(line, key, text)

    # -- 预算执行情况 lines
    def _funding_line(self, line: _Line) -> None:
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
        self.items.append(_make_row(None, name, cells, line.no, line.no))
        self.prev_kv = None

    # -- indicator lines
    def _indicator_line(self, line: _Line) -> None:
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

    def _continue(self, line: _Line, fragment: tuple[int, str]) -> None:
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
    def _kv_line(self, line: _Line) -> None:
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

    def _add_kv(self, line: _Line, key: str, value: str) -> None:
        name = row_name(key)
        cells = [self._value_cell(KV_COLUMN, value, line.no, False, score=name in SCORE_COLUMNS)] if value else []
        row = _make_row(None, name, cells, line.no, line.no)
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
        return _make_row(None, row_name(item.name), cells, item.first, item.last, item.uncertain)


def _parse_performance(lines: list[_Line], unit: str) -> tuple[list[str], list[Row]]:
    reader = _PerformanceReader(unit)
    for line in lines:
        if not line.separator:
            reader.feed(line)
    rows = reader.rows()
    columns = list(dict.fromkeys(c.column for r in rows for c in r.cells))
    return columns, rows


# ---------------------------------------------------------------- entry point
def _kind(block_kind: str, lines: list[_Line]) -> str:
    """The lexicon's kind, corrected by what the header shows (two 项目 → two-sided, …)."""
    if block_kind == "performance":
        return block_kind
    head = [header_text(c) for l in lines[:8] for _, c in l.filled]
    if head.count(NAME_LABEL) >= 2 and block_kind != "two_sided":
        return "triples"
    if head.count(ITEM_LABEL) >= 2 and head.count(HANGCI_LABEL) >= 2:
        return "two_sided"
    return block_kind


def parse_delimited_table(block: TableBlock) -> Table:
    """Read one tab-separated or Markdown pipe table block; never raises."""
    layout, lines, notes, unit = "tab", [], [], None
    try:
        layout, lines, notes, unit = _segment(block)
        unit = unit or DEFAULT_UNIT
        kind = _kind(table_kind(block.name), lines)
        parser = {
            "two_sided": _parse_two_sided,
            "triples": _parse_triples,
            "sangong": _parse_sangong,
        }.get(kind, _parse_by_code)
        columns, rows = _parse_performance(lines, unit) if kind == "performance" else parser(lines)
    except Exception:  # a malformed block must not stop indexing the report
        log.exception("layout_delimited: could not read table %r at line %d", block.title, block.title_line)
        columns, rows = [], []
    table_lines = [l.no for l in lines if not l.separator]
    return Table(
        name=block.name,
        title=block.title,
        section=block.section,
        layout=layout,
        unit=unit or DEFAULT_UNIT,
        columns=columns,
        rows=rows,
        line_start=block.title_line,
        line_end=max(table_lines) if table_lines else block.title_line,
        notes=notes,
    )
