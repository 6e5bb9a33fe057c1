"""An invented report that keeps its accounts in 元 (tables and sentences), as many county reports
do: looked-up and derived figures alike stay in 元 with every input cited, and a sentence naming
two totals at once ("收、支总计各增加") is about each of them."""
from __future__ import annotations

import pytest

from tests.test_generalize import assert_answers, engine_over

UNIT = "临江市东平区卫生健康综合监督执法局"
REPORT = f"""# {UNIT}2023年度部门决算

## 第二部分 2023年度部门决算表

### 表3 支出决算表

单位：元

| 科目编码 | 科目名称 | 本年支出合计 | 基本支出 | 项目支出 |
|---|---|---|---|---|
| | 合计 | 10,118,531.51 | 8,036,118.71 | 2,082,412.80 |
| 208 | 社会保障和就业支出 | 1,203,455.20 | 1,203,455.20 | 0.00 |
| 210 | 卫生健康支出 | 8,412,766.31 | 6,330,353.51 | 2,082,412.80 |
| 221 | 住房保障支出 | 502,310.00 | 502,310.00 | 0.00 |

## 第三部分 2023年度部门决算情况说明

### 一、收入支出决算总体情况说明
2023年度收入总计10,350,920.61元，支出总计10,350,920.61元。与2022年度相比，收、支总计各增加812,034.22元，增长8.51%，主要原因是新增执法装备购置项目。

### 二、“三公”经费支出决算情况说明
2023年度“三公”经费支出决算为86,500.00元，比上年决算减少12,300.00元，下降12.45%。其中：因公出国（境）费0元；公务用车运行维护费72,000.00元；公务接待费14,500.00元。

### 三、政府采购支出情况说明
本部门2023年度政府采购支出总额1,265,000.00元，其中：政府采购货物支出985,000.00元，政府采购服务支出280,000.00元。

### 四、国有资产占用情况说明
截至2023年12月31日，本部门共有车辆6辆，其中执法执勤用车5辆，其他用车1辆。
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("yuan"), {f"{UNIT}_2023.md": REPORT.encode("utf-8")})


def _inputs(r) -> set[float]:
    return {v.value for v in r.values[1:]}


def test_last_years_figure_in_yuan(engine):
    r = assert_answers(engine, "东平区卫生健康综合监督执法局2022年三公经费是多少", 98800.0)
    assert r.values[0].unit == "元" and _inputs(r) == {86500.0, 12300.0}, r.answer
    assert "98,800.00元" in r.answer


def test_a_joint_total_gives_last_year_of_each(engine):
    r = assert_answers(engine, "东平区卫生健康综合监督执法局2022年收入总计", 9538886.39)
    assert _inputs(r) == {10350920.61, 812034.22}, r.answer


def test_share_difference_and_sum_in_yuan(engine):
    r = assert_answers(engine, "东平区卫生健康综合监督执法局2023年政府采购货物支出占政府采购支出总额的比例", 77.87)
    assert _inputs(r) == {985000.0, 1265000.0}
    r = assert_answers(engine, "东平区卫生健康综合监督执法局2023年基本支出比项目支出多多少", 5953705.91)
    assert r.values[0].unit == "元"
    assert_answers(engine, "东平区卫生健康综合监督执法局2023年公务用车运行维护费和公务接待费合计", 86500.0)


def test_an_amount_asked_in_wan_yuan_of_a_figure_in_yuan(engine):
    r = assert_answers(engine, "东平区卫生健康综合监督执法局2023年政府采购支出总额是多少万元", 126.5)
    assert r.values[0].unit == "万元" and r.values[1].value == 1265000.0 and r.values[1].unit == "元"
    assert "126.50万元" in r.answer and "1,265,000.00元" in r.answer
    r = assert_answers(engine, "东平区卫生健康综合监督执法局2023年政府采购支出总额是多少", 1265000.0)
    assert r.values[0].unit == "元"


def test_a_vehicle_class_is_not_read_as_the_official_car_expense(engine):
    """执法执勤用车 is a class of vehicles: 用车 in it is not the colloquial word for 公务用车."""
    assert_answers(engine, "东平区卫生健康综合监督执法局2023年执法执勤用车几辆", 5.0)
