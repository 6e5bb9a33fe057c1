"""Narrative paragraphs: hard wraps joined, split numbers repaired, chart residue dropped."""
from __future__ import annotations

import bisect
import re

from .lexicon import load
from .models import Paragraph, Section
from .sections import BULLET_RE, ITEM_RE, section_at

_CJK = re.compile(r"[\u4e00-\u9fff]")
_FIGURE_CAPTION = re.compile(load("document.json")["figure_caption_pattern"])
_RESIDUE = re.compile(r"^[\d\s.,%％+\-−—()（）]+$")  # axis ticks, "13% 87%", page numbers
_SENTENCE_END = ("。", "！", "？")
# "收入总计：10328.56 万元": a label, a colon and a figure on a short line is a record of its own
_KEY_VALUE = re.compile(r"^[\u4e00-\u9fff（）()“”*]{2,30}[：:].*\d")
MAX_PARAGRAPH = 300


def _is_residue(line: str, mid_sentence: bool) -> bool:
    t = line.strip()
    if _FIGURE_CAPTION.match(t):
        return True
    if not _RESIDUE.match(t):
        return False
    # A lone number in the middle of a sentence is a wrapped figure: keep it.
    return not mid_sentence or len(re.findall(r"\d+(?:\.\d+)?", t)) >= 2


def _join(a: str, b: str) -> str:
    if a and b and a[-1].isascii() and a[-1].isalpha() and b[0].isascii() and b[0].isalpha():
        return a + " " + b
    return a + b  # CJK text and numbers split by a wrap join without a space


def build_paragraphs(lines: list[str], skip: set[int], heading_lines: set[int],
                     sections: list[Section], width: int) -> list[Paragraph]:
    """Paragraphs over every line not in `skip` (tables, TOC) and not a heading."""
    paragraphs: list[Paragraph] = []
    parts: list[str] = []  # the paragraph's pieces, joined once in flush() (linear time)
    size, start, end = 0, 0, 0
    offsets: list[int] = []  # char offset of each joined line in the paragraph
    offset_lines: list[int] = []  # its source line

    def flush() -> None:
        nonlocal parts, size, start, offsets, offset_lines
        buf = "".join(parts)
        if buf.strip() and _CJK.search(buf):
            sec = section_at(sections, start)
            pos = 0
            for piece in split_long(buf):
                first = _line_at(offsets, offset_lines, pos)
                last = _line_at(offsets, offset_lines, pos + max(len(piece) - 1, 0))
                pos += len(piece)
                if piece.strip():
                    paragraphs.append(Paragraph(text=piece.strip(), section=sec, line_start=first, line_end=last))
        parts, size, start, offsets, offset_lines = [], 0, 0, [], []

    for no, raw in enumerate(lines, start=1):
        if no in skip or no in heading_lines:
            flush()
            continue
        t = raw.strip()
        if not t:
            # A blank after a short line closes the paragraph; after a full line it is a page break.
            if parts and _last_line_len(lines, end) < width * 0.8:
                flush()
            continue
        mid = bool(parts) and not parts[-1].endswith(_SENTENCE_END)
        if _is_residue(t, mid):
            continue
        record = bool(_KEY_VALUE.match(t)) and len(t) < width * 0.8
        if (ITEM_RE.match(t) or BULLET_RE.match(t) or record) and parts:
            flush()
        if not parts:
            start = no
        piece = _join(parts[-1] if parts else "", t)[len(parts[-1]) if parts else 0:]
        parts.append(piece)
        size += len(piece)
        offsets.append(size - len(t))
        offset_lines.append(no)
        end = no
        if t.endswith(_SENTENCE_END) or record:
            flush()
    flush()
    return paragraphs


def _line_at(offsets: list[int], lines: list[int], pos: int) -> int:
    """Source line of the character at `pos` (offsets ascending)."""
    return lines[max(0, bisect.bisect_right(offsets, pos) - 1)]


def _last_line_len(lines: list[str], no: int) -> int:
    return len(lines[no - 1].strip()) if 0 < no <= len(lines) else 0


def split_long(text: str, limit: int = MAX_PARAGRAPH) -> list[str]:
    """Split a long paragraph at sentence ends into pieces of at most ~limit characters."""
    if len(text) <= limit:
        return [text]
    sentences = re.findall(r"[^。！？；]*[。！？；]?", text)
    pieces, cur = [], ""
    for s in sentences:
        if not s:
            continue
        if cur and len(cur) + len(s) > limit:
            pieces.append(cur)
            cur = ""
        cur += s
    if cur:
        pieces.append(cur)
    # A single sentence longer than the limit is cut hard (rare: tables pasted as prose).
    out = []
    for p in pieces:
        cut = 0
        while len(p) - cut > limit * 2:  # by index: no copy of the rest per cut
            out.append(p[cut:cut + limit])
            cut += limit
        out.append(p[cut:])
    return out
