"""Several figures in one question, end to end over two invented reports of one county: figures asked
together (A和B分别是多少), a gap between two reports, and a derivation asked of each report."""
from __future__ import annotations

import pytest

from tests.test_generalize import engine_over


def report(unit: str, basic: float, project: float, staff: float, office: float, cut: float) -> bytes:
    return f"""{unit}2022年度部门决算

一、支出决算情况说明
2022年度本年支出合计 {basic + project:.2f} 万元，其中：基本支出 {basic:.2f} 万元，项目支出 {project:.2f} 万元。
基本支出中，人员经费 {staff:.2f} 万元，公用经费 {office:.2f} 万元。

二、“三公”经费支出决算情况说明
2022年度“三公”经费支出决算 2.00 万元，比上年减少 {cut:.2f} 万元。

三、绩效自评情况
2022年度项目支出全面开展绩效自评，共涉及项目 {int(project // 50)} 个。
""".encode("utf-8")


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("several"), {
        "松江县档案馆_2022.txt": report("松江县档案馆", 300.0, 100.0, 280.0, 20.0, 0.4),
        "松江县气象服务中心_2022.txt": report("松江县气象服务中心", 200.0, 500.0, 150.0, 50.0, 0.3),
    })


def test_figures_asked_together_are_answered_each(engine):
    r = engine.ask("松江县档案馆2022年人员经费和公用经费分别是多少")
    assert r.found and [v.value for v in r.values] == [pytest.approx(280.0), pytest.approx(20.0)]
    assert len({v.citation_id for v in r.values}) >= 1 and all(v.citation_id for v in r.values)
    assert {c.id for c in r.citations} >= {v.citation_id for v in r.values}
    assert "共" not in r.answer  # no list of names


def test_the_gap_between_two_reports(engine):
    r = engine.ask("松江县档案馆和松江县气象服务中心2022年基本支出差多少")
    assert r.found and r.values[0].derived and r.values[0].value == pytest.approx(100.0)


def test_a_derivation_asked_of_two_reports_is_each_reports_own(engine):
    r = engine.ask("松江县档案馆和松江县气象服务中心2022年基本支出比项目支出多多少")
    derived = [v.value for v in r.values if v.derived]
    assert sorted(derived) == [pytest.approx(-300.0), pytest.approx(200.0)]
    r = engine.ask("松江县档案馆和松江县气象服务中心2022年三公经费比上年减少多少")
    assert r.found and sorted(v.value for v in r.values) == [pytest.approx(0.3), pytest.approx(0.4)]


def test_a_follow_up_comparing_with_another_unit_keeps_the_unit_before(engine):
    history = ["松江县档案馆2022年基本支出是多少"]
    r = engine.ask("比松江县气象服务中心的多多少", history=history)
    assert r.found and r.values[0].derived and r.values[0].value == pytest.approx(100.0)
    assert {v.report_id for v in r.values} == {rep.report_id for rep in engine.index.reports.values()}
    # naming the other unit alone, without a comparison, moves the conversation there
    r = engine.ask("松江县气象服务中心呢", history=history)
    assert r.found and r.values[0].value == pytest.approx(200.0)


def test_a_follow_up_he_x_bi_ne_sets_the_unit_before_beside_x(engine):
    r = engine.ask("和松江县气象服务中心比呢", history=["松江县档案馆2022年基本支出是多少"])
    assert r.found and sorted(v.value for v in r.values) == [pytest.approx(200.0), pytest.approx(300.0)]


def test_which_is_more_after_two_units_were_asked_compares_them(engine):
    history = ["松江县档案馆2022年项目支出是多少", "松江县气象服务中心呢"]
    r = engine.ask("哪个多", history=history)
    assert r.found and "松江县气象服务中心" in r.answer.split("。")[0]
    assert sorted(v.value for v in r.values)[-2:] == [pytest.approx(100.0), pytest.approx(500.0)]
    r = engine.ask("多多少", history=history + ["哪个多"])
    assert r.found and r.values[0].derived and r.values[0].value == pytest.approx(400.0)


def test_which_is_more_of_two_figures_of_one_report_is_their_difference(engine):
    r = engine.ask("松江县档案馆2022年基本支出和项目支出哪个多")
    assert r.found and r.values[0].derived and abs(r.values[0].value) == pytest.approx(200.0)
    history = ["松江县档案馆2022年基本支出是多少", "项目支出呢"]
    r = engine.ask("哪个多", history=history)
    assert r.found and r.values[0].derived and abs(r.values[0].value) == pytest.approx(200.0)
    r = engine.ask("相差多少", history=history)
    assert r.found and r.values[0].derived and abs(r.values[0].value) == pytest.approx(200.0)


@pytest.mark.parametrize("question", ["这几个中心里哪个的项目支出最多", "松江县几个部门中哪个的项目支出多"])
def test_the_count_of_reports_in_a_comparison_asks_no_unit_of_the_figure(engine, question):
    r = engine.ask(question)  # 个 counts the units compared: 项目支出 is an amount, not 项目 个
    assert r.found and "松江县气象服务中心" in r.answer.split("。")[0], r.answer
    assert sorted(v.value for v in r.values)[-2:] == [pytest.approx(100.0), pytest.approx(500.0)], r.answer


@pytest.mark.parametrize("question, value", [
    ("松江县档案馆和松江县气象服务中心2022年谁的基本支出少", 200.0),
    ("松江县档案馆和松江县气象服务中心2022年哪个基本支出低一些", 200.0),
    ("松江县档案馆和松江县气象服务中心2022年哪个项目支出多", 500.0),
])
def test_which_report_has_more_or_less_said_with_a_plain_comparative(engine, question, value):
    """A plain 多 / 少 / 低一些 closing the figure says which way the reports are compared, and is no
    word of the figure."""
    r = engine.ask(question)
    assert r.found and r.values[0].value == pytest.approx(value), r.answer


def test_which_is_more_and_by_how_much(engine):
    r = engine.ask("松江县档案馆和松江县气象服务中心2022年哪个项目支出多，多多少")
    assert r.found and r.values[0].value == pytest.approx(400.0), r.answer


def test_level_figures_name_no_winner(engine):
    r = engine.ask("松江县档案馆和松江县气象服务中心2022年哪个三公经费多")
    assert r.found and "并列" in r.answer and {v.value for v in r.values} == {2.0}, r.answer


@pytest.mark.parametrize("question", ["松江县档案馆2022年人员经费和公用经费一共多少",
                                      "松江县档案馆2022年人员经费和公用经费总共是多少"])
def test_two_items_and_yi_gong_ask_their_sum(engine, question):
    r = engine.ask(question)
    assert r.found and r.values[0].derived and r.values[0].value == pytest.approx(300.0), r.answer


@pytest.mark.parametrize("question, value", [
    ("松江县档案馆2022年公用经费是人员经费的百分之几", 7.14),          # 20 / 280, a share
    ("松江县档案馆2022年基本支出减去项目支出是多少", 200.0),            # signed: 300 - 100
    ("松江县气象服务中心2022年基本支出减去项目支出", -300.0),
    ("松江县气象服务中心2022年项目支出比基本支出多几倍", 2.5),          # 500 / 200, said with 1.5 as well
    ("松江县气象服务中心2022年项目支出比基本支出多", 300.0),            # no 多少: still their difference
])
def test_other_wordings_of_shares_differences_and_ratios(engine, question, value):
    r = engine.ask(question)
    assert r.found and r.values[0].derived and r.values[0].value == pytest.approx(value), r.answer
    if "多几倍" in question:
        assert "多1.50倍" in r.answer
