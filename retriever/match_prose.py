"""Signals of figures stated in sentences (`ProseFigure`): which words of the sentence are the figure's
own, whether its clause, its subject clause or its sentence holds the question's words, changes and
budgets asked or not; weighed by `rank.PROSE_WEIGHTS`. The word helpers are `match.py`'s."""
from __future__ import annotations

import re

from indexer.lexicon import alternation, squash

from . import rank
from .index import ROW_ORDINAL
from .match import (GENERIC_BIGRAMS, _AMOUNT_WORDS, _ASPECT_WORDS, _BUDGET, _CHANGE_STATED, _CLAUSE_SEP, _FORMS, _LEX,
                    _VALUE_ASPECTS, _VALUE_COLUMNS, Candidate, _budget_signals, _column_of_the_other_flow, _concepts_absent,
                    _narrower, _unasked, _unit_signals, bigrams, clause_bigrams, concept_signals, coverage,
                    quantity_unsaid, scope_itself, unasked_count, unexplained_chars,
                    without_change_words)
from .money import MONEY
from .prose import LAST_YEAR, ProseFigure, against_last_year
from .query import Question, plain, subject_of

_PART_MARK = _LEX["part_mark"]  # 其中: the figures after it are parts of the one before
_PART_INTRO = re.compile(r"^\s*([\u4e00-\u9fff]{2,10}?)(?:之中|当中|中)[，,：:]")  # 收入中，…: its parts follow
_LABEL_TAIL = re.compile(r"(" + alternation(_FORMS["label_tail"], longest_first=True) + ")+$")
_LABEL_HEAD = re.compile(r"^([-*•]\s*|\d{2,4}\s*年度?|" + alternation(_FORMS["label_head"]) + ")+")


def prose_features(q: Question, p: ProseFigure) -> dict[str, float]:
    """What a figure stated in a sentence has of the question (weighed by `rank.PROSE_WEIGHTS`). The
    overlaps count every question bigram, framing words included: the prose weights are hand-set on
    that scale and the suite, which asks about table cells, cannot refit them."""
    key = bigrams(q.core) - GENERIC_BIGRAMS
    x: dict[str, float] = {}
    if key:
        # words far from the number count less when its own clause shares nothing with the question
        clause, local, before = (clause_bigrams(t) | _abbreviated(q, t) for t in (p.clause, p.local, p.before))
        # a clause of aspect words alone ("占 2.81%", "增长 55.11%") has the clause before it as its subject
        # not X支出决算为; but 决算数大于预算数, and 支出决算为…，完成年初预算的 are about the subject before
        bare = not subject_of(p.clause) \
            and (not any(w in p.clause for w in _VALUE_ASPECTS) or not subject_of(p.local)) \
            or _compares_values_only(p.clause)
        subject = _lead_subject(q, p) or (_earlier_clause_subject(q, p) if bare else "")
        if subject:  # "X支出7.8万元。与上年相比少支出1.24万元": the sentence before names it
            local, bare = local | clause_bigrams(subject), True
        near = "clause_context_overlap" if clause & key or bare else "far_context_overlap"
        x[near] = len(key & local) / len(key)
        x["sentence_overlap"] = len(key & before) / len(key)
        named = bigrams(without_change_words(q.core)) - GENERIC_BIGRAMS
        if named and not named & (local | before) and not any(squash(t) in squash(p.before) for t in q.terms):
            x["subject_missing"] = 1.0  # only its change words are asked ("增加 418.97" of 收支总计)
    x.update(concept_signals(q, p.local, p.before))
    if x.get("concept_missing"):
        x["concept_absent"] = _concepts_absent(q, p.before + p.local)
    unasked = _unasked(q, p.local if key and bare else p.clause)  # a bare clause's subject is its label
    x["label_unasked"] = float(min(2, len(unasked)))
    x["clause_words"] = _own_words(q, p)  # weighs nothing: decides between figures of one sentence (rank)
    if unasked and not q.concepts and not q.terms and _narrower(q, unasked):
        x["label_narrower"] = 1.0  # a total asked in general words (支出合计), the sentence's is of an item's
    if x.get("concept_in_sentence_only"):
        # its own subject is another item (分项看：…, B比上年增加), not another value of it (年初预算为…，支出决算为)
        x["subject_other"] = unasked_count(q, _ASPECT_WORDS.sub("", p.local))
    x["unexplained_chars"] = unexplained_chars(q, p.before + p.local)
    x["quantity_unsaid"] = quantity_unsaid(q, p.sentence)  # its own sentence: no heading's amounts
    x["scope_itself"] = scope_itself(q, p.clause)
    if q.vs_last_year and LAST_YEAR in p.local:
        x["last_year_stated"] = 1.0  # against last year, as asked (not against the budget)
    if q.scope and coverage(plain(q.scope), plain(p.before + p.local)) >= 0.5:
        x["scope_in_sentence"] = 1.0  # "A中B": a sentence speaking of A states its parts
    changed = any(w in p.clause for w in _CHANGE_STATED)
    if q.vs_budget and changed and not _against_budget(p):
        x["change_other_base"] = 1.0  # a change against last year for one against the budget
    if not q.asks_change and changed:
        x["change_unasked"] = 1.0  # a change (增加 X, 少了 Y) answers only a question about change
    elif q.asks_change and not changed:
        x["change_missing"] = 1.0  # and a question about change is answered by a change
    clause_b = bigrams(_without_own_name(q, p, p.clause)) - GENERIC_BIGRAMS
    if clause_b:
        asked = bigrams(q.core) | {b for t in q.terms for b in bigrams(t)}
        x["clause_asked"] = len(clause_b & asked) / len(clause_b)
        intro = _PART_INTRO.match(re.split(r"[。；;]", p.before)[-1])  # "收入中，财政拨款收入 A，事业收入 B"
        whole = p.before.rsplit(_PART_MARK, 1)[0] if _PART_MARK in p.before else intro.group(1) if intro else ""
        if whole and key and key <= bigrams(whole) and clause_b - asked:
            x["part_unasked"] = 1.0  # "X总额 A，其中：X货物 B": the whole asked, not this part
    for t in q.terms:
        t = squash(t)
        name = "term_in_clause" if t in squash(p.local) else "term_in_sentence" if t in squash(p.before) else ""
        if name:
            x[name] = x.get(name, 0.0) + 1.0
    unit = _unit_of(q, p)
    x.update(_unit_signals(q, unit))
    if not unit and q.unit:
        x["no_unit"] = 1.0
    x.update(_budget_signals(q, p.clause))
    if q.table or q.codes:
        x["question_points_to_table"] = 1.0
    if _column_of_the_other_flow(q, p.clause):
        x["clause_other_flow"] = 1.0  # 一般公共服务支出 2727.90 for 一般公共服务收入
    if any(c not in _VALUE_COLUMNS and coverage(c, p.before + p.sentence + p.local) < 0.5 for c in q.columns_named):
        x["column_other"] = 1.0  # a table's column named (项目支出) that the sentence does not speak of
    return {k: v for k, v in x.items() if v}


def _earlier_clause_subject(q: Question, p: ProseFigure) -> str:
    """For a bare clause whose clause before names no domain term either ("X 3.00 万元，与预算相比增加
    0.20 万元；与上年相比增加 0.50 万元"): the latest earlier clause of its sentence that names one."""
    if q.vocab is None or q.vocab.concepts(_ASPECT_WORDS.sub(" ", plain(p.local))):
        return ""
    clauses = [c for c in _CLAUSE_SEP.split(p.before) if c.strip()]
    # a clause naming a value of it only (年初预算18.00万元) names no subject
    return next((c for c in reversed(clauses[:-2]) if q.vocab.concepts(_ASPECT_WORDS.sub(" ", plain(c)))), "")


def _compares_values_only(clause: str) -> bool:
    """A clause of value aspects and a change alone ("决算数大于预算数"): it says which values of the
    sentence's subject it compares, and no subject of its own."""
    text = plain(clause)
    aspects_out = _ASPECT_WORDS.sub(" ", text)
    rest = _CHANGE_RE.sub(" ", aspects_out)
    return aspects_out != text and rest != aspects_out and len(rest.replace(" ", "")) < 2


_CHANGE_RE = re.compile(alternation(_CHANGE_STATED, longest_first=True))


def _against_budget(p: ProseFigure) -> bool:
    """The change the figure states is against the budget: its clause names the budget, or, naming
    neither the budget nor last year ("增加 0.5 万元"), the words before it in its sentence do."""
    own = p.clause if LAST_YEAR in against_last_year(p.clause) or any(w in p.clause for w in _BUDGET) else p.local
    return any(w in own for w in _BUDGET)


def _own_words(q: Question, p: ProseFigure) -> float:
    """How many question words the figure's own clause holds (货物 asked; "政府采购货物支出 2.28 万元、
    政府采购服务支出 743.22 万元": the first holds 政府采购 and 货物, the second only 政府采购)."""
    clause = plain(p.clause)
    return float(sum(1 for w in q.words if len(w) >= 2 and w not in GENERIC_BIGRAMS and w in clause))


def _lead_subject(q: Question, p: ProseFigure) -> str:
    """The first clause of the short sentence before the figure's own, when that clause names a domain
    term and the figure's sentence names none before it; else ""."""
    own = p.before[len(p.lead):] if p.lead and p.before.startswith(p.lead) else ""
    if not own.strip() or subject_of(_AMOUNT_WORDS.sub("", plain(own))) or q.vocab is None:
        return ""  # the sentence names its own subject (购置方面支出 0 万元；运行方面支出 3.98 万元)
    first = _CLAUSE_SEP.split(p.lead, 1)[0]
    return first if q.vocab.concepts(plain(first)) else ""


def _abbreviated(q: Question, text: str) -> frozenset[str]:
    """Two-character words of the question that abbreviate a phrase of `text`, its characters in order
    with one between (内设 for 内部设有): the words a sentence spells out."""
    return frozenset(w for w in q.words if len(w) == 2 and w not in text
                     and re.search(f"{re.escape(w[0])}.{re.escape(w[1])}", text))


def score_prose(q: Question, p: ProseFigure) -> tuple[float, dict[str, float]]:
    return rank.score("prose", prose_features(q, p))



def _without_own_name(q: Question, p: ProseFigure, text: str) -> str:
    """`text` without the name of its own report's unit and year ("2022年度武汉市江汉区大数据中心政府采购
    支出总额"): they say whose figure it is, which the resolved report already says, not what it is."""
    text = plain(text)
    for r in q.reports:
        if r.report_id == p.report_id:
            if r.unit_name:
                text = text.replace(plain(r.unit_name), "")
            if r.year:
                text = re.sub(f"{r.year}年度?", "", text)
    return text


def prose_label(q: Question, p: ProseFigure) -> str:
    """A readable name for a figure in a sentence: its clause, trimmed, with the question's concept in
    front when the clause leaves it implicit ("三公经费" + "支出决算")."""
    clause = _without_own_name(q, p, p.clause)
    label = _LABEL_HEAD.sub("", _LABEL_TAIL.sub("", ROW_ORDINAL.sub("", clause))).strip("，、：:") or plain(p.clause)
    concept = next((c for text in (p.local, p.before) for c in q.concepts  # the nearest first
                    if c in plain(text) and c not in label), "")
    return (concept + label)[-24:]


def _unit_of(q: Question, p: ProseFigure) -> str:
    """The figure's unit; a bare 0 (预算数与决算数均为 0) is nil in the money unit asked."""
    return p.unit or (q.unit if p.value == 0 and q.unit in MONEY else "")


def _nil(p: ProseFigure) -> bool:
    """A figure a sentence states as nil without a number (无三公经费支出): no "0" of the sentence
    follows the words read before the figure."""
    if p.value != 0:
        return False
    starts = (m.start() for m in re.finditer(re.escape(p.raw), p.sentence))
    return not any(p.before.rstrip().endswith(p.sentence[:i].rstrip()) for i in starts)


def prose_candidates(q: Question, figures: list[ProseFigure]) -> list[Candidate]:
    out = []
    for p in figures:
        sc, features = score_prose(q, p)
        if "change_missing" in features:
            continue  # a question about change is answered only by a sentence stating one
        if _nil(p) and features.get("clause_asked", 1.0) < 1.0:
            continue  # "无X" says nothing of what X narrows (没有国有资本经营收入: not 经营收入)
        out.append(Candidate("prose", p.report_id, p.value, p.raw, _unit_of(q, p), prose_label(q, p), p.chunk_id,
                             p.line_start, p.line_end, sc, prose=p, features=features))
    return out
