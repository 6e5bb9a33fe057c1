"""The engine boundary: what the HTTP service and the command line may ask of an answering engine.

`retriever.engine.Engine` implements it over a loaded index; `tests/api_fakes.FakeEngine`
implements it for the HTTP tests. Every method returns the pydantic models of `indexer.models`,
so the web layer passes them through without reshaping.
"""
from __future__ import annotations

from typing import Optional, Protocol, runtime_checkable

from indexer.models import AskResponse, Citation, IndexStats, PassageResponse, ReportInfo, VerifyResponse


@runtime_checkable
class ReportEngine(Protocol):
    model_id: str  # the embedding model the index was built with
    version: str  # the index version directory

    def ask(self, question: str, top_k: int = 5, report_id: Optional[str] = None,
            year: Optional[int] = None, unit: Optional[str] = None,
            history: Optional[list[str]] = None) -> AskResponse:
        """Answer one question; `history` holds the earlier questions of the conversation, oldest first."""
        ...

    def search(self, q: str, k: int = 10, report_id: Optional[str] = None) -> list[Citation]:
        """The passages that best match `q`, best first."""
        ...

    def passage(self, chunk_id: str) -> Optional[PassageResponse]:
        """One passage with its neighbours, or None for an unknown id."""
        ...

    def reports(self) -> list[ReportInfo]:
        """Every indexed report."""
        ...

    def verify(self, claim: str) -> VerifyResponse:
        """Check each number of a claim against the reports."""
        ...

    def stats(self) -> IndexStats:
        """Model, version and counts of the loaded index."""
        ...
