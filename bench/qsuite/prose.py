"""Questions on figures stated in sentences (the prose suite): measured, never fitted.

The main suite asks table cells; the prose weights (`retriever/rank.py` PROSE_WEIGHTS) are hand-set, so
their questions are all held out. A figure is asked when its clause names exactly one domain term of
the index and little else ("2022年公务接待费支出7.8万元" → 公务接待费支出), the clause states no change,
budget or share, and the report gives no other value under that name (otherwise the expected answer
would be a guess). Each is asked with the full and a short unit name.
"""
from __future__ import annotations

import json
import random
import re

from .lexicon import DATA
from .names import report_names

_P = json.loads(DATA.read_text(encoding="utf-8"))["prose"]
_LEAD, _TAIL = re.compile(_P["lead"]), re.compile(_P["tail"])
_STATED_OTHERWISE = re.compile("|".join(map(re.escape, _P["stated_otherwise"])))
EXTRA_CHARS = 4  # a clause may hold this many characters besides its term (支出, 决算数)
TEMPLATES = tuple(tuple(t) for t in _P["templates"])


def label_of(clause: str) -> str:
    """The clause without ordinals, years and linking words around its name."""
    return _TAIL.sub("", _LEAD.sub("", re.sub(r"[\s“”\"]+", "", clause)))


def _asked_terms(index, rid: str) -> dict[str, list]:
    """For each single-term label of the report's 万元 prose figures: the facts stated under it."""
    by_term: dict[str, list] = {}
    for f in index.facts:
        if f.report_id != rid or f.kind != "prose" or f.unit != "万元":
            continue
        label = label_of(f.clause or "")
        terms = index.vocab.concepts(label)
        if len(terms) != 1 or len(label) - len(terms[0]) > EXTRA_CHARS or _STATED_OTHERWISE.search(label) \
                or terms[0].endswith("数"):  # 执行数, 决算数: a column's name, not a figure's
            continue
        by_term.setdefault(terms[0], []).append((label, f))
    return by_term


def _table_values(index, rid: str, term: str) -> set[float]:
    return {round(f.value, 2) for f in index.facts
            if f.report_id == rid and f.kind == "table" and f.row_name.strip() == term}


def prose_suite(index, seed: int = 0) -> list[dict]:
    """The prose questions of every named report (gold format, all held out)."""
    names = report_names(index)
    items: list[dict] = []
    for rid in sorted(names):
        n = names[rid]
        rng = random.Random(f"{seed}:prose:{rid}")
        for term, stated in sorted(_asked_terms(index, rid).items()):
            values = {round(f.value, 2) for _, f in stated} | _table_values(index, rid, term)
            if len(values) != 1:
                continue  # the report states two values under one name: no single expected answer
            label, f = stated[0]
            for tid, form, text in TEMPLATES:
                unit = n.form(form, rng.randrange(8))
                year = str(n.year) if n.year else ""
                items.append({
                    "id": f"prose-{len(items) + 1:04d}", "question": text.format(unit=unit, year=year, label=label),
                    "kind": "narrative_fact", "report": n.label, "answer_value": f.value, "answer_unit": "万元",
                    "answer_text": f"{f.raw}万元", "alternatives": [], "source_file": n.source_file,
                    "evidence": (f.sentence or "")[:80], "notes": f"generated from a sentence (line {f.line})",
                    "expected_report_id": rid, "template": tid, "held_out": True, "synonyms": [],
                    "typo": None, "name_form": form, "year_form": "four",
                })
    return items
