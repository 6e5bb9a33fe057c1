"""The short names a report answers to, derived from its own unit name.

A unit name reads [province][city][district or county][body]: 武汉市 汉阳区 大数据中心. People drop
the higher levels, shorten the place (汉阳), and shorten common unit-type endings (文化和旅游局 →
文旅局). The endings and prefixes are data (lexicon/units.json); nothing here knows one unit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .lexicon import load, longest_first, squash

_CJK = "\u4e00-\u9fff"
_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class NameParts:
    higher: str  # province and/or city above the place ("湖北省武汉市")
    place: str  # district, county or (with no district) city: "汉阳区", "梧州市"
    body: str  # the unit itself: "大数据中心"

    @property
    def place_short(self) -> str:
        return short_place(self.place)


def short_place(place: str) -> str:
    """汉阳区 → 汉阳, 大英县 → 大英; a two-character name keeps its suffix (城区 stays)."""
    for suf in sorted(load("units.json")["region_suffixes"], key=len, reverse=True):
        if place.endswith(suf) and len(place) - len(suf) >= 2:
            return place[: -len(suf)]
    return place


def clean_name(unit: str) -> str:
    lex = load("units.json")
    name = squash(unit)
    for p in lex["drop_prefixes"]:
        if name.startswith(p):
            name = name[len(p):]
    return name


def _level(text: str, suffixes: list[str], longest: int) -> str:
    """The leading place name of `text` ending in one of `suffixes`, tried in their order ("" when none).

    A level never spans a lower one: "大英县市场监督管理局" has no city.
    """
    lower = "".join(load("units.json")["region_suffixes"])
    for suf in suffixes:
        m = re.match(rf"^[{_CJK}]{{1,{longest}}}?{suf}", text)
        if m and len(m.group(0)) >= 2 and not re.search(f"[{lower}]", m.group(0)[: -len(suf)]):
            return m.group(0)
    return ""


def in_order(short: str, long: str) -> bool:
    """The characters of `short` occur in `long` in order (文旅局 in 文化广播电视和旅游局)."""
    it = iter(long)
    return all(ch in it for ch in short)


def split_name(unit: str) -> NameParts:
    """Split a unit name into its higher levels, its place and its body."""
    lex = load("units.json")
    rest, higher = clean_name(unit), ""
    levels_above = lex["higher_level_suffixes"]
    for suffixes in (levels_above["province"], levels_above["city"]):
        level = _level(rest, suffixes, 6)
        if level and len(rest) - len(level) >= 2:
            higher, rest = higher + level, rest[len(level):]
    place = _level(rest, lex["region_suffixes"], 6)
    if place and len(rest) - len(place) >= 2:
        rest = rest[len(place):]
    else:
        place = ""
        levels = re.findall(rf"[{_CJK}]{{2,6}}?(?:{'|'.join(levels_above['city'])})$", higher)
        if levels:  # no district: the city is the place
            place, higher = levels[-1], higher[: -len(levels[-1])]
    return NameParts(higher, place, rest)


def short_bodies(body: str) -> list[str]:
    """The body and its shortened forms (文化广播电视和旅游局 → 文旅局 …)."""
    lex = load("units.json")
    out = [body]
    for lead, short in lex["leading_shorts"].items():  # 委员会组织部 → 委组织部
        if body.startswith(lead) and len(body) > len(lead) + 1:
            out.append(short + body[len(lead):])
    numbered = re.match(rf"^第([{_NUMERALS}]+)({'|'.join(lex['numbered_shorts'])})$", body)
    if numbered:  # 第二中学 → 二中
        out.append(numbered.group(1) + lex["numbered_shorts"][numbered.group(2)])
    for infix in lex["drop_infixes"]:
        if infix in body and body.replace(infix, ""):
            out.append(body.replace(infix, ""))
    endings = sorted(lex["short_endings"].items(), key=lambda kv: -len(kv[0]))
    for variant in list(out):
        ending = next(((e, shorts) for e, shorts in endings if variant.endswith(e)), None)
        if ending:
            out += [variant[: -len(ending[0])] + s for s in ending[1]]
    return list(dict.fromkeys(out))


def is_place_body(body: str) -> bool:
    """A unit body that is itself a place (沙岗镇 of 沙岗镇人民政府): it names its unit as a place does."""
    return len(body) >= 3 and body.endswith(tuple(load("units.json")["place_bodies"]))


def names_place(alias: str) -> bool:
    """An alias naming a town's unit by the town (沙岗镇, 沙岗镇政府)."""
    return any(is_place_body(alias[:k]) for k in range(3, len(alias) + 1))


def derive_aliases(unit_name: Optional[str], extra: tuple[str, ...] = ()) -> list[str]:
    """Every form of the unit's name a question may use, longest first (the full name included)."""
    if not unit_name:
        return longest_first(set(extra))
    full = squash(unit_name)
    parts = split_name(full)
    district_bodies = tuple(load("units.json")["district_bodies"])
    out = {full, clean_name(full)}
    places = [p for p in {parts.place, parts.place_short} if p]
    towns = [b for b in short_bodies(parts.body) if is_place_body(b)]
    for body in short_bodies(parts.body):
        if any(body.startswith(t) for t in towns):
            out.add(body)  # a town's government is named by the town: 沙岗镇, 沙岗镇政府
        if parts.higher:
            out.add(parts.higher + parts.place + body)
        for p in places:
            if body.startswith(district_bodies):  # 汉阳区委组织部 → 区委组织部
                out |= {parts.place + body, parts.place[-1] + body}
            else:
                out.add(p + body)
    out |= set(extra)
    return longest_first(a for a in out if len(a) >= 2)
