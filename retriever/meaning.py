"""Meaning where the words differ: the question words that no label of a row explains ("评分", "年初定的
目标") compared in meaning with the columns of that row ("得分", "年初目标值", "实际完成值") by the index's
own embedding model. The closest column gains the `column_meaning` signal, the others lose it.

Only rows the question already names are looked at, and only when they offer two or more columns
and no column is named word for word: the words decide first, meaning only breaks their ties.
"""
from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from indexer.lexicon import squash

from . import rank
from .match import Candidate, unexplained_runs
from .query import Question

ROW_EVIDENCE = ("row_in_question", "row_shortened", "term_is_row", "code_hit")
SCALE = 0.05  # a cosine lead of this much is a full signal (e5 cosines of short labels lie within 0.8–0.95)


def residue(q: Question, label: str) -> str:
    """The question words `label` leaves unexplained (`match.unexplained_runs`), joined by spaces."""
    return " ".join(unexplained_runs(q, label))


class ColumnMeaning:
    """Adds `column_meaning` to table candidates; column vectors are cached (columns repeat)."""

    def __init__(self, encode_query: Callable[[str], np.ndarray],
                 encode_passages: Callable[[list[str]], np.ndarray]):
        self._query, self._passages = encode_query, encode_passages
        self._columns: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _vectors(self, columns: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            new = [c for c in columns if c not in self._columns]
            if new:
                for c, v in zip(new, self._passages(new)):
                    self._columns[c] = np.asarray(v, np.float32).reshape(-1)
            return {c: self._columns[c] for c in columns}

    def apply(self, q: Question, cands: list[Candidate]) -> None:
        groups: dict[tuple, list[Candidate]] = {}
        for c in cands:
            f = c.features
            if c.kind == "table" and c.fact is not None and any(k in f for k in ROW_EVIDENCE):
                groups.setdefault((c.report_id, c.fact.table, c.fact.row_name), []).append(c)
        asked: dict[str, np.ndarray] = {}  # residue → its vector
        for group in groups.values():
            if any("column_in_question" in c.features for c in group):
                continue  # a column named word for word decides
            segs = [squash(c.column).split("/")[-1] for c in group]
            columns = sorted({s for s in segs if s})
            if len(columns) < 2:
                continue
            f = group[0].fact
            words = residue(q, f"{f.table}{f.table_title}{f.row_name}")
            if not words:
                continue
            if words not in asked:
                with self._lock:
                    asked[words] = np.asarray(self._query(words), np.float32).reshape(-1)
            qvec = asked[words]
            vecs = self._vectors(columns)
            sims = {col: float(vecs[col] @ qvec) for col in columns}
            for c, seg in zip(group, segs):
                own = sims.get(seg)
                if own is None:
                    continue
                lead = own - max(s for col, s in sims.items() if col != seg)
                value = float(np.clip(lead / SCALE, -1.0, 1.0))
                if value:
                    c.features["column_meaning"] = round(value, 3)
                    c.score += rank.weighed("table", {"column_meaning": value})
