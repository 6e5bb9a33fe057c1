"""Read a PDF into lines: each page's text lines top to bottom, every table row one line of
tab-joined cells (ruled tables as pdfplumber finds them, tables without rules rebuilt by
`pdf_cells`), a blank line between pages; page numbers and running headers or footers left out, and
a table running over a page break joined up, without the header rows the next page repeats."""
from __future__ import annotations

import io
import re
from collections import Counter

from .lexicon import load, squash
from .numbers import parse_number
from .pdf_cells import table_lines
from .readers import ReaderError

_CID = re.compile(r"\(cid:\d+\)")  # pdfminer's stand-in for a glyph it cannot map to Unicode


def read_pdf(data: bytes, name: str) -> tuple[list[str], list[int]]:
    """Lines of a PDF and the 1-based page of each (the blank line between pages belongs to the next)."""
    try:
        import pdfplumber
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise ReaderError("缺少 PDF 解析组件", "pdfplumber is not installed", str(exc)) from exc

    pages: list[list[str]] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            parts = [_page_parts(page) for page in pdf.pages]
            text_lines = _without_furniture(parts)
            texts = table_lines(text_lines)
            pages = [_page_lines(tables, lines, page_texts)
                     for (tables, _), lines, page_texts in zip(parts, text_lines, texts)]
    except ReaderError:
        raise
    except Exception as exc:  # pdfminer raises many types for encrypted/corrupt files
        if _is_password_error(exc):
            raise ReaderError("PDF 已加密，需要密码", "encrypted PDF (password required)", name) from exc
        kind = type(_root_cause(exc)).__name__
        raise ReaderError("PDF 文件损坏或无法解析", "corrupt or unreadable PDF", f"{name} ({kind})") from exc

    lines: list[str] = []
    page_of_line: list[int] = []
    for i, page_lines in enumerate(pages):
        # a table running on from the previous page continues without a break, and without the
        # title and header rows the page repeats
        repeated = _running_on(lines, page_lines)
        if repeated is not None:
            page_lines = page_lines[repeated:]
        if i and repeated is None:
            lines.append("")  # blank line between pages
            page_of_line.append(i + 1)
        lines.extend(page_lines)
        page_of_line.extend([i + 1] * len(page_lines))
    text = "".join("".join(line.split()) for line in lines)
    if not text:
        raise ReaderError("PDF 中没有可提取的文字（可能是扫描件）", "PDF has no text layer (scanned?)", name)
    if sum(len(m) for m in _CID.findall(text)) * 2 > len(text):
        raise ReaderError("PDF 文字无法解码（字体缺少 Unicode 映射）",
                          "PDF text cannot be decoded (fonts without a Unicode map)", name)
    return lines, page_of_line


def _running_on(lines: list[str], page_lines: list[str]) -> int | None:
    """When a page continues the table the lines so far end in: how many of its first lines repeat
    that table's title lines (at most three, those right above it) and header rows; else None."""
    if not lines or "\t" not in lines[-1]:
        return None
    start = len(lines)
    while start and "\t" in lines[start - 1]:
        start -= 1
    titles = next((k for k, line in enumerate(page_lines) if "\t" in line), None)
    if titles is None or titles > 3:
        return None
    above = [line for line in lines[:start] if line.strip()][-titles:] if titles else []
    if [_cells(x) for x in page_lines[:titles]] != [_cells(x) for x in above]:
        return None
    n = 0
    while (titles + n < len(page_lines) and start + n < len(lines) and "\t" in page_lines[titles + n]
           and _cells(page_lines[titles + n]) == _cells(lines[start + n])):
        n += 1
    return titles + n


def _cells(row: str) -> list[str]:
    return [squash(c) for c in row.split("\t")]


def _page_number_re() -> re.Pattern:
    """A page-number line: "—10—", "- 3 -", "7", "第 3 页", "第3页 共12页" (never a year such as "2023")."""
    w = load("metadata.json")["page_label"]
    dash = r"[\-—–－_·]"
    labelled = rf"{w['before']}\s*\d{{1,4}}\s*{w['after']}(?:\s*[/／,，]?\s*{w['total']}\s*\d{{1,4}}\s*{w['after']})?"
    return re.compile(rf"^(?:{dash}+\s*\d{{1,4}}\s*{dash}+|\d{{1,3}}|{labelled})$")


def _without_furniture(parts: list[tuple[list, list[dict]]]) -> list[list[dict]]:
    """Each page's text lines without its page number ("—10—", "- 3 -", "第 3 页") and its running
    header or footer: a line that, digits aside, is the first (or last) line of at least three pages
    and of a third of all pages (left on the first page). Only lines above (below) every ruled table
    of their page count."""
    number = _page_number_re()
    pages = []
    for tables, lines in parts:
        top = min((t.bbox[1] for t in tables), default=float("inf"))
        bottom = max((t.bbox[3] for t in tables), default=float("-inf"))
        pages.append((list(lines), top, bottom))

    def key(line: dict) -> str:
        return re.sub(r"\d+", "#", squash(line["text"]))

    def movable(page: tuple, end: int) -> bool:
        lines, top, bottom = page
        return bool(lines) and (lines[0]["bottom"] <= top if end == 0 else lines[-1]["top"] >= bottom)

    def trim(page: tuple, drop) -> tuple:
        lines, top, bottom = page
        while movable((lines, top, bottom), -1) and drop(lines[-1]):
            lines = lines[:-1]
        while movable((lines, top, bottom), 0) and drop(lines[0]):
            lines = lines[1:]
        return lines, top, bottom

    def page_number(line: dict) -> bool:
        return bool(number.match(line["text"].strip()))

    pages = [trim(p, page_number) for p in pages]
    for end in (0, -1, 0, -1):  # twice: a header may take two lines
        counts = Counter(key(p[0][end]) for p in pages if movable(p, end))
        running = {k for k, n in counts.items() if n >= 3 and n * 3 >= len(pages)}
        # one line a page (the title below it may read the same); the first page keeps its own: it is
        # more often the report's title than furniture
        for i, (lines, top, bottom) in enumerate(pages[1:], start=1):
            if movable(pages[i], end) and key(lines[end]) in running:
                pages[i] = trim((lines[1:] if end == 0 else lines[:-1], top, bottom), page_number)
    return [lines for lines, _, _ in pages]


def _root_cause(exc: BaseException) -> BaseException:
    """pdfplumber wraps pdfminer errors in PdfminerException(original)."""
    seen = {id(exc)}
    while True:
        inner = exc.__cause__ or next((a for a in exc.args if isinstance(a, BaseException)), None)
        if inner is None or id(inner) in seen:
            return exc
        seen.add(id(inner))
        exc = inner


def _is_password_error(exc: BaseException) -> bool:
    return "Password" in type(_root_cause(exc)).__name__ or "Password" in type(exc).__name__


def _page_parts(page) -> tuple[list, list[dict]]:
    """A page's ruled tables and its text lines outside them (with their characters)."""
    page = page.dedupe_chars()  # "fake bold" PDFs draw every glyph twice
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]

    def outside_tables(obj) -> bool:
        if obj.get("object_type") != "char":
            return True
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    return tables, page.filter(outside_tables).extract_text_lines(strip=True, return_chars=True)


def _page_lines(tables: list, text_lines: list[dict], texts: list) -> list[str]:
    """Lines of one page, top to bottom: its text lines (`texts`, an un-ruled table's rows tab-joined
    by `pdf_cells`) and its ruled tables, each row one tab-joined line."""
    # (top, order, lines): text lines and whole tables, merged by vertical position.
    # A table sorts before a text line at the same top (order 0 < 1), tables keep their rows together.
    items: list[tuple[float, int, list[str]]] = [(line["top"], 1, [text]) for line, text in zip(text_lines, texts)
                                                 if text is not None]
    for table in tables:
        rows = [[_cell_text(c) for c in row] for row in table.extract()]
        items.append((table.bbox[1], 0, _table_lines([r for r in rows if any(c.strip() for c in r)])))
    items.sort(key=lambda it: (it[0], it[1]))
    return [text for _, _, texts in items for text in texts]


def _table_lines(rows: list[list[str]]) -> list[str]:
    """A ruled table's rows as tab-joined lines; a title, unit or note row drawn inside the grid
    (one cell of text spanning the width, or cells each saying "键：值" such as 部门：… and 金额单位：万元,
    before the header or after the last row) stays plain text, a line per cell."""
    def lone_text(row: list[str]) -> bool:
        filled = [c.strip() for c in row if c.strip()]
        if len(row) <= 2 or not filled:
            return False
        return (len(filled) == 1 and parse_number(filled[0]) is None) or all(_KEYED.match(c) for c in filled)

    first, last = 0, len(rows)
    while first < last and lone_text(rows[first]):
        first += 1
    while last > first and lone_text(rows[last - 1]):
        last -= 1

    def plain(row: list[str]) -> list[str]:
        return [c.strip() for c in row if c.strip()]

    return ([t for r in rows[:first] for t in plain(r)] + ["\t".join(r) for r in rows[first:last]]
            + [t for r in rows[last:] for t in plain(r)])


_KEYED = re.compile(r"^[\u4e00-\u9fff]{1,8}[：:]\s*\S")  # 部门：…, 金额单位：万元


def _cell_text(cell: str | None) -> str:
    """One cell as one line: None -> "", wrapped lines joined (no space between CJK)."""
    if not cell:
        return ""
    parts = [p.strip() for p in cell.replace("\t", " ").split("\n")]
    out = ""
    for part in parts:
        if not part:
            continue
        # A space only between two Latin letters ("Total\nexpenditure"); CJK and
        # numbers wrapped mid-way ("2,449.\n98") are joined directly.
        if out and out[-1].isascii() and out[-1].isalpha() and part[0].isascii() and part[0].isalpha():
            out += " "
        out += part
    return out
