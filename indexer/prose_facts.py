"""Figures stated in prose → facts (kind="prose"): every number in a narrative paragraph chunk, with its
unit and the words before it ("政府采购支出总额 3,087.07 万元", "在职实有人数 11 人", "完成年初预算的
102.47%"). Run by the chunker at index time; the retriever only reads the facts back.

A prose fact has no table, row or column: what the figure is stands in its context fields — `clause`
(the words of its clause before the number), `local` (that clause and the one before it), `before`
(the sentence up to the number) and `sentence`. Years, dates, levels (第3类) and classification
codes are not figures. Vocabulary: `prose_figures` in lexicon/questions.json.
"""
from __future__ import annotations

import re
from typing import Iterator

from .lexicon import alternation, load, longest_first
from .models import Chunk, Fact
from .numbers import is_code_at, to_float

_LEX = load("questions.json")["prose_figures"]
# a number as written (thousands separators, decimals) and the unit right after it
FIGURE_RE = re.compile(
    r"(?<![\d.,])(?P<num>-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*"
    r"(?P<unit>" + alternation(_LEX["units"], longest_first=True) + ")?"
)
_COUNTED = set(_LEX["counted_units"])
_LEVEL_MARKER = re.compile(_LEX["level_marker"])
# a bracket of one or two characters inside a name (因公出国（境）费, 台（套）) is no clause break
_INNER_BRACKET = re.compile(r"(?<=[\u4e00-\u9fff])[（(]([\u4e00-\u9fff]{1,2})[）)](?=[\u4e00-\u9fff])")
_HELD_OPEN, _HELD_CLOSE = "\ue000", "\ue001"
_JOINED = re.compile(f"[{re.escape(_LEX['count_joiners'])}]")
_AFTER_ANOTHER_COUNT = re.compile(rf"^.*\d\S*{_JOINED.pattern}\s*$")  # "中心下设6个科室和" before the 1 of 1个办公室
_NOT_FIGURE_AFTER = set(_LEX["not_figure_after"])
_YEAR_WORD = _LEX["year_word"]
_CLAUSE_BREAK = re.compile(r"[，；;。：:！？、（）()]|(?<!\d),|,(?!\d{3}(?!\d))")  # not the comma of 2,177.55
_SENTENCE = re.compile(r"[^。！？]+[。！？]?")
_YEARISH = re.compile(r"^(19|20)\d\d$")
_BARE_CODE = re.compile(r"\d{3,7}$")
# terms spelled with 、 inside (收、支总计) are one clause, not two
_ENUMERATED_TERMS = longest_first({t for ts in load("questions.json")["concept_equivalents"].values()
                                   for t in ts if "、" in t})
_OPENS_COMPARED = re.compile(_LEX["opens_compared"])
_EMPHASIS = re.compile(r"\*\*|__")
LEAD_MAX = 40  # a sentence this short before ("1.一般公共服务支出(类)。") is a heading naming the subject


def normalize_unit(unit: str | None) -> str:
    """One spelling per unit ("％" → "%", "台(套)" → "台（套）"); "" for none."""
    return _LEX["unit_spellings"].get(unit, unit) if unit else ""


def _not_a_figure(sentence: str, m: re.Match, unit: str) -> bool:
    """A year, a date or level (3月, 第1类), or a classification code written in prose."""
    raw, after = m.group("num"), sentence[m.end():m.end() + 1]
    if unit:
        return is_code_at(sentence, m.start())
    if _YEARISH.match(raw) and after in (_YEAR_WORD, ""):
        return True
    if after in _NOT_FIGURE_AFTER:
        return True
    if _BARE_CODE.match(raw) and len(raw) in (3, 5, 7) and _YEAR_WORD not in sentence[m.end():m.end() + 2]:
        return True  # bare codes like 2010350 in prose are labels, not figures
    return is_code_at(sentence, m.start())  # "一般公共服务支出 201万元": 201 is the class code


def _figures(text: str) -> Iterator[tuple[re.Match, str, str, str, str]]:
    """(number match, unit, sentence, lead, subject) for every figure of `text`; lead is a short
    heading-like sentence right before, which names the subject; subject, for a sentence that opens
    without naming its own, the words of the sentence before up to its first figure."""
    previous = ""
    text = _EMPHASIS.sub("", text)  # **（三）具体情况**: Markdown emphasis marks name nothing
    for sent_m in _SENTENCE.finditer(text):
        sentence = sent_m.group(0)
        # a short heading sentence before names the subject, as the one before does for a sentence
        # that opens with its comparison ("……支出决算为 2.01 万元。较上年减少 0.19 万元")
        subjectless = bool(previous) and bool(_OPENS_COMPARED.match(sentence))
        lead = previous if len(previous) <= LEAD_MAX or subjectless else ""
        subject = _subject(previous) if subjectless else ""
        previous = sentence
        for m in FIGURE_RE.finditer(sentence):
            unit = normalize_unit(m.group("unit"))
            if not _not_a_figure(sentence, m, unit):
                yield m, unit, sentence, lead, subject


def _subject(sentence: str) -> str:
    """The words of `sentence`'s clause up to its first figure (2024年度一般公共预算财政拨款支出)."""
    for m in FIGURE_RE.finditer(sentence):
        if not _not_a_figure(sentence, m, normalize_unit(m.group("unit"))):
            return _CLAUSE_BREAK.split(sentence[:m.start()])[-1]
    return ""


def prose_facts(chunk: Chunk) -> list[Fact]:
    """The figures of one paragraph chunk as facts citing that chunk (its lines)."""
    out: list[Fact] = []
    for m, unit, sentence, lead, subject in _figures(chunk.text):
        value = to_float(m.group("num"))
        if value is None:
            continue
        before = lead + sentence[:m.start()]
        joined = before
        for term in _ENUMERATED_TERMS:
            joined = joined.replace(term, term.replace("、", ""))
        held = _INNER_BRACKET.sub(lambda b: _HELD_OPEN + b.group(1) + _HELD_CLOSE, _LEVEL_MARKER.sub("", joined))
        parts = [p.replace(_HELD_OPEN, "（").replace(_HELD_CLOSE, "）")  # 卫生健康支出（类）41.39: one clause
                 for p in _CLAUSE_BREAK.split(held)]
        clause = parts[-1] if parts else before
        if not clause.strip() and len(parts) >= 2:
            clause = parts[-2]
        # a counted noun follows its number ("设有4个科室"): the words up to the clause break name it, and
        # in "6个科室和1个办公室" the 1 is of 办公室 alone
        after = _CLAUSE_BREAK.split(sentence[m.end():], 1)[0][:8] if unit in _COUNTED else ""
        if after:  # a number opening its sentence is named by its noun alone, not the sentence before
            after = _JOINED.split(after, 1)[0]
            own = "" if not sentence[:m.start()].strip() else _AFTER_ANOTHER_COUNT.sub("", clause).strip()
            clause = own + after.strip()
        local = "，".join(parts[-2:]) + after
        if subject.strip() and subject not in local:  # "年初预算3850.50万元": of the figure named before
            local = f"{subject.strip()}，{local}"
        out.append(Fact(report_id=chunk.report_id, chunk_id=chunk.chunk_id, kind="prose", table="", row_name="",
                        column="", value=value, raw=m.group("num"), unit=unit, line=chunk.line_start,
                        line_end=chunk.line_end, clause=clause.strip(), local=local,
                        before=before, sentence=sentence))
    out += _zero_statements(chunk)
    return out


_ZERO = [re.compile(p) for p in _LEX["zero_statements"]]
_ZERO_NEXT = re.compile(_LEX["zero_list_item"])
_NOT_NAME_START = re.compile(r"^[^\u4e00-\u9fff“‘\"]+")  # ")公务用车购置费" of "(1)公务用车购置费无支出"


def _zero_statements(chunk: Chunk) -> list[Fact]:
    """Amounts a sentence says are nil without writing a number ("本年度无三公经费支出"): value 0 万元,
    the amount's name as its clause."""
    out: list[Fact] = []
    for sent_m in _SENTENCE.finditer(chunk.text):
        sentence = sent_m.group(0)
        for pattern in _ZERO:
            for m in pattern.finditer(sentence):
                out.append(_zero(chunk, sentence, m))
                # only "无A、B、C" lists its amounts after 无; "A无支出、B…" goes on about something else
                nxt = _ZERO_NEXT.match(sentence, m.end()) if pattern is _ZERO[0] else None
                while nxt is not None:  # 无上级补助收入、事业收入、经营收入
                    out.append(_zero(chunk, sentence, nxt))
                    nxt = _ZERO_NEXT.match(sentence, nxt.end())
    return out


def _zero(chunk: Chunk, sentence: str, m: re.Match) -> Fact:
    return Fact(report_id=chunk.report_id, chunk_id=chunk.chunk_id, kind="prose", table="", row_name="", column="",
                value=0.0, raw="0", unit="万元", line=chunk.line_start, line_end=chunk.line_end,
                clause=_NOT_NAME_START.sub("", m.group("subject")), local=m.group(0).lstrip("、和及"),
                before=sentence[:m.end()], sentence=sentence)
