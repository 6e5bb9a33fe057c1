"""Delimited tables (tab-separated rows with empty cells kept, Markdown pipe tables) as a grid.

The block's lines are split into cells; the header lines are merged column-wise into a label tree
whose leaves are the value columns. Column positions are taken from the 栏次 / column-number row
when it agrees with the header, else from the header (shifted when the data sit consistently
beside it). A number whose column is a guess, or sits under a header cell that names several
columns, is marked uncertain. Every domain word comes from lexicon/table_headers.json.
"""
from __future__ import annotations

import csv
import html
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

from ..lexicon import load, squash
from ..models import Cell, Row, TableBlock
from ..numbers import parse_number, parse_quantity, to_float
from .cells import PLACEHOLDER_CELLS, amount, is_page_furniture, row_name

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- vocabulary (lexicon)
_LEX = load("table_headers.json")

STUB_LABELS = frozenset(_LEX["stub_labels"])
STUB_PATTERNS = [re.compile(p) for p in _LEX["stub_label_patterns"]]
ITEM_LABEL = _LEX["item_label"]
_ITEM_FORMS = frozenset(_LEX["item_label_forms"])  # 收入项目, 支出项目: a side's item column
_PART_MARK = re.compile(rf"^{re.escape(load('questions.json')['part_mark'])}[：:]?")  # 其中：
MEASURE_WORDS = tuple(_LEX["items"]["measure_words"])  # 预算数, 决算数, 增减额 …: words naming a value
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

UNIT_RE = re.compile(_LEX["unit_pattern"])
META_RES = [re.compile(p) for p in _LEX["meta_patterns"]]


def unit_statement(text: str) -> Optional[str]:
    """The money unit a line states (单位：元), alone or as the last field of a line of several
    (单位名称：某某中学　　单位：元)."""
    fields = text.split()
    m = UNIT_RE.match(squash(text)) or (UNIT_RE.match(fields[-1]) if len(fields) > 1 else None)
    return m.group(1) if m else None

NARRATIVE_NOTE_RE = re.compile(_LEX["narrative_note_pattern"])
HEADER_NOTE_RE = re.compile(_LEX["header_note_pattern"])  # (A), (B/A), (万元), (20分*执行率)

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
PIPE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")
_EXTRA_UNITS = sorted(_LEX["performance"]["extra_units"], key=len, reverse=True)
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
    """A header label: notes like (A), (B/A), (万元), (20分*执行率) dropped, all whitespace removed; a
    side's item label (收入项目) read as 项目."""
    label = squash(HEADER_NOTE_RE.sub("", text or ""))
    label = _PART_MARK.sub("", label) or label  # "其中：基本支出" is the 基本支出 column
    return ITEM_LABEL if label in _ITEM_FORMS else label


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
class Line:
    no: int
    cells: list[str]
    separator: bool = False

    @property
    def filled(self) -> list[tuple[int, str]]:
        return [(p, c) for p, c in enumerate(self.cells) if c]


def is_pipe_line(text: str) -> bool:
    t = text.strip()
    return t.startswith("|") and t.count("|") >= 2


def split_cells(text: str, layout: str) -> list[str]:
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


# a number, nothing, or a short label with no digit after an ordinal (其中：…, 1.农林水支出): never the
# pieces of figures written with thousands separators and spaces ("合计 2,533.25 329.25 2,204.00")
_CSV_FIELD = re.compile(r"^(?:-?[\d.]*%?|(?:\d{1,2}[.、．])?[^，。；\d]{1,30})$")


def _csv_fields(text: str) -> list[str]:
    """The fields of a comma-separated row ("201,一般公共服务支出,2525.02,,", "项目,预算数,决算数"); []
    for any other line."""
    if text.count(",") < 2 or "\t" in text or "|" in text:
        return []
    fields = [f.strip() for f in next(csv.reader([text.strip()]))]
    return fields if all(_CSV_FIELD.match(f) for f in fields) else []


def commas_as_tabs(block: TableBlock) -> TableBlock:
    """A block of comma-separated rows (two with figures at least) with its rows tab-separated, as the
    delimited layout reads them; any other block as it is."""
    fields = [_csv_fields(t) for _, t in block.lines]
    if sum(any(re.fullmatch(r"-?\d[\d.]*%?", x) for x in f) for f in fields) < 2:
        return block
    lines = [(n, "\t".join(f) if len(f) >= 3 else t) for (n, t), f in zip(block.lines, fields)]
    return block.model_copy(update={"lines": lines})


def segment(block: TableBlock) -> tuple[str, list[Line], list[str], Optional[str]]:
    """Table lines (up to where the rows end), notes (本部门…无…) and the stated unit."""
    texts = [(no, (raw or "").rstrip("\r\n")) for no, raw in block.lines]
    n_pipe = sum(is_pipe_line(t) for _, t in texts)
    n_tab = sum("\t" in t for _, t in texts)
    layout = "pipe" if n_pipe > n_tab else "tab"
    lines: list[Line] = []
    notes: list[str] = []
    unit: Optional[str] = None
    started = ended = False
    for no, text in texts:
        stripped = text.strip()
        is_row = is_pipe_line(text) if layout == "pipe" else "\t" in text
        if is_row:
            if ended:
                continue
            if layout == "pipe" and PIPE_SEPARATOR.match(stripped):
                lines.append(Line(no, [], separator=True))
                started = True
                continue
            cells = split_cells(text, layout)
            meta = [squash(c) for c in cells if c.strip()]
            if meta and all(UNIT_RE.match(c) or any(p.search(c) for p in META_RES) for c in meta):
                unit = unit or next((m.group(1) for m in map(UNIT_RE.match, meta) if m), None)
                continue  # 编制部门：… ⇥ 金额单位：万元 written as a row of the table
            if any(cells):
                lines.append(Line(no, cells))
                started = True
            continue
        if not stripped:
            continue
        flat = squash(stripped)
        if flat in MEASURE_WORDS:  # "预算数" over the part of the table that follows (PDF text: no tab)
            lines.append(Line(no, [stripped]))
            continue
        stated = unit_statement(stripped)
        if stated:
            unit = unit or stated
            continue
        if NARRATIVE_NOTE_RE.search(flat):
            notes.append(stripped)
            ended = ended or started
            continue
        if any(p.search(flat) for p in META_RES):
            continue
        if is_page_furniture(stripped):
            continue  # a page-number line between two pages of rows
        if started:  # 注：…, 备注, narrative: the table's rows have ended
            ended = True
    return layout, lines, notes, unit


def _is_lanci_line(line: Line) -> bool:
    return any(squash(c) == LANCI_LABEL for _, c in line.filled)


def _is_column_number_line(line: Line) -> bool:
    vals = [c for _, c in line.filled]
    if len(vals) < 3 or not all(SMALL_INT_RE.match(v) for v in vals):
        return False
    return [int(v) for v in vals] == list(range(1, len(vals) + 1))


def _number_positions(line: Line) -> list[int]:
    return [p for p, c in line.filled if SMALL_INT_RE.match(c)]


def _looks_header(line: Line) -> bool:
    filled = line.filled
    if any(is_number(c) or CODE_NAME_RE.match(c) for _, c in filled):
        return False
    labels = [header_text(c) for _, c in filled]
    if any(is_stub_label(l) for l in labels):
        return True
    return len(labels) >= 2


@dataclass
class Grid:
    header: list[Line]
    data: list[Line]
    lanci: Optional[list[int]] = None  # positions of the column numbers (栏次 row)


def split_header(lines: list[Line]) -> Grid:
    grid = Grid([], [])
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


def header_tree(header: list[Line]) -> tuple[list[_Label], list[_Label]]:
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
class Col:
    name: str
    pos: Optional[int]
    header_pos: int
    path: list[str]
    merged: bool = False  # shares one header cell with other columns


def columns_from_leaves(leaves: list[_Label]) -> list[Col]:
    cols: list[Col] = []
    for leaf in leaves:
        parts = split_known(leaf.text)
        if parts:
            for i, part in enumerate(parts):
                cols.append(Col(part, leaf.pos if i == 0 else None, leaf.pos, leaf.path()[:-1] + [part], merged=True))
        else:
            cols.append(Col(leaf.text, leaf.pos, leaf.pos, leaf.path()))
    return cols


def place_columns(cols: list[Col], grid: Grid) -> None:
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
    # stub columns hold numbers too (行次 1, 2, … beside mostly blank figures; 类/款/项 pieces 201, 31,
    # 02): they place no value column
    numbered = {p for line in grid.header for p, c in line.filled if is_stub_label(header_text(c))}
    counts = Counter(p for line in grid.data for p, c in line.filled
                     if is_number(c) and not is_code(c) and p not in numbered)
    if not counts:
        return

    def score(s: int) -> int:
        return sum(n for p, n in counts.items() if p - s in header_pos)

    best = max((0, 1, -1, 2, -2), key=lambda s: (score(s), -abs(s)))
    if best and score(best) > score(0):
        for c in placed:
            c.pos += best


def name_columns(cols: list[Col]) -> None:
    """The lowest header level alone, unless that name repeats; then the whole path."""
    counts = Counter(c.name for c in cols)
    for c in cols:
        if counts[c.name] > 1:
            c.name = "/".join(c.path) or c.name


# ---------------------------------------------------------------- cells and rows
def amount_cell(column: str, raw: str, line: int, uncertain: bool = False) -> Cell:
    value, unit = amount(raw)  # a share keeps its unit %
    if value is None:
        q = quantity(raw)
        if q is not None:
            return Cell(column=column, raw=raw, value=q[0], unit=q[1], uncertain=uncertain, line=line)
        return Cell(column=column, raw=text_raw(raw), uncertain=True, line=line)  # text where a number belongs
    return Cell(column=column, raw=raw, value=value, unit=unit, uncertain=uncertain, line=line)


def make_row(code, name, cells, first: int, last: int, uncertain: bool = False) -> Row:
    uncertain = uncertain or any(c.uncertain for c in cells)
    return Row(code=code, name=name, cells=cells, line_start=first, line_end=last, uncertain=uncertain)


def code_and_name(stub: list[str]) -> tuple[Optional[str], str]:
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


def figures_in_stub(stub: list[str]) -> bool:
    """Amounts left of the value columns: a number that is no code (or 类/款/项 piece) or follows the name."""
    seen_text = False
    for c in stub:
        if not is_number(c):
            seen_text = True
        elif seen_text or not c.isdigit():
            return True
    return False


def columns_from_data(grid: Grid) -> list[Col]:
    """No header: one column per position holding numbers (named as placeholders)."""
    positions = sorted({p for line in grid.data for p, c in line.filled if is_number(c) and not is_code(c)})
    if len(positions) == 1:
        return [Col(DEFAULT_VALUE_COLUMN, positions[0], positions[0], [DEFAULT_VALUE_COLUMN])]
    return [Col(PLACEHOLDER_COLUMN.format(n=i + 1), p, p, []) for i, p in enumerate(positions)]


def realign_row(cells: list[str], by_pos: dict, first_val: int):
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
