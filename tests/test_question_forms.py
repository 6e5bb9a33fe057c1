"""Question forms met in the thirteenth session's outsider questions, end to end over two small invented
reports: a numbered school named by its short form (一小), a budget sentence that names no subject of its
own (年初预算…。决算数为年初预算的…), the budget left unspent (预算有多少没花掉), the actual asked after the
budget (实际花了多少), a comparison with a two-digit year (和22年比), the same year as before (同一年),
the part of a figure that is not something named (不是…的部分), which no stated figure answers, and the
figures a question names by a threshold or a word the report's figure does not share (单价50万元以上的通用设备,
校车), which are not the report's others."""
from __future__ import annotations

import pytest

from tests.test_generalize import assert_answers, engine_over

FIRST = """青山县第一小学2023年度部门决算

第二部分 2023年度部门决算情况说明

一、收入支出决算总体情况说明
2023年度收入总计 640.00 万元，支出总计 640.00 万元。本年支出合计 600.00 万元，与2022年相比增加 40.00 万元。

二、一般公共预算财政拨款支出决算情况说明
2023年度一般公共预算财政拨款支出 580.00 万元，比上年增加 30.00 万元。年初预算 500.00 万元，决算数为年初预算的 116.00%。

三、“三公”经费支出决算情况说明
2023年度“三公”经费财政拨款支出预算为 6.00 万元，支出决算为 4.50 万元，完成预算的 75.00%。

四、结转结余和国有资产占用情况说明
年初结转和结余 50.00 万元，年末结转和结余 40.00 万元。截至2023年12月31日，本单位共有车辆5辆，其中：一般公务用车1辆，其他用车4辆（主要为校车）；单价100万元以上专用设备1台（套）。
"""

SECOND = """青山县第二小学2023年度部门决算

第二部分 2023年度部门决算情况说明

一、收入支出决算总体情况说明
2023年度收入总计 320.00 万元，支出总计 320.00 万元。本年支出合计 300.00 万元，与2022年相比减少 10.00 万元。
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("forms"), {"青山县第一小学_2023.txt": FIRST.encode("utf-8"),
                                                         "青山县第二小学_2023.txt": SECOND.encode("utf-8")})


def test_a_numbered_school_answers_to_its_short_form(engine):
    r = assert_answers(engine, "青山一小2023年一般公共预算财政拨款支出是多少", 580.0)
    assert "第一小学" in r.answer


@pytest.mark.parametrize("question, value", [
    ("那2023年的年初预算是多少？", 500.0),  # the sentence opening 年初预算 is about the figure before it
    ("决算数是年初预算的百分之多少？", 116.0),
])
def test_a_budget_sentence_without_a_subject_is_about_the_sentence_before(engine, question, value):
    assert_answers(engine, question, value, history=["青山一小2023年一般公共预算财政拨款支出是多少"])


def test_the_budget_left_unspent_is_budget_less_actual(engine):
    r = assert_answers(engine, "青山一小2023年三公经费预算有多少没花掉？", 1.5)
    assert r.values[0].derived


def test_the_actual_asked_after_the_budget(engine):
    assert_answers(engine, "实际花了多少？", 4.5, history=["青山一小2023年三公经费预算是多少？"])


def test_a_comparison_with_a_two_digit_year_is_the_change(engine):
    assert_answers(engine, "和22年比多了多少？", 40.0, history=["青山一小2023年本年支出合计是多少？"])


def test_the_same_year_keeps_the_year_and_the_figure(engine):
    r = assert_answers(engine, "那青山二小同一年呢？", 300.0, history=["青山一小2023年本年支出合计是多少？"])
    assert "第二小学" in r.answer


def test_the_part_that_is_not_a_named_figure_finds_nothing(engine):
    r = engine.ask("青山一小2023年本年支出中不是一般公共预算财政拨款的部分有多少")
    assert not r.found and not r.values
    # 是不是 asks whether, and negates nothing: the share of the spending total (580 / 600)
    r = engine.ask("青山一小2023年的支出是不是全靠一般公共预算财政拨款")
    assert r.found and r.values[0].value == 96.67, r.answer


def test_a_level_against_another_point_of_the_year_is_the_same_figure_then(engine):
    r = assert_answers(engine, "青山一小2023年年末结转和结余比年初少了多少？", 10.0)
    assert r.values[0].derived


def test_a_figure_named_by_another_threshold_is_not_answered(engine):
    r = engine.ask("青山一小2023年单价50万元以上的通用设备有几台？")  # the report states 100万元以上专用设备 only
    assert not r.found and not r.values, r.answer
    assert_answers(engine, "青山一小2023年单价100万元以上专用设备有几台？", 1.0)


def test_a_one_character_word_inside_another_word_is_no_synonym(engine):
    r = engine.ask("青山一小2023年校车有多少辆？")  # 校车 is no 公务用车: not its 1
    assert not r.found or r.values[0].value == 4.0, r.answer
