"""Stable report ids and metadata corrections kept beside the corpus (`<corpus>/.reportqa/`):
an id stays with its file, a new file gets a new id, an id is never reused; overrides survive
rebuilds and change metadata without re-embedding; source_file is relative; PDF chunks carry pages."""
from __future__ import annotations

import shutil

import pytest

from conftest import REPORTS, HashEmbedder
from indexer import registry
from indexer.build import build_index, corpus_files


def build(corpus, index_dir):
    emb = HashEmbedder()
    return build_index(corpus, index_dir, embedder=emb, model_id=emb.model_id)


def loaded(index_dir):
    from retriever.index import LoadedIndex

    return LoadedIndex(index_dir)


def id_of(corpus, rel):
    return next(rid for rid, r in registry.known_ids(corpus).items() if r == rel)


def test_ids_stay_with_files_and_are_never_reused(two_reports, tmp_path):
    idx = tmp_path / "index"
    hanyang = REPORTS["hanyang"].name
    s1 = build(two_reports, idx)
    original = id_of(two_reports, hanyang)
    assert sorted(s1["added"]) == sorted(registry.known_ids(two_reports))

    # the file changes: same id
    path = two_reports / hanyang
    path.write_text(path.read_text(encoding="utf-8") + "\n附注：本报告已更新。\n", encoding="utf-8")
    s2 = build(two_reports, idx)
    assert s2["changed"] == [original] and id_of(two_reports, hanyang) == original

    # a changed copy (same unit and year) is a new report with a new id; the original keeps its id
    (two_reports / "copy.txt").write_text(path.read_text(encoding="utf-8") + "\n再次更新。\n", encoding="utf-8")
    s3 = build(two_reports, idx)
    copy_id = id_of(two_reports, "copy.txt")
    assert s3["added"] == [copy_id] and copy_id != original and id_of(two_reports, hanyang) == original

    # removing the copy deletes its file and retires its id; the original is untouched
    assert registry.remove_report(two_reports, copy_id) == "copy.txt"
    assert not (two_reports / "copy.txt").exists()
    s4 = build(two_reports, idx)
    assert s4["removed"] == [copy_id] and id_of(two_reports, hanyang) == original
    assert set(loaded(idx).reports) == set(registry.known_ids(two_reports))

    # the same path added again is a new file: a fresh id, never the retired one
    (two_reports / "copy.txt").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    build(two_reports, idx)
    assert id_of(two_reports, "copy.txt") not in (copy_id, original)

    # a file deleted by hand is retired at the next build
    (two_reports / "copy.txt").unlink()
    build(two_reports, idx)
    assert "copy.txt" not in registry.known_ids(two_reports).values()


def test_override_kept_across_rebuilds_without_reembedding(two_reports, tmp_path):
    idx = tmp_path / "index"
    build(two_reports, idx)
    rid = id_of(two_reports, REPORTS["hanyang"].name)
    merged = registry.set_override(two_reports, rid, {"unit_name": "汉阳区数据服务中心", "aliases": ["汉阳数据"]})
    assert merged == {"unit_name": "汉阳区数据服务中心", "aliases": ["汉阳数据"]}
    assert registry.set_override(two_reports, rid, {"year": 2021})["year"] == 2021

    s = build(two_reports, idx)
    assert s["changed"] == [rid] and s["chunks_embedded"] == 0
    r = loaded(idx).reports[rid]
    assert (r.unit_name, r.region, r.year, r.aliases) == ("汉阳区数据服务中心", "汉阳区", 2021, ["汉阳数据"])
    assert r.metadata_source == {"unit_name": "override", "region": "override", "year": "override",
                                 "aliases": "override"}
    assert r.parsed.report.unit_name == "汉阳区数据服务中心"

    s = build(two_reports, idx)  # nothing changed: the override stays, nothing is re-labelled
    assert rid in s["unchanged"] and loaded(idx).reports[rid].unit_name == "汉阳区数据服务中心"

    # a field set to None drops its correction: the text's value is back
    registry.set_override(two_reports, rid, {"unit_name": None, "aliases": None})
    build(two_reports, idx)
    r = loaded(idx).reports[rid]
    assert r.unit_name == "武汉市汉阳区大数据中心" and r.metadata_source["unit_name"] == "text"
    assert r.year == 2021 and r.metadata_source["year"] == "override"
    assert "汉阳大数据中心" in r.aliases


def test_unknown_ids_and_bad_fields(two_reports, tmp_path):
    build(two_reports, tmp_path / "index")
    with pytest.raises(KeyError):
        registry.set_override(two_reports, "2099-deadbeef", {"unit_name": "某单位"})
    with pytest.raises(KeyError):
        registry.remove_report(two_reports, "2099-deadbeef")
    rid = next(iter(registry.known_ids(two_reports)))
    for bad in ({"title": "x"}, {"year": "2021"}, {"year": 1}, {"aliases": "汉阳"}, {"unit_name": " "}):
        with pytest.raises(ValueError):
            registry.set_override(two_reports, rid, bad)


def test_corpus_files_skip_hidden(two_reports):
    (two_reports / ".reportqa" / "old").mkdir(parents=True)
    (two_reports / ".reportqa" / "old" / "x.txt").write_text("2021年度部门决算", encoding="utf-8")
    (two_reports / ".hidden.txt").write_text("x", encoding="utf-8")
    (two_reports / "sub").mkdir()
    (two_reports / "sub" / "r.md").write_text("# x", encoding="utf-8")
    names = [p.relative_to(two_reports).as_posix() for p in corpus_files(two_reports)]
    assert names == sorted([REPORTS["hanyang"].name, REPORTS["wuchang"].name, "sub/r.md"])


def test_relative_source_files_and_pdf_pages(tmp_path):
    from bench.synth_templates import variant
    from retriever.compose import citation

    corpus = tmp_path / "corpus"
    (corpus / "pdf").mkdir(parents=True)
    exp, data, _ = variant(2, 0, "cover", "pdf")
    (corpus / "pdf" / "report.pdf").write_bytes(data)
    shutil.copy(REPORTS["wuchang"], corpus / "wuchang.txt")
    build(corpus, tmp_path / "index")
    index = loaded(tmp_path / "index")
    by_file = {r.source_file: r for r in index.reports.values()}
    assert set(by_file) == {"pdf/report.pdf", "wuchang.txt"}
    pdf = by_file["pdf/report.pdf"]
    assert (pdf.unit_name, pdf.year) == (exp.unit, exp.year) and pdf.metadata_source["unit_name"] == "text"
    pdf_chunks = index.by_report[pdf.report_id]
    pages = [c.page for c in pdf_chunks]
    assert all(p is not None and p >= 1 for p in pages) and max(pages) > 2 and pages == sorted(pages)
    assert all(c.page is None for c in index.by_report[by_file["wuchang.txt"].report_id])
    table_chunk = next(c for c in pdf_chunks if c.kind == "table_row")
    cite = citation(index, table_chunk.chunk_id, "c1", 1.0)
    assert cite.source_file == "pdf/report.pdf" and cite.page == table_chunk.page >= 2


def test_file_removed_during_a_build_leaves_the_index(two_reports, tmp_path, monkeypatch):
    from indexer import build as build_module

    real = build_module.corpus_files
    ghost = two_reports / "gone.txt"
    monkeypatch.setattr(build_module, "corpus_files", lambda d: real(d) + [ghost])  # listed, then deleted
    s = build(two_reports, tmp_path / "index")
    assert len(s["added"]) == 2 and "gone.txt" not in registry.known_ids(two_reports).values()
