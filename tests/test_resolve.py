"""Report resolution on in-memory report records: no model, no files."""
from __future__ import annotations

import pytest

from indexer.aliases import derive_aliases, split_name
from retriever.index import ReportRec
from retriever.resolve import NameIndex, abbreviation, resolve


def rec(rid: str, unit: str, region: str, year: int) -> ReportRec:
    return ReportRec(report_id=rid, unit_name=unit, region=region, year=year, title="", source_file=f"{rid}.txt",
                     indexed_at="", counts={})


@pytest.fixture(scope="module")
def names() -> NameIndex:
    return NameIndex([
        rec("edu", "湖北省武汉市江岸区教育局", "江岸区", 2023),
        rec("road", "湖北省武汉市江岸区公路事务中心", "江岸区", 2023),
        rec("road22", "湖北省武汉市江岸区公路事务中心", "江岸区", 2022),
        rec("tour", "四川省遂宁市大英县文化广播电视和旅游局", "大英县", 2022),
        rec("lab", "梧州市农产品质量安全综合检测中心", "梧州市", 2020),
        rec("street", "上海市黄浦区人民政府外滩街道办事处", "黄浦区", 2021),
    ])


def ids(res) -> list[str]:
    return sorted(r.report_id for r in res.reports)


def test_name_parts_and_short_forms():
    p = split_name("四川省遂宁市大英县文化广播电视和旅游局")
    assert (p.higher, p.place, p.body, p.place_short) == ("四川省遂宁市", "大英县", "文化广播电视和旅游局", "大英")
    assert split_name("大英县市场监督管理局").place == "大英县"  # 市场 is no city
    assert split_name("梧州市农产品质量安全综合检测中心").place == "梧州市"
    aliases = derive_aliases("上海市黄浦区人民政府外滩街道办事处")
    assert {"黄浦区外滩街道办事处", "黄浦外滩街道"} <= set(aliases)
    assert "外滩街道" in aliases and "街道办事处" not in aliases  # a street names its office, a kind names none
    assert "大英文旅局" in derive_aliases("四川省遂宁市大英县文化广播电视和旅游局")
    assert "大数据中心" not in derive_aliases("武汉市汉阳区大数据中心")  # a body alone names that kind anywhere
    # a town names its government; a party committee's office is its 区委办
    assert {"沙岗镇", "沙岗镇政府", "博安沙岗镇"} <= set(derive_aliases("广东省惠州市博安县沙岗镇人民政府"))
    assert {"燕平区委办公室", "燕平区委办"} <= set(derive_aliases("中共北京市燕平区委员会办公室"))
    assert "大英县委组织部" in derive_aliases("中共大英县委员会组织部")
    assert {"南麓二中", "南麓区第二中学"} <= set(derive_aliases("湖南省衡岳市南麓区第二中学"))  # 第二中学 → 二中


def test_abbreviation_follows_the_name_in_order():
    assert abbreviation("梧州农检中心有人出国吗", "农产品质量安全综合检测中心") == "农检中心"
    assert abbreviation("这个中心", "农产品质量安全综合检测中心") == ""  # the ending alone names nothing


def test_full_name_excludes_other_units_of_the_same_district(names):
    res = resolve("湖北省武汉市江岸区教育局2023年项目支出多少", names)
    assert ids(res) == ["edu"]
    assert "全称" in res.reasons["edu"]


def test_short_forms_and_abbreviations(names):
    assert ids(resolve("大英文旅局2022年接待费", names)) == ["tour"]
    assert ids(resolve("江岸公路中心2023年收入总计", names)) == ["road"]
    assert ids(resolve("梧州农检中心2020年有人公费出国吗", names)) == ["lab"]
    assert ids(resolve("外滩街道2021年基本支出", names)) == ["street"]


def test_district_alone_with_several_units_offers_choices(names):
    res = resolve("江岸区2023年项目支出多少", names)
    assert res.reports == [] and sorted(r.report_id for r in res.choices) == ["edu", "road"]


def test_district_alone_compared_keeps_all(names):
    res = resolve("江岸区2023年哪个单位的项目支出最多", names, many=True)
    assert ids(res) == ["edu", "road"]


def test_unit_with_several_years_and_no_year_keeps_every_year(names):
    res = resolve("江岸区公路事务中心项目支出多少", names)
    assert ids(res) == ["road", "road22"] and res.choices == []


def test_year_just_before_a_report_selects_that_report(names):
    res = resolve("大英文旅局2021年的机关运行经费", names)
    assert ids(res) == ["tour"] and res.years == [2021]


def test_absent_year_and_absent_place_are_missing(names):
    assert "2018" in resolve("大英文旅局2018年的机关运行经费", names).missing
    assert "青山区" in resolve("青山区2022年项目支出", names).missing


def test_follow_up_takes_unit_and_year_from_history(names):
    history = ["江岸区公路事务中心2022年收入总计是多少？", "谢谢"]
    res = resolve("该中心的基本支出呢？", names, history=history)
    assert ids(res) == ["road22"] and res.context == history[0]
    res = resolve("该中心今年的基本支出呢？", names, history=history)
    assert ids(res) == ["road22"]
    res = resolve("那去年呢？", names, history=["江岸区公路事务中心2023年收入总计是多少？"])
    assert ids(res) == ["road22"]


def test_own_unit_wins_over_history(names):
    res = resolve("梧州农检中心2020年公务接待费", names, history=["大英文旅局2022年接待费"])
    assert ids(res) == ["lab"] and res.context is None


def test_a_place_the_corpus_lacks_is_missing_even_when_the_unit_type_matches(names):
    res = resolve("青山区公路事务中心2023年收入总计", names)
    assert res.reports == [] and res.choices == [] and "青山区" in res.missing


def test_no_report_at_all(names):
    res = resolve("😀😀😀", NameIndex([]))
    assert res.reports == [] and res.choices == [] and res.missing


def test_filters_that_match_no_report(names):
    res = resolve("项目支出", names, unit="不存在的单位", year=1900)
    assert res.reports == [] and res.missing


def test_another_unit_of_a_known_place_is_missing(names):
    res = resolve("江岸区财政局2023年项目支出", names)
    assert res.reports == [] and res.choices == [] and "江岸区财政局" in res.missing
    assert ids(resolve("江岸区2023年哪个单位的项目支出最多", names, many=True)) == ["edu", "road"]


def test_the_same_kind_of_unit_in_another_place_is_missing(names):
    for q in ("藤县文化广播电视和旅游局2022年接待费", "岑溪市农产品质量安全综合检测中心2020年公务接待费", "滕州市文旅局2022年接待费"):
        res = resolve(q, names)
        assert res.reports == [] and res.choices == [] and res.missing, q
    assert ids(resolve("大英县文化广播电视和旅游局2022年接待费", names)) == ["tour"]
    # a street named alone names its office, but not the street of that name in another district
    assert ids(resolve("外滩街道2021年接待费", names)) == ["street"]
    assert resolve("静安区外滩街道办事处2021年接待费", names).reports == []


def test_place_words_inside_a_row_name_no_other_place(names):
    """After a known place, "为经区视频办" is the wording of an indicator, not a district the corpus lacks;
    a second place beside a joiner still is one."""
    res = resolve("大英县2022年为经区视频办同意的部门提供视频共享实际完成值", names)
    assert ids(res) == ["tour"] and res.missing is None
    assert "青山区" in resolve("大英县和青山区2022年接待费", names).missing
    assert ids(resolve("大英县2022年对于社区反映问题及时处理,确保区内网络畅通实际完成值", names)) == ["tour"]


def test_a_named_place_outweighs_an_abbreviation_of_a_unit_elsewhere():
    names = NameIndex([rec("edu", "湖北省武汉市江岸区教育局", "江岸区", 2023),
                       rec("data", "重庆市沙坪坝区大数据发展服务中心", "沙坪坝区", 2023)])
    res = resolve("江岸区2023年街道政务服务中心接入政务外网率", names)
    assert ids(res) == ["edu"] and res.missing is None
    assert ids(resolve("数据服务中心2023年接入政务外网率", names)) == ["data"]  # alone, the abbreviation names it


def test_a_city_or_province_above_the_place_names_every_unit_there(names):
    assert ids(resolve("遂宁市2022年支出总计", names)) == ["tour"]
    assert ids(resolve("四川2022年支出总计", names)) == ["tour"]
    res = resolve("武汉市2023年项目支出", names)  # two units there: the user picks
    assert res.reports == [] and sorted(r.report_id for r in res.choices) == ["edu", "road"]
    assert ids(resolve("湖北省武汉市江岸区公路事务中心2022年项目支出", names)) == ["road22"]


def test_a_city_leaves_an_unknown_district_or_unit_there_missing(names):
    assert resolve("武汉市青山区教育局2023年项目支出", names).missing  # a district the corpus lacks
    res = resolve("武汉市江岸区财政局2023年项目支出", names)  # another unit of a known district
    assert res.missing and res.reports == [] and res.choices == []


def test_the_units_words_after_another_district_of_its_city_name_no_report():
    """A report whose places include its city (白沙市, 新港区): 白沙市万州区胜利街道办事处 and 黄陂区胜利街道
    办事处 are that kind of unit in other districts; the city alone still names it."""
    names = NameIndex([rec("street", "白沙市新港区胜利街道办事处", "白沙市新港区", 2023)])
    for q in ("白沙市万州区胜利街道办事处2023年事业运行基本支出是多少", "黄陂区胜利街道办事处2023年本年支出合计"):
        res = resolve(q, names)
        assert res.reports == [] and res.choices == [] and res.missing, q
    assert "万州区" in resolve("白沙市万州区胜利街道办事处2023年事业运行", names).missing
    assert ids(resolve("白沙市胜利街道办事处2023年事业运行基本支出", names)) == ["street"]
    assert ids(resolve("白沙市新港区胜利街道办事处2023年事业运行基本支出", names)) == ["street"]
    res = resolve("白沙市新港区人力资源和社会保障局2023年收入合计", names)  # another unit of its district
    assert res.reports == [] and res.missing


def test_a_street_named_by_its_own_words_and_a_short_ending():
    """"橘子洲街道" names …橘子洲街道办事处 even among other units of its district and year; "人民街道"
    (characters of 人民政府 before the short form) names no unit."""
    names = NameIndex([rec("jd", "长沙市岳麓区人民政府橘子洲街道办事处", "岳麓区", 2023),
                       rec("cz", "长沙市岳麓区财政局", "岳麓区", 2023)])
    assert ids(resolve("橘子洲街道2023年基本支出", names)) == ["jd"]
    assert ids(resolve("橘子洲街道办2023年基本支出", names)) == ["jd"]
    assert ids(resolve("人民街道2023年基本支出", names)) != ["jd"]


def test_years_in_chinese_numerals(names):
    assert ids(resolve("江岸区公路事务中心二〇二二年收入总计", names)) == ["road22"]
    assert ids(resolve("江岸区公路事务中心二零二三年收入总计", names)) == ["road"]


def test_a_school_of_another_county_is_missing():
    names = NameIndex([rec("school", "青川市桃源县第一中学", "桃源县", 2022), rec("edu", "湖北省武汉市江岸区教育局", "江岸区", 2023)])
    for q in ("藤县第一中学2022年农林水支出是多少", "沛县实验小学2022年项目支出"):
        res = resolve(q, names)
        assert res.reports == [] and res.choices == [] and res.missing, q
    assert ids(resolve("桃源县第一中学2022年农林水支出是多少", names)) == ["school"]
    assert ids(resolve("第一中学2022年农林水支出是多少", names)) == ["school"]


def test_the_usual_short_form_of_another_kind_of_unit_names_no_report(tmp_path):
    """卫健局 is the short form of 卫生健康局: it does not name a 卫生健康综合监督执法局 of the same
    district, though its characters follow that name in order; 执法局 and 卫健执法局 do."""
    from retriever.resolve import abbreviation

    body = "卫生健康综合监督执法局"
    assert abbreviation("东平区卫健局2023年项目支出", body) == ""
    assert abbreviation("东平区执法局2023年项目支出", body) == "执法局"
    assert abbreviation("东平区卫健执法局2023年项目支出", body) == "卫健执法局"
    assert abbreviation("大英县文旅局", "文化体育和旅游局") == "文旅局"


def test_a_unit_kind_alone_narrows_the_choices_to_that_kind():
    several = NameIndex([
        rec("a1", "秦州市青岚县审计局", "青岚县", 2020),
        rec("a2", "秦州市白石县审计局", "白石县", 2020),
        rec("lab", "梧州市农产品质量安全综合检测中心", "梧州市", 2020),
    ])
    res = resolve("审计局2020年三公经费是多少", several)
    assert res.reports == [] and sorted(r.report_id for r in res.choices) == ["a1", "a2"]
    res = resolve("2020年三公经费是多少", several)
    assert sorted(r.report_id for r in res.choices) == ["a1", "a2", "lab"]
