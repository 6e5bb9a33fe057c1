"""The generated question suite (issue 12 item 7): questions from templates over every indexed fact.

    from bench.qsuite import generate_suite, run_suite
    items = generate_suite(index)                 # retriever.index.LoadedIndex → gold-format dicts
    out = run_suite(engine, items, hook=None)     # {"summary": …, "results": […]}

`hook(item, response, result)` sees every answer (to collect ranker features); fit on items with
`held_out == False` only. Command line: `python -m bench.qgen --index-dir DIR [--out FILE] [--eval]`.
"""
from __future__ import annotations

import random
from typing import Optional

from .generate import answerable
from .lexicon import Lexicon, load_lexicon
from .names import report_names
from .run import run_suite, score_suite_item, summarize_suite
from .unanswerable import unanswerable

SEED = 20261201

__all__ = ["generate_suite", "run_suite", "score_suite_item", "summarize_suite", "SEED"]


def generate_suite(index, seed: int = SEED, per_fact: int = 3, unanswerable_per_kind: int = 8,
                   lexicon: Optional[Lexicon] = None) -> list[dict]:
    """Every table fact of every named report asked `per_fact` ways (0 = every template), plus
    unanswerable variants; deterministic for a given index, seed and lexicon."""
    lex = lexicon or load_lexicon()
    names = report_names(index)
    facts_by: dict[str, list] = {}
    for f in index.facts:
        if f.kind == "table":  # prose figures have no row and column to ask by
            facts_by.setdefault(f.report_id, []).append(f)
    items: list[dict] = []
    for rid in sorted(names):
        rng = random.Random(f"{seed}:{rid}")
        items += answerable(names[rid], facts_by.get(rid, []), lex, rng, per_fact)
    items += unanswerable(index, names, lex, random.Random(f"{seed}:unanswerable"), unanswerable_per_kind)
    for i, it in enumerate(items, start=1):
        it["id"] = f"gen-{i:05d}"
    return [{"id": it.pop("id"), **it} for it in items]


def suite_meta(index, items: list[dict]) -> dict:
    """What the suite covers: reports asked about, and reports left out (no unit name to ask by)."""
    names = report_names(index)
    return {
        "n": len(items),
        "answerable": sum(it["kind"] != "unanswerable" for it in items),
        "unanswerable": sum(it["kind"] == "unanswerable" for it in items),
        "held_out": sum(bool(it["held_out"]) for it in items),
        "reports": len(names),
        "reports_without_unit_name": sorted(r.source_file for r in index.reports.values()
                                            if r.report_id not in names),
        "facts": sum(f.kind == "table" for f in index.facts),
        "facts_asked": len({(it["expected_report_id"], it["expected"]["line"], it["expected"]["column"])
                            for it in items if it.get("expected")}),
    }
