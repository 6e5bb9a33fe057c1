"""Money units: the unit a report keeps its accounts in, and a figure said in the other one (万元 / 元;
the worth of each in `lexicon/questions.json` `money_units`)."""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

from indexer.lexicon import load

from .match import Candidate

MONEY: dict[str, float] = load("questions.json")["money_units"]  # a money unit → its worth in 元


def money_unit(index, report_id: str) -> str:
    """The money unit most of the report's amounts are stated in (万元, or 元 where a report keeps its
    accounts in 元): derived figures are computed and said in it."""
    units = getattr(index, "_money_units", None)
    if units is None:
        units = index._money_units = {}
    if report_id not in units:
        counts = {u: 0 for u in MONEY}
        for f in index.facts:
            if f.report_id == report_id and f.unit in counts:
                counts[f.unit] += 1
        units[report_id] = max(counts, key=lambda u: (counts[u], u == "万元"))
    return units[report_id]


def converted(value: float, own: str, unit: str) -> float:
    """`value` stated in money unit `own`, in money unit `unit`."""
    return value * MONEY[own] / MONEY[unit]


def in_unit(c: Candidate, unit: Optional[str]) -> Optional[Candidate]:
    """`c` with its value in `unit`: itself, a money figure converted from the other money unit, or None
    for a figure of another kind."""
    own = c.unit or "万元"
    if unit is None or own == unit:
        return c
    if own in MONEY and unit in MONEY:
        return replace(c, value=converted(c.value, own, unit), unit=unit)
    return None
