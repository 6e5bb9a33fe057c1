"""Understanding a question: which report(s), which figure, which unit, which operation.

Vocabulary comes from lexicon/questions.json and from the indexed reports themselves (unit and
region names); nothing here knows any particular report.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from indexer.lexicon import fix_typos, load, squash, table_specs

from .index import LoadedIndex, ReportRec

_YEAR4 = re.compile(r"(20\d\d)\s*年")
_YEAR2 = re.compile(r"(?<![\d])(\d\d)\s*年(?!\d)")
_REGION_MENTION = re.compile(r"(?<![一二三四五六七八九十几两个\d])([\u4e00-\u9fff]{2,4}?(?:区|县))")
_NOT_PLACE = re.compile(r"^[一二三四五六七八九十几两\d]|个|各|全|本|该|辖|城区|市区|社区|园区|景区|片区")


_CODE = re.compile(r"(?<![\d.])(\d{3,7})(?![\d.]|\s*年|\s*万|\s*%|\s*人|\s*个|\s*套|\s*辆|\s*条|\s*路)")


def table_in(text: str) -> tuple[Optional[str], Optional[str]]:
    """The canonical table a question names, by its longest pattern found in the text."""
    best: tuple[Optional[str], Optional[str]] = (None, None)
    t = text.replace('"', "“")
    for spec in table_specs():
        for pat in spec["patterns"]:
            for variant in {pat, pat.replace("“", "").replace("”", "")}:
                if len(variant) >= 4 and variant in t and (best[1] is None or len(variant) > len(best[1])):
                    best = (spec["name"], variant)
    return best


@dataclass
class Question:
    text: str
    norm: str  # typo-fixed, whitespace removed
    years: list[int] = field(default_factory=list)
    regions_named: list[str] = field(default_factory=list)  # region names mentioned, known or not
    unknown_regions: list[str] = field(default_factory=list)
    reports: list[ReportRec] = field(default_factory=list)  # the reports the question is about
    missing: Optional[str] = None  # why no report matches (for the not-found answer)
    unit: Optional[str] = None  # unit the question asks for
    ops: set[str] = field(default_factory=set)
    terms: list[str] = field(default_factory=list)  # canonical terms (synonyms expanded)
    table: Optional[str] = None  # canonical table the question names ("基本支出决算表" → …明细表)
    codes: list[str] = field(default_factory=list)  # function / economic codes named
    core: str = ""  # question text without report, year and noise words

    @property
    def single(self) -> Optional[ReportRec]:
        return self.reports[0] if len(self.reports) == 1 else None


def _aliases(r: ReportRec) -> list[str]:
    out = []
    if r.unit_name:
        out.append(r.unit_name)
        out.append(re.sub(r"^[\u4e00-\u9fff]{2,4}?[省市]", "", r.unit_name))
    if r.region:
        out.append(r.region)
        if len(r.region) >= 3:
            out.append(r.region[:-1])  # 汉阳区 -> 汉阳
    return sorted({a for a in out if a}, key=len, reverse=True)


def years_in(text: str) -> list[int]:
    ys = [int(y) for y in _YEAR4.findall(text)]
    for y in _YEAR2.findall(re.sub(r"20\d\d\s*年", "", text)):
        ys.append(2000 + int(y))
    return list(dict.fromkeys(ys))


def understand(text: str, index: LoadedIndex, report_id: Optional[str] = None,
               year: Optional[int] = None, unit: Optional[str] = None) -> Question:
    lex = load("questions.json")
    norm = squash(fix_typos(text))
    q = Question(text=text, norm=norm, years=years_in(norm))
    if year:
        q.years = [year] + [y for y in q.years if y != year]

    # ---- which reports
    reports = list(index.reports.values())
    if report_id:
        reports = [r for r in reports if r.report_id == report_id]
    if unit:
        u = squash(fix_typos(unit))
        reports = [r for r in reports if any(u in a or a in u for a in _aliases(r))]
    named: list[ReportRec] = []
    rest = norm
    for r in sorted(reports, key=lambda r: -max((len(a) for a in _aliases(r)), default=0)):
        for a in _aliases(r):
            if a in rest or a in norm:
                named.append(r)
                rest = rest.replace(a, " ")
                if r.region and r.region not in q.regions_named:
                    q.regions_named.append(r.region)
                break
    known_regions = {r.region for r in index.reports.values() if r.region}
    for m in _REGION_MENTION.findall(rest):
        if _NOT_PLACE.search(m):
            continue
        if m not in known_regions and not any(m in k for k in known_regions) and m not in q.unknown_regions:
            q.unknown_regions.append(m)
    if q.unknown_regions and not named:
        q.missing = f"语料中没有{q.unknown_regions[0]}的决算"
        return _finish(q, lex)
    candidates = named or reports
    if q.years:
        with_year = [r for r in candidates if r.year in q.years]
        if with_year:
            candidates = with_year
        elif named:
            have = "、".join(sorted({f"{r.region or r.unit_name}{r.year}年" for r in named}))
            who = named[0].unit_name or named[0].region
            q.missing = f"语料中没有{who}{q.years[0]}年度的决算；现有{have}"
            return _finish(q, lex)
        elif not named and len(q.years) >= 1 and all(r.year not in q.years for r in candidates):
            q.missing = f"语料中没有{q.years[0]}年度的决算"
            return _finish(q, lex)
    q.reports = candidates
    return _finish(q, lex)


def _finish(q: Question, lex: dict) -> Question:
    norm = q.norm
    for w, u in lex["units"]:
        if w in norm:
            q.unit = u
            break
    if q.unit is None and any(w in norm for w in lex["amount_words"]):
        q.unit = "万元"  # an amount question: figures are 万元 unless the question says otherwise
    for op, words in lex["ops"].items():
        if any(w in norm for w in words):
            q.ops.add(op)
    core = norm
    q.codes = [c for c in _CODE.findall(norm) if len(c) in (3, 5, 7)]
    q.table, mention = table_in(norm)
    if mention:
        core = core.replace(mention, " ")
    for r in q.reports:
        for a in _aliases(r):
            core = core.replace(a, "")
    core = re.sub(r"(20)?\d\d年度?", "", core)
    for w in lex["question_noise"]:
        core = core.replace(w, "")
    q.core = core
    terms: list[str] = []
    for key in sorted(lex["synonyms"], key=len, reverse=True):
        if key in core:
            terms += lex["synonyms"][key]
    q.terms = list(dict.fromkeys(terms))
    return q
