"""Checking a claim's numbers against the reports ("汉阳区大数据中心2021年项目支出2399.30万元").

Each number in the claim is supported (a figure of the same value is stated for the concept the
claim names), contradicted (the concept is stated with another value), or not found.
"""
from __future__ import annotations

import re

from indexer.numbers import is_code_at, to_float
from indexer.prose_facts import FIGURE_RE, normalize_unit

from .compose import citation
from .match import Candidate
from .query import understand
from . import thresholds as th


def verify_claim(engine, claim: str) -> dict:
    q = understand(claim, engine.index)
    out = {"claim": claim, "supported": None, "numbers": []}
    if q.missing or not q.reports:
        out["reason"] = q.missing or "语料中没有相关报告"
        return out
    ids = {r.report_id for r in q.reports}
    years = {str(y) for y in q.years}
    for m in FIGURE_RE.finditer(claim):
        raw, unit = m.group("num"), m.group("unit") or ""
        if raw in years or (not unit and re.fullmatch(r"20\d\d", raw)):
            continue
        value = to_float(raw)
        if value is None or is_code_at(claim, m.start()):
            continue  # "一般公共服务支出 201万元": 201 is the class code
        # The concept is the claim text before this number; score candidates against it alone.
        sub = understand(claim[:m.start()] or claim, engine.index)
        sub.reports, sub.unit = q.reports, (normalize_unit(unit) or sub.unit)
        cands = engine.candidates(sub, ids)
        same = [c for c in cands[:40] if abs(c.value - value) <= th.SAME_VALUE and c.score >= th.SUPPORT]
        best = cands[0] if cands else None
        entry = {"value": value, "unit": unit or None, "status": "not_found", "citations": []}
        if same:
            entry["status"] = "supported"
            entry["citations"] = [_cite(engine, c, i) for i, c in enumerate(same[:3], start=1)]
        elif best is not None and best.score >= th.ACCEPT:
            entry["status"] = "contradicted"
            entry["stated"] = best.value
            entry["citations"] = [_cite(engine, best, 1)]
        out["numbers"].append(entry)
    statuses = {n["status"] for n in out["numbers"]}
    if out["numbers"]:
        out["supported"] = statuses == {"supported"} if "contradicted" not in statuses else False
        if statuses == {"not_found"}:
            out["supported"] = None
    return out


def _cite(engine, c: Candidate, i: int) -> dict:
    return citation(engine.index, c.chunk_id, f"v{i}", c.score).model_dump()
