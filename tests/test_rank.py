"""Ranking: signals read off a candidate, their weights, the decisive margin, and candidates that come
from the BM25 index (units on records, then the real engine)."""
from __future__ import annotations

import pytest

from indexer.models import Fact
from retriever import rank
from retriever import thresholds as th
from retriever.match import Candidate, fact_features, score_fact, unexplained_chars
from retriever.query import Question
from retriever.words import Vocabulary


def question(core: str, **kw) -> Question:
    return Question(text=core, norm=core, core=core, vocab=Vocabulary(), **kw)


def fact(row: str, column: str, value: float, table: str = "项目支出绩效自评表", line: int = 10) -> Fact:
    return Fact(report_id="r1", table=table, table_title=table, row_name=row, column=column, value=value,
                raw=str(value), unit="", line=line, line_end=line, chunk_id=f"c{line}")


def cand(value: float, score: float, line: int) -> Candidate:
    return Candidate("table", "r1", value, str(value), "万元", "x", f"c{line}", line, line, score)


def test_unexplained_characters_are_the_question_words_no_label_bigram_covers():
    q = question("年度财政资金总额评分")
    assert unexplained_chars(q, "年度财政资金总额得分") == 2.0  # 评分 left over
    assert unexplained_chars(q, "年度财政资金总额评分") == 0.0
    assert unexplained_chars(question("项目支出"), "支出决算表合计项目支出") == 0.0


def test_framing_words_are_not_left_unexplained():
    """Function words and non-nouns no label uses frame the question; nouns and change words do not."""
    from retriever.words import framing_in

    labels = Vocabulary(["网络安全设施维护保障率", "得分"]).text
    core = "想了解一下在的网络安全设施维护保障率得分"
    framed = framing_in(core, labels)
    assert "".join(core[i] for i in sorted(framed)) == "想了解一下在的"
    q = question(core, framing=framed)
    assert unexplained_chars(q, "网络安全设施维护保障率得分") == 0.0
    assert unexplained_chars(question(core), "网络安全设施维护保障率得分") == 7.0
    assert not framing_in("车子方面减少", labels) & {0, 1, 4, 5}  # a noun and a change word stay


def test_the_question_words_found_in_a_row_in_another_order_are_evidence():
    from retriever.words import content_words

    core = "服务类采购"
    q = question(core, words=content_words(core, Vocabulary(["政府采购服务支出"]).text))
    assert q.words == ("服务", "采购")
    evidence, _ = fact_features(q, fact("政府采购服务支出", "金额", 670.65, table="政府采购情况"))
    assert evidence.get("row_words") == 1.0
    other, _ = fact_features(q, fact("政府采购工程支出", "金额", 39.0, table="政府采购情况"))
    assert "row_words" not in other  # one word found is not enough


def test_a_column_the_question_names_that_is_not_the_facts_counts_against_it():
    from retriever.query import _columns_named

    columns = ["本年收入合计", "基本支出", "项目支出", "小计", "得分"]
    core = "卫生健康支出基本支出"
    q = question(core, columns_named=_columns_named(core, columns))
    assert q.columns_named == ("基本支出",)
    _, other = fact_features(q, fact("卫生健康支出", "本年收入合计", 36.1, table="收入决算表"))
    assert other.get("column_other") == 1.0
    _, own = fact_features(q, fact("卫生健康支出", "基本支出", 30.0, table="支出决算表"))
    assert "column_other" not in own
    plain_q = question("基本工资")  # no column named: nothing against any column
    _, none = fact_features(plain_q, fact("基本工资", "决算数", 332.07, table="基本支出决算明细表"))
    assert "column_other" not in none


def test_a_row_named_only_inside_the_column_or_a_siblings_name_is_not_named():
    """合计 inside 本年收入合计 is the column's word; 其他行政事业单位医疗 is a sibling of 行政事业单位医疗."""
    total = fact("合计", "本年收入合计", 2784.73, table="收入决算表")
    evidence, _ = fact_features(question("住房改革支出本年收入合计"), total)
    assert "row_in_question" not in evidence and not evidence.get("row_overlap")
    assert "total_row_of_column" not in evidence  # the question names a row (住房改革支出) the total is not
    assert fact_features(question("本年收入合计"), total)[0].get("total_row_of_column") == 1.0
    medical = fact("行政事业单位医疗", "本年收入合计", 29.08, table="收入决算表")
    assert "row_in_question" not in fact_features(question("其他行政事业单位医疗本年收入合计"), medical)[0]
    assert fact_features(question("行政事业单位医疗本年收入合计"), medical)[0].get("row_in_question") == 1.0
    other = fact("其他行政事业单位医疗支出", "本年收入合计", 1.0, table="收入决算表")
    assert fact_features(question("其他行政事业单位医疗支出本年收入合计"), other)[0].get("row_in_question") == 1.0


def test_a_question_about_change_is_answered_by_a_stated_change_in_prose():
    """减少了多少 asks the change: of "收、支总计均为1571.19万元，…各减少826.58万元" the total is no answer."""
    from retriever.match_prose import prose_features
    from retriever.prose import ProseFigure

    sentence = "2022年度收、支总计均为1571.19万元。与2021年度相比，收、支总计各减少826.58万元"

    def figure(value, clause):
        return ProseFigure("r1", "c1", value, str(value), "万元", clause, clause, sentence, sentence, 1, 1)

    q = question("收支总计减少了", asks_change=True)
    assert prose_features(q, figure(1571.19, "收、支总计均为")).get("change_missing") == 1.0
    assert "change_missing" not in prose_features(q, figure(826.58, "收、支总计各减少"))
    assert "change_missing" not in prose_features(q, figure(285.5, "较上年少了"))  # 少了 states a change too
    assert "change_missing" not in prose_features(question("收支总计"), figure(1571.19, "收、支总计均为"))


def test_a_value_column_named_picks_no_total_row():
    """决算数 only holds a row's value: "出差的费用决算数" is not the 总计 row, while "项目支出" names its column's total."""
    grand = fact("总计", "决算数", 2540.11, table="收入支出决算总表")
    assert "total_row_of_column" not in fact_features(question("出差的费用决算数"), grand)[0]
    project = fact("合计", "项目支出", 2399.3, table="支出决算表")
    assert fact_features(question("项目支出"), project)[0].get("total_row_of_column") == 1.0


def test_a_table_column_the_sentence_does_not_speak_of_counts_against_a_prose_figure():
    """"公务接待费项目支出" asks a table cell: the sentence "公务接待费1.5万元" is no answer; a sentence
    saying 本年支出 speaks of 本年支出合计 in other words."""
    from retriever.match_prose import prose_features
    from retriever.prose import ProseFigure

    def figure(value, sentence, clause):
        return ProseFigure("r1", "c1", value, str(value), "万元", clause, clause, sentence, sentence, 1, 1)

    q = question("公务接待费项目支出", columns_named=("公务接待费", "项目支出"))
    assert prose_features(q, figure(1.5, "公务接待费1.5万元", "公务接待费")).get("column_other") == 1.0
    q = question("本年支出合计", columns_named=("本年支出合计",))
    assert "column_other" not in prose_features(q, figure(1571.19, "2022年度本年支出1571.19万元", "2022年度本年支出"))


def test_a_change_column_is_no_answer_to_a_question_without_change():
    q = question("公务接待费")
    evidence, checks = fact_features(q, fact("公务接待费", "比上年增减", 0.5))
    assert checks.get("change_unasked") == 1.0
    _, plain_checks = fact_features(q, fact("公务接待费", "决算数", 1.5))
    assert "change_unasked" not in plain_checks
    asked = question("公务接待费比上年增减", asks_change=True)
    assert "change_unasked" not in fact_features(asked, fact("公务接待费", "比上年增减", 0.5))[1]


def test_score_is_the_weighted_sum_of_its_signals():
    q = question("公务接待费")
    s, signals = score_fact(q, fact("公务接待费", "决算数", 1.5))
    assert "row_in_question" in signals
    assert s == pytest.approx(rank.weighed("table", signals))


def test_without_evidence_checks_cannot_lift_a_fact():
    s, signals = rank.score("table", {"row_overlap": 0.1}, {"table_named": 1.0, "unit_same": 1.0})
    assert signals == {"row_overlap": 0.1, "no_evidence": 1.0}
    w = rank.WEIGHTS["table"]
    assert s == pytest.approx(0.1 * w["row_overlap"] + w["no_evidence"])


def test_rival_is_another_value_within_the_margin():
    best, close, same, far = cand(20.0, 6.0, 1), cand(16.0, 5.95, 2), cand(20.0, 5.99, 3), cand(9.0, 4.0, 4)
    assert rank.rival([best, same, close, far], best, 0.1, th.SAME_VALUE) is close
    assert rank.rival([best, same, far], best, 0.1, th.SAME_VALUE) is None  # same value is a twin, no rival
    assert rank.rival([best, close], best, 0.0, th.SAME_VALUE) is None  # margin 0: the higher score decides
    assert rank.gap([best, same, close], best, th.SAME_VALUE) == pytest.approx(0.05)
    sentence = Candidate("prose", "r1", 3.19, "3.19", "万元", "x", "c9", 9, 9, 5.99)
    assert rank.rival([best, sentence], best, 0.1, th.SAME_VALUE) is None  # scored on another scale


def test_undecided_question_names_both_figures_and_answers_neither(backend_engine, monkeypatch):
    """Several project tables of one report hold the same row; a question that does not say which
    project gets neither figure."""
    monkeypatch.setattr(th, "MARGIN", 0.5)
    r = backend_engine.ask("汉阳区大数据中心2021年年度财政资金总额的执行数是多少")
    assert not r.found and r.values == [] and r.answer.startswith("未能确定")
    assert len(r.citations) == 2 and all("年度财政资金总额" in c.text for c in r.citations)
    assert r.citations[0].chunk_id != r.citations[1].chunk_id
    assert "运行调试及网络安全保障项目自评表" in r.answer  # each figure named by its table's own title
    # naming the project decides it
    r = backend_engine.ask("汉阳区大数据中心2021年运行维护项目自评表中年度财政资金总额的执行数是多少")
    assert r.found and r.values[0].value == pytest.approx(125.0)


def test_candidates_come_from_the_chunks_bm25_retrieves(backend_engine, monkeypatch):
    q_text = "汉阳区大数据中心2021年项目支出多少"
    assert backend_engine.ask(q_text).values[0].value == pytest.approx(2399.30)
    from retriever.query import understand

    q = understand(q_text, backend_engine.index)
    ids = {r.report_id for r in q.reports}
    near = backend_engine.retrieve(q, ids)
    assert 0 < len(near) <= th.CANDIDATE_CHUNKS
    assert all(c.chunk_id in near for c in backend_engine.candidates(q, ids))
    # nothing retrieved: nothing to rank, so no figure (never a guess from outside the index's answer)
    monkeypatch.setattr(backend_engine.index, "bm25_rank", lambda *a, **k: [])
    assert not backend_engine.ask(q_text).found
    monkeypatch.setattr(th, "CANDIDATE_CHUNKS", 0)  # 0 = every fact of the resolved reports
    assert backend_engine.ask(q_text).values[0].value == pytest.approx(2399.30)


def test_a_table_cell_that_holds_more_of_the_question_than_the_sentence_wins():
    """"服务类政府采购": the 政府采购服务支出 cell holds both words, the sentence on 政府采购 to small firms one."""
    from retriever.engine import _table_that_explains_more
    from retriever.prose import ProseFigure

    q = question("服务类政府采购", words=("服务", "政府采购"))
    sentence = "本年度中小企业获得的政府采购合同金额0万元"
    prose = Candidate("prose", "r1", 0.0, "0", "万元", "中小企业获得的政府采购合同金额", "c1", 1, 1, 5.3,
                      prose=ProseFigure("r1", "c1", 0.0, "0", "万元", "中小企业获得的政府采购合同金额",
                                        sentence, sentence, sentence, 1, 1))
    cell = fact("政府采购服务支出", "金额", 670.65, table="政府采购情况")
    table = Candidate("table", "r1", 670.65, "670.65", "万元", "政府采购服务支出", "c2", 2, 2, th.ACCEPT_TABLE + 1,
                      fact=cell)
    cands = [prose, table]
    assert _table_that_explains_more(q, cands, prose) is table and cands[0] is table
    weak = Candidate("table", "r1", 1.0, "1", "万元", "x", "c3", 3, 3, th.ACCEPT - 0.5, fact=cell)
    assert _table_that_explains_more(q, [prose, weak], prose) is prose  # no candidate at all: the sentence stays
    # a cell between the two thresholds still shows what the sentence leaves out: it is judged (and not
    # accepted), so the sentence's 0 never answers 服务类政府采购
    middle = Candidate("table", "r1", 1.0, "1", "万元", "x", "c3", 3, 3, (th.ACCEPT + th.ACCEPT_TABLE) / 2, fact=cell)
    assert _table_that_explains_more(q, [prose, middle], prose) is middle
    q = question("政府采购", words=("政府采购",))
    assert _table_that_explains_more(q, [prose, table], prose) is prose  # as much in the sentence: it stays


def test_a_two_character_word_abbreviating_the_sentence_counts_as_its_words():
    """内设 for 内部设有: the question's word with its characters in order, one between, in the clause."""
    from retriever.match_prose import prose_features
    from retriever.prose import ProseFigure

    sentence = "中心内部设有4个科室，分别是综合科、数据资源科"
    p = ProseFigure("r1", "c1", 4.0, "4", "个", "中心内部设有", "中心内部设有科室", "中心内部设有", sentence, 1, 1)
    with_words = prose_features(question("内设科室", words=("内设", "科室")), p)
    without = prose_features(question("内设科室"), p)
    assert with_words["clause_context_overlap"] > without.get("clause_context_overlap", without.get("far_context_overlap", 0))
    assert "clause_context_overlap" not in without  # literally, the clause shares no bigram with the question


def test_money_and_budget_words_inside_a_named_row_ask_no_unit_or_budget():
    """"为人大代表对区财政预算提供便捷的监督方式" is a % row: its 预算 asks no budget and implies no 万元. A row
    with a 万元 cell (基本支出) keeps the penalty on its % cell, and a unit asked outside the row counts."""
    from retriever.match import table_candidates

    def cell(row, column, value, unit, line):
        f = fact(row, column, value, line=line)
        f.unit = unit
        return f

    row = "为人大代表对区财政预算提供便捷的监督方式"
    pct = [cell(row, "实际完成值", 100.0, "%", 1), cell(row, "得分", 16.0, "分", 2)]
    done = next(c for c in table_candidates(question(row + "实际完成值", unit="万元", unit_implied=True), pct)
                if c.column == "实际完成值")
    assert "unit_other_kind" not in done.features and "budget_missing" not in done.features
    asked = table_candidates(question(row + "实际完成值花了多少钱", unit="万元", unit_implied=True), pct)
    assert asked[0].features.get("unit_other_kind") == 1.0  # 花 … 钱 outside the row asks an amount
    basic = [cell("基本支出", "金额", 310.25, "万元", 3), cell("基本支出", "占本年支出比重", 68.1, "%", 4)]
    share = next(c for c in table_candidates(question("基本支出", unit="万元", unit_implied=True), basic) if c.unit == "%")
    assert share.features.get("unit_other_kind") == 1.0
