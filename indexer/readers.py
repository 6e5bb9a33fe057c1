"""Read report files (.txt, .md, .pdf) into a `Document`: one string per line.

Line numbers are the contract: `Document.lines[i]` is line i + 1 of the file as a
person opens it, so text files are split on "\\n" only (after CRLF/CR -> LF) and
nothing else about the text is changed. An empty text file therefore gives one
empty line ([""]), the same count as `text.split("\\n")`.

PDFs have no lines of their own; each page becomes its text lines top to bottom,
with every ruled table row emitted as one line of tab-joined cells at the table's
position, and a blank line between pages; `Document.pages` holds each line's page.
"""
from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
from collections import Counter

from .models import Document
from .pdf_cells import table_lines

MAX_BYTES = 50 * 1024 * 1024  # size guard; read_bytes refuses anything larger

TEXT_KINDS = {".txt": "txt", ".md": "md", ".markdown": "md"}

# Signatures of common binary formats that are sometimes renamed to .txt.
_BINARY_MAGIC = (
    b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\xd0\xcf\x11\xe0",
    b"\x7fELF", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"II*\x00", b"MM\x00*",
)
# C0 control bytes that do not occur in text (tab, LF, VT, FF, CR and ESC are allowed).
_CONTROL = frozenset(range(0x00, 0x09)) | frozenset(range(0x0E, 0x1B)) | frozenset(range(0x1C, 0x20))
# BOMs, longest first (the UTF-32 LE BOM starts with the UTF-16 LE one).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
# U+FFFD already present in a file, as each codec encodes it (not a decoding error).
_FFFD = {"utf-8": "\ufffd".encode("utf-8"), "gb18030": "\ufffd".encode("gb18030")}
_CID = re.compile(r"\(cid:\d+\)")  # pdfminer's stand-in for a glyph it cannot map to Unicode


class ReaderError(ValueError):
    """A file that cannot be read as a report; the message is one line, Chinese / English."""

    def __init__(self, zh: str, en: str, detail: str = ""):
        message = f"{zh} / {en}" + (f": {detail}" if detail else "")
        super().__init__(" ".join(message.split("\n")).replace("\r", " "))


# ---------------------------------------------------------------- entry points
def read_document(path: str | os.PathLike) -> Document:
    """Read a report file from disk. OSErrors (missing file, permissions) propagate."""
    if os.path.getsize(path) > MAX_BYTES:  # refuse before loading it into memory
        raise ReaderError("文件过大", "file too large", f"{os.path.basename(path)} > {MAX_BYTES} bytes")
    with open(path, "rb") as f:
        data = f.read()
    return read_bytes(data, str(path))


def read_bytes(data: bytes, name: str) -> Document:
    """Read an uploaded report; `name` picks the type together with the content."""
    if len(data) > MAX_BYTES:
        raise ReaderError("文件过大", "file too large", f"{len(data)} bytes > {MAX_BYTES}")
    digest = hashlib.sha256(data).hexdigest()
    ext = os.path.splitext(name)[1].lower()

    # Content wins for PDFs: a file that starts with %PDF is a PDF whatever its name.
    if data.startswith(b"%PDF") or (ext == ".pdf" and b"%PDF-" in data[:1024]):
        lines, pages = _read_pdf(data, name)
        return Document(source_file=name, kind="pdf", encoding="pdf", lines=lines, pages=pages,
                        content_hash=digest)
    if ext == ".pdf":
        raise ReaderError("不是有效的 PDF 文件", "not a PDF file (no %PDF header)", name)
    kind = TEXT_KINDS.get(ext)
    if kind is None:
        raise ReaderError("不支持的文件类型", "unsupported file type", ext or f"(no extension) {name}")

    text, encoding = decode_text(data, name)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return Document(source_file=name, kind=kind, encoding=encoding, lines=text.split("\n"),
                    content_hash=digest)


# ---------------------------------------------------------------- text decoding
def decode_text(data: bytes, name: str = "") -> tuple[str, str]:
    """Decode text bytes; returns (text, encoding used). Raises ReaderError only for binary data.

    Order: BOM; strict UTF-8; UTF-8 with a few bad bytes; strict GB18030 (covers GBK/GB2312);
    GB18030 with a few bad bytes; charset-normalizer's guess; UTF-8 with replacement.
    "Mostly UTF-8" is tried before strict GB18030 because UTF-8 Chinese with a stray byte can
    be valid GB18030 (as mojibake). GBK bytes seldom form valid 3-byte UTF-8 sequences: on the
    corpus re-encoded as GBK there are ~30 bad sequences per well-formed CJK-range character,
    while a UTF-8 file with a few bad bytes has hundreds of good characters per bad one.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace"), codec

    if _looks_binary(data):
        utf16 = _bomless_utf16(data)
        if utf16:
            return utf16
        raise ReaderError("文件不是文本（疑似二进制文件）", "file is binary, not text", name)

    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text, bad, good = _lossy(data, "utf-8", 0x800)  # good = 3-byte sequences (CJK range)
    if bad * 4 <= good:
        return text, "utf-8 (replaced invalid bytes)"
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    text, bad, good = _lossy(data, "gb18030", 0x80)
    if bad * 4 <= good:
        return text, "gb18030 (replaced invalid bytes)"

    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        # BOM-less UTF-16/32 with NULs was handled above; such a guess here is garbage
        # (e.g. b"abc\xff" -> "慢揿"), so keep the ASCII-safe fallback instead.
        if best is not None and best.encoding and not best.encoding.startswith(("utf_16", "utf_32")):
            return str(best), best.encoding
    except Exception:  # a guessing library must never make a text file unreadable
        pass
    return data.decode("utf-8", errors="replace"), "utf-8 (replaced invalid bytes)"


def _lossy(data: bytes, codec: str, min_good: int) -> tuple[str, int, int]:
    """Decode with replacement; return (text, bad sequences, decoded chars >= min_good)."""
    text = data.decode(codec, errors="replace")
    replaced = text.count("\ufffd")
    genuine = data.count(_FFFD[codec])  # U+FFFD already present in the file
    good = sum(1 for ch in text if ord(ch) >= min_good) - replaced
    bad = replaced - genuine
    return text, bad, good


def _looks_binary(data: bytes) -> bool:
    """Known binary signature, or more than 5 % control bytes in the first 64 KiB."""
    if data.startswith(_BINARY_MAGIC):
        return True
    sample = data[:65536]
    if not sample:
        return False
    controls = sum(1 for b in sample if b in _CONTROL)
    return controls * 20 > len(sample)


def _bomless_utf16(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without a BOM looks binary (NULs); accept it if it decodes to clean text."""
    if len(data) < 4 or len(data) % 2:
        return None
    even_nuls, odd_nuls = data[0::2].count(0), data[1::2].count(0)
    codec = "utf-16-le" if odd_nuls > even_nuls else "utf-16-be"
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\x0b\x0c\x1b")
    return (text, codec) if controls * 100 <= len(text) else None


# ---------------------------------------------------------------- PDF
def _read_pdf(data: bytes, name: str) -> tuple[list[str], list[int]]:
    """Lines of a PDF and the 1-based page of each (the blank line between pages belongs to the next)."""
    try:
        import pdfplumber
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise ReaderError("缺少 PDF 解析组件", "pdfplumber is not installed", str(exc)) from exc

    pages: list[list[str]] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            parts = [_page_parts(page) for page in pdf.pages]
            texts = table_lines([text_lines for _, text_lines in parts])
            pages = [_page_lines(tables, text_lines, page_texts)
                     for (tables, text_lines), page_texts in zip(parts, texts)]
    except ReaderError:
        raise
    except Exception as exc:  # pdfminer raises many types for encrypted/corrupt files
        if _is_password_error(exc):
            raise ReaderError("PDF 已加密，需要密码", "encrypted PDF (password required)", name) from exc
        kind = type(_root_cause(exc)).__name__
        raise ReaderError("PDF 文件损坏或无法解析", "corrupt or unreadable PDF", f"{name} ({kind})") from exc

    lines: list[str] = []
    page_of_line: list[int] = []
    pages = _without_running_lines([_without_page_numbers(p) for p in pages])
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
    return ["".join(c.split()) for c in row.split("\t")]


def _page_number_re() -> re.Pattern:
    """A page-number line: "—10—", "- 3 -", "7", "第 3 页", "第3页 共12页" (never a year such as "2023")."""
    from .lexicon import load

    w = load("metadata.json")["page_label"]
    dash = r"[\-—–－_·]"
    labelled = rf"{w['before']}\s*\d{{1,4}}\s*{w['after']}(?:\s*[/／,，]?\s*{w['total']}\s*\d{{1,4}}\s*{w['after']})?"
    return re.compile(rf"^(?:{dash}+\s*\d{{1,4}}\s*{dash}+|\d{{1,3}}|{labelled})$")


def _without_page_numbers(page_lines: list[str]) -> list[str]:
    """A page's lines without its page-number header or footer ("—10—", "- 3 -", "第 3 页")."""
    pattern = _page_number_re()
    lines = list(page_lines)
    while lines and pattern.match(lines[-1].strip()) and "\t" not in lines[-1]:
        lines.pop()
    while lines and pattern.match(lines[0].strip()) and "\t" not in lines[0]:
        lines.pop(0)
    return lines


def _without_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Pages without their running header or footer: a text line that, digits aside, is the first
    (or last) line of at least three pages and of a third of all pages."""
    def key(line: str) -> str:
        return re.sub(r"\d+", "#", "".join(line.split()))

    for end in (0, -1, 0, -1):  # twice: a header may take two lines
        counts = Counter(key(p[end]) for p in pages if p and "\t" not in p[end])
        running = {k for k, n in counts.items() if n >= 3 and n * 3 >= len(pages)}
        if not running:
            continue
        pages = [_without_page_numbers((p[1:] if end == 0 else p[:-1]))
                 if p and "\t" not in p[end] and key(p[end]) in running else p for p in pages]
    return pages


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


def _page_lines(tables: list, text_lines: list[dict], texts: list[str]) -> list[str]:
    """Lines of one page, top to bottom: its text lines (`texts`, an un-ruled table's rows tab-joined
    by `pdf_cells`) and its ruled tables, each row one tab-joined line."""
    # (top, order, lines): text lines and whole tables, merged by vertical position.
    # A table sorts before a text line at the same top (order 0 < 1), tables keep their rows together.
    items: list[tuple[float, int, list[str]]] = [(line["top"], 1, [text]) for line, text in zip(text_lines, texts)]
    for table in tables:
        rows = [[_cell_text(c) for c in row] for row in table.extract()]
        items.append((table.bbox[1], 0, _table_lines([r for r in rows if any(c.strip() for c in r)])))
    items.sort(key=lambda it: (it[0], it[1]))
    return [text for _, _, texts in items for text in texts]


def _table_lines(rows: list[list[str]]) -> list[str]:
    """A ruled table's rows as tab-joined lines; a title, unit or note row drawn inside the grid
    (one cell of text spanning the width, before the header or after the last row) stays plain text."""
    def lone_text(row: list[str]) -> bool:
        filled = [c for c in row if c.strip()]
        return len(row) > 2 and len(filled) == 1 and not _NUMBER.fullmatch(filled[0].strip())

    first, last = 0, len(rows)
    while first < last and lone_text(rows[first]):
        first += 1
    while last > first and lone_text(rows[last - 1]):
        last -= 1
    plain = lambda row: next(c for c in row if c.strip()).strip()  # noqa: E731
    return ([plain(r) for r in rows[:first]] + ["\t".join(r) for r in rows[first:last]]
            + [plain(r) for r in rows[last:]])


_NUMBER = re.compile(r"[-+]?[\d,，.]+%?")


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
