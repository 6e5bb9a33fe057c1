"""Meaning breaks ties the words leave: question words no label explains, compared with the columns
of the row the question names (in-memory candidates, a fake encoder with known vectors)."""
from __future__ import annotations

import numpy as np
import pytest

from indexer.models import Fact
from retriever.match import table_candidates
from retriever.meaning import ColumnMeaning, residue
from retriever.query import Question
from retriever.words import Vocabulary

VECTORS = {"评分": [1.0, 0.0, 0.0], "得分": [0.96, 0.28, 0.0], "实际完成值": [0.8, 0.6, 0.0],
           "年初目标值": [0.6, 0.8, 0.0]}


class FakeEncoder:
    def __init__(self):
        self.queries: list[str] = []
        self.passages: list[str] = []

    def query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return np.array(VECTORS[text], np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        self.passages += texts
        return np.array([VECTORS[t] for t in texts], np.float32)


def question(core: str) -> Question:
    return Question(text=core, norm=core, core=core, vocab=Vocabulary())


def fact(row: str, column: str, value: float) -> Fact:
    return Fact(report_id="r1", table="项目支出绩效自评表", table_title="项目支出绩效自评表", row_name=row,
                column=column, value=value, raw=str(value), unit="", line=10, line_end=10, chunk_id="c10")


def row_cells(row: str = "网络安全设施维护保障率"):
    return [fact(row, col, v) for col, v in (("年初目标值", 100.0), ("实际完成值", 99.0), ("得分", 6.0))]


def test_residue_is_what_the_label_leaves_unexplained():
    assert residue(question("网络安全设施维护保障率评分"), "网络安全设施维护保障率") == "评分"
    assert residue(question("网络安全设施维护保障率"), "网络安全设施维护保障率") == ""


def test_the_closest_column_gains_and_the_others_lose():
    enc = FakeEncoder()
    q = question("网络安全设施维护保障率评分")
    cands = table_candidates(q, row_cells())
    before = {c.column: c.score for c in cands}
    ColumnMeaning(enc.query, enc.encode).apply(q, cands)
    gain = {c.column: c.features.get("column_meaning", 0.0) for c in cands}
    assert gain["得分"] == pytest.approx(1.0) and gain["实际完成值"] < 0 and gain["年初目标值"] == -1.0
    assert max(cands, key=lambda c: c.score).column == "得分"
    assert all(c.score != before[c.column] for c in cands)
    assert enc.queries == ["评分"]


def test_columns_are_encoded_once_and_a_named_column_is_left_to_the_words():
    enc = FakeEncoder()
    meaning = ColumnMeaning(enc.query, enc.encode)
    for _ in range(2):
        q = question("网络安全设施维护保障率评分")
        meaning.apply(q, table_candidates(q, row_cells()))
    assert sorted(enc.passages) == ["实际完成值", "年初目标值", "得分"]
    named = question("网络安全设施维护保障率得分")
    cands = table_candidates(named, row_cells())
    meaning.apply(named, cands)
    assert not any("column_meaning" in c.features for c in cands)
