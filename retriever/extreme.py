"""The largest or smallest part of one figure in one report ("三公经费里面哪项最多").

The whole is looked up as any derivation input is (decided, in a table); its parts are the other rows
of the same table and column — the next code level under the whole's code, or the top level present
when the rows are coded — and are used only when they add up to the whole, the report's own identity.
Otherwise the answer is "not found": a total is never the answer to "which part"."""
from __future__ import annotations

import re
from typing import Callable, Optional

from indexer.lexicon import load
from indexer.models import AskResponse, Fact

from .compose import who
from .inputs import Finder, decided_input, derived_response
from .match import Candidate, clean_row
from .relations import TOTAL_WORDS, adds_up, fact_candidate, is_total_row, same_column
from .query import Question, subquestion
from . import thresholds as th

_LEX = load("questions.json")
_WHICH = sorted(_LEX["part_which_words"], key=len, reverse=True)


def asks_extreme_part(q: Question) -> bool:
    """One report, 最多/最少, and a word asking which of its items (哪项, 哪一类)."""
    return len(q.reports) == 1 and bool(q.ops & {"compare_max", "compare_min"}) \
        and any(w in q.norm for w in _WHICH)


def _whole_text(q: Question) -> str:
    text = re.sub(_LEX["part_which_pattern"], "", q.scope or q.core)  # 哪一类支出 is read 哪一支出 by then
    for w in _LEX["follow_up_scope_words"]:
        text = text.replace(w, "")
    return text.strip("的中里")


def _parts(whole: Fact, facts: list[Fact]) -> list[Fact]:
    """Rows of the whole's table and column below it: by code when the rows are coded."""
    same = [f for f in facts if same_column(f, whole) and f.row_name != whole.row_name and not is_total_row(f.row_name)]
    coded = [f for f in same if f.row_code]
    if whole.row_code:
        level = min((len(f.row_code) for f in coded if f.row_code.startswith(whole.row_code)
                     and len(f.row_code) > len(whole.row_code)), default=0)
        return [f for f in coded if f.row_code.startswith(whole.row_code) and len(f.row_code) == level]
    if coded:
        top = min(len(f.row_code) for f in coded)
        return [f for f in coded if len(f.row_code) == top]
    return same


def _total_row(anchor: Fact, facts: list[Fact]) -> Optional[tuple[Fact, list[Fact]]]:
    """The row of the anchor's table and column that its other rows add up to (政府采购支出总额 of
    货物, 工程, 服务), with those rows."""
    rows = [f for f in facts if same_column(f, anchor)]
    for total in (f for f in rows if is_total_row(f.row_name)):
        parts = [f for f in rows if not is_total_row(f.row_name)]
        if adds_up(total.value, [f.value for f in parts]):
            return total, parts
    return None


def _whole_and_parts(q: Question, cands: list[Candidate], facts: list[Fact]):
    rid = q.single.report_id
    whole = decided_input(cands, rid, "万元")
    if whole is not None and whole.fact is None:  # a sentence: the table row stating its value
        whole = next((c for c in cands if c.fact is not None and c.report_id == rid
                      and abs(c.value - whole.value) <= th.SAME_VALUE), None)
    if whole is not None:
        parts = _parts(whole.fact, facts)
        return (whole, parts) if adds_up(whole.value, [f.value for f in parts]) else None
    # no one figure decided: the table the best cell of the question is in, if it states a total
    anchor = next((c for c in cands if c.fact is not None and c.report_id == rid), None)
    if anchor is None or anchor.score < th.ACCEPT_TABLE:
        return None
    found = _total_row(anchor.fact, facts)
    return (fact_candidate(found[0], anchor.score), found[1]) if found else None


def extreme_part(q: Question, find: Finder, facts_of: Callable[[str], list[Fact]], index,
                 smallest: bool) -> Optional[AskResponse]:
    r = q.single
    text = _whole_text(q)
    if r is None or len(re.findall(r"[\u4e00-\u9fff]", text)) < 2:
        return None
    found = _whole_and_parts(q, find(subquestion(q, text, index, unit="万元")), facts_of(r.report_id))
    if found is None:
        return None  # the rows found are not the whole's parts
    whole, parts = found
    ranked = sorted(parts, key=lambda f: f.value, reverse=not smallest)
    if ranked[0].value == ranked[1].value:
        return None  # two items tie: neither is "the" largest
    part = fact_candidate(ranked[0], whole.score)
    name = text if clean_row(whole.row_name) in TOTAL_WORDS else whole.label  # 合计: the words asked
    word = "最少" if smallest else "最多"
    sentence = (f"{who(index, r.report_id)}{name}{whole.raw}万元中，{part.label}{word}，为{part.raw}万元"
                f"（共{len(parts)}项，各项之和与{name}相符）。")
    return derived_response(q, index, part.value, part.unit, part.label, None, [part, whole], sentence)
