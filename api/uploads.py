"""Uploaded reports: the streaming multipart parser, file-name cleaning, the trial parse and the
corpus writer.

The size limit is enforced while the body arrives (nothing beyond it is kept); a bad file name is
refused before the file's bytes are read; files are written atomically (hidden temp file, then a
hard link that never overwrites, or a rename when replacing).
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import unicodedata
import uuid
from pathlib import Path
from typing import Iterable, Optional

from fastapi import Request

from indexer.fsutil import fsync_dir, sha256_file
from indexer.models import ReportInfo
from indexer.settings import LIMITS, Limits

from .errors import ApiError, one_line

log = logging.getLogger("reportqa.api")

_SAFE_PUNCT = set("-_.()（）【】[]·+，,、")


def clean_filename(raw: Optional[str], limits: Limits = LIMITS) -> str:
    """Validate an uploaded file name and return the sanitised name it is stored under.

    Refused (ApiError 400/415): empty, NUL or control characters, path separators, `..`,
    hidden names (leading dot), unsupported extensions. Other unusual characters become `_`."""
    if raw is None or not raw.strip():
        raise ApiError(400, "invalid_filename", "缺少文件名 / the uploaded file has no name")
    name = unicodedata.normalize("NFC", raw).strip()
    shown = one_line(name.replace("\x00", "\\0"), 80)
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise ApiError(400, "invalid_filename", f"文件名含控制字符 / file name contains control characters: {shown!r}")
    if "/" in name or "\\" in name:
        raise ApiError(400, "invalid_filename",
                       f"文件名不能包含路径分隔符 / file name must not contain path separators: {shown!r}")
    if ".." in name:
        raise ApiError(400, "invalid_filename", f"文件名不能包含 '..' / file name must not contain '..': {shown!r}")
    if name.startswith("."):
        raise ApiError(400, "invalid_filename", f"不接受隐藏文件（以点开头）/ hidden file names are not accepted: {shown!r}")
    stem, ext = os.path.splitext(name)
    ext = ext.lower()
    if ext not in limits.upload_suffixes:
        raise ApiError(415, "unsupported_type",
                       f"不支持的文件类型 {ext or '(无扩展名)'}，只接受 .txt、.md、.pdf / unsupported file type "
                       f"{ext or '(no extension)'}; accepted: .txt, .md, .pdf")
    stem = "".join(ch if (ch.isalnum() or ch in _SAFE_PUNCT) else "_" for ch in stem)
    stem = re.sub(r"_{2,}", "_", stem).strip("._ -")
    stem = stem[:limits.max_filename_chars] or "upload"
    while len((stem + ext).encode("utf-8")) > 240:
        stem = stem[:-1]
    return stem + ext


def _decode_header_param(options: dict, key: bytes) -> Optional[str]:
    """A Content-Disposition parameter; browsers send UTF-8 bytes (RFC 7578 forbids `filename*`)."""
    value = options.get(key)
    if value is None:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _too_large(limits: Limits) -> ApiError:
    mb = limits.max_upload_bytes // (1024 * 1024)
    return ApiError(413, "file_too_large", f"文件过大（上限 {mb} MB）/ file too large (limit {mb} MB)")


class _FilePart:
    """python-multipart callbacks that keep the one `file` field (and count the other fields)."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.headers: list[tuple[bytes, bytes]] = []
        self.field, self.value = b"", b""
        self.part: Optional[str] = None
        self.other = 0
        self.files = 0
        self.raw_name: Optional[str] = None
        self.name: Optional[str] = None
        self.data = bytearray()
        self.done = False

    def callbacks(self) -> dict:
        return {"on_part_begin": self.on_part_begin, "on_part_data": self.on_part_data,
                "on_part_end": self.on_part_end, "on_header_field": self.on_header_field,
                "on_header_value": self.on_header_value, "on_header_end": self.on_header_end,
                "on_headers_finished": self.on_headers_finished, "on_end": self.on_end}

    def on_part_begin(self):
        self.headers, self.part = [], None

    def on_header_field(self, data, start, end):
        self.field += data[start:end]

    def on_header_value(self, data, start, end):
        self.value += data[start:end]

    def on_header_end(self):
        self.headers.append((self.field.lower(), self.value))
        self.field, self.value = b"", b""

    def on_headers_finished(self):
        from python_multipart.multipart import parse_options_header

        disposition = next((v for k, v in self.headers if k == b"content-disposition"), b"")
        _, options = parse_options_header(disposition)
        if _decode_header_param(options, b"name") == "file" and b"filename" in options:
            self.files += 1
            if self.files > 1:
                raise ApiError(400, "bad_upload", "一次只能上传一个文件 / upload one file at a time")
            self.raw_name = _decode_header_param(options, b"filename")
            self.name = clean_filename(self.raw_name, self.limits)  # refuse a bad name before reading the data
            self.part = "file"
        else:
            self.part = "other"

    def on_part_data(self, data, start, end):
        n = end - start
        if self.part == "file":
            if len(self.data) + n > self.limits.max_upload_bytes:
                raise _too_large(self.limits)
            self.data += data[start:end]
        else:
            self.other += n
            if self.other > self.limits.max_upload_overhead:
                raise ApiError(413, "payload_too_large", "表单字段过大 / form fields too large")

    def on_part_end(self):
        self.part = None

    def on_end(self):
        self.done = True


def _check_declared_length(request: Request, limits: Limits) -> None:
    length = request.headers.get("content-length")
    if length is None:
        return
    try:
        declared = int(length)
    except ValueError:
        raise ApiError(400, "bad_request", "Content-Length 无效 / invalid Content-Length") from None
    if declared > limits.max_upload_bytes + limits.max_upload_overhead:
        raise _too_large(limits)


async def read_upload(request: Request, limits: Limits = LIMITS) -> tuple[str, str, bytes]:
    """Stream a multipart body; returns (name as sent, sanitised name, file bytes)."""
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import MultipartParser, parse_options_header

    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or not params.get(b"boundary"):
        raise ApiError(415, "unsupported_media_type",
                       "上传须为 multipart/form-data，文件字段名为 file / upload must be multipart/form-data "
                       "with a field named 'file'")
    _check_declared_length(request, limits)
    part = _FilePart(limits)
    parser = MultipartParser(params[b"boundary"], part.callbacks())
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limits.max_upload_bytes + limits.max_upload_overhead:
                raise _too_large(limits)
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise ApiError(400, "bad_upload", f"multipart 数据无效 / invalid multipart body: {one_line(exc, 120)}") from None
    if part.name is None:
        raise ApiError(400, "bad_upload", "缺少文件字段 file / missing multipart file field 'file'")
    if not part.done:
        raise ApiError(400, "bad_upload", "multipart 数据不完整 / incomplete multipart body")
    return part.raw_name, part.name, bytes(part.data)


# ---------------------------------------------------------------- the corpus writer
class CorpusStore:
    """Writes uploads into the corpus atomically (hidden temp file + link/rename)."""

    def __init__(self, corpus_dir: Path, suffixes: tuple[str, ...] = LIMITS.upload_suffixes):
        self.corpus_dir = corpus_dir
        self.suffixes = suffixes
        self._lock = threading.Lock()

    def _same_content(self, data: bytes, digest: str, exclude: Path) -> Optional[Path]:
        if not self.corpus_dir.is_dir():
            return None
        for p in sorted(self.corpus_dir.rglob("*")):
            if (p.is_file() and not p.name.startswith(".") and p.suffix.lower() in self.suffixes
                    and p.resolve() != exclude.resolve() and p.stat().st_size == len(data)
                    and sha256_file(p) == digest):
                return p
        return None

    def store(self, name: str, data: bytes, replace: bool) -> str:
        """Store `data` as `name`: "stored", "replaced" or "unchanged"; ApiError 409 on a conflict."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.corpus_dir / name
        with self._lock:
            self.corpus_dir.mkdir(parents=True, exist_ok=True)
            exists = target.exists() or target.is_symlink()
            if exists:
                if target.is_symlink() or not target.is_file():
                    raise ApiError(409, "file_exists", f"语料中已有同名项目 / corpus already has an entry named {name}")
                if sha256_file(target) == digest:
                    return "unchanged"
                if not replace:
                    raise ApiError(409, "file_exists",
                                   f"语料中已有同名但内容不同的文件 {name}；如需覆盖请加 ?replace=true / a different "
                                   f"file named {name} already exists; add ?replace=true to overwrite it")
            other = self._same_content(data, digest, target)
            if other is not None:
                rel = other.relative_to(self.corpus_dir)
                raise ApiError(409, "duplicate_content",
                               f"相同内容的文件已存在：{rel} / the same file is already in the corpus as {rel}")
            self._write(target, data, exists)
            fsync_dir(self.corpus_dir)
            return "replaced" if exists else "stored"

    def _write(self, target: Path, data: bytes, exists: bool) -> None:
        name = target.name
        tmp = self.corpus_dir / f".upload-{uuid.uuid4().hex}.part"  # hidden: builders skip it
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if exists:
                os.replace(tmp, target)
                return
            try:
                os.link(tmp, target)  # never overwrites: fails if the name appeared meanwhile
            except FileExistsError:
                raise ApiError(409, "file_exists", f"同名文件刚被写入 / a file named {name} was just stored")
            except OSError:  # filesystems without hard links
                if target.exists():
                    raise ApiError(409, "file_exists", f"同名文件刚被写入 / a file named {name} was just stored")
                os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------- the trial parse
def check_report(data: bytes, name: str, indexed: Iterable[ReportInfo] = ()) -> tuple[dict, list[str]]:
    """Type by content (reader) and a trial parse; runs in a worker thread.

    Returns what was recognised and warnings (no unit or year, no tables, the unit and year of an
    indexed report of another file)."""
    from indexer.parser import parse_document
    from indexer.readers import ReaderError, read_bytes

    try:
        doc = read_bytes(data, name)
    except ReaderError as exc:
        raise ApiError(422, "unreadable_file", one_line(exc, 300)) from None
    info: dict = {"kind": doc.kind, "lines": len(doc.lines)}
    try:
        parsed = parse_document(doc)
    except Exception as exc:
        log.warning("uploaded %s does not parse: %r", name, exc)
        raise ApiError(422, "unparseable_report",
                       f"无法解析该报告 / the report cannot be parsed: {type(exc).__name__}") from None
    meta = parsed.report
    info.update({"report_id": meta.report_id, "unit_name": meta.unit_name, "region": meta.region,
                 "year": meta.year, "tables": len(parsed.tables), "facts": len(parsed.facts)})
    warnings: list[str] = []
    if not meta.unit_name or not meta.year:
        warnings.append("未能识别单位名称或年度 / unit name or year not recognised")
    if not parsed.tables:
        warnings.append("未识别出任何决算表 / no final-accounts tables recognised")
    warnings += duplicate_warnings(meta.unit_name, meta.year, name, indexed)
    return info, warnings


def duplicate_warnings(unit_name: Optional[str], year: Optional[int], name: str,
                       indexed: Iterable[ReportInfo]) -> list[str]:
    """A warning for each indexed report of another file with the same unit and year."""
    if not unit_name or not year:
        return []
    return [f"已索引同一单位同一年度的报告：{r.unit_name} {r.year}（{r.source_file}，{r.report_id}）/ "
            f"a report of the same unit and year is already indexed: {r.unit_name} {r.year} "
            f"({r.source_file}, {r.report_id})"
            for r in indexed
            if r.unit_name == unit_name and r.year == year and Path(r.source_file).name != name]
