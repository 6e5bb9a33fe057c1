"""An invented report that states its figures in sentences only, in wordings the other fixtures do not
use: 全年共收入 / 共支出, parts introduced by "收入中，", 为年初预算的 X%, 全年无因公出国（境）, 在职人员.
A question read through the lexicon's terms (总支出 → 本年支出合计) falls back to its own words when
the report does not use the term."""
from __future__ import annotations

import pytest

from tests.test_generalize import assert_answers, engine_over

REPORT = """东川县林业和草原局2022年度部门决算公开说明

一、部门基本情况
东川县林业和草原局内设办公室、资源管理股、生态保护修复股、森林防火股共4个股室。截至2022年底，编制人数45人，在职人员42人，离退休人员18人。

二、收入支出决算总体情况说明
2022年度全年共收入1,563.20万元，共支出1,570.85万元。收入中，财政拨款收入1,500.00万元，事业收入48.20万元，其他收入15.00万元。支出决算数为1,570.85万元，为年初预算的105.3%。

按功能分类，农林水支出1,320.65万元，占84.07%，主要用于森林资源管护和生态修复；社会保障和就业支出130.20万元。
一般公共服务支出120.00万元，占7.64%。主要是用于机关事业运行。

三、“三公”经费情况说明
2022年“三公”经费支出12.60万元，同比下降10.0%。公务接待费支出1.50万元；公务用车运行维护费11.10万元。全年无因公出国（境）。
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("prose_wordings"),
                       {"东川县林业和草原局_2022.txt": REPORT.encode("utf-8")})


@pytest.mark.parametrize("question, value", [
    ("东川县林业和草原局2022年收入是多少", 1563.20),       # the whole, not a part listed after 收入中，
    ("东川县林业和草原局2022年事业收入", 48.20),
    ("东川县林业和草原局2022年总支出", 1570.85),           # 总支出 read as 本年支出合计 first
    ("东川县林业和草原局在职人员多少人", 42),
    ("东川县林业和草原局2022年支出完成年初预算的比例", 105.3),
    ("东川县林业和草原局2022年因公出国费", 0.0),
])
def test_figures_in_sentence_wordings(engine, question, value):
    r = assert_answers(engine, question, value)
    assert r.citations, r.answer


@pytest.mark.parametrize("question, said", [
    ("东川县林业和草原局2022年农林水支出主要用于什么", "森林资源管护"),
    ("东川县林业和草原局2022年一般公共服务支出主要用于什么", "机关事业运行"),  # said in the next sentence
])
def test_what_a_figure_is_used_for_is_the_sentence_saying_so(engine, question, said):
    r = engine.ask(question)
    assert r.found and said in r.answer and not r.values and r.citations, r.answer
