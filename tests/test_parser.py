"""The parser on the real seed reports: metadata, sections, paragraphs, pinned table cells, checks."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPORTS, ROOT

NINE_TABLES = {"收入支出决算总表", "收入决算表", "支出决算表", "财政拨款收入支出决算总表",
               "一般公共预算财政拨款支出决算表", "一般公共预算财政拨款基本支出决算明细表", "三公经费支出决算表",
               "政府性基金预算财政拨款收入支出决算表", "国有资本经营预算财政拨款支出决算表"}


def fact(report, table, column, code=None, name=None):
    hits = [f for f in report.facts if f.table == table and f.column == column
            and (code is None or f.row_code == code) and (name is None or f.row_name == name)]
    assert len(hits) <= 1, hits
    return hits[0] if hits else None


@pytest.mark.parametrize("key,unit,region,year", [
    ("wuchang", "武汉市武昌区大数据中心", "武昌区", 2019),
    ("hanyang", "武汉市汉阳区大数据中心", "汉阳区", 2021),
    ("hongshan", "武汉市洪山区大数据中心", "洪山区", 2022),
    ("jianghan", "武汉市江汉区大数据中心", "江汉区", 2022),
    ("qiaokou", "武汉市硚口区大数据中心", "硚口区", 2024),
])
def test_metadata_from_text(parsed, key, unit, region, year):
    m = parsed[key].report
    assert (m.unit_name, m.region, m.year) == (unit, region, year)


def test_metadata_ignores_file_name(tmp_path):
    from indexer.parser import parse_file

    odd = tmp_path / "upload_0001.txt"
    odd.write_bytes(REPORTS["qiaokou"].read_bytes())
    a, b = parse_file(odd).report, parse_file(REPORTS["qiaokou"]).report
    assert (a.unit_name, a.year, a.report_id) == (b.unit_name, b.year, b.report_id)


def test_sections_tree(parsed):
    paths = [s.path for s in parsed["hanyang"].sections]
    assert "第二部分 2021 年度部门决算表 > 三、支出决算表" in paths
    assert any(p.endswith("十一、政府采购支出说明") for p in paths)
    # the table of contents is not a section
    assert sum(1 for s in parsed["hanyang"].sections if s.title.startswith("第一部分")) == 1


def test_paragraphs_join_wraps_and_repair_numbers(parsed):
    texts = [p.text for p in parsed["wuchang"].paragraphs]
    assert any("在职实有人数 11 人，其中：行政 0人" in t for t in texts)
    joined = "".join(texts)
    assert "3,087.07万元" in joined.replace(" ", "")
    # wrapped lines joined: no paragraph of the wrapped 武昌 report is a single short fragment mid-sentence
    para = next(p for p in parsed["wuchang"].paragraphs if "政府采购支出总额" in p.text)
    assert para.line_end > para.line_start


def test_no_paragraph_crosses_a_heading(parsed):
    for key in ("hanyang", "hongshan"):
        heads = {s.line_start for s in parsed[key].sections}
        for p in parsed[key].paragraphs:
            assert not any(p.line_start < h <= p.line_end for h in heads), p


def test_narrative_only_reports_invent_no_table_facts(parsed):
    for key in ("hongshan", "jianghan"):
        r = parsed[key]
        assert len(r.sections) > 20 and len(r.paragraphs) > 80
        assert not [f for f in r.facts if f.table in NINE_TABLES]


def test_seed_reports_have_only_titled_tables(parsed):
    # no table without a template title is made from the seeds' prose, chart residue or lists
    from indexer.lexicon import table_specs

    template = {spec["name"] for spec in table_specs()}
    for key in ("wuchang", "hanyang", "hongshan", "jianghan", "qiaokou"):
        assert {t.name for t in parsed[key].tables} <= template, key


def test_pdftext_cell_wuchang_2019(parsed):
    r = parsed["wuchang"]
    assert fact(r, "支出决算表", "项目支出", code="20102").value == 14.00
    assert fact(r, "支出决算表", "基本支出", code="20102") is None


def test_tab_cells_hanyang_2021(parsed):
    r = parsed["hanyang"]
    assert fact(r, "一般公共预算财政拨款基本支出决算明细表", "决算数", code="30107").value == 185.20


def test_tab_cells_qiaokou_2024(parsed):
    r = parsed["qiaokou"]
    f = fact(r, "收入决算表", "本年收入合计", code="2101199")
    assert f.value == 2.19 and f.row_name == "其他行政事业单位医疗支出"


def test_identity_checks_hold_on_clean_tables(parsed):
    for key in ("wuchang", "hanyang"):
        checks = parsed[key].checks
        assert checks
        failed = [c for c in checks if not c.holds]
        assert not failed, failed


def test_broken_table_identity_fails_where_it_breaks(parsed):
    # 硚口 2024 table 05: the header and the 项目支出 column are shifted, the row identity fails from 201 on
    check = next(c for c in parsed["qiaokou"].checks
                 if c.rule == "一般公共预算财政拨款支出决算表: 小计 = 基本支出 + 项目支出")
    assert (check.holds, check.line, check.diff) == (False, 251, 2177.55)
    assert check.detail.startswith("5/18 处不成立: 201: 2,434.51 ≠ 256.96 (差 2177.55, 第251行)")


def test_broken_table_shifted_cells_are_uncertain(parsed):
    r = parsed["qiaokou"]
    shifted = fact(r, "一般公共预算财政拨款支出决算表", "基本支出", code="201")
    assert (shifted.value, shifted.uncertain) == (256.96, True)
    assert fact(r, "一般公共预算财政拨款支出决算表", "小计", code="201").uncertain is False


def test_parse_cli_json_contract():
    out = subprocess.run([sys.executable, "-m", "api.cli", "parse", str(REPORTS["hanyang"]), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    assert obj["report"]["region"] == "汉阳区" and obj["report"]["year"] == 2021
    assert {"path", "line_start", "line_end"} <= set(obj["sections"][0])
    assert {"name", "line_start", "line_end", "columns", "rows"} <= set(obj["tables"][0])
    assert {"table", "row_code", "row_name", "column", "value", "unit", "line"} <= set(obj["facts"][0])
    assert {"rule", "holds", "detail"} <= set(obj["checks"][0])
    f = next(f for f in obj["facts"] if f["row_code"] == "30107")
    lines = REPORTS["hanyang"].read_text(encoding="utf-8").split("\n")
    assert "185.20" in lines[f["line"] - 1]


def test_parse_cli_bad_input(tmp_path):
    bad = tmp_path / "x.docx"
    bad.write_bytes(b"PK\x03\x04 not a report")
    for arg in (str(bad), str(tmp_path / "missing.txt")):
        out = subprocess.run([sys.executable, "-m", "api.cli", "parse", arg], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 2
        assert len(out.stderr.strip().splitlines()) == 1


def test_pdftext_rates_keep_their_percent_unit(parsed):
    # PDF-text 绩效自评表 (洪山 2022): a rate is 97.35 %, never 97.35 万元
    rate = fact(parsed["hongshan"], "部门整体绩效自评表", "执行率", name="部门整体支出总额")
    assert (rate.value, rate.raw, rate.unit) == (97.35, "97.35%", "%")
    assert all(f.unit == "%" for f in parsed["hongshan"].facts if f.raw.endswith("%"))


def test_a_score_column_counts_in_points_not_in_the_tables_money_unit():
    from indexer.facts import table_facts
    from indexer.models import Cell, Row, Table

    row = Row(name="网络安全设施维护保障率", line_start=5, line_end=5,
              cells=[Cell(column="实际完成值", raw="100%", value=100.0, unit="%"),
                     Cell(column="得分", raw="6", value=6.0), Cell(column="预算数", raw="12", value=12.0)])
    t = Table(name="部门整体绩效自评表", title="部门整体绩效自评表", unit="万元", rows=[row], line_start=1, line_end=5)
    units = {f.column: f.unit for f in table_facts("r1", [t])}
    assert units == {"实际完成值": "%", "得分": "分", "预算数": "万元"}
