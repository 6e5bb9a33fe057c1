"""Unanswerable variants: the right words about a year, a unit or a figure the corpus does not have.

- other_year: a year the index has no report of that unit for (never the year just before a report:
  its figures may be derived from the report's "比上年" changes);
- other_district: the unit's name with its district replaced by one no indexed report names;
- other_unit: the same district with another kind of unit (the district alone must not select it);
- lacking_figure: a row another report has that this report's text never mentions;
- lacking_column: a row of the report asked with a column word of another table that no table of
  the report gives that row (财政拨款收入 of a performance indicator): the row matches, the column does
  not, and another column of the row is no answer.
"""
from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Optional

from .generate import FactWords, KeyIndex, fact_words, render
from .lexicon import Lexicon, Template
from .names import ReportNames, drop_prefixes, year_phrase


def absent_years(names: ReportNames, years_of_unit: set[int]) -> list[int]:
    if names.year is None:
        return []
    lo, hi = min(years_of_unit), max(years_of_unit)
    cands = [hi + 1, hi + 2, hi + 3, lo - 2, lo - 3]
    return [y for y in cands if y not in years_of_unit and (y + 1) not in years_of_unit]


def confuser_units(names: ReportNames, lex: Lexicon, known: list[str], regions: set[str],
                   sources: list[str]) -> dict[str, list[str]]:
    """Unit names the index lacks: another district (same body), another body (same district)."""
    out: dict[str, list[str]] = {"other_district": [], "other_unit": []}
    region = names.region
    if not region or region not in names.unit_name:
        return out
    blob = "".join(known) + "".join(regions) + "".join(sources)
    for place in lex.confuser_places:
        if place not in blob and place != region and place[-1] == region[-1]:  # 区 for 区, 县 for 县
            out["other_district"].append(names.unit_name.replace(region, place, 1))
    head = names.unit_name[: names.unit_name.index(region) + len(region)]
    body = names.unit_name[len(head):]
    for b in lex.confuser_bodies:
        cand = head + b
        if b != body and b not in body and cand not in known:
            out["other_unit"].append(cand)
    return out


def _unit_form(name: str, kind: str) -> str:
    return name if kind == "full" else drop_prefixes(name)


def _item(question: str, t: Template, kind: str, names: Optional[ReportNames], w: FactWords) -> dict:
    return {
        "question": question, "kind": "unanswerable", "report": names.label if names else None,
        "answer_value": None, "answer_unit": None, "answer_text": "未找到", "alternatives": [],
        "source_file": names.source_file if names else None, "evidence": None,
        "notes": f"{kind}: the words of {w.fact.table} / {w.fact.row_name} / {w.fact.column}",
        "expected_report_id": names.report_id if names else None, "template": t.id, "held_out": t.held_out,
        "synonyms": [], "typo": None, "name_form": t.name, "year_form": t.year, "unanswerable_kind": kind,
        "expected": None,
    }


def _question(t: Template, unit: str, year: Optional[int], w: FactWords) -> Optional[str]:
    yp = year_phrase(year, t.year if t.year != "none" else "full")
    if not yp:
        return None
    return "".join(p[1] for p in render(t, {"unit": unit, "year": yp, "table": w.table, "row": w.row,
                                            "code": w.code, "col": w.col}))


def _clean_concepts(words: list[FactWords], lex: Lexicon) -> list[tuple[Template, FactWords]]:
    """(template, fact) pairs whose words name one value in their own report."""
    keys = KeyIndex(words, lex.unanswerable)
    return [(t, w) for w in words for t in lex.unanswerable
            if keys.same(t, w) is not None and w.row and not re.search(r"(?:19|20)\d\d", w.row + w.col)]


def _lacking(names: ReportNames, text: str, own_rows: set[str], others: list[FactWords]) -> list[FactWords]:
    """Facts of other reports whose row this report never mentions (a specific row: 4+ characters)."""
    seen, out = set(), []
    for w in others:
        if len(w.row) < 4 or w.row in seen or w.row in own_rows or w.row in text:
            continue
        if re.search(r"\d|合计|总计|小计|总额", w.row) or (w.fact.row_code and len(w.fact.row_code) < 5):
            continue  # totals are stated in prose under other words; 类 rows too general
        seen.add(w.row)
        out.append(w)
    return out


def unanswerable(index, all_names: dict[str, ReportNames], lex: Lexicon, rng: random.Random,
                 per_kind: int) -> list[dict]:
    """`per_kind` questions of each unanswerable kind per report (fewer when a kind cannot be made)."""
    facts_by: dict[str, list] = {}
    for f in index.facts:
        if f.kind == "table" and not f.uncertain:
            facts_by.setdefault(f.report_id, []).append(f)
    years = {r.report_id: r.year for r in index.reports.values()}
    words_by = {rid: fact_words(fs, lex.generic_columns, years.get(rid)) for rid, fs in facts_by.items()}
    known = [n.unit_name for n in all_names.values()]
    regions = {r.region for r in index.reports.values() if r.region}
    sources = [Path(r.source_file).stem for r in index.reports.values()]
    pooled = [c for rid in sorted(words_by) for c in _clean_concepts(words_by[rid], lex)]
    # every table's column words; two-character ones (支出, 收入, 小计, 得分) are left out: "本年收入合计支出"
    # or "公务接待费收入" still reads as a question about the row itself, not about a column it lacks
    # nor a word naming the value itself (决算数: "X决算数" asks X's figure, whatever table holds it)
    columns = sorted({w.col for ws in words_by.values() for w in ws
                      if len(w.col) >= 3 and w.col not in lex.value_words})
    out = []
    for rid in sorted(all_names):
        names = all_names[rid]
        years = {n.year for n in all_names.values() if n.unit_name == names.unit_name and n.year}
        # the report's own concepts; a report without table facts borrows the others' (the unit or year is wrong)
        concepts = _clean_concepts(words_by.get(rid, []), lex) or pooled
        out += _wrong_year(names, concepts, absent_years(names, years or {0}), per_kind, rng)
        units = confuser_units(names, lex, known, regions, sources)
        for kind in ("other_district", "other_unit"):
            out += _wrong_unit(kind, units[kind], names, concepts, per_kind, rng)
        text = re.sub(r"\s+", "", "".join(c.text for c in index.by_report.get(rid, [])))
        own = {w.row for w in words_by.get(rid, [])}
        others = [w for r2, ws in sorted(words_by.items()) if r2 != rid for w in ws]
        out += _lacking_items(names, _lacking(names, text, own, others), lex, per_kind, rng)
        out += _lacking_column_items(names, concepts if rid in words_by else [], words_by.get(rid, []), columns,
                                     per_kind, rng)
    return out


def _lacking_column_items(names, concepts, words, columns: list[str], per_kind: int, rng) -> list[dict]:
    """Rows of this report with a column word no fact of that row has (nor its row text holds)."""
    have: dict[str, set[str]] = {}
    for w in words:
        have.setdefault(w.row, set()).add(w.col)
    out = []
    for t, w in _pick([c for c in concepts if c[0].uses("col")], per_kind, rng):
        own = have.get(w.row, set())
        absent = [c for c in columns if c not in own and c not in w.row and not any(c in o or o in c for o in own if o)]
        if not absent:
            continue
        other = FactWords(w.fact, w.table, w.row, w.code, absent[rng.randrange(len(absent))])
        q = _question(t, names.form(t.name), names.year, other)
        if q:
            out.append(_item(q, t, "lacking_column", names, other))
    return out


def _pick(concepts: list, n: int, rng: random.Random) -> list:
    return rng.sample(concepts, min(n, len(concepts)))


def _wrong_year(names, concepts, years, per_kind, rng) -> list[dict]:
    out = []
    for t, w in _pick(concepts, per_kind if years else 0, rng):
        q = _question(t, _unit_form(names.unit_name, t.name), years[rng.randrange(len(years))], w)
        if q:
            out.append(_item(q, t, "other_year", None, w))
    return out


def _wrong_unit(kind, units, names, concepts, per_kind, rng) -> list[dict]:
    out = []
    for t, w in _pick(concepts, per_kind if units else 0, rng):
        q = _question(t, _unit_form(units[rng.randrange(len(units))], t.name), names.year, w)
        if q:
            out.append(_item(q, t, kind, None, w))
    return out


def _lacking_items(names, lacking, lex, per_kind, rng) -> list[dict]:
    out = []
    rng.shuffle(lacking)
    for w in lacking[:per_kind]:
        t = lex.unanswerable[rng.randrange(len(lex.unanswerable))]
        q = _question(t, names.form(t.name), names.year, w)
        if q:
            out.append(_item(q, t, "lacking_figure", names, w))
    return out
