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

from . import store
from .chunker import chunk_report
from .facts import numeric_cells
from .models import ParsedReport
from .tokenize import Tokenizer

def _parser_version() -> str:
    """Changes whenever parsing or chunking code or vocabulary changes: reports are then re-parsed
    (vectors of unchanged chunk texts are still reused)."""
    here = Path(__file__).parent
    h = hashlib.sha1()
    for p in sorted(list(here.glob("*.py")) + list((here / "lexicon").glob("*"))):
        if p.name not in ("build.py", "store.py", "embedder.py", "e5_convert.py") and p.is_file():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:12]


PARSER_VERSION = _parser_version()
REPORT_SUFFIXES = {".txt", ".md", ".markdown", ".pdf"}
Progress = Callable[[str, int, int], None]  # (stage, done, total)


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
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"语料目录不存在 / corpus directory not found: {corpus_dir}")
    return sorted(p for p in corpus_dir.rglob("*")
                  if p.is_file() and p.suffix.lower() in REPORT_SUFFIXES and not p.name.startswith("."))


def text_hash(model_id: str, text: str) -> str:
    return hashlib.sha1(f"{model_id}\n{text}".encode("utf-8")).hexdigest()


class _Previous:
    """What the live version already has: reports by content hash, vectors by text hash."""

    def __init__(self, index_dir: Path, model_id: str, full: bool):
        self.version = None if full else store.current_version(index_dir)
        self.manifest: dict = {}
        self.reports: dict[str, dict] = {}  # content_hash -> report row
        self.vec_by_hash: dict[str, int] = {}
        self.vectors: Optional[np.ndarray] = None
        self.con = None
        if self.version is None:
            return
        try:
            self.manifest = store.read_manifest(self.version)
            store.verify(self.version, self.manifest)
        except store.IndexError_:
            self.version = None  # a damaged version is rebuilt from scratch, never reused
            return
        self.con = store.open_db(self.version / "meta.sqlite", readonly=True)
        if self.manifest.get("parser_version") == PARSER_VERSION:
            for row in self.con.execute("SELECT * FROM reports"):
                self.reports[row["content_hash"]] = dict(row)
        if self.manifest.get("model") == model_id:
            self.vectors = np.load(self.version / "vectors.npy", mmap_mode="r")
            for h, r in self.con.execute("SELECT text_hash, vec_row FROM chunks"):
                self.vec_by_hash[h] = r

    def report_rows(self, report_id: str, table: str) -> list[dict]:
        return [dict(r) for r in self.con.execute(f"SELECT * FROM {table} WHERE report_id=?", (report_id,))]


def build_index(corpus_dir: Path, index_dir: Path, *, full: bool = False, embedder=None,
                model_id: Optional[str] = None, progress: Optional[Progress] = None,
                wait: float = 0.0) -> dict:
    """Build or update the index; returns the contract's summary object."""
    from .parser import parse_file

    t0 = time.perf_counter()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    progress = progress or (lambda stage, done, total: None)
    if model_id is None:
        from .embedder import configured_model_id

        model_id = embedder.model_id if embedder is not None else configured_model_id()
    with build_lock(index_dir, wait=wait):
        store.cleanup(index_dir)
        prev = _Previous(index_dir, model_id, full)
        files = corpus_files(corpus_dir)

        # ---- read and parse what is new or changed
        reports: list[dict] = []  # per report: meta row + parsed or reused data
        seen_ids: set[str] = set()
        for i, path in enumerate(files):
            progress("parse", i, len(files))
            digest = store.sha256_file(path)
            old = prev.reports.get(digest)
            if old is not None and old["report_id"] not in seen_ids:
                entry = {"status": "unchanged", "report_id": old["report_id"], "source_file": str(path),
                         "content_hash": digest, "old": old}
            else:
                parsed = parse_file(path)
                rid = parsed.report.report_id
                if rid in seen_ids:  # two files for one unit and year: keep both, distinctly
                    rid = f"{rid}-{digest[:6]}"
                    parsed.report.report_id = rid
                    for f in parsed.facts:
                        f.report_id = rid
                parsed.report.source_file = str(path)
                entry = {"status": "new", "report_id": rid, "source_file": str(path),
                         "content_hash": digest, "parsed": parsed}
            seen_ids.add(entry["report_id"])
            reports.append(entry)
        progress("parse", len(files), len(files))

        previous_ids = {r["report_id"] for r in prev.reports.values()} if prev.version else set()
        if prev.version and not prev.reports:  # parser changed: every report counts as changed
            previous_ids = set(prev.manifest.get("reports", {}))
        added = sorted(e["report_id"] for e in reports if e["status"] == "new" and e["report_id"] not in previous_ids)
        changed = sorted(e["report_id"] for e in reports if e["status"] == "new" and e["report_id"] in previous_ids)
        unchanged = sorted(e["report_id"] for e in reports if e["status"] == "unchanged")
        removed = sorted(previous_ids - seen_ids)

        # ---- chunks, and which of them need a vector
        all_chunks: list[dict] = []
        all_facts: list[dict] = []
        all_checks: list[dict] = []
        report_rows: list[dict] = []
        now = dt.datetime.now().isoformat(timespec="seconds")
        for e in reports:
            if e["status"] == "unchanged":
                old = dict(e["old"])
                old["source_file"] = e["source_file"]
                report_rows.append(old)
                for c in prev.report_rows(e["report_id"], "chunks"):
                    all_chunks.append(c)
                all_facts += prev.report_rows(e["report_id"], "facts")
                all_checks += prev.report_rows(e["report_id"], "checks")
                continue
            parsed: ParsedReport = e["parsed"]
            chunks, row_chunk = chunk_report(parsed)
            for c in chunks:
                d = c.model_dump()
                d["ord"] = d.pop("order")
                d["text_hash"] = text_hash(model_id, c.embed_text)
                all_chunks.append(d)
            for f, (ti, ri, *_) in zip(parsed.facts, numeric_cells(parsed.tables)):
                all_facts.append({
                    "report_id": e["report_id"], "chunk_id": row_chunk.get((ti, ri)),
                    "tbl": f.table, "table_title": f.table_title, "row_code": f.row_code, "row_name": f.row_name,
                    "col": f.column, "value": f.value, "raw": f.raw, "unit": f.unit, "line": f.line,
                    "line_end": f.line_end, "uncertain": int(f.uncertain)})
            for ck in parsed.checks:
                all_checks.append({"report_id": e["report_id"], "tbl": ck.table, "rule": ck.rule,
                                   "holds": int(ck.holds), "detail": ck.detail, "diff": ck.diff})
            m = parsed.report
            report_rows.append({
                "report_id": e["report_id"], "unit_name": m.unit_name, "region": m.region, "year": m.year,
                "title": m.title, "source_file": e["source_file"], "content_hash": e["content_hash"],
                "indexed_at": now, "sections": len(parsed.sections), "tables": len(parsed.tables),
                "rows": sum(len(t.rows) for t in parsed.tables), "chunks": len(chunks),
                "facts": len(parsed.facts), "parsed": parsed.model_dump_json()})

        # ---- vectors: cached ones copied, missing ones embedded
        need = [i for i, c in enumerate(all_chunks) if c["text_hash"] not in prev.vec_by_hash]
        unique_need: dict[str, int] = {}
        for i in need:
            unique_need.setdefault(all_chunks[i]["text_hash"], i)
        new_vecs: dict[str, np.ndarray] = {}
        if unique_need:
            if embedder is None:
                from .embedder import load_embedder

                embedder = load_embedder()
            order = list(unique_need.items())
            texts = [all_chunks[i]["embed_text"] for _, i in order]
            vecs = _embed(embedder, texts, progress)
            new_vecs = {h: vecs[k] for k, (h, _) in enumerate(order)}
        dim = (embedder.dim if embedder is not None else int(prev.manifest.get("dim", 0)))
        vectors = np.zeros((len(all_chunks), dim), dtype=np.float32)
        for i, c in enumerate(all_chunks):
            h = c["text_hash"]
            vectors[i] = new_vecs[h] if h in new_vecs else prev.vectors[prev.vec_by_hash[h]]
            c["vec_row"] = i

        # ---- write the new version and swap it in
        progress("write", 0, 1)
        tmp = store.new_tmp_dir(index_dir)
        tokenizer = Tokenizer(_extra_words(all_facts))
        _write_db(tmp / "meta.sqlite", report_rows, all_chunks, all_facts, all_checks)
        np.save(tmp / "vectors.npy", vectors)
        import faiss

        faiss.write_index(store.build_faiss(vectors, dim), str(tmp / "faiss.index"))
        _write_bm25(tmp / "bm25", tokenizer, [c["embed_text"] for c in all_chunks])
        (tmp / "words.json").write_text(json.dumps(tokenizer.words, ensure_ascii=False), encoding="utf-8")
        summary = {
            "added": added, "changed": changed, "removed": removed, "unchanged": unchanged,
            "chunks_total": len(all_chunks), "chunks_embedded": len(need),
            "facts_total": len(all_facts), "seconds": 0.0, "model": model_id,
        }
        manifest = {
            "schema": store.SCHEMA_VERSION, "parser_version": PARSER_VERSION, "model": model_id, "dim": dim,
            "created_at": now, "faiss": "flat" if len(all_chunks) < store.APPROX_THRESHOLD else "ivf",
            "reports": {r["report_id"]: {k: r[k] for k in ("source_file", "content_hash", "unit_name", "region",
                                                              "year", "chunks", "facts")} for r in report_rows},
            "summary": summary,
        }
        if prev.con is not None:
            prev.con.close()
        store.publish(index_dir, tmp, manifest)
        progress("write", 1, 1)
        summary["seconds"] = round(time.perf_counter() - t0, 3)
        return summary


def _embed(embedder, texts: list[str], progress: Progress, batch: int = 64) -> np.ndarray:
    out = []
    for start in range(0, len(texts), batch):
        progress("embed", start, len(texts))
        out.append(embedder.encode_passages(texts[start:start + batch]))
    progress("embed", len(texts), len(texts))
    return np.vstack(out).astype(np.float32)


def _extra_words(facts: list[dict]) -> list[str]:
    words = set()
    for f in facts:
        for w in (f["row_name"], f["col"], f["tbl"]):
            if w:
                words.update(p for p in w.split("/") if p)
    return sorted(words)


def _write_db(path: Path, reports: list[dict], chunks: list[dict], facts: list[dict], checks: list[dict]) -> None:
    con = store.open_db(path)
    con.executescript(store.SCHEMA)
    cols = ["report_id", "unit_name", "region", "year", "title", "source_file", "content_hash", "indexed_at",
            "sections", "tables", "rows", "chunks", "facts", "parsed"]
    con.executemany(f"INSERT INTO reports VALUES ({','.join('?' * len(cols))})", [[r[c] for c in cols] for r in reports])
    ccols = ["chunk_id", "report_id", "kind", "text", "embed_text", "section", "line_start", "line_end", "ord",
             "vec_row", "text_hash"]
    con.executemany(f"INSERT INTO chunks VALUES ({','.join('?' * len(ccols))})", [[c[k] for k in ccols] for c in chunks])
    fcols = ["report_id", "chunk_id", "tbl", "table_title", "row_code", "row_name", "col", "value", "raw", "unit",
             "line", "line_end", "uncertain"]
    con.executemany(f"INSERT INTO facts VALUES ({','.join('?' * len(fcols))})", [[f[k] for k in fcols] for f in facts])
    kcols = ["report_id", "tbl", "rule", "holds", "detail", "diff"]
    con.executemany(f"INSERT INTO checks VALUES ({','.join('?' * len(kcols))})", [[k[c] for c in kcols] for k in checks])
    con.commit()
    con.close()


def _write_bm25(path: Path, tokenizer: Tokenizer, texts: list[str]) -> None:
    import bm25s

    tokens = tokenizer.batch(texts)
    retriever = bm25s.BM25()
    # bm25s cannot index an empty corpus or empty documents
    retriever.index([t or ["∅"] for t in tokens] or [["∅"]], show_progress=False)
    retriever.save(str(path))
