"""Chinese tokens for BM25: jieba's search-mode cut with a domain dictionary, so that table,
column and place names and codes stay whole. Index and queries use the same word list."""
from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from typing import Iterable

import jieba

from .lexicon import LEXICON_DIR, load

jieba.setLogLevel(logging.WARNING)
_KEEP = re.compile(r"[\w\u4e00-\u9fff%．.]+")
_CJK2 = re.compile(r"[\u4e00-\u9fff]{2,}")
_STOP = frozenset(load("questions.json")["stop_tokens"])
_lock = threading.Lock()


def base_terms() -> list[str]:
    return [w.strip() for w in (LEXICON_DIR / "terms.txt").read_text(encoding="utf-8").splitlines() if w.strip()]


@lru_cache(maxsize=8)
def _tokenizer(words: tuple[str, ...]) -> jieba.Tokenizer:
    tk = jieba.Tokenizer()
    tk.initialize()
    for w in words:
        tk.add_word(w, freq=2000)
    return tk


class Tokenizer:
    """jieba with the domain dictionary plus the extra words of one index (row names, units)."""

    def __init__(self, extra_words: Iterable[str] = ()):
        words = sorted(set(base_terms()) | {w for w in extra_words if 2 <= len(w) <= 20})
        self.words = words
        with _lock:
            self._tk = _tokenizer(tuple(words))

    def tagged(self, text: str) -> list[tuple[str, str]]:
        """(word, part of speech) on the same dictionary; a domain word jieba has no tag for is a noun
        phrase ("nz"). No second dictionary is loaded."""
        if getattr(self, "_pos", None) is None:
            import jieba.posseg

            with _lock:
                self._pos = jieba.posseg.POSTokenizer(self._tk)
        return [(t.word, "nz" if t.flag == "x" and _CJK2.fullmatch(t.word) else t.flag)
                for t in self._pos.cut(text)]

    def tokens(self, text: str) -> list[str]:
        out = []
        for tok in self._tk.lcut_for_search(text):
            tok = tok.strip().lower()
            if tok and tok not in _STOP and _KEEP.fullmatch(tok):
                out.append(tok)
        return out

    def batch(self, texts: Iterable[str]) -> list[list[str]]:
        return [self.tokens(t) for t in texts]
