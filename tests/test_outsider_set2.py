"""A second outsider set (thirteenth session): four reports a helper session wrote from the domain notes
alone, in templates no other fixture has — a Sichuan 街道办事处 whose tables are space-aligned columns as
`pdftotext -layout` prints them, a Hunan school in Markdown with amounts in 元 ("单位名称：… 单位：元") and
a procurement table inside the prose, a Shandong bureau with "label：value" and comma-separated tables,
a Jiangsu town with 类/款/项 code columns — two of them also as PDF files, with 65 questions. The
session's fixes were found on them, so they steer rather than measure; here they guard against the
wrong numbers they found (an income cell answering a 支出 question, 元 read as 万元, a 元 report
compared with a 万元 one by the bare numbers)."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.parser import parse_file
from retriever.evaluate import load_gold, run_gold, summarize
from tests.test_generalize import assert_answers, engine_over

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "tests" / "fixtures" / "outsider2"
SCHOOL = "湖南省衡岳市南麓区第二中学_2022.md"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    files = {p.name: p.read_bytes() for p in sorted((ROOT / "corpus").glob("*.txt"))}
    files.update({p.name: p.read_bytes() for p in sorted(REPORTS.iterdir()) if p.is_file()})
    return engine_over(tmp_path_factory.mktemp("outsider2"), files)


@pytest.fixture(scope="module")
def overall(engine):
    results, latencies = run_gold(engine, load_gold(ROOT / "tests" / "fixtures" / "outsider2_questions.jsonl"),
                                  warmup=0)
    summary = summarize(results, latencies)
    return summary.get("overall", summary)


def test_no_wrong_number_and_no_figure_of_another_report(overall):
    assert overall["wrong_number_rate"] == 0.0 and overall["wrong_report"] == 0, overall
    assert overall["abstention_unanswerable"] == 1.0


def test_most_questions_are_answered(overall):
    assert overall["accuracy"] >= 0.7, overall


def test_a_unit_stated_after_the_unit_name_is_the_tables_unit():
    tables = parse_file(REPORTS / SCHOOL).tables
    assert {t.name: t.unit for t in tables}["收入支出决算总表"] == "元"
    procurement = next(t for t in tables if "政府采购" in t.name)  # its own table, not the empty 09 table's
    assert procurement.unit == "元" and len(procurement.rows) == 4


def test_an_amount_in_yuan_is_answered_in_yuan(engine):
    assert_answers(engine, "南麓二中2022年事业收入多少元？", 1912358.8)


def test_a_spending_question_is_not_answered_by_an_income_cell(engine):
    # the 财政拨款 summary lists 一般公共预算财政拨款 only under 收入; the spending total is table 05's
    r = assert_answers(engine, "衡岳南麓区第二中学22年一般公共预算财政拨款支出一共多少？", 22928904.52)
    assert "23,015,404.52" not in r.answer


def test_a_row_named_inside_a_class_name_is_the_row(engine):
    assert_answers(engine, "南麓二中2022年高中教育支出是多少？", 12291361.69)  # not 教育支出 as a whole


def test_reports_in_yuan_and_wan_yuan_are_compared_in_one_unit(engine):
    r = engine.ask("南麓二中2022年和望川街道2023年，哪个政府采购支出总额更大？")
    assert r.found and r.answer.startswith("四川省岷江市清溪区望川街道办事处"), r.answer
    assert "369.6661万元" in r.answer


def test_the_part_that_is_not_a_named_figure_is_not_that_figure(engine):
    r = engine.ask("南麓二中2022年项目支出中不是一般公共预算财政拨款的部分有多少？")
    assert not r.found and not r.values


def test_comma_separated_rows_under_a_title_with_its_unit_are_a_table():
    tables = {t.name: t for t in parse_file(REPORTS / "山东省海岱市泺北区市场监督管理局_2021.txt").tables}
    spending = tables["支出决算表"]  # 表三　支出决算表（单位：万元）, then 科目编码,科目名称,本年支出合计,…
    assert spending.unit == "万元" and spending.columns[:3] == ["本年支出合计", "基本支出", "项目支出"]
    row = next(r for r in spending.rows if r.code == "2013801")
    assert row.name == "行政运行" and row.cell("本年支出合计").value == 1568.42


def test_a_sangong_table_with_budget_and_final_rows_reads_items_as_rows():
    t = next(t for t in parse_file(REPORTS / SCHOOL).tables if t.name == "三公经费支出决算表")
    values = {(r.name, c.column): c.value for r in t.rows for c in r.cells}
    assert values[("公务接待费", "年初预算数")] == 15000.0 and values[("公务接待费", "决算数")] == 8640.0
    assert values[("合计", "年初预算数")] == 45000.0


def test_a_row_named_under_another_is_that_row(engine):
    r = assert_answers(engine, "泺北区市场监管局21年市场监督管理事务下的行政运行支出多少？", 1568.42)
    assert "行政运行" in r.answer


def test_space_aligned_tables_under_centred_titles_after_a_page_number():
    # "- 4 -" ends the page before "收入决算表": no part of its title; a "--------" rule names no column
    tables = {t.name: t for t in parse_file(REPORTS / "四川省岷江市清溪区望川街道办事处_2023.txt").tables}
    income = tables["收入决算表"]
    assert income.columns[:3] == ["本年收入合计", "财政拨款收入", "上级补助收入"]
    basic = tables["一般公共预算财政拨款基本支出决算明细表"]
    assert {(r.name, c.value) for r in basic.rows for c in r.cells} >= {("基本工资", 450.43), ("办公费", 18.65)}
    assert not any("-" in c for c in tables["一般公共预算财政拨款支出决算表"].columns)
