"""The gold scorer (retriever/evaluate.py) on hand-made responses: no index, no model."""
from __future__ import annotations

from indexer.models import AnswerValue, AskResponse, Citation
from retriever.evaluate import run_gold, score_item, summarize

CATALOG = {
    "r-hy": {"unit_name": "武汉市汉阳区大数据中心", "year": 2021, "source_file": "corpus/汉阳_2021.txt"},
    "r-qk": {"unit_name": "武汉市硚口区大数据中心", "year": 2024, "source_file": "corpus/硚口_2024.txt"},
    "r-dy": {"unit_name": None, "year": 2022, "source_file": "x/大英县文化广播电视和旅游局_2022.md"},
}


def cite(cid: str, rid: str, text: str) -> Citation:
    ref = CATALOG[rid]
    return Citation(id=cid, chunk_id=f"{rid}-{cid}", report_id=rid, unit_name=ref["unit_name"], year=ref["year"],
                    source_file=ref["source_file"], section="", kind="table_row", text=text,
                    line_start=1, line_end=1)


def answer(value: float, rid: str, text: str, unit: str = "万元", found: bool = True, **kw) -> AskResponse:
    return AskResponse(question="q", found=found, answer=f"{value}{unit}",
                       values=[AnswerValue(value=value, unit=unit, label="x", report_id=rid, citation_id="c1", **kw)],
                       citations=[cite("c1", rid, text)])


def not_found(citations=()) -> AskResponse:
    return AskResponse(question="q", found=False, answer="未找到", citations=list(citations))


def item(**kw) -> dict:
    base = {"id": "t-1", "kind": "table_lookup", "question": "汉阳区大数据中心2021年项目支出多少",
            "report": "汉阳区大数据中心 2021", "answer_value": 2399.30, "alternatives": [2398.09],
            "source_file": "001_b48aa8d80c836ecf.txt", "evidence": "项目支出\t2,399.30"}
    base.update(kw)
    return base


def test_right_value_from_right_report_is_correct_and_cited():
    r = score_item(item(), answer(2399.30, "r-hy", "项目支出\t2,399.30"), CATALOG)
    assert (r["correct"], r["cited"], r["wrong_number"], r["wrong_report"]) == (1.0, True, False, False)


def test_alternative_value_counts_as_correct():
    assert score_item(item(), answer(2398.09, "r-hy", "项目支出 2398.09"), CATALOG)["correct"] == 1.0


def test_value_off_by_more_than_a_cent_is_a_wrong_number():
    r = score_item(item(), answer(2399.32, "r-hy", "2399.32"), CATALOG)
    assert (r["correct"], r["wrong_number"]) == (0.0, True)


def test_value_from_another_report_counts_as_wrong_report():
    r = score_item(item(), answer(2399.30, "r-qk", "项目支出 2,399.30"), CATALOG)
    assert r["wrong_report"] and r["wrong_report_ids"] == ["r-qk"]


def test_citation_from_another_report_is_not_a_right_citation():
    assert score_item(item(), answer(2399.30, "r-qk", "项目支出 2,399.30"), CATALOG)["cited"] is False


def test_citation_without_the_figure_is_not_a_right_citation():
    assert score_item(item(), answer(2399.30, "r-hy", "项目支出合计"), CATALOG)["cited"] is False


def test_label_matches_by_file_name_when_the_unit_name_is_unknown():
    it = item(report="大英县文化广播电视和旅游局 2022", source_file=None, answer_value=7.8, alternatives=[])
    assert not score_item(it, answer(7.8, "r-dy", "接待费 7.8"), CATALOG)["wrong_report"]


def test_label_year_must_match():
    it = item(report="汉阳区大数据中心 2024", source_file=None)
    assert score_item(it, answer(2399.30, "r-hy", "2,399.30"), CATALOG)["wrong_report"]


def test_source_file_name_alone_identifies_the_report():
    it = item(report=None, source_file="汉阳_2021.txt")
    assert not score_item(it, answer(2399.30, "r-hy", "2,399.30"), CATALOG)["wrong_report"]


def test_any_value_on_an_item_about_no_report_is_wrong_report():
    it = item(kind="unanswerable", report=None, source_file=None, answer_value=None, alternatives=[])
    assert score_item(it, answer(1.0, "r-hy", "1.0"), CATALOG)["wrong_report"]


def test_unanswerable_abstention_is_correct():
    it = item(kind="unanswerable", report=None, source_file=None, answer_value=None, alternatives=[])
    r = score_item(it, not_found([cite("c1", "r-qk", "现有报告")]), CATALOG)
    assert (r["correct"], r["wrong_number"], r["wrong_report"]) == (1.0, False, False)


def test_unanswerable_with_a_number_is_wrong_number():
    it = item(kind="unanswerable", report=None, source_file=None, answer_value=None, alternatives=[])
    assert score_item(it, answer(3.0, "r-hy", "3.0"), CATALOG)["wrong_number"] is True


def test_not_found_on_an_answerable_item_is_neither_correct_nor_wrong_number():
    r = score_item(item(), not_found(), CATALOG)
    assert (r["correct"], r["wrong_number"], r["cited"]) == (0.0, False, False)


def test_comparison_needs_the_winner_named_first():
    it = item(kind="comparison", report=["汉阳区大数据中心 2021", "硚口区大数据中心 2024"],
              answer_text="汉阳区", answer_value=2399.30)
    resp = answer(2399.30, "r-hy", "2,399.30")
    resp.answer = "硚口区更多。汉阳区2399.30万元"
    assert score_item(it, resp, CATALOG)["correct"] == 0.0


def test_comparison_cites_from_any_of_its_reports():
    it = item(kind="comparison", report=["汉阳区大数据中心 2021", "硚口区大数据中心 2024"],
              answer_text="硚口区", answer_value=100.0)
    resp = answer(100.0, "r-qk", "100.00")
    resp.answer = "硚口区更多：100万元"
    assert score_item(it, resp, CATALOG)["wrong_report"] is False


def test_list_gets_partial_credit():
    it = item(kind="list", answer_value=None, answer_text="综合科、数据科、应用科、推广科")
    resp = AskResponse(question="q", found=True, answer="综合科、数据科", citations=[])
    assert score_item(it, resp, CATALOG)["correct"] == 0.5


def test_derived_value_is_cited_by_its_inputs():
    it = item(kind="derived", answer_value=13.87, alternatives=[], evidence=["基本支出 386.43", "合计 2785.73"])
    resp = answer(13.87, "r-hy", "基本支出 386.43", unit="%", derived=True)
    assert score_item(it, resp, CATALOG)["cited"] is True


def test_without_catalog_citations_trace_the_values():
    assert score_item(item(), answer(2399.30, "r-qk", "2,399.30"))["wrong_report"] is True


def test_summary_groups_by_report_and_kind():
    rs = [score_item(item(), answer(2399.30, "r-hy", "2,399.30"), CATALOG),
          score_item(item(id="t-2", report="硚口区大数据中心 2024", source_file=None), not_found(), CATALOG),
          score_item(item(id="t-3", kind="unanswerable", report=None, source_file=None), not_found(), CATALOG)]
    s = summarize(rs, [1.0, 2.0, 3.0])
    assert (s["per_report"]["汉阳区大数据中心 2021"]["accuracy"], s["per_report"]["硚口区大数据中心 2024"]["accuracy"],
            s["per_report"]["(none)"]["abstention_unanswerable"], s["per_kind"]["table_lookup"]) == (1.0, 0.0, 1.0, 0.5)


def test_summary_counts_wrong_reports():
    rs = [score_item(item(), answer(2399.30, "r-qk", "2,399.30"), CATALOG)]
    assert summarize(rs, [1.0])["wrong_report"] == 1


class _Engine:
    """Records what it is asked; answers from a table keyed by question."""

    def __init__(self):
        self.calls: list[tuple[str, object]] = []

    def ask(self, question, history=None, **kw):
        self.calls.append((question, history))
        return answer(2399.30, "r-hy", "2,399.30")

    def reports(self):
        return [{"report_id": k, **v} for k, v in CATALOG.items()]


def test_run_gold_sends_the_history():
    eng = _Engine()
    run_gold(eng, [item(question="该中心项目支出多少", history=["汉阳区大数据中心2021年收入多少"])], warmup=0)
    assert eng.calls == [("该中心项目支出多少", ["汉阳区大数据中心2021年收入多少"])]


def test_run_gold_scores_with_the_engine_catalog():
    results, lat = run_gold(_Engine(), [item(report="硚口区大数据中心 2024", source_file=None)], warmup=0)
    assert results[0]["wrong_report_ids"] == ["r-hy"] and len(lat) == 1


def test_summary_gives_every_rate_per_kind():
    rs = [score_item(item(), answer(2399.32, "r-hy", "2399.32"), CATALOG)]
    assert summarize(rs, [1.0])["per_kind_rates"]["table_lookup"]["wrong_number_rate"] == 1.0


def test_not_found_repeating_the_questions_number_is_not_correct():
    resp = AskResponse(question="q", found=False, answer="未找到“全年总计12份”对应的数字")
    assert score_item(item(answer_value=12.0, alternatives=[]), resp, CATALOG)["correct"] == 0.0


def test_an_item_without_a_number_is_right_when_its_evidence_is_quoted():
    """A reason or a level (answer_value null): the quoted evidence from the right report decides,
    spaces and line breaks aside; elsewhere, or not found, it is not right."""
    gold = item(kind="narrative_fact", answer_value=None, alternatives=[], evidence="属于区经济信息委所属的 二级预算单位")
    passage = AskResponse(question="q", found=True, answer="据报告：本中心属于区经济信息委所属的二级预算单位。",
                          citations=[cite("c1", "r-hy", "本中心属于区经济信息委所属的\n二级预算单位。")])
    r = score_item(gold, passage, CATALOG)
    assert r["correct"] == 1.0 and r["cited"] is True and not r["wrong_number"]
    elsewhere = passage.model_copy(update={"answer": "据报告：见下", "citations": [cite("c1", "r-qk", passage.citations[0].text)]})
    assert score_item(gold, elsewhere, CATALOG)["correct"] == 0.0
    assert score_item(gold, not_found(), CATALOG)["correct"] == 0.0
