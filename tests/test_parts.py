"""Which part of a figure is largest, figures per person, and last year's value asked around the
report's own year, end to end over a small invented report."""
from __future__ import annotations

import pytest

from tests.test_generalize import engine_over

REPORT = """东湖县档案馆2023年度部门决算

第二部分 2023年度部门决算情况说明

一、收入支出决算总体情况说明
收入总计：1100.00 万元
收支总计较上年决算数：增加 100.00 万元，增幅 10.00%

| 指标 | 收入总计 | 支出总计 |
|:--|--:|--:|
| 2023年决算数（万元） | 1100.00 | 1100.00 |
| 较上年增减额（万元） | +100.00 | +100.00 |

2023年度本年收入合计1050.00万元，比上年决算数多50.00万元，增长5.00%。

二、一般公共预算财政拨款基本支出决算情况说明

一般公共预算财政拨款基本支出决算明细表
| 科目编码 | 科目名称 | 决算数 |
|:--|:--|--:|
| 301 | 工资福利支出 | 300.00 |
| 30101 | 基本工资 | 120.00 |
| 30102 | 津贴补贴 | 180.00 |
| 302 | 商品和服务支出 | 50.00 |
| 30201 | 办公费 | 20.00 |
| 30211 | 差旅费 | 30.00 |

三、“三公”经费支出决算情况说明
“三公”经费支出 6.00 万元，比上年增加 1.00 万元。全年公务接待 10 批次、100 人次。

“三公”经费支出决算明细
| 项目 | 决算数 |
|:--|--:|
| 合计 | 6.00 |
| 因公出国（境）费 | 0 |
| 公务用车购置及运行费 | 4.00 |
| 公务接待费 | 2.00 |

四、政府采购支出说明
| 采购类别 | 金额（万元） |
|:--|--:|
| 政府采购货物支出 | 15.00 |
| 政府采购服务支出 | 45.00 |
| 政府采购支出总额 | 60.00 |

七、机关运行经费支出情况
2023年机关运行经费支出 4.00 万元，预算完成率100%。与2022年相比少支出 0.50 万元，下降 11.11%。

六、项目支出情况
档案数字化服务项目 5.00 万元，主要用于馆藏档案扫描。

五、国有资产占用情况
| 资产类别 | 金额（万元） |
|:--|--:|
| 房屋 | 300.00 |
| 车辆 | 20.00 |
| 资产总额 | 500.00 |
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("parts"), {"东湖县档案馆_2023.md": REPORT.encode("utf-8")})


@pytest.mark.parametrize("question, label, value", [
    ("东湖县档案馆2023年三公经费里面哪项最多", "公务用车购置及运行费", 4.00),
    ("东湖县档案馆2023年三公经费中哪一项最少", "因公出国（境）费", 0.0),
    ("东湖县档案馆2023年政府采购哪一类最多", "政府采购服务支出", 45.00),
    ("东湖县档案馆2023年工资福利支出中哪一项最多", "津贴补贴", 180.00),
])
def test_the_largest_part_of_a_figure_is_a_part_that_adds_up_with_the_others(engine, question, label, value):
    r = engine.ask(question)
    assert r.found and r.values[0].value == value and r.values[0].label == label, r.answer
    assert len(r.citations) >= 1 and r.values[0].derived


def test_parts_that_do_not_add_up_to_their_whole_answer_nothing(engine):
    r = engine.ask("东湖县档案馆2023年国有资产中哪一项最多")  # 房屋 + 车辆 ≠ 资产总额: rows are missing
    assert not r.found and r.values == [], r.answer


def test_a_figure_per_person_is_never_the_total(engine):
    r = engine.ask("东湖县档案馆2023年人均公务接待费是多少")
    assert not r.found and r.values == [], r.answer
    assert engine.ask("东湖县档案馆2023年公务接待费是多少").values[0].value == 2.00


def test_last_year_said_after_the_reports_own_year_is_the_year_before(engine):
    r = engine.ask("东湖县档案馆2023年三公经费去年花了多少")
    assert r.found and r.values[0].value == 5.00, r.answer


def test_last_years_total_comes_from_the_change_in_the_table_row_a_sentence_restates(engine):
    r = engine.ask("东湖县档案馆2022年收入总计是多少")
    assert r.found and r.values[0].value == 1000.00, r.answer


def test_a_sentence_without_a_subject_takes_the_one_of_the_short_sentence_before(engine):
    r = engine.ask("东湖县档案馆2023年机关运行经费比上年少了多少")
    assert r.found and r.values[0].value == 0.50, r.answer


def test_a_rate_stated_of_another_subject_never_answers(engine):
    r = engine.ask("东湖县档案馆2023年收支总计增长了百分之几")
    assert not r.found or r.values[0].value == 10.00, r.answer


def test_a_part_asked_within_a_scope_is_the_scopes_part(engine):
    r = engine.ask("东湖县档案馆2023年政府采购中服务类占多少")  # not the 档案数字化服务项目
    assert r.found and r.values[0].value == 75.00, r.answer
    assert [v.value for v in r.values[1:]] == [45.00, 60.00]


def test_each_of_two_figures_asked_with_ge(engine):
    r = engine.ask("东湖县档案馆2023年基本工资和津贴补贴各多少")
    assert r.found and [v.value for v in r.values] == [120.00, 180.00], r.answer


def test_rows_tied_for_what_they_share_answer_with_the_total_they_add_up_to(engine):
    r = engine.ask("东湖县档案馆2023年政府采购花了多少")  # 货物 15 + 服务 45 = 支出总额 60
    assert r.found and r.values[0].value == 60.00, r.answer
    r = engine.ask("东湖县档案馆2023年国有资产有多少钱")  # 房屋 + 车辆 ≠ 资产总额: no identity, no answer
    assert not r.found or r.values[0].value == 500.00, r.answer


TABLES = """北岭县数据中心2023年度部门决算

收入决算表
| 科目编码 | 科目名称 | 本年收入合计 | 财政拨款收入 | 其他收入 |
|:--|:--|--:|--:|--:|
| 201 | 一般公共服务支出 | 905.00 | 900.00 | 5.00 |
| 208 | 社会保障和就业支出 | 95.00 | 95.00 | |
| | 合计 | 1000.00 | 995.00 | 5.00 |

支出决算表
| 科目编码 | 科目名称 | 本年支出合计 | 基本支出 | 项目支出 |
|:--|:--|--:|--:|--:|
| 201 | 一般公共服务支出 | 880.00 | 180.00 | 700.00 |
| 208 | 社会保障和就业支出 | 120.00 | 120.00 | |
| | 合计 | 1000.00 | 300.00 | 700.00 |

一般公共预算财政拨款支出决算表
| 科目编码 | 科目名称 | 小计 | 基本支出 | 项目支出 |
|:--|:--|--:|--:|--:|
| 201 | 一般公共服务支出 | 870.00 | 170.00 | 700.00 |
| 208 | 社会保障和就业支出 | 120.00 | 120.00 | |
| | 合计 | 990.00 | 290.00 | 700.00 |

财政拨款收入支出决算总表
| 项目 | 合计 | 一般公共预算财政拨款 |
|:--|--:|--:|
| 农林水支出 | 40.00 | 40.00 |
"""


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("tables"), {"北岭县数据中心_2023.md": TABLES.encode("utf-8")})


def test_a_share_takes_its_part_from_the_wholes_own_table(tables):
    r = tables.ask("北岭县数据中心2023年一般公共服务支出占总支出的比例")  # 880 of 1000, the 支出决算表's
    assert r.found and r.values[0].value == pytest.approx(88.0), r.answer
    assert "880.00 / 1,000.00" in r.answer


def test_a_share_asked_as_zhanbi_of_a_scope(engine):
    r = engine.ask("东湖县档案馆2023年政府采购支出总额中服务类占比多少")
    assert r.found and r.values[0].value == 75.00, r.answer


def test_a_share_asked_after_a_part_of_the_figure_before(engine):
    history = ["东湖县档案馆2023年政府采购支出总额是多少", "其中服务类的呢"]
    assert engine.ask(history[1], history=history[:1]).values[0].value == 45.00
    r = engine.ask("占比多少", history=history)
    assert r.found and r.values[0].value == 75.00, r.answer


def test_a_table_named_with_two_characters_swapped(tables):
    from retriever.query import table_in
    assert table_in("一般公共预算财拨政款支出决算表中一般公共服务支出")[0] == "一般公共预算财政拨款支出决算表"
    r = tables.ask("北岭县数据中心2023年一般公共预算财拨政款支出决算表中一般公共服务支出的项目支出是多少")
    assert r.found and r.values[0].value == 700.00 and "一般公共预算财政拨款支出决算表" in r.answer, r.answer
    r = tables.ask("北岭县数据中心2023年一般公共预算财拨政款支出决算表中一般公共服务支出的基本支出是多少")
    assert r.found and r.values[0].value == 170.00, r.answer


@pytest.mark.parametrize("written", ["一般公共预算财政拨支出决算表", "一般公共算财政拨款支出决算表", "一般共预算财政拨款支出决算表"])
def test_a_table_named_with_one_character_left_out(tables, written):
    from retriever.query import table_in
    assert table_in(f"{written}中一般公共服务支出")[0] == "一般公共预算财政拨款支出决算表"
    r = tables.ask(f"北岭县数据中心2023年{written}中一般公共服务支出的项目支出是多少")
    assert r.found and r.values[0].value == 700.00 and "一般公共预算财政拨款支出决算表" in r.answer, r.answer


def test_a_column_the_named_table_lacks_gives_no_other_column_of_it(tables):
    r = tables.ask("北岭县数据中心2023年财政拨款收入支出决算总表中农林水支出的基本支出是多少")
    assert not r.found and r.values == [], r.answer  # not its 合计
