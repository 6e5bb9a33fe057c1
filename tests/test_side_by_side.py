"""An invented report of a template none of the others uses: the totals table drawn as two sides
headed by the sides' own names ("收入 ⇥ 决算数 ⇥ 支出 ⇥ 决算数", no 项目 / 行次), a 三公 table with
one row per item under 预算数 / 决算数, and sentences naming figures of the national economic
classification (培训费) that the report's tables do not hold. The same tables as tab, Markdown and
space-aligned text."""
from __future__ import annotations

import pytest

from indexer.build import parser_files
from indexer.parser import parse_file
from tests.test_generalize import assert_answers, engine_over

TOTALS = [
    ("收入", "决算数", "支出", "决算数"),
    ("一、财政拨款收入", "745.20", "一、一般公共服务支出", "690.40"),
    ("二、其他收入", "67.16", "二、社会保障和就业支出", "78.55"),
    ("", "", "三、住房保障支出", "57.55"),
    ("本年收入合计", "812.36", "本年支出合计", "826.50"),
    ("年初结转和结余", "40.12", "年末结转和结余", "25.98"),
    ("总计", "852.48", "总计", "852.48"),
]
SANGONG = [
    ("项目", "预算数", "决算数"),
    ("合计", "6.00", "6.30"),
    ("因公出国（境）费", "0.00", "0.00"),
    ("公务用车购置及运行费", "4.50", "4.80"),
    ("其中：公务用车购置费", "0.00", "0.00"),
    ("公务接待费", "1.50", "1.50"),
]


def _tab(rows) -> str:
    return "\n".join("\t".join(r) for r in rows)


def _markdown(rows) -> str:
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join([lines[0], "|" + "---|" * len(rows[0])] + lines[1:])


def _aligned(rows) -> str:
    """Space-aligned as a PDF-to-text tool sets it: names padded to a display width (a Chinese
    character is two columns), figures and their headers right-aligned."""
    def cell(i: int, c: str) -> str:
        return c + " " * (28 - 2 * len(c)) if i == 0 or len(rows[0]) == 4 and i == 2 else c.rjust(12) + "    "
    return "\n".join("".join(cell(i, c) for i, c in enumerate(r)).rstrip() for r in rows)


def report(unit: str, table) -> str:
    return f"""{unit}2020年部门决算

第一部分 部门决算表
表一 收入支出决算总表
单位：万元
{table(TOTALS)}

表七 一般公共预算财政拨款“三公”经费支出决算表
单位：万元
{table(SANGONG)}

第二部分 部门决算情况说明
一、收入支出决算总体情况说明
2020年度，本部门收入为812.36万元，其中：财政拨款收入745.20万元，占91.73%；其他收入67.16万元，占8.27%。
2020年度，本部门支出为826.50万元。其中：基本支出603.18万元；项目支出223.32万元。
一般公共预算财政拨款支出750.62万元，完成年初预算102.29%，决算数大于预算数16.82万元，主要原因是年中追加绩效奖励。
二、“三公”经费、培训费及会议费支出情况说明
2020年度“三公”经费支出6.30万元，较上年减少0.80万元。培训费支出2.36万元，会议费支出0.85万元。
"""


UNITS = {"tab": ("秦州市青岚县审计局", _tab), "md": ("秦州市白石县审计局", _markdown),
         "aligned": ("秦州市云溪县审计局", _aligned)}


@pytest.mark.parametrize("layout", list(UNITS))
def test_sides_headed_by_their_own_names_keep_their_row_names(tmp_path, layout):
    unit, table = UNITS[layout]
    path = tmp_path / f"{unit}_2020.{'md' if layout == 'md' else 'txt'}"
    path.write_text(report(unit, table), encoding="utf-8")
    totals = next(t for t in parse_file(path).tables if t.name == "收入支出决算总表")
    cells = {(r.name, c.column): c.value for r in totals.rows for c in r.cells}
    assert cells[("本年收入合计", "收入/决算数")] == 812.36
    assert cells[("年末结转和结余", "支出/决算数")] == 25.98
    assert cells[("住房保障支出", "支出/决算数")] == 57.55
    assert all(r.name for r in totals.rows)
    assert not any("收入/收入" == c.column or "支出/支出" == c.column for r in totals.rows for c in r.cells)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    files = {f"{unit}_2020.{'md' if k == 'md' else 'txt'}": report(unit, table).encode("utf-8")
             for k, (unit, table) in UNITS.items()}
    return engine_over(tmp_path_factory.mktemp("sides"), files)


@pytest.mark.parametrize("place", ["青岚县", "白石县", "云溪县"])
def test_totals_of_both_sides_are_answered(engine, place):
    r = assert_answers(engine, f"{place}审计局2020年年末结转和结余是多少", 25.98)
    assert r.citations and "年末结转和结余" in r.citations[0].text
    assert_answers(engine, f"{place}审计局2020年收入合计", 812.36)


def test_the_subject_of_a_table_asks_its_total_row(engine):
    r = assert_answers(engine, "青岚县审计局2020年三公经费决算数", 6.30)
    assert r.values[0].label.startswith("三公经费"), r.values[0].label
    assert_answers(engine, "青岚县审计局2020年三公经费预算数是多少", 6.00)


def test_a_named_economic_item_is_no_answer_for_the_flow_it_is_part_of(engine):
    """培训费支出 is an item of the national economic classification: asked "支出", the report's
    支出 (826.50) is meant, and a difference of 收入 and 支出 never takes 培训费."""
    assert_answers(engine, "青岚县审计局2020年支出是多少", 826.50)
    r = engine.ask("青岚县审计局2020年收入比支出少多少")
    assert 2.36 not in [v.value for v in r.values], r.answer
    assert r.found and r.values[0].value == 14.14, r.answer


def test_against_the_budget_from_the_table_when_no_variance_is_stated(engine):
    """No sentence states the 三公 variance: 决算数 less 预算数 of the table's 合计 row, both cited."""
    r = assert_answers(engine, "青岚县审计局2020年三公经费比预算多了多少", 0.30)
    assert {v.value for v in r.values[1:]} == {6.30, 6.00}, r.answer
    assert_answers(engine, "青岚县审计局2020年公务用车购置及运行费比预算多多少", 0.30)


def test_a_stated_variance_worded_as_values_compared(engine):
    """"决算数大于预算数 16.82" is about the figure its sentence opened with, and answers a comparison
    with the budget however the budget is qualified (年初预算)."""
    assert_answers(engine, "青岚县审计局2020年一般公共预算财政拨款支出比年初预算多多少", 16.82)


def test_labels_name_the_item_not_its_marks(engine):
    r = assert_answers(engine, "青岚县审计局2020年公务用车购置费", 0.0)
    assert r.values[0].label == "公务用车购置费", r.values[0].label
    r = assert_answers(engine, "青岚县审计局2020年收入支出总计是多少", 852.48)
    assert r.values[0].label == "收入支出总计", r.values[0].label


def test_a_follow_up_opening_with_na_names_the_other_flow(engine):
    history = ["青岚县审计局2020年收入合计是多少"]
    assert_answers(engine, "那支出呢", 826.50, history=history)
    r = engine.ask("那上一年呢", history=history + ["那支出呢"])
    assert not r.found and "那" not in r.answer.split("“")[-1], r.answer  # no 上年 支出 is stated


def test_layout_code_is_part_of_the_parser_version():
    names = {p.as_posix() for p in parser_files()}
    assert any(n.endswith("layouts/delimited.py") for n in names)
    assert any(n.endswith("lexicon/table_headers.json") for n in names)
    assert not any(n.endswith("indexer/build.py") for n in names)
