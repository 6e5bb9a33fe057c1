"""parse → chunk: one chunk per table row and one per narrative paragraph, and the report's facts.

Every chunk's `text` is what a user sees as a citation (figures exactly as written); its
`embed_text` carries the report name and the section or table title in front, which is what
makes rows of different tables and reports distinguishable for both BM25 and the dense model.
Each fact carries the id of the chunk citing it: a table cell its row's chunk, a figure stated in
prose (indexer/prose_facts.py) its paragraph's chunk.
"""
from __future__ import annotations

import hashlib
from typing import Optional

from .facts import table_facts
from .prose_facts import prose_facts
from .models import Chunk, Fact, ParsedReport, Row, Table

SEP = "｜"


def _chunk_id(report_id: str, kind: str, line: int, text: str) -> str:
    digest = hashlib.sha1(f"{report_id}|{kind}|{line}|{text}".encode("utf-8")).hexdigest()
    return f"{report_id}-{digest[:12]}"


def render_row(table: Table, row: Row) -> str:
    """A row as one self-contained line: code, name, and each non-empty column with its figure."""
    label = " ".join(x for x in (row.code, row.name) if x)
    cells = []
    for c in row.cells:
        raw = c.raw.strip()
        if c.value is not None and not c.unit and table.unit:
            raw = f"{raw}{table.unit}"
        cells.append(f"{c.column} {raw}")
    return f"{table.title}{SEP}{label}{SEP}" + "；".join(cells)


def section_title(path: str) -> str:
    return path.split(" > ")[-1] if path else ""


def page_of(pages: Optional[list[int]], line: int) -> Optional[int]:
    """1-based PDF page of a 1-based line; None for text files (no pages)."""
    return pages[line - 1] if pages and 0 < line <= len(pages) else None


def chunk_report(report: ParsedReport, pages: Optional[list[int]] = None) -> tuple[list[Chunk], list[Fact]]:
    """Chunks in document order, and the report's facts: its table facts (each with the id of the row
    chunk that cites it), then the figures stated in its paragraphs (kind="prose", in chunk order).
    `pages` (the Document's page of each line, PDFs only) gives each chunk its page."""
    meta = report.report
    prefix = meta.title or f"{meta.unit_name or ''}{meta.year or ''}"
    items: list[tuple[int, Chunk, tuple[int, int] | None]] = []
    for ti, table in enumerate(report.tables):
        for ri, row in enumerate(table.rows):
            if not row.cells:
                continue
            text = render_row(table, row)
            chunk = Chunk(chunk_id=_chunk_id(meta.report_id, "row", row.line_start, text),
                          report_id=meta.report_id, kind="table_row", text=text,
                          embed_text=f"{prefix}{SEP}{text}", section=table.section or table.title,
                          line_start=row.line_start, line_end=row.line_end, order=0,
                          page=page_of(pages, row.line_start))
            items.append((row.line_start, chunk, (ti, ri)))
    for p in report.paragraphs:
        heading = section_title(p.section)
        chunk = Chunk(chunk_id=_chunk_id(meta.report_id, "para", p.line_start, p.text),
                      report_id=meta.report_id, kind="paragraph", text=p.text,
                      embed_text=f"{prefix}{SEP}{heading}{SEP}{p.text}" if heading else f"{prefix}{SEP}{p.text}",
                      section=p.section, line_start=p.line_start, line_end=p.line_end, order=0,
                      page=page_of(pages, p.line_start))
        items.append((p.line_start, chunk, None))
    items.sort(key=lambda x: (x[0], x[1].kind))
    chunks, row_chunk = [], {}
    seen: set[str] = set()
    for order, (_, chunk, key) in enumerate(items):
        if chunk.chunk_id in seen:  # identical text on the same line: keep one
            if key is not None:
                row_chunk[key] = chunk.chunk_id
            continue
        seen.add(chunk.chunk_id)
        chunk.order = len(chunks)
        chunks.append(chunk)
        if key is not None:
            row_chunk[key] = chunk.chunk_id
    prose = [f for c in chunks if c.kind == "paragraph" for f in prose_facts(c)]
    return chunks, table_facts(meta.report_id, report.tables, row_chunk) + prose
