"""The question's words: the index's domain terms found in it, colloquial words replaced by them, the
noise it carries (question words, demonstratives) and the words that frame rather than name a figure.

Every word list comes from lexicon/questions.json and from the indexed reports' own labels.
"""
from __future__ import annotations

import re
from functools import lru_cache

from indexer.lexicon import alternation, load

_FORMS = load("questions.json")["question_word_forms"]


class Vocabulary(list):
    """An index's domain terms, longest first, with the terms of each label found once (labels repeat
    across questions: 政府采购支出总额 is looked up for every question that reaches its row)."""

    def __init__(self, terms=(), columns=(), tag=None):
        super().__init__(terms)
        self._found: dict[str, list[str]] = {}
        self.columns = list(columns)  # every table column name of the index, longest first
        self.text = "\n".join([*self, *self.columns])  # every term and column, for "does a label use this word"
        self.tag = tag  # (word, part of speech) of a text: the index tokenizer's `tagged`, else jieba's own

    def concepts(self, text: str) -> list[str]:
        if text not in self._found:
            self._found[text] = terms_in(text, self)
        return self._found[text]


def terms_in(core: str, vocab: list[str]) -> list[str]:
    """Domain terms in the question, longest first, not overlapping; of two as long that overlap, the
    one read first (高中教育 of "高中教育支出", not 教育支出)."""
    hits = []
    for term in vocab:
        start = core.find(term)
        while start >= 0:
            hits.append((-len(term), start, term))
            start = core.find(term, start + 1)
    found, taken = [], [False] * len(core)
    for _, start, term in sorted(hits):
        if not any(taken[start:start + len(term)]):
            found.append(term)
            taken[start:start + len(term)] = [True] * len(term)
    return list(dict.fromkeys(found))


def apply_synonyms(core: str, lex: dict, vocab: list[str]) -> tuple[str, list[str]]:
    """Replace colloquial words by the report's term, never inside a term the report uses
    ("工资" → 工资福利支出, but 绩效工资 stays)."""
    synonyms, weak = lex["synonyms"], tuple(lex["weak_synonyms"])
    segments: list[tuple[str, bool]] = [(core, False)]  # (text, protected)

    def split(term: str, replace_by: str) -> bool:
        hit = False
        out: list[tuple[str, bool]] = []
        for text, protected in segments:
            if protected or term not in text:
                out.append((text, protected))
                continue
            for part, is_term in _around(text, term, replace_by):
                if part:
                    out.append((part, is_term))
            hit = True
        segments[:] = out
        return hit

    for term in vocab:  # the report's own terms are kept as they are
        split(term, term)
    named = any(p for _, p in segments)  # the question already names a report term
    for word in _straddled(core, synonyms, getattr(vocab, "tag", None) or _jieba_tags):
        split(word, word)
    terms: list[str] = []
    words = [w for w, _ in (getattr(vocab, "tag", None) or _jieba_tags)(core)]
    for key in sorted(synonyms, key=len, reverse=True):
        if key in weak or len(key) == 1 and not any(_COUNTED.fullmatch(w.replace(key, "")) for w in words if key in w):
            continue  # a one-character word only as a word of its own (车, 几辆车; not the 车 of 校车 or 车队)
        # a one-character word adds its terms but keeps the question's own word
        if split(key, synonyms[key][0] if len(key) > 1 else key):
            terms += synonyms[key]
    rest = "".join(t for t, protected in segments if not protected)
    for w in weak:
        rest = rest.replace(w, "")
    rest = strip_noise(rest, lex)
    asked_more = len(re.findall(r"[\u4e00-\u9fff]", rest)) >= 2  # "培训一共花了": not the grand total
    for key in weak:  # generic words ("一共花了") only when nothing more specific is asked
        if key in synonyms and not (named or terms or asked_more):
            if split(key, synonyms[key][0]):
                terms += synonyms[key]
        elif key in synonyms:
            split(key, "")
    return "".join(t for t, _ in segments), list(dict.fromkeys(terms))


_COUNTED = re.compile(f"[\\d{_FORMS['count_characters']}]*")  # 几辆 of 几辆车: a count, no other noun


def _straddled(core: str, keys, tag) -> list[str]:
    """Words of the question that a colloquial word would begin inside and run past ("收入和支出差多少":
    出差 across 支出|差), so that it is no word of the question."""
    hits = [m for key in keys if len(key) > 1 for m in re.finditer(re.escape(key), core)]
    if not hits:
        return []
    spans, pos = [], 0
    for word, _ in tag(core):
        at = core.find(word, pos)
        if at >= 0:
            spans.append((at, at + len(word), word))
            pos = at + len(word)
    return [w for m in hits for a, b, w in spans if a < m.start() < b < m.end()]


_ASIDE = re.compile(r"（[^（）]*）|\([^()]*\)")


def _around(text: str, key: str, term: str) -> list[tuple[str, bool]]:
    """`text` split at each `key`, the key replaced by `term`. Where the characters around the key
    already spell the term's own ("因公出国费" for 出国 → 因公出国（境）费), that whole spelling is
    replaced, not only the key inside it."""
    bare = _ASIDE.sub("", term)
    at = bare.find(key)
    out: list[tuple[str, bool]] = []
    start = 0
    for m in re.finditer(re.escape(key), text):
        i, j = m.start(), m.end()
        if at >= 0 and i >= start:
            left, right = bare[:at], bare[at + len(key):]
            while left and i > start and text[i - 1] == left[-1]:
                i, left = i - 1, left[:-1]
            while right and j < len(text) and text[j] == right[0]:
                j, right = j + 1, right[1:]
        if i < start:
            continue
        out += [(text[start:i], False), (term, True)]
        start = j
    out.append((text[start:], False))
    return out


@lru_cache(maxsize=4)
def _noise_re(words: tuple[str, ...]) -> re.Pattern:
    return re.compile(alternation(words, longest_first=True))


def _noise_words(lex: dict) -> re.Pattern:
    return _noise_re(tuple(lex["question_noise"] + lex["compare_noise"] + list(lex["relative_years"])))


def blank_noise(text: str, lex: dict) -> str:
    """The text with the lexicon's noise patterns blanked (这几个大数据中心里: its 几个 counts reports,
    no unit asked of the figure)."""
    for pat in lex["noise_patterns"]:
        text = re.sub(pat, lambda m: " " * len(m.group(0)), text)
    return text


def strip_noise(text: str, lex: dict) -> str:
    """Question words, comparison words, a relative year (去年 names the report, not the figure) and
    demonstratives (该局, 这个中心) removed."""
    text = _noise_words(lex).sub("", text)  # leftmost first: 花了多少 loses 花了 and 多少, not 了多少
    for pat in lex["noise_patterns"]:
        text = re.sub(pat, "", text)
    return text


@lru_cache(maxsize=1)
def _meaningful_words() -> str:
    """Lexicon words that carry meaning wherever they stand (changes, budget vs actual, synonyms)."""
    lex = load("questions.json")
    words = lex["change_words"] + lex["budget_words"] + lex["actual_label_words"] + lex["side_words"]
    words += [w for ws in lex["direction_words"].values() for w in ws]
    words += [w for k, ws in lex["synonyms"].items() for w in (k, *ws)]
    words += [w for k, ws in lex["concept_equivalents"].items() for w in (k, *ws)]
    return "\n" + "\n".join(words)


def framing_in(core: str, labels: str, tag=None) -> frozenset[int]:
    """Positions of `core` held by words that frame the question rather than name a figure: function
    words by their part of speech (在, 的, 这个), and words no label of the index uses that are no
    nouns (想了解, 一下, 花了). Such words are left out when a label is checked for what it explains."""
    return split_words(core, labels, tag)[1]


def content_words(core: str, labels: str, tag=None) -> tuple[str, ...]:
    """The question core's words of two or more characters that do not frame it (服务, 采购 of 服务类采购)."""
    return split_words(core, labels, tag)[0]


def _jieba_tags(text: str) -> list[tuple[str, str]]:
    """jieba's own dictionary: only where no index tokenizer is given (tests on records)."""
    import jieba.posseg

    return [(t.word, t.flag) for t in jieba.posseg.cut(text)]


@lru_cache(maxsize=1 << 14)
def split_words(core: str, labels: str, tag=None) -> tuple[tuple[str, ...], frozenset[int]]:
    framing_pos, framing_words = frozenset(_FORMS["framing_pos"]), frozenset(_FORMS["framing_words"])
    content = tuple(_FORMS["content_pos_prefixes"])
    meaningful = _meaningful_words()
    framed: set[int] = set()
    words: list[str] = []
    start = 0
    for word, flag in (tag or _jieba_tags)(core):
        at = core.find(word, start)
        if at < 0:
            continue
        start = at + len(word)
        used = word in labels or len(word) > 1 and word in meaningful  # 花 is no word of 花费
        if not re.search(r"[0-9%]", word) and (flag in framing_pos or word in framing_words
                                                or (not flag.startswith(content) and not used)):
            framed.update(range(at, at + len(word)))
        elif len(word) >= 2:
            words.append(word)
    return tuple(words), frozenset(framed)
