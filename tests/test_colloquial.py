"""Everyday wordings and what a report does not hold, end to end over a small invented report:
colloquial words read as the report's terms, the whole of a sentence listing its parts after 其中,
a classification row the report never mentions, and a share asked inside one named table."""
from __future__ import annotations

import pytest

from tests.test_generalize import assert_answers, engine_over

REPORT = """石门县图书馆2023年度部门决算

第二部分 2023年度部门决算情况说明

一、收入支出决算总体情况说明
2023年度收入总计 520.00 万元，支出总计 520.00 万元。

二、收入决算情况说明
本年收入合计 480.00 万元，其中：财政拨款收入 450.00 万元，其他收入 30.00 万元。
本年支出合计 470.00 万元，与上年相比，本年支出合计增加 35.00 万元。

三、一般公共预算财政拨款基本支出决算情况说明
基本支出 300.00 万元，其中：人员经费 260.00 万元，公用经费 40.00 万元。公用经费主要包括差旅费 3.20 万元、会议费 1.10 万元、租赁费 6.00 万元。

四、“三公”经费支出决算情况说明
“三公”经费支出 5.40 万元。其中：因公出国（境）费 0 万元；公务用车购置及运行费 3.60 万元；公务接待费 1.80 万元。

五、政府采购支出说明
2023年度石门县图书馆政府采购支出总额 90.00 万元，其中：政府采购货物支出 20.00 万元、政府采购服务支出 70.00 万元。

部门整体绩效自评表
| 项目 | 预算数（万元） | 执行数（万元） | 执行率 | 得分 |
|:--|--:|--:|--:|--:|
| 部门整体支出总额 | 250.00 | 240.00 | 96% | 19 |
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("colloquial"), {"石门县图书馆_2023.md": REPORT.encode("utf-8")})


@pytest.mark.parametrize("question, value", [
    ("石门县图书馆2023年请客吃饭花了多少钱", 1.80),
    ("石门县图书馆2023年车子方面一共花了多少钱", 3.60),
    ("石门县图书馆2023年出差花了多少", 3.20),
    ("石门县图书馆2023年开会花了多少钱", 1.10),
    ("石门县图书馆2023年房租花了多少", 6.00),
    ("石门县图书馆2023年人头费是多少", 260.00),
    ("石门县图书馆2023年能用的钱一共有多少", 520.00),
])
def test_an_everyday_word_reads_as_the_reports_term(engine, question, value):
    assert_answers(engine, question, value)


def test_a_sentence_listing_parts_after_qizhong_answers_the_whole(engine):
    r = engine.ask("石门县图书馆2023年政府采购花了多少")
    assert r.found and r.values[0].value == 90.00, r.answer
    r = engine.ask("石门县图书馆2023年政府采购服务支出是多少")
    assert r.found and r.values[0].value == 70.00, r.answer


def test_a_classification_row_the_report_never_names_has_no_figure(engine):
    r = engine.ask("石门县图书馆2023年人大事务本年收入合计是多少")
    assert not r.found and r.values == [], r.answer
    assert engine.ask("石门县图书馆2023年本年收入合计是多少").values[0].value == 480.00


def test_a_share_inside_a_named_table_takes_both_figures_from_it(engine):
    r = engine.ask("石门县图书馆2023年部门整体绩效自评表中部门整体支出总额占本年收入合计的比重是多少")
    assert not r.found and r.values == [], r.answer  # the table holds no 本年收入合计
    r = engine.ask("石门县图书馆2023年部门整体支出总额占本年收入合计的比重是多少")
    assert r.found and r.values[0].value == 50.00, r.answer  # no table named: the whole may be stated elsewhere


def test_spending_more_than_last_year_is_the_change_of_the_total_spent(engine):
    """多花了 with no figure named: the change of 本年支出合计 (the report states it)."""
    assert_answers(engine, "石门县图书馆2023年比上年多花了多少钱", 35.0)


@pytest.mark.parametrize("question, value", [
    ("请帮我查一下石门县图书馆2023年的公用经费，谢谢", 40.0),   # polite words around the question
    ("麻烦告诉我石门县图书馆2023年的人员经费", 260.0),
    ("石门县图书馆2023年基本支出决算数是多少", 300.0),          # 决算数 after a term: that term's figure
])
def test_polite_words_and_the_value_word_after_a_term(engine, question, value):
    assert_answers(engine, question, value)
