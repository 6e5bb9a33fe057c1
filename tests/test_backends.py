"""Index storage: facts stored under their field names; the faiss and milvus backends answer alike."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bench.backends import MemoEmbedder  # the real model's vectors computed once for both builds
from conftest import CORPUS, REPORTS, ROOT
from indexer import store
from indexer.backends import ReportData, get_backend
from indexer.build import build_index
from indexer.models import Check, Fact


def test_facts_and_checks_stored_under_their_field_names(corpus_copy, tmp_path, hash_embedder):
    from indexer.build import build_index
    from indexer.chunker import chunk_report
    from indexer.parser import parse_file
    from retriever.index import LoadedIndex

    build_index(corpus_copy, tmp_path / "idx", embedder=hash_embedder, model_id=hash_embedder.model_id)
    version = store.current_version(tmp_path / "idx")
    con = sqlite3.connect(version / "meta.sqlite")
    fact_cols = [r[1] for r in con.execute("PRAGMA table_info(facts)")]
    check_cols = [r[1] for r in con.execute("PRAGMA table_info(checks)")]
    con.close()
    assert fact_cols == list(Fact.model_fields)
    assert check_cols == ["report_id"] + list(Check.model_fields)

    idx = LoadedIndex(tmp_path / "idx")
    rid = next(r.report_id for r in idx.reports.values() if r.source_file == REPORTS["hanyang"].name)
    parsed = parse_file(corpus_copy / REPORTS["hanyang"].name)
    parsed.report.report_id = rid
    _, made = chunk_report(parsed, [])
    for f in made:
        f.report_id = rid
    loaded = [f for f in idx.facts if f.report_id == rid]
    assert [f.model_dump() for f in loaded] == [f.model_dump() for f in made]
    assert {f.kind for f in loaded} == {"table", "prose"} and all(f.chunk_id for f in loaded)
    stored_checks = [c for c in idx.checks if c["report_id"] == rid]
    assert [c["table"] for c in stored_checks] == [c.table for c in parsed.checks]


def test_index_of_old_schema_asks_for_rebuild(corpus_copy, tmp_path, hash_embedder):
    from indexer.build import build_index
    from retriever.index import LoadedIndex

    s1 = build_index(corpus_copy, tmp_path / "idx", embedder=hash_embedder, model_id=hash_embedder.model_id)
    version = store.current_version(tmp_path / "idx")
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest["schema"] = 1
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(store.IndexCorrupt, match=r"index schema 1 != 2; rebuild with: reportqa index --full"):
        LoadedIndex(tmp_path / "idx")
    # an incremental build does not reuse the old-schema version: it rebuilds everything
    s2 = build_index(corpus_copy, tmp_path / "idx", embedder=hash_embedder, model_id=hash_embedder.model_id)
    assert sorted(s2["added"]) == sorted(s1["added"]) and s2["chunks_embedded"] == s2["chunks_total"]
    assert len(LoadedIndex(tmp_path / "idx").facts) == s1["facts_total"]


# ---------------------------------------------------------------- faiss and milvus side by side
GOLD = ROOT.parent / "shared" / "eval" / "gold_dev.jsonl"
HELD_OUT = ROOT / "tests" / "fixtures" / "heldout.jsonl"  # the repo's own questions, when the shared set is absent


def _backends(root: Path):
    return {"faiss": get_backend(root / "faiss", "faiss"),
            "milvus": get_backend(root / "milvus", "milvus", str(root / "milvus" / "milvus.db"))}


def _build_both(corpus: Path, root: Path, emb) -> dict:
    backends = _backends(root)
    for name, b in backends.items():
        build_index(corpus, root / name, embedder=emb, model_id=emb.model_id, backend=b)
    return backends


@pytest.fixture(scope="session")
def engines(tmp_path_factory, real_index_dir):
    """The 5-report corpus on both backends with the real model's vectors, taken from the session's
    real index (`conftest.real_index_dir`), so neither build embeds anything again."""
    from indexer.embedder import load_embedder
    from retriever.engine import Engine
    from retriever.index import LoadedIndex

    real = LoadedIndex(real_index_dir)
    emb = MemoEmbedder(load_embedder(path=real.manifest.get("embed_path") or "torch"))
    vectors = real.reader.vectors()
    emb.cache.update((c.embed_text, vectors[c.row]) for c in real.chunks)
    root = tmp_path_factory.mktemp("backends")
    backends = _build_both(CORPUS, root, emb)
    return {name: Engine(LoadedIndex(root / name, backend=b), emb) for name, b in backends.items()}


def _answer(engine, question: str) -> dict:
    r = engine.ask(question)
    return {"answer": r.answer, "values": [(v.label, v.value, v.unit) for v in r.values],
            "citations": [(c.chunk_id, c.report_id) for c in r.citations]}


def test_same_answers_on_both_backends(engines):
    source, step = (GOLD, 3) if GOLD.is_file() else (HELD_OUT, 1)
    items = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()][::step]
    assert len(items) >= 20
    got = {name: [_answer(e, it["question"]) for it in items] for name, e in engines.items()}
    diff = [it["id"] for it, a, b in zip(items, got["faiss"], got["milvus"]) if a != b]
    assert diff == []
    first = next(a for a in got["faiss"] if a["values"])  # the comparison is not between empty answers
    assert first["values"][0][1] > 0 and first["citations"]
    assert sum(1 for a in got["milvus"] if a["values"]) >= len(items) // 2


@pytest.mark.parametrize("question", ["三公经费支出", "2022年政府采购支出总额", "机关运行经费"])
def test_same_search_hits(engines, question):
    f, m = engines["faiss"], engines["milvus"]
    hits = {name: [(c.chunk_id, c.score) for c in e.search(question, k=10)] for name, e in engines.items()}
    assert [c for c, _ in hits["faiss"]] == [c for c, _ in hits["milvus"]] and len(hits["faiss"]) == 10
    assert [s for _, s in hits["faiss"]] == pytest.approx([s for _, s in hits["milvus"]])
    rid = next(iter(f.index.reports))
    only = {name: [c.chunk_id for c in e.search(question, k=10, report_id=rid)] for name, e in engines.items()}
    assert only["faiss"] == only["milvus"]
    assert {m.index.by_id[c].report_id for c in only["milvus"]} == {rid}


def test_bm25_weights_equal_bm25s(corpus_copy):
    """The sparse vectors Milvus searches give the scores of the faiss backend's bm25s index."""
    import bm25s

    from indexer.backends.milvus import BM25Stats, doc_tokens, query_vector, term_id
    from indexer.tokenize import Tokenizer

    texts = ["一般公共预算财政拨款支出决算表 合计 2,399.30", "三公经费支出 公务接待费 0.52",
             "项目支出 项目支出 合计", "…"]
    tok = Tokenizer()
    docs = doc_tokens(tok, texts)
    ref = bm25s.BM25()
    ref.index(docs, show_progress=False)
    stats = BM25Stats()
    stats.add(docs)
    weights = [stats.weights(d) for d in docs]
    query = tok.tokens("项目支出合计 三公经费")
    q = query_vector(query)
    ours = [sum(w.get(t, 0.0) * n for t, n in q.items()) for w in weights]
    assert ours == pytest.approx(list(ref.get_scores(query)), rel=1e-6)
    assert docs[3] == ["∅"] and weights[3] and term_id("∅") in weights[3]


def _hash_pair(corpus: Path, root: Path):
    from conftest import HashEmbedder

    emb = HashEmbedder()
    return _build_both(corpus, root, emb), emb


def _report_data(reader, rid: str, new_figure: str) -> ReportData:
    """One report's rows as the live version has them, with one chunk's and one fact's figure changed."""
    vectors = reader.vectors()
    chunks = reader.report_table("chunks", rid)
    facts = reader.report_table("facts", rid)
    fact = next(f for f in facts if f["kind"] == "table" and f["raw"] in chunks[0]["text"] + "".join(
        c["text"] for c in chunks))
    chunk = next(c for c in chunks if c["chunk_id"] == fact["chunk_id"])
    chunk["text"] = chunk["text"].replace(fact["raw"], new_figure)
    chunk["embed_text"] = chunk["embed_text"].replace(fact["raw"], new_figure)
    fact.update(raw=new_figure, value=float(new_figure.replace(",", "")))
    report = next(r for r in reader.report_rows() if r["report_id"] == rid)
    report["parsed"] = reader.parsed(rid) if hasattr(reader, "parsed") else report["parsed"]
    rows = [c["vec_row"] for c in chunks]
    for i, c in enumerate(chunks):
        c["vec_row"] = i
    return ReportData(report, chunks, facts, reader.report_table("checks", rid), vectors[rows])


def test_replace_and_delete_one_report(corpus_copy, tmp_path):
    from retriever.index import LoadedIndex

    backends, emb = _hash_pair(corpus_copy, tmp_path)
    reader = backends["faiss"].open()
    rid = reader.report_rows()[1]["report_id"]
    data = _report_data(reader, rid, "7,777.77")
    reader.close()
    for b in backends.values():
        b.replace_report(data)
    loaded = {name: LoadedIndex(tmp_path / name, backend=b) for name, b in backends.items()}
    for idx in loaded.values():
        assert [f.value for f in idx.facts if f.report_id == rid].count(7777.77) == 1
        assert sum("7,777.77" in c.text for c in idx.by_report[rid]) == 1
        assert list(idx.reports)[-1] == rid  # a replaced report goes last on both backends
    f, m = loaded["faiss"], loaded["milvus"]
    assert [c.chunk_id for c in f.chunks] == [c.chunk_id for c in m.chunks]
    assert [x.model_dump() for x in f.facts] == [x.model_dump() for x in m.facts]
    for q in ("7,777.77", "支出决算表 合计", "三公经费"):
        hits = {n: [c.chunk_id for c, _ in i.hybrid(q, emb.encode_query(q))] for n, i in loaded.items()}
        assert hits["faiss"] == hits["milvus"] and hits["faiss"]

    for b in backends.values():
        b.delete_report(rid)
    for name, b in backends.items():
        idx = LoadedIndex(tmp_path / name, backend=b)
        assert rid not in idx.reports and rid not in idx.by_report
        assert not [x for x in idx.facts if x.report_id == rid] and len(idx.reports) == 4
        assert all(c.report_id != rid for c, _ in idx.hybrid("7,777.77 合计", emb.encode_query("合计"), k=50))
    assert backends["milvus"].open().report_table("facts", rid) == []
    listed = {name: set(b.open().manifest["reports"]) for name, b in backends.items()}
    assert listed["faiss"] == listed["milvus"] and len(listed["milvus"]) == 4 and rid not in listed["milvus"]


@pytest.mark.parametrize("name", ["faiss", "milvus"])
def test_reader_of_old_version_keeps_working_while_a_build_publishes(corpus_copy, tmp_path, name):
    from conftest import HashEmbedder
    from retriever.index import LoadedIndex

    emb = HashEmbedder()
    backend = _backends(tmp_path)[name]
    build_index(corpus_copy, tmp_path / name, embedder=emb, model_id=emb.model_id, backend=backend)
    old = LoadedIndex(tmp_path / name, backend=backend)
    gone = next(r for r in old.reports.values() if r.source_file == REPORTS["qiaokou"].name).report_id
    (corpus_copy / REPORTS["qiaokou"].name).unlink()
    s = build_index(corpus_copy, tmp_path / name, embedder=emb, model_id=emb.model_id, backend=backend)
    assert s["removed"] == [gone] and backend.current() != old.version
    new = LoadedIndex(tmp_path / name, backend=backend)
    assert gone not in new.reports and gone in old.reports
    q = "三公经费支出"
    hits = old.hybrid(q, emb.encode_query(q), {gone})  # the old snapshot still searches its own rows
    assert hits and {c.report_id for c, _ in hits} == {gone}
    assert new.hybrid(q, emb.encode_query(q), {gone}) == []
    if name == "milvus":  # a new process finds the collections released (milvus-lite): the reader loads them
        for c in backend.client.list_collections():
            backend.client.release_collection(c)
        again = LoadedIndex(tmp_path / name, backend=backend)
        assert [c.chunk_id for c, _ in again.hybrid(q, emb.encode_query(q))] == \
            [c.chunk_id for c, _ in new.hybrid(q, emb.encode_query(q))]


def test_backend_from_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("REPORTQA_BACKEND", "milvus")
    monkeypatch.setenv("REPORTQA_MILVUS_URI", str(tmp_path / "m.db"))
    b = get_backend(tmp_path / "idx")
    assert b.name == "milvus" and b.uri == str(tmp_path / "m.db")
    monkeypatch.setenv("REPORTQA_BACKEND", "elastic")
    with pytest.raises(ValueError, match="unknown index backend 'elastic'; use faiss or milvus"):
        get_backend(tmp_path / "idx")
    monkeypatch.delenv("REPORTQA_BACKEND")
    assert get_backend(tmp_path / "idx").name == "faiss"


def test_embedded_default_does_not_import_milvus():
    code = ("import sys; import indexer.build, retriever.engine, indexer.backends; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pymilvus', 'milvus_lite')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_fact_rows_round_trip_and_new_columns_take_defaults():
    from indexer.backends.rows import model_from_row, model_to_row, table_sql

    f = Fact(report_id="r", table="", row_name="", column="", value=2399.3, raw="2,399.30", line=7,
             uncertain=True, kind="prose", clause="项目支出")
    row = model_to_row(f)
    assert row["uncertain"] == 1 and row["kind"] == "prose" and model_from_row(Fact, row) == f
    older = {k: v for k, v in row.items() if k != "clause"} | {"sentence": None}  # written before those fields
    assert model_from_row(Fact, older).clause == "" and model_from_row(Fact, older).sentence == ""
    assert table_sql("facts", Fact).startswith('CREATE TABLE facts ("report_id" TEXT, "table" TEXT, ')
