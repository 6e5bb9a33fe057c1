"""Figures stated in prose: every number in a narrative paragraph, with its unit and the words
before it ("政府采购支出总额 3,087.07 万元", "在职实有人数 11 人", "完成年初预算的 102.47%")."""
from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.lexicon import load
from indexer.numbers import is_code_at, to_float

from .index import ChunkRec

_UNITS = sorted(load("questions.json")["prose_units"], key=len, reverse=True)
_FIG = re.compile(
    r"(?<![\d.,])(?P<num>-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*"
    r"(?P<unit>" + "|".join(re.escape(u) for u in _UNITS) + ")?"
)
_COUNTED = set(load("questions.json")["counted_units"])
_CLAUSE_BREAK = re.compile(r"[，,；;。：:！？、（）()]")
_YEARISH = re.compile(r"^(19|20)\d\d$")


@dataclass
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
    line_start: int
    line_end: int


def _unit(u: str | None) -> str:
    if not u:
        return ""
    return {"％": "%", "台(套)": "台（套）"}.get(u, u)


def extract(chunk: ChunkRec) -> list[ProseFigure]:
    out: list[ProseFigure] = []
    text = chunk.text
    previous = ""
    for sent_m in re.finditer(r"[^。！？]+[。！？]?", text):
        sentence = sent_m.group(0)
        # a short heading-like sentence before ("1.一般公共服务支出(类)。") names the subject
        lead = previous if len(previous) <= 40 else ""
        previous = sentence
        for m in _FIG.finditer(sentence):
            raw, unit = m.group("num"), _unit(m.group("unit"))
            after = sentence[m.end():m.end() + 1]
            if _YEARISH.match(raw) and (not unit) and after in ("年", ""):
                continue  # a year, not a figure
            if not unit and after in ("月", "日", "年", "号", "季", "期", "级", "类", "款", "项"):
                continue
            if unit == "" and re.match(r"\d{3,7}$", raw) and "年" not in sentence[m.end():m.end() + 2]:
                # bare codes like 2010350 in prose are labels, not figures
                if len(raw) in (3, 5, 7):
                    continue
            if is_code_at(sentence, m.start()):
                continue  # "一般公共服务支出 201万元": 201 is the class code
            before = lead + sentence[:m.start()]
            parts = _CLAUSE_BREAK.split(before)
            clause = parts[-1] if parts else before
            if not clause.strip() and len(parts) >= 2:
                clause = parts[-2]
            # a counted noun follows its number ("设有4个科室"): the words up to the clause break
            after = _CLAUSE_BREAK.split(sentence[m.end():], 1)[0][:8] if unit in _COUNTED else ""
            local = "，".join(parts[-2:]) + after
            value = to_float(raw)
            if value is None:
                continue
            out.append(ProseFigure(chunk.report_id, chunk.chunk_id, value, raw, unit, clause.strip(), local,
                                   before, sentence, chunk.line_start, chunk.line_end))
    return out
