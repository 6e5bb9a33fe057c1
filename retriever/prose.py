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


def by_report(facts: list[Fact]) -> dict[str, list[ProseFigure]]:
    """The prose facts of an index as figures, grouped by report, in stored (document) order."""
    out: dict[str, list[ProseFigure]] = {}
    for f in facts:
        if f.kind == "prose":
            out.setdefault(f.report_id, []).append(ProseFigure.of(f))
    return out
