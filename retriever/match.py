"""Finding the figure a question asks for: table facts first, then figures stated in prose.

Every candidate is scored on how much of the question its row / column / table (or its words
in the sentence) cover, whether its unit is the one asked for, and whether its cell is certain.
"""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass
from typing import Optional

from indexer.aliases import in_order
from indexer.lexicon import load, squash, table_specs
from indexer.models import Fact

from .prose import ProseFigure
from .query import Question, plain

_ORDINAL = re.compile(r"^[（(]?[一二三四五六七八九十\d]+[）)、.．]")
_LEX = load("questions.json")
_GENERIC = frozenset(_LEX["generic_bigrams"])  # question bigrams that name no figure
_BUDGET = tuple(_LEX["budget_words"])
_ACTUAL_LABEL = tuple(_LEX["actual_label_words"])


@lru_cache(maxsize=1 << 17)
def bigrams(s: str) -> frozenset[str]:
    """Character bigrams of the CJK/alphanumeric text (cached: row and column labels repeat)."""
    s = re.sub(r"[^\u4e00-\u9fff0-9A-Za-z%]", "", s)
    return frozenset(s[i:i + 2] for i in range(len(s) - 1))


def coverage(part: str, whole: str) -> float:
    """Share of `part`'s bigrams that occur in `whole`."""
    b = bigrams(part)
    if not b:
        return 0.0
    w = bigrams(whole)
    return len(b & w) / len(b)


@dataclass
class Candidate:
    kind: str  # table | prose
    report_id: str
    value: float
    raw: str
    unit: str
    label: str
    chunk_id: Optional[str]
    line_start: int
    line_end: int
    score: float
    table: str = ""
    column: str = ""
    row_name: str = ""
    fact: Optional[Fact] = None
    prose: Optional[ProseFigure] = None


def clean_row(name: str) -> str:
    return _ORDINAL.sub("", squash(name))


def same_unit(a: str, b: str) -> bool:
    if a == b:
        return True
    eq = load("questions.json")["unit_equivalents"]
    return b in eq.get(a, []) or a in eq.get(b, [])


def _unit_score(q: Question, unit: str) -> float:
    if not q.unit:
        return 0.0
    if same_unit(unit, q.unit):
        return 1.0
    if {q.unit, unit or "万元"} <= {"万元", "元"} or (q.unit == "万元" and not unit):
        return -0.5  # an amount in the other money unit: the report's own unit is kept
    return -8.0  # another kind of quantity is never the answer


def score_fact(q: Question, f: Fact) -> float:
    core, lex = q.core, load("questions.json")
    row = clean_row(f.row_name)
    seg = squash(f.column).split("/")[-1]
    s = 0.0
    row_hit = False
    if q.codes and f.row_code:
        if f.row_code in q.codes:
            s += 6.0
            row_hit = True
        else:
            s -= 2.0  # the question names another row
    if not row_hit and row and len(row) >= 2 and plain(row) in core:
        s += 3.5 + 0.2 * len(row)
        row_hit = True
    elif not row_hit and len(row) >= 4:
        short = shortened_in(core, plain(row))
        if short:  # "商品服务支出" for 商品和服务支出: the row's words in order, some left out
            s += 2.5 + 0.2 * len(short)
            row_hit = True
    if not row_hit:
        s += 2.5 * max(coverage(row, core), coverage(core, row)) ** 2  # either side's words in the other
    for t in q.terms:
        if squash(t) == row:
            s += 2.5
            row_hit = True
        elif squash(t) == seg:
            s += 1.5
    if seg and seg in core:
        s += 1.5 + 0.05 * len(seg)
        prefix = squash(f.column).split("/")[0]
        if "/" in f.column and prefix in core:
            s += 1.0
    elif lex["default_columns"].get(f.table) in (f.column, seg):
        s += 0.6
    if not row_hit and row in lex["total_rows"] and seg and seg in core:
        s += 2.0  # "项目支出多少" means the total row of the 项目支出 column
    title_name = re.sub(r"^\d{4}\s*年度?|项目|绩效|自评表|整体|部门|\s", "", f.table_title)
    title_cov = coverage(title_name, q.norm) if len(title_name) >= 2 else 0.0
    if s < 1.5 and title_cov < 0.6:
        return s - 1.0  # neither its row nor its column is what the question asks about
    if q.table:
        s += 3.0 if f.table == q.table else -2.0
    elif f.table in lex["all_funds_tables"] and not any(w in q.norm for w in lex["appropriation_words"]):
        s += 0.3
    if title_cov >= 0.6:
        s += 2.0 * title_cov
    s += _unit_score(q, f.unit)
    key = key_bigrams(q)
    label_text = f"{f.table}{f.table_title}{f.row_name}{f.column}"
    if key:  # question words the fact's table, row and column do not explain
        s -= 2.0 * len(key - bigrams(label_text)) / len(key)
    s += concept_penalty(q, label_text)
    # a total row is about its table: 三公经费's 合计 is no 本年支出合计
    # a total row of a table outside the template is about that table: 三公经费's 合计 is no 本年支出合计
    about = f.table_title if row in lex["total_rows"] and f.table not in _template_tables() else ""
    s += unasked_penalty(q, row + about)
    s += scope_penalty(q, row)
    s += _budget_rule(q, f.column)
    if f.uncertain:
        s -= 1.0
    return s


@lru_cache(maxsize=1 << 16)
def shortened_in(text: str, name: str) -> str:
    """The longest run of `text` that shortens `name`: it starts with one of the name's first two
    characters and ends with its last, the rest follow the name in order, and it keeps at least half
    of the name (津补贴 for 津贴补贴, 个人家庭补助 for 对个人和家庭的补助)."""
    if len(name) < 4 or name[-1] not in text:
        return ""
    best = ""
    for start in (i for i, ch in enumerate(text) if ch in name[:2]):
        for stop in range(len(text), start + 2, -1):
            run = text[start:stop]
            if len(run) <= len(best):
                break
            if run[-1] == name[-1] and len(run) * 2 >= len(name) and in_order(run, name):
                best = run
                break
    return best


@lru_cache(maxsize=1)
def _template_tables() -> frozenset[str]:
    return frozenset(spec["name"] for spec in table_specs())


def key_bigrams(q: Question) -> set[str]:
    return bigrams(q.core) - _GENERIC


def _budget_rule(q: Question, label: str) -> float:
    """Asked about money spent (no 预算 in the question): a budget figure is not the answer."""
    asks_budget = any(w in q.core for w in _BUDGET)
    if not asks_budget and any(w in label for w in _BUDGET) and not any(w in label for w in _ACTUAL_LABEL):
        return -3.0
    if asks_budget and not any(w in label for w in _BUDGET):
        return -1.0
    return 0.0


def concept_penalty(q: Question, label: str, wider: str = "") -> float:
    """Each domain term the question names but the figure's label (or, less well, its sentence) lacks."""
    label, wider = plain(label), plain(wider)
    equivalents = load("questions.json")["concept_equivalents"]
    s = 0.0
    for c in q.concepts[:3]:
        forms = [c] + equivalents.get(c, [])
        if not any(f in label for f in forms):
            s -= 0.5 if any(f in wider for f in forms) else 2.0
    return s


def unasked_penalty(q: Question, label: str) -> float:
    """Label coverage the other way: each domain term of the figure's own label that the question
    does not ask about (政府采购 in 政府采购支出总额 when 支出总额 is asked) counts against it."""
    label = plain(label)
    if not label or not q.vocab:
        return 0.0
    asked = plain(q.core) + "".join(plain(t) for t in q.terms) + "".join(q.concepts)
    equivalents = load("questions.json")["concept_equivalents"]
    extra = [c for c in q.vocab.concepts(label)
             if c not in asked and not any(c in equivalents.get(a, []) or a in equivalents.get(c, [])
                                           for a in q.concepts)
             and not any(a in c for a in q.concepts)]
    return -1.0 * min(2, len(extra))


def scope_penalty(q: Question, label: str) -> float:
    """"A中，B是多少": the figure of A itself is not the answer unless its label also says B."""
    if not q.scope or plain(q.scope) not in plain(label):
        return 0.0
    own = key_bigrams(q) - bigrams(q.scope)  # the words of B that A does not already say
    return -3.0 if own and not own & bigrams(label) else 0.0


def change_penalty(q: Question, clause: str) -> float:
    """A change (增加 X, 下降 Y%) answers only a question about change."""
    words = load("questions.json")["change_words"]
    if not q.asks_change and any(w in clause for w in words):
        return -2.0
    return 0.0


def score_prose(q: Question, p: ProseFigure) -> float:
    key = key_bigrams(q)
    s = 0.0
    clause_key = bigrams(p.clause) & key
    if key:
        local_b, before_b = bigrams(p.local), bigrams(p.before)
        # words far from the number count less when its own clause shares nothing with the question
        weight = 3.5 if clause_key else 1.75
        s += weight * len(key & local_b) / len(key)
        s += 1.5 * len(key & before_b) / len(key)
    s += concept_penalty(q, p.local, p.before)
    s += unasked_penalty(q, p.clause)
    s += scope_penalty(q, p.clause)
    s += change_penalty(q, p.clause)
    clause_b = bigrams(p.clause) - _GENERIC
    if clause_b:
        asked = bigrams(q.core) | {b for t in q.terms for b in bigrams(t)}
        s += 1.5 * len(clause_b & asked) / len(clause_b)
    for t in q.terms:
        t = squash(t)
        if t in squash(p.local):
            s += 1.5
        elif t in squash(p.before):
            s += 0.5
    s += _unit_score(q, p.unit)
    if not p.unit and q.unit:
        s -= 1.0
    s += _budget_rule(q, p.clause)
    if q.table or q.codes:
        s -= 2.0  # the question points into a table
    return s


def table_candidates(q: Question, facts: list[Fact]) -> list[Candidate]:
    out = []
    for f in facts:
        sc = score_fact(q, f)
        label = clean_row(f.row_name) or f.column
        seg = squash(f.column).split("/")[-1]
        if seg and seg not in label and seg not in ("金额", "决算数"):
            label = f"{label}·{seg}" if label not in ("合计", "总计") else seg
        out.append(Candidate("table", f.report_id, f.value, f.raw, f.unit, label, f.chunk_id, f.line,
                             f.line_end, sc, f.table, f.column, f.row_name, fact=f))
    return out


def prefer_all_funds(q: Question, cands: list[Candidate]) -> None:
    """The same concept in an all-funds table and an appropriation-only table: unless the question
    asks for appropriations, the appropriation figure steps back (it stays available as a sibling)."""
    lex = load("questions.json")
    if q.table or any(w in q.norm for w in lex["appropriation_words"]):
        return
    all_funds = {(c.report_id, c.label) for c in cands if c.kind == "table" and c.table in lex["all_funds_tables"]}
    for c in cands:
        if c.kind == "table" and c.table in lex["appropriation_tables"] and (c.report_id, c.label) in all_funds:
            c.score -= 1.5


_LABEL_TAIL = re.compile(r"(为|是|达到|达|共|约|合计为|总额为)$")
_LABEL_HEAD = re.compile(r"^(\d{2,4}\s*年度?|其中|主要是|本年度|全年)+")


def prose_label(q: Question, p: ProseFigure) -> str:
    """A readable name for a figure in a sentence: its clause, trimmed, with the question's concept in
    front when the clause leaves it implicit ("三公经费" + "支出决算")."""
    label = _LABEL_HEAD.sub("", _LABEL_TAIL.sub("", plain(p.clause))).strip("，、：:") or plain(p.clause)
    concept = next((c for c in q.concepts if c in plain(p.before) and c not in label), "")
    return (concept + label)[-24:]


def prose_candidates(q: Question, figures: list[ProseFigure]) -> list[Candidate]:
    return [Candidate("prose", p.report_id, p.value, p.raw, p.unit or "", prose_label(q, p), p.chunk_id,
                      p.line_start, p.line_end, score_prose(q, p), prose=p)
            for p in figures]
