"""Which figure a sentence's words are about, and which rows the ranker sees, over a small invented
report: the base of another figure's share stated before a figure ("占本年收入 95.00%；其他收入 40.00")
is not what that figure is, and a row whose name holds the question's words is a candidate however
many sentences say those words."""
from __future__ import annotations

import pytest

from tests.test_generalize import assert_answers, engine_over

FILLER = "".join(f"（{k}）本年度第{k}项业务的支出按计划执行，本年支出进度正常。\n\n" for k in range(1, 61))
REPORT = f"""西河县档案服务中心2023年度部门决算

一、收入支出决算总体情况说明
2023年度收入合计 800.00 万元。其中：财政拨款收入 760.00 万元，占本年收入 95.00%；其他收入 40.00 万元，占本年收入 5.00%。

二、工作情况
{FILLER}
三、部门决算表

2023年度收入支出决算总表
金额单位：万元
项目\t行次\t金额\t项目\t行次\t金额
一般公共预算财政拨款收入\t1\t760.00\t一般公共服务支出\t31\t790.00
其他收入\t2\t40.00\t\t\t
本年收入合计\t3\t800.00\t本年支出合计\t32\t790.00
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("context"), {"西河县档案服务中心_2023.txt": REPORT.encode("utf-8")})


def test_the_base_of_an_earlier_share_is_not_the_next_figures_subject(engine):
    r = engine.ask("西河县档案服务中心2023年本年收入是多少")
    assert 40.0 not in [v.value for v in r.values], r.answer
    assert r.found and r.values[0].value == 800.0, r.answer


def test_the_share_itself_keeps_its_base(engine):
    assert_answers(engine, "西河县档案服务中心2023年其他收入占本年收入的比例", 5.0)


def test_a_row_holding_the_asked_words_is_found_among_many_sentences_saying_them(engine):
    assert_answers(engine, "西河县档案服务中心2023年本年支出是多少", 790.0)
