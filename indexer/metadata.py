"""Report metadata (unit, region, year, aliases, id), each field with where it was read from.

Sources, strongest first: title lines in their many forms (unit before or after the year, any of
the report kinds of lexicon/metadata.json, wrapped over up to three lines as PDF covers are),
key-value lines ("单位名称：…", "**决算年度**：…"), the overview heading, sentences of the body
that name the unit, and finally the file name (uploads keep the user's file name). A unit name is
one name: names run together are split and the publishing unit (the one the title ends with) is
kept; sentence fragments are never names.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePath
from typing import Optional

from .aliases import derive_aliases, short_place
from .lexicon import alternation, fix_typos, load, squash
from .models import Document, ReportMeta

_CJK = "\u4e00-\u9fff"
_NAME = rf"[{_CJK}（）()]{{2,40}}?"
_YEAR = r"((?:19|20)\d\d)"
HEAD_LINES = 400  # metadata is read from the first lines of a report
COVER_LINES = 3  # a title may be wrapped over this many lines

W_TITLE, W_KEY, W_OVERVIEW, W_BODY = 1000, 1000, 100, 1  # a title outweighs any count of body mentions


def _words() -> dict:
    return load("metadata.json")


def _alt(words) -> str:
    return alternation(words, longest_first=True)


@lru_cache(maxsize=None)
def _patterns() -> dict[str, re.Pattern]:
    w = _words()
    kinds, seps = _alt(w["report_kinds"]), re.escape(w["title_separators"].replace(" ", ""))
    keys = _alt(w["unit_keys"] + w["year_keys"] + w["amount_unit_keys"])
    verbs = _alt(w["body_verbs"])
    return {
        "unit_year": re.compile(rf"^(?P<unit>{_NAME})[{seps}]?{_YEAR}年?度?(?P<kind>{kinds})"),
        "year_unit": re.compile(rf"^{_YEAR}年?度?(?P<unit>{_NAME})(?P<kind>{kinds})"),
        "unit_only": re.compile(rf"^(?P<unit>{_NAME})(?:年度)?(?P<kind>{kinds})(?:[（(][^）)]*[）)])?$"),
        "year_line": re.compile(rf"^{_YEAR}年?度?$"),
        "part": re.compile(w["part_heading"]),
        "overview": re.compile(rf"^{w['part_heading']}(?P<unit>{_NAME})(?:{_alt(w['overview_suffixes'])})$"),
        "kv": re.compile(rf"(?P<key>{keys})[:：](?P<value>[^\s:：|｜]+)"),
        "body": re.compile(rf"(?:^|[。；！？])(?P<unit>[{_CJK}（）()]{{4,40}}?)(?:[（(]以下简称[^）)]*[）)])?(?:{verbs})"),
        "self_is": re.compile(rf"(?:{_alt(w['self_generic'])})(?:全称|名称)[是为：:](?P<unit>[{_CJK}（）()]{{4,40}}?)(?=[，。；,;]|$)"),
        "year_any": re.compile(r"((?:19|20)\d\d)年度"),
        "decor": re.compile(rf"^(?:[#>*\-•【\[《“\"]+|{_alt(w['title_lead_words'])})+"),
    }


def _unit_suffixes() -> list[str]:
    return sorted(load("regions.json")["unit_suffixes"], key=len, reverse=True)


@lru_cache(maxsize=None)
def _region_re() -> re.Pattern:
    r = load("regions.json")["region_suffixes"]
    stem = rf"(?:(?![省市区县旗])[{_CJK}]){{2,8}}?"
    return re.compile(rf"^(?P<province>{stem}(?:{_alt(r['province'])}))?(?P<city>{stem}(?:{_alt(r['city'])}))?"
                      rf"(?P<county>{stem}(?:{_alt(r['county'])})|[{_CJK}]县)?")


# ---------------------------------------------------------------- names
def clean_unit(name: str) -> str:
    name = squash(fix_typos(name)).strip("：:，,。*#")
    for s in sorted(_words()["name_strip_suffixes"], key=len, reverse=True):
        if name.endswith(s) and unit_like(name[: -len(s)]):
            name = name[: -len(s)]
    return name


def unit_like(name: Optional[str]) -> bool:
    """A plausible unit name: ends like one, starts with no digit, holds no sentence words."""
    if not name or len(name) < 4 or len(name) > 40 or not re.match(rf"[{_CJK}]", name):
        return False
    if any(w in name for w in _words()["not_name_words"]):
        return False
    if name.count("（") != name.count("）") or name.count("(") != name.count(")"):
        return False
    return any(name.endswith(s) and len(name) > len(s) for s in _unit_suffixes())


def split_names(name: str) -> list[str]:
    """Names run together ("XX区XX中心XX区XX局") as separate names, in order; a new name starts
    where a unit ending is followed by a place name."""
    parts, start = [], 0
    for k in range(4, len(name) - 3):
        head, rest = name[start:k], name[k:]
        if unit_like(head) and _region_re().match(rest).group(0) and unit_like(rest):
            parts.append(head)
            start = k
    parts.append(name[start:])
    return parts


def _publisher(name: str) -> Optional[str]:
    """The one unit a title names: the last of names run together (the title ends with it)."""
    name = clean_unit(re.sub(_patterns()["part"], "", name))
    last = split_names(name)[-1]
    return last if unit_like(last) else None


# ---------------------------------------------------------------- evidence
@dataclass
class _Evidence:
    units: Counter = field(default_factory=Counter)
    years: Counter = field(default_factory=Counter)

    def unit(self, name: Optional[str], weight: int) -> None:
        if name:
            self.units[name] += weight

    def year(self, year: str | int, weight: int) -> None:
        y = int(year)
        if 1990 <= y <= 2100:
            self.years[y] += weight


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


@lru_cache(maxsize=None)
def _cn_year_re() -> re.Pattern:
    w = _words()
    digits = "".join(w["cn_digits"])
    return re.compile(rf"([{digits}]{{4}})(?={w['year_word']})")


def _arabic_years(text: str) -> str:
    """Years written in Chinese numerals or full-width digits ("二〇二二年", "２０２２年") as 2022."""
    table = _words()["cn_digits"]
    text = text.translate(_FULLWIDTH_DIGITS)
    return _cn_year_re().sub(lambda m: "".join(table[c] for c in m.group(1)), text)


def _strip_decor(line: str) -> str:
    t = _arabic_years(squash(fix_typos(line)).replace("**", ""))
    return _patterns()["decor"].sub("", t)


def _title_at(lines: list[str], i: int, ev: _Evidence) -> None:
    """A title starting at lines[i], alone or joined with the next lines (a wrapped cover)."""
    p = _patterns()
    joined = ""
    for k in range(i, min(i + COVER_LINES, len(lines))):
        piece = lines[k]
        if k > i and (not piece or re.search(r"[。；，]", joined)):
            break
        joined += piece
        for pat in ("unit_year", "year_unit"):
            m = p[pat].match(joined)
            if m and (unit := _publisher(m.group("unit"))):
                ev.unit(unit, W_TITLE)
                ev.year(m.group(1) if pat == "year_unit" else m.group(2), W_TITLE)
                return
        m = p["unit_only"].match(joined)
        if m and (unit := _publisher(m.group("unit"))):
            ev.unit(unit, W_TITLE)
            # the year of a cover extracted onto its own line, just above or below the title
            for j in (i - 1, k + 1, i - 2, k + 2):
                if 0 <= j < len(lines) and (y := p["year_line"].match(lines[j])):
                    ev.year(y.group(1), W_TITLE)
                    break
            return


def _key_values(raw: str, ev: _Evidence) -> None:
    w = _words()
    text = fix_typos(raw).replace("**", "").replace("__", "")
    for m in _patterns()["kv"].finditer(text):
        key, value = m.group("key"), m.group("value")
        if m.start() and text[m.start() - 1] not in " \t|｜#>*-•（(【[":
            continue  # the key is the end of a longer word ("发布单位"), not this key
        if key in w["unit_keys"] and unit_like(clean_unit(value)):
            ev.unit(_publisher(value), W_KEY)
        elif key in w["year_keys"] and (y := re.match(_YEAR, value)):
            ev.year(y.group(1), W_KEY)


def _body(line: str, ev: _Evidence) -> None:
    p = _patterns()
    for pat in ("body", "self_is"):
        for m in p[pat].finditer(line):
            unit = clean_unit(m.group("unit"))
            if unit_like(unit) and split_names(unit) == [unit] and region_parts(unit):
                ev.unit(unit, W_BODY)


def _self_kinds(text: str) -> Counter:
    """How the report calls itself ("本中心", "本局"): the unit endings it uses, counted."""
    prefix = _words()["self_prefix"]
    return Counter(s for s in _unit_suffixes() if len(s) <= 3 for _ in re.finditer(re.escape(prefix + s), text))


def read_evidence(lines: list[str]) -> tuple[_Evidence, Counter]:
    head = lines[:HEAD_LINES]
    stripped = [_strip_decor(l) for l in head]
    nonblank = [t for t in stripped if t]
    ev = _Evidence()
    for i in range(len(nonblank)):
        _title_at(nonblank, i, ev)
        m = _patterns()["overview"].match(nonblank[i])
        if m and (unit := _publisher(m.group("unit"))):
            ev.unit(unit, W_OVERVIEW)
    for raw in head:
        _key_values(raw, ev)
    body = "".join(stripped)
    for t in stripped:  # a sentence opening a line; the joined body for sentences wrapped mid-way
        _body(t, ev)
    _body(body, ev)
    for y in _patterns()["year_any"].findall(body):
        ev.year(y, W_BODY)
    return ev, _self_kinds(body)


def _best_unit(units: Counter, kinds: Counter) -> Optional[str]:
    if not units:
        return None
    # A shorter form ("汉阳区大数据中心") supports the full name that ends with it.
    merged = Counter()
    for u, c in units.items():
        longer = [v for v in units if v != u and v.endswith(u)]
        merged[max(longer, key=len) if longer else u] += c
    merged.update({u: 0 for u in units if u not in merged})

    def rank(u: str) -> tuple:
        kind = max((kinds[s] for s in kinds if u.endswith(s)), default=0)
        return merged[u], kind > 0, len(u)

    return max(merged, key=rank)


# ---------------------------------------------------------------- file name
def from_file_name(source_file: str) -> tuple[Optional[str], Optional[int]]:
    """Unit and year from a file name such as "大英县文化广播电视和旅游局_2022.md" or
    "2022年度XX局部门决算（公开版）.pdf"; (None, None) where it names neither."""
    w = _words()
    stem = squash(fix_typos(PurePath(source_file).stem))
    for noise in w["file_noise"]:
        stem = stem.replace(noise, " ")
    stem = re.sub(r"[（(]\d+[）)]", " ", stem)
    years = re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", stem)
    stem = re.sub(r"(?<!\d)(?:19|20)\d\d(?!\d)年?度?", " ", stem)
    stem = re.sub(_alt(w["report_kinds"]), " ", stem)
    tokens = [clean_unit(t) for t in re.split(r"[\s_\-—.·,，、+（）()\[\]【】]+", stem) if t]
    units = [u for t in tokens for u in [split_names(t)[-1]] if unit_like(u)]
    unit = max(units, key=len) if units else None
    return unit, (int(years[0]) if years else None)


# ---------------------------------------------------------------- region, aliases, id
def region_parts(unit_name: Optional[str]) -> dict[str, str]:
    """Province, city and county names a unit name starts with ("武汉市汉阳区…" -> city, county)."""
    if not unit_name:
        return {}
    m = _region_re().match(unit_name)
    bad = load("regions.json")["not_region_stems"]
    out = {}
    for level in ("province", "city", "county"):
        name = m.group(level) if m else None
        if name and not any(name.endswith(b) for b in bad):
            out[level] = name
    return out


def region_of(unit_name: Optional[str]) -> Optional[str]:
    """The most specific region a unit name starts with (county, else city, else province)."""
    parts = region_parts(unit_name)
    return parts.get("county") or parts.get("city") or parts.get("province")


def aliases_of(unit_name: Optional[str], region: Optional[str]) -> list[str]:
    """Short names a report answers to (derived from the unit name, indexer/aliases.py) and its place."""
    out = derive_aliases(unit_name)
    if region:
        out += [region, short_place(region)]
    return list(dict.fromkeys(a for a in out if a and len(a) >= 2))


def make_report_id(unit_name: Optional[str], year: Optional[int], fallback: str) -> str:
    """A proposed id: the same unit and year give the same proposal (the registry keeps ids unique)."""
    key = f"{unit_name}|{year}" if unit_name else f"file|{fallback}"
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]
    return f"{year or 'na'}-{digest}"


def make_title(unit_name: Optional[str], year: Optional[int]) -> str:
    return f"{unit_name or ''}{year or ''}年度部门决算" if unit_name or year else ""


def build_meta(doc: Document) -> ReportMeta:
    ev, kinds = read_evidence(doc.lines)
    unit, year = _best_unit(ev.units, kinds), (ev.years.most_common(1)[0][0] if ev.years else None)
    sources = {"unit_name": "text"} if unit else {}
    if year:
        sources["year"] = "text"
    if unit is None or year is None:
        f_unit, f_year = from_file_name(doc.source_file)
        if unit is None and f_unit:
            unit, sources["unit_name"] = f_unit, "file name"
        if year is None and f_year:
            year, sources["year"] = f_year, "file name"
    region = region_of(unit)
    if region:
        sources["region"] = sources["unit_name"]
    return ReportMeta(
        report_id=make_report_id(unit, year, doc.content_hash), unit_name=unit, region=region, year=year,
        title=make_title(unit, year), source_file=doc.source_file, content_hash=doc.content_hash,
        aliases=aliases_of(unit, region), metadata_source=sources,
    )
