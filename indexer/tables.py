"""Finding table blocks in a report (their parsers are the layouts of `indexer.layouts`).

Conventions for the resulting `Table` objects are in TABLES.md beside this file.
"""
from __future__ import annotations

import re
from typing import Optional

from .layouts.aligned import aligned_cells
from .layouts.cells import is_page_furniture, row_name
from .layouts.delimited_grid import PIPE_SEPARATOR, is_pipe_line, split_cells, unit_statement
from .layouts.items import is_figure, is_rule_line
from .lexicon import TITLE_UNIT, load, match_table_name, squash, table_specs
from .models import Row, Table, TableBlock
from .sections import is_toc_line

_BLOCKS = load("table_headers.json")["blocks"]
_L1 = re.compile(_BLOCKS["part_heading_pattern"])  # 第二部分 … ends a table block
_MENTION = re.compile(_BLOCKS["mention_pattern"])  # prose that names a table
_MEASURE_ROW = re.compile(_BLOCKS["measure_row_pattern"])  # 年初预算数, 决算数 as a row's name
_LOOKAHEAD = 6


def items_as_rows(t: Table) -> Table:
    """A table whose rows are value words (年初预算数 | 决算数) over item columns (因公出国（境）费,
    公务接待费): the same cells with the items as rows and the value words as columns, as other
    templates print it."""
    if len(t.rows) < 2 or not all(_MEASURE_ROW.match(squash(r.name)) for r in t.rows):
        return t
    items: dict[str, Row] = {}
    for r in t.rows:
        for c in r.cells:
            row = items.setdefault(c.column, Row(name=c.column, line_start=r.line_start, line_end=r.line_end))
            row.cells.append(c.model_copy(update={"column": squash(r.name), "line": c.line or r.line_start}))
            row.line_end = max(row.line_end, r.line_end)
    return t.model_copy(update={"rows": list(items.values()), "columns": [squash(r.name) for r in t.rows]})


def _bare_pattern(line: str) -> bool:
    """A title split over two lines leaves a bare "自评表" on the second one (the line before is its
    first part, unless that line is a row of the table above)."""
    t = squash(line)
    return any(t == p for spec in table_specs() for p in spec["patterns"])


def find_table_titles(lines: list[str]) -> list[tuple[int, str, str]]:
    """(line_no, title, canonical name) of every table title, in order."""
    found: list[tuple[int, str, str]] = []
    for i, raw in enumerate(lines):
        if "\t" in raw or is_toc_line(raw) or _MENTION.search(raw):
            continue
        name = match_table_name(raw)
        if not name:
            continue
        no, title = i + 1, raw.strip()
        if _bare_pattern(raw):
            j = i - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            first = lines[j].strip() if j >= 0 else ""
            if j >= 0 and len(squash(first)) <= 50 and "\t" not in first and not is_pipe_line(first) \
                    and not first.endswith(("。", ".", "；")) and not is_page_furniture(first):
                # (a note closing the table above is no title, nor a page number "- 4 -")
                no, title = j + 1, lines[j].strip() + title
        # A section heading naming the table ("三、支出决算表") right before the real title.
        if found and found[-1][2] == name and _only_blank_or_meta(lines, found[-1][0], no):
            found.pop()
        found.append((no, title, name))
    return found


def _only_blank_or_meta(lines: list[str], a: int, b: int) -> bool:
    between = [lines[k - 1].strip() for k in range(a + 1, b)]
    return len([t for t in between if t]) <= 1 and b - a <= 2 * _LOOKAHEAD


def find_blocks(lines: list[str], skip: set[int]) -> list[TableBlock]:
    titles = [t for t in find_table_titles(lines) if t[0] not in skip]
    blocks: list[TableBlock] = []
    for k, (no, title, name) in enumerate(titles):
        end = titles[k + 1][0] - 1 if k + 1 < len(titles) else len(lines)
        body: list[tuple[int, str]] = []
        first = no + 1
        for ln in range(first, end + 1):
            raw = lines[ln - 1]
            if _L1.match(raw) and "\t" not in raw:
                break
            if _bare_pattern(raw) and ln <= first + 2:
                continue  # the second line of a split title
            body.append((ln, raw))
        unit = TITLE_UNIT.search(title)
        if unit:  # the title's own unit statement heads the block, as a line of its own would
            body.insert(0, (no, unit.group(1)))
        blocks.append(TableBlock(name=name, title=title, title_line=no, lines=body))
    return blocks


# ---------------------------------------------------------------- tables without a template title
_ITEMS = load("table_headers.json")["items"]
_FIGURE_IN_CAPTION = re.compile(_ITEMS["caption_figure_pattern"])
_MARKUP = re.compile(_ITEMS["markup_pattern"])
_MIN_ROWS = 2  # a table has a header and at least two rows of figures (one under a Markdown rule line)
_SENTENCE_END = re.compile(_ITEMS["sentence_end_pattern"])
_MAX_ROW_CHARS = 2000  # a longer line is prose whose line breaks were lost, never a table row


def _row_kind(raw: str) -> Optional[str]:
    """'pipe', 'tab' or 'aligned' when the line can be a row of a table of that layout."""
    if len(raw) > _MAX_ROW_CHARS:
        return None
    if is_pipe_line(raw):
        return "pipe"
    text = raw.rstrip()
    if "\t" in text and len([c for c in text.split("\t") if c.strip()]) >= 2:
        return "tab"
    if is_rule_line(text) or len(aligned_cells(0, text, False)) >= 2:
        return "aligned"
    return None


def _is_table_run(run: list[str], kind: str) -> bool:
    """Enough rows of figures under a header line without figures."""
    if kind == "pipe":
        cells = [split_cells(t, "pipe") for t in run if not PIPE_SEPARATOR.match(t.strip())]
        has_separator = any(PIPE_SEPARATOR.match(t.strip()) for t in run)
    elif kind == "tab":
        cells = [[c.strip() for c in t.split("\t")] for t in run]
        has_separator = True
    else:
        cells = [[c.text for c in aligned_cells(0, t, False)] for t in run if not is_rule_line(t)]
        has_separator = True
    with_figures = [c for c in cells if any(is_figure(x) for x in c[1:])]
    header = next((c for c in cells if len(c) >= 2), None)
    sentences = sum(1 for c in cells if any(_SENTENCE_END.search(x) for x in c))  # justified prose, not rows
    least = 1 if kind == "pipe" and has_separator else _MIN_ROWS  # a Markdown rule marks a table of one row
    return (has_separator and len(with_figures) >= least and header is not None
            and not any(is_figure(x) for x in header) and sentences <= 1)


def _clean_caption(raw: str) -> str:
    return _MARKUP.sub("", raw.strip()).strip()


def _is_heading(raw: str) -> bool:
    text = raw.strip()
    if text.startswith("#"):
        return True
    squashed = squash(_clean_caption(text))
    return 0 < len(squashed) <= _ITEMS["caption_max_chars"] and row_name(squashed) != squashed \
        and not _FIGURE_IN_CAPTION.search(squashed)


def _caption(lines: list[str], start: int, taken: set[int]) -> str:
    """The name of a table starting at line index `start`: the short line right above it that is
    no sentence and holds no figure, else the nearest heading above it."""
    k = start - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    if k >= 0 and k + 1 not in taken:
        text = _clean_caption(lines[k])
        if 0 < len(squash(text)) <= _ITEMS["caption_max_chars"] and not _FIGURE_IN_CAPTION.search(text):
            return text
    while k >= 0 and not _is_heading(lines[k]):
        k -= 1
    return _clean_caption(lines[k]) if k >= 0 else ""


def _own_caption(run: list[str]) -> Optional[str]:
    """A caption on the table's first line (`收支总体情况表  金额单位：万元`)."""
    cells = [c.text for c in aligned_cells(0, run[0], False)]
    if any(is_figure(c) for c in cells) or not any(unit_statement(c) for c in cells):
        return None
    rest = [c for c in cells if not unit_statement(c)]
    return rest[0] if rest else None


def _run_end(lines: list[str], i: int, kind: str, taken: set[int]) -> int:
    """Index after the last row of the run starting at i. A page break or page-number line between
    two rows does not end it, nor does a label wrapped onto a line of its own in an aligned table."""
    j = i
    while True:
        while j < len(lines) and j + 1 not in taken and _row_kind(lines[j]) == kind:
            j += 1
        k = j
        while k < len(lines) and k + 1 not in taken and (is_page_furniture(lines[k]) or not lines[k].strip()):
            k += 1
        bridged = any(is_page_furniture(lines[m]) for m in range(j, k))
        if not bridged and k == j and kind == "aligned" and _wrapped_label(lines, j):
            k = j + 1
            bridged = True
        if not (bridged and k < len(lines) and k + 1 not in taken and _row_kind(lines[k]) == kind):
            return j
        j = k


def _wrapped_label(lines: list[str], j: int) -> bool:
    """An indented line of one short text cell between two aligned rows."""
    if j == 0 or j >= len(lines) or not lines[j].startswith((" ", "\t")):
        return False
    cells = aligned_cells(0, lines[j].rstrip(), False)
    return len(cells) == 1 and not is_figure(cells[0].text) and len(squash(cells[0].text)) <= _ITEMS["caption_max_chars"] \
        and not _FIGURE_IN_CAPTION.search(cells[0].text)


def find_untitled_blocks(lines: list[str], taken: set[int]) -> list[TableBlock]:
    """Tables without a template title among the lines not `taken`: runs of pipe rows, tab rows or
    space-aligned rows (cells apart by 2+ spaces) with a header and figures; each named by its
    caption or the nearest heading above it."""
    blocks: list[TableBlock] = []
    i = 0
    while i < len(lines):
        kind = None if i + 1 in taken else _row_kind(lines[i])
        if kind is None:
            i += 1
            continue
        j = _run_end(lines, i, kind, taken)
        run = lines[i:j]
        if _is_table_run(run, kind):
            own = _own_caption(run) if kind == "aligned" else None
            title = own or _caption(lines, i, taken)
            name = row_name(title) or title
            blocks.append(TableBlock(name=name, title=title, title_line=i + 1,
                                     lines=[(k + 1, lines[k]) for k in range(i, j)]))
        i = j
    return blocks
