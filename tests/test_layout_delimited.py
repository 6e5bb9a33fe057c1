"""indexer/layouts/delimited.py on the real tab-separated tables of 汉阳 2021 and 硚口 2024,
on synthetic Markdown pipe tables, and on damaged blocks (which must never raise)."""
from __future__ import annotations

import logging
import random
import re
from pathlib import Path

import pytest

from indexer.lexicon import match_table_name
from indexer.layouts.delimited import parse_delimited_table
from indexer.layouts.delimited_grid import clean_cell
from indexer.models import Row, Table, TableBlock

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
HANYANG = CORPUS / "武汉市汉阳区大数据中心_2021_部门决算.txt"
QIAOKOU = CORPUS / "武汉市硚口区大数据中心_2024_部门决算.txt"


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def block(path: Path, title_line: int, last_line: int, name: str | None = None) -> TableBlock:
    """The block a table finder would hand over: title line, then lines up to `last_line`."""
    lines = _lines(path)
    title = lines[title_line - 1].strip()
    return TableBlock(
        name=name or match_table_name(title),
        title=title,
        title_line=title_line,
        lines=[(n, lines[n - 1]) for n in range(title_line + 1, last_line + 1)],
    )


def parse(path: Path, title_line: int, last_line: int, name: str | None = None) -> Table:
    return parse_delimited_table(block(path, title_line, last_line, name))


def row(table: Table, name: str | None = None, code: str | None = None, column_prefix: str | None = None) -> Row:
    found = [
        r for r in table.rows
        if (name is None or r.name == name) and (code is None or r.code == code)
        and (column_prefix is None or any(c.column.startswith(column_prefix) for c in r.cells))
    ]
    assert found, f"no row name={name} code={code} in {table.title}"
    return found[0]


def value(r: Row, column: str) -> float:
    cell = r.cell(column)
    assert cell is not None, f"{r.name}: no cell {column}; has {[c.column for c in r.cells]}"
    return cell.value


# ---------------------------------------------------------------- 汉阳 2021
@pytest.fixture(scope="module")
def hy_expenditure() -> Table:
    return parse(HANYANG, 145, 171)


def test_hanyang_expenditure_table(hy_expenditure):
    t = hy_expenditure
    assert t.name == "支出决算表" and t.layout == "tab" and t.unit == "万元"
    assert t.columns == ["本年支出合计", "基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出"]
    assert (t.line_start, t.line_end) == (145, 170)
    total = row(t, "合计")
    assert total.code is None
    assert value(total, "本年支出合计") == 2785.73
    assert value(total, "基本支出") == 386.43
    assert value(total, "项目支出") == 2399.30
    assert total.cell("本年支出合计").raw == "2,785.73"
    other = row(t, code="2010399")
    assert other.name == "其他政府办公厅（室）及相关机构事务支出"
    assert value(other, "本年支出合计") == 2393.37
    assert value(other, "项目支出") == 2393.37
    assert other.cell("基本支出") is None  # empty cell: no Cell
    assert not any(r.uncertain or any(c.uncertain for c in r.cells) for r in t.rows)
    assert len([r for r in t.rows if r.code]) == 16


def test_hanyang_income_table_header_words_joined():
    t = parse(HANYANG, 116, 142)
    assert t.columns == ["本年收入合计", "财政拨款收入", "上级补助收入", "事业收入", "经营收入", "附属单位上缴收入", "其他收入"]
    assert value(row(t, "合计"), "其他收入") == 0.22
    assert value(row(t, code="2010399"), "财政拨款收入") == 2392.16


def test_hanyang_basic_expenditure_triples():
    t = parse(HANYANG, 247, 284)
    assert t.columns == ["决算数"]
    assert value(row(t, code="30107"), "决算数") == 185.20
    assert row(t, code="30107").name == "绩效工资"
    assert value(row(t, code="30113"), "决算数") == 27.96
    assert value(row(t, code="30211"), "决算数") == 1.77
    assert value(row(t, code="301"), "决算数") == 372.53
    assert value(row(t, code="302"), "决算数") == 13.48
    personnel, public = row(t, "人员经费合计"), row(t, "公用经费合计")
    assert personnel.code is None and public.code is None
    assert value(personnel, "决算数") == 372.95
    assert value(public, "决算数") == 13.48  # the figure sits at the far right of the merged total
    assert row(t, code="30103").cells == []  # 奖金: listed, no amount
    assert row(t, code="310").name == "资本性支出"


def test_hanyang_totals_table_two_sided():
    t = parse(HANYANG, 74, 113)
    assert t.columns == ["收入/金额", "支出/金额"]
    assert value(row(t, "其他收入", column_prefix="收入"), "收入/金额") == 0.22
    assert value(row(t, "年初结转和结余"), "收入/金额") == 1.00
    assert value(row(t, "一般公共预算财政拨款收入"), "收入/金额") == 2784.51  # ordinal 一、 removed
    assert value(row(t, "本年支出合计"), "支出/金额") == 2785.73
    assert value(row(t, "一般公共服务支出"), "支出/金额") == 2729.12
    totals = [r for r in t.rows if r.name == "总计"]
    assert sorted(c.column for r in totals for c in r.cells) == ["支出/金额", "收入/金额"]
    raws = [c.raw for r in t.rows for c in r.cells]
    assert "31" not in raws and "57" not in raws and "27" not in raws  # 行次 are not data
    assert all("." in raw for raw in raws)
    income = [r for r in t.rows if r.cells and r.cells[0].column.startswith("收入")]
    assert {r.name for r in income} == {"一般公共预算财政拨款收入", "其他收入", "本年收入合计", "年初结转和结余", "总计"}


def test_hanyang_fiscal_totals_table_columns():
    t = parse(HANYANG, 174, 215)
    assert t.columns == ["收入/金额", "支出/合计", "支出/一般公共预算财政拨款", "支出/政府性基金预算财政拨款", "支出/国有资本经营预算财政拨款"]
    assert value(row(t, "本年支出合计"), "支出/一般公共预算财政拨款") == 2784.51
    assert not any(c.raw in {"33", "59", "64"} for r in t.rows for c in r.cells)


def test_hanyang_general_budget_expenditure():
    t = parse(HANYANG, 218, 244)
    assert t.columns == ["小计", "基本支出", "项目支出"]
    r = row(t, code="2081199")
    assert r.name == "其他残疾人事业支出"
    assert value(r, "小计") == 2.93 and value(r, "项目支出") == 2.93
    assert value(row(t, "合计"), "基本支出") == 386.42
    assert not any(r.uncertain for r in t.rows)


def test_hanyang_sangong_empty_table_with_note():
    t = parse(HANYANG, 287, 299)
    assert t.columns[:6] == [
        "预算数/合计", "预算数/因公出国(境)费", "预算数/公务用车购置及运行费/小计",
        "预算数/公务用车购置及运行费/公务用车购置费", "预算数/公务用车购置及运行费/公务用车运行费", "预算数/公务接待费",
    ]
    assert t.columns[6] == "决算数/合计" and len(t.columns) == 12
    assert t.rows == []
    assert t.line_end == 296  # the note line (298) stays narrative
    assert t.notes == ["本部门没有“三公经费”预算，也没有“三公经费”支出，故本表无数据。"]


def test_hanyang_fund_table_empty_total_row():
    t = parse(HANYANG, 302, 314)
    assert t.columns == ["年初结转和结余", "本年收入", "小计", "基本支出", "项目支出", "年末结转和结余"]
    assert [r.name for r in t.rows] == ["合计"] and t.rows[0].cells == []
    assert t.line_end == 311 and len(t.notes) == 1


def test_hanyang_link_rental_self_evaluation():
    t = parse(HANYANG, 633, 651)
    assert t.name == "项目绩效自评表"
    funds = row(t, "年度财政资金总额")
    assert value(funds, "预算数") == 436.91
    assert value(funds, "执行数") == 436.79
    assert value(funds, "执行率") == 99.97 and funds.cell("执行率").unit == "%"
    assert value(funds, "得分") == 19.99
    assert row(t, "项目名称").cells[0].raw == "通信链路租赁费"
    category = row(t, "项目类别").cells[0].raw
    assert "<" not in category and "部门预算项目☑" in category
    bandwidth = row(t, "互联网出口带宽达4G")
    assert bandwidth.cell("一级指标").raw == "产出指标" and bandwidth.cell("二级指标").raw == "数量指标"
    assert value(bandwidth, "年初目标值") == 100 and bandwidth.cell("年初目标值").unit == "%"
    assert row(t, "政务网络联通200家单位").cell("一级指标").raw == "产出指标"  # carried down
    assert row(t, "全区115社区、11家街道政务服务中心和政务服务24小时自助机全部接入政务外网").cell("二级指标").raw == "社会效益指标"


def test_hanyang_daily_work_self_evaluation():
    t = parse(HANYANG, 671, 689)
    helped = row(t, "对口帮扶人数")
    target, actual = helped.cell("年初目标值"), helped.cell("实际完成值")
    assert (target.raw, target.value, target.unit) == ("11人", 11, "人")
    assert (actual.raw, actual.value, actual.unit) == ("15人", 15, "人")
    assert value(helped, "得分") == 16 and helped.cell("得分").unit == "分"
    work = row(t, "工作效益")
    assert work.cell("二级指标").raw == "社会效益指标"  # merged cell above
    assert work.cell("年初目标值").value is None and work.cell("年初目标值").raw.startswith("完成2021年文明创建")
    assert value(row(t, "总分"), "值") == 100


def test_hanyang_html_residue_removed():
    for first, last in [(593, 611), (612, 632), (690, 706)]:
        t = parse(HANYANG, first, last, name="项目绩效自评表")
        assert all("<" not in c.raw and ">" not in c.raw for r in t.rows for c in r.cells)
    plan = row(parse(HANYANG, 690, 706), "改进措施及结果应用方案").cells[0].raw
    assert plan.startswith("单位的预算项目资金全面绩效评价结果")


# ---------------------------------------------------------------- 硚口 2024
def test_qiaokou_income_table_code_columns_and_wrapped_names():
    t = parse(QIAOKOU, 126, 158)
    assert t.columns[0] == "本年收入合计" and t.columns[-1] == "其他收入"
    medical = row(t, code="2101199")
    assert medical.name == "其他行政事业单位医疗支出"
    assert value(medical, "本年收入合计") == 2.19
    assert value(row(t, code="2010504"), "本年收入合计") == 2174.37
    assert row(t, code="20103").name == "政府办公厅（室）及相关机构事务"
    assert row(t, code="2080505").name == "机关事业单位基本养老保险缴费支出"
    assert value(row(t, "合计"), "财政拨款收入") == 2540.11
    assert t.line_end == 155


def test_qiaokou_expenditure_table_shifted_header():
    t = parse(QIAOKOU, 159, 191)
    assert t.columns == ["本年支出合计", "基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出"]
    assert value(row(t, code="2010350"), "项目支出") == 3.18
    total = row(t, "合计")
    assert (value(total, "本年支出合计"), value(total, "基本支出"), value(total, "项目支出")) == (2540.11, 362.56, 2177.55)
    assert not any(r.uncertain for r in t.rows)


def test_qiaokou_basic_expenditure_triples():
    t = parse(QIAOKOU, 272, 313)
    assert value(row(t, code="30229"), "决算数") == 8.2
    assert value(row(t, "人员经费合计"), "决算数") == 341.69
    assert value(row(t, "公用经费合计"), "决算数") == 20.86


def test_qiaokou_sangong_numbers_only_row():
    t = parse(QIAOKOU, 350, 368)
    assert "预算数/公务用车购置及运行维护费/公务用车运行" in t.columns
    assert "决算数/因公出国（境）费" in t.columns
    (r,) = t.rows
    assert value(r, "预算数/合计") == 0.76
    assert value(r, "预算数/公务接待费") == 0.76
    assert not any(c.column.startswith("决算数") for c in r.cells)
    assert t.notes == ["本部门 2024 年度无财政拨款“三公”经费支出。"]
    assert t.line_end == 362


def test_qiaokou_totals_tables():
    t = parse(QIAOKOU, 79, 125)
    assert value(row(t, "总计", column_prefix="支出"), "支出/金额") == 2540.11
    assert row(t, "使用非财政拨款结余（含专用结余）").cells == []
    assert t.line_end == 120
    fiscal = parse(QIAOKOU, 192, 238)
    assert fiscal.columns[:2] == ["收入/决算数", "支出/小计"]
    assert row(fiscal, "政府性基金预算财政拨款", column_prefix=None).line_start in (204, 233)
    # the sub-rows under 年初财政拨款结转和结余 repeat income rows' names: named under that row
    assert any(r.name == "年初财政拨款结转和结余：国有资本经营预算财政拨款" and r.line_start == 234 for r in fiscal.rows)


def test_qiaokou_broken_general_budget_table():
    t = parse(QIAOKOU, 239, 271)
    assert t.columns == ["小计", "基本支出", "项目支出"]  # as the header states them
    cells = [c for r in t.rows for c in r.cells]
    assert not any(c.column == "项目支出" for c in cells)  # missing column: nothing invented
    assert all(c.uncertain for c in cells if c.column == "基本支出")
    assert not any(c.uncertain for c in cells if c.column == "小计")
    total = row(t, "合计")
    assert total.uncertain and all(c.raw != "3" for c in total.cells)  # "3" is a shifted column number
    first = row(t, code="201")
    assert value(first, "小计") == 2434.51 and first.uncertain
    assert first.cell("基本支出").raw == "256.96"
    info = row(t, code="2010504")  # its 项目支出 is simply missing: nothing doubtful to flag
    assert value(info, "小计") == 2174.37 and info.cell("基本支出") is None and not info.uncertain
    assert all(r.uncertain == (r.cell("基本支出") is not None) for r in t.rows if r.name != "合计")
    assert sum(c.uncertain for c in cells) == 16


def test_qiaokou_department_self_evaluation():
    t = parse(QIAOKOU, 714, 847)
    assert t.name == "部门整体绩效自评表" and t.line_end == 840
    total = row(t, "部门整体支出总额")
    assert value(total, "预算数") == 2540.11 and value(total, "执行数") == 2540.11
    rate = total.cell("执行率")
    assert (rate.value, rate.unit) == (100, "%")
    basic = row(t, "基本支出总额").cells[0]
    assert (basic.raw, basic.value) == ("362.56 万元", 362.56)
    assert value(row(t, "项目支出总额"), "值") == 2177.55
    # a row split over a page break: 二级 and 三级 fragments joined
    legal = row(t, "保证项目合同、财务工作规范、合法")
    assert (legal.line_start, legal.line_end) == (729, 731)
    assert legal.cell("二级指标").raw == "社会效益指标"
    assert legal.cell("年度绩效目标").raw == "党政综合事务管理及专业服务"
    # level names wrapped over two lines inside a merged cell
    satisfied = row(t, "使用部门满意度")
    assert satisfied.cell("一级指标").raw == "满意度指标"
    assert satisfied.cell("二级指标").raw == "服务对象满意度指标"
    # the 一级 text stands in the middle of its merged cell: the row above gets it too
    built = row(t, "建成11个街道分中心视频会商系统")
    assert built.cell("一级指标").raw == "产出指标" and built.cell("二级指标").raw == "数量指标"
    online = row(t, "保障社会治安视频监控系统三期点位在线率不低于95%")
    assert (online.line_start, online.line_end) == (816, 818)
    assert value(online, "实际完成值") == 96.8
    assert online.cell("实际完成值").line == 816  # the figure's own line, not the row's last
    shifted = row(t, "相关单位对视频监控共享平台使用满意")
    assert shifted.cell("一级指标").raw == "满意度指标" and value(shifted, "年初目标值") == 100
    assert value(row(t, "线路开通数不少于299条"), "年初目标值") == 299
    assert row(t, "线路开通数不少于299条").cell("年初目标值").raw == "≥299 条"


def test_qiaokou_city_video_self_evaluation():
    t = parse(QIAOKOU, 1038, 1078)
    online = row(t, "保障社会治安视频监控系统三期点位在线率不低于95%")
    actual, target = online.cell("实际完成值"), online.cell("年初目标值")
    assert (actual.value, actual.unit) == (96.8, "%")
    assert (target.raw, target.value, target.unit) == ("≥95%", 95, "%")
    assert online.cell("一级指标").raw == "产出指标" and online.cell("二级指标").raw == "质量指标"
    share = row(t, "为经区视频办同意并提出视频共享申请的区直部门，100%提供视频共享")
    assert (share.line_start, share.line_end) == (1053, 1055)
    assert share.cell("一级指标").raw == "效益指标" and share.cell("二级指标").raw == "社会效益指标"
    plan = row(t, "设计方案完成进度")
    assert plan.cell("年初目标值").raw == "完成项目方案编制工作"
    assert value(row(t, "年度财政资金总额"), "预算数") == 989.6655
    assert t.line_end == 1069


def test_qiaokou_wrapped_kv_key_and_latex():
    t = parse(QIAOKOU, 850, 880)
    assert row(t, "偏差大或目标未完成原因分析").cells[0].raw == "绩效目标完成，指标执行无偏差。"
    it = parse(QIAOKOU, 883, 970)
    assert value(row(it, "故障设备维修维护时间"), "年初目标值") == 4
    whole = parse(QIAOKOU, 714, 847)
    latex = row(whole, "确保为社区提供平稳的平台网络服务,平台稳定运行率达到99%")
    assert latex.cell("年初目标值").raw == "≥99%" and latex.cell("年初目标值").value == 99
    assert all("$" not in c.raw and "\\" not in c.raw for r in whole.rows for c in r.cells)


def test_qiaokou_empty_fund_table_note_stays_outside():
    t = parse(QIAOKOU, 314, 331)
    assert t.rows[0].name == "合计" and t.rows[0].cells == []
    assert t.line_end == 326
    assert t.notes == ["本部门 2024 年度无政府性基金预算财政拨款收入支出。"]


# ---------------------------------------------------------------- synthetic tables
def _synthetic(name: str, text: str, title_line: int = 1) -> Table:
    lines = text.split("\n")
    return parse_delimited_table(TableBlock(
        name=name, title="2025 年度" + name, title_line=title_line,
        lines=[(title_line + 1 + i, l) for i, l in enumerate(lines)],
    ))


PIPE_EXPENDITURE = """部门：某区大数据中心

金额单位：万元

| 科目编码 | 科目名称 | 本年支出合计 | 基本支出 | 项目支出 |
|---|---|---:|---:|---:|
| **合计** | | 2,785.73 | 386.43 | 2,399.30 |
| 201 | 一般公共服务支出 | 2,729.12 | 335.75 | 2,393.37 |
| 2010399 | 其他政府办公厅（室）及相 | 2,393.37 | | 2,393.37 |
| | 关机构事务支出 | | | |
| 2010350 | 事业运行 | 335.75 | 335.75 | |

注：本表反映部门本年度各项支出情况。

本部门 2025 年度无经营支出。"""


def test_markdown_pipe_expenditure_table():
    t = _synthetic("支出决算表", PIPE_EXPENDITURE)
    assert t.layout == "pipe"
    assert t.columns == ["本年支出合计", "基本支出", "项目支出"]
    assert value(row(t, "合计"), "项目支出") == 2399.30
    wrapped = row(t, code="2010399")
    assert wrapped.name == "其他政府办公厅（室）及相关机构事务支出"
    assert (wrapped.line_start, wrapped.line_end) == (10, 11)
    assert wrapped.cell("基本支出") is None
    assert value(row(t, code="2010350"), "基本支出") == 335.75
    assert t.line_end == 12
    assert t.notes == ["本部门 2025 年度无经营支出。"]


def test_markdown_pipe_two_level_header_and_two_sided():
    t = _synthetic("一般公共预算财政拨款支出决算表", "\n".join([
        "| 项目 | | 本年支出 | | |",
        "|---|---|---|---|---|",
        "| 功能分类科目编码 | 科目名称 | 小计 | 基本支出 | 项目支出 |",
        "| 栏次 | | 1 | 2 | 3 |",
        "| 合计 | | 2,784.51 | 386.42 | 2,398.09 |",
        "| 2081199 | 其他残疾人事业支出 | 2.93 | | 2.93 |",
    ]))
    assert t.columns == ["小计", "基本支出", "项目支出"]
    assert value(row(t, code="2081199"), "项目支出") == 2.93
    totals = _synthetic("收入支出决算总表", "\n".join([
        "| 项目 | 行次 | 金额 | 项目 | 行次 | 金额 |",
        "|---|---|---|---|---|---|",
        "| 一、一般公共预算财政拨款收入 | 1 | 100.00 | 一、一般公共服务支出 | 31 | 100.00 |",
        "| 本年收入合计 | 27 | 100.00 | 本年支出合计 | 57 | 100.00 |",
    ]))
    assert totals.columns == ["收入/金额", "支出/金额"]
    assert value(row(totals, "本年支出合计"), "支出/金额") == 100
    assert not any(c.raw in {"1", "27", "31", "57"} for r in totals.rows for c in r.cells)


def test_tab_wraps_and_split_code_cells():
    t = _synthetic("支出决算表", "\n".join([
        "项目\t\t\t\t本年支出 合计\t基本 支出\t项目 支出",
        "类\t款\t项\t科目名称\t\t\t",
        "\t\t\t合计\t10.00\t4.00\t6.00",
        "201\t03\t99\t其他政府办公厅（室）及相\t\t\t",
        "\t\t\t关机构事务支出\t6.00\t\t6.00",
        "201\t03\t50\t事业\t4.00\t4.00\t",
        "\t\t\t运行\t\t\t",
    ]))
    assert t.columns == ["本年支出合计", "基本支出", "项目支出"]
    other = row(t, code="2010399")
    assert other.name == "其他政府办公厅（室）及相关机构事务支出"
    assert value(other, "项目支出") == 6.00 and (other.line_start, other.line_end) == (5, 6)
    assert other.cell("项目支出").line == 6
    run = row(t, code="2010350")
    assert run.name == "事业运行" and run.line_end == 8


# ---------------------------------------------------------------- robustness
def _all_blocks() -> list[TableBlock]:
    spans = [
        (HANYANG, 74, 113), (HANYANG, 116, 142), (HANYANG, 145, 171), (HANYANG, 174, 215), (HANYANG, 218, 244),
        (HANYANG, 247, 284), (HANYANG, 287, 299), (HANYANG, 633, 651), (HANYANG, 671, 689),
        (QIAOKOU, 126, 158), (QIAOKOU, 159, 191), (QIAOKOU, 239, 271), (QIAOKOU, 350, 368),
        (QIAOKOU, 714, 847), (QIAOKOU, 1038, 1078),
    ]
    return [block(*s) for s in spans]


def _no_errors(caplog) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("indexer.layouts")]
    assert not errors, errors[0].getMessage()


def test_empty_block_gives_empty_table(caplog):
    t = parse_delimited_table(TableBlock(name="支出决算表", title="2021 年度支出决算表", title_line=7, lines=[]))
    assert (t.rows, t.columns, t.notes, t.line_start, t.line_end) == ([], [], [], 7, 7)
    t = parse_delimited_table(TableBlock(name="项目绩效自评表", title="x", title_line=3, lines=[(4, ""), (5, "   ")]))
    assert (t.rows, t.line_end) == ([], 3)
    _no_errors(caplog)


def _cells_come_from_their_lines(t: Table, lines: list[tuple[int, str]]) -> None:
    """Every figure is read from the line the cell names, and sits in one of the table's columns."""
    text = dict(lines)
    kept = set(text)
    for r in t.rows:
        assert {r.line_start, r.line_end} <= kept | {t.line_start}, r
        for c in r.cells:
            assert c.column in t.columns, c
            if c.value is not None:
                written = {clean_cell(x) for x in re.split(r"\t|\|", text[c.line or r.line_end])}
                assert c.raw in written, (c, text.get(c.line))


def test_truncated_blocks_keep_only_rows_of_kept_lines(caplog):
    for b in _all_blocks():
        full = parse_delimited_table(b)
        for cut in range(0, len(b.lines) + 1, max(1, len(b.lines) // 12)):
            lines = b.lines[:cut]
            t = parse_delimited_table(b.model_copy(update={"lines": lines}))
            _cells_come_from_their_lines(t, lines)
            assert t.line_end <= (lines[-1][0] if lines else b.title_line)
        assert parse_delimited_table(b.model_copy(update={"lines": list(b.lines)})) == full
    _no_errors(caplog)


def test_shuffled_blocks_read_figures_only_from_their_lines(caplog):
    rng = random.Random(2024)
    for b in _all_blocks():
        for _ in range(5):
            lines = list(b.lines)
            rng.shuffle(lines)
            _cells_come_from_their_lines(parse_delimited_table(b.model_copy(update={"lines": lines})), lines)
    _no_errors(caplog)


def test_garbage_cells_read_figures_only_from_their_lines(caplog):
    rng = random.Random(7)
    vocab = ["", "合计", "1", "2", "2,3", "12.5", "201", "2010350", "三级指标", "一级指标", "二级指标", "预算数",
             "执行数", "项目", "行次", "栏次", "科目名称", "<p>x</p>", "≥95%", "指标", "年度绩效目标 1", "总分",
             "本部门无数据。", "|", "$\\geq 9$", "人员经费"]
    kinds = ["支出决算表", "收入支出决算总表", "一般公共预算财政拨款基本支出决算明细表", "三公经费支出决算表",
             "项目绩效自评表", "部门整体绩效自评表", "未知表"]
    for _ in range(150):
        sep = rng.choice(["\t", " | "])
        lines = [(i + 2, (sep.join(rng.choice(vocab) for _ in range(rng.randint(0, 10)))))
                 for i in range(rng.randint(0, 14))]
        for kind in kinds:
            t = parse_delimited_table(TableBlock(name=kind, title="t", title_line=1, lines=lines))
            _cells_come_from_their_lines(t, lines)
    _no_errors(caplog)


@pytest.mark.parametrize("stub", ["指标", "收入项目", "绩效指标"])
def test_a_plain_pipe_grid_under_a_performance_title_names_its_rows_by_the_first_text_column(stub):
    """Under a 绩效自评表 title but without its indicator header or key-value lines, and with a first
    header the lexicon does not know as a stub: the rows are named by that text column."""
    text = [f"| {stub} | 年初目标值 | 实际完成值 |", "|:--|--:|--:|",
            "| 视频监控系统一期点位在线率不低于95% | 95% | 95.04% |",
            "| 视频监控系统三期点位在线率不低于95% | 95% | 96.80% |"]
    t = parse_delimited_table(TableBlock(name=match_table_name("项目绩效自评表"), title="项目绩效自评表",
                                         title_line=1, lines=list(enumerate(text, start=2))))
    assert t.columns == ["年初目标值", "实际完成值"]
    assert [(r.name, [(c.column, c.value) for c in r.cells]) for r in t.rows] == [
        ("视频监控系统一期点位在线率不低于95%", [("年初目标值", 95.0), ("实际完成值", 95.04)]),
        ("视频监控系统三期点位在线率不低于95%", [("年初目标值", 95.0), ("实际完成值", 96.8)])]


# ---------------------------------------------------------------- codes given per level
@pytest.mark.parametrize("sep", ["\t", " | "])
def test_codes_given_only_at_their_own_level(sep):
    """类/款/项 columns holding only each row's own two digits (款 05 under 类 201): the full codes."""
    grid = [["科目编码", "", "", "科目名称", "本年支出合计", "基本支出", "项目支出"],
            ["类", "款", "项", "", "", "", ""],
            ["201", "", "", "一般公共服务支出", "100.00", "40.00", "60.00"],
            ["", "05", "", "统计信息事务", "100.00", "40.00", "60.00"],
            ["", "", "01", "行政运行", "40.00", "40.00", ""],
            ["", "", "05", "统计抽样调查", "60.00", "", "60.00"],
            ["208", "", "", "社会保障和就业支出", "8.00", "8.00", ""],
            ["", "05", "", "行政事业单位养老支出", "8.00", "8.00", ""],
            ["", "", "05", "机关事业单位基本养老保险缴费支出", "8.00", "8.00", ""]]
    text = "\n".join(sep.join(r) if sep == "\t" else "| " + sep.join(r) + " |" for r in grid)
    table = parse_delimited_table(TableBlock(name="支出决算表", title="支出决算表", title_line=1,
                                             lines=list(enumerate(text.split("\n"), start=2))))
    assert row(table, "统计信息事务").code == "20105"
    assert row(table, "统计抽样调查").code == "2010505"
    assert value(row(table, code="2010501"), "基本支出") == 40.0
    assert row(table, "机关事业单位基本养老保险缴费支出").code == "2080505"
