"""An invented report whose totals table is one list of items with a column per year (项目 | 2021年决算数
| 2020年决算数 | 增减额 | 增减率), negatives written with a full-width minus or in brackets: the table
is no two-sided one, the report's own year is its figure, the earlier year's column is last year's,
and no derivation mixes the two."""
from __future__ import annotations

import pytest

from indexer.numbers import parse_number
from indexer.parser import parse_file
from tests.test_generalize import assert_answers, engine_over

REPORT = "\n".join([
    "安平县档案馆2021年度部门决算",
    "",
    "一、收入支出决算总表",
    "单位：万元",
    "项目\t2021年决算数\t2020年决算数\t增减额\t增减率",
    "本年收入合计\t300.50\t320.80\t－20.30\t-6.33%",
    "本年支出合计\t310.00\t305.00\t5.00\t1.64%",
    "三公经费\t2.10\t3.40\t(1.30)\t-38.24%",
    "",
    "二、情况说明",
    "2021年度本年收入合计300.50万元，较2020年减少20.30万元，下降6.33%。三公经费2.10万元，较上年减少1.30万元。",
    "",
])


@pytest.mark.parametrize("raw, value", [("－20.30", -20.3), ("(1.30)", -1.3), ("（1,234.50）", -1234.5),
                                        ("（1）", None), ("-6.33%", -6.33)])
def test_negatives_as_reports_write_them(raw, value):
    assert parse_number(raw) == value  # an ordinal in brackets has no decimals and is no figure


def _aligned(text: str) -> str:
    """The tab rows set with spaces, as a PDF-to-text tool prints them (a name padded to a display
    width, a Chinese character two columns; figures right-aligned)."""
    def line(row: str) -> str:
        name, *figures = row.split("\t")
        return name + " " * (20 - 2 * len(name)) + "".join(f.rjust(16) for f in figures)
    return "\n".join(line(r) if "\t" in r else r for r in text.split("\n"))


@pytest.mark.parametrize("layout", ["tab", "aligned"])
def test_a_totals_table_drawn_as_one_list_is_read_as_a_grid(tmp_path, layout):
    path = tmp_path / "安平县档案馆_2021.txt"
    path.write_text(REPORT if layout == "tab" else _aligned(REPORT), encoding="utf-8")
    table = next(t for t in parse_file(path).tables if t.name == "收入支出决算总表")
    cells = {(r.name, c.column): c.value for r in table.rows for c in r.cells}
    assert cells[("本年收入合计", "2020年决算数")] == 320.8
    assert cells[("本年收入合计", "增减额")] == -20.3
    assert cells[("三公经费", "增减额")] == -1.3
    assert all(r.name for r in table.rows)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("years"), {"安平县档案馆_2021.txt": REPORT.encode("utf-8")})


def test_the_reports_own_year_is_its_figure(engine):
    assert_answers(engine, "安平县档案馆2021年本年收入合计", 300.50)
    assert_answers(engine, "安平县档案馆本年收入合计", 300.50)


@pytest.mark.parametrize("question, value", [("安平县档案馆2020年本年收入合计", 320.80),
                                             ("安平县档案馆2020年三公经费是多少", 3.40)])
def test_an_earlier_years_column_answers_that_year(engine, question, value):
    r = assert_answers(engine, question, value)
    assert "2020年" in r.values[0].label, r.answer  # said as that year's figure


def test_a_comparison_with_last_year_is_no_figure_of_last_year(tmp_path):
    """"比上年决算数多 20.30": a change; last year's figure is computed from it, never the change itself."""
    text = "安丰县档案馆2021年度部门决算\n\n一、收入情况\n2021年度本年收入合计300.50万元，比上年决算数多20.30万元，增长7.24%。\n"
    engine = engine_over(tmp_path, {"安丰县档案馆_2021.txt": text.encode("utf-8")})
    r = assert_answers(engine, "安丰县档案馆2020年度本年收入合计是多少", 280.20)
    assert r.values[0].derived
