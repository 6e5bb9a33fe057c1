"""read → parse: one report file into a `ParsedReport` (metadata, sections, paragraphs, tables,
facts, identity checks)."""
from __future__ import annotations

from pathlib import Path

from .checks import check_tables
from .facts import table_facts
from .lexicon import load, squash
from .metadata import build_meta
from .models import Check, Document, ParsedReport, Table
from .narrative import build_paragraphs

from .sections import build_sections, heading_level, is_toc_line, section_at, wrap_width
from .layouts import parse_block_reported
from .tables import find_blocks, find_untitled_blocks, items_as_rows


def _toc_lines(lines: list[str]) -> set[int]:
    """Table-of-contents lines: list items ("- 一、…"), and everything from "目录" to the line
    that repeats the first entry (where the body starts)."""
    skip = {no for no, raw in enumerate(lines, start=1) if is_toc_line(raw)}
    squashed = [squash(l).lstrip("-*•") for l in lines]
    for i, t in enumerate(squashed[:80]):
        if t not in load("document.json")["toc_titles"]:
            continue
        first = next((k for k in range(i + 1, len(lines)) if squashed[k]), None)
        if first is None:
            break
        again = next((k for k in range(first + 1, len(lines)) if squashed[k] == squashed[first]), None)
        if again is not None and again - i < 120:
            skip.update(range(i + 1, again + 1))
        else:
            skip.add(i + 1)
        break
    return skip


def _parse_tables(lines: list[str], toc: set[int]) -> tuple[list[Table], list[Check]]:
    """The tables of a report (those with rows or notes): titled blocks first, then tables without a
    template title in the lines left over; and the checks their layouts report."""
    tables: list[Table] = []
    reported: list[Check] = []
    for block in find_blocks(lines, toc):
        table, checks = parse_block_reported(block)
        table = items_as_rows(table)
        if table.rows or table.notes:
            tables.append(table)
            reported += checks
    taken = set(toc)
    for t in tables:
        taken.update(range(t.line_start, t.line_end + 1))
    for block in find_untitled_blocks(lines, taken):
        table, checks = parse_block_reported(block)
        if table.rows:
            tables.append(table)
            reported += checks
    tables.sort(key=lambda t: t.line_start)
    return tables, reported


def parse_document(doc: Document) -> ParsedReport:
    lines = doc.lines
    meta = build_meta(doc)
    toc = _toc_lines(lines)

    tables, solver_checks = _parse_tables(lines, toc)
    in_table: set[int] = set()
    for t in tables:
        in_table.update(range(t.line_start, t.line_end + 1))

    width = wrap_width([l for i, l in enumerate(lines, 1) if i not in in_table])
    headings = {no: lvl for no, raw in enumerate(lines, start=1)
                if no not in in_table and no not in toc and (lvl := heading_level(raw, width))}
    sections = build_sections(lines, headings)
    for t in tables:
        t.section = section_at(sections, t.line_start)
    paragraphs = build_paragraphs(lines, in_table | toc, set(headings), sections, width)

    return ParsedReport(
        report=meta, sections=sections, paragraphs=paragraphs, tables=tables,
        facts=table_facts(meta.report_id, tables), checks=check_tables(tables) + solver_checks,
        line_count=len(lines),
    )


def parse_file(path: str | Path) -> ParsedReport:
    from .readers import read_document

    return parse_document(read_document(path))
