"""绩效自评表 in PDF text: the budget line(s) and the indicator lines become rows (TABLES.md)."""
from __future__ import annotations

import re
from typing import Optional

from ..models import Cell, Check, Row, Table, TableBlock
from .cells import row_name
from .pdf_regions import new_table
from .pdf_tokens import AB_MARK_RE, placeholder_columns, LEX, LLine, Tok, is_value, skip, stream, value_of, words_in

PERF = LEX["performance"]
LEVEL1, LEVEL2, LEVEL3 = PERF["indicator_header_words"]
INDICATOR_START = PERF["indicator_header_start"]
NAME_COLUMNS = (LEVEL3, PERF["indicator_name_column"])
SKIP_LINE_RE = re.compile(PERF["skip_line_pattern"])  # a year label, 填报单位…


def is_level2(text: str) -> bool:
    return text in PERF["level2"] or (
        len(text) <= 12 and any(text.endswith(s) and len(text) > len(s) + 1 for s in PERF["level2_suffixes"]))


def parse_performance(block: TableBlock, lls: list[LLine], unit: str) -> tuple[Table, list[Check]]:
    """项目/部门绩效自评表: the budget line(s) and the indicator lines become rows."""
    table = new_table(block, "pdftext", unit)
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
        elif budget_cols and any(is_value(t) for t in ll.toks):
            rows.append(_budget_row(ll, budget_cols))
        elif c in PERF["section_labels"] or SKIP_LINE_RE.fullmatch(c):
            pass
        elif ll.kind in ("content", "sentence", "nodata"):
            notes.append(re.sub(r"\s+", " ", ll.raw).strip())
        i += 1
    # 2. the indicator header: tokens until the first 一级/二级 label
    header_toks: list[Tok] = []
    while i < len(content):
        ll = content[i]
        if header_toks and ll.toks and (ll.toks[0].text in PERF["level1"] or is_level2(ll.toks[0].text)):
            break
        header_toks.extend(ll.toks)
        i += 1
    ind_cols = [AB_MARK_RE.sub("", t.text) for t in header_toks]
    first_row_line = content[i].line_start if i < len(content) else None
    body = [ll for ll in lls if first_row_line is not None and ll.line_start >= first_row_line
            and ll.kind in ("content", "ws", "sentence")]
    if ind_cols:
        rows += _indicator_rows(stream(body), ind_cols)
    table.columns = list(dict.fromkeys(budget_cols + [c for c in ind_cols if c != LEVEL3]))
    table.rows = rows
    table.notes = notes
    table.line_end = max([r.line_end for r in rows] + [ll.line_end for ll in content[:i]] + [block.title_line])
    return table, []


def _budget_row(ll: LLine, cols: list[str]) -> Row:
    name_parts, cells, pos = [], [], -1
    for t in ll.toks:
        if not is_value(t):
            if not cells:
                name_parts.append(t.text)
            continue
        pos += 1 + (skip(t.ws_before) if cells else 0)
        uncertain = pos >= len(cols)
        pos = min(pos, len(cols) - 1)
        v, u = value_of(t.text)
        cells.append(Cell(column=cols[pos], raw=t.text, value=v, unit=u, uncertain=uncertain,
                          line=t.line))
    return Row(name=row_name("".join(name_parts)), cells=cells, line_start=ll.line_start, line_end=ll.line_end,
               uncertain=any(c.uncertain for c in cells))


def _indicator_rows(toks: list[Tok], cols: list[str]) -> list[Row]:
    """Fill the indicator columns left to right; a row ends at the last column, and a
    一级/二级 label after the 三级指标 starts the next row."""
    n = len(cols)
    i1 = cols.index(LEVEL1) if LEVEL1 in cols else 0
    i2 = cols.index(LEVEL2) if LEVEL2 in cols else min(1, n - 1)
    i3 = cols.index(LEVEL3) if LEVEL3 in cols else min(2, n - 1)
    groups: list[dict[int, Tok]] = []
    cur: Optional[dict[int, Tok]] = None
    pos = -1
    for k, t in enumerate(toks):
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        level1 = t.text in PERF["level1"] and nxt is not None and is_level2(nxt.text)
        level2 = not level1 and is_level2(t.text)
        step = pos + 1 + skip(t.ws_before)
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
            value, unit = (value_of(text) if cols[c] in quantity_cols else (None, None))
            cells.append(Cell(column=cols[c], raw=text, value=value, unit=unit,
                              line=g[c].line if c in g else None))
        lines = [t.line for t in g.values()] + [t.line_end for t in g.values()]
        rows.append(Row(name=row_name(g[i3].text) if i3 in g else "", cells=cells,
                        line_start=min(lines), line_end=max(lines)))
    return rows


def parse_performance_lines(block: TableBlock, lls: list[LLine], unit: str) -> tuple[Table, list[Check]]:
    """绩效自评表 where every physical line stands alone (no trailing-space marks): the
    budget line is the first line of values; an indicator line ends with one value per
    column after the indicator name, and the lines before it that are not labels are
    the wrapped start of its name."""
    table = new_table(block, "pdftext", unit)
    content = [ll for ll in lls if ll.kind != "ws"]
    header_at = next((i for i, ll in enumerate(content) if INDICATOR_START in ll.compact), len(content))
    rows, budget_cols, notes = _budget_lines(content[:header_at])
    k, cols = _indicator_columns(content, header_at)
    name_col = next((c for c in NAME_COLUMNS if c in cols), None)
    if name_col is not None:
        rows += _indicator_lines(content[k:], cols, name_col)
        table.columns = list(dict.fromkeys(budget_cols + [c for c in cols if c != name_col]))
    table.rows = rows
    table.notes = notes
    table.line_end = max([r.line_end for r in rows] + [block.title_line])
    return table, []


def _budget_lines(content: list[LLine]) -> tuple[list[Row], list[str], list[str]]:
    """The budget row (its header is the text gathered since 预算执行情况) and the project notes."""
    notes, rows, budget_cols, pending, note = [], [], [], [], ""
    in_budget = False
    for ll in content:
        values = [t for t in ll.toks if is_value(t)]
        if len(values) >= 2 and len(values) == len(ll.toks) and not budget_cols:
            header = "".join(pending)
            budget_cols = words_in(header, PERF["budget_columns"])
            name = next((w for w in PERF["budget_items"] if w in header), PERF["budget_items"][0])
            cells = [Cell(column=budget_cols[k] if k < len(budget_cols) else placeholder_columns(k + 1)[-1], raw=t.text,
                          value=value_of(t.text)[0], unit=value_of(t.text)[1], uncertain=len(values) != len(budget_cols),
                          line=t.line)
                     for k, t in enumerate(values)]
            rows.append(Row(name=name, cells=cells, line_start=ll.line_start, line_end=ll.line_end,
                            uncertain=any(c.uncertain for c in cells)))
            pending, in_budget = [], False
        elif PERF["budget_section"] in ll.compact:
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
    return rows, budget_cols, notes


def _indicator_columns(content: list[LLine], header_at: int) -> tuple[int, list[str]]:
    """The indicator header: the header line and the fragments after it, up to the first label."""
    k = header_at
    header = ""
    while k < len(content) and (k == header_at or not (content[k].compact in PERF["level1"] or is_level2(content[k].compact))):
        c = content[k].compact
        header += c[c.find(INDICATOR_START):] if k == header_at else c
        k += 1
    return k, words_in(header, PERF["indicator_columns"])


def _indicator_lines(content: list[LLine], cols: list[str], name_col: str) -> list[Row]:
    value_cols = cols[cols.index(name_col) + 1:]
    score_note = re.compile(PERF["score_note"])
    level: dict[str, Optional[str]] = {LEVEL1: None, LEVEL2: None}
    rows, pending, pending_lines, last_label = [], [], [], None
    for ll in content:
        c = ll.compact
        if ll.kind in ("sentence", "nodata", "note"):
            break  # the narrative after the table
        if score_note.match(c):
            continue
        if last_label == LEVEL2 and is_level2(level[LEVEL2] + c) and not is_level2(c):
            level[LEVEL2] += c  # a label wrapped over two lines (社会效益 / 指标)
            continue
        if c in PERF["level1"] or is_level2(c):  # a label; fragments before it were a repeated header
            if c in PERF["level1"] and not (last_label == LEVEL1 and is_level2(c)):
                level, last_label = {LEVEL1: c, LEVEL2: None}, LEVEL1
            else:
                level[LEVEL2], last_label = c, LEVEL2
            pending, pending_lines = [], []
            continue
        last_label = None
        toks = ll.toks
        if len(toks) >= len(value_cols) and value_cols and is_value(toks[-1]):
            name_toks, value_toks = toks[: len(toks) - len(value_cols)], toks[len(toks) - len(value_cols):]
            name = row_name("".join(pending) + "".join(t.text for t in name_toks))
            cells = [Cell(column=col, raw=text, line=ll.line_start) for col, text in level.items() if text and col in cols]
            for col, t in zip(value_cols, value_toks):
                value, vunit = value_of(t.text) if col in PERF["quantity_columns"] else (None, None)
                cells.append(Cell(column=col, raw=t.text, value=value, unit=vunit, line=t.line))
            rows.append(Row(name=name, cells=cells, line_start=min(pending_lines + [ll.line_start]), line_end=ll.line_end))
            pending, pending_lines = [], []
        else:
            pending.append(c)
            pending_lines.append(ll.line_start)
    return rows
