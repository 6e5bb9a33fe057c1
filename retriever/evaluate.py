"""Scoring answers against a gold file (rules: shared/eval/README.md)."""
from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import Iterable

from indexer.models import AskResponse

EPS = 0.01 + 1e-9
_NUM = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def load_gold(path: Path) -> list[dict]:
    items = []
    for no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"第{no}行不是合法 JSON / line {no} is not valid JSON: {exc}") from exc
    return items


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text.replace(",", ""))


def answer_numbers(resp: AskResponse) -> list[float]:
    """Numbers the answer gives: its values (in the asked unit) and numbers in its sentence."""
    nums = [v.value for v in resp.values]
    for m in _NUM.finditer(resp.answer.replace(",", "")):
        try:
            nums.append(float(m.group(0)))
        except ValueError:
            pass
    return nums


def _targets(item: dict) -> list[float]:
    out = [item["answer_value"]] if item.get("answer_value") is not None else []
    return out + [a for a in item.get("alternatives") or [] if isinstance(a, (int, float))]


def _match(nums: Iterable[float], targets: list[float]) -> bool:
    return any(abs(n - t) <= EPS for n in nums for t in targets)


def _list_recall(item: dict, resp: AskResponse) -> float:
    wanted = [w for w in re.split(r"[、；;]", item.get("answer_text") or "") if w.strip()]
    if not wanted:
        return 0.0
    text = resp.answer + " ".join(c.text for c in resp.citations)
    return sum(1 for w in wanted if w.strip() in text) / len(wanted)


def _evidence_numbers(item: dict) -> list[float]:
    ev = item.get("evidence")
    evs = ev if isinstance(ev, list) else [ev] if ev else []
    return [float(m.replace(",", "")) for e in evs for m in _NUM.findall(e or "")]


def score_item(item: dict, resp: AskResponse) -> dict:
    kind = item["kind"]
    res = {"id": item["id"], "kind": kind, "question": item["question"], "found": resp.found,
           "answer": resp.answer, "correct": 0.0, "wrong_number": False, "cited": None}
    if kind == "unanswerable":
        ok = (not resp.found) and not resp.values
        res["correct"] = 1.0 if ok else 0.0
        res["wrong_number"] = bool(resp.values)
        return res
    if kind == "list":
        res["correct"] = 1.0 if _list_recall(item, resp) >= 0.999 else _list_recall(item, resp)
        return res
    targets = _targets(item)
    primary = [resp.values[0].value] if resp.values else []
    nums = primary if primary else answer_numbers(resp)
    ok = _match(nums, targets)
    if kind == "comparison" and ok is not None:
        names = re.findall(r"([\u4e00-\u9fff]{2,3}区)", item.get("answer_text") or "")
        if names:
            first = resp.answer.split("。")[0]
            ok = ok and names[0] in first
    res["correct"] = 1.0 if ok else 0.0
    res["wrong_number"] = bool(resp.found and resp.values and not ok)
    # citation: a cited passage from the right report holding the answer (or, derived, an input)
    derived_primary = bool(resp.values) and resp.values[0].derived
    want = targets + (_evidence_numbers(item) if kind == "derived" or derived_primary else [])
    sources = item.get("source_file")
    res["cited"] = any(_match([float(x.replace(",", "")) for x in _NUM.findall(_norm(c.text))], want)
                       for c in resp.citations) if resp.found else False
    _ = sources
    return res


def summarize(results: list[dict], latencies: list[float]) -> dict:
    kinds: dict[str, list[float]] = {}
    for r in results:
        kinds.setdefault(r["kind"], []).append(r["correct"])
    answerable = [r for r in results if r["kind"] != "unanswerable"]
    unans = [r for r in results if r["kind"] == "unanswerable"]
    cited = [r for r in answerable if r["kind"] != "list"]
    lat = sorted(latencies)
    return {
        "n": len(results),
        "accuracy": round(sum(r["correct"] for r in results) / max(1, len(results)), 4),
        "per_kind": {k: round(sum(v) / len(v), 4) for k, v in sorted(kinds.items())},
        "wrong_number_rate": round(sum(r["wrong_number"] for r in results) / max(1, len(results)), 4),
        "abstention_unanswerable": round(sum(r["correct"] for r in unans) / max(1, len(unans)), 4) if unans else None,
        "citation_rate": round(sum(1 for r in cited if r["cited"]) / max(1, len(cited)), 4),
        "latency_ms": {"p50": round(statistics.median(lat), 2) if lat else None,
                       "p95": round(lat[min(len(lat) - 1, int(len(lat) * 0.95))], 2) if lat else None},
    }
