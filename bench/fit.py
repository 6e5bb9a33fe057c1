"""Fit the accept threshold and the confidence curve on the generated suite's held-in part.

    python -m bench.fit --index-dir DIR [--cost 10] [--write] [--json]

Every held-in question is answered with the table-cell threshold lowered, so each answer's score is
seen; an answer is right when its value is the expected fact's (unanswerable questions have no right
answer). A logistic regression of right-or-wrong on the score gives the confidence curve; the
threshold for plain table-cell answers and the decisive margin (how far the answer must score above
any candidate of another value, `rank.rival`) together maximise right answers minus `cost` × wrong
ones (a wrong number costs `cost` times a "not found"); of equal choices the lower threshold and margin
win, and the threshold is set midway between the lowest answer kept and the next one below. The suite asks only about table cells, so figures stated in
prose and derived figures keep the default threshold. --write stores the result in retriever/fitted.json, which retriever/thresholds.py
reads. The held-out part is then scored with the fitted values: that is the figure to report.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from retriever import thresholds as th

FLOOR = 0.0  # the lowest threshold tried while collecting scores
DEFAULT_MID, DEFAULT_SLOPE = 3.0, 0.8  # the curve used while collecting (inverted to get scores)


def answer_score(resp) -> float | None:
    """The score behind an answer's confidence (the curve in force while collecting, inverted)."""
    if not resp.found or not resp.values:
        return None
    c = min(max(resp.confidence, 5e-4), 1 - 5e-4)
    return DEFAULT_MID + math.log(c / (1 - c)) / DEFAULT_SLOPE


def _gap(engine, it: dict, value: float) -> float:
    """The answered candidate's lead over the first candidate of another value (`rank.gap`)."""
    from retriever import rank
    from retriever.query import understand

    q = understand(it["question"], engine.index, history=it.get("history"))
    cands = engine.candidates(q, {r.report_id for r in q.reports})
    best = next((c for c in cands if abs(c.value - value) <= th.SAME_VALUE), None)
    return rank.gap(cands, best, th.SAME_VALUE) if best is not None else 0.0


def collect(engine, items: list[dict], table_only: bool = False) -> list[tuple[float, bool, float]]:
    """(score, right, lead over another value) of every answer given to `items` with the threshold
    and the margin lowered (`table_only`: plain lookups of a table cell, the answers they decide)."""
    from bench.qsuite.run import score_suite_item

    saved = th.ACCEPT_TABLE, th.CONF_MID, th.CONF_SLOPE, th.MARGIN
    th.ACCEPT_TABLE, th.CONF_MID, th.CONF_SLOPE, th.MARGIN = FLOOR, DEFAULT_MID, DEFAULT_SLOPE, 0.0
    try:
        out = []
        for it in items:
            resp = engine.ask(it["question"], history=it.get("history"))
            s = answer_score(resp)
            lookup = bool(resp.values) and not resp.values[0].derived and resp.citations \
                and resp.citations[0].kind == "table_row"
            if s is not None and (lookup or not table_only):
                right = it["kind"] != "unanswerable" and score_suite_item(it, resp)["correct"] >= 1.0
                lead = _gap(engine, it, resp.values[0].value) if table_only else 99.0
                out.append((s, bool(right), lead))
        return out
    finally:
        th.ACCEPT_TABLE, th.CONF_MID, th.CONF_SLOPE, th.MARGIN = saved


MARGINS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


def fit(points: list[tuple], lookups: list[tuple], cost: float) -> dict:
    """A logistic confidence curve over the score of every answer, and the table-cell threshold and
    the decisive margin together by utility (right − cost × wrong) over plain table lookups."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([[p[0]] for p in points])
    y = np.array([p[1] for p in points], dtype=int)
    model = LogisticRegression(C=10.0).fit(x, y)
    slope, icpt = float(model.coef_[0][0]), float(model.intercept_[0])
    table = []
    for t in sorted({round(p[0], 2) for p in lookups if p[0] >= th.ACCEPT} | {th.ACCEPT}):
        for m in MARGINS:
            kept = [p for p in lookups if p[0] >= t and p[2] >= m]
            right = sum(p[1] for p in kept)
            table.append((t, m, len(kept), right, len(kept) - right, right - cost * (len(kept) - right)))
    best = max(table, key=lambda row: (row[5], -row[0], -row[1]))  # ties: the lower threshold and margin
    # the threshold sits midway between the lowest answer kept and the highest one below it, not on the
    # kept answer itself: an unseen question scoring a hair lower is no worse
    below = max((p[0] for p in lookups if p[0] < best[0]), default=th.ACCEPT)
    accept = max(th.ACCEPT, (best[0] + below) / 2)
    return {"accept_table": round(accept, 3), "margin": best[1], "conf_mid": round(-icpt / slope, 3),
            "conf_slope": round(slope, 3), "cost": cost, "answers": len(points), "kept": best[2], "right": best[3],
            "wrong": best[4]}


def reliability(points: list[tuple[float, bool]], mid: float, slope: float, accept: float) -> list[dict]:
    """Mean confidence against the share right, in confidence bins, for answers scoring ≥ `accept`."""
    rows = []
    bins = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0001]
    conf = [(1 / (1 + math.exp(-(p[0] - mid) * slope)), p[1]) for p in points if p[0] >= accept]
    for lo, hi in zip([0.0] + bins[:-1], bins):
        sel = [(c, r) for c, r in conf if lo <= c < hi]
        if sel:
            rows.append({"bin": f"[{lo:.1f}, {min(hi, 1.0):.1f})", "n": len(sel),
                         "confidence": round(sum(c for c, _ in sel) / len(sel), 3),
                         "right": round(sum(r for _, r in sel) / len(sel), 3)})
    return rows


def suite_engine(index_dir: Path):
    """The engine on `index_dir` (with its embedder: meaning.py compares unexplained words with columns)
    and the suite generated from it: (engine, held-in items, held-out items)."""
    from bench.qsuite import generate_suite
    from retriever.engine import Engine

    engine = Engine.load(index_dir)
    items = generate_suite(engine.index)
    return engine, [it for it in items if not it["held_out"]], [it for it in items if it["held_out"]]


def write_fitted(values: dict, drop: tuple[str, ...] = ()) -> None:
    """Merge `values` into retriever/fitted.json (other keys kept, `drop` removed)."""
    fitted = json.loads(th._FITTED.read_text(encoding="utf-8")) if th._FITTED.is_file() else {}
    fitted.update(values)
    for key in drop:
        fitted.pop(key, None)
    th._FITTED.write_text(json.dumps(fitted, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def suite_parser(doc: str) -> argparse.ArgumentParser:
    """The options every fitting command takes: the index, --write (into retriever/fitted.json), --json."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--index-dir", required=True, type=Path)
    ap.add_argument("--write", action="store_true", help="store the fit in retriever/fitted.json")
    ap.add_argument("--json", action="store_true")
    return ap


def main(argv=None) -> int:
    ap = suite_parser(__doc__)
    ap.add_argument("--cost", type=float, default=10.0, help="a wrong number costs this many 'not found'")
    args = ap.parse_args(argv)

    engine, held_in, held_out = suite_engine(args.index_dir)
    result = fit(collect(engine, held_in), collect(engine, held_in, table_only=True), args.cost)
    result["reliability_held_out"] = reliability(collect(engine, held_out), result["conf_mid"],
                                                 result["conf_slope"], th.ACCEPT)
    th.ACCEPT_TABLE, th.CONF_MID, th.CONF_SLOPE = result["accept_table"], result["conf_mid"], result["conf_slope"]
    th.MARGIN = result["margin"]
    for split, part in (("held_in", held_in), ("held_out", held_out)):
        result[split] = _rates(engine, part)
    if args.write:
        values = {k: result[k] for k in ("conf_mid", "conf_slope", "cost", "accept_table", "margin")}
        write_fitted({**values, "_doc": "Fitted by `python -m bench.fit` on the generated suite's held-in templates."})
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 1))
    return 0


def _rates(engine, items: list[dict]) -> dict:
    """Accuracy, wrong-number rate and abstention of `items` with the thresholds in force."""
    from bench.qsuite.run import score_suite_item

    n = right = wrong = abst = unans = 0
    for it in items:
        resp = engine.ask(it["question"], history=it.get("history"))
        if it["kind"] == "unanswerable":
            unans += 1
            abst += int(not resp.values)
            wrong += int(bool(resp.values))
            continue
        n += 1
        res = score_suite_item(it, resp)
        right += int(res["correct"] >= 1.0)
        wrong += int(bool(res.get("wrong_number")))
    total = n + unans
    return {"answerable": n, "accuracy": round(right / max(1, n), 4), "wrong_number_rate": round(wrong / max(1, total), 4),
            "abstention": round(abst / max(1, unans), 4)}


if __name__ == "__main__":
    raise SystemExit(main())
