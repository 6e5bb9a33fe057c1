"""Fit the ranking weights (`retriever/rank.py`) on the generated suite's held-in questions.

    python -m bench.rank_fit --index-dir DIR [--reg 1.0] [--write] [--json]

Candidates are collected with their signals for every held-in question; a candidate is right when
its value is the expected one (±0.01) in the expected report. Pairs, each side a score that should
exceed the other:
- an answerable question's best-scored right candidate over each of its `NEGATIVES` best wrong ones;
- the same right candidate over the accept threshold (`thresholds.ACCEPT`): the right figure passes;
- the threshold over the 3 best table cells of each unanswerable question whose report resolves (a
  figure the report lacks, a column its row lacks): nothing of it passes.
The table-cell weights minimise the logistic loss of these pairs plus `reg` × the squared distance to
the hand-set weights, so a signal the data says little about keeps its hand value and the score keeps
its scale (threshold, margin and confidence are then fitted on that scale by `bench.fit`). Prose
weights keep their hand values: the suite asks about table cells. Held-out templates are never seen
here; `bench.qgen --eval` scores them afterwards. --write stores `table_weights` in
retriever/fitted.json (other keys kept).
"""
from __future__ import annotations

import json

import numpy as np

from retriever import rank
from retriever import thresholds as th

NEGATIVES = 8
ACCEPT = "accept"  # the other side of a pair is the accept threshold itself
EPS = 0.01 + 1e-9


def _pairs(engine, items: list[dict]) -> tuple[dict[str, list], dict]:
    """Per candidate kind: (signals of right, signals of wrong) pairs; and counts."""
    from retriever.query import understand

    pairs: dict[str, list] = {"table": [], "prose": []}
    counts = {"questions": 0, "right_absent": 0, "unresolved": 0, "unanswerable_resolved": 0}
    for it in items:
        q = understand(it["question"], engine.index, history=it.get("history"))
        ids = {r.report_id for r in q.reports}
        if it["kind"] == "unanswerable":  # the report is right, the figure is not in it: nothing may pass
            if ids and not (q.missing or q.choices):
                counts["unanswerable_resolved"] += 1
                for c in [c for c in engine.candidates(q, ids) if c.kind == "table"][:3]:
                    pairs["table"].append((ACCEPT, None, "table", c.features))
            continue
        counts["questions"] += 1
        if q.missing or q.choices or it["expected_report_id"] not in ids:
            counts["unresolved"] += 1
            continue
        cands = engine.candidates(q, ids)
        want = float(it["answer_value"])
        right = [c for c in cands if c.report_id == it["expected_report_id"] and abs(c.value - want) <= EPS]
        if not right:
            counts["right_absent"] += 1
            continue
        best = right[0]
        wrong = [c for c in cands if abs(c.value - want) > EPS][:NEGATIVES]
        for c in wrong:
            pairs[best.kind].append((best.kind, best.features, c.kind, c.features))
        pairs[best.kind].append((best.kind, best.features, ACCEPT, None))  # the right figure passes
    return pairs, counts


def fit_kind(pairs: list, kind: str, reg: float) -> dict[str, float]:
    """Weights of one candidate kind; pairs whose two sides are of different kinds use both weight sets
    and are left to the kind of the right candidate (the other side's score is taken as it is)."""
    from scipy.optimize import minimize

    prior = rank.FACT_WEIGHTS if kind == "table" else rank.PROSE_WEIGHTS
    names = sorted(prior)
    col = {n: i for i, n in enumerate(names)}
    w0 = np.array([prior[n] for n in names])
    pos = np.zeros((len(pairs), len(names)))
    neg = np.zeros((len(pairs), len(names)))
    offset = np.zeros(len(pairs))  # score of a wrong candidate of the other kind (not refitted here)
    for i, (pk, pf, nk, nf) in enumerate(pairs):
        if pk == ACCEPT:  # nothing of an unanswerable question passes: T − score > 0
            offset[i] = -th.ACCEPT
        for n, v in (pf or {}).items():
            pos[i, col[n]] = v
        if nk == ACCEPT:  # the right candidate passes: score − T > 0
            offset[i] = th.ACCEPT
        elif nk == kind:
            for n, v in nf.items():
                neg[i, col[n]] = v
        else:
            offset[i] = rank.weighed(nk, nf)
    diff = pos - neg

    def loss(w):
        margin = diff @ w - offset
        z = np.logaddexp(0.0, -margin)
        grad_m = -1.0 / (1.0 + np.exp(margin))
        g = diff.T @ grad_m / len(pairs) + 2 * reg * (w - w0) / len(names)
        return z.mean() + reg * np.sum((w - w0) ** 2) / len(names), g

    res = minimize(loss, w0, jac=True, method="L-BFGS-B")
    return {n: round(float(v), 3) for n, v in zip(names, res.x)}


def main(argv=None) -> int:
    from bench.fit import suite_engine, suite_parser, write_fitted

    ap = suite_parser(__doc__)
    ap.add_argument("--reg", type=float, default=1.0, help="pull towards the hand-set weights")
    args = ap.parse_args(argv)

    engine, held_in, _ = suite_engine(args.index_dir)
    rank.WEIGHTS["table"], rank.WEIGHTS["prose"] = dict(rank.FACT_WEIGHTS), dict(rank.PROSE_WEIGHTS)
    pairs, counts = _pairs(engine, held_in)
    out = {"counts": counts, "pairs": {k: len(v) for k, v in pairs.items()}, "reg": args.reg}
    # the suite asks about table cells: only the table weights have the data to move them (prose
    # figures are right in a few dozen pairs, where a table cell's value is restated in a sentence)
    out["table_weights"] = fit_kind(pairs["table"], "table", args.reg)
    if args.write:
        write_fitted({"table_weights": out["table_weights"],
                      "_doc_weights": f"table_weights: `python -m bench.rank_fit` (reg {args.reg}) on the generated "
                                      "suite's held-in templates."}, drop=("prose_weights",))
    print(json.dumps(out, ensure_ascii=False, indent=None if args.json else 1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
