"""Changes against last year asked in everyday words, end to end over a small invented report: a
column of changes explains the question's 增加 / 多了, and a sentence's change of another figure
is never the answer."""
from __future__ import annotations

import pytest

from tests.test_generalize import engine_over

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
