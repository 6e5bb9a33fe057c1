"""Headings and the section tree: 第X部分 / 一、 / （一）, with 1-based line spans.

Numbered items (1. / （1） / ①) start paragraphs but are not sections: in these reports they are
usually list items with figures in them.
"""
from __future__ import annotations

import re
from typing import Optional

from .lexicon import squash
from .models import Section

_CN = "一二三四五六七八九十"
_L1 = re.compile(rf"^第[{_CN}\d]+部分")
_L2 = re.compile(rf"^[{_CN}]{{1,3}}[、，.．]")
_L3 = re.compile(rf"^[（(][{_CN}]{{1,3}}[）)]")
ITEM_RE = re.compile(r"^(?:\d{1,2}[.．、](?!\d)|[（(]\d{1,2}[）)]|[①②③④⑤⑥⑦⑧⑨⑩]|[一二三四五六七八九十]是)")
_TOC = re.compile(r"^\s*[-*•]\s+")  # a list item; it is a contents entry when it names a section
_TOC_ENTRY = re.compile(rf"^(?:\**)(?:第[{_CN}\d]+部分|[{_CN}]{{1,3}}[、，.．]|[（(][{_CN}]{{1,3}}[）)])")
BULLET_RE = _TOC
_SENTENCE_END = tuple("。！？；：:")


def wrap_width(lines: list[str]) -> int:
    """Typical width of a hard-wrapped line (80th percentile of text line lengths)."""
    lens = sorted(len(squash(l)) for l in lines if len(squash(l)) >= 8 and "\t" not in l)
    if not lens:
        return 80
    return max(12, lens[int(len(lens) * 0.8)])


def is_toc_line(line: str) -> bool:
    """A contents entry ("- 一、部门主要职责", "- 第四部分 …") or a page number ("- 19 -"); a list item
    of the text ("- 大英过境游客短信推送", "- 2022年政府性基金预算财政拨款支出：0万元。") is content."""
    m = _TOC.match(line)
    if not m:
        return False
    rest = line[m.end():].strip()
    if not re.search(r"[\u4e00-\u9fff]", rest):
        return True
    return bool(_TOC_ENTRY.match(rest)) and not re.search(r"\d[\d,]*\.\d+|[：:]", rest)


_MARKDOWN = re.compile(r"^#+\s*|^\*\*|\*\*$")  # Markdown heading marks and a bold title's stars


def heading_level(line: str, width: int) -> Optional[int]:
    """1-3 for a heading line, None for text. `width` is the document's wrap width."""
    t = _MARKDOWN.sub("", squash(line))  # "## 一、单位概况", "**（二）机构设置**"
    if not t or "\t" in line or len(t) > 60:
        return None
    if _L1.match(t):
        return 1
    level = 2 if _L2.match(t) else 3 if _L3.match(t) else None
    if level is None:
        return None
    body = t[2:]
    if "，" in body or "；" in body or len(t) > 40 or re.search(r"[：:].", body):
        return None  # a list item sentence or a definition, not a title
    # A line filling the wrap width without closing punctuation continues on the next line.
    if len(t) >= width - 2 and not t.endswith(_SENTENCE_END) and width < 40:
        return None
    if re.search(r"\d[\d,]*\.\d+", t):  # carries a figure: it is content
        return None
    return level


def clean_title(line: str) -> str:
    return _MARKDOWN.sub("", re.sub(r"\s+", " ", line.strip())).strip()


def build_sections(lines: list[str], heading_lines: dict[int, int]) -> list[Section]:
    """Section tree from {line_no: level}; each section runs to the line before the next
    heading of the same or a higher level."""
    sections: list[Section] = []
    stack: list[Section] = []
    total = len(lines)
    for no in sorted(heading_lines):
        level = heading_lines[no]
        title = clean_title(lines[no - 1])
        while stack and stack[-1].level >= level:
            stack.pop().line_end = no - 1
        path = " > ".join([s.title for s in stack] + [title])
        sec = Section(path=path, title=title, level=level, line_start=no, line_end=total)
        sections.append(sec)
        stack.append(sec)
    for s in stack:
        s.line_end = total
    return sections


def section_at(sections: list[Section], line_no: int) -> str:
    """Path of the innermost section containing `line_no` ("" before the first heading)."""
    best: Optional[Section] = None
    for s in sections:
        if s.line_start <= line_no <= s.line_end and (best is None or s.level >= best.level):
            best = s
    return best.path if best else ""
