"""Smoke tests of bench/: the synthetic reports parse with their identities holding in all three
layouts, the baselines read figures the way their docstring says, and the result plumbing works.
Fast (no embedding model, no server)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ is not an installed package

from bench import baselines, faiss_scale, synth
from bench.__main__ import targets
from bench.common import HashEmbedder, pct
from bench.report import NOTES_MARK, markdown, write_results
from indexer.chunker import chunk_report
from indexer.parser import parse_file


def _facts(parsed) -> dict:
    return {(f.table, f.row_code, f.row_name, f.column): f.value for f in parsed.facts}


@pytest.fixture(scope="module")
def parsed_layouts(tmp_path_factory):
    d = tmp_path_factory.mktemp("synth")
    out = {}
    for layout in synth.LAYOUTS:
        report, text = synth.sample(layout, seed=3, index=1)
        path = d / f"r.{'md' if layout == 'markdown' else 'txt'}"
        path.write_text(text, encoding="utf-8")
        out[layout] = (report, parse_file(path), text)
        path.unlink()
    return out


@pytest.mark.parametrize("layout", synth.LAYOUTS)
def test_synthetic_report_parses_with_identities(parsed_layouts, layout):
    report, parsed, text = parsed_layouts[layout]
    assert parsed.report.unit_name == report.unit
    assert parsed.report.year == report.year
    assert parsed.report.region == report.region
    layouts = {t.layout for t in parsed.tables if t.rows}
    assert layouts == {"tab": {"tab"}, "pdftext": {"pdftext"}, "markdown": {"pipe"}}[layout]
    assert len(parsed.tables) == 9
    assert len(parsed.checks) >= 20
    assert [c.rule for c in parsed.checks if not c.holds] == []
    facts = _facts(parsed)
    total = report.spending_total / 100
    assert facts[("支出决算表", None, "合计", "本年支出合计")] == pytest.approx(total)
    assert facts[("支出决算表", None, "合计", "基本支出")] == pytest.approx(report.basic_total / 100)
    assert facts[("收入决算表", None, "合计", "本年收入合计")] == pytest.approx(report.income_total / 100)
    assert facts[("一般公共预算财政拨款支出决算表", None, "合计", "小计")] == pytest.approx(report.appropriation / 100)
    item = report.items[0]
    assert facts[("支出决算表", item.code, item.name, "本年支出合计")] == pytest.approx(
        (item.basic + item.project + item.other + item.carry) / 100)
    # the narrative states the same total
    assert f"收、支总计均为{total:.2f}万元" in text.replace("\n", "").replace(" ", "")
    chunks, _ = chunk_report(parsed)
    assert len(chunks) > 100


def test_layouts_give_the_same_table_facts(parsed_layouts):
    def amounts(parsed):
        return {k: v for k, v in _facts(parsed).items() if k[0] != "三公经费支出决算表"}

    tab = amounts(parsed_layouts["tab"][1])
    assert amounts(parsed_layouts["pdftext"][1]) == tab
    assert amounts(parsed_layouts["markdown"][1]) == tab


def test_generator_is_deterministic_and_distinct(tmp_path):
    a = synth.generate(tmp_path / "a", 4, seed=5)
    b = synth.generate(tmp_path / "b", 4, seed=5)
    assert [p.read_text(encoding="utf-8") for p in a] == [p.read_text(encoding="utf-8") for p in b]
    ids = synth.identities(50, seed=5)
    assert len(set(ids)) == 50
    assert not any(w in u for u, _, _ in ids for w in ("武汉", "武昌", "汉阳", "洪山", "江汉", "硚口", "青山"))
    assert {p.suffix for p in a} == {".txt", ".md"}


def test_pdf_rows_collapse_empty_cells():
    assert synth._pdf_row(["2010350", "事业运行", "1.00", "", "", "2.00"]) == "2010350 事业运行 1.00     2.00 "
    assert synth._pdf_row(["", "8", "", "x"]) == "  8   x "
    assert synth._pdf_row(["a", "", ""]) == "a     "


# ---------------------------------------------------------------- baselines
class _Tok:
    """Whitespace tokens: enough for the extraction rules."""

    def tokens(self, text):
        return [t for t in text.replace("？", " ").replace("，", " ").split() if t]


def test_fixed_chunks_overlap_and_cover():
    spans = baselines.fixed_chunks("x" * 600, size=250, overlap=50)
    assert spans == [(0, 250), (200, 450), (400, 600)]
    assert baselines.fixed_chunks("", 10, 2) == []


def test_figures_skip_codes_years_and_bare_integers():
    figs = baselines.figures("2010350\t事业运行\t335.75\t1,234\t栏次 1 2 3 2021年 增长64.24% 共8套 1.5万路")
    assert [(f.raw, f.value, f.unit) for f in figs] == [
        ("335.75", 335.75, "万元"), ("1,234", 1234.0, "万元"), ("64.24%", 64.24, "%"), ("8套", 8.0, "套"),
        ("1.5万路", 15000.0, "路")]


def test_key_terms_drop_places_years_and_question_words():
    assert baselines.key_terms("汉阳区 2021年 支出决算表 项目支出 合计 是 多少", _Tok()) == ["项目支出", "合计"]


def test_key_terms_cut_place_unit_year_and_table_words_before_tokenizing():
    from indexer.tokenize import Tokenizer

    names = ["武汉市武昌区大数据中心", "武昌区大数据中心", "武昌大数据中心", "武昌区", "武昌"]  # as the index gives them
    terms = baselines.key_terms("武昌区大数据中心2019年收入支出决算总表中，本年收入合计是多少万元？", Tokenizer(names), names)
    assert terms[0] == "本年收入合计"
    assert not {"支出", "数据", "中心", "武昌", "2019"} & set(terms)


def test_extract_answer_takes_the_figure_nearest_the_key_term():
    text = "合计 2,785.73 386.43 2,399.30\n基本支出 386.43 万元，占本年支出 13.87%；项目支出 2399.30 万元"
    term, fig = baselines.extract_answer("项目支出 多少", text, _Tok())
    assert (term, fig.value) == ("项目支出", 2399.30)
    term, fig = baselines.extract_answer("占本年支出 比例", "基本支出占本年支出 13.87%", _Tok())
    assert fig.value == 13.87 and fig.unit == "%"
    assert baselines.extract_answer("办公费 多少", text, _Tok()) is None  # key term absent: not found


def test_answer_builds_a_scorable_response():
    from retriever.evaluate import score_item

    p = baselines.Passage(chunk_id="c", text="项目支出 2,399.30 万元", source_file="x.txt", report_id="r",
                          line_start=3, line_end=3, unit_name="某区大数据中心", year=2021)
    resp = baselines.answer("项目支出 多少", [(p, 0.9)], _Tok(), 0.0)
    assert resp.found and resp.values[0].value == 2399.30
    item = {"id": "t", "kind": "table_lookup", "question": "q", "answer_value": 2399.3, "alternatives": []}
    assert score_item(item, resp)["correct"] == 1.0
    assert not baselines.answer("办公费 多少", [(p, 0.9)], _Tok(), 0.0).found
    assert not baselines.answer("项目支出", [], _Tok(), 0.0).found


# ---------------------------------------------------------------- plumbing
def test_hash_embedder_is_deterministic_and_normalised():
    e = HashEmbedder()
    v = e.encode_passages(["项目支出 2,399.30", "基本支出"])
    assert v.shape == (2, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0)
    assert np.array_equal(e.encode_query("项目支出 2,399.30"), v[0])


def test_faiss_crossover_rules():
    rows = [{"n": 1000, "flat_ms_omp1": 0.05, "ivf_ms_omp1": 0.08, "ivf_recall_at_10": 0.97},
            {"n": 10000, "flat_ms_omp1": 0.3, "ivf_ms_omp1": 0.1, "ivf_recall_at_10": 0.995},
            {"n": 50000, "flat_ms_omp1": 3.0, "ivf_ms_omp1": 0.3, "ivf_recall_at_10": 0.999}]
    c = faiss_scale.crossover(rows, default_threads=1)
    assert c["crossover_n"] == {"omp1": 10000}
    assert c["recommended_threshold"] == 50000
    base = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    g = faiss_scale.grow(base, 120, 0.01, seed=1)
    assert g.shape == (120, 8) and np.allclose(np.linalg.norm(g, axis=1), 1.0, atol=1e-5)


def test_targets_and_results_file(tmp_path):
    res = {"accuracy": {"reportqa": 0.9, "naive_rag": 0.1, "bm25_passages": 0.2, "hybrid_passages": 0.6},
           "wrong_number_rate": {"reportqa": 0.02, "naive_rag": 0.8, "bm25_passages": 0.6, "hybrid_passages": 0.3},
           "ask_over_floor": 1.6, "index_over_embed": 1.05, "scale_p50_ratio_10x": 1.1,
           "ask_p50_ms": 10.0, "floor_p50_ms": 6.25, "peak_rss_mb": {"serve": 1, "index": 2}}
    t = targets(res)
    assert t["accuracy_margin"]["met"] and t["accuracy_margin"]["by"] == pytest.approx(0.05)
    assert t["wrong_number_rate_lower"]["met"]
    assert not t["ask_over_floor"]["met"] and t["ask_over_floor"]["by"] == pytest.approx(-0.1)
    res["targets"] = t
    path = tmp_path / "RESULTS.md"
    path.write_text("OLD-FIGURES\n" + NOTES_MARK + "\nmy notes\n", encoding="utf-8")
    write_results(res, path)
    text = path.read_text(encoding="utf-8")
    assert "my notes" in text and "OLD-FIGURES" not in text.split(NOTES_MARK)[0]
    assert "**no**" in markdown(res)
    res["meta"] = {"mode": "full", "date": "D-FULL"}
    write_results(res, path)
    res["meta"] = {"mode": "quick", "date": "D-QUICK"}
    write_results(res, path)
    text = path.read_text(encoding="utf-8")
    assert "D-FULL" in text and "D-QUICK" in text and text.count("my notes") == 1
    assert pct([3, 1, 2], 50) == 2 and pct([], 50) is None



def test_synthetic_reports_in_other_templates_are_written_in_every_format(tmp_path, capsys):
    synth._main([str(tmp_path), "-n", "3", "--seed", "2", "--templates"])
    written = sorted(p.suffix for p in tmp_path.iterdir())
    assert written == [".md", ".pdf", ".txt"]
    assert (tmp_path / "upload_002.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("style", ["split", "unruled-split", "unruled-wrapped", "unruled-wide"])
def test_pdf_styles_give_the_facts_of_the_text(style):
    """A report printed as published PDFs print it (tables over page breaks with a repeated merged
    header, 类/款/项 columns, names wrapped in their cells, with or without rules, a running page
    header) reads as its text does."""
    from bench.pdf_fidelity import compare

    res = compare(5, 0, "hubei", style)
    assert res["facts"] > 150
    assert (res["missing"], res["extra"], res["different"], res["metadata"]) == ([], [], [], False)
