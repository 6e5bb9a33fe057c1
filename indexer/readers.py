"""Read report files (.txt, .md, .pdf) into a `Document`: one string per line.

Line numbers are the contract: `Document.lines[i]` is line i + 1 of the file as a
person opens it, so text files are split on "\\n" only (after CRLF/CR -> LF) and
nothing else about the text is changed. An empty text file therefore gives one
empty line ([""]), the same count as `text.split("\\n")`.

PDFs have no lines of their own (`pdf_reader.py`): each page becomes its text lines top
to bottom, every table row one line of tab-joined cells, and a blank line between pages;
`Document.pages` holds each line's page.
"""
from __future__ import annotations

import codecs
import hashlib
import os

from .models import Document

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
        from .pdf_reader import read_pdf

        lines, pages = read_pdf(data, name)
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
