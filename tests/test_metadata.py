"""Report metadata from any template: title forms, covers, key-value lines, the body, the file name;
each field with its source; one unit name per report; synthetic unit types and templates 100 % right."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench.synth_templates import TEMPLATES, variant, variants
from indexer.metadata import aliases_of, build_meta, from_file_name, region_of, split_names
from indexer.models import Document
from indexer.readers import read_bytes

OTHER_UNITS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "other_units"


def meta_of(lines: list[str], name: str = "upload.txt"):
    return build_meta(Document(source_file=name, kind="txt", lines=lines, content_hash="x"))


@pytest.mark.parametrize("lines, unit, year", [
    (["云州市临江区教育局 2023 年度部门决算"], "云州市临江区教育局", 2023),
    (["2021 年度云州市临江区教育局部门 决算"], "云州市临江区教育局", 2021),
    (["# 岭西省北泉市图书馆 2022年度单位决算（情况说明摘编）"], "岭西省北泉市图书馆", 2022),
    (["青川市南岸区公路事务中心 · 2023年度决算公开说明（摘编）"], "青川市南岸区公路事务中心", 2023),
    (["白沙市龙潭县人民医院 2020年度部门决算情况说明"], "白沙市龙潭县人民医院", 2020),
    (["白沙市龙潭县人民医院2019年度决算情况说明"], "白沙市龙潭县人民医院", 2019),
    (["关于石港市枫林区民主街道办事处2024年度部门决算的说明"], "石港市枫林区民主街道办事处", 2024),
    # covers as PDF extraction gives them: the unit, then the year on a line of its own
    (["江城市清水区文化和旅游局", "", "2022 年度单位决算（节选）"], "江城市清水区文化和旅游局", 2022),
    (["江城市清水区文化和旅游局", "2022", "年度部门决算"], "江城市清水区文化和旅游局", 2022),
    (["2018", "江城市清水区文化和旅游局部门决算"], "江城市清水区文化和旅游局", 2018),
    (["江城市清水区文化和旅游局 2017", "年度部门决算表"], "江城市清水区文化和旅游局", 2017),
    (["二〇二二年度柳林区财政局部门决算"], "柳林区财政局", 2022),
    (["柳林区财政局２０２１年度部门决算"], "柳林区财政局", 2021),
    (["【柳林区财政局】2020年度部门决算"], "柳林区财政局", 2020),
    (["柳林区财政局部门2019年度决算"], "柳林区财政局", 2019),
    (["柳林区财政局（本级）2018年度部门决算"], "柳林区财政局", 2018),
    (["2022年度中共北泉市委宣传部部门决算"], "中共北泉市委宣传部", 2022),
    # key-value lines, plain and bold
    (["决算公开说明", "**单位名称**：南陵市北山区农业农村局", "**决算年度**：2023", "**金额单位**：万元"],
     "南陵市北山区农业农村局", 2023),
    (["单位名称：南陵市北山区农业农村局    填报日期：2024-03-01", "决算年度：2023"], "南陵市北山区农业农村局", 2023),
    # the body names the unit
    (["部门决算", "临川市石门区疾病预防控制中心是区卫生健康局所属公益一类事业单位。", "2021年度收入合计3.5万元。"],
     "临川市石门区疾病预防控制中心", 2021),
])
def test_title_forms(lines, unit, year):
    m = meta_of(lines)
    assert (m.unit_name, m.year) == (unit, year)
    assert m.metadata_source["unit_name"] == "text" and m.metadata_source["year"] == "text"


def test_department_not_subordinate_nor_fragment():
    lines = ["安澜市柳林区教育局2022年度部门决算", "",
             "纳入安澜市柳林区教育局2022年度部门决算编制范围的二级预算单位包括：安澜市柳林区教育局本级、"
             "安澜市柳林区教育信息中心、安澜市柳林区学生资助管理中心。",
             "安澜市柳林区教育信息中心是安澜市柳林区教育局所属事业单位。"]
    m = meta_of(lines)
    assert m.unit_name == "安澜市柳林区教育局"


def test_title_year_outweighs_body_mentions_of_other_years():
    body = ["2022年度决算数与2022年度预算数相比增加。"] * 30
    m = meta_of(["北泉市金沙区图书馆2023年度部门决算"] + body)
    assert m.year == 2023


def test_names_run_together_give_the_publisher():
    assert split_names("临江区信息中心云州市临江区数据局") == ["临江区信息中心", "云州市临江区数据局"]
    m = meta_of(["云州市临江区信息中心", "云州市临江区数据局2020年度部门决算"])
    assert m.unit_name == "云州市临江区数据局"


def test_file_name_fallback_and_sources():
    m = meta_of(["2023年度部门决算", "本单位2023年度收入合计12.5万元。"], name="uploads/嘉禾市永安县第一中学_2023.txt")
    assert (m.unit_name, m.region, m.year) == ("嘉禾市永安县第一中学", "永安县", 2023)
    assert m.metadata_source == {"unit_name": "file name", "year": "text", "region": "file name"}
    assert from_file_name("2022年度石港市新港区卫生健康委员会部门决算（公开版）(1).pdf") == ("石港市新港区卫生健康委员会", 2022)
    assert from_file_name("000_a5f9b644439bac23.txt") == (None, None)
    m = meta_of(["无标题"], name="x.txt")
    assert (m.unit_name, m.year) == (None, None) and m.metadata_source == {}


@pytest.mark.parametrize("unit, region", [
    ("武汉市洪山区大数据中心", "洪山区"), ("梧州市农产品质量安全综合检测中心", "梧州市"),
    ("大英县文化广播电视和旅游局", "大英县"), ("广西壮族自治区梧州市藤县教育局", "藤县"),
    ("武汉市城市管理执法局", "武汉市"), ("四川省财政厅", "四川省"), ("盐城市亭湖区教育局", "亭湖区"),
])
def test_region(unit, region):
    assert region_of(unit) == region


def test_aliases():
    assert aliases_of("武汉市汉阳区大数据中心", "汉阳区") == [
        "武汉市汉阳区大数据中心", "汉阳区大数据中心", "汉阳大数据中心", "汉阳区", "汉阳"]
    # a name is never cut down to its bare kind ("农产品质量安全综合检测中心" names many units)
    assert aliases_of("梧州市农产品质量安全综合检测中心", "梧州市") == [
        "梧州市农产品质量安全综合检测中心", "梧州农产品质量安全综合检测中心", "梧州市", "梧州"]


@pytest.mark.parametrize("seed", range(3))
def test_synthetic_templates_text_and_markdown(seed):
    results = []
    for exp, data, _ in variants(seed, ("txt", "md")):
        m = build_meta(read_bytes(data, exp.file_name))
        results.append(((m.unit_name, m.region, m.year), (exp.unit, exp.region, exp.year), exp))
        want_source = "file name" if exp.template == "filename" else "text"
        assert m.metadata_source == {"unit_name": want_source, "year": "text", "region": want_source}, exp
    wrong = [(got, want, e.template, e.fmt) for got, want, e in results if got != want]
    assert not wrong
    assert len(results) == 2 * len(TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES)
def test_synthetic_templates_pdf(template):
    exp, data, _ = variant(1, TEMPLATES.index(template), template, "pdf")
    doc = read_bytes(data, exp.file_name)
    m = build_meta(doc)
    assert (m.unit_name, m.region, m.year) == (exp.unit, exp.region, exp.year)
    assert len(doc.pages) == len(doc.lines) and doc.pages[0] == 1 and doc.pages == sorted(doc.pages)


OTHER = {
    "大英县文化广播电视和旅游局_2022.md": ("大英县文化广播电视和旅游局", "大英县", 2022),
    "梧州市农产品质量安全综合检测中心_2020.txt": ("梧州市农产品质量安全综合检测中心", "梧州市", 2020),
    "重庆市沙坪坝区大数据发展服务中心_2022.txt": ("重庆市沙坪坝区大数据发展服务中心", "沙坪坝区", 2022),
    "重庆市綦江区公路事务中心_2023.md": ("重庆市綦江区公路事务中心", "綦江区", 2023),
}


@pytest.mark.skipif(not OTHER_UNITS.is_dir(), reason="shared eval material not present")
@pytest.mark.parametrize("name", sorted(OTHER))
def test_other_units_from_text_not_file_name(name):
    data = (OTHER_UNITS / name).read_bytes()
    m = build_meta(read_bytes(data, "upload" + Path(name).suffix))  # the file name must not be needed
    assert (m.unit_name, m.region, m.year) == OTHER[name]
    assert m.metadata_source["unit_name"] == "text" and m.metadata_source["year"] == "text"
