"""Questions answered by a passage, not a figure: why a figure changed (为什么增加), what a unit is
(隶属于哪个部门). The answer quotes the report's own sentence and cites it; it gives no number, so
it can never give a wrong one."""
from __future__ import annotations

import re
from typing import Optional

from indexer.lexicon import load
from indexer.models import AskResponse

from .compose import citation, who
from .match import bigrams, key_bigrams
from .query import Question
from .thresholds import PASSAGE_MIN

_SENTENCE = re.compile(r"[^。！？；]+[。！？；]?")


def asks_passage(q: Question) -> bool:
    """The question asks a reason or a description and no figure."""
    lex = load("questions.json")
    if any(w in q.norm for w in lex["figure_question_words"]):
        return False
    return any(w in q.norm for w in lex["passage_words"]["reason"] + lex["passage_words"]["describe"])


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def explain(q: Question, index, qvec=None) -> Optional[AskResponse]:
    """The report's sentence that best answers the question (a reason marker preferred when asked why)."""
    r = q.single
    if r is None:
        return None
    lex = load("questions.json")["passage_words"]
    wants_reason = any(w in q.norm for w in lex["reason"])
    key = key_bigrams(q)
    if not key:
        return None
    best: tuple[float, str, str] = (0.0, "", "")
    for chunk, _ in index.hybrid(q.core, qvec, {r.report_id}, k=8):
        for sent in _sentences(chunk.text):
            score = len(key & bigrams(sent)) / len(key)
            if wants_reason and any(m in sent for m in lex["reason_markers"]):
                score += 0.5
            if score > best[0]:
                best = (score, sent, chunk.chunk_id)
    if best[0] < PASSAGE_MIN:
        return None
    cite = citation(index, best[2], "c1", round(best[0], 3))
    answer = f"据{who(index, r.report_id)}报告：{best[1]}"
    return AskResponse(question=q.text, found=True, answer=answer, values=[], citations=[cite],
                       confidence=round(min(0.9, best[0] / 1.5), 3))
