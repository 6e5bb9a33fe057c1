"""What the builder and the retriever need from an index, whatever stores it.

A backend (`IndexBackend`) publishes a whole build as one new version and switches readers to it
atomically, replaces or deletes one report atomically, and opens the live version for reading
(`IndexReader`). A reader is one consistent snapshot: report, chunk, fact and check rows, the
vectors, the tokenizer's words, and the two rankings the hybrid search fuses (BM25 and dense,
both restricted to report ids). Fusion (`rrf`) is done here, the same for every backend, so
the same rankings give the same answers.

Rows are plain dicts: reports and chunks as `indexer.store.SCHEMA` names them, facts and checks
under the field names of `Fact` and `Check` (`indexer.backends.rows`). Chunk `vec_row` is the
chunk's row in the vector matrix and its position in the reader's chunk list.

Backends: `faiss` (`faiss_dir`: a version directory with SQLite, FAISS and bm25s; the embedded
default) and `milvus` (`milvus`: pymilvus' MilvusClient against milvus-lite or a server).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Protocol, Sequence

import numpy as np

RRF_K = 60
REPORT_COLUMNS = ["report_id", "unit_name", "region", "year", "title", "source_file", "content_hash",
                  "indexed_at", "sections", "tables", "rows", "chunks", "facts", "parsed", "text_meta", "aliases",
                  "metadata_source"]
CHUNK_COLUMNS = ["chunk_id", "report_id", "kind", "text", "embed_text", "section", "line_start", "line_end", "ord",
                 "vec_row", "text_hash", "page"]
Ranking = list[tuple[int, float]]  # (vec_row, score), best first


@dataclass
class BuildData:
    """One complete index version as the builder made it."""

    reports: list[dict]
    chunks: list[dict]  # vec_row set: row i of `vectors`
    facts: list[dict]
    checks: list[dict]
    vectors: np.ndarray
    words: list[str]  # the tokenizer's extra words (`indexer.tokenize.Tokenizer.words`)
    manifest: dict = field(default_factory=dict)  # schema, parser_version, model, dim, reports, summary …


@dataclass
class ReportData:
    """One report's rows for `replace_report`; chunk `vec_row` indexes `vectors`."""

    report: dict
    chunks: list[dict]
    facts: list[dict]
    checks: list[dict]
    vectors: np.ndarray


class IndexReader(Protocol):
    version: str
    manifest: dict

    def report_rows(self) -> list[dict]: ...  # "parsed" may be left out: parsed(report_id) fetches it
    def parsed(self, report_id: str) -> str: ...  # the report's parse tree (ParsedReport JSON)
    def chunk_rows(self) -> list[dict]: ...  # ordered by vec_row (0, 1, 2 …)
    def fact_rows(self) -> list[dict]: ...
    def check_rows(self) -> list[dict]: ...
    def report_table(self, table: str, report_id: str) -> list[dict]: ...  # one report's chunks|facts|checks
    def words(self) -> list[str]: ...
    def vectors(self, mmap: bool = False) -> np.ndarray: ...  # row i = chunk with vec_row i
    def bm25_rank(self, tokens: list[str], report_ids: Optional[set[str]], k: int) -> Ranking: ...
    def dense_rank(self, qvec: np.ndarray, report_ids: Optional[set[str]], k: int) -> Ranking: ...
    def close(self) -> None: ...


class IndexBackend(Protocol):
    name: str

    def current(self) -> Optional[str]: ...  # live version name, None when there is none
    def open(self, verify: bool = True) -> IndexReader: ...  # raises store.IndexMissing / IndexCorrupt
    def publish(self, data: BuildData) -> str: ...  # whole build, switched in atomically; new version
    def replace_report(self, data: ReportData) -> str: ...  # add or replace one report atomically
    def delete_report(self, report_id: str) -> str: ...
    def cleanup(self) -> None: ...  # abandoned partial builds and old versions


SLACK = 32  # hits fetched beyond k, so the order at the k-th place is decided the same way everywhere


def _sig(score: float) -> float:
    """The score to 6 significant digits: engines sum float32 products in different orders, and
    those last bits must not reorder near-equal hits differently on each backend."""
    return float(f"{score:.6g}")


def ordered(hits: Iterable[tuple[int, float]], k: int) -> Ranking:
    """A ranking in one order for every backend: score (6 significant digits) descending, ties by
    vec_row. Callers pass the best k + SLACK hits or more."""
    return sorted(hits, key=lambda h: (-_sig(h[1]), h[0]))[:k]


def rrf(rankings: Sequence[Ranking], k: int) -> Ranking:
    """Reciprocal-rank fusion; scores scaled so a chunk first in two rankings scores 1.0."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (row, _) in enumerate(ranking):
            fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank + 1)
    best = sorted(fused.items(), key=lambda x: -x[1])[:k]
    top = 2.0 / (RRF_K + 1)
    return [(row, s / top) for row, s in best]


def get_backend(index_dir: Path, name: Optional[str] = None, uri: Optional[str] = None) -> IndexBackend:
    """The configured backend (`REPORTQA_BACKEND`, `REPORTQA_MILVUS_URI`) for `index_dir`, which
    always holds the build lock; the faiss backend also keeps its versions there."""
    if name is None or (name == "milvus" and uri is None):
        from indexer.settings import current

        s = current()
        name = name or s.backend
        uri = uri or s.milvus_uri
    if name == "faiss":
        from .faiss_dir import FaissDirBackend

        return FaissDirBackend(Path(index_dir))
    if name == "milvus":
        from .milvus import MilvusBackend

        return MilvusBackend(Path(index_dir), uri or str(Path(index_dir) / "milvus.db"))
    raise ValueError(f"未知的索引后端 / unknown index backend {name!r}; use faiss or milvus")
