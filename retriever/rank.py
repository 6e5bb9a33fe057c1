"""Ranking: a candidate's score is a weighted sum of the signals `match.py` reads off it.

A table fact has evidence signals (its row, column or table title named by the question) and check
signals (another table, another unit, question words its label leaves unexplained). Without enough
evidence (weighted evidence below `EVIDENCE_MIN` and no table title named) a fact scores its
evidence plus `no_evidence`: the checks cannot lift it.

The weights below are the hand-set starting point; `python -m bench.rank_fit` fits them on the
generated suite's held-in questions (logistic loss over pairs — a right candidate against a wrong
one, a right one against the accept threshold, the threshold against an unanswerable question's best
cells — pulled towards these values so the score keeps its scale) and stores them in `fitted.json`,
which replaces the values named there.
"""
from __future__ import annotations

from .thresholds import EVIDENCE_MIN, fitted

FACT_WEIGHTS: dict[str, float] = {
    # evidence
    "code_hit": 6.0, "code_other": -2.0,
    "row_in_question": 3.5, "row_in_question_chars": 0.2,
    "row_shortened": 2.5, "row_shortened_chars": 0.2,
    "row_overlap": 2.5, "row_words": 2.0, "term_is_row": 2.5, "term_is_column": 1.5,
    "column_in_question": 1.5, "column_in_question_chars": 0.05, "column_group_in_question": 1.0,
    "default_column": 0.6, "total_row_of_column": 2.0, "total_row_of_table": 1.0, "title_overlap": 2.0,
    "no_evidence": -1.0,
    # checks
    "table_named": 3.0, "table_other": -2.0, "all_funds_table": 0.3,
    "unit_same": 1.0, "unit_other_money": -0.5, "unit_other_kind": -8.0,
    "question_unexplained": -2.0, "concept_missing": -2.0, "concept_in_sentence_only": -0.5,
    "label_unasked": -1.0, "scope_itself": -3.0, "budget_unasked": -3.0, "budget_missing": -1.0,
    "uncertain_cell": -1.0, "appropriation_twin": -1.5, "unexplained_chars": 0.0,
    "change_unasked": -2.0, "all_explained": 1.0, "column_other": -2.0, "column_other_flow": -1.0,
    "column_group_other_flow": -4.0, "quantity_unsaid": -4.0,
    "column_other_year": -3.0, "column_year_earlier": 0.0,
    # meaning (meaning.py): the closest column to the question words no label explains
    "column_meaning": 1.5,
}

PROSE_WEIGHTS: dict[str, float] = {
    "clause_context_overlap": 3.5, "far_context_overlap": 1.75, "sentence_overlap": 1.5,
    "concept_missing": -2.0, "concept_in_sentence_only": -0.5, "label_unasked": -1.0, "scope_itself": -3.0,
    "scope_in_sentence": 1.0, "last_year_stated": 1.0, "part_unasked": -1.5, "subject_other": -1.5,
    "subject_missing": -4.0, "concept_absent": -2.0, "label_narrower": -2.0, "clause_other_flow": -2.0,
    "clause_words": 0.0, "change_other_base": -3.0, "change_unasked": -2.0, "change_missing": -2.0,
    "column_other": -2.0,
    "clause_asked": 1.5, "term_in_clause": 1.5, "term_in_sentence": 0.5,
    "unit_same": 1.0, "unit_other_money": -0.5, "unit_other_kind": -8.0, "no_unit": -1.0,
    "budget_unasked": -3.0, "budget_missing": -1.0, "question_points_to_table": -2.0, "unexplained_chars": 0.0,
    "quantity_unsaid": -4.0,
}

WEIGHTS = {"table": {**FACT_WEIGHTS, **fitted("table_weights")},
           "prose": {**PROSE_WEIGHTS, **fitted("prose_weights")}}


def rival(cands: list, best, margin: float, same_value: float):
    """A candidate of the same kind and another value scoring within `margin` of `best`: the question
    does not decide between them (four project tables each with a 年度财政资金总额 row), so neither
    is the answer. Table cells and sentences are scored on scales of their own, so only the same kind
    competes."""
    for c in _others(cands, best, same_value):
        return c if best.score - c.score < margin else None
    return None


def table_twin(cands: list, best, same_value: float, floor: float):
    """A table cell of `best`'s report that states `best`'s value and scores at least `floor`."""
    return next((c for c in cands if c.kind == "table" and c is not best and c.report_id == best.report_id
                 and abs(c.value - best.value) < same_value and c.score >= floor), None)


def _others(cands: list, best, same_value: float):
    """Candidates that compete with `best`: same kind, another value, not the appropriation-only twin
    of an all-funds figure (the answer names that one as a second value by rule), not a part column
    of a row whose total column holds `best`'s value (`_totalled_rows`), not a figure of one sentence
    with fewer of the question's words in its clause, and not a change or budget unasked when `best`
    is neither."""
    totalled = _totalled_rows(cands, best, same_value)
    return (c for c in cands if c is not best and c.kind == best.kind and abs(c.value - best.value) > same_value
            and not c.features.get("appropriation_twin")
            and not (c.fact is not None and _row_key(c) in totalled
                     and not any(s in c.features for s in _COLUMN_SIGNALS))
            and not _fewer_own_words(c, best) and not _row_says_less(c, best)
            and not (_unasked_reading(c) and not _unasked_reading(best)))


def _row_says_less(c, best) -> bool:
    """Two cells of one table column, the question's words in `c`'s row a strict part of those in
    `best`'s (一期 asked: the 三期 row holds all the rest, not 一期): `c` is no rival."""
    return c.fact is not None and best.fact is not None and c.asked < best.asked \
        and (c.fact.report_id, c.fact.table, c.fact.column) == (best.fact.report_id, best.fact.table, best.fact.column)


def _unasked_reading(c) -> bool:
    """A figure of a reading the question does not ask: a change, or a budget (预算为 5 万元)."""
    return any(c.features.get(s) for s in ("change_unasked", "budget_unasked"))


def _fewer_own_words(c, best) -> bool:
    """Two figures of one sentence, `c`'s own clause holding fewer of the question's words than
    `best`'s (政府采购服务支出 beside 政府采购货物支出 when 货物 is asked): `c` is no rival."""
    return c.prose is not None and best.prose is not None and c.prose.sentence == best.prose.sentence \
        and c.prose.chunk_id == best.prose.chunk_id \
        and c.features.get("clause_words", 0.0) < best.features.get("clause_words", 0.0)


_COLUMN_SIGNALS = ("column_in_question", "default_column", "column_meaning", "term_is_column")


def _totalled_rows(cands: list, best, same_value: float) -> set:
    """The rows whose default column, their total, holds `best`'s value: another column of such a row
    that the question does not name (基本支出 beside 本年支出合计) is a part of the figure, not a rival."""
    return {_row_key(d) for d in cands if d.fact is not None and "default_column" in d.features
            and abs(d.value - best.value) <= same_value}


def _row_key(c) -> tuple:
    return c.fact.report_id, c.fact.table, c.fact.row_name


def gap(cands: list, best, same_value: float) -> float:
    """How far `best` scores above the first candidate of another value (large when there is none)."""
    other = next(_others(cands, best, same_value), None)
    return 99.0 if other is None else best.score - other.score


def weighed(kind: str, signals: dict[str, float]) -> float:
    w = WEIGHTS[kind]
    return sum(w[name] * value for name, value in signals.items())


def score(kind: str, evidence: dict[str, float], checks: dict[str, float] | None = None
          ) -> tuple[float, dict[str, float]]:
    """(score, the signals it was computed from)."""
    s = weighed(kind, evidence)
    if checks is None:
        return s, evidence
    if s < EVIDENCE_MIN and "title_overlap" not in evidence:
        signals = {**evidence, "no_evidence": 1.0}
        return weighed(kind, signals), signals
    signals = {**evidence, **checks}
    return s + weighed(kind, checks), signals
