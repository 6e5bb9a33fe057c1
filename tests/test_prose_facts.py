"""Figures stated in prose become facts at index time (kind="prose"); the retriever only reads them."""
from __future__ import annotations

import shutil

import pytest

from conftest import REPORTS, HashEmbedder
from indexer.chunker import chunk_report
from indexer.models import Paragraph, ParsedReport, ReportMeta


def _report(*paragraphs: str) -> ParsedReport:
    meta = ReportMeta(report_id="r1", unit_name="某市某中心", year=2021)
    paras = [Paragraph(text=t, section="第一部分 > 一、政府采购支出情况", line_start=10 + 3 * i, line_end=11 + 3 * i)
             for i, t in enumerate(paragraphs)]
    return ParsedReport(report=meta, paragraphs=paras)


def _prose(*paragraphs: str):
    chunks, facts = chunk_report(_report(*paragraphs))
    return chunks, [f for f in facts if f.kind == "prose"]


def test_paragraph_figure_becomes_a_prose_fact_of_its_chunk():
    chunks, facts = _prose("2021年度政府采购支出总额 3,087.07 万元，其中：政府采购货物支出 12.50 万元。")
    assert len(chunks) == 1 and chunks[0].kind == "paragraph"
    assert [(f.value, f.raw, f.unit, f.clause) for f in facts] == [
        (3087.07, "3,087.07", "万元", "2021年度政府采购支出总额"), (12.5, "12.50", "万元", "政府采购货物支出")]
    first = facts[0]
    assert first.chunk_id == chunks[0].chunk_id and first.report_id == "r1"
    assert (first.line, first.line_end) == (10, 11)
    assert (first.table, first.row_name, first.column) == ("", "", "")
    assert first.sentence == "2021年度政府采购支出总额 3,087.07 万元，其中：政府采购货物支出 12.50 万元。"
    assert first.before == "2021年度政府采购支出总额 " and first.local == "2021年度政府采购支出总额 "
    assert facts[1].local == "其中，政府采购货物支出 "


def test_years_dates_and_class_codes_give_no_fact():
    _, facts = _prose("2021年3月，一般公共服务支出 201万元用于2010350事业运行，共 45.20 万元。")
    assert [f.raw for f in facts] == ["45.20"]


def test_units_are_spelled_one_way_and_counted_nouns_kept():
    _, facts = _prose("完成率 98.5％，购置设备 3 台(套)，设有 4 个科室。")
    assert [(f.raw, f.unit) for f in facts] == [("98.5", "%"), ("3", "台（套）"), ("4", "个")]
    assert facts[2].clause == "设有科室" and facts[2].local.endswith("设有 科室")  # the counted noun names it
    _, facts = _prose("中心下设6个科室和1个办公室。")
    assert [(f.value, f.clause) for f in facts] == [(6, "中心下设科室"), (1, "办公室")]


def test_a_nil_stated_in_words_is_a_zero_fact():
    """"无机关运行经费支出", "公务接待费无预算无支出": 0 万元 named by the amount; a change 无增减 is none."""
    _, facts = _prose("2021年度本单位无机关运行经费支出，主要原因是全额拨款。", "3.公务接待费无预算无支出。",
                      "与上年相比无增减变化。")
    nil = [(f.value, f.unit, f.clause) for f in facts if f.unit == "万元"]
    assert nil == [(0.0, "万元", "机关运行经费"), (0.0, "万元", "公务接待费")]
    _, listed = _prose("本年度无上级补助收入、事业收入、经营收入。", "(1)公务用车购置费无支出。")
    assert [f.clause for f in listed if f.unit == "万元"] == ["上级补助收入", "事业收入", "经营收入", "公务用车购置费"]
    zero = next(f for f in facts if f.clause == "机关运行经费")
    assert zero.sentence.startswith("2021年度本单位无机关运行经费支出") and zero.local == "无机关运行经费"


def test_table_facts_keep_no_prose_context(parsed):
    _, facts = chunk_report(parsed["hanyang"])
    table = [f for f in facts if f.kind == "table"]
    assert table and all(f.clause == f.local == f.before == f.sentence == "" for f in table)
    assert len(table) == len(parsed["hanyang"].facts)


def test_loaded_index_holds_prose_facts_and_the_engine_does_not_extract(tmp_path, monkeypatch):
    from indexer import prose_facts
    from indexer.build import build_index
    from retriever.engine import Engine
    from retriever.index import LoadedIndex

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(REPORTS["hanyang"], corpus / REPORTS["hanyang"].name)
    emb = HashEmbedder()
    build_index(corpus, tmp_path / "idx", embedder=emb, model_id=emb.model_id)

    def no_extraction(*_a, **_k):
        raise AssertionError("prose extraction at query time")

    monkeypatch.setattr(prose_facts, "prose_facts", no_extraction)
    monkeypatch.setattr("indexer.chunker.prose_facts", no_extraction)
    index = LoadedIndex(tmp_path / "idx")
    prose = [f for f in index.facts if f.kind == "prose"]
    assert prose and all(index.by_id[f.chunk_id].kind == "paragraph" for f in prose)
    # the number as written, or for a nil stated in words ("无…支出") those words
    assert all(f.raw in index.by_id[f.chunk_id].text or f.local in index.by_id[f.chunk_id].text for f in prose)
    engine = Engine(index)
    r = engine.ask("汉阳区大数据中心2021年授予中小企业的合同金额是多少？")
    assert r.found and r.values[0].value == pytest.approx(545.35) and r.citations[0].kind == "paragraph"
    assert engine.stats().counts["facts"] == sum(f.kind == "table" for f in index.facts)


def test_a_classification_level_marker_is_no_clause_break():
    """"卫生健康支出（类）41.39 万元": the figure's clause is the class, not "类"."""
    _, facts = _prose("3. 卫生健康支出（类）41.39 万元，占 2.63%。1.一般公共服务（类）支出 1456.72 万元。")
    assert [(f.value, f.clause) for f in facts if f.unit == "万元"] == [
        (41.39, "3. 卫生健康支出"), (1456.72, "1.一般公共服务支出")]


def test_a_term_spelled_with_a_pause_mark_stays_one_clause():
    _, facts = _prose("2021 年度财政拨款收、支总计均为 2784.51 万元。")
    assert [(f.value, f.clause) for f in facts] == [(2784.51, "2021 年度财政拨款收支总计均为")]
    assert facts[0].sentence.startswith("2021 年度财政拨款收、支总计")  # quoted as written
