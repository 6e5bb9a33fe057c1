"""Scoring answers against a gold file (rules: shared/eval/README.md). The README leaves items without a
number (a reason, a level: `answer_value` null) unscored; here they are right when the answer or a
passage cited from the right report quotes their evidence.

`score_item` scores one AskResponse; `summarize` aggregates (per kind and per report); `run_gold`
asks an engine every item (with its conversation `history`) and times it. Only `Engine.ask`,
`Engine.reports` and the `AskResponse` model are used, so any engine of the protocol can be scored.
"""
from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path
from typing import Iterable, Optional

from indexer.models import AskResponse

EPS = 0.01 + 1e-9
_NUM = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
NO_REPORT = "(none)"  # per-report key of items about no indexed report

# report_id -> {"unit_name", "year", "source_file"}: what a value or a citation can be traced to
Catalog = dict[str, dict]


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


# ---------------------------------------------------------------- which report
def _as_list(x) -> list:
    return [] if x is None else list(x) if isinstance(x, (list, tuple)) else [x]


def report_key(item: dict) -> str:
    """The per-report group of an item: its `report` label(s), or NO_REPORT for `report: null`."""
    labels = [str(x) for x in _as_list(item.get("report"))]
    return " + ".join(labels) if labels else NO_REPORT


def _label_matches(label: str, ref: dict) -> bool:
    """'汉阳区大数据中心 2021' against a report's unit name (or file name) and year."""
    text = _norm(str(label))
    m = re.search(r"((?:19|20)\d\d)(?:年度?)?$", text)
    year = int(m.group(1)) if m else None
    name = text[: m.start()] if m else text
    if year is not None and ref.get("year") is not None and int(ref["year"]) != year:
        return False
    if not name:
        return year is not None and ref.get("year") == year
    unit = _norm(ref.get("unit_name") or "")
    stem = _norm(Path(ref.get("source_file") or "").stem)
    if unit and (name in unit or unit in name):
        return True
    return bool(stem) and name in stem and (year is None or str(year) in stem or ref.get("year") == year)


def _file_matches(source_file: str, ref: dict) -> bool:
    return bool(ref.get("source_file")) and Path(source_file).name == Path(ref["source_file"]).name


def right_reports(item: dict, catalog: Catalog) -> set[str]:
    """Report ids of `catalog` the item is about (its `report` labels or its `source_file` names)."""
    labels, files = _as_list(item.get("report")), _as_list(item.get("source_file"))
    if item.get("expected_report_id"):
        return set(_as_list(item["expected_report_id"]))
    return {rid for rid, ref in catalog.items()
            if any(_label_matches(lb, ref) for lb in labels) or any(_file_matches(f, ref) for f in files)}


def response_catalog(resp: AskResponse, catalog: Optional[Catalog] = None) -> Catalog:
    """The given catalog completed with what the response's own citations say about their reports."""
    out = dict(catalog or {})
    for c in resp.citations:
        out.setdefault(c.report_id, {"unit_name": c.unit_name, "year": c.year, "source_file": c.source_file})
    return out


def engine_catalog(engine) -> Catalog:
    """Every indexed report of an engine (through `Engine.reports()`, models or dicts)."""
    out: Catalog = {}
    for r in engine.reports():
        d = r if isinstance(r, dict) else r.model_dump()
        out[d["report_id"]] = {"unit_name": d.get("unit_name"), "year": d.get("year"),
                               "source_file": d.get("source_file") or ""}
    return out


def wrong_report_ids(item: dict, resp: AskResponse, catalog: Optional[Catalog] = None) -> set[str]:
    """Reports the answer's values (and, when it answers, its citations) come from but the item is not about."""
    cat = response_catalog(resp, catalog)
    used = {v.report_id for v in resp.values if v.report_id}
    if resp.found:
        used |= {c.report_id for c in resp.citations}
    if not any(item.get(k) for k in ("report", "source_file", "expected_report_id")):
        if "report" in item:  # `report: null`, about no indexed report: any value is wrong
            return {v.report_id or "?" for v in resp.values}
        return set()  # the item does not say which report it is about
    return used - right_reports(item, cat)


# ---------------------------------------------------------------- one item
def _cited(item: dict, resp: AskResponse, want: list[float], right: set[str]) -> bool:
    """A cited passage from the right report holding a wanted number (README: Citation)."""
    if not resp.found:
        return False
    about_reports = item.get("report") is not None or item.get("source_file") or item.get("expected_report_id")
    for c in resp.citations:
        if about_reports and c.report_id not in right:
            continue
        nums = [float(x.replace(",", "")) for x in _NUM.findall(_norm(c.text))]
        if _match(nums, want):
            return True
    return False


def _quotes_evidence(item: dict, resp: AskResponse, right: set[str]) -> bool:
    """An item without a number (a reason, a level): the answer or a passage cited from the right
    report holds every evidence string, spaces and line breaks aside."""
    if not resp.found:
        return False
    ev = item["evidence"] if isinstance(item["evidence"], list) else [item["evidence"]]
    about_reports = item.get("report") is not None or item.get("source_file") or item.get("expected_report_id")
    texts = [_norm(t) for t in [resp.answer] + [c.text for c in resp.citations
                                                if not about_reports or c.report_id in right]]
    return all(any(_norm(e) in t for t in texts) for e in ev if e)


def score_item(item: dict, resp: AskResponse, catalog: Optional[Catalog] = None) -> dict:
    """Score one answer. `catalog` (report_id -> unit_name/year/source_file) traces values to reports;
    without it only the response's citations are used."""
    kind = item["kind"]
    cat = response_catalog(resp, catalog)
    wrong_rep = wrong_report_ids(item, resp, cat)
    res = {"id": item["id"], "kind": kind, "question": item["question"], "report": report_key(item),
           "found": resp.found, "answer": resp.answer, "correct": 0.0, "wrong_number": False, "cited": None,
           "wrong_report": bool(wrong_rep), "wrong_report_ids": sorted(wrong_rep)}
    if kind == "unanswerable":
        ok = (not resp.found) and not resp.values
        res["correct"] = 1.0 if ok else 0.0
        res["wrong_number"] = bool(resp.values)
        return res
    if kind == "list":
        recall = _list_recall(item, resp)
        res["correct"] = 1.0 if recall >= 0.999 else recall
        return res
    targets = _targets(item)
    if not targets and item.get("evidence"):  # a passage asked for (why, which level): the evidence quoted
        res["cited"] = _quotes_evidence(item, resp, right_reports(item, cat))
        res["correct"] = float(res["cited"])
        return res
    primary = [resp.values[0].value] if resp.values else []
    # a "not found" answer gives no figure, even when it repeats a number of the question
    nums = primary if primary else answer_numbers(resp) if resp.found else []
    ok = _match(nums, targets)
    if kind == "comparison":
        names = re.findall(r"([\u4e00-\u9fff]{2,3}区)", item.get("answer_text") or "")
        if names:
            ok = ok and names[0] in resp.answer.split("。")[0]
    res["correct"] = 1.0 if ok else 0.0
    res["wrong_number"] = bool(resp.found and resp.values and not ok)
    derived_primary = bool(resp.values) and resp.values[0].derived
    want = targets + (_evidence_numbers(item) if kind == "derived" or derived_primary else [])
    res["cited"] = _cited(item, resp, want, right_reports(item, cat))
    return res


# ---------------------------------------------------------------- aggregates
def _rates(results: list[dict]) -> dict:
    n = max(1, len(results))
    unans = [r for r in results if r["kind"] == "unanswerable"]
    cited = [r for r in results if r["kind"] not in ("unanswerable", "list")]
    return {
        "n": len(results),
        "accuracy": round(sum(r["correct"] for r in results) / n, 4),
        "wrong_number_rate": round(sum(bool(r["wrong_number"]) for r in results) / n, 4),
        "wrong_report": sum(bool(r.get("wrong_report")) for r in results),
        "abstention_unanswerable": round(sum(r["correct"] for r in unans) / len(unans), 4) if unans else None,
        "citation_rate": round(sum(1 for r in cited if r["cited"]) / len(cited), 4) if cited else None,
    }


def _percentile(sorted_vals: list[float], q: float) -> Optional[float]:
    if not sorted_vals:
        return None
    return round(sorted_vals[min(len(sorted_vals) - 1, int(len(sorted_vals) * q))], 2)


def summarize(results: list[dict], latencies: list[float]) -> dict:
    """Overall rates; accuracy per kind (and every rate per kind); every rate per report; latency p50/p95 (ms)."""
    kinds: dict[str, list[float]] = {}
    reports: dict[str, list[dict]] = {}
    for r in results:
        kinds.setdefault(r["kind"], []).append(r["correct"])
        reports.setdefault(r.get("report", NO_REPORT), []).append(r)
    out = _rates(results)
    out["citation_rate"] = out["citation_rate"] if out["citation_rate"] is not None else 0.0
    lat = sorted(latencies)
    out.update({
        "per_kind": {k: round(sum(v) / len(v), 4) for k, v in sorted(kinds.items())},
        "per_kind_rates": {k: _rates([r for r in results if r["kind"] == k]) for k in sorted(kinds)},
        "per_report": {k: _rates(v) for k, v in sorted(reports.items())},
        "latency_ms": {"p50": round(statistics.median(lat), 2) if lat else None, "p95": _percentile(lat, 0.95)},
    })
    return out


def failures(results: list[dict]) -> list[dict]:
    """Items not fully right: wrong or partial, uncited, or citing/answering from another report."""
    return [r for r in results if r["correct"] < 1.0 or r["cited"] is False or r.get("wrong_report")]


# ---------------------------------------------------------------- running
def ask_item(engine, item: dict) -> tuple[AskResponse, float]:
    """Ask one item (with its conversation history); the response and the wall time in ms."""
    history = item.get("history") or None
    t0 = time.perf_counter()
    resp = engine.ask(item["question"], history=history)
    return resp, (time.perf_counter() - t0) * 1000


def run_gold(engine, items: list[dict], warmup: int = 3, hook=None) -> tuple[list[dict], list[float]]:
    """Score every item on `engine`; `hook(item, resp, result)` sees each answer (e.g. to keep features)."""
    catalog = engine_catalog(engine)
    for it in items[:warmup]:
        ask_item(engine, it)
    results, lat = [], []
    for it in items:
        resp, ms = ask_item(engine, it)
        lat.append(ms)
        res = score_item(it, resp, catalog)
        res["latency_ms"] = round(ms, 2)
        results.append(res)
        if hook is not None:
            hook(it, resp, res)
    return results, lat
