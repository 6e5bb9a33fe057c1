"""Answering through the public surfaces (Python API and CLI) on the real corpus: every operation,
every kind of not-found, and the held-out question set."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from conftest import CORPUS, REPORTS, ROOT

HELDOUT = ROOT / "tests" / "fixtures" / "heldout.jsonl"


def ask(engine, q):
    r = engine.ask(q)
    assert r.timing_ms["total"] >= 0
    return r


def cited_lines(resp, cid):
    c = next(c for c in resp.citations if c.id == cid)
    path = CORPUS / c.source_file  # source_file is relative to the corpus
    lines = open(path, encoding="utf-8").read().split("\n")
    return "".join(lines[c.line_start - 1:c.line_end]).replace(",", "").replace(" ", "")


def test_lookup_table_cell_with_citation(backend_engine):
    r = ask(backend_engine, "汉阳区大数据中心2021年项目支出多少")
    assert r.found and r.values[0].value == pytest.approx(2399.30) and r.values[0].unit == "万元"
    c1 = r.citations[0]
    assert c1.unit_name == "武汉市汉阳区大数据中心" and c1.year == 2021 and "2,399.30" in c1.text
    assert "2399.30" in cited_lines(r, "c1")
    # the appropriation-only figure is mentioned with its own citation
    assert any(v.value == pytest.approx(2398.09) for v in r.values[1:])


def test_lookup_by_code_in_pdf_text_table(backend_engine):
    r = ask(backend_engine, "武昌区大数据中心2019年支出决算表中，2010302一般行政管理事务的基本支出是多少？")
    assert r.found and r.values[0].value == pytest.approx(15.64)


def test_lookup_prose_figure(backend_engine):
    r = ask(backend_engine, "汉阳区大数据中心2021年授予中小企业的合同金额是多少？")
    assert r.values[0].value == pytest.approx(545.35) and r.citations[0].kind == "paragraph"
    assert "545.35" in cited_lines(r, "c1")


def test_colloquial_question(backend_engine):
    """The row is named; the words "职工交" stay unexplained by its label (给 only frames the question),
    and no figure of another value comes near: the row's own figure is the answer, cited to its row."""
    from retriever.query import understand

    text = "汉阳大数据中心21年给职工交住房公积金交了多少？"
    q = understand(text, backend_engine.index)
    top = backend_engine.candidates(q, {r.report_id for r in q.reports})[0]
    assert top.value == pytest.approx(27.96) and top.features.get("unexplained_chars") == 3.0
    r = ask(backend_engine, text)
    assert r.found and r.values[0].value == pytest.approx(27.96) and r.citations[0].kind == "table_row"
    assert ask(backend_engine, "汉阳大数据中心21年住房公积金交了多少？").values[0].value == pytest.approx(27.96)


def test_derived_share_shows_arithmetic(backend_engine):
    r = ask(backend_engine, "汉阳区大数据中心2021年绩效工资占工资福利支出的比例是多少？")
    v = r.values[0]
    assert v.derived and v.unit == "%" and v.value == pytest.approx(49.71, abs=0.01)
    assert "185.20" in v.formula and "372.53" in v.formula and len(v.inputs) == 2
    assert {c.id for c in r.citations} >= set(v.inputs)


def test_derived_difference_sum_and_previous_year(backend_engine):
    d = ask(backend_engine, "洪山区大数据中心2022年基本支出预算有多少没有执行（预算与实际执行之差）？").values[0]
    assert d.derived and d.value == pytest.approx(42.75)
    s = ask(backend_engine, "硚口区大数据中心2024年“城市视频经费”和“城市运行管理中心建设项目”两项合计花了多少？").values[0]
    assert s.derived and s.value == pytest.approx(1939.25)
    p = ask(backend_engine, "根据武昌区大数据中心2019年的决算说明，2018年度的收支总计是多少万元？").values[0]
    assert p.derived and p.value == pytest.approx(3077.16) and "+" in p.formula
    # two terms of the index joined by 和, one of which holds 和 itself, then 合计
    t = ask(backend_engine, "汉阳区大数据中心2021年工资福利支出和商品和服务支出合计多少？").values
    assert t[0].derived and [v.value for v in t] == [pytest.approx(386.01), pytest.approx(372.53), pytest.approx(13.48)]


def test_comparison_across_reports(backend_engine):
    r = ask(backend_engine, "五个区大数据中心的决算里，哪一家的政府采购支出总额最大？")
    assert r.found and "武昌区" in r.answer.split("。")[0] and r.values[0].value == pytest.approx(3087.07)
    assert len({v.report_id for v in r.values}) >= 4  # every report's figure, each cited
    r = ask(backend_engine, "汉阳区大数据中心2021年和硚口区大数据中心2024年相比，哪个的基本支出更多？多多少万元？")
    assert r.values[0].derived and r.values[0].value == pytest.approx(23.87)


def test_list_answers(backend_engine):
    r = ask(backend_engine, "硚口区大数据中心内设哪些科室？")
    for name in ("党政办公室", "数据资源科", "电子政务科", "数字城市建设科", "技术保障科"):
        assert name in r.answer
    r = ask(backend_engine, "汉阳区大数据中心2021年的支出涉及哪几个功能分类“类”级科目？")
    for name in ("一般公共服务支出", "社会保障和就业支出", "卫生健康支出", "农林水支出"):
        assert name in r.answer


@pytest.mark.parametrize("question,says", [
    ("青山区大数据中心2022年项目支出是多少？", "青山区"),        # unit not in the corpus
    ("武昌区大数据中心2020年度的支出合计是多少？", "2019"),      # year not in the corpus; says what exists
    ("洪山区大数据中心2022年基本工资支出是多少？", "未找到"),     # the report does not state it
    ("汉阳区大数据中心2021年在职实有人数是多少？", "未找到"),
])
def test_not_found_kinds(backend_engine, question, says):
    r = ask(backend_engine, question)
    assert not r.found and r.values == [] and says in r.answer


def test_heldout_questions(backend_engine):
    from retriever.evaluate import load_gold, score_item, summarize

    items = load_gold(HELDOUT)
    results = [score_item(it, backend_engine.ask(it["question"])) for it in items]
    s = summarize(results, [1.0])
    assert s["accuracy"] >= 0.9, [r for r in results if r["correct"] < 1]
    assert s["wrong_number_rate"] <= 0.04 and s["abstention_unanswerable"] == 1.0


def test_year_decides_between_two_reports_of_one_unit(tmp_path, hash_embedder):
    """A second year of the same unit: the year asked picks the report; another year is never used."""
    from indexer.build import build_index
    from retriever.engine import Engine

    corpus = tmp_path / "c"
    corpus.mkdir()
    shutil.copy(REPORTS["hanyang"], corpus / "a.txt")
    text = REPORTS["hanyang"].read_text(encoding="utf-8").replace("2021", "2022").replace("2,399.30", "2,411.11").replace("2399.30", "2411.11")
    (corpus / "b.txt").write_text(text, encoding="utf-8")
    build_index(corpus, tmp_path / "i", embedder=hash_embedder, model_id=hash_embedder.model_id)
    eng = Engine(Engine.load(tmp_path / "i", with_embedder=False).index, hash_embedder)
    assert eng.ask("汉阳区大数据中心2022年项目支出多少").values[0].value == pytest.approx(2411.11)
    assert eng.ask("汉阳区大数据中心2021年项目支出多少").values[0].value == pytest.approx(2399.30)
    r = eng.ask("汉阳区大数据中心2023年项目支出多少")
    assert not r.found and "2021" in r.answer and "2022" in r.answer
    both = eng.ask("汉阳区大数据中心项目支出多少")
    assert {v.value for v in both.values} >= {2399.30, 2411.11}


def test_ask_and_eval_cli(real_index_dir, tmp_path):
    out = subprocess.run([sys.executable, "-m", "api.cli", "ask", "硚口区大数据中心2024年基本支出决算明细表中的福利费是多少？",
                          "--json", "--index-dir", str(real_index_dir)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["found"] and body["values"][0]["value"] == 8.2 and body["citations"][0]["line_start"] >= 1
    out = subprocess.run([sys.executable, "-m", "api.cli", "eval", "--gold", str(HELDOUT), "--json",
                          "--index-dir", str(real_index_dir)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert {"accuracy", "per_kind", "wrong_number_rate", "abstention_unanswerable", "citation_rate", "latency_ms"} <= set(s)
    bad = subprocess.run([sys.executable, "-m", "api.cli", "ask", "  ", "--index-dir", str(real_index_dir)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("question", [
    "汉阳区大数据中心1900年项目支出",          # a year outside the corpus, however old
    "汉阳区2021年和2022年项目支出差额",        # comparing with a year the corpus lacks
    "2021", "99999999999999999999", "年" * 500, "武汉市",  # nothing to look up
])
def test_no_figure_for_questions_without_a_subject_or_report(backend_engine, question):
    r = ask(backend_engine, question)
    assert not r.found and r.values == []


def test_a_comparison_with_last_year_asks_a_change(backend_engine):
    from retriever.query import understand

    assert understand("汉阳区大数据中心2021年项目支出比去年多给了多少？", backend_engine.index).asks_change
    assert not understand("汉阳区大数据中心2021年项目支出是多少？", backend_engine.index).asks_change


def test_a_column_asked_in_other_words_is_chosen_by_meaning(backend_engine):
    """评分 is no column of the report; compared in meaning with the row's columns it is 得分, not the
    实际完成值 that the table shows first."""
    r = ask(backend_engine, "汉阳区大数据中心2021年按合同约定时间完工评分是多少？")
    assert r.found and r.values[0].value == pytest.approx(20.0)
    assert "得分" in r.answer and "按合同约定时间完工" in r.answer


def test_framing_words_do_not_hide_the_row(backend_engine):
    r = ask(backend_engine, "想了解一下洪山区大数据中心在2022年的网络安全设施维护保障率得分")
    assert r.found and r.values[0].value == pytest.approx(6.0)


@pytest.mark.parametrize("question, value, unit", [
    ("硚口区大数据中心2024年定期开展系统巡检工作，每月提供巡检记录，全年总计12份年初目标值是多少", 12.0, "份"),
    ("汉阳区大数据中心2021年全年资金使用低于70万实际完成值是多少", 100.0, "%"),
    ("硚口区大数据中心2024年密评报告年初目标值是多少", 1.0, "份"),
])
def test_quantities_and_report_words_inside_a_row_name(backend_engine, question, value, unit):
    """"总计12份", "低于70万" and "密评报告" are the indicator's own words: they neither make the question
    ask for an amount in 万元 nor are dropped as talk about the report."""
    from retriever.query import understand

    assert understand(question, backend_engine.index).unit is None
    r = ask(backend_engine, question)
    assert r.found and r.values[0].value == pytest.approx(value) and r.values[0].unit == unit
    assert understand("汉阳区大数据中心2021年项目支出多少", backend_engine.index).unit == "万元"


@pytest.mark.parametrize("question, value", [
    ("想了解一下汉阳大数据中心在2021年的出差的费用决算数", 1.77),
    ("硚口区大数据中心2024年全年总支出一共多少", 2540.11),
])
def test_everyday_words_for_report_terms(backend_engine, question, value):
    """出差的费用 is 差旅费 and 全年总支出 the 本年支出合计 (lexicon synonyms): the named row, not the grand
    total that the value column (决算数) alone would point at."""
    r = ask(backend_engine, question)
    assert r.found and r.values[0].value == pytest.approx(value), r.answer


def test_a_one_character_synonym_keeps_the_questions_word(backend_engine):
    """车 as a word of its own (车的费用, 几辆车) adds 公务用车 to the terms; inside another word (车队, 校车)
    it adds nothing and the word stays as asked (not 车辆队): a school bus is no 公务用车."""
    from retriever.query import understand

    for asked in ("车的费用是多少", "有几辆车"):
        assert "公务用车" in understand(f"汉阳区大数据中心2021年{asked}", backend_engine.index).terms
    for asked, word in (("车队方面花了多少钱", "车队"), ("校车有多少辆", "校车")):
        q = understand(f"汉阳区大数据中心2021年{asked}", backend_engine.index)
        assert word in q.core and "车辆队" not in q.core and "公务用车" not in q.terms


def test_a_nil_stated_in_words_is_answered_as_zero_with_its_sentence(backend_engine):
    """汉阳 2021 says "无机关运行经费支出": 0 万元, citing that sentence — not "not found"."""
    r = ask(backend_engine, "汉阳区大数据中心2021年机关运行经费是多少？")
    assert r.found and r.values[0].value == 0.0 and r.values[0].unit == "万元"
    assert "无机关运行经费支出" in r.citations[0].text.replace(" ", "")


def test_a_column_asked_in_other_words_sets_the_unit_of_a_row_named_with_money_words(backend_engine):
    """"年度财政资金总额评分": 资金 and 总额 are the row's own words; 评分 is closest in meaning to 得分, so the
    score is asked (分), not an amount in 万元 (the 执行数 of four project tables)."""
    r = ask(backend_engine, "请问汉阳区大数据中心2021年年度财政资金总额评分是多少？")
    assert r.found and r.values[0].value == pytest.approx(20.0) and r.values[0].unit == "分", r.answer
    r = ask(backend_engine, "汉阳区大数据中心2021年基本支出是多少？")  # the row's amount, not its share
    assert r.found and r.values[0].unit == "万元"


def test_a_unit_read_from_the_rows_own_noun_does_not_overrule_the_column_asked(backend_engine):
    """"对口帮扶人数评分": 人数 is the row's own word, 评分 the column asked in other words (得分). The 实际完成值
    15 人 must not be given as the answer just because its unit matches 人数."""
    r = ask(backend_engine, "汉阳区大数据中心2021年对口帮扶人数评分一共多少")
    assert not (r.values and r.values[0].value == pytest.approx(15.0)), r.answer
    assert "16" in r.answer and "得分" in r.answer


def test_a_derivation_takes_the_all_funds_figure_not_its_appropriation_twin(backend_engine):
    """支出合计 of 汉阳 2021 is 2,785.73 (all funds); the appropriation-only table's 2,784.51 is only its twin,
    shown beside a lookup but never an input of a difference."""
    r = ask(backend_engine, "汉阳区大数据中心2021年收入合计和支出合计相差多少")
    assert not any(v.value == pytest.approx(2784.51) for v in r.values)
    r = ask(backend_engine, "汉阳区大数据中心2021年支出合计是多少")
    assert any(v.value == pytest.approx(2785.73) for v in r.values)
