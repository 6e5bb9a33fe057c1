"""Synthetic reports in template shapes the seed corpus does not have (issue 11 item 4): tables
without a template title (pipe, tab, space-aligned), transposed tables, direction columns, signed
changes, a 三公 number row with fewer numbers than columns, tables without 行次/栏次 split by a
page break (\\f). Units and figures are made up; each test pins exact rows and cells."""
from __future__ import annotations

from indexer.layouts import parse_block_checked
from indexer.models import ParsedReport, Row, Table, TableBlock
from indexer.parser import parse_document
from indexer.readers import read_bytes
from test_other_units_tables import cells, row


def parse_text(text: str, name: str = "report.md") -> ParsedReport:
    return parse_document(read_bytes(text.encode("utf-8"), name))


def facts(r: Row) -> dict[str, float]:
    return {c.column: c.value for c in r.cells if c.value is not None}


TRANSPOSED = """某街道办事处2023年度单位决算

一、预算执行情况

2023年预算执行情况如下。

| 指标 | 基本支出 | 项目支出 |
|---|---|---|
| 年初预算数（万元） | 820.00 | 310.50 |
| 决算数（万元） | 815.20 | 298.10 |
| 完成率 | 99.41% | 96.01% |

二、变动原因

变动原因分析：

| 原因 | 方向 | 金额（万元） |
|---|---|---|
| 人员增加 | 增加 | 12.5 |
| 会议压减 | 减少 | 3.2 |
"""


def test_transposed_pipe_table_has_items_as_rows():
    r = parse_text(TRANSPOSED)
    t = next(t for t in r.tables if t.name == "预算执行情况")
    assert t.columns == ["年初预算数", "决算数", "完成率"] and t.layout == "pipe"
    assert [x.name for x in t.rows] == ["基本支出", "项目支出"]
    assert cells(row(t, "项目支出")) == {"年初预算数": "310.50", "决算数": "298.10", "完成率": "96.01%"}
    assert [c.unit for c in row(t, "基本支出").cells] == [None, None, "%"]


def test_direction_column_is_text_and_amounts_stay_as_written():
    t = next(t for t in parse_text(TRANSPOSED).tables if t.name == "变动原因分析")
    assert t.columns == ["方向", "金额"]
    assert cells(row(t, "会议压减")) == {"方向": "减少", "金额": "3.2"}
    assert facts(row(t, "会议压减")) == {"金额": 3.2}


ALIGNED = """某医院2021年度决算说明

（一）收入情况

    收入构成表                          单位：元
    ---------------------------------------------
    项目            本年数          上年数         增减
    ---------------------------------------------
    医疗收入        1,250,000       1,100,000      +150,000
    财政补助收入      800,000         820,000      -20,000
    其他收入           —              5,000        -5,000
    合计            2,050,000       1,925,000      +125,000
    ---------------------------------------------
"""


def test_aligned_table_with_caption_unit_rules_signs_and_dashes():
    r = parse_text(ALIGNED, "report.txt")
    t = r.tables[0]
    assert (t.name, t.layout, t.unit, t.columns) == ("收入构成表", "aligned", "元", ["本年数", "上年数", "增减"])
    assert cells(row(t, "医疗收入")) == {"本年数": "1,250,000", "上年数": "1,100,000", "增减": "+150,000"}
    assert facts(row(t, "财政补助收入")) == {"本年数": 800000.0, "上年数": 820000.0, "增减": -20000.0}
    assert cells(row(t, "其他收入")) == {"上年数": "5,000", "增减": "-5,000"}
    assert (t.line_start, t.line_end) == (5, 12)
    total = [c for c in r.checks if c.table == "收入构成表"]
    assert len(total) == 1 and total[0].holds and total[0].detail.startswith("3 处均成立")


def test_tab_table_without_title_and_failing_total_is_reported():
    text = "某局2022年度决算\n\n支出结构\n\n项目\t金额（万元）\t占比\n基本支出\t120.50\t60.25%\n项目支出\t79.50\t39.75%\n合计\t210.00\t100%\n"
    r = parse_text(text, "report.txt")
    t = r.tables[0]
    assert (t.name, t.layout, t.columns) == ("支出结构", "tab", ["金额", "占比"])
    assert cells(row(t, "合计")) == {"金额": "210.00", "占比": "100%"}
    check = next(c for c in r.checks if c.table == "支出结构")
    assert not check.holds and "210.00 ≠ 200.00" in check.detail


def test_figure_between_two_columns_is_no_fact():
    text = ("某中心2022年决算\n\n    项目            决算数        预算数\n    办公费          12.00         15.00\n"
            "    差旅费                 3.00\n    印刷费           2.00          2.50\n")
    t = parse_text(text, "report.txt").tables[0]
    assert facts(row(t, "办公费")) == {"决算数": 12.0, "预算数": 15.0}
    travel = row(t, "差旅费")
    assert [(c.raw, c.value, c.uncertain) for c in travel.cells] == [("3.00", None, True)]
    assert any("3.00" in n and "未作为事实" in n for n in t.notes)


def test_prose_and_key_value_lines_make_no_table():
    text = ("某局2022年度决算\n\n一、收支情况\n\n收入总计：10328.56 万元\n支出总计：10328.56 万元\n"
            "本年收入合计1,234.00万元，比上年增加12.00万元。\n")
    assert parse_text(text).tables == []


# ---------------------------------------------------------------- 三公 row with vanished empty cells
SANGONG_HEADER = [
    "单位：万元",
    "预算数 决算数",
    "合计 因公出国（境）费 公务用车购置及运行费 公务接待费 合计 因公出国（境）费 公务用车购置及运行费 公务接待费",
    "小计 公务用车购置费 公务用车运行费 小计 公务用车购置费 公务用车运行费",
]


def sangong(numbers: str) -> Table:
    lines = SANGONG_HEADER + [numbers]
    block = TableBlock(name="三公经费支出决算表", title="2022年度“三公”经费财政拨款支出决算表", title_line=1,
                       lines=[(i + 2, text) for i, text in enumerate(lines)])
    return parse_block_checked(block)[0]


def test_sangong_fewer_numbers_placed_by_identities():
    # 预算数: 5.00 = 出国 + 3.00 + 2.00 and 3.00 = 1.00 + 2.00 — one placement satisfies both identities;
    # 决算数: 3.50 = 购置 or 运行 — the second 3.50 cannot be placed and is no fact
    t = sangong("5.00 3.00 1.00 2.00 2.00 4.50 3.50 3.50 1.00")
    r = t.rows[0]
    assert facts(r) == {"预算数/合计": 5.0, "预算数/公务用车购置及运行费/小计": 3.0,
                        "预算数/公务用车购置及运行费/公务用车购置费": 1.0,
                        "预算数/公务用车购置及运行费/公务用车运行费": 2.0, "预算数/公务接待费": 2.0,
                        "决算数/合计": 4.5, "决算数/公务用车购置及运行费/小计": 3.5, "决算数/公务接待费": 1.0}
    assert [(c.raw, c.value, c.uncertain) for c in r.cells if c.uncertain] == [("3.50", None, True)]
    assert not any(c.column.startswith(("预算数/因公", "决算数/因公")) for c in r.cells)


def test_sangong_ambiguous_figure_is_no_fact_never_a_wrong_column():
    # 10.00 is the 购置费 or the 运行费: both satisfy every identity
    t = sangong("12.50 10.00 10.00 2.50 8.32 7.10 7.10 1.22")
    r = t.rows[0]
    assert facts(r) == {"预算数/合计": 12.5, "预算数/公务用车购置及运行费/小计": 10.0, "预算数/公务接待费": 2.5,
                        "决算数/合计": 8.32, "决算数/公务用车购置及运行费/小计": 7.1, "决算数/公务接待费": 1.22}
    unplaced = [(c.raw, c.value, c.uncertain) for c in r.cells if c.value is None]
    assert unplaced == [("10.00", None, True), ("7.10", None, True)]
    assert len(t.notes) == 2 and all("未作为事实" in n for n in t.notes)


# ---------------------------------------------------------------- no 行次/栏次, a page break inside
PAGED = ("某区教育局2022年度部门决算\n\n三、支出决算表\n单位：万元\n"
         "项目 本年支出合计 基本支出 项目支出 上缴上级支出 经营支出 对附属单位补助支出\n"
         "功能分类科目编码 科目名称\n合计 1,250.00 850.00 400.00\n205 教育支出 1,100.00 700.00 400.00\n"
         "20502 普通教育 1,100.00 700.00 400.00\n2050201 学前教育 300.00 300.00\n\f\n"
         "项目 本年支出合计 基本支出 项目支出 上缴上级支出 经营支出 对附属单位补助支出\n"
         "2050202 小学教育 800.00 400.00 400.00\n221 住房保障支出 150.00 150.00\n"
         "22102 住房改革支出 150.00 150.00\n2210201 住房公积金 150.00 150.00\n\n"
         "注：本表反映部门本年度各项支出情况。\n")


def test_table_without_lanci_across_a_page_break():
    r = parse_text(PAGED, "report.txt")
    t = r.tables[0]
    assert t.name == "支出决算表" and t.columns[:3] == ["本年支出合计", "基本支出", "项目支出"]
    assert [x.code for x in t.rows] == [None, "205", "20502", "2050201", "2050202", "221", "22102", "2210201"]
    assert cells(row(t, "小学教育")) == {"本年支出合计": "800.00", "基本支出": "400.00", "项目支出": "400.00"}
    assert cells(row(t, "住房公积金")) == {"本年支出合计": "150.00", "基本支出": "150.00"}
    assert all(c.holds for c in r.checks) and len(r.checks) >= 3


def test_sangong_title_of_other_templates_in_a_whole_report():
    text = "\n".join(["某区卫生健康委员会2022年度部门决算", "", "七、2022年度“三公”经费财政拨款支出决算表"]
                     + SANGONG_HEADER + ["12.50 10.00 10.00 2.50 8.32 7.10 7.10 1.22", "",
                                         "注：本表反映部门本年度“三公”经费支出情况。", ""])
    r = parse_text(text, "report.txt")
    assert [t.name for t in r.tables] == ["三公经费支出决算表"]
    fact = {(f.column, f.value) for f in r.facts}
    assert ("决算数/公务接待费", 1.22) in fact and ("预算数/合计", 12.5) in fact
    assert not [f for f in r.facts if f.raw in ("10.00", "7.10") and "小计" not in f.column]


PAGE_BROKEN = """某中心2020年度单位决算

    “三公”经费支出决算明细                         单位：万元
    项目                   决算数   比预算增减   比上年增减   比上年增幅
    合计                   5.48     0            1.55         39.4%
    因公出国（境）费       0        无增减       无增减       —

—11—

    项目                   决算数   比预算增减   比上年增减   比上年增幅
    公务用车运行维护费     3.98     无增减       1.05         35.8%
    公务接待费             1.5      无增减       0.5          50%

分项说明：
"""


def test_aligned_table_continues_after_a_page_number_line_and_repeated_header():
    r = parse_text(PAGE_BROKEN, "report.txt")
    t = r.tables[0]
    assert [x.name for x in t.rows] == ["合计", "因公出国（境）费", "公务用车运行维护费", "公务接待费"]
    assert cells(row(t, "公务接待费")) == {"决算数": "1.5", "比预算增减": "无增减", "比上年增减": "0.5", "比上年增幅": "50%"}
    assert (t.line_start, t.line_end) == (3, 12)
    assert [c.holds for c in r.checks] == [True]


def test_pipe_table_continues_after_a_form_feed():
    text = ("某局2022年度决算\n\n支出结构\n\n| 项目 | 金额（万元） |\n|---|---:|\n| 基本支出 | 120.50 |\n\f\n"
            "| 项目 | 金额（万元） |\n|---|---:|\n| 项目支出 | 79.50 |\n| 合计 | 200.00 |\n")
    t = parse_text(text).tables[0]
    assert [(x.name, cells(x)) for x in t.rows] == [("基本支出", {"金额": "120.50"}), ("项目支出", {"金额": "79.50"}),
                                                 ("合计", {"金额": "200.00"})]


def test_template_tab_table_continues_after_a_page_number_line():
    text = ("某局2022年度部门决算\n\n三、支出决算表\n单位：万元\n项目\t\t本年支出合计\t基本支出\t项目支出\n"
            "功能分类科目编码\t科目名称\t\t\t\n\t合计\t100.00\t60.00\t40.00\n201\t一般公共服务支出\t100.00\t60.00\t40.00\n"
            "—5—\n20103\t政府办公厅（室）及相关机构事务\t100.00\t60.00\t40.00\n2010301\t行政运行\t60.00\t60.00\t\n"
            "2010350\t事业运行\t40.00\t\t40.00\n\n四、财政拨款收入支出决算总表\n")
    r = parse_text(text, "report.txt")
    t = r.tables[0]
    assert [x.code for x in t.rows] == [None, "201", "20103", "2010301", "2010350"]
    assert cells(row(t, "事业运行")) == {"本年支出合计": "40.00", "项目支出": "40.00"} and t.line_end == 12
    assert all(c.holds for c in r.checks)


def test_pdftext_page_number_line_is_no_row_name():
    text = ("某局2022年度部门决算\n\n三、支出决算表\n单位：万元\n项目 本年支出合计 基本支出 项目支出\n"
            "合计 100.00 60.00 40.00\n201 一般公共服务支出 100.00 60.00 40.00\n- 5 -\n"
            "20103 政府办公厅（室）及相关机构事务 100.00 60.00 40.00\n2010301 行政运行 60.00 60.00\n")
    t = parse_text(text, "report.txt").tables[0]
    assert [x.name for x in t.rows] == ["合计", "一般公共服务支出", "政府办公厅（室）及相关机构事务", "行政运行"]
    assert cells(row(t, "行政运行")) == {"本年支出合计": "60.00", "基本支出": "60.00"}


CODED = """某县教育局2023年度决算公开说明

（五）一般公共预算财政拨款支出决算明细

| 科目编码 | 科目名称 | 决算数（万元） | 占比 |
|---|---|---:|---:|
| 205 | 教育支出 | 1,200.00 | 80% |
| 20502 | 普通教育 | 1,200.00 | 80% |
| 221 | 住房保障支出 | 300.00 | 20% |
| | **合计** | **1,500.00** | 100% |
"""


def test_untitled_table_with_code_and_name_columns():
    r = parse_text(CODED)
    t = r.tables[0]
    assert (t.name, t.columns) == ("一般公共预算财政拨款支出决算明细", ["决算数", "占比"])
    assert [(x.code, x.name) for x in t.rows] == [("205", "教育支出"), ("20502", "普通教育"), ("221", "住房保障支出"),
                                                 (None, "合计")]
    assert cells(row(t, "普通教育")) == {"决算数": "1,200.00", "占比": "80%"}
    assert {c.rule: c.holds for c in r.checks} == {
        "一般公共预算财政拨款支出决算明细: 上级科目 = Σ下级科目": True, "一般公共预算财政拨款支出决算明细: 合计 = Σ类": True}


MULTI = """某县医院2022年度单位决算

（二）支出决算情况

| 序号 | 项目 | 决算数 | | |
| | | 合计 | 基本支出 | 项目支出 |
|---|---|---|---|---|
| 1 | 医疗卫生支出 | 900.00 | 600.00 | 300.00 |
| 2 | 住房保障支出 | 100.00 | 100.00 | |
| | 合计 | 1,000.00 | 700.00 | 300.00 |

    项目                       决算数
    政府办公厅（室）及相关     12.00
    机构事务
    其他支出                   3.00
"""


def test_two_header_lines_and_an_index_column():
    r = parse_text(MULTI)
    t = r.tables[0]
    assert t.columns == ["决算数/合计", "决算数/基本支出", "决算数/项目支出"]
    assert [x.name for x in t.rows] == ["医疗卫生支出", "住房保障支出", "合计"]
    assert cells(row(t, "住房保障支出")) == {"决算数/合计": "100.00", "决算数/基本支出": "100.00"}
    assert [(c.rule, c.holds) for c in r.checks if c.table == t.name][0] == ("支出决算情况: 合计 = Σ其余各行", True)


def test_aligned_label_wrapped_onto_its_own_line():
    t = parse_text(MULTI).tables[1]
    wrapped = row(t, "政府办公厅（室）及相关机构事务")
    assert cells(wrapped) == {"决算数": "12.00"} and (wrapped.line_start, wrapped.line_end) == (13, 14)
    assert cells(row(t, "其他支出")) == {"决算数": "3.00"} and len(t.rows) == 2


def test_justified_prose_with_wide_gaps_is_no_table():
    text = ("某局2022年度决算\n\n本年度收入  合计  455.35  万元，比上年  增加  12.00  万元。主要原因是  人员  增加。\n"
            "其中  财政拨款  收入  400.00  万元，占  比  87.84%  。其他收入  55.35  万元。\n"
            "支出  合计  455.35  万元，其中  基本  支出  310.25  万元。项目支出  145.10  万元。\n")
    assert parse_text(text, "report.txt").tables == []


def test_cut_and_shuffled_untitled_tables_read_figures_only_from_their_lines():
    import random

    rng = random.Random(11)
    for text in (TRANSPOSED, ALIGNED, CODED, MULTI, PAGE_BROKEN):
        lines = text.split("\n")
        for _ in range(25):
            mutated = list(lines)
            op = rng.choice(["cut", "shuffle", "drop", "dup"])
            k = rng.randrange(len(mutated))
            if op == "cut":
                mutated = mutated[:k]
            elif op == "shuffle":
                tail = mutated[k:]
                rng.shuffle(tail)
                mutated = mutated[:k] + tail
            elif op == "drop":
                del mutated[k]
            else:
                mutated.insert(k, mutated[k])
            r = parse_text("\n".join(mutated), "report.md")
            for t in r.tables:
                for x in t.rows:
                    for c in x.cells:
                        assert c.column in t.columns
                        if c.value is not None:
                            assert c.raw in mutated[c.line - 1].replace("**", ""), (c, mutated[c.line - 1])
