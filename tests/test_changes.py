"""Changes against last year asked in everyday words, and figures of something else, end to end over
a small invented report: a column of changes explains the question's 增加 / 多了; a sentence's change
of another figure, a sentence without the item asked, and an item's total for a total asked in
general words are never the answer."""
from __future__ import annotations

import pytest

from tests.test_generalize import assert_answers, engine_over

REPORT = """西山县气象服务中心2023年度部门决算

一、收入支出决算总体情况说明
收入总计：900.00 万元
收支总计较上年决算数：增加 70.00 万元，增幅 8.43%

收支总计变动的主要因素
| 项目 | 增减 | 变动额 |
|:--|:--|--:|
| 一般公共财政拨款收入 | 增加 | 95.00 |
| 其他收入 | 减少 | 25.00 |

二、收入决算情况说明
2023年度本年收入合计900.00万元，其中：一般公共预算财政拨款收入820.00万元，其他收入80.00万元。

三、“三公”经费支出情况说明
“三公”经费支出决算合计 3.00 万元，与预算相比增加 0.20 万元；与上年相比增加 0.50 万元。

“三公”经费支出决算明细
| 项目 | 决算数 | 比预算增减 | 比上年增减 |
|:--|--:|:--|--:|
| 公务接待费 | 1.00 | 无增减 | 0.30 |

六、支出决算情况说明
2023年度本年支出合计 2,900.00 万元，其中：基本支出 1,200.00 万元，占本年支出 41.38%；项目支出 1,700.00 万元，占本年支出 58.62%。

五、机关运行经费
2023 年度机关运行经费预算为 5 万元，支出决算为 4.00 万元，完成预算的 80%；较上年减少 0.50 万元，下降 11.11%。

四、绩效自评情况
部门整体支出绩效自评综述：项目全年预算数为500.00万元，执行数为490.00万元，完成预算98.00%。
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("changes"), {"西山县气象服务中心_2023.txt": REPORT.encode("utf-8")})


@pytest.mark.parametrize("question", [
    "西山县气象服务中心2023年财政拨款收入比上年增加多少",
    "西山县气象服务中心今年财政拨款收入比去年增加了多少",
])
def test_a_change_column_explains_the_change_words(engine, question):
    r = engine.ask(question)
    assert r.found and r.values[0].value == 95.0, r.answer
    assert "一般公共财政拨款收入" in r.citations[0].text


@pytest.mark.parametrize("question", [
    "西山县气象服务中心2023年事业拨款比上年增加了多少",
    "西山县气象服务中心2023年经营收入比上年增加了多少",
])
def test_a_sentence_on_another_figure_is_no_change_of_the_one_asked(engine, question):
    r = engine.ask(question)  # only 收支总计's 增加 70.00 is said in words; it is not this figure's change
    assert not any(v.value == 70.0 for v in r.values), r.answer
    assert not r.found, r.answer


def test_the_stated_change_still_answers_its_own_figure(engine):
    r = engine.ask("西山县气象服务中心2023年收支总计比上年增加多少")
    assert r.found and r.values[0].value == 70.0, r.answer


@pytest.mark.parametrize("question, absent", [
    ("西山县气象服务中心2023年三公经费预算完成率是多少", 98.0),  # the rate is the whole department's
    ("西山县气象服务中心2023年支出合计是多少", 3.0),  # the only 支出…合计 said is 三公经费's
    ("西山县气象服务中心2023年的收入合计和支出合计各是多少", 3.0),
])
def test_a_figure_of_something_else_is_no_answer(engine, question, absent):
    r = engine.ask(question)
    assert not any(v.value == absent for v in r.values), r.answer


def test_the_figures_asked_each_are_answered_each(engine):
    r = engine.ask("西山县气象服务中心2023年收入总计和经营收入各是多少")
    assert r.values[0].value == 900.0, r.answer
    assert "“经营收入”" in r.answer, r.answer  # the one the report lacks is named as asked, without 各


@pytest.mark.parametrize("question, value", [
    ("西山县气象服务中心2023年三公经费比预算多多少", 0.2),
    ("西山县气象服务中心2023年三公经费比上年多多少", 0.5),
])
def test_a_change_against_the_budget_or_last_year_as_asked(engine, question, value):
    assert_answers(engine, question, value)


def test_a_change_against_last_year_is_no_change_against_the_budget(engine):
    r = engine.ask("西山县气象服务中心2023年公务接待费比预算多了多少")
    assert not any(v.value == 0.3 for v in r.values), r.answer


def test_a_markdown_table_of_one_row_is_a_table(engine):
    r = engine.ask("西山县气象服务中心2023年公务接待费比上年增加多少")
    assert r.found and r.values[0].value == 0.3, r.answer
    assert "“三公”经费支出决算明细" in r.citations[0].text, r.citations[0].text


@pytest.mark.parametrize("question, value", [
    ("西山县气象服务中心2023年三公经费是多少", 3.0),
    ("西山县气象服务中心2023年机关运行经费是多少", 4.0),  # not undecided against 较上年减少 0.50
])
def test_a_change_stated_beside_a_figure_is_no_rival_of_it(engine, question, value):
    assert_answers(engine, question, value)


def test_a_share_follow_up_keeps_the_budget_word_inside_the_term_before(engine):
    """预算 inside 一般公共预算财政拨款收入 names the figure, not a budget: the follow-up keeps it."""
    r = engine.ask("占本年收入合计的比重", history=["西山县气象服务中心2023年一般公共预算财政拨款收入是多少"])
    assert r.found and r.values[0].value == pytest.approx(820 / 900 * 100, abs=0.01), r.answer


@pytest.mark.parametrize("question, value, label", [
    ("西山县气象服务中心2023年项目支出占本年支出的比重", 58.62, "项目支出"),
    ("西山县气象服务中心2023年基本支出占比", 41.38, "基本支出"),
])
def test_a_thousands_comma_does_not_break_a_sentence_into_clauses(engine, question, value, label):
    r = engine.ask(question)  # "项目支出 1,700.00 万元，占本年支出 58.62%": one clause up to the figure
    assert r.found and r.values[0].value == value and label in r.answer, r.answer
