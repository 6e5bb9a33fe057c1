"""Which reports a question is about, each with the reason it was chosen.

A report is named by its full unit name, by a short form derived from that name
(indexer/aliases.py), by an abbreviation whose characters follow the name in order (农检中心 for
农产品质量安全综合检测中心), or only by its district or county. The strongest naming wins: a unit's
full name never lets another unit of the same district in. A question that names nothing takes its
unit and year from the latest earlier question of the conversation that did.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from indexer.aliases import NameParts, derive_aliases, in_order, names_place, split_name
from indexer.lexicon import alternation as _any, fix_typos, load, longest_first, squash

from .index import ReportRec

FULL, ALIAS, PLACED, UNPLACED, PLACE, HIGHER = 3.0, 2.5, 2.5, 1.5, 1.0, 0.5  # how strongly a report is named
LITERAL = 0.1  # an unplaced mention in the unit's own words, over one that only abbreviates it

_YEAR4 = re.compile(r"((?:19|20)\d\d)\s*年")
_YEAR2 = re.compile(r"(?<![\d])(\d\d)\s*年(?!\d)")
_PLACES = load("regions.json")["question_places"]
_LEVELS = load("units.json")["higher_level_suffixes"]  # province and city levels above a report's place


_REGION_MENTION = re.compile(rf"(?<![{_PLACES['numerals']}{_PLACES['counters']}\d])"
                             rf"([\u4e00-\u9fff]{{2,4}}?(?:{_any(_PLACES['mention_endings'])}))")
_NOT_PLACE = re.compile(rf"^[{_PLACES['numerals']}\d]|{_any(_PLACES['not_place_words'])}")


_CN_DIGITS = str.maketrans("〇零○一二三四五六七八九", "000123456789")
_CN_YEAR = re.compile(r"[一二][〇零○一二三四五六七八九]{3}(?=\s*年)")


def digit_years(text: str) -> str:
    """Years written in Chinese numerals in digits (二〇二一年, 二零二一年 → 2021年)."""
    return _CN_YEAR.sub(lambda m: m.group(0).translate(_CN_DIGITS), text)


def years_in(text: str) -> list[int]:
    text = digit_years(text)
    ys = [int(y) for y in _YEAR4.findall(text)]
    for y in _YEAR2.findall(re.sub(r"(19|20)\d\d\s*年", "", text)):
        ys.append(2000 + int(y))
    return list(dict.fromkeys(ys))


def _years_compared(text: str) -> set[int]:
    """The years a comparison is made with (比2021年, 较21年): not the year asked about."""
    prefixes = load("questions.json")["comparison_prefixes"]
    return {y for y in years_in(text) if re.search(
        rf"[{prefixes}]\s*(?:{y}|{y % 100:02d})\s*年|[和跟]\s*(?:{y}|{y % 100:02d})\s*年度?\s*(?:同期)?\s*相?比",
        digit_years(text))}


@dataclass
class Named:
    report: ReportRec
    strength: float
    reason: str
    mention: str  # the words of the question that name it


@dataclass
class Resolution:
    reports: list[ReportRec] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # report_id → why it was chosen
    years: list[int] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)  # words naming reports (removed from the core)
    named: bool = False  # the question (or the conversation) names a unit or place
    missing: Optional[str] = None  # why no report fits
    choices: list[ReportRec] = field(default_factory=list)  # several fit equally; the user picks
    context: Optional[str] = None  # the earlier question the unit or year came from
    regions_named: list[str] = field(default_factory=list)


class NameIndex:
    """Every report's name forms, computed once per loaded index."""

    def __init__(self, reports: Iterable[ReportRec]):
        self.reports = list(reports)
        self.parts: dict[str, NameParts] = {}
        self.aliases: dict[str, list[str]] = {}
        self.higher: dict[str, list[str]] = {}  # the city or province above each report's place
        for r in self.reports:
            self.parts[r.report_id] = split_name(r.unit_name or "")
            places = set(self.places(r))  # a place alone names every unit there: not an alias
            extra = tuple(a for a in getattr(r, "aliases", None) or () if a not in places)
            self.aliases[r.report_id] = derive_aliases(r.unit_name, extra)
            self.higher[r.report_id] = higher_places(self.parts[r.report_id].higher)

    def places(self, r: ReportRec) -> list[str]:
        p = self.parts[r.report_id]
        out = {p.place, p.place_short, r.region or ""}
        if r.region and len(r.region) >= 3:
            out.add(r.region[:-1])
        return longest_first(x for x in out if len(x) >= 2)

    def name(self, r: ReportRec, text: str) -> Optional[Named]:
        """How strongly `text` names report `r` (None when it does not)."""
        full = squash(r.unit_name or "")
        places = self.places(r)
        for a in self.aliases[r.report_id]:
            if len(a) >= 3 and a in text:
                if a == full:
                    return Named(r, FULL, f"全称“{a}”", a)
                placed = any(p in a for p in places)
                if not placed and _place_before(text, a, places + [self.parts[r.report_id].higher]):
                    continue  # "藤县文旅局": the same kind of unit in another place
                placed = placed or names_place(a)  # 沙岗镇: a place itself
                return Named(r, ALIAS if placed else UNPLACED, f"简称“{a}”", a)
        place = next((p for p in places if p in text), None)
        frag = abbreviation(text.replace(place, " ") if place else text, self.parts[r.report_id].body)
        other = frag and _place_before(text, frag, places + [self.parts[r.report_id].higher])
        if other and not (place and (place.endswith(_DISTRICT) or not other.endswith(_DISTRICT))):
            return None  # "白沙市万州区胜利街道办事处": this unit's kind in another district of the city named
        if place and frag:
            return Named(r, PLACED, f"“{place}”与“{frag}”", place + "|" + frag)
        if frag and len(frag) >= 4:
            literal = frag == self.parts[r.report_id].body  # the unit's own words beat an abbreviation
            return Named(r, UNPLACED + (LITERAL if literal else 0.0), f"简称“{frag}”", frag)
        if place and not other_unit(text, place, self.parts[r.report_id].body):
            return Named(r, PLACE, f"地区“{place}”", place)
        higher = None if place else next((h for h in self.higher[r.report_id] if h in text), None)
        if higher:  # "重庆市2022年": every unit of that city or province (its own place not named)
            return Named(r, HIGHER, f"地区“{higher}”", higher)
        return None


def higher_places(higher: str) -> list[str]:
    """The city or province above the report's place, as written and without its level word
    ("重庆市", "重庆"), longest first."""
    endings = sorted((e for es in _LEVELS.values() for e in es), key=len, reverse=True)
    levels = re.findall(rf"[\u4e00-\u9fff]{{2,}}?(?:{_any(endings)})", higher)
    out = {x for lv in levels for e in endings if lv.endswith(e) for x in (lv, lv[:-len(e)]) if len(x) >= 2}
    return longest_first(out)


_PLACE_BEFORE = re.compile(rf"([\u4e00-\u9fff]{{1,4}}?(?:{_any(_PLACES['before_unit_endings'])}))$")


_DISTRICT = tuple(_PLACES["mention_endings"])


def _place_before(text: str, mention: str, own: list[str]) -> str:
    """The place name right before the mention when it is not the report's own ("岑溪市农产品…中心"),
    else ""."""
    for m in re.finditer(re.escape(mention), text):
        start = max(0, m.start() - 6)  # the place may end inside the mention (黄陂区胜利… read as 区胜利…)
        before = _PLACE_BEFORE.search(text[start:m.start() + 1]) or _PLACE_BEFORE.search(text[start:m.start()])
        if before and not _NOT_PLACE.search(before.group(1)) \
                and not any(before.group(1) in o or o.endswith(before.group(1)) for o in own if o):
            return before.group(1)
    return ""


def other_unit(text: str, place: str, body: str) -> str:
    """The unit named right after the place when it is not this report's unit ("汉阳区教育局" for a
    report of 汉阳区大数据中心), else ""."""
    endings = load("units.json")["unit_endings"]
    for m in re.finditer(re.escape(place), text):
        run = re.match(r"[\u4e00-\u9fff]{1,12}", text[m.end():])
        if not run:
            continue
        word = run.group(0)
        cut = min((word.find(e) + len(e) for e in endings if word.find(e) >= 0), default=0)
        if cut >= 2 and abbreviation(word[:cut], body) != word[:cut] and word[:cut] not in body:
            return word[:cut]
    return ""


def _ending(body: str) -> str:
    for g in sorted(load("units.json")["generic_bodies"], key=len, reverse=True):
        if body.endswith(g):
            return g
    return body[-1:]


def abbreviation(text: str, body: str) -> str:
    """The longest run of `text` ending with the body's unit-type ending whose characters follow the
    body in order, with at least two characters before the ending (文旅局, 农检中心, 大数据中心); or
    the body's own words before a short form of its ending (橘子洲街道 of …橘子洲街道办事处)."""
    if not body:
        return ""
    end, best = _ending(body), _own_words_short(text, body)
    pos = text.find(end)
    while pos >= 0:
        stop, start = pos + len(end), pos
        while start > 0 and in_order(text[start - 1:stop], body):
            start -= 1
        frag = text[start:stop]
        if len(frag) - len(end) >= 2 and len(frag) > len(best) and not _short_of_another_kind(frag, body):
            best = frag
        pos = text.find(end, pos + 1)
    return best


def _short_of_another_kind(frag: str, body: str) -> bool:
    """The fragment is the usual short form of a unit kind the body is not (卫健局 is 卫生健康局, not
    卫生健康综合监督执法局, however its characters follow that name in order)."""
    forms = load("units.json")["short_endings"]
    own = {short for long, shorts in forms.items() if body.endswith(long) for short in shorts}
    return any(frag.endswith(short) and short not in own for shorts in forms.values() for short in shorts)


def _own_words_short(text: str, body: str) -> str:
    """The body's words right before its ending, then a short form of that ending, as written in `text`
    ("橘子洲街道" of 人民政府橘子洲街道办事处, at least two characters of its own before the short form)."""
    for long, shorts in load("units.json")["short_endings"].items():
        if not body.endswith(long):
            continue
        for short in sorted(shorts, key=len, reverse=True):
            for m in re.finditer(re.escape(short), text):
                head = text[:m.start()]
                k = next((k for k in range(min(len(head), len(body) - len(long)), 1, -1)
                          if body[:-len(long)].endswith(head[-k:])), 0)
                if k:
                    return head[-k:] + short
    return ""


# ------------------------------------------------------------------ years
def relative_offset(text: str) -> Optional[int]:
    """The years back that 今年 / 去年 / 前年 say (0, -1, -2); not 比去年, a change; None without them."""
    lex = load("questions.json")
    for word, offset in lex["relative_years"].items():
        for m in re.finditer(word, text):
            if m.start() == 0 or text[m.start() - 1] not in lex["comparison_prefixes"]:
                return offset
    return None


def _relative_year(text: str, base: Optional[int]) -> Optional[int]:
    """今年 / 去年 / 前年 relative to the conversation's year."""
    offset = relative_offset(text)
    return None if base is None or offset is None else base + offset


# ------------------------------------------------------------------ resolve
def _strongest(names: NameIndex, text: str, pool: list[ReportRec]) -> list[Named]:
    found = [n for n in (names.name(r, text) for r in pool) if n is not None]
    # a named place outweighs an abbreviation of a unit elsewhere ("汉阳区…街道政务服务中心" is row
    # wording, not 沙坪坝区大数据发展服务中心)
    unplaced = (UNPLACED, UNPLACED + LITERAL)
    placed = {p for n in found if n.strength not in unplaced for p in names.places(n.report) if p in text}
    if placed:
        found = [n for n in found if n.strength not in unplaced or any(p in placed for p in names.places(n.report))]
    if not found:
        return []
    top = max(n.strength for n in found)
    return [n for n in found if n.strength == top]


def _ambiguous(named: list[Named]) -> bool:
    """One mention that fits several different units."""
    by_mention: dict[str, set[str]] = {}
    for n in named:
        by_mention.setdefault(n.mention, set()).add(squash(n.report.unit_name or n.report.report_id))
    return any(len(units) > 1 for units in by_mention.values())


def _unknown_region(text: str, names: NameIndex, named: bool = False) -> Optional[str]:
    """A district or county the corpus lacks. When the question also names a known one, only a
    mention at the start or beside a joiner counts (汉阳区和青山区); elsewhere it is row wording."""
    known = {p for r in names.reports for p in names.places(r)}
    for hit in _REGION_MENTION.finditer(text):
        m = hit.group(1).lstrip(_PLACES["higher_levels"]).lstrip(_PLACES["joiners"])
        inner = re.split(f"[{_PLACES['higher_levels']}]", m)[-1]  # 沙市万州区 (of 白沙市万州区): 万州区
        m = inner if len(inner) >= 3 else m
        if len(m) < 2 or _NOT_PLACE.search(m) or m in known or any(m in k or k in m for k in known):
            continue
        start, end = hit.end(1) - len(m), hit.end(1)
        if named and start > 0 and text[start - 1] not in _PLACES["joiners"] \
                and (end >= len(text) or text[end] not in _PLACES["joiners"]):
            continue
        return m
    return None


def _unknown_place(text: str) -> Optional[str]:
    """A place and unit the corpus lacks ("藤县文化广播电视和旅游局"): the place before a unit ending."""
    endings = "|".join(load("units.json")["unit_endings"])
    places = _any(_PLACES["unknown_unit_endings"])
    for m in re.finditer(rf"([\u4e00-\u9fff]{{1,4}}?(?:{places}))[\u4e00-\u9fff]{{1,14}}?(?:{endings})", text):
        if not _NOT_PLACE.search(m.group(1)):
            return m.group(0)
    return None


def _unknown_unit(text: str, names: NameIndex, pool: list[ReportRec]) -> Optional[str]:
    """A unit of a known place that the corpus does not hold ("汉阳区教育局")."""
    for r in pool:
        for place in names.places(r):
            if place in text:
                unit = other_unit(text, place, names.parts[r.report_id].body)
                if unit:
                    return place + unit
    return None


def _who(r: ReportRec) -> str:
    return r.unit_name or r.region or r.report_id


def _by_year(res: Resolution, named: list[Named], years: list[int]) -> Resolution:
    """Keep the named reports of the asked year; a year just before a report's is read from that
    report's stated changes (the caller derives it)."""
    reports = [n.report for n in named]
    if not reports:
        res.missing = "语料中没有符合条件的决算报告"
        return res
    if not years:
        res.reports = reports
        return res
    exact = [r for r in reports if r.year in years]
    if exact:
        res.reports = exact
        return res
    following = [r for r in reports if r.year and any(r.year == y + 1 for y in years)]
    if following and res.named:
        res.reports = following
        return res
    if res.named:
        have = "、".join(sorted({f"{_who(r)}{r.year}年" for r in reports}))
        res.missing = f"语料中没有{_who(reports[0])}{years[0]}年度的决算；现有{have}"
    else:
        res.missing = f"语料中没有{years[0]}年度的决算"
    return res


def resolve(text: str, names: NameIndex, *, history: Optional[list[str]] = None, report_id: Optional[str] = None,
            year: Optional[int] = None, unit: Optional[str] = None, many: bool = False) -> Resolution:
    """The reports `text` is about. `many`: the question compares or lists several reports."""
    norm = squash(fix_typos(text))
    pool = [r for r in names.reports if not report_id or r.report_id == report_id]
    if unit:
        u = squash(fix_typos(unit))
        pool = [r for r in pool if any(u in a or a in u for a in names.aliases[r.report_id] + names.places(r))]
    res = Resolution(years=years_in(norm))
    if year:
        res.years = [year] + [y for y in res.years if y != year]
    named = _strongest(names, norm, pool)
    if named and history and not report_id and _compared_with(norm, named):
        ctx = _from_history(names, history, pool)  # "比江汉区的多多少": the unit before, against this one
        if ctx is not None:
            ids = {n.report.report_id for n in named}
            named = named + [n for n in ctx[0] if n.report.report_id not in ids]
            res.years = res.years or ctx[2]
            res.context = ctx[1]
    if not named and not report_id:
        ctx = _from_history(names, history or [], pool)
        if ctx is not None:
            named, res.context, ctx_years = ctx
            rel = _relative_year(norm, ctx_years[0] if ctx_years else None)
            if res.years and ctx_years and set(res.years) <= _years_compared(norm):
                res.years = ctx_years + [y for y in res.years if y not in ctx_years]  # "比21年少了多少"
            res.years = res.years or ([rel] if rel else ctx_years)
            if many:  # "哪个多" after a question on 洪山 and one on 江汉: the two compared
                named = _with_unit_before(names, history or [], pool, named, res.context)
    if res.years and not year and set(res.years) <= _years_compared(norm):
        res.years = [y + 1 for y in res.years] + res.years  # "X比21年少了多少": the year after, against 21
    placed = any(n.strength > HIGHER for n in named)  # a city alone leaves its districts and units open
    unit_named = any(n.strength >= UNPLACED for n in named)  # a place alone names no unit of it
    region = _unknown_region(norm, names, placed) or (None if unit_named else _unknown_unit(norm, names, pool)) \
        or (None if placed else _unknown_place(norm))
    if region and not report_id and all(n.strength < PLACED for n in named):
        res.missing = f"语料中没有{region}的决算"  # a place the corpus lacks; its unit type alone names no report
        return res
    res.named = bool(named) or bool(report_id) or bool(unit)
    # the words naming the reports, and their places, say which report — not which figure
    words = {m for n in named for m in n.mention.split("|")} | {p for n in named for p in names.places(n.report)}
    res.mentions = longest_first(w for w in words if w)
    res.regions_named = list(dict.fromkeys(p for n in named for p in names.places(n.report)[:1]))
    if not named:  # no unit named: the reports of the unit kind the question names (审计局), else all
        kind = [r for r in pool if len(abbreviation(norm, names.parts[r.report_id].body)) >= 3]
        named = [Named(r, 0.0, "未指明单位，按全部报告", "") for r in kind or pool]
    res = _by_year(res, named, res.years)
    if res.missing:
        return res
    chosen = {r.report_id for r in res.reports}
    named = [n for n in named if n.report.report_id in chosen]
    res.reasons = {n.report.report_id: n.reason + (f"（沿用上文：{res.context}）" if res.context else "")
                   for n in named}
    # one mention fitting several units, or no unit named: the user picks (several years of one
    # named unit are answered year by year)
    if not many and len(res.reports) > 1 and (_ambiguous(named) or not res.named):
        res.choices, res.reports = res.reports, []
    return res


def _compared_with(norm: str, named: list[Named]) -> bool:
    """The question names its reports only as what the figure is compared with ("比江汉区的多多少",
    "和硚口区比呢")."""
    lex = load("questions.json")
    prefixes, joiners = lex["comparison_prefixes"], lex["derivations"]["sum_separators"]
    spans = [(norm.find(w), norm.find(w) + len(w)) for n in named for w in n.mention.split("|") if w and w in norm]

    def compared(start: int, end: int) -> bool:
        before = norm[start - 1]
        return before in prefixes or before in joiners and re.match(r"的?相?比", norm[end:]) is not None
    return bool(spans) and all(b > 0 and compared(b, e) for b, e in spans)


def _with_unit_before(names: NameIndex, history: list[str], pool: list[ReportRec], latest: list[Named],
                      latest_question: str) -> list[Named]:
    """The reports of the latest earlier question that named a unit (`latest_question`), with those of the
    one before it that named another unit; `latest` alone when the two name the same unit."""
    recent = history[-10:]
    at = max((i for i, h in enumerate(recent) if h == latest_question), default=0)
    ctx = _from_history(names, recent[:at], pool)
    seen = {n.report.report_id for n in latest}
    return latest + [n for n in ctx[0] if n.report.report_id not in seen] if ctx is not None else latest


def _from_history(names: NameIndex, history: list[str], pool: list[ReportRec]):
    """The reports and years of the latest earlier question that names a unit or place."""
    years: list[int] = []
    for earlier in reversed(history[-10:]):
        norm = squash(fix_typos(earlier))
        years = years or years_in(norm)
        named = _strongest(names, norm, pool)
        if named:
            return named, earlier, years or years_in(norm)
    return None
