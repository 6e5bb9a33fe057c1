"""The embedded default backend: one version directory per build (`indexer.store` describes the
layout), SQLite for rows, FAISS for vectors, bm25s for BM25, switched in by renaming CURRENT.

Per-report writes (`replace_report`, `delete_report`) copy the live version with that report's
rows changed and publish it as a new version: atomic, and at this backend's scale (a city or a
province on one machine) cheap next to embedding.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np

from .. import store
from ..tokenize import Tokenizer
from .base import CHUNK_COLUMNS, REPORT_COLUMNS, SLACK, BuildData, Ranking, ReportData, ordered
from .rows import insert_sql

def write_db(path: Path, reports: list[dict], chunks: list[dict], facts: list[dict], checks: list[dict]) -> None:
    con = store.open_db(path)
    con.executescript(store.SCHEMA)
    for table, columns, rows in (("reports", REPORT_COLUMNS, reports), ("chunks", CHUNK_COLUMNS, chunks),
                                 ("facts", store.FACT_COLUMNS, facts), ("checks", store.CHECK_COLUMNS, checks)):
        con.executemany(insert_sql(table, columns), [[r.get(c) for c in columns] for r in rows])
    con.commit()
    con.close()


def write_bm25(path: Path, tokenizer: Tokenizer, texts: list[str]) -> None:
    import bm25s

    tokens = tokenizer.batch(texts)
    retriever = bm25s.BM25()
    # bm25s cannot index an empty corpus or empty documents
    retriever.index([t or ["∅"] for t in tokens] or [["∅"]], show_progress=False)
    retriever.save(str(path))


class FaissDirReader:
    """One version directory, verified, with FAISS and BM25 in memory."""

    def __init__(self, version: Path, verify: bool = True):
        import bm25s
        import faiss

        self.version_dir = version
        self.version = version.name
        self.manifest = store.read_manifest(version)
        if verify:
            store.verify(version, self.manifest)
        self.con = store.open_db(version / "meta.sqlite", readonly=True)
        faiss.omp_set_num_threads(1)  # one query at a time: OpenMP threads only add overhead (bench/)
        try:
            self.faiss = faiss.read_index(str(version / "faiss.index"))
            if hasattr(self.faiss, "nprobe"):
                self.faiss.nprobe = max(8, getattr(self.faiss, "nlist", 64) // 16)
            self.bm25 = bm25s.BM25.load(str(version / "bm25"))
            self._words = json.loads((version / "words.json").read_text(encoding="utf-8"))
        except Exception as exc:
            raise store.IndexCorrupt(f"索引文件无法读取 / index files unreadable in {version}: {exc}; "
                                     f"rebuild with: reportqa index --full") from exc
        self.chunk_report = np.array([r for (r,) in self.con.execute("SELECT report_id FROM chunks ORDER BY vec_row")],
                                     dtype=object)

    def _rows(self, sql: str, args: tuple = ()) -> list[dict]:
        return [dict(r) for r in self.con.execute(sql, args)]

    def report_rows(self) -> list[dict]:
        return self._rows("SELECT * FROM reports")

    def chunk_rows(self) -> list[dict]:
        return self._rows("SELECT * FROM chunks ORDER BY vec_row")

    def fact_rows(self) -> list[dict]:
        return self._rows("SELECT * FROM facts")

    def check_rows(self) -> list[dict]:
        return self._rows("SELECT * FROM checks")

    def parsed(self, report_id: str) -> str:
        row = self.con.execute("SELECT parsed FROM reports WHERE report_id=?", (report_id,)).fetchone()
        return row[0] if row else ""

    def report_table(self, table: str, report_id: str) -> list[dict]:
        return self._rows(f"SELECT * FROM {table} WHERE report_id=?", (report_id,))

    def words(self) -> list[str]:
        return list(self._words)

    def vectors(self, mmap: bool = False) -> np.ndarray:
        return np.load(self.version_dir / "vectors.npy", mmap_mode="r" if mmap else None)

    def _mask(self, report_ids: Optional[set[str]]) -> Optional[np.ndarray]:
        return None if not report_ids else np.isin(self.chunk_report, list(report_ids))

    def bm25_rank(self, tokens: list[str], report_ids: Optional[set[str]], k: int) -> Ranking:
        if not tokens or not len(self.chunk_report):
            return []
        scores = self.bm25.get_scores(tokens)
        mask = self._mask(report_ids)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        hit = np.nonzero(scores > 0)[0]
        if len(hit) > k + SLACK:
            hit = hit[np.argpartition(-scores[hit], k + SLACK)[:k + SLACK]]
        return ordered(((int(i), float(scores[i])) for i in hit), k)

    def dense_rank(self, qvec: np.ndarray, report_ids: Optional[set[str]], k: int) -> Ranking:
        import faiss

        if not len(self.chunk_report):
            return []
        params = None
        mask = self._mask(report_ids)
        if mask is not None:
            ids = np.nonzero(mask)[0].astype(np.int64)
            if not len(ids):
                return []
            sel = faiss.IDSelectorBatch(ids)
            ivf = hasattr(self.faiss, "nprobe")
            params = faiss.SearchParametersIVF(sel=sel) if ivf else faiss.SearchParameters(sel=sel)
            if ivf:
                params.nprobe = self.faiss.nprobe
        scores, idx = self.faiss.search(qvec.reshape(1, -1).astype(np.float32), k + SLACK, params=params)
        return ordered(((int(i), float(s)) for i, s in zip(idx[0], scores[0]) if i >= 0), k)

    def close(self) -> None:
        self.con.close()


class FaissDirBackend:
    name = "faiss"

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)

    def current(self) -> Optional[str]:
        version = store.current_version(self.index_dir)
        return version.name if version else None

    def open(self, verify: bool = True) -> FaissDirReader:
        version = store.current_version(self.index_dir)
        if version is None:
            raise store.IndexMissing(f"索引不存在 / no index in {self.index_dir}; build it with: reportqa index")
        return FaissDirReader(version, verify=verify)

    def cleanup(self) -> None:
        store.cleanup(self.index_dir)

    def publish(self, data: BuildData) -> str:
        """Write a complete version in a tmp folder and swap it in."""
        import faiss

        tmp = store.new_tmp_dir(self.index_dir)
        write_db(tmp / "meta.sqlite", data.reports, data.chunks, data.facts, data.checks)
        np.save(tmp / "vectors.npy", data.vectors)
        faiss.write_index(store.build_faiss(data.vectors, data.vectors.shape[1]), str(tmp / "faiss.index"))
        write_bm25(tmp / "bm25", Tokenizer(data.words), [c["embed_text"] for c in data.chunks])
        (tmp / "words.json").write_text(json.dumps(data.words, ensure_ascii=False), encoding="utf-8")
        manifest = dict(data.manifest)
        manifest["faiss"] = "flat" if len(data.chunks) < store.APPROX_THRESHOLD else "ivf"
        return store.publish(self.index_dir, tmp, manifest).name

    def _rewrite(self, drop: str, add: Optional[ReportData]) -> str:
        """The live version without report `drop`, plus `add`, published as a new version."""
        from ..build import _extra_words  # the builder's word list, so words match a full build

        reader = self.open()
        try:
            vecs = reader.vectors()
            keep = [c for c in reader.chunk_rows() if c["report_id"] != drop]
            vectors = [vecs[c["vec_row"]] for c in keep]
            chunks = [dict(c) for c in keep]
            reports = [r for r in reader.report_rows() if r["report_id"] != drop]
            facts = [f for f in reader.fact_rows() if f["report_id"] != drop]
            checks = [c for c in reader.check_rows() if c["report_id"] != drop]
            manifest = dict(reader.manifest)
        finally:
            reader.close()
        if add is not None:
            chunks += [dict(c) for c in add.chunks]
            vectors += [add.vectors[c["vec_row"]] for c in add.chunks]
            reports.append(add.report)
            facts += add.facts
            checks += add.checks
        for i, c in enumerate(chunks):
            c["vec_row"] = i
        matrix = np.array(vectors, np.float32).reshape(len(chunks), int(manifest.get("dim", 0)))
        manifest["reports"] = {r["report_id"]: {k: r.get(k) for k in ("source_file", "content_hash", "unit_name",
                                                                       "region", "year", "chunks", "facts")}
                               for r in reports}
        return self.publish(BuildData(reports, chunks, facts, checks, matrix, _extra_words(facts), manifest))

    def replace_report(self, data: ReportData) -> str:
        return self._rewrite(data.report["report_id"], data)

    def delete_report(self, report_id: str) -> str:
        return self._rewrite(report_id, None)
