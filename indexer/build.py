"""Incremental index build: read → parse → chunk → embed → store, swapped in atomically.

Only added or changed reports are parsed; only chunk texts without a cached vector (same model,
same text) are embedded; removed reports leave nothing behind because every build writes a
complete new version. One builder at a time (a file lock); a second one waits or says why not.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

import numpy as np

from . import registry, store
from .backends.base import BuildData, IndexBackend, get_backend
from .chunker import chunk_report
from .models import ParsedReport, ReportMeta
from .tokenize import Tokenizer

_NOT_PARSING = ("build.py", "store.py", "registry.py", "embedder.py", "e5_convert.py", "ov_embed.py", "distributed.py")


def parser_files() -> list[Path]:
    """The code and vocabulary that parse and chunk a report: indexer/*.py (less the build, store and
    embedding modules), indexer/layouts/*.py and every lexicon file."""
    here = Path(__file__).parent
    code = list(here.glob("*.py")) + list((here / "layouts").glob("*.py"))
    return sorted(p for p in code + list((here / "lexicon").glob("*")) if p.is_file() and p.name not in _NOT_PARSING)


def _parser_version() -> str:
    """Changes whenever parsing or chunking code or vocabulary changes: reports are then re-parsed
    (vectors of unchanged chunk texts are still reused)."""
    here = Path(__file__).parent
    h = hashlib.sha1()
    for p in parser_files():
        h.update(str(p.relative_to(here)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


PARSER_VERSION = _parser_version()
REPORT_SUFFIXES = {".txt", ".md", ".markdown", ".pdf"}
Progress = Callable[[str, int, int], None]  # (stage, done, total)
# The two steps `indexer.distributed` can run elsewhere: parse files (results in path order, None for
# a file removed meanwhile) and embed texts (vectors in text order).
ParseFiles = Callable[[list[Path], Progress], list[Optional[tuple[ParsedReport, list[int]]]]]
EmbedTexts = Callable[[list[str], Progress], np.ndarray]


class BuildBusy(RuntimeError):
    pass


@contextmanager
def build_lock(index_dir: Path, wait: float = 0.0) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    fh = open(index_dir / ".lock", "a+")
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                fh.close()
                raise BuildBusy(f"另一个索引构建正在进行 / another index build is running in {index_dir}; "
                                f"wait for it or retry later")
            time.sleep(0.2)
    try:
        yield
    finally:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Report files of the corpus; hidden files and folders (e.g. the registry's .reportqa/) are skipped."""
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"语料目录不存在 / corpus directory not found: {corpus_dir}")
    return sorted(p for p in corpus_dir.rglob("*")
                  if p.is_file() and p.suffix.lower() in REPORT_SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts))


def text_hash(model_id: str, text: str) -> str:
    return hashlib.sha1(f"{model_id}\n{text}".encode("utf-8")).hexdigest()


class _Previous:
    """What the live version already has: reports by id, vectors by text hash (read through the backend)."""

    def __init__(self, backend: IndexBackend, model_id: str, full: bool, embed_path: Optional[str] = None):
        self.reader = None
        self.version: Optional[str] = None
        self.manifest: dict = {}
        self.reports: dict[str, dict] = {}  # report_id -> report row (same parser version only)
        self.vec_by_hash: dict[str, int] = {}
        self.embed_path = embed_path  # vectors of another path (openvino / torch) are never reused
        self.vectors: Optional[np.ndarray] = None
        if full or backend.current() is None:
            return
        try:
            self.reader = backend.open(verify=True)
        except store.IndexError_:
            return  # a damaged version is rebuilt from scratch, never reused
        self.version, self.manifest = self.reader.version, self.reader.manifest
        if self.manifest.get("parser_version") == PARSER_VERSION:
            for row in self.reader.report_rows():
                if row.get("text_meta"):
                    self.reports[row["report_id"]] = row
        if self.manifest.get("model") == model_id and self.manifest.get("embed_path", "torch") == embed_path:
            self.vectors = self.reader.vectors(mmap=True)
            for c in self.reader.chunk_rows():
                self.vec_by_hash[c["text_hash"]] = c["vec_row"]

    def ids(self) -> set[str]:
        return set(self.manifest.get("reports", {})) if self.version else set()

    def report_rows(self, report_id: str, table: str) -> list[dict]:
        return self.reader.report_table(table, report_id)

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()


def _parse(path: Path) -> tuple[ParsedReport, list[int]]:
    from .parser import parse_document
    from .readers import read_document

    doc = read_document(path)
    return parse_document(doc), doc.pages


def _set_id(parsed: ParsedReport, rid: str, rel: str) -> None:
    parsed.report.report_id = rid
    parsed.report.source_file = rel
    for f in parsed.facts:
        f.report_id = rid


def _parse_serial(paths: list[Path], progress: Progress) -> list[Optional[tuple[ParsedReport, list[int]]]]:
    """The default parse step: one file after another in this process."""
    out: list[Optional[tuple[ParsedReport, list[int]]]] = []
    for i, path in enumerate(paths):
        progress("parse", i, len(paths))
        try:
            out.append(_parse(path))
        except FileNotFoundError:
            out.append(None)
    progress("parse", len(paths), len(paths))
    return out


def _scan(corpus_dir: Path, prev: _Previous, progress: Progress,
          parse_files: ParseFiles = _parse_serial) -> list[dict]:
    """One entry per corpus file: its registered id, and either its previous rows (unchanged
    content, same parser) or a fresh parse. New files get their id from the registry."""
    files = corpus_files(corpus_dir)
    known = {rel: rid for rid, rel in registry.known_ids(corpus_dir).items()}
    entries: list[dict] = []
    for path in files:
        rel = path.relative_to(corpus_dir).as_posix()
        try:
            digest = store.sha256_file(path)
        except FileNotFoundError:
            continue  # removed (e.g. DELETE /reports) while this build ran: it leaves the index
        old = prev.reports.get(known.get(rel, ""))
        if old is not None and old["content_hash"] == digest:
            entries.append({"status": "unchanged", "rel": rel, "content_hash": digest, "old": old})
        else:
            entries.append({"status": "new", "rel": rel, "content_hash": digest, "path": path})
    fresh = [e for e in entries if e["status"] == "new"]
    for e, result in zip(fresh, parse_files([e["path"] for e in fresh], progress), strict=True):
        if result is None:
            e["status"] = "removed"
        else:
            e["parsed"], e["pages"] = result
    entries = [e for e in entries if e["status"] != "removed"]
    rels = [e["rel"] for e in entries]
    proposals = {e["rel"]: e["parsed"].report.report_id for e in entries if e["status"] == "new"}
    ids, overrides = registry.assign_ids(corpus_dir, rels, lambda rel: proposals.get(rel) or f"na-{rel}")
    for e in entries:
        e["report_id"] = ids[e["rel"]]
        e["override"] = overrides.get(e["report_id"])
        if e["status"] == "new":
            _set_id(e["parsed"], e["report_id"], e["rel"])
    return entries


def _fresh_rows(e: dict, model_id: str, now: str, out: dict) -> dict:
    """Rows of a freshly parsed report: chunks (with their PDF page), facts, checks, report row."""
    parsed: ParsedReport = e["parsed"]
    rid = e["report_id"]
    chunks, facts = chunk_report(parsed, e["pages"])
    for c in chunks:
        d = c.model_dump()
        d["ord"] = d.pop("order")
        d["text_hash"] = text_hash(model_id, c.embed_text)
        out["chunks"].append(d)
    out["facts"] += [store.fact_row(f) for f in facts]
    out["checks"] += [store.check_row(rid, ck) for ck in parsed.checks]
    return {
        "report_id": rid, "content_hash": e["content_hash"], "indexed_at": now,
        "sections": len(parsed.sections), "tables": len(parsed.tables),
        "rows": sum(len(t.rows) for t in parsed.tables), "chunks": len(chunks),
        "facts": sum(f.kind == "table" for f in facts),  # table cells, as /reports has always counted
        "text_meta": parsed.report.model_dump_json(), "parsed": parsed.model_dump_json()}


def _reused_rows(e: dict, prev: _Previous, out: dict) -> dict:
    rid = e["report_id"]
    out["chunks"] += prev.report_rows(rid, "chunks")
    out["facts"] += prev.report_rows(rid, "facts")
    out["checks"] += prev.report_rows(rid, "checks")
    row = dict(e["old"])
    if "parsed" not in row:  # backends that keep the parse tree apart (milvus)
        row["parsed"] = prev.reader.parsed(rid)
    return row


def _with_meta(row: dict, e: dict) -> dict:
    """The report row with its metadata: as read from the text, then the stored override applied.
    Chunks keep the text's metadata, so a correction never forces re-embedding."""
    meta = ReportMeta.model_validate_json(row["text_meta"])
    meta.source_file = e["rel"]
    meta = registry.apply_override(meta, e["override"])
    parsed = json.loads(row["parsed"])
    parsed["report"] = json.loads(meta.model_dump_json())
    row.update({"unit_name": meta.unit_name, "region": meta.region, "year": meta.year, "title": meta.title,
                "source_file": e["rel"], "aliases": json.dumps(meta.aliases, ensure_ascii=False),
                "metadata_source": json.dumps(meta.metadata_source, ensure_ascii=False),
                "parsed": json.dumps(parsed, ensure_ascii=False)})
    return row


def _meta_changed(row: dict, prev: _Previous) -> bool:
    old = prev.reports.get(row["report_id"])
    keys = ("unit_name", "region", "year", "source_file", "aliases", "metadata_source")
    return old is not None and any(old.get(k) != row[k] for k in keys)


def _vectors(all_chunks: list[dict], prev: _Previous, embedder, progress: Progress,
             embed_texts: Optional[EmbedTexts] = None) -> tuple[np.ndarray, int, object]:
    """Cached vectors copied, missing ones embedded (by `embed_texts` when given, else by `embedder`,
    loaded here when None); returns (matrix, chunks embedded, embedder)."""
    need = [i for i, c in enumerate(all_chunks) if c["text_hash"] not in prev.vec_by_hash]
    unique_need: dict[str, int] = {}
    for i in need:
        unique_need.setdefault(all_chunks[i]["text_hash"], i)
    new_vecs: dict[str, np.ndarray] = {}
    dim = embedder.dim if embedder is not None else int(prev.manifest.get("dim", 0))
    if unique_need:
        order = list(unique_need.items())
        texts = [all_chunks[i]["embed_text"] for _, i in order]
        if embed_texts is not None:
            vecs = embed_texts(texts, progress)
        else:
            if embedder is None:
                from .embedder import load_embedder

                embedder = load_embedder()
                if embedder.path != prev.embed_path:  # auto fell back at load: embed everything on one path
                    prev.vec_by_hash.clear()
                    return _vectors(all_chunks, prev, embedder, progress, embed_texts)
            vecs = _embed(embedder, texts, progress)
        dim = vecs.shape[1]
        new_vecs = {h: vecs[k] for k, (h, _) in enumerate(order)}
    vectors = np.zeros((len(all_chunks), dim), dtype=np.float32)
    for i, c in enumerate(all_chunks):
        h = c["text_hash"]
        vectors[i] = new_vecs[h] if h in new_vecs else prev.vectors[prev.vec_by_hash[h]]
        c["vec_row"] = i
    return vectors, len(need), embedder


def build_index(corpus_dir: Path, index_dir: Path, *, full: bool = False, embedder=None,
                model_id: Optional[str] = None, progress: Optional[Progress] = None,
                wait: float = 0.0, parse_files: ParseFiles = _parse_serial,
                embed_texts: Optional[EmbedTexts] = None, backend: Optional[IndexBackend] = None) -> dict:
    """Build or update the index; returns the contract's summary object. `parse_files` and
    `embed_texts` replace the in-process parse and embed steps (`indexer.distributed` runs them on Ray).
    `backend` stores the index (default: the configured one, `indexer.backends.get_backend`)."""
    t0 = time.perf_counter()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    progress = progress or (lambda stage, done, total: None)
    if model_id is None:
        from .embedder import configured_model_id

        model_id = embedder.model_id if embedder is not None else configured_model_id()
    from .embedder import configured_path

    embed_path = getattr(embedder, "path", None) if embedder is not None else configured_path()
    backend = backend or get_backend(index_dir)
    with build_lock(index_dir, wait=wait):
        backend.cleanup()
        prev = _Previous(backend, model_id, full, embed_path)
        entries = _scan(corpus_dir, prev, progress, parse_files)
        now = dt.datetime.now().isoformat(timespec="seconds")
        out: dict[str, list[dict]] = {"chunks": [], "facts": [], "checks": []}
        report_rows = [_with_meta(_fresh_rows(e, model_id, now, out) if e["status"] == "new"
                                  else _reused_rows(e, prev, out), e) for e in entries]

        previous_ids, seen = prev.ids(), {e["report_id"] for e in entries}
        fresh = {e["report_id"] for e in entries if e["status"] == "new"}
        relabeled = {r["report_id"] for r in report_rows if r["report_id"] not in fresh and _meta_changed(r, prev)}
        summary = {
            "added": sorted(fresh - previous_ids), "changed": sorted((fresh & previous_ids) | relabeled),
            "removed": sorted(previous_ids - seen), "unchanged": sorted(seen - fresh - relabeled),
            "chunks_total": len(out["chunks"]), "chunks_embedded": 0, "facts_total": len(out["facts"]),
            "seconds": 0.0, "model": model_id,
        }
        vectors, summary["chunks_embedded"], embedder = _vectors(out["chunks"], prev, embedder, progress, embed_texts)
        prev.close()
        embed_path = getattr(embedder, "path", None) if embedder is not None else embed_path
        _publish(backend, report_rows, out, vectors, summary, now, progress, embed_path)
        summary["seconds"] = round(time.perf_counter() - t0, 3)
        return summary


def _publish(backend: IndexBackend, report_rows: list[dict], out: dict, vectors: np.ndarray, summary: dict,
             now: str, progress: Progress, embed_path: Optional[str] = None) -> None:
    """Hand the complete new version to the backend, which swaps it in atomically."""
    progress("write", 0, 1)
    dim = vectors.shape[1]
    manifest = {
        "embed_path": embed_path,  # the path that made the vectors; queries take the same
        "schema": store.SCHEMA_VERSION, "parser_version": PARSER_VERSION, "model": summary["model"], "dim": dim,
        "created_at": now, "backend": backend.name,
        "reports": {r["report_id"]: {k: r[k] for k in ("source_file", "content_hash", "unit_name", "region",
                                                          "year", "chunks", "facts")} for r in report_rows},
        "summary": summary,
    }
    words = Tokenizer(_extra_words(out["facts"])).words
    backend.publish(BuildData(report_rows, out["chunks"], out["facts"], out["checks"], vectors, words, manifest))
    progress("write", 1, 1)


def _embed(embedder, texts: list[str], progress: Progress, batch: int = 64) -> np.ndarray:
    """Vectors of `texts` in their order. Texts are embedded sorted by length once, so each batch pads
    to about its own length (the same vectors, fewer padded tokens); slices keep the progress bar."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = []
    for start in range(0, len(texts), batch):
        progress("embed", start, len(texts))
        out.append(embedder.encode_passages([texts[i] for i in order[start:start + batch]]))
    progress("embed", len(texts), len(texts))
    if not out:
        return np.zeros((0, 0), np.float32)
    vecs = np.vstack(out).astype(np.float32)
    restored = np.empty_like(vecs)
    restored[np.array(order)] = vecs
    return restored


def _extra_words(facts: list[dict]) -> list[str]:
    words = set()
    for f in facts:
        for w in (f["row_name"], f["column"], f["table"]):
            if w:
                words.update(p for p in w.split("/") if p)
    return sorted(words)
