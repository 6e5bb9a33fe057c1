"""Scoring an engine on the generated suite, split held-in / held-out, by report, template and kind;
the reliability table of `confidence` and what each accept threshold would give.

Accuracy is recall@1 of the right fact's value: the answer's first value equals the expected cell's
value (±0.01) and comes from the expected report. Only `Engine.ask`, `Engine.reports` and
`AskResponse` are used.
"""
from __future__ import annotations

import statistics
from typing import Callable, Optional

from retriever.evaluate import ask_item, engine_catalog, score_item

SPLITS = ("all", "held_in", "held_out")


def score_suite_item(item: dict, resp, catalog: Optional[dict] = None) -> dict:
    """The gold scorer's result plus the suite's rule: the value must come from the expected report."""
    res = score_item(item, resp, catalog)
    if item["kind"] != "unanswerable" and resp.values:
        rid = resp.values[0].report_id
        if rid is not None and rid != item.get("expected_report_id"):
            res["correct"] = 0.0
            res["wrong_number"] = True
    res.update({"template": item.get("template"), "held_out": bool(item.get("held_out")),
                "unanswerable_kind": item.get("unanswerable_kind"), "name_form": item.get("name_form"),
                "expected_report_id": item.get("expected_report_id"), "confidence": resp.confidence,
                "value": resp.values[0].value if resp.values else None,
                "expected_value": item.get("answer_value")})
    return res


def _rates(rs: list[dict]) -> dict:
    ans = [r for r in rs if r["kind"] != "unanswerable"]
    una = [r for r in rs if r["kind"] == "unanswerable"]
    answered = [r for r in ans if r["found"]]
    wrong = sum(bool(r["wrong_number"]) for r in rs)
    return {
        "n": len(rs), "answerable": len(ans), "unanswerable": len(una),
        "accuracy": round(sum(r["correct"] for r in ans) / len(ans), 4) if ans else None,
        "wrong_number_rate": round(wrong / len(rs), 4) if rs else None,
        "wrong_of_answered": round(sum(bool(r["wrong_number"]) for r in answered) / len(answered), 4)
        if answered else None,
        "not_found_on_answerable": round(sum(not r["found"] for r in ans) / len(ans), 4) if ans else None,
        "abstention": round(sum(r["correct"] for r in una) / len(una), 4) if una else None,
        "wrong_report": sum(bool(r.get("wrong_report")) for r in rs),
    }


def _group(rs: list[dict], key: Callable[[dict], Optional[str]]) -> dict:
    out: dict[str, list[dict]] = {}
    for r in rs:
        k = key(r)
        if k is not None:
            out.setdefault(k, []).append(r)
    return {k: _rates(v) for k, v in sorted(out.items())}


def _answered(r: dict) -> bool:
    return r["value"] is not None


def reliability(results: list[dict], bins: int = 10) -> dict:
    """Calibration of `confidence` over the answers that carry a value: per bin, how often the value is
    right (an answer to an unanswerable question is wrong); expected calibration error."""
    answered = [r for r in results if _answered(r)]
    rows = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        rs = [r for r in answered if lo <= r["confidence"] < hi or (b == bins - 1 and r["confidence"] >= 1.0)]
        if rs:
            acc = sum(r["correct"] >= 1.0 for r in rs) / len(rs)
            conf = sum(r["confidence"] for r in rs) / len(rs)
            rows.append({"bin": f"[{lo:.1f}, {hi:.1f}{']' if b == bins - 1 else ')'}", "n": len(rs),
                         "mean_confidence": round(conf, 4), "accuracy": round(acc, 4)})
    ece = sum(row["n"] * abs(row["accuracy"] - row["mean_confidence"]) for row in rows) / max(1, len(answered))
    return {"answered": len(answered), "ece": round(ece, 4), "bins": rows}


def threshold_sweep(results: list[dict], steps: int = 20) -> list[dict]:
    """What an accept threshold t on `confidence` would give: answers below t become "not found"."""
    ans = [r for r in results if r["kind"] != "unanswerable"]
    una = [r for r in results if r["kind"] == "unanswerable"]
    out = []
    for i in range(steps + 1):
        t = i / steps
        kept = [r for r in results if _answered(r) and r["confidence"] >= t]
        right = sum(r["correct"] >= 1.0 for r in kept if r["kind"] != "unanswerable")
        out.append({"threshold": round(t, 2), "answered": len(kept),
                    "accuracy": round(right / len(ans), 4) if ans else None,
                    "wrong_of_answers": round((len(kept) - right) / len(kept), 4) if kept else None,
                    "abstention": round(sum(not (_answered(r) and r["confidence"] >= t) for r in una) / len(una), 4)
                    if una else None})
    return out


def summarize_suite(results: list[dict], latencies: Optional[list[float]] = None) -> dict:
    """Rates overall and held-in / held-out; by report, template, unanswerable kind and name form."""
    split = {"all": results, "held_in": [r for r in results if not r["held_out"]],
             "held_out": [r for r in results if r["held_out"]]}
    lat = sorted(latencies or [])
    return {
        **{s: _rates(v) for s, v in split.items()},
        "by_report": _group(results, lambda r: r["report"]),
        "by_template": _group(results, lambda r: r["template"]),
        "by_unanswerable_kind": _group(results, lambda r: r["unanswerable_kind"]),
        "by_name_form": _group(results, lambda r: r["name_form"]),
        "reliability": {k: reliability(v) for k, v in split.items()},
        "threshold_sweep": {k: threshold_sweep(v) for k, v in split.items()},
        "latency_ms": {"p50": round(statistics.median(lat), 2) if lat else None,
                       "p95": round(lat[min(len(lat) - 1, int(len(lat) * 0.95))], 2) if lat else None},
    }


def run_suite(engine, items: list[dict], hook=None, warmup: int = 3, split: str = "all",
              progress: Optional[Callable[[int, int], None]] = None) -> dict:
    """Ask the engine every item of `split` (all | held_in | held_out); `hook(item, resp, result)` sees
    each answer. Returns {"summary": …, "results": […]} (results carry value, confidence, template)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    chosen = [it for it in items if split == "all" or bool(it.get("held_out")) == (split == "held_out")]
    catalog = engine_catalog(engine)
    for it in chosen[:warmup]:
        ask_item(engine, it)
    results, lat = [], []
    for i, it in enumerate(chosen):
        resp, ms = ask_item(engine, it)
        res = score_suite_item(it, resp, catalog)
        res["latency_ms"] = round(ms, 2)
        results.append(res)
        lat.append(ms)
        if hook is not None:
            hook(it, resp, res)
        if progress is not None:
            progress(i + 1, len(chosen))
    return {"summary": summarize_suite(results, lat), "results": results}
