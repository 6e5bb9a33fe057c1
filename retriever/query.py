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

_YEAR4 = re.compile(r"((?:19|20)\d\d)\s*年")
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
    concepts: list[str] = field(default_factory=list)  # domain terms the answer must be about
    asks_change: bool = False  # 增加/减少/增长… asked about

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
    for y in _YEAR2.findall(re.sub(r"(19|20)\d\d\s*年", "", text)):
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
        return _finish(q, lex, index.vocab)
    candidates = named or reports
    if q.years:
        with_year = [r for r in candidates if r.year in q.years]
        if with_year:
            candidates = with_year
        elif named:
            have = "、".join(sorted({f"{r.region or r.unit_name}{r.year}年" for r in named}))
            who = named[0].unit_name or named[0].region
            q.missing = f"语料中没有{who}{q.years[0]}年度的决算；现有{have}"
            return _finish(q, lex, index.vocab)
        elif not named and len(q.years) >= 1 and all(r.year not in q.years for r in candidates):
            q.missing = f"语料中没有{q.years[0]}年度的决算"
            return _finish(q, lex, index.vocab)
    q.reports = candidates
    q = _finish(q, lex, index.vocab)
    if named and len(q.years) >= 2 and q.ops & {"difference", "compare", "compare_max", "compare_min"} \
            and not q.asks_change:
        have = {r.year for r in named}
        absent = [y for y in q.years if y not in have]
        if absent:  # comparing years the corpus does not hold
            who = named[0].unit_name or named[0].region
            q.missing = f"语料中没有{who}{absent[0]}年度的决算；现有" + "、".join(f"{y}年" for y in sorted(have))
    return q


def plain(text: str) -> str:
    """Whitespace, quotes and brackets removed: “三公”经费 == 三公经费."""
    return re.sub(r"[\s“”\"‘’'《》「」]", "", text or "")


def _unit_of(norm: str, lex: dict) -> Optional[str]:
    # The unit attached to the question word (多少套, 几辆, 百分之) wins over units elsewhere.
    for w, u in lex["units"]:
        if w.startswith(("多少", "几", "百分")) and w in norm:
            return u
    for w, u in lex["units"]:
        if w in norm:
            return u
    return None


def _concepts(core: str, vocab: list[str]) -> list[str]:
    """Domain terms in the question, longest first, not overlapping."""
    found, taken = [], [False] * len(core)
    for term in vocab:
        start = core.find(term)
        while start >= 0:
            if not any(taken[start:start + len(term)]):
                found.append(term)
                for k in range(start, start + len(term)):
                    taken[k] = True
            start = core.find(term, start + 1)
    return list(dict.fromkeys(found))


def _apply_synonyms(core: str, synonyms: dict, vocab: list[str]) -> tuple[str, list[str]]:
    """Replace colloquial words by the report's term, never inside a term the report uses
    ("工资" → 工资福利支出, but 绩效工资 stays)."""
    segments: list[tuple[str, bool]] = [(core, False)]  # (text, protected)

    def split(term: str, replace_by: str) -> bool:
        hit = False
        out: list[tuple[str, bool]] = []
        for text, protected in segments:
            if protected or term not in text:
                out.append((text, protected))
                continue
            parts = text.split(term)
            for k, part in enumerate(parts):
                if part:
                    out.append((part, False))
                if k < len(parts) - 1:
                    out.append((replace_by, True))
            hit = True
        segments[:] = out
        return hit

    for term in vocab:  # the report's own terms are kept as they are
        split(term, term)
    terms: list[str] = []
    for key in sorted(synonyms, key=len, reverse=True):
        if split(key, synonyms[key][0]):
            terms += synonyms[key]
    return "".join(t for t, _ in segments), list(dict.fromkeys(terms))


def _finish(q: Question, lex: dict, vocab: list[str] = ()) -> Question:
    norm = q.norm
    q.unit = _unit_of(norm, lex)
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
        city = re.match(r"^[\u4e00-\u9fff]{2,4}?市", r.unit_name or "")
        if city:
            core = core.replace(city.group(0), "")
    core = re.sub(r"(20)?\d\d年度?|20\d\d", "", core)
    core = plain(core)
    for a, b in lex["rewrites"]:
        core = core.replace(a, b)
    core, q.terms = _apply_synonyms(core, lex["synonyms"], vocab)
    for w in sorted(lex["question_noise"] + lex["compare_noise"], key=len, reverse=True):
        core = core.replace(w, "")
    for w, _ in lex["units"]:
        if w.startswith(("多少", "几")):
            core = core.replace(w, "")
    q.core = core
    q.concepts = _concepts(core, vocab)
    q.asks_change = any(w in norm for w in lex["change_words"])
    return q


def subquestion(q: Question, text: str, index: LoadedIndex, unit: Optional[str] = None,
                asks_change: Optional[bool] = None) -> Question:
    """A question about `text` in the same reports (one input of a derived figure)."""
    sub = Question(text=text, norm=squash(fix_typos(text)), years=q.years, reports=q.reports)
    _finish(sub, load("questions.json"), index.vocab)
    sub.unit = unit or sub.unit
    if asks_change is not None:
        sub.asks_change = asks_change
    return sub
