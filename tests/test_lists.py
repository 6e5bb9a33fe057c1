"""List answers and list items of the text, end to end over a small invented markdown report: the noun
asked for after or before the question word, items after a count (设有3个科室，分别是…), items written
one per line ("- A") after an introducing sentence, and list items carrying figures kept as text while
the contents' own list items are skipped."""
from __future__ import annotations

import pytest

from tests.test_generalize import engine_over

REPORT = """# 临江县文物保护中心 2021年度部门决算

- 第一部分 部门概况
- 一、部门主要职责
- 二、机构设置情况

## 一、部门概况

中心内部设有3个科室，分别是文物科、安全保卫科、综合办公室。

## 二、收入支出决算总体情况

2021年度收入总计 520.00 万元，支出总计 520.00 万元。

## 三、政府性基金和国有资本经营预算支出

- 2021年政府性基金预算财政拨款支出：12.50万元。
- 2021年国有资本经营预算财政拨款支出：0万元。

## 四、政府采购

2021年政府采购支出总额 86.00 万元。采购资金主要投向以下事项：

- 古城墙监测设备
- 馆藏文物数字化
- 安防系统升级改造

本年度中小企业获得的政府采购合同金额为 86.00 万元。

## 五、预算绩效情况说明

### （一）项目支出自评结果

本中心组织对项目支出开展绩效自评，工作有序推进，评价范围覆盖全部项目，充分发挥资金效益。

本中心在决算中反映所有项目绩效自评结果。

1. 文物巡查项目绩效自评综述：项目全年预算数为 20.00 万元，执行数为 20.00 万元。主要产出和效益：一是完成巡查报告 12 份；二是隐患整改率 100%。

2. 文物安全-消防改造项目绩效自评综述：项目全年预算数为 30.00 万元，执行数为 30.00 万元。

3. 临江古城墙本体及周边环境数字化监测平台建设项目绩效自评综述：项目全年预算数为 36.00 万元。
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("lists"), {"临江县文物保护中心_2021.md": REPORT.encode("utf-8")})


@pytest.mark.parametrize("question", ["临江县文物保护中心有哪些科室", "临江县文物保护中心2021年的科室有哪些",
                                      "临江县文物保护中心内设哪几个科室"])
def test_the_items_after_a_count_are_listed(engine, question):
    r = engine.ask(question)
    assert r.found and "共3个" in r.answer
    assert "文物科、安全保卫科、综合办公室" in r.answer


def test_items_written_one_per_line_after_their_introduction(engine):
    r = engine.ask("临江县文物保护中心2021年政府采购资金投向了哪些事项")
    assert r.found and "共3个：古城墙监测设备、馆藏文物数字化、安防系统升级改造" in r.answer
    assert any("以下事项" in c.text for c in r.citations)


def test_a_list_item_with_a_figure_is_text_and_a_contents_entry_is_not(engine):
    texts = [c.text for c in engine.index.chunks]
    assert "- 2021年政府性基金预算财政拨款支出：12.50万元。" in texts
    assert not any("部门主要职责" in t for t in texts)
    r = engine.ask("临江县文物保护中心2021年政府性基金预算财政拨款支出是多少")
    assert r.found and r.values[0].value == pytest.approx(12.5)
    assert r.values[0].label.startswith("政府性基金")


def test_a_follow_up_asks_for_the_items_of_the_count_asked_before(engine):
    history = ["临江县文物保护中心2021年有几个科室"]
    assert engine.ask(history[0]).values[0].value == pytest.approx(3)
    for follow_up in ("分别是哪些", "都有哪些"):
        r = engine.ask(follow_up, history=history)
        assert r.found and "科室共3个：文物科、安全保卫科、综合办公室" in r.answer, follow_up


def test_items_opening_the_paragraphs_of_a_section_and_only_those(engine):
    """Numbered paragraphs "N. <item>项目绩效自评综述" are the list: not the unnumbered sentence that also
    says 项目绩效自评, not the points inside one (一是…二是…), not clauses after 有 (有序推进，…)."""
    r = engine.ask("临江县文物保护中心2021年开展绩效自评的项目有哪些")
    assert r.found
    assert "项目共3个：文物巡查、文物安全-消防改造、临江古城墙本体及周边环境数字化监测平台建设。" in r.answer


@pytest.mark.parametrize("text, noun, items", [
    # a comma after the items ends them: what is 下设 after it is not one of the 科室
    ("本部门内设综合科、医疗监督科、职业卫生监督科，下设执法一大队、执法二大队。", "科室",
     ["综合科", "医疗监督科", "职业卫生监督科"]),
    # the count and noun closing the enumeration name it and are no item
    ("内设办公室、财政审计股、经济责任审计股三个股室。", "股室", ["办公室", "财政审计股", "经济责任审计股"]),
])
def test_enumerations_introduced_by_nei_she(text, noun, items):
    from retriever.listing import listed_items

    assert listed_items(text, noun) == items
    assert listed_items(text, noun, named_only=True) == (items if noun in text else [])
