"""Questions answered by a passage, not a figure: why a figure changed (为什么增加), what a unit is
(隶属于哪个部门). The answer quotes the report's own sentence and cites it; it gives no number, so
it can never give a wrong one."""
from __future__ import annotations

import re
from typing import Optional

from indexer.lexicon import alternation, load
from indexer.models import AskResponse

from .compose import citation, who
from .match import GENERIC_BIGRAMS, bigrams, key_bigrams
from .query import Question, subject_of
from .thresholds import PASSAGE_MIN

_SENTENCE = re.compile(r"[^。！？；]+[。！？；]?")
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．])[^。！？；，,]{0,40}$")


def asks_passage(q: Question) -> bool:
    """The question asks a reason or a description and no figure."""
    lex = load("questions.json")
    if any(w in q.norm for w in lex["figure_question_words"]):
        return False
    asks = lex["passage_words"]
    return any(w in q.norm for w in asks["reason"] + asks["describe"] + asks["purpose_asks"])


def _subject_bigrams(q: Question) -> list[frozenset[str]]:
    """The bigrams of each name of the figure a reason is asked of: the question's domain terms, else its
    words without how it is asked (为什么, 增加) — a follow-up may name none (减少的原因是什么)."""
    named = q.concepts or [subject_of(_ASKED_HOW.sub("", q.core))]
    return [bigrams(w) - GENERIC_BIGRAMS for w in named if w]


def _about(subject: list[frozenset[str]], text: str) -> bool:
    """The text (a sentence and the two before it) speaks of the figure asked, half its bigrams at least:
    a reason given for 因公出国费 is no reason for 一般公共预算财政拨款支出."""
    have = bigrams(text)
    return all(len(b & have) * 2 >= len(b) for b in subject)


def _asked_how_words() -> re.Pattern:
    lex = load("questions.json")
    words = lex["passage_words"]["reason"] + lex["passage_words"]["question_words"] + lex["change_words"]
    words += [w for ws in lex["direction_words"].values() for w in ws]
    return re.compile(alternation(words, longest_first=True))


_ASKED_HOW = _asked_how_words()  # 为什么, 增加, 下降: how the figure is asked about, not which


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def _says_purpose(sentence: str, lex: dict) -> bool:
    return any(m in sentence for m in lex["purpose_markers"])


def explain(q: Question, index, qvec=None) -> Optional[AskResponse]:
    """The report's sentence that best answers the question (a reason marker preferred when asked why)."""
    r = q.single
    if r is None:
        return None
    lex = load("questions.json")["passage_words"]
    wants_reason = any(w in q.norm for w in lex["reason"])
    wants_purpose = any(w in q.norm for w in lex["purpose_asks"])  # 主要用于什么: the sentence saying what for
    key = key_bigrams(q)
    if not key:
        return None
    subject = _subject_bigrams(q) if wants_reason else []
    best: tuple[float, str, str] = (0.0, "", "")
    for chunk, _ in index.hybrid(q.core, qvec, {r.report_id}, k=8):
        if chunk.kind != "paragraph":
            continue  # a table row states figures, not reasons or purposes
        sentences = _sentences(chunk.text)
        for k, sent in enumerate(sentences):
            if _HEADING.match(sent):
                continue  # a heading names the topic and answers nothing
            if wants_purpose and not _says_purpose(sent, lex):
                nxt = sentences[k + 1] if k + 1 < len(sentences) else ""
                if not _says_purpose(nxt, lex):
                    continue  # asked what for: only a sentence saying so (or its figure's and the next)
                sent = sent + nxt
            marked = any(m in sent for m in lex["reason_markers"])
            if wants_reason and not (marked and _about(subject, "".join(sentences[max(0, k - 2):k + 1]))):
                continue  # asked why: only a sentence giving a reason, and of the figure asked, answers
            score = len(key & bigrams(sent)) / len(key) + (0.5 if marked and wants_reason else 0.0)
            if score > best[0]:
                best = (score, sent, chunk.chunk_id)
    if best[0] < PASSAGE_MIN:
        return None
    cite = citation(index, best[2], "c1", round(best[0], 3))
    answer = f"据{who(index, r.report_id)}报告：{best[1]}"
    return AskResponse(question=q.text, found=True, answer=answer, values=[], citations=[cite],
                       confidence=round(min(0.9, best[0] / 1.5), 3))
