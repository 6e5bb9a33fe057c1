"""Index storage: facts stored under their field names; the faiss and milvus backends answer alike."""
from __future__ import annotations

import json
import sqlite3

import pytest

from conftest import REPORTS
from indexer import store
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
