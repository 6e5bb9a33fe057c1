"""The live index in memory: reports, chunks, facts, and hybrid search through the index backend.

Loaded once per process (or per swapped-in version); with the faiss backend queries never touch the disk.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from indexer import store
from indexer.backends.base import RRF_K, rrf  # noqa: F401  (RRF_K: the fusion constant, re-exported)
from indexer.models import Fact, ParsedReport
from indexer.tokenize import Tokenizer

ROW_ORDINAL = re.compile(r"^[（(]?[一二三四五六七八九十\d]+[）)、.．]")  # "（一）" / "1." before a row name


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
    load_parsed: Optional[Callable[[], str]] = field(default=None, repr=False)  # backends that fetch it on use

    @property
    def parsed(self) -> ParsedReport:
        if self._parsed is None:
            if not self.parsed_json and self.load_parsed is not None:
                self.parsed_json = self.load_parsed()
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
    """One snapshot of the live index, read through its backend (`indexer.backends`).

    Reports, chunks, facts and checks are held in memory (fine for a city or a province: tens of
    thousands of chunks); searches go to the backend: FAISS and bm25s in this process for `faiss`,
    the Milvus collections for `milvus`. A national deployment on Milvus would keep only the
    report rows here and fetch chunk and fact rows by id or by report when a question needs them
    (`IndexReader.report_table`), as the search hits already come from the engine.
    """

    def __init__(self, index_dir: Path, verify: bool = True, backend=None):
        from indexer.backends import get_backend

        self.backend = backend or get_backend(Path(index_dir))
        reader = self.backend.open(verify=verify)
        self.reader = reader
        self.version = reader.version
        self.version_dir = getattr(reader, "version_dir", None)  # faiss only: the version directory
        self.manifest = reader.manifest
        self.model_id: str = self.manifest["model"]
        self.dim: int = int(self.manifest["dim"])
        self.reports: dict[str, ReportRec] = {}
        for r in reader.report_rows():
            self.reports[r["report_id"]] = ReportRec(
                report_id=r["report_id"], unit_name=r["unit_name"], region=r["region"], year=r["year"],
                title=r["title"], source_file=r["source_file"], indexed_at=r["indexed_at"],
                counts={k: r[k] for k in ("sections", "tables", "rows", "chunks", "facts")},
                parsed_json=r.get("parsed") or "", load_parsed=partial(reader.parsed, r["report_id"])
                if "parsed" not in r else None, **_json_columns(r, aliases=list, metadata_source=dict))
        self.chunks: list[ChunkRec] = [
            ChunkRec(c["chunk_id"], c["report_id"], c["kind"], c["text"], c["embed_text"], c["section"],
                     c["line_start"], c["line_end"], c["ord"], c["vec_row"], c.get("page"))
            for c in reader.chunk_rows()]
        # facts load back as the Fact the parser made, every stored field under its own name
        self.facts: list[Fact] = [store.load_fact(f) for f in reader.fact_rows()]
        self.checks = reader.check_rows()
        self.by_id = {c.chunk_id: c for c in self.chunks}
        self.by_report: dict[str, list[ChunkRec]] = {}
        for c in self.chunks:
            self.by_report.setdefault(c.report_id, []).append(c)
        for lst in self.by_report.values():
            lst.sort(key=lambda c: c.order)
        self.tokenizer = Tokenizer(reader.words())
        self.vocab = self._vocabulary()

    @property
    def faiss(self):
        """The FAISS index (faiss backend only; benchmarks read it)."""
        return self.reader.faiss

    @property
    def bm25(self):
        return self.reader.bm25

    @property
    def names(self):
        """The reports' name forms for resolving questions (computed once)."""
        if getattr(self, "_names", None) is None:
            from .resolve import NameIndex

            self._names = NameIndex(self.reports.values())
        return self._names

    def _vocabulary(self):
        """Domain terms a question can name: the lexicon's, the national economic classification's and its
        functional 类 (培训费, 农林水支出 stated in a sentence of a report without that row) and every row
        and column name indexed."""
        from indexer.lexicon import classification, longest_first
        from indexer.tokenize import base_terms

        national = classification()
        terms = set(base_terms()) | set(national["economic"].values()) \
            | {name for code, name in national["function"].items() if len(code) == 3}  # the 类 (农林水支出)
        for f in self.facts:
            terms.add(ROW_ORDINAL.sub("", f.row_name))
            terms.update(f.column.split("/"))
        terms = {re.sub(r"[\s“”\"]", "", t) for t in terms}
        columns = {re.sub(r"[\s“”\"]", "", f.column.split("/")[-1]) for f in self.facts if f.kind == "table"}
        from .words import Vocabulary

        return Vocabulary(longest_first(t for t in terms if 3 <= len(t) <= 16),
                          columns=longest_first(c for c in columns if 2 <= len(c) <= 12),
                          tag=self.tokenizer.tagged)

    # ---------------------------------------------------------------- search
    def mask(self, report_ids: Optional[set[str]]) -> Optional[set[str]]:
        """The restriction `bm25_rank` and `dense_rank` take: the report ids, None for all reports."""
        return set(report_ids) if report_ids else None

    def bm25_rank(self, query: str, mask: Optional[set[str]], k: int) -> list[tuple[int, float]]:
        tokens = self.tokenizer.tokens(query)
        if not tokens or not self.chunks:
            return []
        return self.reader.bm25_rank(tokens, mask, k)

    def dense_rank(self, qvec: np.ndarray, mask: Optional[set[str]], k: int) -> list[tuple[int, float]]:
        if not self.chunks:
            return []
        return self.reader.dense_rank(qvec, mask, k)

    def hybrid(self, query: str, qvec: Optional[np.ndarray], report_ids: Optional[set[str]] = None,
               k: int = 10, depth: int = 50) -> list[tuple[ChunkRec, float]]:
        """Reciprocal-rank fusion of BM25 and dense rankings, filtered to `report_ids`."""
        mask = self.mask(report_ids)
        rankings = [self.bm25_rank(query, mask, depth)]
        if qvec is not None:
            rankings.append(self.dense_rank(qvec, mask, depth))
        return [(self.chunks[i], s) for i, s in rrf(rankings, k)]

    def neighbours(self, chunk_id: str) -> tuple[Optional[str], Optional[str]]:
        c = self.by_id.get(chunk_id)
        if c is None:
            return None, None
        lst = self.by_report[c.report_id]
        pos = next(i for i, x in enumerate(lst) if x.chunk_id == chunk_id)
        prev_id = lst[pos - 1].chunk_id if pos > 0 else None
        next_id = lst[pos + 1].chunk_id if pos + 1 < len(lst) else None
        return prev_id, next_id
