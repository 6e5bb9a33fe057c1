"""Derivations of two named figures: the difference "A比B多多少" and the ratio "A是B的几倍", each side
found in the report on its own and both cited."""
from __future__ import annotations

import re
from typing import Optional

from indexer.lexicon import alternation, load
from indexer.models import AskResponse
from indexer.numbers import format_amount

from .compose import who
from .inputs import Finder, decided_input, derived_response, fmt, states_change
from .match import Candidate
from .money import in_unit, money_unit
from .query import DIFFERENCE_PATTERNS, Question, subquestion

_WORDS = load("questions.json")["derivations"]
_FILLER = re.compile(alternation(_WORDS["difference_filler"]) + r"|（.*?）|\(.*?\)")  # and asides in brackets
_SIDE_WORDS = tuple(load("questions.json")["side_words"])
_PERIODS = tuple(load("questions.json")["period_words"])  # 年初, 年末: a level's point of the year


def difference_match(q: Question):
    return next((m for m in (pat.search(q.core) for pat in DIFFERENCE_PATTERNS) if m), None)


def difference(q: Question, find: Finder, index) -> Optional[AskResponse]:
    r, m = q.single, difference_match(q)
    sides = _two_sides(q, m, find, index) if r is not None and m is not None else None
    if sides is None:
        return None
    a, b = sides
    mu = money_unit(index, r.report_id)
    value = a.value - b.value
    joined_by = q.core[m.end("b"):m.end()]  # 相差, 差额, 多, 少 …
    if any(w in q.core for w in _WORDS["absolute_difference_words"]) or "差" in joined_by:
        value = abs(value)
    elif any(w in joined_by for w in _WORDS["less_than_words"]):
        value = -value  # "A比B少多少": B - A
    formula = f"{fmt(a)} - {fmt(b)}"
    sentence = f"{who(index, r.report_id)}{a.label}{fmt(a)}{mu}，{b.label}{fmt(b)}{mu}，相差{format_amount(abs(value))}{mu}（{formula}）。"
    return derived_response(q, index, value, mu, f"{a.label}与{b.label}之差", formula, [a, b], sentence)


def ratio_match(q: Question):
    return next((m for m in (re.search(p, q.core) for p in _WORDS["ratio_patterns"]) if m), None)


def ratio(q: Question, find: Finder, index) -> Optional[AskResponse]:
    """"A是B的几倍": A / B, both amounts found as a difference's sides are."""
    r, m = q.single, ratio_match(q)
    sides = _two_sides(q, m, find, index) if r is not None and m is not None else None
    if sides is None or sides[1].value == 0:
        return None
    a, b = sides
    mu = money_unit(index, r.report_id)
    value = a.value / b.value
    formula = f"{fmt(a)} / {fmt(b)}"
    more = m.group(0)[len(m.group("a")):].startswith("比")  # "A比B多几倍": A/B − 1 said as well
    sentence = (f"{who(index, r.report_id)}{a.label}{fmt(a)}{mu}，{b.label}{fmt(b)}{mu}，"
                f"前者是后者的{value:.2f}倍（{formula}）" + (f"，即比后者多{value - 1:.2f}倍" if more else "") + "。")
    return derived_response(q, index, value, "倍", f"{a.label}与{b.label}之比", formula, [a, b], sentence)


def _two_sides(q: Question, m, find: Finder, index) -> Optional[tuple[Candidate, Candidate]]:
    """The two amounts a difference or ratio names (groups a and b of `m`), each decided in the report."""
    r = q.single
    mu = money_unit(index, r.report_id)
    a_text, b_text = (s.strip("，,（(）) ") for s in (m.group("a"), m.group("b")))
    subject = _FILLER.sub("", q.core[:m.start()] + q.core[m.end():])  # words outside the two sides
    for w in _SIDE_WORDS:
        subject = subject.replace(w, "")
    subject = q.scope + subject if q.scope and q.scope not in a_text + b_text else subject  # 政府采购里，A比B
    lead = _leading_term(q, a_text)
    if not subject and lead and lead not in b_text:
        b_text = lead + b_text  # "政府采购工程支出比服务支出": B is 政府采购 服务支出 too
    if subject and subject not in a_text:
        a_text = subject + a_text
    if subject and subject not in b_text:
        b_text = subject + b_text
    period = next((w for w in _PERIODS if a_text.startswith(w) and w != b_text), "")
    if period and b_text in _PERIODS and len(a_text) > len(period):  # "年末结转和结余比年初": 年初结转和结余
        b_text = b_text + a_text[len(period):]
    if _only_side(b_text) and len(a_text) > len(b_text):  # "A决算比年初预算…": B shares A's subject
        stem = a_text
        for w in _SIDE_WORDS:
            stem = stem.replace(w, "")
        b_text = stem + b_text
    side_a, side_b = _side(a_text), _side(b_text)
    ca = [c for c in find(subquestion(q, a_text, index, unit=mu)) if _labelled(c, side_a)]
    cb = [c for c in find(subquestion(q, b_text, index, unit=mu)) if _labelled(c, side_b)]
    a = decided_input(ca, r.report_id, mu, lambda c: not states_change(c))  # levels, not stated changes
    b = decided_input(cb, r.report_id, mu, lambda c: not states_change(c) and (
        a is None or not (c.chunk_id == a.chunk_id and c.value == a.value)))
    if a is None or b is None:
        return None
    # Prefer the two figures stated together in one passage when such a pair scores about as well.
    pair = _same_passage_pair(ca, cb, r.report_id, mu)
    if pair is not None and pair[0].score + pair[1].score >= a.score + b.score - 2.0:
        a, b = pair
    return a, b


def _leading_term(q: Question, text: str) -> str:
    """A term of the index opening `text` with more words after it (政府采购 of 政府采购工程支出)."""
    terms = q.vocab.concepts(text) if q.vocab is not None else []
    return next((t for t in terms if text.startswith(t) and len(text) - len(t) >= 2), "")


def _only_side(text: str) -> bool:
    """The text is a side word and nothing that names a figure ("年初预算", "预算数"), not a term."""
    rest = text
    for w in _SIDE_WORDS:
        rest = rest.replace(w, "")
    return rest != text and len(rest) < 2


def _side(text: str) -> str:
    """The side word of one term of a difference ("年初预算", "决算", "实际执行")."""
    return next((w for w in _SIDE_WORDS if w in text), "")


def _labelled(c: Candidate, side: str) -> bool:
    """A figure belongs to a side only when its own label names that side."""
    if not side:
        return True
    own = c.prose.clause if c.prose is not None else c.column
    short = _WORDS["side_short_forms"].get(side)
    return side in own or bool(short) and short in own


def _same_passage_pair(ca: list[Candidate], cb: list[Candidate], report_id: str, unit: str):
    best, best_score = None, float("-inf")
    pool_b = [m for m in (in_unit(c, unit) for c in cb[:60] if c.report_id == report_id and c.score >= 2.0)
              if m is not None]
    for a in (m for m in (in_unit(c, unit) for c in ca[:60]) if m is not None):
        if a.report_id != report_id or a.score < 2.0:
            continue
        for b in pool_b:
            if b.chunk_id == a.chunk_id and b.value != a.value and a.score + b.score > best_score:
                best, best_score = (a, b), a.score + b.score
    return best
