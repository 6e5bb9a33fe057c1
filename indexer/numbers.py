"""Reading numbers as the reports write them: "2,399.30", "12.3", "96.8%", "-0.42"."""
from __future__ import annotations

import math
import re
from typing import Optional

from .lexicon import alternation, load

# A figure: optional sign, digits with optional thousands separators, optional decimals.
NUMBER_RE = re.compile(r"(?<![\d.])[-−]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d])|(?<![\d.,])[-−]?\d+(?:\.\d+)?(?![\d])")
# A whole cell that is only a number (with optional % and surrounding spaces).
CELL_NUMBER_RE = re.compile(r"^\s*[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s*%?\s*$")


def to_float(raw: str) -> Optional[float]:
    """A written figure as a finite float ("2,399.30" → 2399.3); None for anything else,
    including figures too long to be finite (a 400-digit "number" is not a figure)."""
    try:
        value = float(raw.replace(",", "").replace("−", "-"))
    except (ValueError, AttributeError):
        return None
    return value if math.isfinite(value) else None


# An accounting negative: a figure with decimals in brackets ("(1.30)"; an ordinal "（1）" has none).
BRACKETED_NEGATIVE_RE = re.compile(r"^\s*[(（]\s*((?:\d{1,3}(?:,\d{3})+|\d+)\.\d+)\s*[)）]\s*$")


def parse_number(text: str) -> Optional[float]:
    """Parse a cell that holds exactly one number; None otherwise. A full-width minus ("－20.30") and
    a bracketed figure ("(1.30)") are negative."""
    if text is None:
        return None
    t = text.strip().replace("－", "-")
    bracketed = BRACKETED_NEGATIVE_RE.match(t)
    if bracketed:
        value = to_float(bracketed.group(1))
        return None if value is None else -value
    if not CELL_NUMBER_RE.match(t):
        return None
    return to_float(t.rstrip("%").strip())




def decimals(raw: str) -> int:
    """Number of decimal places a figure is written with."""
    t = raw.strip().rstrip("%")
    return len(t.split(".", 1)[1]) if "." in t else 0


def format_amount(value: float, nd: int = 2) -> str:
    """Format like the reports: thousands separators, fixed decimals."""
    return f"{value:,.{nd}f}"




# A quantity cell: optional comparator, a number, optional unit ("15人", "≥370 条", "96.8%"); the
# units are lexicon/table_headers.json's quantity_cell_units.
QUANTITY_RE = re.compile(
    r"^\s*(?P<cmp>[≥≤<>＞＜=]{1,2})?\s*(?P<num>[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*"
    r"(?P<unit>" + alternation(load("table_headers.json")["quantity_cell_units"]) + r")?\s*$"
)


def parse_quantity(text: str) -> Optional[tuple[float, Optional[str], Optional[str]]]:
    """Parse "15人" -> (15.0, "人", None); "≥95%" -> (95.0, "%", "≥"); plain numbers -> unit None."""
    if text is None:
        return None
    m = QUANTITY_RE.match(text)
    if not m:
        return None
    value = to_float(m.group("num"))
    if value is None:
        return None
    unit = m.group("unit")
    if unit == "％":
        unit = "%"
    return value, unit, m.group("cmp")


# ---------------------------------------------------------------- codes are not amounts
# An integer written like a classification code: "201", "2080505", "208 05 05", "[2080505]".
_CODE_LIKE = re.compile(r"(?P<open>[\[【（(])?(?<![\d.,])(?P<digits>\d{3}(?:[ \u3000]?\d{2}){0,2})(?![\d.,%％])(?P<close>[\]】）)])?")
CODE_NAME_WINDOW = 24  # characters around a code where its name is looked for


def code_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, code) of every classification code in `text` that must not be read as an amount:
    a bracketed code ("[2080505]", "（201）"), or a code whose name stands next to it
    ("一般公共服务支出 201万元": 201 is the class code of 一般公共服务支出)."""
    from .lexicon import code_name, normalize_code

    out = []
    for m in _CODE_LIKE.finditer(text or ""):
        code = normalize_code(m.group("digits"))
        if not code:
            continue
        bracketed = bool(m.group("open") and m.group("close"))
        name = code_name(code)
        near = text[max(0, m.start() - CODE_NAME_WINDOW):m.end() + CODE_NAME_WINDOW]
        named = bool(name) and (name in near or re.sub(r"[（(][^）)]*[）)]", "", name) in near)
        if bracketed or named:
            out.append((m.start("digits"), m.end("digits"), code))
    return out


def figures(text: str) -> list[tuple[int, int, str, float]]:
    """(start, end, raw, value) of every figure in prose or a row's text, classification codes excluded."""
    codes = code_spans(text)
    out = []
    for m in NUMBER_RE.finditer(text or ""):
        if any(s <= m.start() < e for s, e, _ in codes):
            continue
        value = to_float(m.group(0))
        if value is not None:
            out.append((m.start(), m.end(), m.group(0), value))
    return out


def is_code_at(text: str, start: int) -> bool:
    """Whether the number starting at `start` in `text` is a classification code, not an amount."""
    return any(s <= start < e for s, e, _ in code_spans(text))
