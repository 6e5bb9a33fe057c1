"""Figures stated in prose, as the scoring reads them: a read-only view of one prose fact.

The figures are found at index time (indexer/prose_facts.py, run by the chunker) and stored as facts
with kind="prose"; the retriever never reads numbers out of paragraphs itself.
"""
from __future__ import annotations

from dataclasses import dataclass

from indexer.models import Fact


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

    @classmethod
    def of(cls, f: Fact) -> "ProseFigure":
        return cls(f.report_id, f.chunk_id or "", f.value, f.raw, f.unit, f.clause, f.local, f.before, f.sentence,
                   f.line, f.line_end or f.line)
