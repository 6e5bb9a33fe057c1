"""Which of a row's figures a question means, end to end over a small invented report: the row's total
column, not a part column beside it; the flow the question names (收入 or 支出), not the other one;
every domain term the question names, however many; and of two figures of one sentence, the one whose
own clause holds more of the question's words."""
from __future__ import annotations

import pytest

from tests.test_generalize import assert_answers, engine_over

REPORT = """南湖县数据中心2023年度部门决算

一、收入决算表
| 科目编码 | 科目名称 | 本年收入合计 | 财政拨款收入 | 其他收入 |
|:--|:--|--:|--:|--:|
| 201 | 一般公共服务支出 | 510.00 | 500.00 | 10.00 |
| 208 | 社会保障和就业支出 | 40.00 | 40.00 | 0.00 |
| | 合计 | 550.00 | 540.00 | 10.00 |

二、支出决算表
| 科目编码 | 科目名称 | 本年支出合计 | 基本支出 | 项目支出 |
|:--|:--|--:|--:|--:|
| 201 | 一般公共服务支出 | 505.00 | 205.00 | 300.00 |
| 208 | 社会保障和就业支出 | 40.00 | 40.00 | 0.00 |
| | 合计 | 545.00 | 245.00 | 300.00 |

三、一般公共预算财政拨款基本支出决算明细表
| 科目编码 | 科目名称 | 决算数 |
|:--|:--|--:|
| 30201 | 办公费 | 12.00 |
| 30206 | 电费 | 6.00 |
| 30207 | 邮电费 | 3.00 |

四、一般公共预算财政拨款支出决算情况说明
一般公共服务支出 495.00 万元，主要用于机构运行。

六、项目绩效自评表
| 指标 | 年初目标值 | 实际完成值 |
|:--|--:|--:|
| 视频监控系统一期点位在线率不低于95% | 95% | 95.04% |
| 视频监控系统三期点位在线率不低于95% | 95% | 96.80% |

五、政府采购支出说明
本部门2023年度政府采购支出总额60.00万元，其中：政府采购货物支出 15.00 万元、政府采购服务支出 45.00 万元。
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("flows"), {"南湖县数据中心_2023.txt": REPORT.encode("utf-8")})


def test_a_row_named_alone_is_its_total_column_not_a_part_beside_it(engine):
    r = engine.ask("南湖县数据中心2023年社会保障和就业支出是多少")
    assert r.found and r.values[0].value == 40.0, r.answer


def test_an_expenditure_row_asked_as_expenditure_is_read_in_the_expenditure_table(engine):
    r = engine.ask("南湖县数据中心2023年一般公共服务支出是多少")
    assert r.found and r.values[0].value == 505.0, r.answer  # not 510 (income by function), nor 205 (a part)


def test_income_asked_is_not_a_sentence_on_expenditure(engine):
    r = engine.ask("南湖县数据中心2023年一般公共服务收入是多少")
    assert not any(v.value in (495.0, 505.0) for v in r.values), r.answer
    assert r.found and r.values[0].value == 510.0, r.answer


def test_every_term_named_counts_however_many(engine):
    r = engine.ask("南湖县数据中心2023年一般公共预算财政拨款基本支出决算细表中邮电费的决算数是多少")
    assert r.found and r.values[0].value == 3.0, r.answer


def test_the_vocabulary_order_does_not_depend_on_string_hashing(engine):
    vocab = engine.index.vocab
    assert list(vocab) == sorted(vocab, key=lambda t: (-len(t), t))
    assert vocab.columns == sorted(vocab.columns, key=lambda c: (-len(c), c))


@pytest.mark.parametrize("question, value", [
    ("南湖县数据中心2023年政府采购货物多少", 15.0),
    ("南湖县数据中心2023年货物类政府采购是多少", 15.0),
    ("南湖县数据中心2023年政府采购支出中服务类是多少", 45.0),
])
def test_of_two_figures_of_a_sentence_the_one_whose_clause_names_the_part(engine, question, value):
    assert_answers(engine, question, value)


@pytest.mark.parametrize("question, value", [
    ("南湖县数据中心2023年视频监控系统一期点位在线率实际完成值", 95.04),
    ("南湖县数据中心2023年视频监控系统三期点位在线率的实际完成值是多少", 96.8),
])
def test_a_row_holding_only_part_of_what_another_row_holds_of_the_question_is_no_rival(engine, question, value):
    assert_answers(engine, question, value)


def test_how_much_more_after_two_figures_asked_each_and_which_is_more(engine):
    history = ["南湖县数据中心2023年政府采购支出总额是多少", "政府采购货物支出和政府采购服务支出分别是多少", "哪个多"]
    r = engine.ask("多多少", history=history)
    assert r.found and r.values[0].value == 30.0, r.answer  # 45.00 - 15.00, not the total's


@pytest.mark.parametrize("question", ["南湖县数据中心2023年政府采购中服务类是多少", "南湖县数据中心2023年政府采购支出总额中服务类"])
def test_a_category_named_with_lei_is_its_item(engine, question):
    from retriever.query import understand
    assert understand(question, engine.index).core == "服务"  # 类 names the category, no word of a label
    r = engine.ask(question)
    assert r.found and r.values[0].value == 45.0, r.answer


def test_a_share_follow_up_naming_only_the_whole_is_of_the_figure_before(engine):
    r = engine.ask("占本年收入合计的比重", history=["南湖县数据中心2023年一般公共服务支出的财政拨款收入是多少"])
    assert r.found and r.values[0].value == pytest.approx(500 / 550 * 100, abs=0.01), r.answer


def test_the_other_flow_asked_in_a_follow_up_is_the_same_figure_of_it(engine):
    history = ["南湖县数据中心2023年本年收入合计是多少"]
    r = engine.ask("支出呢", history=history)
    assert r.found and r.values[0].value == 545.0, r.answer  # 本年支出合计, not 支出 of some row
    r = engine.ask("两者相差多少", history=history + ["支出呢"])
    assert r.found and r.values[0].value == 5.0, r.answer
