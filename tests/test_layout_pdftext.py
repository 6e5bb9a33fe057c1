"""indexer.layouts (pdftext, aligned) on the 武昌 2019 report (PDF text) and on synthetic blocks."""
from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path

import pytest

from indexer.layouts import parse_block as parse_pdftext_table
from indexer.layouts import parse_block_checked as parse_pdftext_table_checked
from indexer.layouts.aligned import looks_aligned
from indexer.models import Table, TableBlock

REPORT = Path(__file__).resolve().parents[1] / "corpus" / "武汉市武昌区大数据中心_2019_部门决算.txt"

# title line -> (canonical name, first line of the next block)
BLOCKS = {
    93: ("收入支出决算总表", 195),
    195: ("收入决算表", 296),
    296: ("支出决算表", 386),
    386: ("财政拨款收入支出决算总表", 556),
    556: ("一般公共预算财政拨款支出决算表", 622),
    622: ("一般公共预算财政拨款基本支出决算明细表", 802),
    802: ("三公经费支出决算表", 877),
    877: ("政府性基金预算财政拨款收入支出决算表", 915),
    1637: ("项目绩效自评表", 1834),
}


@lru_cache(maxsize=1)
def report_lines() -> list[str]:
    return REPORT.read_text(encoding="utf-8").split("\n")


def block(title_line: int, end: int | None = None, name: str | None = None) -> TableBlock:
    """The lines after the title line up to (not including) `end`, as tables.py would cut them."""
    lines = report_lines()
    default_name, default_end = BLOCKS[title_line]
    end = min(end or default_end, len(lines) + 1)
    return TableBlock(name=name or default_name, title=lines[title_line - 1], title_line=title_line,
                      lines=[(n, lines[n - 1]) for n in range(title_line + 1, end)])


@lru_cache(maxsize=None)
def parsed(title_line: int):
    return parse_pdftext_table_checked(block(title_line))


def table(title_line: int) -> Table:
    return parsed(title_line)[0]


def row(t: Table, code: str | None = None, name: str | None = None, column_prefix: str | None = None):
    hits = [r for r in t.rows
            if (code is None or r.code == code) and (name is None or r.name == name)
            and (column_prefix is None or not r.cells or all(c.column.startswith(column_prefix) for c in r.cells))]
    assert len(hits) == 1, f"{code} {name}: {len(hits)} rows"
    return hits[0]


def cells(r) -> dict[str, str]:
    return {c.column: c.raw for c in r.cells}


# ---------------------------------------------------------------- 支出决算表 (表 3)
def test_expenditure_columns_and_span():
    t = table(296)
    assert t.name == "支出决算表" and t.layout == "pdftext" and t.unit == "万元"
    assert t.columns == ["本年支出合计", "基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出"]
    assert t.line_start == 296 and t.line_end == 380  # the formula note is the table's last line
    assert len(t.rows) == 21


def test_expenditure_20102_goes_to_project_spending():
    # "20102 政协事务 14.00   14.00": 201's 基本支出 251.10 = 14.00 + 237.10 leaves nothing for 20102
    r = row(table(296), "20102")
    assert r.name == "政协事务"
    assert cells(r) == {"本年支出合计": "14.00", "项目支出": "14.00"}
    assert r.cell("基本支出") is None and not r.uncertain
    assert cells(row(table(296), "2010202")) == {"本年支出合计": "14.00", "项目支出": "14.00"}


def test_expenditure_rows():
    t = table(296)
    assert cells(row(t, "2010302")) == {"本年支出合计": "2,205.64", "基本支出": "15.64", "项目支出": "2,190.00"}
    total = row(t, None, "合计")
    assert total.code is None
    assert cells(total) == {"本年支出合计": "2,533.25", "基本支出": "329.25", "项目支出": "2,204.00"}
    assert cells(row(t, "20101")) == {"本年支出合计": "14.00", "基本支出": "14.00"}
    wrapped = row(t, "20103")
    assert wrapped.name == "政府办公厅（室）及相关机构事务"
    assert (wrapped.line_start, wrapped.line_end) == (340, 344)
    assert cells(wrapped) == {"本年支出合计": "2,427.10", "基本支出": "237.10", "项目支出": "2,190.00"}
    assert row(t, "2080505").name == "机关事业单位基本养老保险缴费支出"
    assert row(t, "2010302").cell("项目支出").value == 2190.0


# ---------------------------------------------------------------- 收入决算表 (表 2)
def test_income_table():
    t = table(195)
    assert t.columns == ["本年收入合计", "财政拨款收入", "上级补助收入", "事业收入", "经营收入", "附属单位上缴收入", "其他收入"]
    # this row's spacing is one empty cell short; 20103 = 2010302 + 2010350 decides
    r = row(t, "2010350")
    assert r.name == "事业运行"
    assert cells(r) == {"本年收入合计": "221.46", "财政拨款收入": "221.46"}
    assert not r.uncertain
    assert cells(row(t, None, "合计")) == {"本年收入合计": "2,533.25", "财政拨款收入": "2,533.25"}
    assert row(t, "20103").name == "政府办公厅（室）及相关机构事务"
    assert t.line_end == 290


# ---------------------------------------------------------------- 表 5
def test_general_budget_expenditure_table():
    t = table(556)
    assert t.columns == ["小计", "基本支出", "项目支出"]
    r = row(t, "20103")
    assert r.name == "政府办公厅（室）及相关机构事务"
    assert cells(r) == {"小计": "2,427.10", "基本支出": "237.10", "项目支出": "2,190.00"}
    assert cells(row(t, "20102")) == {"小计": "14.00", "项目支出": "14.00"}
    assert cells(row(t, "2101103")) == {"小计": "15.22", "基本支出": "15.22"}


# ---------------------------------------------------------------- 基本支出决算表 (triples)
def test_basic_expenditure_triples():
    t = table(622)
    assert t.columns == ["决算数"]
    expect = {"30201": ("办公费", "72.33"), "30107": ("绩效工资", "33.38"), "301": ("工资福利支出", "239.61"),
              "30108": ("机关事业单位基本养老保险缴费", "23.32"), "30113": ("住房公积金", "20.48"),
              "302": ("商品和服务支出", "88.93"), "310": ("资本性支出", "0.72"), "31002": ("办公设备购置", "0.72"),
              "30211": ("差旅费", "3.14"), "30199": ("其他工资福利支出", "83.77")}
    for code, (name, raw) in expect.items():
        r = row(t, code)
        assert r.name == name
        assert cells(r) == {"决算数": raw}
    wrapped = row(t, "30108")  # name wrapped over three lines, value on the fourth
    assert (wrapped.line_start, wrapped.line_end) == (676, 684)
    assert row(t, "30103").name == "奖金" and row(t, "30103").cells == []  # slot without value: no cell
    assert row(t, "307").name == "债务利息及费用支出" and row(t, "307").cells == []
    assert row(t, "30299").name == "其他商品和服务支出"
    assert row(t, "39908").name == "对民间非营利组织和群众性自治组织补贴"
    people = row(t, None, "人员经费合计")
    assert people.code is None and cells(people) == {"决算数": "239.62"}
    assert cells(row(t, None, "公用经费合计")) == {"决算数": "89.65"}
    assert len([r for r in t.rows if r.code]) == 69  # every code/name slot of the three columns
    assert t.line_end == 796


# ---------------------------------------------------------------- 三公 (表 7)
def test_sangong():
    t = table(802)
    assert len(t.columns) == 12
    assert t.columns[0] == "预算数/合计" and t.columns[6] == "决算数/合计"
    assert "预算数/公务用车购置及运行费/公务用车购置费" in t.columns  # the table's own 2019 wording
    assert len(t.rows) == 1
    r = t.rows[0]
    assert cells(r) == {"预算数/合计": "2.00", "预算数/公务接待费": "2.00"}
    assert not any(c.column.startswith("决算数/") for c in r.cells)
    assert not r.uncertain
    assert r.line_start == 865


# ---------------------------------------------------------------- two-sided tables
def test_income_expenditure_summary():
    t = table(93)
    assert t.columns == ["收入/决算数", "支出/决算数"]
    assert cells(row(t, None, "一般公共预算财政拨款收入")) == {"收入/决算数": "2,533.25"}
    assert cells(row(t, None, "本年收入合计")) == {"收入/决算数": "2,533.25"}
    assert cells(row(t, None, "一般公共服务支出")) == {"支出/决算数": "2,455.10"}
    assert cells(row(t, None, "社会保障和就业支出")) == {"支出/决算数": "23.32"}
    assert cells(row(t, None, "卫生健康支出")) == {"支出/决算数": "23.47"}
    assert cells(row(t, None, "住房保障支出")) == {"支出/决算数": "31.36"}
    assert cells(row(t, None, "本年支出合计")) == {"支出/决算数": "2,533.25"}
    assert cells(row(t, None, "总计", "收入/")) == {"收入/决算数": "2,533.25"}
    assert cells(row(t, None, "总计", "支出/")) == {"支出/决算数": "2,533.25"}
    # items without a figure are kept, wrapped names joined
    assert row(t, None, "政府性基金预算财政拨款收入").cells == []
    assert row(t, None, "自然资源海洋气象等支出").cells == []
    assert row(t, None, "用事业基金弥补收支差额").cells == []
    assert t.line_end == 189


def test_fiscal_summary_three_expenditure_columns():
    t = table(386)
    assert t.columns == ["收入/决算数", "支出/合计", "支出/一般公共预算财政拨款", "支出/政府性基金预算财政拨款"]
    assert cells(row(t, None, "一般公共服务支出")) == {"支出/合计": "2,455.10", "支出/一般公共预算财政拨款": "2,455.10"}
    assert cells(row(t, None, "住房保障支出")) == {"支出/合计": "31.36", "支出/一般公共预算财政拨款": "31.36"}
    assert cells(row(t, None, "本年收入合计")) == {"收入/决算数": "2,533.25"}
    assert not any(c.column == "支出/政府性基金预算财政拨款" for r in t.rows for c in r.cells)


@pytest.mark.parametrize("title_line", [93, 386])
def test_row_numbers_never_become_cells(title_line):
    t = table(title_line)
    raws = [c.raw for r in t.rows for c in r.cells]
    assert raws and all("." in raw for raw in raws)
    assert "28" not in raws and "1" not in raws


# ---------------------------------------------------------------- empty table, performance table
def test_empty_government_fund_table():
    t = table(877)
    assert t.columns == ["年初结转和结余", "本年收入", "本年支出/小计", "基本支出", "项目支出", "年末结转和结余"]
    assert [r.name for r in t.rows] == ["合计"] and t.rows[0].cells == []
    assert len(t.notes) == 1 and "数据为零" in t.notes[0]
    assert t.line_end == 907  # the 说明 sentence (line 909) stays narrative


def test_performance_self_evaluation():
    t = table(1637)
    budget = row(t, None, "年度资金总额")
    assert cells(budget) == {"预算批复数（含预算追加及调整）": "21900000 元", "实际支出进度": "21900000 元"}
    assert budget.cells[0].value == 21900000 and budget.cells[0].unit == "元"
    names = [r.name for r in t.rows[1:]]
    assert names == ["区级大数据中心建设项目数量指标", "服务质量", "及时满足各项需求", "成本是否按绩效目标控制",
                     "提高服务质量和提高办事效率"]
    first = row(t, None, "区级大数据中心建设项目数量指标")
    assert cells(first)["一级指标"] == "产出指标" and cells(first)["二级指标"] == "数量指标"
    assert cells(first)["目标值"] == "能够完成本年度延续性项目的稳定进行，并加快新增项目的启动和建设"
    assert cells(first)["累计完成值"] == "完成目标" and cells(first)["绩效指标分析与建议"] == "已完成"
    cost = row(t, None, "成本是否按绩效目标控制")
    assert cells(cost)["一级指标"] == "产出指标"  # carried down from the merged cell above
    assert cells(cost)["二级指标"] == "成本指标"
    assert cells(row(t, None, "提高服务质量和提高办事效率"))["一级指标"] == "效果指标"
    assert any("智慧武昌建设" in n for n in t.notes)


@pytest.mark.parametrize("title_line", sorted(BLOCKS))
def test_each_figure_points_at_its_source_line(title_line):
    lines = report_lines()
    t = table(title_line)
    for r in t.rows:
        assert t.line_start < r.line_start <= r.line_end <= t.line_end
        for c in r.cells:
            if c.line is not None:
                assert r.line_start <= c.line <= r.line_end
                assert c.raw.split()[0][:4] in lines[c.line - 1]  # wrapped text cells start there
    assert row(table(296), "20103").cell("基本支出").line == 344  # the figures come after the wrapped name


# ---------------------------------------------------------------- identities
@pytest.mark.parametrize("title_line", sorted(BLOCKS))
def test_every_identity_holds_and_nothing_uncertain(title_line):
    t, checks = parsed(title_line)
    failed = [c.rule for c in checks if not c.holds]
    assert failed == []
    assert not any(r.uncertain for r in t.rows)


@pytest.mark.parametrize("title_line,total,parts", [
    (195, "本年收入合计", ["财政拨款收入", "上级补助收入", "事业收入", "经营收入", "附属单位上缴收入", "其他收入"]),
    (296, "本年支出合计", ["基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出"]),
    (556, "小计", ["基本支出", "项目支出"]),
])
def test_row_totals_and_hierarchy_independently(title_line, total, parts):
    t = table(title_line)

    def val(r, col):
        c = r.cell(col)
        return c.value if c else 0.0

    for r in t.rows:
        assert abs(val(r, total) - sum(val(r, p) for p in parts)) <= 0.021, r.name
    coded = [r for r in t.rows if r.code]
    for parent in coded + [row(t, None, "合计")]:
        if parent.code:
            kids = [r for r in coded if len(r.code) == len(parent.code) + 2 and r.code.startswith(parent.code)]
        else:
            kids = [r for r in coded if len(r.code) == 3]
        if not kids:
            continue
        for col in [total] + parts:
            assert abs(val(parent, col) - sum(val(k, col) for k in kids)) <= 0.021, (parent.name, col)


def test_checks_cover_the_key_identities():
    rules = [c.rule for c in parsed(296)[1]]
    assert any(rule.startswith("基本支出: 201 ") for rule in rules)
    assert any("20102 政协事务: 本年支出合计 = 基本支出" in rule for rule in rules)
    sangong = [c for c in parsed(802)[1]]
    assert sangong and all(c.holds for c in sangong)


# ---------------------------------------------------------------- robustness
@pytest.mark.parametrize("title_line", sorted(BLOCKS))
def test_truncated_and_shuffled_blocks_never_raise(title_line):
    full = block(title_line)
    rnd = random.Random(title_line)
    half = len(full.lines) // 2
    variants = [full.lines[:half], full.lines[half:], [], full.lines[:3]]
    for _ in range(5):
        shuffled = full.lines[:]
        rnd.shuffle(shuffled)
        variants.append(shuffled)
        variants.append([(n, "".join(rnd.sample(text, len(text)))) for n, text in full.lines])
    for lines in variants:
        t = parse_pdftext_table(full.model_copy(update={"lines": lines}))
        assert isinstance(t, Table)
        assert t.line_start == title_line and t.line_end >= title_line


def test_truncated_block_keeps_its_rows():
    t = parse_pdftext_table(block(296, end=347))  # cut after 2010302
    assert [r.code for r in t.rows] == [None, "201", "20101", "2010101", "20102", "2010202", "20103", "2010302"]
    assert cells(row(t, "2010302")) == {"本年支出合计": "2,205.64", "基本支出": "15.64", "项目支出": "2,190.00"}


def test_undecidable_number_is_kept_and_marked_uncertain():
    # one row, no hierarchy, no spacing evidence: 14.00 could be in any part column
    blk = TableBlock(name="支出决算表", title="2019 年度支出决算表（表 3）", title_line=1, lines=[
        (2, "项    目 "), (3, "本年支出合计 基本支出 项目支出 上缴上级支出 经营支出 对附属单位补助支出 "),
        (4, "栏次 1 2 3 4 5 6 "), (5, "合计 14.00 14.00"),
    ])
    t = parse_pdftext_table(blk)
    r = t.rows[0]
    assert [c.raw for c in r.cells] == ["14.00", "14.00"]
    assert r.cells[0].column == "本年支出合计" and not r.cells[0].uncertain
    assert r.cells[1].uncertain and r.uncertain


# ---------------------------------------------------------------- space-aligned tables
def _aligned_line(code: str, name: str, values: list[str]) -> str:
    return (code.ljust(11) + name.ljust(22) + "".join(v.rjust(14) for v in values)).rstrip()


ALIGNED = [
    "单位：万元",
    "科目编码".ljust(11) + "科目名称".ljust(22) + "".join(
        h.rjust(14) for h in ["本年支出合计", "基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出"]),
    _aligned_line("", "合计", ["100.00", "60.00", "40.00"]),
    _aligned_line("201", "一般公共服务支出", ["100.00", "60.00", "40.00"]),
    _aligned_line("20101", "人大事务", ["60.00", "60.00"]),
    _aligned_line("2010101", "行政运行", ["60.00", "60.00"]),
    _aligned_line("20103", "政府办公厅（室）及相关", ["40.00", "", "40.00"]),
    _aligned_line("", "机构事务", []),
    _aligned_line("2010302", "一般行政管理事务", ["40.00", "", "40.00"]),
    "注：本表反映部门本年度各项支出情况。",
    "本部门本年度无经营支出。",
]


def test_space_aligned_expenditure_table():
    blk = TableBlock(name="支出决算表", title="2021 年度支出决算表", title_line=10,
                     lines=[(11 + i, text) for i, text in enumerate(ALIGNED)])
    assert looks_aligned(blk.lines)
    t, checks = parse_pdftext_table_checked(blk)
    assert t.layout == "aligned"
    assert t.columns == ["本年支出合计", "基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出"]
    assert cells(row(t, "20101")) == {"本年支出合计": "60.00", "基本支出": "60.00"}
    wrapped = row(t, "20103")
    assert wrapped.name == "政府办公厅（室）及相关机构事务" and (wrapped.line_start, wrapped.line_end) == (17, 18)
    assert cells(wrapped) == {"本年支出合计": "40.00", "项目支出": "40.00"}
    assert cells(row(t, None, "合计")) == {"本年支出合计": "100.00", "基本支出": "60.00", "项目支出": "40.00"}
    assert t.notes == ["本部门本年度无经营支出。"]
    assert t.line_end == 20
    assert checks and all(c.holds for c in checks)
    assert not any(r.uncertain for r in t.rows)


def test_pdftext_report_is_not_taken_for_aligned():
    for title_line in BLOCKS:
        assert not looks_aligned(block(title_line).lines)


def test_space_aligned_by_display_width():
    import unicodedata

    def width(text):
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    def cell(text, n, right=True):
        pad = " " * (n - width(text))
        return pad + text if right else text + pad

    heads = ["本年支出合计", "基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出"]

    def line(code, name, values):
        return (cell(code, 10, False) + cell(name, 36, False) + "".join(cell(v, 20) for v in values)).rstrip()

    text = [line("科目编码", "科目名称", heads), line("", "合计", ["100.00", "60.00", "40.00"]),
            line("201", "一般公共服务支出", ["100.00", "60.00", "40.00"]),
            line("20101", "人大事务", ["60.00", "60.00"]), line("20102", "政协事务", ["40.00", "", "40.00"])]
    t = parse_pdftext_table(TableBlock(name="支出决算表", title="支出决算表", title_line=1,
                                       lines=[(2 + i, s) for i, s in enumerate(text)]))
    assert t.layout == "aligned"
    assert cells(row(t, "20102")) == {"本年支出合计": "40.00", "项目支出": "40.00"}
    assert cells(row(t, "20101")) == {"本年支出合计": "60.00", "基本支出": "60.00"}


# ---------------------------------------------------------------- text without trailing-space marks (洪山 2022)
HONGSHAN = REPORT.parent / "武汉市洪山区大数据中心_2022_部门决算.txt"


def test_performance_table_without_trailing_spaces():
    lines = HONGSHAN.read_text(encoding="utf-8").split("\n")
    blk = TableBlock(name="部门整体绩效自评表", title=lines[1216], title_line=1217,
                     lines=[(n, lines[n - 1]) for n in range(1218, len(lines) + 1)])
    t = parse_pdftext_table(blk)
    budget = row(t, None, "部门整体支出总额")
    assert cells(budget) == {"预算数": "1613.94", "执行数": "1571.19", "执行率": "97.35%", "得分": "19"}
    links = row(t, None, "租用政务网链路")
    assert cells(links)["年初指标值"] == "≥370 条" and links.cell("年初指标值").value == 370
    assert links.cell("实际完成值").value == 403 and links.cell("实际完成值").unit == "条"
    assert cells(links)["一级指标"] == "产出指标" and cells(links)["二级指标"] == "数量指标"
    # a page break repeats the header; the next indicator keeps its own name
    assert row(t, None, "政务网互联网出口链路").line_start == 1306
    assert row(t, None, "各类安全系统、设备软件升级完成率").line_start == 1322
    assert cells(row(t, None, "协同办公OA系统稳定性"))["二级指标"] == "社会效益指标"
    assert len(t.rows) == 13 and t.line_end == 1358  # the 佐证材料 narrative after it is not a row


def test_wrapped_no_data_sentence_is_one_note():
    blk = TableBlock(name="国有资本经营预算财政拨款支出决算表", title="八、国有资本经营预算财政拨款支出决算表", title_line=1,
                     lines=[(2, ""), (3, "说明：本单位本年度无国有资本经营预算财政拨款支出，故"), (4, ""), (5, "本表无数据。")])
    t = parse_pdftext_table(blk)
    assert t.rows == [] and t.notes == ["说明：本单位本年度无国有资本经营预算财政拨款支出，故本表无数据。"]
    assert t.line_end == 1
