"""The live index in memory: verified files, chunks, facts, FAISS, BM25, and hybrid search.

Loaded once per process (or per swapped-in version); queries never touch the disk.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from indexer import store
from indexer.models import Fact, ParsedReport
from indexer.tokenize import Tokenizer

RRF_K = 60


@dataclass
class ChunkRec:
    chunk_id: str
    report_id: str
    kind: str
    text: str
    embed_text: str
    section: str
    line_start: int
    line_end: int
    order: int
    row: int  # position in `chunks` = row in the vector matrix
    page: Optional[int] = None  # 1-based PDF page of line_start (None for text reports)


@dataclass
class ReportRec:
    report_id: str
    unit_name: Optional[str]
    region: Optional[str]
    year: Optional[int]
    title: str
    source_file: str
    indexed_at: str
    counts: dict
    parsed_json: str = field(repr=False, default="")
    aliases: list[str] = field(default_factory=list)  # short names the report answers to
    metadata_source: dict[str, str] = field(default_factory=dict)  # text | file name | override, per field
    _parsed: Optional[ParsedReport] = field(default=None, repr=False)

    @property
    def parsed(self) -> ParsedReport:
        if self._parsed is None:
            self._parsed = ParsedReport.model_validate_json(self.parsed_json)
        return self._parsed


def _json_columns(row, **kinds) -> dict:
    """JSON-valued columns of a row (absent in indexes written before they existed: empty)."""
    out = {}
    for name, kind in kinds.items():
        try:
            value = json.loads(row[name]) if name in row.keys() and row[name] else kind()
        except ValueError:
            value = kind()
        out[name] = value if isinstance(value, kind) else kind()
    return out


class LoadedIndex:
    def __init__(self, index_dir: Path, verify: bool = True):
        import bm25s
        import faiss

        index_dir = Path(index_dir)
        version = store.current_version(index_dir)
        if version is None:
            raise store.IndexMissing(f"索引不存在 / no index in {index_dir}; build it with: reportqa index")
        self.version_dir = version
        self.version = version.name
        self.manifest = store.read_manifest(version)
        if verify:
            store.verify(version, self.manifest)
        self.model_id: str = self.manifest["model"]
        self.dim: int = int(self.manifest["dim"])
        con = store.open_db(version / "meta.sqlite", readonly=True)
        try:
            self.reports: dict[str, ReportRec] = {}
            for r in con.execute("SELECT * FROM reports"):
                self.reports[r["report_id"]] = ReportRec(
                    report_id=r["report_id"], unit_name=r["unit_name"], region=r["region"], year=r["year"],
                    title=r["title"], source_file=r["source_file"], indexed_at=r["indexed_at"],
                    counts={k: r[k] for k in ("sections", "tables", "rows", "chunks", "facts")},
                    parsed_json=r["parsed"], **_json_columns(r, aliases=list, metadata_source=dict))
            self.chunks: list[ChunkRec] = [
                ChunkRec(c["chunk_id"], c["report_id"], c["kind"], c["text"], c["embed_text"], c["section"],
                         c["line_start"], c["line_end"], c["ord"], c["vec_row"],
                         c["page"] if "page" in c.keys() else None)
                for c in con.execute("SELECT * FROM chunks ORDER BY vec_row")]
            # facts load back as the Fact the parser made (validated when written)
            # facts load back as the Fact the parser made, every stored field under its own name
            self.facts: list[Fact] = [store.load_fact(f) for f in con.execute("SELECT * FROM facts")]
            self.checks = [dict(c) for c in con.execute("SELECT * FROM checks")]
        finally:
            con.close()
        self.by_id = {c.chunk_id: c for c in self.chunks}
        self.by_report: dict[str, list[ChunkRec]] = {}
        for c in self.chunks:
            self.by_report.setdefault(c.report_id, []).append(c)
        for lst in self.by_report.values():
            lst.sort(key=lambda c: c.order)
        self.chunk_report = np.array([c.report_id for c in self.chunks], dtype=object)
        faiss.omp_set_num_threads(1)  # one query at a time: OpenMP threads only add overhead (bench/)
        try:
            self.faiss = faiss.read_index(str(version / "faiss.index"))
            if hasattr(self.faiss, "nprobe"):
                self.faiss.nprobe = max(8, getattr(self.faiss, "nlist", 64) // 16)
            self.bm25 = bm25s.BM25.load(str(version / "bm25"))
            words = json.loads((version / "words.json").read_text(encoding="utf-8"))
        except Exception as exc:
            raise store.IndexCorrupt(f"索引文件无法读取 / index files unreadable in {version}: {exc}; "
                                     f"rebuild with: reportqa index --full") from exc
        self.tokenizer = Tokenizer(words)
        self.vocab = self._vocabulary()

    @property
    def names(self):
        """The reports' name forms for resolving questions (computed once)."""
        if getattr(self, "_names", None) is None:
            from .resolve import NameIndex

            self._names = NameIndex(self.reports.values())
        return self._names

    def _vocabulary(self):
        """Domain terms a question can name: the lexicon's and every row and column name indexed."""
        import re

        from indexer.tokenize import base_terms

        terms = set(base_terms())
        for f in self.facts:
            terms.add(re.sub(r"^[（(]?[一二三四五六七八九十\d]+[）)、.．]", "", f.row_name))
            terms.update(f.column.split("/"))
        terms = {re.sub(r"[\s“”\"]", "", t) for t in terms}
        from .query import Vocabulary

        return Vocabulary(sorted((t for t in terms if 3 <= len(t) <= 16), key=len, reverse=True))

    # ---------------------------------------------------------------- search
    def mask(self, report_ids: Optional[set[str]]) -> Optional[np.ndarray]:
        if not report_ids:
            return None
        return np.isin(self.chunk_report, list(report_ids))

    def bm25_rank(self, query: str, mask: Optional[np.ndarray], k: int) -> list[tuple[int, float]]:
        tokens = self.tokenizer.tokens(query)
        if not tokens or not self.chunks:
            return []
        scores = self.bm25.get_scores(tokens)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores)[:k]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def dense_rank(self, qvec: np.ndarray, mask: Optional[np.ndarray], k: int) -> list[tuple[int, float]]:
        import faiss

        if not self.chunks:
            return []
        params = None
        if mask is not None:
            ids = np.nonzero(mask)[0].astype(np.int64)
            if not len(ids):
                return []
            sel = faiss.IDSelectorBatch(ids)
            params = faiss.SearchParametersIVF(sel=sel) if hasattr(self.faiss, "nprobe") else faiss.SearchParameters(sel=sel)
            if hasattr(self.faiss, "nprobe"):
                params.nprobe = self.faiss.nprobe
        scores, idx = self.faiss.search(qvec.reshape(1, -1).astype(np.float32), k, params=params)
        return [(int(i), float(s)) for i, s in zip(idx[0], scores[0]) if i >= 0]

    def hybrid(self, query: str, qvec: Optional[np.ndarray], report_ids: Optional[set[str]] = None,
               k: int = 10, depth: int = 50) -> list[tuple[ChunkRec, float]]:
        """Reciprocal-rank fusion of BM25 and dense rankings, filtered to `report_ids`."""
        mask = self.mask(report_ids)
        fused: dict[int, float] = {}
        for rank, (i, _) in enumerate(self.bm25_rank(query, mask, depth)):
            fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        if qvec is not None:
            for rank, (i, _) in enumerate(self.dense_rank(qvec, mask, depth)):
                fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted(fused.items(), key=lambda x: -x[1])[:k]
        top = 2.0 / (RRF_K + 1)
        return [(self.chunks[i], s / top) for i, s in best]

    def neighbours(self, chunk_id: str) -> tuple[Optional[str], Optional[str]]:
        c = self.by_id.get(chunk_id)
        if c is None:
            return None, None
        lst = self.by_report[c.report_id]
        pos = next(i for i, x in enumerate(lst) if x.chunk_id == chunk_id)
        prev_id = lst[pos - 1].chunk_id if pos > 0 else None
        next_id = lst[pos + 1].chunk_id if pos + 1 < len(lst) else None
        return prev_id, next_id
