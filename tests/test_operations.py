"""Derived answers and level-vs-change questions, end to end over a small invented report: the net of
several stated changes, a reliance question asked as a share, last year's value from the change stated
of the same figure, and a change figure that never answers a question about a level."""
from __future__ import annotations

import pytest

from tests.test_generalize import engine_over

REPORT = """青山县水利事务中心2023年度部门决算

第二部分 2023年度部门决算情况说明

机构设置：中心内部设有3个科室和1个办公室。

一、收入支出决算总体情况说明
2023年度收入总计 860.00 万元，支出总计 860.00 万元。和2022年相比，收入总计少了 140.00 万元，降幅 14.00%。

二、收入决算情况说明
本年收入合计 800.00 万元，全部为财政拨款收入，财政拨款收入占比100%。

收支总计变动的主要因素（与上年相比）
| 因素 | 变动方向 | 变动额（万元） |
|:--|:--:|--:|
| 一般公共预算财政拨款收入 | 增加 | 60.00 |
| 政府性基金 | 减少 | 50.00 |
| 年初结转结余 | 减少 | 150.00 |

支出决算表
| 科目名称 | 本年支出合计 | 基本支出 | 项目支出 |
|:--|--:|--:|--:|
| 行政事业单位医疗 | 33.95 | 33.95 | |
| 事业单位医疗 | 12.30 | 12.30 | |
| 公务员医疗补助 | 21.65 | 21.65 | |

三、“三公”经费支出决算情况说明
“三公”经费支出决算合计 9.60 万元，与预算相比增加 0 万元；与上年相比增加 2.40 万元，增幅 33.3%。增加的主要原因是公务用车运行支出上升，带动“三公”经费总额增加。分项看：因公出国（境）费决算与预算持平，与上年持平；公务用车运行维护费决算与预算持平，比上年增加 1.90 万元；公务接待费决算与预算持平，比上年增加 0.50 万元。
“三公”经费分项为：因公出国（境）费 0 万元，公务用车运行维护费 6.10 万元，公务接待费 3.50 万元。公务用车运行维护费支出 6.10 万元，主要用于公务用车运行维护费用，其中：燃料费 1.20 万元；维修费 3.00 万元；保险费 1.90 万元。公务用车购置及运行维护费合计 6.10 万元，本年未购置公务用车。

“三公”经费支出决算表
| 项目 | 决算数 |
|:--|--:|
| 因公出国（境）费 | 0 |
| 公务用车购置费 | 0 |
| 公务用车运行维护费 | 6.10 |
| 公务接待费 | 3.50 |

五、政府采购支出说明
2023年政府采购支出总额 40.00 万元，其中授予中小企业合同金额 40.00 万元。

政府采购支出表
| 采购类别 | 金额（万元） |
|:--|--:|
| 政府采购货物支出 | 4.00 |
| 政府采购工程支出 | 30.00 |
| 政府采购服务支出 | 6.00 |

六、国有资本经营预算财政拨款支出决算情况说明
本单位没有国有资本经营收入，也没有使用国有资本经营安排的支出，故本表无数据。

四、一般公共预算财政拨款支出决算情况说明
一般公共预算财政拨款支出年初预算为 700.00 万元，支出决算为 800.00 万元。
一般公共预算财政拨款支出 800.00 万元，占本年支出合计的 100%。其中：基本支出 300.00 万元，项目支出 500.00 万元。基本支出中，人员经费 280.00 万元，公用经费 20.00 万元。
"""


def assert_not_found(r) -> None:
    """"Not found", with no figure given."""
    assert not r.found and r.values == []


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return engine_over(tmp_path_factory.mktemp("ops"), {"青山县水利事务中心_2023.md": REPORT.encode("utf-8")})


def test_net_of_several_stated_changes_is_their_signed_sum(engine):
    r = engine.ask("青山县水利事务中心2023年把一般公共预算财政拨款收入增加、政府性基金减少和年初结转结余减少"
                   "三项相抵，净变化是多少？")
    assert r.found and r.values[0].derived and r.values[0].value == pytest.approx(-140.0)
    assert [v.value for v in r.values[1:]] == [pytest.approx(60.0), pytest.approx(50.0), pytest.approx(150.0)]
    assert "60.00 - 50.00 - 150.00" in r.answer
    # the direction comes from the table's own text cell when the question gives none
    r = engine.ask("青山县水利事务中心2023年政府性基金和年初结转结余两项净变化是多少")
    assert r.found and r.values[0].value == pytest.approx(-200.0)


def test_net_change_abstains_when_the_question_contradicts_the_report_or_miscounts(engine):
    r = engine.ask("青山县水利事务中心2023年政府性基金增加、年初结转结余减少，两项相抵净变化是多少")
    assert_not_found(r)
    r = engine.ask("青山县水利事务中心2023年政府性基金减少和年初结转结余减少三项相抵，净变化是多少")
    assert not r.values or not r.values[0].derived


def test_a_reliance_question_is_asked_as_the_sources_share(engine):
    r = engine.ask("青山县水利事务中心2023年的钱是不是全靠财政拨款？")
    assert r.found and r.values[0].value == pytest.approx(100.0) and r.values[0].unit == "%"


def test_a_change_never_answers_a_question_about_a_level(engine):
    """年初结转结余 is only stated as a change (变动额): asked for its level, there is no figure."""
    r = engine.ask("青山县水利事务中心2023年年初结转结余是多少")
    assert_not_found(r)
    r = engine.ask("青山县水利事务中心2023年年初结转结余比上年减少了多少")
    assert r.found and r.values[0].value == pytest.approx(150.0)
    # a sentence saying 少了 states a change: "收入总计" is the level, not the 140
    r = engine.ask("青山县水利事务中心2023年收入总计是多少")
    assert r.found and r.values[0].value == pytest.approx(860.0)


def test_last_years_value_uses_the_change_stated_of_the_same_figure(engine):
    """"三公”经费 9.60, 与上年相比增加 2.40: the 1.90 of 公务用车运行维护费 in the next sentence is not its change."""
    r = engine.ask("青山县水利事务中心2023年上年三公经费是多少")
    assert r.found and r.values[0].derived and r.values[0].value == pytest.approx(7.2)
    assert "9.60 - 2.40" in r.answer


def test_a_synonym_inside_its_terms_own_spelling_replaces_that_spelling():
    """出国 → 因公出国（境）费: "因公出国费" is that term already, not 因公 + the term + 费."""
    from indexer.lexicon import load
    from retriever.words import apply_synonyms

    lex = load("questions.json")
    assert apply_synonyms("公务接待费和因公出国费合计", lex, [])[0] == "公务接待费和因公出国（境）费合计"
    assert apply_synonyms("出国花了", lex, [])[0] == "因公出国（境）费花了"


def test_an_input_of_a_derivation_is_as_decided_as_a_lookup():
    """Three 财政拨款 rows tied: none is the part of a share. A sentence rivalled by another sentence
    within the margin is still an input when its table twin is accepted and stands clear."""
    from retriever import thresholds as th
    from retriever.inputs import decided_input
    from retriever.match import Candidate

    def cand(kind, value, score, line):
        return Candidate(kind, "r1", value, str(value), "万元", "x", f"c{line}", line, line, score)

    tied = [cand("table", 3859.16, 4.56, 1), cand("table", 0.0, 4.56, 2), cand("table", 0.0, 4.56, 3)]
    assert decided_input(tied, "r1", "万元") is None
    clear = [cand("table", 3859.16, 4.56, 1), cand("table", 0.0, 4.56 - th.MARGIN - 0.1, 2)]
    assert decided_input(clear, "r1", "万元") is clear[0]
    said = cand("prose", 2204.0, 7.5, 1)
    pool = [said, cand("prose", 1492.0, 7.1, 2), cand("table", 2204.0, 6.9, 3), cand("table", 251.1, 4.2, 4)]
    assert decided_input(pool, "r1", "万元") is said
    assert decided_input(pool[:2], "r1", "万元") is said  # sentences alone: only a tie undecides
    assert decided_input([said, cand("prose", 1492.0, 7.5, 2)], "r1", "万元") is None


@pytest.mark.parametrize("question", [
    "青山县水利事务中心2023年公务接待费和培训费合计多少",  # 培训费 is not in the report
    "青山县水利事务中心2023年公务接待费比培训费多多少",
])
def test_a_sum_or_difference_without_all_its_inputs_is_not_one_of_them(engine, question):
    """One item of a sum, or one side of a difference, is a wrong number."""
    r = engine.ask(question)
    assert_not_found(r)


def test_the_difference_from_the_budget_is_the_variance_stated_against_it(engine):
    """The budget is stated only as a variance ("与预算相比增加 0 万元"): that variance answers 决算比预算
    多多少, never the change against last year (2.40) beside it nor the level (9.60)."""
    r = engine.ask("青山县水利事务中心2023年三公经费决算比预算多多少")
    assert r.found and r.values[0].value == 0.0, r.answer
    assert "与预算相比" in r.citations[0].text


def test_a_term_then_zhong_scopes_the_figure_after_it(engine):
    r = engine.ask("青山县水利事务中心2023年公务用车运行维护费中燃料费多少")
    assert r.found and r.values[0].value == pytest.approx(1.2)


def test_a_share_stated_of_another_figure_answers_no_share_question(engine):
    """"一般公共预算财政拨款支出…占本年支出合计的100%" is no share of 卫生健康支出, which the report lacks."""
    r = engine.ask("青山县水利事务中心2023年卫生健康支出占总支出的比例")
    assert_not_found(r)


def test_a_reliance_question_takes_the_term_it_names_as_the_whole(engine):
    r = engine.ask("青山县水利事务中心2023年基本支出是不是都是人员经费")
    assert r.found and r.values[0].value == pytest.approx(93.33)
    assert "280.00 / 300.00" in r.answer


def test_a_total_word_before_a_quantity_words_a_row_and_asks_no_sum():
    from retriever.derive import computed_only
    from retriever.query import Question
    from retriever.words import Vocabulary

    def question(core):
        return Question(text=core, norm=core, core=core, vocab=Vocabulary(["信息化项目维护", "公务接待费"]),
                        ops={"sum"})

    assert computed_only(question("信息化项目维护及运行每季度提供报告全年共计4份")) == ""
    assert computed_only(question("公务接待费和培训费共计")) == "sum"


@pytest.mark.parametrize("question,count", [("青山县水利事务中心有几个科室", 3), ("青山县水利事务中心有几个办公室", 1)])
def test_a_count_is_named_by_the_noun_after_it(engine, question, count):
    r = engine.ask(question)
    assert r.found and r.values[0].value == count


def test_a_difference_of_two_named_terms_keeps_each_side_its_own(engine):
    """Only a side word alone (年初预算) borrows the other side's subject, not a shorter term."""
    r = engine.ask("青山县水利事务中心2023年公务员医疗补助比事业单位医疗多多少")
    assert r.found and r.values[0].value == pytest.approx(9.35) and "21.65 - 12.30" in r.answer


def test_a_follow_up_without_a_figure_asks_about_the_conversations_figure(engine):
    history = ["青山县水利事务中心2023年“三公”经费是多少"]
    r = engine.ask("预算是多少", history=history)  # stated as 与预算相比增加 0 万元
    assert r.found and r.values[0].derived and r.values[0].value == pytest.approx(9.6)
    assert r.question == "预算是多少"
    r = engine.ask("那上一年呢", history=history + ["预算是多少"])
    assert r.found and r.values[0].derived and r.values[0].value == pytest.approx(7.2)
    r = engine.ask("公务接待费呢", history=history)  # names its own figure
    assert r.found and r.values[0].value == pytest.approx(3.5)


def test_last_years_value_is_never_this_years(engine):
    """No change is stated of 基本支出: its last-year value is not found, not this year's 300."""
    r = engine.ask("青山县水利事务中心2023年基本支出上一年是多少")
    assert_not_found(r)


def test_a_question_about_change_is_never_answered_by_a_level(engine):
    """No change is stated of 行政事业单位医疗: "比上年增加多少" is not found, not its cell of this year."""
    r = engine.ask("青山县水利事务中心2023年行政事业单位医疗比上年增加多少")
    assert_not_found(r)
    r = engine.ask("青山县水利事务中心2023年基本支出比上年增加多少")  # nor a sentence's level
    assert_not_found(r)
    r = engine.ask("青山县水利事务中心2023年一般公共预算财政拨款支出增长了多少")
    assert_not_found(r)


def test_a_part_larger_than_the_whole_found_is_no_share(engine):
    r = engine.ask("青山县水利事务中心2023年公务用车运行维护费占燃料费的比例")
    assert_not_found(r)


def test_both_in_a_follow_up_names_the_figures_of_the_two_latest_questions(engine):
    history = ["青山县水利事务中心2023年公务接待费是多少", "公务用车运行维护费呢"]
    r = engine.ask("两者合计是多少", history=history)
    assert r.found and r.values[0].value == pytest.approx(9.6) and "3.50 + 6.10" in r.answer
    r = engine.ask("两者相差多少", history=history)
    assert r.found and abs(r.values[0].value) == pytest.approx(2.6)
    r = engine.ask("燃料费和维修费两项合计", history=history)  # names its own items
    assert r.found and r.values[0].value == pytest.approx(4.2)


def test_a_sentence_decides_where_the_cells_sharing_its_value_do_not(engine):
    """公务用车 names both the 购置费 (0) and the 运行维护费 (6.10) rows; the sentence on 购置及运行维护费
    states the whole, and the cell that happens to share its value does not make it undecided."""
    r = engine.ask("青山县水利事务中心2023年公务用车方面一共花了多少钱")
    assert r.found and r.values[0].value == pytest.approx(6.10)
    assert "购置及运行维护费" in r.citations[0].text


def test_a_figure_whose_own_clause_names_another_item_is_not_the_concepts(engine):
    """分项看：…公务用车运行维护费…比上年增加 1.90: that change is the item's; the total's is stated as
    与上年相比增加 2.40, and every way of saying "against last year" reaches it."""
    r = engine.ask("比上年增加了多少", history=["青山县水利事务中心2023年三公经费合计"])
    assert r.found and r.values[0].value == pytest.approx(2.40)
    for said in ("比上年", "与上年相比", "较上年", "比去年", "同比"):
        r = engine.ask(f"青山县水利事务中心2023年三公经费{said}增加多少")
        assert r.found and r.values[0].value == pytest.approx(2.40), said
        assert "与上年相比增加 2.40" in r.citations[0].text


def test_last_year_written_as_a_year_number_is_last_year():
    from retriever.prose import against_last_year

    assert against_last_year("和2022年相比，收入总计少了", 2023) == "比上年，收入总计少了"
    assert against_last_year("较2022年少了", 2023) == "比上年少了"
    assert against_last_year("较2021年少了", 2023) == "较2021年少了"  # two years back is not last year
    assert against_last_year("较上年增减额") == "比上年增减额"


def test_a_category_of_purchases_is_its_row_never_the_total_a_sentence_states(engine):
    """工程类采购花了多少: 类 names a category and 花了多少 asks an amount; the sentence on the 40.00 total
    leaves 工程 / 服务 unexplained, so it never answers."""
    r = engine.ask("青山县水利事务中心2023年工程类采购花了多少")
    assert r.found and r.values[0].value == pytest.approx(30.0)
    r = engine.ask("青山县水利事务中心2023年服务类采购是多少")
    assert not r.found or r.values[0].value == pytest.approx(6.0)


def test_the_words_of_an_amount_question_and_of_a_category_name_no_figure(engine):
    from retriever.query import understand

    q = understand("青山县水利事务中心2023年工程类采购花了多少", engine.index)
    assert "花" not in q.core and "类" not in q.core and "工程" in q.core


def test_state_assets_are_not_state_capital(engine):
    """国有资产 is a term of its own: a nil of 国有资本经营 spending shares 国有 and 资 with it, no more."""
    assert_not_found(engine.ask("青山县水利事务中心2023年国有资产总额"))
    r = engine.ask("青山县水利事务中心2023年使用国有资本经营安排的支出是多少")
    assert r.found and r.values[0].value == 0


SHARES = """白沙县农业技术推广站2022年度部门决算

一、收入支出决算总体情况说明
2022年度收入总计 500.00 万元，支出总计 500.00 万元。

二、一般公共预算财政拨款支出决算情况说明
2022年度一般公共预算财政拨款支出 480.00 万元。
2022年度一般公共预算财政拨款支出 480.10 万元，主要用于以下方面：
1.农林水(类)支出 420.00 万元，占 87.49%。
2.卫生健康(类)支出 60.10 万元，占 12.51%。
年初预算为 400.00 万元，支出决算为 480.10 万元，完成年初预算的 120.03%。
1. 农林水支出(类)农业农村(款)事业运行(项)。年初预算为 60.00 万元，支出决算为 65.00 万元。
2. 卫生健康支出(类)行政事业单位医疗(款)事业单位医疗(项)。年初预算为 10.00 万元，支出决算为 9.00 万元。

三、“三公”经费支出决算情况说明
2022年度“三公”经费财政拨款支出预算为 3.00 万元，支出决算为 1.78 万元，完成预算的 59.33%。
"""


def test_a_share_the_report_states_answers_when_its_whole_cannot_be_decided(tmp_path):
    """The whole is stated twice with different values (480.00, 480.10): no share is computed, the one the
    report states under the section on that whole is given; a share of another whole is not."""
    engine = engine_over(tmp_path, {"白沙县农业技术推广站_2022.txt": SHARES.encode("utf-8")})
    r = engine.ask("白沙县农业技术推广站2022年农林水支出占一般公共预算财政拨款支出的比重")
    assert r.found and r.values[0].value == pytest.approx(87.49) and r.values[0].unit == "%"
    assert "农林水(类)支出 420.00 万元，占 87.49%" in r.citations[0].text
    assert_not_found(engine.ask("白沙县农业技术推广站2022年农林水支出占政府性基金预算财政拨款支出的比重"))


def test_a_rate_of_budget_completion_is_the_figures_own(tmp_path):
    """预算完成率 of 三公经费: its sentence says 完成预算的 59.33%, another figure's says 完成年初预算的."""
    engine = engine_over(tmp_path, {"白沙县农业技术推广站_2022.txt": SHARES.encode("utf-8")})
    r = engine.ask("白沙县农业技术推广站2022年三公经费预算完成率")
    assert r.found and r.values[0].value == pytest.approx(59.33)


def test_a_share_asked_after_a_reliance_question_is_the_sources(engine):
    """"是否主要靠X？占多少？": the second part names no source; the first does."""
    r = engine.ask("青山县水利事务中心2023年是否主要靠财政拨款？占多少？")
    assert r.found and r.values[0].value == pytest.approx(100.0) and r.values[0].unit == "%"


def test_a_follow_up_opening_with_qizhong_asks_a_part_of_the_figure_before(engine):
    history = ["青山县水利事务中心2023年政府采购支出总额是多少"]
    assert engine.ask(history[0]).values[0].value == pytest.approx(40.0)
    r = engine.ask("其中工程类的呢", history=history)
    assert r.found and r.values[0].value == pytest.approx(30.0)
    r = engine.ask("其中货物类的呢", history=history + ["其中工程类的呢"])
    assert r.found and r.values[0].value == pytest.approx(4.0)


def test_last_year_named_by_its_number_in_the_question(engine):
    """比2022年 in a question on a 2023 report is 比上年, as 和2022年相比 in the sentence is."""
    r = engine.ask("青山县水利事务中心2023年收入总计比2022年少了多少")
    assert r.found and r.values[0].value == pytest.approx(140.0)


def test_a_question_in_traditional_characters(engine):
    r = engine.ask("青山縣水利事務中心2023年收入總計是多少")
    assert r.found and r.values[0].value == pytest.approx(860.0)


def test_a_share_asked_as_zhan_duoshao(engine):
    """"X占多少" asks X's share; "A中B占多少" B's share of A."""
    r = engine.ask("青山县水利事务中心2023年政府采购支出总额中工程类采购占多少")
    assert r.found and r.values[0].unit == "%" and r.values[0].value == pytest.approx(75.0)
    assert "30.00 / 40.00" in r.answer


def test_a_follow_up_asking_another_value_of_the_figure_before(engine):
    """支出决算呢 after 三公经费: the final account of 三公经费 (before, 支出决算 was a figure of its own)."""
    history = ["青山县水利事务中心2023年三公经费合计是多少"]
    r = engine.ask("支出决算呢", history=history)
    assert r.found and r.values[0].value == pytest.approx(9.60)


def test_the_value_named_in_the_clause_before_is_no_other_item(tmp_path):
    """"年初预算为 60.00 万元，支出决算为 65.00 万元": 年初预算 is another value of 事业运行, not another item."""
    engine = engine_over(tmp_path, {"白沙县农业技术推广站_2022.txt": SHARES.encode("utf-8")})
    r = engine.ask("白沙县农业技术推广站2022年事业运行的支出决算")
    assert r.found and r.values[0].value == pytest.approx(65.0)
