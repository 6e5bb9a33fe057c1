"""How a question names a report and a fact: unit name forms, years, table, row and column phrases.

Everything is computed from the index (unit names, regions, years, table titles, row and column
names); nothing here knows one report.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from indexer.aliases import short_place as _short_place, split_name



@dataclass
class ReportNames:
    """The names a question can use for one report."""

    report_id: str
    unit_name: str
    year: Optional[int]
    region: Optional[str]
    source_file: str
    short: list[str] = field(default_factory=list)  # aliases, else the name without province/city
    place: Optional[str] = None  # the region alone, when it holds no other indexed unit
    place_short: Optional[str] = None  # 汉阳区 → 汉阳, same condition
    single_year: bool = True  # the unit has one report in the index: the year may be left out

    @property
    def label(self) -> str:
        return f"{self.unit_name} {self.year}" if self.year else self.unit_name

    def form(self, kind: str, pick: int = 0) -> str:
        """The unit named as `kind` (full | short | place | place_short), falling back to a longer form."""
        if kind == "place_short" and self.place_short:
            return self.place_short
        if kind in ("place", "place_short") and self.place:
            return self.place
        if kind != "full" and self.short:
            return self.short[pick % len(self.short)]
        return self.unit_name


def drop_prefixes(unit: str) -> str:
    """湖北省武汉市汉阳区大数据中心 → 汉阳区大数据中心; a city stays when no district follows it."""
    parts = split_name(unit)
    return parts.place + parts.body if parts.place else unit


def short_place(place: str) -> Optional[str]:
    """汉阳区 → 汉阳; None when the place has no shorter form."""
    short = _short_place(place)
    return short if short != place else None


def _aliases(rec) -> list[str]:
    direct = getattr(rec, "aliases", None)
    if direct:
        return list(direct)
    try:
        return list(rec.parsed.report.aliases)
    except Exception:  # an index written before aliases existed
        return []


def report_names(index) -> dict[str, ReportNames]:
    """Names of every report of `index` that has a unit name (reports without one cannot be asked about)."""
    recs = [r for r in index.reports.values() if r.unit_name]
    by_region: dict[str, set[str]] = {}
    by_unit: dict[str, int] = {}
    for r in recs:
        if r.region:
            by_region.setdefault(r.region, set()).add(r.unit_name)
        by_unit[r.unit_name] = by_unit.get(r.unit_name, 0) + 1
    out = {}
    for r in recs:
        places = {r.region, short_place(r.region)} if r.region else set()
        # unit-like short names; the place alone is a form of its own (valid only when the place has one unit)
        short = [a for a in _aliases(r) if a and a != r.unit_name and a not in places] or [drop_prefixes(r.unit_name)]
        short = [s for s in dict.fromkeys(short) if s != r.unit_name] or [r.unit_name]
        alone = bool(r.region) and len(by_region.get(r.region, ())) == 1 and r.region in r.unit_name
        out[r.report_id] = ReportNames(
            report_id=r.report_id, unit_name=r.unit_name, year=r.year, region=r.region,
            source_file=Path(r.source_file).name, short=short,
            place=r.region if alone else None, place_short=short_place(r.region) if alone else None,
            single_year=by_unit[r.unit_name] == 1)
    return out


def year_phrase(year: Optional[int], kind: str) -> Optional[str]:
    """2021 as 2021年 / 21年 / 2021年度 / '' (none); None when the form cannot be written."""
    if kind == "none":
        return ""
    if year is None:
        return None
    return {"full": f"{year}年", "short": f"{year % 100:02d}年", "fy": f"{year}年度"}[kind]


# ---------------------------------------------------------------- fact phrases
def clean_title(title: str) -> str:
    """'附件：2022 年度洪山区…自评表（表 5）' → '洪山区…自评表' (no year, no numbering, no spaces)."""
    t = re.sub(r"\s+", "", title)
    t = re.sub(r"^附件[0-9一二三四五六七八九十]*[：:]", "", t)
    t = re.sub(r"^(?:19|20)\d\d年度?", "", t)
    t = re.sub(r"[（(]表?[0-9一二三四五六七八九十]+[）)]$", "", t)
    return t


def table_phrases(facts) -> dict[tuple[str, str], str]:
    """(table, table_title) → words naming the table: the canonical name, or the title when the report
    has several tables of that name (the project self-evaluation tables)."""
    titles: dict[str, set[str]] = {}
    for f in facts:
        titles.setdefault(f.table, set()).add(f.table_title)
    out = {}
    for table, ts in titles.items():
        for t in ts:
            out[(table, t)] = table if len(ts) == 1 else (clean_title(t) or table)
    return out


def row_phrase(name: str) -> str:
    """'（一）工资福利支出' → '工资福利支出'; whitespace and quotes removed."""
    n = re.sub(r"[\s“”\"]", "", name)
    n = re.sub(r"^[（(]?[一二三四五六七八九十\d]+[）)、.．]", "", n)
    return re.sub(r"[。；;，,：:]+$", "", n)


def column_phrase(column: str, generic: set[str], row: str = "", year: Optional[int] = None) -> str:
    """'支出/合计' → '支出合计'; generic columns (值, 金额), words the row already says and the report's
    own year ('2022年决算数' in the 2022 report) are left out."""
    if column in generic:
        return ""
    if year:
        column = re.sub(rf"{year}年度?", "", column)
    parts = [p for p in column.split("/") if p and p not in generic and p not in row]
    return "".join(parts)
