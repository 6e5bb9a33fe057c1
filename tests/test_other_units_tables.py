"""Tables of the four reports of other provinces' templates (../shared/eval/other_units/): which
tables are found, exact rows with their exact cells, and no figure in a wrong column.

These pin what the parser reads from material it was not written for; the rules that read them
are generic (indexer/layouts/items.py, indexer/tables.find_untitled_blocks)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from indexer.models import ParsedReport, Row, Table
from indexer.parser import parse_file

OTHER = Path(__file__).resolve().parents[2] / "shared/eval/other_units"
DAYING = OTHER / "大英县文化广播电视和旅游局_2022.md"
WUZHOU = OTHER / "梧州市农产品质量安全综合检测中心_2020.txt"
SHAPINGBA = OTHER / "重庆市沙坪坝区大数据发展服务中心_2022.txt"
QIJIANG = OTHER / "重庆市綦江区公路事务中心_2023.md"

pytestmark = pytest.mark.skipif(not OTHER.is_dir(), reason=f"{OTHER} is not on this machine")


@lru_cache(maxsize=None)
def parsed(path: Path) -> ParsedReport:
    return parse_file(path)


def table(report: ParsedReport, name: str) -> Table:
    hits = [t for t in report.tables if t.name == name]
    assert len(hits) == 1, [t.name for t in report.tables]
    return hits[0]


def row(t: Table, name: str) -> Row:
    hits = [r for r in t.rows if r.name == name]
    assert len(hits) == 1, [r.name for r in t.rows]
    return hits[0]


def cells(r: Row) -> dict[str, str]:
    return {c.column: c.raw for c in r.cells}


def values(r: Row) -> dict[str, tuple[float | None, str | None]]:
    return {c.column: (c.value, c.unit) for c in r.cells}


def assert_columns_consistent(report: ParsedReport) -> None:
    """No figure in a wrong column: every cell's column is a column of its table, a share (%)
    only in a share or change-rate column, an amount never in one, and no fact is uncertain."""
    for t in report.tables:
        for r in t.rows:
            for c in r.cells:
                assert c.column in t.columns, (t.name, r.name, c)
                if c.value is None:
                    continue
                rate_column = any(w in c.column for w in ("比重", "幅", "占比"))
                assert (c.unit == "%") == rate_column, (t.name, r.name, c)
    assert not [f for f in report.facts if f.uncertain]


# ---------------------------------------------------------------- 大英 (Sichuan, Markdown)
def test_daying_tables_found():
    r = parsed(DAYING)
    assert [(t.name, t.layout, t.columns) for t in r.tables] == [
        ("收入决算情况", "pipe", ["金额", "占本年收入比重"]),
        ("支出决算情况", "pipe", ["金额", "占本年支出比重"]),
        ("“三公”经费中的公务接待费", "aligned", ["金额"]),
        ("政府采购", "pipe", ["金额"]),
    ]
    assert all(t.unit == "万元" for t in r.tables)


def test_daying_income_rows_shares_and_bold_total():
    t = table(parsed(DAYING), "收入决算情况")
    first = row(t, "一般公共预算财政拨款收入")
    assert cells(first) == {"金额": "3859.16", "占本年收入比重": "93.54%"}
    assert values(first) == {"金额": (3859.16, None), "占本年收入比重": (93.54, "%")}
    assert cells(row(t, "其他收入")) == {"金额": "266.33", "占本年收入比重": "6.46%"}
    total = row(t, "本年收入合计")  # **bold** removed, "—" is an empty cell
    assert cells(total) == {"金额": "4125.49"} and (total.line_start, total.line_end) == (27, 27)
    assert len(t.rows) == 9 and (t.line_start, t.line_end) == (17, 27)


def test_daying_expenditure_and_procurement_rows():
    r = parsed(DAYING)
    t = table(r, "支出决算情况")
    assert cells(row(t, "项目支出")) == {"金额": "3003.64", "占本年支出比重": "72.48%"}
    assert cells(row(t, "本年支出合计")) == {"金额": "4143.91"}
    p = table(r, "政府采购")
    assert [(x.name, cells(x)) for x in p.rows] == [
        ("政府采购货物支出", {"金额": "0"}), ("政府采购工程支出", {"金额": "39"}),
        ("政府采购服务支出", {"金额": "670.65"}), ("政府采购支出总额", {"金额": "709.65"})]


def test_daying_space_aligned_table_in_indented_block():
    t = table(parsed(DAYING), "“三公”经费中的公务接待费")
    assert [(x.name, cells(x)) for x in t.rows] == [
        ("驴妈妈合作签约仪式", {"金额": "1.91"}), ("省级专家调研", {"金额": "0.14"}),
        ("阆仙诗苑项目专家团队调研", {"金额": "0.19"})]
    assert (t.line_start, t.line_end) == (50, 53)


def test_daying_totals_checked():
    checks = {c.rule: c.holds for c in parsed(DAYING).checks}
    assert checks == {"收入决算情况: 本年收入合计 = Σ其余各行": True, "支出决算情况: 本年支出合计 = Σ其余各行": True,
                      "政府采购: 政府采购支出总额 = Σ其余各行": True}
    assert_columns_consistent(parsed(DAYING))


# ---------------------------------------------------------------- 梧州 (Guangxi, PDF text)
def test_wuzhou_sangong_table_mixing_zero_and_no_change():
    r = parsed(WUZHOU)
    assert [(t.name, t.layout) for t in r.tables] == [("“三公”经费支出决算明细", "aligned")]
    t = r.tables[0]
    assert t.columns == ["决算数", "比预算增减", "比上年增减", "比上年增幅"] and t.unit == "万元"
    assert cells(row(t, "合计")) == {"决算数": "5.48", "比预算增减": "0", "比上年增减": "1.55", "比上年增幅": "39.4%"}
    abroad = row(t, "因公出国（境）费")  # "无增减" is a word, no figure; "—" is empty
    assert cells(abroad) == {"决算数": "0", "比预算增减": "无增减", "比上年增减": "无增减"}
    assert values(abroad) == {"决算数": (0.0, None), "比预算增减": (None, None), "比上年增减": (None, None)}
    assert cells(row(t, "公务用车运行维护费")) == {"决算数": "3.98", "比预算增减": "无增减", "比上年增减": "1.05",
                                             "比上年增幅": "35.8%"}
    assert cells(row(t, "公务接待费")) == {"决算数": "1.5", "比预算增减": "无增减", "比上年增减": "0.5", "比上年增幅": "50%"}
    assert (t.line_start, t.line_end) == (31, 37)


def test_wuzhou_facts_and_total_identity():
    r = parsed(WUZHOU)
    assert not [f for f in r.facts if f.raw == "无增减"]
    assert sorted((f.row_name, f.column, f.value) for f in r.facts if f.column == "决算数") == [
        ("公务接待费", "决算数", 1.5), ("公务用车购置费", "决算数", 0.0), ("公务用车运行维护费", "决算数", 3.98),
        ("合计", "决算数", 5.48), ("因公出国（境）费", "决算数", 0.0)]
    check = next(c for c in r.checks if c.table == "“三公”经费支出决算明细")
    assert check.holds and check.detail.startswith("2 处均成立")
    assert_columns_consistent(r)


# ---------------------------------------------------------------- 沙坪坝 (Chongqing, text)
def test_shapingba_tables_with_rules_signed_changes_and_dashes():
    r = parsed(SHAPINGBA)
    assert [(t.name, t.layout, t.columns) for t in r.tables] == [
        ("收支总体情况表", "aligned", ["2022年决算数", "较上年决算数增减"]),
        ("支出情况", "aligned", ["金额", "占本年支出比重"]),
    ]
    t = r.tables[0]
    income = row(t, "收入总计")
    assert cells(income) == {"2022年决算数": "455.35", "较上年决算数增减": "+455.35"}
    assert values(income)["较上年决算数增减"] == (455.35, None)
    assert cells(row(t, "财政拨款收入")) == {"2022年决算数": "455.35"}  # 其中： dropped, "—" empty
    assert cells(row(t, "项目支出")) == {"2022年决算数": "145.10"}
    assert cells(row(t, "年末结转和结余")) == {"2022年决算数": "0", "较上年决算数增减": "+0"}
    assert (t.line_start, t.line_end) == (29, 40) and len(t.rows) == 8
    share = row(r.tables[1], "基本支出")
    assert values(share) == {"金额": (310.25, None), "占本年支出比重": (68.1, "%")}
    assert_columns_consistent(r)


# ---------------------------------------------------------------- 綦江 (Chongqing, Markdown)
def test_qijiang_transposed_table_has_items_as_rows():
    t = table(parsed(QIJIANG), "收入支出决算总体情况")
    assert t.columns == ["2023年决算数", "较上年增减额", "较上年增减幅度"]
    assert [x.name for x in t.rows] == ["收入总计", "支出总计", "本年收入合计"]
    assert cells(row(t, "本年收入合计")) == {"2023年决算数": "10328.56", "较上年增减额": "+1894.61",
                                        "较上年增减幅度": "22.46%"}
    assert values(row(t, "支出总计")) == {"2023年决算数": (10328.56, None), "较上年增减额": (418.97, None),
                                      "较上年增减幅度": (4.23, "%")}
    assert all((x.line_start, x.line_end) == (39, 41) for x in t.rows)


def test_qijiang_direction_column_keeps_unsigned_amounts():
    t = table(parsed(QIJIANG), "收支总计变动的主要因素（与上年相比）")
    assert t.columns == ["变动方向", "变动额"]
    assert [(x.name, cells(x)) for x in t.rows] == [
        ("一般公共财政拨款收入", {"变动方向": "增加", "变动额": "2296.45"}),
        ("政府性基金", {"变动方向": "减少", "变动额": "401.85"}),
        ("年初结转结余", {"变动方向": "减少", "变动额": "1475.63"})]
    assert values(row(t, "政府性基金"))["变动额"] == (401.85, None)
    assert values(row(t, "政府性基金"))["变动方向"] == (None, None)
    assert_columns_consistent(parsed(QIJIANG))


def test_key_value_lines_are_no_table():
    r = parsed(QIJIANG)
    assert len(r.tables) == 2 and all(t.line_start >= 37 for t in r.tables)
