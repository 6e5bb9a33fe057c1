"""Hybrid search over the real corpus with the default embedding model (built once per session)."""
from __future__ import annotations

import pytest

from conftest import CORPUS


@pytest.fixture(scope="session")
def real_index(backend_engine):
    return backend_engine


def test_hybrid_finds_the_row(real_index):
    hits = real_index.search("汉阳区2021年基本工资", k=3)
    assert any("30101" in c.text and "基本工资" in c.text and "56.60" in c.text for c in hits), \
        [c.text for c in hits]
    assert all(c.unit_name == "武汉市汉阳区大数据中心" for c in hits[:1])


def test_search_filters_by_report(real_index):
    rid = next(r.report_id for r in real_index.reports() if r.region == "硚口区")
    hits = real_index.search("基本工资", k=10, report_id=rid)
    assert hits and all(c.report_id == rid for c in hits)


def test_citation_lines_point_at_the_figure(real_index):
    hit = real_index.search("硚口区2024年福利费", k=3)[0]
    path = CORPUS / hit.source_file  # relative to the corpus (an absolute path stays as it is)
    path = path if path.is_file() else CORPUS.parent / hit.source_file
    lines = path.read_text(encoding="utf-8").split("\n")
    span = "".join(lines[hit.line_start - 1:hit.line_end])
    assert "福利费" in span


def test_passage_has_neighbours(real_index):
    """A passage inside a report names the chunks just before and after it in document order."""
    hit = real_index.search("汉阳区2021年基本工资", k=1)[0]
    chunks = real_index.index.by_report[hit.report_id]  # document order
    pos = next(i for i, c in enumerate(chunks) if c.chunk_id == hit.chunk_id)
    assert 0 < pos < len(chunks) - 1  # the 基本工资 row sits inside the report
    p = real_index.passage(hit.chunk_id)
    assert p.report.year == 2021
    assert (p.prev_chunk_id, p.next_chunk_id) == (chunks[pos - 1].chunk_id, chunks[pos + 1].chunk_id)
