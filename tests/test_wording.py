"""Everyday wordings of differences, shares, totals and counts, end to end over a small invented report:
a colloquial word is never read across two words of the question (支出|差 is no 出差), "A和B差多少" is
their difference, "A里B占多少" B's share of A, 支出总额 the unit's spending, not a purchase total, and
"有几个科室" the items a passage enumerates under another name for them (内设3个机构，包括…); a figure
said to leave something out (设备（不含车辆）) is no figure of it."""
from __future__ import annotations

import pytest

from tests.test_generalize import assert_answers, engine_over

REPORT = """东湖县档案服务中心2023年度部门决算

一、部门概况
从单位构成看，东湖县档案服务中心部门决算由本级决算组成。其中：内设3个机构，包括综合办公室、档案保管科、信息技术科。

二、收入支出决算总体情况说明
2023年度收入合计 980.00 万元，支出合计 1,000.00 万元。

三、支出决算情况说明
2023年度本年支出合计 1,000.00 万元，其中：基本支出 400.00 万元，项目支出 600.00 万元。

四、一般公共预算财政拨款基本支出情况说明
2023年度一般公共预算财政拨款基本支出 400.00 万元，其中：人员经费 300.00 万元，公用经费 100.00 万元。公用经费主要包括：办公费、差旅费 2.50 万元、会议费。

五、政府采购支出情况说明
本单位 2023 年度政府采购支出总额 120.00 万元，其中：政府采购货物支出 20.00 万元、政府采购服务支出 100.00 万元。

六、国有资产占用情况说明
截至 2023 年 12 月 31 日，部门共有车辆 2 辆；单位价值 50 万元以上设备（不含车辆）0 台（套）。

七、“三公”经费支出情况说明
2023年度“三公”经费支出决算为 3.00 万元。较上年增加 0.50 万元，增长 20%。增加的主要原因是公务用车运行费用上升。

八、机关运行经费支出情况说明
"""


OTHER = """南岭县档案服务中心2023年度部门决算

一、支出决算情况说明
2023年度本年支出合计 500.00 万元，其中：基本支出 450.00 万元，项目支出 50.00 万元。
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("wording"), {"东湖县档案服务中心_2023.txt": REPORT.encode("utf-8"),
                                                            "南岭县档案服务中心_2023.txt": OTHER.encode("utf-8")})


@pytest.mark.parametrize("question, value", [
    ("东湖县档案服务中心2023年的收入和支出差多少", 20.0),
    ("东湖县档案服务中心2023年收入和支出差额是多少", 20.0),
    ("东湖县档案服务中心2023年基本支出和项目支出之间的差距有多大", 200.0),
])
def test_a_difference_asked_with_cha(engine, question, value):
    r = assert_answers(engine, question, value)
    assert not any(v.value == 2.5 for v in r.values), r.answer  # never 差旅费 read from 支出差


def test_a_colloquial_word_inside_one_word_still_counts(engine):
    assert_answers(engine, "东湖县档案服务中心2023年出差花了多少", 2.5)


@pytest.mark.parametrize("question", [
    "东湖县档案服务中心2023年一般公共预算财政拨款基本支出里人员经费占多少",
    "东湖县档案服务中心2023年基本支出中人员经费占比",
])
def test_a_part_after_its_whole_and_li(engine, question):
    assert_answers(engine, question, 75.0)


def test_spending_in_general_words_is_the_units_not_a_purchase_total(engine):
    assert_answers(engine, "东湖县档案服务中心2023年支出总额是多少", 1000.0)
    assert_answers(engine, "东湖县档案服务中心2023年政府采购支出总额是多少", 120.0)


@pytest.mark.parametrize("question", [
    "东湖县档案服务中心2023年有哪些科室",
    "东湖县档案服务中心2023年下设哪些科室",
])
def test_sections_listed_under_another_name(engine, question):
    r = engine.ask(question)
    assert r.found and "综合办公室" in r.answer and "信息技术科" in r.answer, r.answer


def test_a_count_of_the_items_an_enumeration_names(engine):
    r = assert_answers(engine, "东湖县档案服务中心2023年有几个科室", 3)
    assert r.values[0].derived and r.citations, r.answer


def test_no_count_of_items_the_passage_does_not_name_so(engine):
    r = engine.ask("东湖县档案服务中心2023年有几个部门")  # 部门 names the unit itself, no enumeration
    assert not r.found, r.answer


def test_a_figure_that_leaves_something_out_is_not_of_it(engine):
    assert_answers(engine, "东湖县档案服务中心2023年车辆数", 2)
    assert_answers(engine, "东湖县档案服务中心2023年有几辆车", 2)


@pytest.mark.parametrize("follow_up", ["两者相差多少", "相差多少"])
def test_one_figure_of_two_reports_then_their_gap(engine, follow_up):
    history = ["东湖县档案服务中心2023年基本支出是多少", "那南岭县档案服务中心呢"]
    assert_answers(engine, history[1], 450.0, history=history[:1])
    r = engine.ask(follow_up, history=history)
    assert r.found and any(v.derived and v.value == 50.0 for v in r.values), r.answer


def test_a_follow_up_naming_only_what_the_figure_is_set_against(engine):
    history = ["东湖县档案服务中心2023年项目支出"]
    assert_answers(engine, history[0], 600.0)
    r = assert_answers(engine, "比基本支出多多少", 200.0, history=history)  # never 基本支出 itself
    assert r.values[0].derived, r.answer


@pytest.mark.parametrize("question", ["东湖县档案服务中心2023年项目支出是基本支出的几倍",
                                      "东湖县档案服务中心2023年项目支出相当于基本支出的多少倍"])
def test_a_ratio_of_two_figures(engine, question):
    r = assert_answers(engine, question, 1.5)
    assert r.values[0].unit == "倍" and r.values[0].formula == "600.00 / 400.00", r.values[0]
    assert [v.value for v in r.values[1:]] == [600.0, 400.0]  # each input cited


@pytest.mark.parametrize("follow_up", ["合计多少", "加起来呢", "一共多少"])
def test_a_sum_asked_after_two_figures_is_their_sum(engine, follow_up):
    history = ["东湖县档案服务中心2023年人员经费是多少", "公用经费呢"]
    r = assert_answers(engine, follow_up, 400.0, history=history)  # never 公用经费 itself
    assert r.values[0].derived and r.values[0].formula == "300.00 + 100.00", r.values[0]


def test_former_and_latter_name_the_two_figures_asked_before(engine):
    history = ["东湖县档案服务中心2023年人员经费是多少", "公用经费呢"]
    assert_answers(engine, "前者是后者的几倍", 3.0, history=history)


def test_a_reason_is_given_only_for_the_figure_asked(engine):
    r = engine.ask("东湖县档案服务中心2023年三公经费为什么增加")
    assert r.found and "公务用车运行费用上升" in r.answer and not r.values, r.answer
    for other in ("东湖县档案服务中心2023年机关运行经费为什么增加",  # a heading, and 三公经费's reason
                  "东湖县档案服务中心2023年项目支出增加的原因"):
        r = engine.ask(other)
        assert "公务用车" not in r.answer and "情况说明" not in r.answer, r.answer


def test_a_year_in_chinese_numerals(engine):
    assert_answers(engine, "东湖县档案服务中心二〇二三年项目支出是多少", 600.0)
    r = engine.ask("东湖县档案服务中心二零二二年项目支出是多少")  # a year the corpus does not hold
    assert not r.found and not r.values, r.answer
