"""How one unit changed across years, over two invented reports of one unit (2020 and 2021): the change
the later report states against its last year; the two years' figures and their difference where it
states none; which year is higher."""
from __future__ import annotations

import pytest

from tests.test_generalize import assert_answers, engine_over


def report(year: int, sangong: float, change: str, reception: float) -> bytes:
    return f"""秦州市青岚县审计局{year}年部门决算

一、“三公”经费支出情况说明
{year}年度“三公”经费支出{sangong:.2f}万元，较上年{change}。其中：公务接待费{reception:.2f}万元。
""".encode("utf-8")


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("two_years"), {
        "秦州市青岚县审计局_2020.txt": report(2020, 6.30, "减少0.80万元", 1.50),
        "秦州市青岚县审计局_2021.txt": report(2021, 7.40, "增加1.10万元", 2.60),
    })


def test_the_change_the_later_report_states(engine):
    r = assert_answers(engine, "青岚县审计局2021年三公经费比2020年增加了多少", 1.10)
    assert len(r.values) == 1 and "2020年度" not in r.answer, r.answer  # not 2020's own change (−0.80)


@pytest.mark.parametrize("question", ["青岚县审计局2020年到2021年公务接待费变化了多少",
                                      "青岚县审计局2021年公务接待费比2020年增加了多少"])
def test_the_gap_of_the_two_years_where_no_change_is_stated(engine, question):
    r = assert_answers(engine, question, 1.10)
    assert r.values[0].derived and {v.value for v in r.values[1:]} == {2.60, 1.50}, r.answer


def test_which_year_is_higher(engine):
    r = assert_answers(engine, "青岚县审计局哪一年的三公经费多", 7.40)
    assert "2021年度最高" in r.answer, r.answer
