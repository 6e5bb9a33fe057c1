"""The national expenditure classification as data: one loader, codes in any written form, and
codes never read as amounts."""
from __future__ import annotations

import pytest

from indexer.lexicon import classification, code_kind, code_name, normalize_code
from indexer.numbers import code_spans, figures


def test_classification_covers_classes_and_common_lines():
    c = classification()
    f, e = c["function"], c["economic"]
    for code in ("201", "205", "207", "208", "210", "212", "213", "214", "221", "224", "229", "230", "231",
                 "232", "233"):
        assert code in f, code
    assert f["201"] == "一般公共服务支出" and f["20805"] == "行政事业单位养老支出"
    assert f["2080505"] == "机关事业单位基本养老保险缴费支出" and f["2101101"] == "行政单位医疗"
    assert f["2210201"] == "住房公积金" and f["2010350"] == "事业运行"
    assert e["30101"] == "基本工资" and e["30102"] == "津贴补贴" and e["30217"] == "公务接待费"
    assert {"301", "302", "303", "310", "399"} <= set(e)
    # every 款 and 项 sits under a listed 类 (and 项 under a listed 款)
    for code in f:
        assert code[:3] in f and (len(code) < 7 or code[:5] in f), code
    for code in e:
        assert code[:3] in e, code


@pytest.mark.parametrize("written", ["2080505", "208 05 05", "[2080505]", "【2080505】", "（2080505）", "208-05-05"])
def test_written_forms_normalize(written):
    assert normalize_code(written) == "2080505"


def test_codes_and_non_codes():
    assert normalize_code("301 01") == "30101" and code_name("30101") == "基本工资"
    assert code_kind("2010350") == "function" and code_kind("30217") == "economic"
    assert code_kind("2019999") == "function"  # unlisted 项 of a listed 类 is still a code
    for text in ("2021", "123", "12.5", "20", "99999", "3021701"):
        assert normalize_code(text) is None, text


@pytest.mark.parametrize("text, amounts", [
    ("一般公共服务支出 201万元", []),  # PDF text: 201 is the class code of 一般公共服务支出
    ("一般公共服务支出201万元，教育支出 12.50 万元", ["12.50"]),
    ("[2080505]机关事业单位基本养老保险缴费支出 18.36万元", ["18.36"]),
    ("208 05 05 机关事业单位基本养老保险缴费支出 35.20", ["35.20"]),
    ("30217 公务接待费 1.5 万元", ["1.5"]),
    ("其中：支出 201万元", ["201"]),  # a figure with no classification name beside it is a figure
    ("本年收入合计 2,533.25 万元", ["2,533.25"]),
    ("一般公共服务支出 201.00万元", ["201.00"]),  # decimals: an amount
])
def test_codes_are_not_amounts(text, amounts):
    assert [raw for _, _, raw, _ in figures(text)] == amounts
    assert all(normalize_code(code) == code for _, _, code in code_spans(text))
