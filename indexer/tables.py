"""Finding table blocks in a report (their parsers are the layouts of `indexer.layouts`).

Conventions for the resulting `Table` objects are in TABLES.md beside this file.
"""
from __future__ import annotations

import re

from .lexicon import match_table_name, squash, table_specs
from .models import TableBlock
from .sections import is_toc_line

_L1 = re.compile(r"^\s*第[一二三四五六七八九十\d]+部分")
_MENTION = re.compile(r"[《》]|见附件|及自评结果|情况说明")  # prose that names a table
_LOOKAHEAD = 6


def _bare_pattern(line: str) -> bool:
    """A title split over two lines leaves a bare "自评表" on the second one."""
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
            if j >= 0 and len(squash(lines[j])) <= 50 and "\t" not in lines[j]:
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
        blocks.append(TableBlock(name=name, title=title, title_line=no, lines=body))
    return blocks
