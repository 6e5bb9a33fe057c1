"""Answerable questions: for every fact of every named report, questions from the templates.

Each question knows its expected fact (report, value, unit, the lines of every equivalent cell). A
template is skipped for a fact when the words it uses would fit another cell of the same report with a
different value (e.g. 行政运行 under two 款 without its code), so every question has one right answer.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Optional

from retriever.match import budget_label, change_cell

from .lexicon import Lexicon, Synonym, Template
from .names import ReportNames, column_phrase, row_phrase, table_phrases, year_phrase

EPS = 0.01 + 1e-9
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class FactWords:
    """One fact with the words a question uses for it."""

    fact: object  # indexer.models.Fact
    table: str
    row: str
    code: str
    col: str

    def key(self, t: Template) -> tuple:
        return (self.table if t.uses("table") else None, self.code if t.uses("code") else None, self.row,
                self.col if t.uses("col") else None)


def fact_words(facts: list, generic: frozenset, year: Optional[int] = None) -> list[FactWords]:
    tp = table_phrases(facts)
    out = []
    for f in facts:
        row = row_phrase(f.row_name)
        col = column_phrase(f.column, set(generic), row, year)  # 其他收入 / 收入: the row already says it
        out.append(FactWords(f, tp[(f.table, f.table_title)], row, f.row_code or "", col))
    return out


class KeyIndex:
    """Facts of one report grouped by the words a template uses for them."""

    def __init__(self, words: list[FactWords], templates):
        self.groups: dict[tuple, list[FactWords]] = {}
        for t in templates:
            for w in words:
                self.groups.setdefault((t.id,) + w.key(t), []).append(w)
                self.groups.setdefault((t.id,) + w.key(t)[:3] + (None,), []).append(w)

    def same(self, t: Template, w: FactWords) -> Optional[list[FactWords]]:
        """Facts the template's words fit; None when they hold different values (ambiguous). A question
        naming no column (the fact's column is generic, or the template has no {col}) fits the row in
        every column."""
        key = w.key(t)
        group = self.groups[(t.id,) + (key if w.col and t.uses("col") else key[:3] + (None,))]
        if any(abs(g.fact.value - w.fact.value) > EPS for g in group):
            return None
        return group


# ---------------------------------------------------------------- rendering
def render(t: Template, values: dict[str, str]) -> list[list[str]]:
    """Pieces [kind, text] of the question; empty slots are dropped."""
    return [[k, values.get(k, "") if k != "lit" else txt] for k, txt in t.parts()
            if k == "lit" or values.get(k)]


def apply_synonym(pieces: list[list[str]], w: FactWords, syns: tuple[Synonym, ...],
                  rng: random.Random) -> Optional[Synonym]:
    """Replace one formal word by its colloquial form (row, column or a question word)."""
    topic = w.row + w.col
    options = []
    for s in syns:
        if s.when and (s.when not in topic or "收入" in topic):  # 花了多少钱 only for spending
            continue
        kinds = {"row": ("row",), "col": ("col",), "tail": ("lit",)}[s.scope]
        for i, (kind, text) in enumerate(pieces):
            if kind in kinds and s.formal in text:
                options.append((s, i))
    if not options:
        return None
    s, i = options[rng.randrange(len(options))]
    pieces[i][1] = pieces[i][1].replace(s.formal, s.colloquial, 1)
    return s


def apply_typo(pieces: list[list[str]], rng: random.Random) -> Optional[str]:
    """Drop or swap one character of a non-key word (template words, the table name)."""
    spots = []
    for i, (kind, text) in enumerate(pieces):
        if kind not in ("lit", "table"):
            continue
        for j in range(len(text)):
            if not _CJK.match(text[j]) or len([c for c in text if _CJK.match(c)]) < 2:
                continue
            spots.append((i, j, "drop"))
            if j + 1 < len(text) and _CJK.match(text[j + 1]) and text[j] != text[j + 1]:
                spots.append((i, j, "swap"))
    if not spots:
        return None
    i, j, op = spots[rng.randrange(len(spots))]
    text = pieces[i][1]
    pieces[i][1] = text[:j] + text[j + 1:] if op == "drop" else text[:j] + text[j + 1] + text[j] + text[j + 2:]
    return f"{op}:{text}->{pieces[i][1]}"


# ---------------------------------------------------------------- one question
def build_question(t: Template, names: ReportNames, w: FactWords, lex: Lexicon,
                   rng: random.Random) -> Optional[dict]:
    """The question of template `t` about fact `w`, or None when the template cannot name it."""
    year = year_phrase(names.year, t.year)
    if year is None or (t.year == "none" and not names.single_year):
        return None
    if not w.col and not w.row:
        return None
    values = {"unit": names.form(t.name, rng.randrange(8)), "year": year, "table": w.table, "row": w.row,
              "code": w.code, "col": w.col}
    pieces = render(t, values)
    syn = apply_synonym(pieces, w, lex.synonyms, rng) if t.syn else None
    typo = apply_typo(pieces, rng) if t.typo else None
    if t.typo and typo is None:
        return None
    return {"question": "".join(p[1] for p in pieces), "template": t.id,
            "held_out": t.held_out or bool(syn and syn.held_out), "synonyms": [syn.id] if syn else [],
            "typo": typo, "name_form": t.name, "year_form": t.year}


def answerable_item(q: dict, names: ReportNames, w: FactWords, group: list[FactWords]) -> dict:
    f = w.fact
    where = " / ".join(x for x in (f.table_title or f.table, f"{f.row_code or ''} {f.row_name}".strip(), f.column)
                       if x)
    return {
        "question": q["question"], "kind": "table_lookup", "report": names.label,
        "answer_value": f.value, "answer_unit": f.unit, "answer_text": f"{f.raw}（{f.unit}）",
        "alternatives": [], "source_file": names.source_file, "evidence": f.raw,
        "notes": f"generated from the cell {where} (line {f.line})",
        "expected_report_id": names.report_id, "template": q["template"], "held_out": q["held_out"],
        "synonyms": q["synonyms"], "typo": q["typo"], "name_form": q["name_form"], "year_form": q["year_form"],
        "expected": {"table": f.table, "table_title": f.table_title, "row_code": f.row_code,
                     "row_name": f.row_name, "column": f.column, "line": f.line,
                     "lines": sorted({g.fact.line for g in group}),
                     "chunk_ids": sorted({g.fact.chunk_id for g in group if g.fact.chunk_id})},
    }


def answerable(names: ReportNames, facts: list, lex: Lexicon, rng: random.Random,
               per_fact: int) -> list[dict]:
    """Up to `per_fact` questions per certain fact of one report (0 = every template that fits)."""
    words = fact_words([f for f in facts if not f.uncertain], lex.generic_columns, names.year)
    keys = KeyIndex(words, lex.templates)
    out, seen = [], set()
    for w in words:
        order = list(lex.templates)
        rng.shuffle(order)
        made = 0
        for t in order:
            if per_fact and made >= per_fact:
                break
            if not (w.col and t.uses("col")) and (budget_label(w.fact.column) or change_cell(w.fact)):
                continue  # a question naming no column asks the final account, never a budget or change cell
            group = keys.same(t, w)
            if group is None:
                continue
            q = build_question(t, names, w, lex, rng)
            if q is None or q["question"] in seen:
                continue
            seen.add(q["question"])
            out.append(answerable_item(q, names, w, group))
            made += 1
    return out
