"""Figures stated in prose, as the scoring reads them: a read-only view of one prose fact.

The figures are found at index time (indexer/prose_facts.py, run by the chunker) and stored as facts
with kind="prose"; the retriever never reads numbers out of paragraphs itself.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from indexer.lexicon import load
from indexer.models import Fact


LAST_YEAR = load("questions.json")["comparison_forms"][0][1]  # how `against_last_year` writes them all (比上年)


@lru_cache(maxsize=64)
def _comparison_forms(year: Optional[int]) -> tuple[tuple[re.Pattern, str], ...]:
    # no report year: no year number is last year; 2021 may be written 21
    prev = rf"(?:{str(year - 1)[:2]})?{str(year - 1)[2:]}" if year else r"(?!)"
    return tuple((re.compile(pat.replace("{prev}", prev)), to) for pat, to in load("questions.json")["comparison_forms"])


def against_last_year(text: str, year: Optional[int] = None) -> str:
    """`text` with every way of saying "against last year" written 比上年 (与上年相比增加, 较2021年少了 in
    a 2022 report, 同比增长), so a question and a sentence saying it differently share its words."""
    for pat, to in _comparison_forms(year):
        text = pat.sub(to, text)
    return text


_EXCLUDED = re.compile(load("questions.json")["exclusion_pattern"])


def without_exclusions(text: str) -> str:
    """`text` without what it says a figure leaves out ("设备（不含车辆）0台": no figure of 车辆)."""
    return _EXCLUDED.sub("", text)


_SHARE_BASE = re.compile(load("questions.json")["share_base_pattern"])


def without_other_shares(text: str, clause: str) -> str:
    """The context `text` of a figure whose own clause is `clause`, without the bases of shares stated
    before that clause ("占本年收入 99.99%；其他收入 0.22": 0.22 is no figure of 本年收入)."""
    k = text.rfind(clause.strip()) if clause.strip() else -1
    head, tail = (text[:k], text[k:]) if k >= 0 else (text, "")
    return _SHARE_BASE.sub("", head) + tail


@dataclass(frozen=True)
class ProseFigure:
    report_id: str
    chunk_id: str
    value: float
    raw: str  # the number as written
    unit: str
    clause: str  # words of the same clause before the number
    local: str  # this clause and the one before it (the subject often sits there)
    before: str  # sentence text before the number (wider context)
    sentence: str
    line_start: int  # the paragraph's lines
    line_end: int
    lead: str = ""  # a short sentence before this one, read with it (`before` starts with it)

    @classmethod
    def of(cls, f: Fact, year: Optional[int] = None) -> "ProseFigure":
        """The figure of a prose fact; its clause and context say "against last year" as 比上年
        (`against_last_year`), its sentence stays as written (it is quoted)."""
        clause, local, before = (without_exclusions(against_last_year(t or "", year))
                                 for t in (f.clause, f.local, f.before))
        said = [clause, without_other_shares(local, clause), without_other_shares(before, clause)]
        return cls(f.report_id, f.chunk_id or "", f.value, f.raw, f.unit, *said, f.sentence, f.line, f.line_end or f.line,
                   against_last_year(_lead(f.before or "", f.sentence or ""), year))


def _lead(before: str, sentence: str) -> str:
    """The part of `before` ahead of the figure's own sentence: the short sentence the index joined to
    it as its heading (indexer/prose_facts.py), "" when there is none."""
    for k in range(min(len(before), len(sentence)), -1, -1):
        if before.endswith(sentence[:k]):
            return before[:len(before) - k]
    return ""

