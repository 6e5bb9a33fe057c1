"""The inputs of derived figures: one figure decided in its report as a lookup would decide it, the
response that cites every input, and what a figure states of itself (a change, last year's value)."""
from __future__ import annotations

import re
from typing import Callable, Optional

from indexer.lexicon import alternation, load
from indexer.models import AnswerValue, AskResponse
from indexer.numbers import decimals, format_amount

from .compose import citation, confidence
from .match import Candidate, budget_label, change_cell
from .money import in_unit
from .relations import tied_total
from .query import Question
from . import rank, thresholds as th

Finder = Callable[[Question], list[Candidate]]
_WORDS = load("questions.json")["derivations"]
_DIRECTION_WORDS = load("questions.json")["direction_words"]
_QLEX = load("questions.json")
_AGAINST_LAST_YEAR = re.compile(  # 比上年决算数多: a plain comparative closing a comparison with last year
    f"[{_QLEX['comparison_prefixes']}](?:{alternation(_QLEX['ops']['previous_year'], longest_first=True)})"
    r"[\u4e00-\u9fff]{0,6}?(多|少|高|低)\s*$")


def fmt(c: Candidate) -> str:
    return format_amount(c.value, max(2, decimals(c.raw))) if c.unit != "%" else c.raw


def decided_input(cands: list[Candidate], report_id: str, unit: Optional[str] = None,
          want: Callable[[Candidate], bool] = lambda c: True) -> Optional[Candidate]:
    """The input a derivation needs: the first candidate of the report (and unit) it wants, when that
    is accepted and not undecided: it must beat other values of its kind by the fitted margin, as a
    lookup must (a figure a lookup would not give is no input of a computed one)."""
    pool = [m for m in (in_unit(c, unit) for c in cands if c.report_id == report_id and want(c)
                        and not c.features.get("appropriation_twin"))  # the all-funds figure, unless asked
            if m is not None]
    if not pool or pool[0].score < th.ACCEPT:
        return None
    judged = pool[0]
    if judged.kind == "prose":
        twin = rank.table_twin(pool, judged, th.SAME_VALUE, th.ACCEPT_TABLE)
        if twin is not None and rank.rival(pool, twin, th.MARGIN, th.SAME_VALUE) is None:
            judged = twin  # the cell the sentence restates decides; cells that tie leave it to the sentence
    margin = th.MARGIN if judged.kind == "table" else th.TIE
    if rank.rival(pool, judged, margin, th.SAME_VALUE):
        total = tied_total(pool, judged, margin)  # rows tied that add up to one of them: that total
        return None if total is None else pool[0] if abs(pool[0].value - total.value) <= th.SAME_VALUE else total
    return pool[0]


def derived_response(q: Question, index, value: float, unit: str, label: str, formula: Optional[str],
              inputs: list[Candidate], sentence: str) -> AskResponse:
    cites, by_chunk, ids = [], {}, []
    for c in inputs:  # inputs stated in one passage share its citation
        if c.chunk_id not in by_chunk:
            by_chunk[c.chunk_id] = citation(index, c.chunk_id, f"c{len(cites) + 1}", c.score)
            cites.append(by_chunk[c.chunk_id])
        ids.append(by_chunk[c.chunk_id].id)
    values = [AnswerValue(value=round(value, 2), unit=unit, label=label, report_id=inputs[0].report_id,
                          citation_id=ids[0], derived=True, formula=formula, inputs=list(dict.fromkeys(ids)))]
    for c, cid in zip(inputs, ids):
        values.append(AnswerValue(value=c.value, unit=c.unit or "万元", label=c.label, report_id=c.report_id,
                                  citation_id=cid))
    return AskResponse(question=q.text, found=True, answer=sentence, values=values, citations=cites,
                       confidence=min(confidence(c.score) for c in inputs))


def against_last_year(c: Candidate) -> bool:
    """A sentence's figure that is a change, and not one against the budget (与预算相比增加0万元)."""
    return direction(c) != 0 and not budget_label(c.prose.clause)


def states_change(c: Candidate) -> bool:
    """A figure that is a change or variance: a change cell, or a sentence stating a direction."""
    return change_column(c) or direction(c) != 0


def change_column(c: Candidate) -> bool:
    """A table cell in a column of changes (较上年增减额, 增减幅度)."""
    return c.fact is not None and change_cell(c.fact)

def direction(c: Candidate) -> int:
    """The direction a sentence's figure states (the word nearest the number), 0 for a table cell."""
    return 0 if c.prose is None else direction_of(c.prose.clause)


def direction_of(text: str) -> int:
    """+1 / -1 for the last direction word of `text` (增加, 减少了), 0 when it has none."""
    up = max((text.rfind(w) for w in _DIRECTION_WORDS["up"]), default=-1)
    down = max((text.rfind(w) for w in _DIRECTION_WORDS["down"]), default=-1)
    if up < 0 and down < 0:  # "比上年决算数多": a plain comparative closing a comparison with last year
        m = _AGAINST_LAST_YEAR.search(text)
        return 0 if m is None else -1 if m.group(1) in _WORDS["less_than_words"] else 1
    return 1 if up > down else -1

def states_last_year(c: Candidate) -> bool:
    """A figure the report gives as last year's (上年决算数, 上年为…), not a change against it."""
    words = _QLEX["ops"]["previous_year"] + list(_QLEX["relative_years"])
    own = c.prose.clause if c.prose is not None else c.column
    earlier = bool(c.features.get("column_year_earlier"))  # a column headed by an earlier year
    compared = any(p + w in own for p in _QLEX["comparison_prefixes"] for w in words)  # 比上年决算数多: a change
    return (earlier or any(w in own for w in words) and not compared) and not states_change(c)
