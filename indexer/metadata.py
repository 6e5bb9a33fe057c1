"""Report metadata (unit, region, year, id) read from the report's own text, never its file name."""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Optional

from .lexicon import fix_typos, load, squash
from .models import Document, ReportMeta

_CJK = "\u4e00-\u9fff"
# "武汉市汉阳区大数据中心 2021 年度部门决算", "2024 年度武汉市硚口区大数据中心部门 决算"
_TITLE_UNIT_YEAR = re.compile(rf"([{_CJK}（）()]{{4,40}}?)(20\d\d)年度?部门决算")
_TITLE_YEAR_UNIT = re.compile(rf"(20\d\d)年度?([{_CJK}（）()]{{4,40}}?)部门决算")
_OVERVIEW = re.compile(rf"第[一1]部分([{_CJK}（）()]{{4,40}}?)概况")
_DEPT = re.compile(rf"^(?:部门|单位|单位名称)[:：]([{_CJK}（）()]{{4,40}})")
_YEAR_ANY = re.compile(r"(20\d\d)年度")
_REGION = re.compile(rf"(?:[{_CJK}]{{2,4}}?(?:省|自治区))?(?:[{_CJK}]{{2,4}}?市)?([{_CJK}]{{1,4}}?(?:区|县|旗))")


def _clean_unit(name: str) -> str:
    name = squash(fix_typos(name))
    name = re.sub(r"(本级|（本级）|\(本级\))$", "", name)
    return name.strip("：:，,。")


def _unit_like(name: str) -> bool:
    return any(name.endswith(s) for s in load("regions.json")["unit_suffixes"])


def detect_unit_and_year(lines: list[str]) -> tuple[Optional[str], Optional[int]]:
    head = [squash(fix_typos(l)) for l in lines[:400]]
    units: Counter[str] = Counter()
    years: Counter[int] = Counter()
    for i, t in enumerate(head):
        # A title may be wrapped over two lines ("…2019" / "年度部门决算表").
        joined = t + (head[i + 1] if i + 1 < len(head) else "")
        for m in _TITLE_UNIT_YEAR.finditer(joined):
            unit = re.sub(r"^第[一二三四五六七八九十]+部分", "", m.group(1))
            if _unit_like(_clean_unit(unit)):
                units[_clean_unit(unit)] += 3
            years[int(m.group(2))] += 3
        for m in _TITLE_YEAR_UNIT.finditer(joined):
            if _unit_like(_clean_unit(m.group(2))):
                units[_clean_unit(m.group(2))] += 3
            years[int(m.group(1))] += 3
        for m in _OVERVIEW.finditer(t):
            if _unit_like(_clean_unit(m.group(1))):
                units[_clean_unit(m.group(1))] += 2
        m = _DEPT.match(t)
        if m and _unit_like(_clean_unit(m.group(1))):
            units[_clean_unit(m.group(1))] += 1
        for m in _YEAR_ANY.finditer(t):
            years[int(m.group(1))] += 1
    unit = None
    if units:
        # Prefer the longest name among the best-supported (e.g. with the city prefix).
        top = max(units.values())
        unit = max((u for u, c in units.items() if c >= top / 2), key=lambda u: (len(u), units[u]))
    year = years.most_common(1)[0][0] if years else None
    return unit, year


def region_of(unit_name: Optional[str]) -> Optional[str]:
    if not unit_name:
        return None
    m = _REGION.search(unit_name)
    return m.group(1) if m else None


def make_report_id(unit_name: Optional[str], year: Optional[int], fallback: str) -> str:
    """Stable id: the same unit and year always give the same id, whatever the file is called."""
    key = f"{unit_name}|{year}" if unit_name else f"file|{fallback}"
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]
    return f"{year or 'na'}-{digest}"


def build_meta(doc: Document) -> ReportMeta:
    unit, year = detect_unit_and_year(doc.lines)
    return ReportMeta(
        report_id=make_report_id(unit, year, doc.content_hash),
        unit_name=unit,
        region=region_of(unit),
        year=year,
        title=f"{unit or ''}{year or ''}年度部门决算" if unit or year else "",
        source_file=doc.source_file,
        content_hash=doc.content_hash,
    )
