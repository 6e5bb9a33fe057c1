"""Domain vocabulary, loaded once from the JSON files in indexer/lexicon/.

Table names, column names, synonyms and place-name fixes live in data files; code asks this
module instead of spelling Chinese terms inline.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

LEXICON_DIR = Path(__file__).parent / "lexicon"
_WS = re.compile(r"\s+")


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    with open(LEXICON_DIR / name, encoding="utf-8") as f:
        return json.load(f)


def squash(text: str) -> str:
    """Remove all whitespace (column and row names are compared this way)."""
    return _WS.sub("", text or "")


def longest_first(words: Iterable[str]) -> list[str]:
    """`words` longest first, words of one length by spelling: an order that never depends on the
    process's string hashing when `words` is a set."""
    return sorted(words, key=lambda w: (-len(w), w))


def alternation(words: Iterable[str], longest_first: bool = False) -> str:
    """A regex alternation matching any of `words` literally, in the given order or longest first
    (so that a word wins over its own prefix)."""
    words = sorted(words, key=len, reverse=True) if longest_first else list(words)
    return "|".join(re.escape(w) for w in words)


@lru_cache(maxsize=1)
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s")


def fix_typos(text: str) -> str:
    """A question as the reports write it: traditional characters simplified (綦江公路事務中心收入總計),
    then the typos of place names corrected."""
    text = _to_simplified().convert(text) if re.search(r"[\u4e00-\u9fff]", text or "") else text
    for wrong, right in load("regions.json")["typos"].items():
        text = text.replace(wrong, right)
    return text


def table_specs() -> list[dict]:
    return load("tables.json")["tables"]


_TITLE_NOISE = re.compile(load("tables.json")["title_noise_pattern"])


TITLE_UNIT = re.compile(load("table_headers.json")["blocks"]["title_unit_pattern"])  # （单位：万元） after a title


def match_table_name(line: str) -> Optional[str]:
    """Canonical table name when `line` reads like a table title, else None."""
    line = TITLE_UNIT.sub("", line.strip())  # 表二　收入决算表（单位：万元）
    t = squash(_TITLE_NOISE.sub("", line.strip().strip("*_` ")))  # **表一 收入支出决算总表** (Markdown bold)
    t = squash(_TITLE_NOISE.sub("", t))  # "一、2024年度…" needs two passes
    t = t.replace('"', "“", 1).replace('"', "”", 1)
    if not t or len(t) > 60:
        return None
    for spec in table_specs():
        for pat in spec["patterns"]:
            if t.endswith(pat):
                return spec["name"]
    return None


def table_kind(name: str) -> str:
    for spec in table_specs():
        if spec["name"] == name:
            return spec["kind"]
    return "by_code"


# ---------------------------------------------------------------- national classification
_CODE_TEXT = re.compile(r"^[\[【（(]?\s*(\d{3})(?:[\s\-.]*(\d{2}))?(?:[\s\-.]*(\d{2}))?\s*[\]】）)]?$")


def classification() -> dict[str, dict[str, str]]:
    """{"function": {code: name}, "economic": {code: name}} of lexicon/classification.json."""
    data = load("classification.json")
    return {"function": data["function"], "economic": data["economic"]}


def code_kind(code: str) -> Optional[str]:
    """"function" (支出功能分类) or "economic" (支出经济分类) for a code of a known 类, else None.
    Codes of 5 or 7 digits under a known 类 count even when the lexicon does not list them."""
    if not code or not code.isdigit() or len(code) not in (3, 5, 7):
        return None
    tables = classification()
    for kind in ("function", "economic"):
        if code[:3] in tables[kind] and (kind == "function" or len(code) <= 5):
            return kind
    return None


def normalize_code(text: str) -> Optional[str]:
    """A classification code however it is written: "2080505", "208 05 05", "[2080505]" -> "2080505";
    None when `text` is not a code of a known 类."""
    m = _CODE_TEXT.match((text or "").strip())
    if not m:
        return None
    code = "".join(g for g in m.groups() if g)
    return code if code_kind(code) else None


def code_name(code: str) -> Optional[str]:
    """The classification's name of a code ("30217" -> "公务接待费"), None when not listed."""
    kind = code_kind(code)
    return classification()[kind].get(code) if kind else None
