"""The suite's own data (lexicon.json): templates, colloquial synonyms, confuser names."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

DATA = Path(__file__).with_name("lexicon.json")
SLOTS = ("unit", "year", "table", "row", "code", "col")


@dataclass(frozen=True)
class Template:
    id: str
    text: str
    held_out: bool
    name: str = "full"  # full | short | place | place_short
    year: str = "full"  # full | short | fy | none
    syn: bool = False
    typo: bool = False

    def uses(self, slot: str) -> bool:
        return "{" + slot + "}" in self.text

    def parts(self) -> list[tuple[str, str]]:
        """The template as (kind, text) pieces: ('lit', '是多少') or ('row', '')."""
        out = []
        for piece in re.split(r"(\{[a-z]+\})", self.text):
            if not piece:
                continue
            m = re.fullmatch(r"\{([a-z]+)\}", piece)
            if m and m.group(1) not in SLOTS:
                raise ValueError(f"unknown slot {piece} in template {self.id}")
            out.append((m.group(1), "") if m else ("lit", piece))
        return out


@dataclass(frozen=True)
class Synonym:
    id: str
    scope: str  # row | col | tail (a question word)
    formal: str
    colloquial: str
    held_out: bool
    when: Optional[str] = None  # only for facts whose table, row or column holds this word


@dataclass(frozen=True)
class Lexicon:
    templates: tuple[Template, ...]
    unanswerable: tuple[Template, ...]
    synonyms: tuple[Synonym, ...]
    generic_columns: frozenset[str]
    value_words: frozenset[str]  # words naming a figure's value itself (决算数): no column a row can lack
    confuser_places: tuple[str, ...]
    confuser_bodies: tuple[str, ...]


def _template(d: dict) -> Template:
    return Template(id=d["id"], text=d["text"], held_out=bool(d.get("held_out")), name=d.get("name", "full"),
                    year=d.get("year", "full"), syn=bool(d.get("syn")), typo=bool(d.get("typo")))


def load_lexicon(path: Optional[Path] = None) -> Lexicon:
    raw = json.loads(Path(path or DATA).read_text(encoding="utf-8"))
    lex = Lexicon(
        templates=tuple(_template(d) for d in raw["templates"]),
        unanswerable=tuple(_template(d) for d in raw["unanswerable_templates"]),
        synonyms=tuple(Synonym(id=d["id"], scope=d["scope"], formal=d["formal"], colloquial=d["colloquial"],
                               held_out=bool(d.get("held_out")), when=d.get("when")) for d in raw["synonyms"]),
        generic_columns=frozenset(raw.get("generic_columns", [])),
        value_words=frozenset(raw.get("value_words", [])),
        confuser_places=tuple(raw.get("confuser_places", [])),
        confuser_bodies=tuple(raw.get("confuser_bodies", [])))
    ids = [t.id for t in lex.templates + lex.unanswerable] + [s.id for s in lex.synonyms]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate template or synonym id in the suite lexicon")
    for t in lex.templates + lex.unanswerable:
        t.parts()
    return lex
