"""embed → store: one index version on disk, written whole and swapped in atomically.

Layout of the index directory:
    CURRENT                 name of the live version (replaced atomically with os.replace)
    .lock                   held by the one running builder
    v-<time>-<rand>/        a complete version:
        manifest.json       schema, model, dimension, per-report hashes, sha256 of every file
        meta.sqlite         reports, chunks, facts, checks, parsed reports (JSON)
        vectors.npy         float32 (chunks × dim), row i = chunk with vec_row i
        faiss.index         exact inner product while small, IVF past APPROX_THRESHOLD vectors
        bm25/               bm25s index over jieba tokens
        words.json          the tokenizer's extra words (queries must cut text the same way)
A version is built in a tmp-* folder and renamed complete; a crash at any moment leaves CURRENT
pointing at the previous complete version.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from .fsutil import fsync_dir, sha256_file  # noqa: F401  (sha256_file is part of this module's API)
from .models import Check, Fact
from .backends.rows import model_columns, model_from_row, model_to_row, table_sql

SCHEMA_VERSION = 2  # 2: facts and checks stored under their model field names (was tbl/col)
APPROX_THRESHOLD = 20_000  # vectors; measured in bench/faiss_scale.py: exact search passes ~1% of the
# query floor here, IVF recall@10 >= 0.985 (bench/RESULTS.md)
KEEP_VERSIONS = 2
REQUIRED_FILES = ("meta.sqlite", "vectors.npy", "faiss.index", "words.json")  # plus bm25/*


class IndexError_(RuntimeError):
    """The index is missing, incomplete or corrupted; the message says how to fix it."""


class IndexMissing(IndexError_):
    pass


class IndexCorrupt(IndexError_):
    pass


def _files(root: Path) -> Iterator[Path]:
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != "manifest.json":
            yield p


# ------------------------------------------------------------------ versions
def current_version(index_dir: Path) -> Optional[Path]:
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    path = index_dir / name
    return path if name and path.is_dir() else None


def new_tmp_dir(index_dir: Path) -> Path:
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_dir / f"tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    return tmp


def publish(index_dir: Path, tmp: Path, manifest: dict) -> Path:
    """Seal a finished tmp folder (checksums into the manifest), rename it, point CURRENT at it."""
    manifest["files"] = {str(p.relative_to(tmp)): sha256_file(p) for p in _files(tmp)}
    with open(tmp / "manifest.json", "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    for p in _files(tmp):
        with open(p, "rb") as fh:
            os.fsync(fh.fileno())
    name = f"v-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    final = index_dir / name
    os.rename(tmp, final)
    fsync_dir(index_dir)
    pointer_tmp = index_dir / f"CURRENT.{uuid.uuid4().hex[:6]}"
    pointer_tmp.write_text(name, encoding="utf-8")
    with open(pointer_tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(pointer_tmp, index_dir / "CURRENT")
    fsync_dir(index_dir)
    cleanup(index_dir)
    return final


def cleanup(index_dir: Path) -> None:
    """Remove abandoned tmp folders and all but the newest KEEP_VERSIONS versions."""
    live = current_version(index_dir)
    versions = sorted((p for p in index_dir.glob("v-*") if p.is_dir()), key=lambda p: p.name)
    for old in versions[:-KEEP_VERSIONS]:
        if live is None or old.resolve() != live.resolve():
            shutil.rmtree(old, ignore_errors=True)
    for tmp in index_dir.glob("tmp-*"):
        # a tmp folder of a builder that died; a live builder holds the lock, so none is running
        shutil.rmtree(tmp, ignore_errors=True)
    for stale in index_dir.glob("CURRENT.*"):
        stale.unlink(missing_ok=True)


def read_manifest(version: Path) -> dict:
    try:
        return json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"索引清单损坏 / index manifest unreadable in {version}: {exc}. "
                           f"请重建 / rebuild with: reportqa index --full") from exc


def verify(version: Path, manifest: dict) -> None:
    """Every file present with the checksum recorded when it was written."""
    if manifest.get("schema") != SCHEMA_VERSION:
        raise IndexCorrupt(f"索引版本不符 / index schema {manifest.get('schema')} != {SCHEMA_VERSION}; "
                           f"rebuild with: reportqa index --full")
    files = manifest.get("files") or {}
    listed = set(files)
    missing = [f for f in REQUIRED_FILES if f not in listed]
    if missing or not any(f.startswith("bm25/") for f in listed):
        raise IndexCorrupt(f"索引清单不完整 / index manifest does not cover {missing or ['bm25/']}; "
                           f"rebuild with: reportqa index --full")
    for rel, digest in files.items():
        path = version / rel
        if not path.is_file():
            raise IndexCorrupt(f"索引文件缺失 / index file missing: {path}; rebuild with: reportqa index --full")
        if sha256_file(path) != digest:
            raise IndexCorrupt(f"索引文件校验失败 / index file checksum mismatch: {path}; "
                               f"rebuild with: reportqa index --full")


# ------------------------------------------------------------------ sqlite
# facts and checks are stored under their model field names: a new field of Fact or Check needs no edit here
FACT_COLUMNS = model_columns(Fact)
CHECK_COLUMNS = ["report_id"] + [c for c in model_columns(Check) if c != "report_id"]
SCHEMA = f"""
CREATE TABLE reports (report_id TEXT PRIMARY KEY, unit_name TEXT, region TEXT, year INTEGER,
    title TEXT, source_file TEXT, content_hash TEXT, indexed_at TEXT,
    sections INTEGER, tables INTEGER, rows INTEGER, chunks INTEGER, facts INTEGER, parsed TEXT,
    text_meta TEXT, aliases TEXT, metadata_source TEXT);
CREATE TABLE chunks (chunk_id TEXT PRIMARY KEY, report_id TEXT, kind TEXT, text TEXT, embed_text TEXT,
    section TEXT, line_start INTEGER, line_end INTEGER, ord INTEGER, vec_row INTEGER, text_hash TEXT,
    page INTEGER);
CREATE INDEX chunks_report ON chunks(report_id, ord);
{table_sql("facts", Fact)};
CREATE INDEX facts_report ON facts(report_id);
{table_sql("checks", Check, extra={"report_id": "TEXT"})};
"""


def fact_row(fact: Fact) -> dict:
    """A Fact as stored: every field under its own name."""
    return model_to_row(fact)


def check_row(report_id: str, check: Check) -> dict:
    return {"report_id": report_id, **model_to_row(check)}


def load_fact(row) -> Fact:
    """A stored fact row back as the Fact the parser made (validated when written)."""
    return model_from_row(Fact, row)


def open_db(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        con = sqlite3.connect(path, check_same_thread=False)
    con.row_factory = sqlite3.Row
    return con


# ------------------------------------------------------------------ vectors
def build_faiss(vectors: np.ndarray, dim: int):
    import faiss

    n = len(vectors)
    if n < APPROX_THRESHOLD:
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = int(4 * np.sqrt(n))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = vectors[rng.choice(n, size=min(n, nlist * 40), replace=False)]
        index.train(sample)
        index.nprobe = max(8, nlist // 16)
    if n:
        index.add(vectors)
    return index
