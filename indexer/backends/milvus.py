"""The Milvus backend: pymilvus' MilvusClient against milvus-lite (a local file) or a server.

Collections of one version `v` (prefix `reportqa`, docs/backends.md):
    <p>_<v>_chunks   one entity per chunk: rows, `vec` FLOAT_VECTOR (FLAT below
                     store.APPROX_THRESHOLD chunks, HNSW past it, inner product) and `sparse`
                     SPARSE_FLOAT_VECTOR (BM25 weights computed here from the project's jieba tokens)
    <p>_<v>_facts    one entity per Fact, one scalar field per Fact field (rows.field_kinds)
    <p>_<v>_checks   one entity per identity check
    <p>_<v>_reports  one entity per report (its parse tree, too long for a VARCHAR, in blobs)
    <p>_<v>_blobs    long texts split in parts: manifest, words, BM25 statistics, parse trees
`report_id` is the partition key of chunks, facts and checks. Collections without a vector of their
own carry a 2-d `_pad` vector: Milvus requires one vector field per collection.

Atomic swap: a build creates the five collections of a new version, fills and loads them, then
moves the alias `<p>_live` to its blobs collection (one alter_alias: readers see the old version or
the new one, never a mix). Readers resolve the alias once and read the version's collections by
name, so a reader holding the old version keeps working; versions beyond the newest KEEP_VERSIONS
are dropped after the switch, as are collections of builds that died before theirs.

Per-report writes inside the live version are atomic by generation: every entity carries `gen`;
new rows are written with a new gen, then the report entity (which names the live gen) is upserted
in one call, then the old rows are deleted. Readers keep only rows of their report's gen. BM25
statistics (documents, lengths, document frequencies) are updated for the new rows, but other
reports' weights keep the statistics of the last whole build until the next build publishes.

milvus-lite is an in-process server that one process at a time may open; a service that builds
while it answers runs builds in its own process (the jobs of `api/`), or uses a Milvus server.
"""
from __future__ import annotations

import json
import math
import time
import uuid
import zlib
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Optional

import numpy as np

from .. import store
from ..models import Check, Fact
from ..tokenize import Tokenizer
from .base import CHUNK_COLUMNS, REPORT_COLUMNS, SLACK, BuildData, Ranking, ReportData, ordered
from .rows import field_kinds

PREFIX = "reportqa"
KEEP_VERSIONS = 2
K1, B = 1.5, 0.75  # bm25s defaults (method "lucene"), so weights equal the faiss backend's
PART_CHARS = 16_000  # characters per VARCHAR part: at most 64 000 bytes of UTF-8
MAX_TEXT = 65_535
BATCH = 1_000
KINDS = ("chunks", "facts", "checks", "reports", "blobs")
ORDERED = ("facts", "checks", "reports")  # kinds whose row order the reader restores (chunks: by vec_row)
EMPTY_DOC = "∅"  # bm25s cannot index empty documents; the faiss backend uses the same placeholder


def term_id(token: str) -> int:
    """A stable sparse dimension for a token (Milvus sparse indices are uint32 below 2**32 - 1)."""
    return zlib.crc32(token.encode("utf-8")) % (2**32 - 1)


class BM25Stats:
    """Document count, total length and document frequencies: what a BM25 weight needs."""

    def __init__(self, docs: int = 0, length: int = 0, df: Optional[dict] = None):
        self.docs, self.length, self.df = docs, length, Counter(df or {})

    def add(self, docs: list[list[str]], sign: int = 1) -> None:
        for tokens in docs:
            self.docs += sign
            self.length += sign * len(tokens)
            for t in set(tokens):
                self.df[t] += sign

    def weights(self, tokens: list[str]) -> dict[int, float]:
        """The document's BM25 weight per term as bm25s ("lucene") computes it:
        idf · tf / (tf + k1·(1 − b + b·dl/avgdl)), idf = ln(1 + (N − df + 0.5) / (df + 0.5))."""
        avgdl = self.length / self.docs if self.docs else 1.0
        out: dict[int, float] = {}
        for t, tf in Counter(tokens).items():
            df = self.df[t]
            idf = math.log(1.0 + (self.docs - df + 0.5) / (df + 0.5))
            out[term_id(t)] = idf * tf / (tf + K1 * (1 - B + B * len(tokens) / avgdl))
        return out

    def to_json(self) -> str:
        return json.dumps({"docs": self.docs, "length": self.length, "df": dict(self.df)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "BM25Stats":
        d = json.loads(text)
        return cls(d["docs"], d["length"], d["df"])


def doc_tokens(tokenizer: Tokenizer, texts: list[str]) -> list[list[str]]:
    return [t or [EMPTY_DOC] for t in tokenizer.batch(texts)]


def query_vector(tokens: list[str]) -> dict[int, float]:
    """Each query token counts once per occurrence, as bm25s sums its scores."""
    return {term_id(t): float(n) for t, n in Counter(tokens).items()}


def _lit(values: Iterable[str]) -> str:
    return json.dumps(sorted(values), ensure_ascii=False)


# ------------------------------------------------------------------ schemas
def _schema(kind: str, dim: int):
    from pymilvus import DataType, MilvusClient

    s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=512)
    s.add_field("gen", DataType.INT64)
    text = dict(datatype=DataType.VARCHAR, max_length=MAX_TEXT)
    if kind == "chunks":
        s.add_field("report_id", DataType.VARCHAR, max_length=256, is_partition_key=True)
        for name in CHUNK_COLUMNS:
            if name == "report_id":
                continue
            if name in ("line_start", "line_end", "ord", "vec_row", "page"):
                s.add_field(name, DataType.INT64, nullable=name == "page")
            else:
                s.add_field(name, **text)
        s.add_field("vec", DataType.FLOAT_VECTOR, dim=dim)
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    elif kind in ("facts", "checks"):
        s.add_field("report_id", DataType.VARCHAR, max_length=256, is_partition_key=True)
        types = {"bool": DataType.BOOL, "int": DataType.INT64, "float": DataType.DOUBLE}
        for name, k in field_kinds(Fact if kind == "facts" else Check).items():
            if name != "report_id":
                s.add_field(name, types.get(k, DataType.VARCHAR), nullable=True,
                            **({"max_length": MAX_TEXT} if k in ("str", "json") else {}))
    elif kind == "reports":
        s.add_field("report_id", DataType.VARCHAR, max_length=256)
        for name in REPORT_COLUMNS:
            if name not in ("report_id", "parsed"):
                int_col = name in ("year", "sections", "tables", "rows", "chunks", "facts")
                s.add_field(name, DataType.INT64 if int_col else DataType.VARCHAR, nullable=True,
                            **({} if int_col else {"max_length": MAX_TEXT}))
    else:  # blobs
        s.add_field("key", DataType.VARCHAR, max_length=512)
        s.add_field("part", DataType.INT64)
        s.add_field("text", **text)
    if kind in ORDERED:
        s.add_field("seq", DataType.INT64)  # the build's order of rows, kept on reading
    if kind != "chunks":
        s.add_field("_pad", DataType.FLOAT_VECTOR, dim=2)
    return s


def _index_params(client, kind: str, n_chunks: int):
    ip = client.prepare_index_params()
    if kind == "chunks":
        if n_chunks < store.APPROX_THRESHOLD:
            ip.add_index("vec", index_type="FLAT", metric_type="IP")
        else:
            ip.add_index("vec", index_type="HNSW", metric_type="IP", params={"M": 16, "efConstruction": 200})
        ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP",
                     params={"inverted_index_algo": "TAAT_NAIVE"})
    else:
        ip.add_index("_pad", index_type="FLAT", metric_type="L2")
    return ip


def _text(value: Any, what: str) -> Any:
    if isinstance(value, str) and len(value) > PART_CHARS:
        raise ValueError(f"文本过长 / {what} longer than {PART_CHARS} characters cannot be stored in Milvus")
    return value


def _entities(kind: str, rows: list[dict], gen: int, extra: Optional[list[dict]] = None, seq: int = 0) -> list[dict]:
    out = []
    for i, r in enumerate(rows):
        e = {k: _text(v, f"{kind}.{k}") for k, v in r.items() if k != "parsed"}
        e["gen"] = gen
        if kind in ORDERED:
            e["seq"] = seq + i
        if kind == "chunks":
            e["pk"] = f"{gen}:{r['chunk_id']}"
        elif kind == "reports":
            e["pk"] = r["report_id"]
        elif kind == "blobs":
            e["pk"] = f"{r['key']}#{r['part']}"
        else:
            e["pk"] = f"{gen}:{r['report_id']}:{i}:{uuid.uuid4().hex[:8]}"
        if kind != "chunks":
            e["_pad"] = [0.0, 0.0]
        if extra is not None:
            e.update(extra[i])
        out.append(e)
    return out


def _blob_rows(key: str, text: str) -> list[dict]:
    parts = [text[i:i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [""]
    return [{"key": key, "part": i, "text": p} for i, p in enumerate(parts)]


def _fact_entity_rows(rows: list[dict], kind: str) -> list[dict]:
    """Fact and check rows with the report_id first; fields stored as their Milvus types."""
    kinds = field_kinds(Fact if kind == "facts" else Check)
    out = []
    for r in rows:
        e = dict(r)
        for name, k in kinds.items():
            if k == "bool" and e.get(name) is not None:
                e[name] = bool(e[name])
            elif k == "float" and e.get(name) is not None:
                e[name] = float(e[name])
        out.append(e)
    return out


# ------------------------------------------------------------------ backend
class MilvusBackend:
    name = "milvus"

    def __init__(self, index_dir: Path, uri: str, prefix: str = PREFIX):
        self.index_dir, self.uri, self.prefix = Path(index_dir), str(uri), prefix
        self._client = None

    @property
    def client(self):
        if self._client is None:
            from pymilvus import MilvusClient

            if "://" not in self.uri:  # milvus-lite: a local file
                Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
            try:
                self._client = MilvusClient(uri=self.uri)
            except Exception as exc:
                raise store.IndexMissing(f"无法连接 Milvus / cannot open Milvus at {self.uri}: {exc}") from exc
        return self._client

    def scan(self, name: str, flt: str, fields: list[str]) -> list[dict]:
        """Every entity matching `flt`: one query on milvus-lite, an iterator on a server (whose
        queries return at most 16 384 entities)."""
        if "://" not in self.uri:
            return [dict(r) for r in self.client.query(name, filter=flt or 'pk != ""', output_fields=fields)]
        it = self.client.query_iterator(name, batch_size=BATCH, filter=flt, output_fields=fields)
        out: list[dict] = []
        try:
            while batch := it.next():
                out += [dict(r) for r in batch]
        finally:
            it.close()
        return out

    @property
    def alias(self) -> str:
        return f"{self.prefix}_live"

    def _has_alias(self) -> bool:
        return self.alias in (self.client.list_aliases().get("aliases") or [])

    def collection(self, version: str, kind: str) -> str:
        return f"{self.prefix}_{version}_{kind}"

    def current(self) -> Optional[str]:
        if not self._has_alias():
            return None
        name = self.client.describe_alias(self.alias)["collection_name"]
        return name[len(self.prefix) + 1:-len("_blobs")]

    def versions(self) -> list[str]:
        """Versions with at least one collection, oldest first (names sort by time)."""
        out = set()
        for name in self.client.list_collections():
            for kind in KINDS:
                if name.startswith(self.prefix + "_v") and name.endswith("_" + kind):
                    out.add(name[len(self.prefix) + 1:-len(kind) - 1])
        return sorted(out)

    def open(self, verify: bool = True) -> "MilvusReader":
        version = self.current()
        if version is None:
            raise store.IndexMissing(f"索引不存在 / no index in Milvus at {self.uri}; "
                                     f"build it with: reportqa index")
        return MilvusReader(self, version, verify=verify)

    def cleanup(self) -> None:
        """Drop versions other than the live one and the newest KEEP_VERSIONS - 1 before it
        (versions after the live one are builds that died before their switch)."""
        live = self.current()
        versions = self.versions()
        keep = {live} if live else set()
        if live:
            keep.update([v for v in versions if v < live][-(KEEP_VERSIONS - 1):] if KEEP_VERSIONS > 1 else [])
        for v in versions:
            if v not in keep:
                for kind in KINDS:
                    if self.client.has_collection(self.collection(v, kind)):
                        self.client.drop_collection(self.collection(v, kind))

    # ---------------------------------------------------------- writes
    def _insert(self, name: str, entities: list[dict]) -> None:
        for start in range(0, len(entities), BATCH):
            self.client.insert(name, entities[start:start + BATCH])

    @staticmethod
    def _chunk_extra(vectors: np.ndarray, stats: BM25Stats, tokens: list[list[str]]) -> list[dict]:
        """Per chunk (in order): its dense vector and its BM25 weights."""
        return [{"vec": np.asarray(v, np.float32).tolist(), "sparse": stats.weights(t)}
                for v, t in zip(vectors, tokens)]

    def publish(self, data: BuildData) -> str:
        version = f"v{time.time_ns()}"  # names sort by time: cleanup tells older from newer
        tokens = doc_tokens(Tokenizer(data.words), [c["embed_text"] for c in data.chunks])
        stats = BM25Stats()
        stats.add(tokens)
        if len({term_id(t) for t in stats.df}) != len(stats.df):
            raise RuntimeError("BM25 term ids collide; change milvus.term_id")
        dense = "FLAT" if len(data.chunks) < store.APPROX_THRESHOLD else "HNSW"
        lite = "://" not in self.uri
        manifest = dict(data.manifest, milvus={"version": version, "server": "lite" if lite else "milvus",
                                                "dense_index": dense})
        blobs = (_blob_rows("manifest", json.dumps(manifest, ensure_ascii=False))
                 + _blob_rows("words", json.dumps(data.words, ensure_ascii=False))
                 + _blob_rows("bm25", stats.to_json()))
        for r in data.reports:
            blobs += _blob_rows(f"parsed:{r['report_id']}:1", r.get("parsed") or "")
        rows = {"chunks": _entities("chunks", data.chunks, 1,
                                    self._chunk_extra(data.vectors[[c["vec_row"] for c in data.chunks]],
                                                      stats, tokens)),
                "facts": _entities("facts", _fact_entity_rows(data.facts, "facts"), 1),
                "checks": _entities("checks", _fact_entity_rows(data.checks, "checks"), 1),
                "reports": _entities("reports", data.reports, 1),
                "blobs": _entities("blobs", blobs, 1)}
        dim = int(data.vectors.shape[1]) if data.vectors.ndim == 2 and data.vectors.shape[1] else 1
        for kind in KINDS:
            name = self.collection(version, kind)
            self.client.create_collection(name, schema=_schema(kind, dim),
                                          index_params=_index_params(self.client, kind, len(data.chunks)))
            self._insert(name, rows[kind])
            self.client.flush(name)  # sealed segments: their indexes are built once, not per search
            self.client.load_collection(name)
        blobs_name = self.collection(version, "blobs")
        if self._has_alias():
            self.client.alter_alias(blobs_name, self.alias)  # the switch: one call
        else:
            self.client.create_alias(blobs_name, self.alias)
        self.cleanup()
        return version

    def replace_report(self, data: ReportData) -> str:
        """New rows under a new generation, then the report entity switched to it, then old rows dropped."""
        reader = self.open()  # a write starts from a verified version
        v, rid = reader.version, data.report["report_id"]
        gen = time.time_ns() // 1000  # unique per write: rows of a write that died are never revived
        stats = BM25Stats.from_json(reader.blob("bm25"))
        tokenizer = Tokenizer(reader.words())
        if rid in reader.gens:
            stats.add(doc_tokens(tokenizer, [c["embed_text"] for c in reader.report_table("chunks", rid)]), -1)
        tokens = doc_tokens(tokenizer, [c["embed_text"] for c in data.chunks])
        stats.add(tokens)
        base = max((c["vec_row"] for c in reader.chunk_rows()), default=-1) + 1
        chunks = [dict(c, vec_row=base + i) for i, c in enumerate(data.chunks)]
        vecs = data.vectors[[c["vec_row"] for c in data.chunks]] if chunks else data.vectors[:0]
        self._insert(self.collection(v, "chunks"),
                     _entities("chunks", chunks, gen, self._chunk_extra(vecs, stats, tokens)))
        for kind, rows in (("facts", data.facts), ("checks", data.checks)):
            self._insert(self.collection(v, kind), _entities(kind, _fact_entity_rows(rows, kind), gen, seq=gen))
        self._insert(self.collection(v, "blobs"),
                     _entities("blobs", _blob_rows(f"parsed:{rid}:{gen}", data.report.get("parsed") or ""), gen))
        # the switch: the report entity names the new generation
        self.client.upsert(self.collection(v, "reports"), _entities("reports", [data.report], gen, seq=gen))
        self._write_meta(reader, stats, data.report, rid)
        self._drop_rows(v, rid, keep_gen=gen)
        return v

    def delete_report(self, report_id: str) -> str:
        reader = self.open()  # a write starts from a verified version
        v = reader.version
        if report_id not in reader.gens:
            return v
        stats = BM25Stats.from_json(reader.blob("bm25"))
        old = reader.report_table("chunks", report_id)
        stats.add(doc_tokens(Tokenizer(reader.words()), [c["embed_text"] for c in old]), -1)
        self.client.delete(self.collection(v, "reports"), ids=[report_id])  # the switch
        self._write_meta(reader, stats, None, report_id)
        self._drop_rows(v, report_id, keep_gen=None)
        return v

    def _write_meta(self, reader: "MilvusReader", stats: BM25Stats, report: Optional[dict], drop: str) -> None:
        """BM25 statistics and the manifest's report list after a per-report write."""
        manifest = dict(reader.manifest)
        reports = dict(manifest.get("reports") or {})
        reports.pop(drop, None)
        if report is not None:
            reports[report["report_id"]] = {k: report.get(k) for k in ("source_file", "content_hash", "unit_name",
                                                                         "region", "year", "chunks", "facts")}
        manifest["reports"] = reports
        for key, text in (("bm25", stats.to_json()), ("manifest", json.dumps(manifest, ensure_ascii=False))):
            name = self.collection(reader.version, "blobs")
            parts = _blob_rows(key, text)
            self.client.upsert(name, _entities("blobs", parts, 1))  # same keys: replaced part by part
            self.client.delete(name, filter=f"key == {json.dumps(key)} and part >= {len(parts)}")

    def _drop_rows(self, version: str, report_id: str, keep_gen: Optional[int]) -> None:
        """Delete a report's rows (all, or all but generation `keep_gen`)."""
        keep = f" and gen != {keep_gen}" if keep_gen is not None else ""
        for kind in ("chunks", "facts", "checks"):
            self.client.delete(self.collection(version, kind),
                               filter=f"report_id == {json.dumps(report_id, ensure_ascii=False)}{keep}")
        pattern = json.dumps(f"parsed:{report_id}:%", ensure_ascii=False)
        self.client.delete(self.collection(version, "blobs"), filter=f"key like {pattern}{keep}")


# ------------------------------------------------------------------ reader
HIDDEN = ("pk", "gen", "_pad", "vec", "sparse")


def _in_order(rows: list[dict]) -> list[dict]:
    rows.sort(key=lambda r: r["seq"])
    for r in rows:
        del r["seq"]
    return rows


class MilvusReader:
    """One version's collections, resolved once; rows of each report's live generation only."""

    def __init__(self, backend: MilvusBackend, version: str, verify: bool = True):
        self.backend, self.client, self.version = backend, backend.client, version
        self.names = {kind: backend.collection(version, kind) for kind in KINDS}
        missing = [n for n in self.names.values() if not self.client.has_collection(n)]
        if missing:
            raise store.IndexCorrupt(f"索引不完整 / Milvus collections missing: {missing}; "
                                     f"rebuild with: reportqa index --full")
        for name in self.names.values():
            self.client.load_collection(name)  # released after a restart (milvus-lite); a no-op when loaded
        try:
            self.manifest = json.loads(self.blob("manifest"))
        except ValueError as exc:
            raise store.IndexCorrupt(f"索引清单损坏 / index manifest unreadable in Milvus version {version}: "
                                     f"{exc}. "
                                     f"请重建 / rebuild with: reportqa index --full") from exc
        if verify and self.manifest.get("schema") != store.SCHEMA_VERSION:
            raise store.IndexCorrupt(f"索引版本不符 / index schema {self.manifest.get('schema')} != "
                                     f"{store.SCHEMA_VERSION}; rebuild with: reportqa index --full")
        self._reports = {r["report_id"]: r for r in _in_order(self._query("reports", hidden=("gen",)))}
        self.gens = {rid: r.pop("gen") for rid, r in self._reports.items()}
        chunks = sorted(self._live(self._query("chunks", hidden=("pk", "gen"))), key=lambda c: c["vec_row"])
        self._pk_row: dict[str, int] = {}
        for i, c in enumerate(chunks):
            self._pk_row[c.pop("pk")] = i
            c["vec_row"] = i
        self._chunks = chunks
        self.chunk_report = np.array([c["report_id"] for c in chunks], dtype=object)
        self._words: Optional[list[str]] = None

    # ---------------------------------------------------------- rows
    def _query(self, kind: str, flt: str = "", hidden: tuple = ()) -> list[dict]:
        fields = [f["name"] for f in self.client.describe_collection(self.names[kind])["fields"]
                  if f["name"] not in HIDDEN or f["name"] in hidden]
        return self.backend.scan(self.names[kind], flt, fields)

    def _live(self, rows: list[dict]) -> list[dict]:
        out = []
        for r in rows:
            if self.gens.get(r["report_id"]) == r.pop("gen", None):
                out.append(r)
        return out

    def blob(self, key: str) -> str:
        parts = self._query("blobs", f"key == {json.dumps(key, ensure_ascii=False)}")
        return "".join(p["text"] for p in sorted(parts, key=lambda p: p["part"]))

    def parsed(self, report_id: str) -> str:
        """A report's parse tree (JSON), fetched on use."""
        return self.blob(f"parsed:{report_id}:{self.gens[report_id]}")

    def report_rows(self) -> list[dict]:
        """Report rows without the parse tree (`parsed(report_id)` fetches it)."""
        return [dict(r) for r in self._reports.values()]

    def chunk_rows(self) -> list[dict]:
        return [dict(c) for c in self._chunks]

    def _rows(self, kind: str, flt: str = "") -> list[dict]:
        return _in_order(self._live(self._query(kind, flt, hidden=("gen",))))

    def fact_rows(self) -> list[dict]:
        return self._rows("facts")

    def check_rows(self) -> list[dict]:
        return self._rows("checks")

    def report_table(self, table: str, report_id: str) -> list[dict]:
        if table == "chunks":
            return [dict(c) for c in self._chunks if c["report_id"] == report_id]
        return self._rows(table, f"report_id == {json.dumps(report_id, ensure_ascii=False)}")

    def words(self) -> list[str]:
        if self._words is None:
            self._words = json.loads(self.blob("words"))
        return list(self._words)

    def vectors(self, mmap: bool = False) -> np.ndarray:
        out = np.zeros((len(self._chunks), int(self.manifest.get("dim", 0))), np.float32)
        for r in self.backend.scan(self.names["chunks"], "", ["pk", "vec"]):
            row = self._pk_row.get(r["pk"])
            if row is not None:
                out[row] = r["vec"]
        return out

    # ---------------------------------------------------------- search
    def _search(self, data: Any, field: str, report_ids: Optional[set[str]], k: int) -> Ranking:
        flt = f"report_id in {_lit(report_ids)}" if report_ids else ""
        params: dict = {"metric_type": "IP"}
        if field == "vec" and self.manifest.get("milvus", {}).get("dense_index") == "HNSW":
            params["params"] = {"ef": max(64, k + 2 * SLACK)}
        # 2 × SLACK: rows of another generation are dropped, and the best k + SLACK must remain
        hits = self.client.search(self.names["chunks"], data=[data], anns_field=field, limit=k + 2 * SLACK,
                                  filter=flt, output_fields=[], search_params=params)[0]
        rows = ((self._pk_row.get(h.get("pk", h.get("id"))), float(h["distance"])) for h in hits)
        return ordered(((r, s) for r, s in rows if r is not None and (s > 0 or field == "vec")), k)

    def bm25_rank(self, tokens: list[str], report_ids: Optional[set[str]], k: int) -> Ranking:
        if not tokens or not self._chunks:
            return []
        return self._search(query_vector(tokens), "sparse", report_ids, k)

    def dense_rank(self, qvec: np.ndarray, report_ids: Optional[set[str]], k: int) -> Ranking:
        if not self._chunks:
            return []
        return self._search(np.asarray(qvec, np.float32).reshape(-1).tolist(), "vec", report_ids, k)

    def close(self) -> None:
        pass
