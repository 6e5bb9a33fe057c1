"""What a sentence's figure is of, end to end over an invented report: a nil statement answers only its
own subject, a bare 0 of both budget and final account, a sentence opening with its comparison takes the
subject of the sentence before, a figure the report misprints once, parts of a 三公 item that tie
summed to the whole stated beside them, and follow-ups comparing with a year."""
from __future__ import annotations

import pytest

from tests.test_generalize import assert_answers, engine_over

REPORT = """青川县档案馆2022年度部门决算

第二部分 2022年度部门决算情况说明

一、收入决算情况说明
2022年度本年收入合计 300.00 万元，其中：财政拨款收入 280.00 万元，其他收入 20.00 万元。本单位没有国有资本经营收入。

二、支出决算情况说明
2022年度一般公共预算财政拨款支出 288.46 万元，占本年支出合计的 100%。
2022年度一般公共预算财政拨款支出 288.40 万元，主要用于一般公共服务支出。
2022年度一般公共预算财政拨款支出年初预算数为 260.00 万元，决算数为 288.40 万元。
2022年度一般公共预算财政拨款支出 288.40 万元，比上年增加 12.00 万元。
本年机关运行经费 41.20 万元，比 2021 年减少 3.80 万元。

三、“三公”经费支出决算情况说明
2022 年度“三公”经费财政拨款支出调整预算为 6.00 万元，支出决算为 5.10 万元，完成预算的 85%。较上年减少 0.40 万元，下降 7.27%。
1.因公出国（境）费预算数与决算数均为 0，与上年相比无变化。
2.公务用车购置及运行费调整预算为 3.30 万元，支出决算为 3.30 万元。
（1）公务用车购置费支出 0 万元。
（2）公务用车运行费支出 3.30 万元。
3.公务接待费支出决算为 1.80 万元。

四、政府采购支出说明
2022年度青川县档案馆政府采购支出总额 60.00 万元，其中：政府采购货物支出 12.00 万元、政府采购工程支出 30.00 万元、政府采购服务支出 18.00 万元。
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("subjects"), {"青川县档案馆_2022.md": REPORT.encode("utf-8")})


def test_a_nil_statement_answers_only_its_own_subject(engine):
    assert_answers(engine, "青川县档案馆2022年国有资本经营收入", 0.0)
    assert not engine.ask("青川县档案馆2022年经营收入是多少").found  # 没有国有资本经营收入 says nothing of it


def test_a_bare_zero_of_budget_and_final_account(engine):
    assert_answers(engine, "青川县档案馆2022年因公出国费用", 0.0)


def test_a_sentence_opening_with_its_comparison_speaks_of_the_sentence_before(engine):
    assert_answers(engine, "青川县档案馆2022年三公经费比上年少了多少", 0.40)
    r = assert_answers(engine, "青川县档案馆2022年三公经费上一年是多少", 5.50)
    assert r.values[0].derived and "5.10" in r.answer


def test_tied_parts_answer_as_their_stated_whole(engine):
    r = assert_answers(engine, "青川县档案馆2022年公车花了多少", 3.30)
    assert "购置费" not in r.values[0].label and "运行费" not in r.values[0].label


def test_a_fund_name_is_no_budget_and_a_misprint_is_outvoted(engine):
    r = assert_answers(engine, "青川县档案馆2022年一般公共预算财政拨款支出多少", 288.40)
    assert "288.46" in r.answer and len(r.citations) == 2  # the other figure shown and cited, not answered
    assert_answers(engine, "青川县档案馆2022年一般公共预算财政拨款支出年初预算数", 260.00)


def test_a_difference_of_two_parts_named_by_their_kind(engine):
    r = assert_answers(engine, "青川县档案馆2022年政府采购里，工程比服务多花了多少钱？", 12.00)
    assert r.values[0].derived


@pytest.mark.parametrize("history, question, value", [
    (["青川县档案馆2022年机关运行经费多少"], "比21年少了多少", 3.80),
    (["青川县档案馆2022年三公经费决算多少", "比上年少了多少"], "那上一年是多少", 5.50),
])
def test_a_follow_up_comparing_with_a_year_keeps_the_report(engine, history, question, value):
    assert_answers(engine, question, value, history=history)


def test_a_question_comparing_with_a_year_alone_asks_the_year_after(engine):
    assert_answers(engine, "青川县档案馆机关运行经费比21年少了多少", 3.80)
