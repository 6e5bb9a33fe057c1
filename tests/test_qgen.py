"""The generated question suite (bench/qsuite), its runner and the recall measure, on a tiny in-memory index."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from bench.qsuite import generate_suite, run_suite
from bench.qsuite.lexicon import load_lexicon
from bench.qsuite.names import drop_prefixes
from bench import recall
from indexer.models import AnswerValue, AskResponse
from indexer.models import Fact
from retriever.index import ChunkRec, ReportRec

LEX = load_lexicon()


def fact(rid, table, row, col, value, line, code=None, title=None, unit="万元"):
    return Fact(report_id=rid, chunk_id=f"{rid}-c{line}", table=table, table_title=title or f"2021年度{table}",
                row_code=code, row_name=row, column=col, value=value, raw=f"{value:.2f}", unit=unit,
                line=line, line_end=line, uncertain=False)


def report(rid, unit, region, year):
    return ReportRec(report_id=rid, unit_name=unit, region=region, year=year, title="", source_file=f"c/{rid}.txt",
                     indexed_at="", counts={})


def tiny_index():
    a, b = "rA", "rB"
    facts = [
        fact(a, "支出决算表", "行政运行", "基本支出", 14.0, 10, code="2010101"),
        fact(a, "支出决算表", "行政运行", "基本支出", 20.5, 11, code="2013101"),  # same name, other 款
        fact(a, "支出决算表", "工资福利支出", "基本支出", 372.53, 12, code="301"),
        fact(a, "收入决算表", "一般公共服务支出", "本年收入合计", 2455.1, 20, code="201"),
        fact(a, "一般公共预算财政拨款基本支出决算明细表", "办公费", "决算数", 0.84, 30, code="30201"),
        fact(b, "支出决算表", "住房公积金", "基本支出", 20.48, 5, code="2210201"),
        fact(b, "支出决算表", "公务接待费", "基本支出", 1.2, 6, code="30217"),
    ]
    reports = {a: report(a, "武汉市汉阳区大数据中心", "汉阳区", 2021), b: report(b, "武汉市硚口区大数据中心", "硚口区", 2024)}
    chunks = [ChunkRec(f.chunk_id, f.report_id, "table_row", f"{f.row_code} {f.row_name} {f.raw}", "", "", f.line,
                       f.line, i, i) for i, f in enumerate(facts)]
    chunks.append(ChunkRec("rA-p", a, "paragraph", "本单位支出情况说明", "", "", 40, 41, 99, len(chunks)))
    by_report = {}
    for c in chunks:
        by_report.setdefault(c.report_id, []).append(c)
    return SimpleNamespace(facts=facts, reports=reports, chunks=chunks, by_report=by_report)


@pytest.fixture(scope="module")
def suite():
    return generate_suite(tiny_index(), per_fact=0, unanswerable_per_kind=4)


def answerable(items):
    return [it for it in items if it["kind"] != "unanswerable"]


def test_every_question_knows_its_fact(suite):
    idx = tiny_index()
    cells = {(f.report_id, f.line): f.value for f in idx.facts}
    assert all(cells[(it["expected_report_id"], it["expected"]["line"])] == it["answer_value"]
               for it in answerable(suite))


def test_every_unambiguous_fact_is_asked(suite):
    asked = {(it["expected_report_id"], it["expected"]["line"]) for it in answerable(suite)}
    assert asked == {(f.report_id, f.line) for f in tiny_index().facts}


def test_items_carry_the_gold_fields(suite):
    need = {"id", "question", "kind", "report", "answer_value", "answer_unit", "source_file", "evidence",
            "expected_report_id", "template", "held_out"}
    assert all(need <= set(it) for it in suite)


def test_generation_is_deterministic():
    assert generate_suite(tiny_index(), seed=7) == generate_suite(tiny_index(), seed=7)


def test_seed_changes_the_questions():
    assert generate_suite(tiny_index(), seed=7) != generate_suite(tiny_index(), seed=8)


def test_a_row_name_shared_by_two_codes_is_asked_only_with_its_code(suite):
    qs = [it["question"] for it in answerable(suite) if it["expected"]["row_name"] == "行政运行"]
    assert qs and all(("2010101" in q) or ("2013101" in q) for q in qs)


def test_short_name_drops_the_city():
    assert drop_prefixes("湖北省武汉市汉阳区大数据中心") == "汉阳区大数据中心"


def test_a_city_without_a_district_stays():
    assert drop_prefixes("梧州市农产品质量安全综合检测中心") == "梧州市农产品质量安全综合检测中心"


def test_aliases_are_the_short_names_when_present():
    idx = tiny_index()
    idx.reports["rA"].aliases = ["汉阳大数据"]
    items = generate_suite(idx, per_fact=0)
    assert any("汉阳大数据" in it["question"] and "汉阳区大数据中心" not in it["question"] for it in items)


def test_year_is_left_out_only_for_a_single_report_unit():
    idx = tiny_index()
    idx.reports["rC"] = report("rC", "武汉市汉阳区大数据中心", "汉阳区", 2022)
    items = [it for it in generate_suite(idx, per_fact=0) if it["expected_report_id"] == "rA"]
    assert all(re.search(r"20\d\d年|\d\d年", it["question"]) for it in items)


def test_held_out_templates_make_held_out_questions(suite):
    held = {t.id for t in LEX.templates if t.held_out}
    assert all(it["held_out"] for it in suite if it["template"] in held)


def test_a_held_out_synonym_makes_the_question_held_out(suite):
    held = {s.id for s in LEX.synonyms if s.held_out}
    assert all(it["held_out"] for it in suite if set(it.get("synonyms") or []) & held)


def test_synonyms_replace_the_formal_word(suite):
    syn = {s.id: s for s in LEX.synonyms}
    used = [(it, syn[it["synonyms"][0]]) for it in suite if it.get("synonyms")]
    assert used and all(s.colloquial in it["question"] for it, s in used)


def test_lexicon_holds_out_a_fixed_share():
    shares = (sum(t.held_out for t in LEX.templates) / len(LEX.templates),
              sum(s.held_out for s in LEX.synonyms) / len(LEX.synonyms))
    assert all(0.2 <= x <= 0.4 for x in shares)


def test_typo_drops_or_swaps_one_character_outside_the_key_words(suite):
    typos = [it for it in suite if it.get("typo")]
    ok = all(it["expected"]["row_name"] in it["question"] and it["typo"].split(":")[0] in ("drop", "swap")
             for it in typos)
    assert typos and ok


def test_other_year_is_a_year_the_unit_lacks_and_not_the_year_before(suite):
    bad = {"汉阳": {2020, 2021}, "硚口": {2023, 2024}}
    asked = [(place, int(y)) for it in suite if it.get("unanswerable_kind") == "other_year"
             for place in bad if place in it["question"] for y in re.findall(r"(20\d\d)年", it["question"])]
    assert asked and not any(y in bad[place] for place, y in asked)


def test_other_district_names_no_indexed_district(suite):
    qs = [it["question"] for it in suite if it.get("unanswerable_kind") == "other_district"]
    assert qs and not any("汉阳区" in q or "硚口区" in q for q in qs)


def test_other_unit_keeps_the_district_with_another_body(suite):
    qs = [it["question"] for it in suite if it.get("unanswerable_kind") == "other_unit"]
    assert qs and all(("汉阳区" in q or "硚口区" in q) and "大数据中心" not in q for q in qs)


def test_lacking_figure_names_a_row_absent_from_the_report(suite):
    lack = [it for it in suite if it.get("unanswerable_kind") == "lacking_figure" and it["expected_report_id"] == "rA"]
    assert lack and all("公务接待费" in it["question"] or "住房公积金" in it["question"] for it in lack)


def test_lacking_column_asks_a_row_with_a_column_it_does_not_have(suite):
    lack = [it for it in suite if it.get("unanswerable_kind") == "lacking_column"]
    assert lack
    for it in lack:
        rid = it["expected_report_id"]
        rows = [f for f in tiny_index().facts if f.report_id == rid and f.row_name in it["question"]]
        assert rows, it["question"]
        # the column word asked is another table's column, and no fact of that row has it
        asked = {f.column for f in tiny_index().facts if f.column in it["question"]}
        assert asked and not asked & {f.column for f in rows}, it["question"]
        # a word naming the value itself (X决算数 is X's figure) is never the column lacking
        assert not asked & {"决算数", "金额", "决算金额"}, it["question"]


# ---------------------------------------------------------------- runner
class FakeEngine:
    """Answers the expected value from a chosen report; abstains on unanswerable questions."""

    def __init__(self, items, from_report=None, off=0.0):
        self.by_q = {it["question"]: it for it in items}
        self.from_report, self.off = from_report, off

    def ask(self, question, history=None, **kw):
        it = self.by_q[question]
        if it["kind"] == "unanswerable":
            return AskResponse(question=question, found=False, answer="未找到")
        rid = self.from_report or it["expected_report_id"]
        return AskResponse(question=question, found=True, answer="x", confidence=0.9, values=[
            AnswerValue(value=it["answer_value"] + self.off, unit="万元", label="x", report_id=rid)])

    def reports(self):
        return [{"report_id": r.report_id, "unit_name": r.unit_name, "year": r.year, "source_file": r.source_file}
                for r in tiny_index().reports.values()]


def test_runner_scores_a_perfect_engine(suite):
    s = run_suite(FakeEngine(suite), suite, warmup=0)["summary"]
    assert (s["all"]["accuracy"], s["all"]["wrong_number_rate"], s["all"]["abstention"]) == (1.0, 0.0, 1.0)


def test_runner_counts_a_value_from_another_report_as_wrong(suite):
    s = run_suite(FakeEngine(suite, from_report="rB"), suite, warmup=0)["summary"]
    assert s["by_report"]["武汉市汉阳区大数据中心 2021"]["accuracy"] == 0.0


def test_runner_counts_wrong_numbers(suite):
    s = run_suite(FakeEngine(suite, off=1.0), suite, warmup=0)["summary"]
    assert s["all"]["wrong_of_answered"] == 1.0


def test_runner_splits_held_in_and_held_out(suite):
    s = run_suite(FakeEngine(suite), suite, warmup=0)["summary"]
    assert s["held_in"]["n"] + s["held_out"]["n"] == len(suite) and s["held_out"]["n"] > 0


def test_runner_hook_sees_every_answer(suite):
    seen = []
    run_suite(FakeEngine(suite), suite, warmup=0, split="held_in", hook=lambda it, r, res: seen.append(it["id"]))
    assert seen == [it["id"] for it in suite if not it["held_out"]]


# ---------------------------------------------------------------- recall
class RankIndex(SimpleNamespace):
    """Rankings fixed per mode: lexical finds the named row; dense lists the report's rows in order."""

    def mask(self, ids):
        return ids

    def bm25_rank(self, q, mask, k):
        return [(i, 1.0) for i, c in enumerate(self.chunks) if c.report_id in mask and c.text.split()[1] in q][:k]

    def dense_rank(self, qvec, mask, k):
        rows = [i for i, c in enumerate(self.chunks) if c.report_id in mask]
        return [(i, 1.0) for i in sorted(rows, key=lambda i: self.chunks[i].kind != "paragraph")][:k]

    def hybrid(self, q, qvec, ids, k=10, depth=50):
        return [(self.chunks[i], 1.0) for i, _ in self.bm25_rank(q, ids, k)]


def test_recall_per_mode():
    idx = tiny_index()
    ri = RankIndex(**vars(idx))
    items = [it for it in generate_suite(idx) if it.get("expected") and it["expected_report_id"] == "rB"
             and not it["synonyms"]]
    res = recall.measure(ri, items, embedder=SimpleNamespace(encode_query=lambda q: [0.0]))
    lex, dense = res["all"]["lexical"], res["all"]["dense"]
    assert (lex["recall@1"], dense["recall@1"] < 1.0, dense["recall@5"]) == (1.0, True, 1.0)


def test_recall_hit_needs_the_expected_report():
    idx = tiny_index()
    it = next(i for i in generate_suite(idx) if i.get("expected"))
    other = next(c for c in idx.chunks if c.report_id != it["expected_report_id"])
    assert not recall.is_hit(other, it)


def test_reliability_table_bins_answers_by_confidence():
    from bench.qsuite.run import reliability

    rs = [{"value": 1.0, "confidence": c, "correct": ok, "kind": "table_lookup"}
          for c, ok in ((0.95, 1.0), (0.95, 0.0), (0.15, 0.0))]
    rel = reliability(rs)
    assert [(b["bin"], b["n"], b["accuracy"]) for b in rel["bins"]] == [("[0.1, 0.2)", 1, 0.0), ("[0.9, 1.0]", 2, 0.5)]


def test_threshold_sweep_turns_low_confidence_answers_into_abstentions():
    from bench.qsuite.run import threshold_sweep

    rs = [{"value": 1.0, "confidence": 0.4, "correct": 0.0, "kind": "unanswerable"},
          {"value": 2.0, "confidence": 0.9, "correct": 1.0, "kind": "table_lookup"}]
    at = {t["threshold"]: t for t in threshold_sweep(rs, steps=2)}
    assert (at[0.0]["abstention"], at[0.5]["abstention"], at[0.5]["accuracy"]) == (0.0, 1.0, 1.0)


def test_recall_reuses_cached_query_vectors(tmp_path):
    import numpy as np

    calls = []
    emb = SimpleNamespace(model_id="m", encode_query=lambda q: calls.append(q) or np.ones(2, np.float32))
    cache = tmp_path / "v.npz"
    recall.cached_vectors(emb, ["甲", "乙"], cache)
    recall.cached_vectors(emb, ["甲", "乙", "丙"], cache)
    assert calls == ["甲", "乙", "丙"]


def prose_fact(rid, clause, value, line):
    return Fact(report_id=rid, chunk_id=f"{rid}-p{line}", kind="prose", table="", row_name="", column="",
                value=value, raw=f"{value:.2f}", unit="万元", line=line, line_end=line, clause=clause,
                local=clause, before=clause, sentence=f"{clause}{value:.2f}万元。")


def test_the_prose_suite_asks_a_sentences_figure_only_when_its_name_has_one_value():
    from bench.qsuite.prose import prose_suite
    from retriever.words import Vocabulary

    index = tiny_index()
    index.facts = index.facts + [
        prose_fact("rA", "2021年公务接待费支出", 3.5, 50),  # one term, one value: asked
        prose_fact("rA", "人员经费", 280.0, 51),
        prose_fact("rA", "人员经费为", 281.0, 52),  # the same name with another value: not asked
        prose_fact("rA", "公务接待费比上年减少", 0.5, 53),  # a change: not asked
    ]
    index.vocab = Vocabulary(["公务接待费", "人员经费"])
    items = prose_suite(index)
    assert {it["question"] for it in items if it["template"] == "P1"} == {"武汉市汉阳区大数据中心2021年公务接待费支出是多少？"}
    assert all(it["held_out"] and it["answer_value"] == 3.5 and it["expected_report_id"] == "rA" for it in items)
