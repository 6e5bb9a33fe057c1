"""Generate the question suite from an index and, with --eval, score the engine on it.

    python -m bench.qgen --index-dir DIR [--out FILE] [--eval] [--json] [--seed N] [--per-fact N] [--prose]

The suite (JSON Lines, gold format plus `expected_report_id`, `template`, `held_out`, `expected`)
goes to --out (default: not written). --suite FILE scores an existing suite instead of generating.
Python: `bench.qsuite.generate_suite(index)` and `bench.qsuite.run_suite(engine, items, hook)`.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.qsuite import SEED, generate_suite, run_suite, suite_meta
from bench.qsuite.prose import prose_suite


def write_jsonl(items: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for it in items:
            fh.write(json.dumps(it, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def text_summary(meta: dict, s: dict) -> str:
    """The figures a reader wants first, one table; the JSON holds everything."""
    lines = [f"suite: {meta['n']} questions ({meta['answerable']} answerable, {meta['unanswerable']} unanswerable, "
             f"{meta['held_out']} held out) over {meta.get('reports', '?')} reports",
             "| split | n | accuracy (recall@1) | wrong-number rate | wrong of answered | abstention | wrong report |",
             "|---|---|---|---|---|---|---|"]
    for name in ("all", "held_in", "held_out"):
        r = s[name]
        lines.append(f"| {name} | {r['n']} | {_pct(r['accuracy'])} | {_pct(r['wrong_number_rate'])} | "
                     f"{_pct(r['wrong_of_answered'])} | {_pct(r['abstention'])} | {r['wrong_report']} |")
    lines += ["", "| report | n | accuracy | wrong-number rate | abstention |", "|---|---|---|---|---|"]
    for rep, r in s["by_report"].items():
        lines.append(f"| {rep} | {r['n']} | {_pct(r['accuracy'])} | {_pct(r['wrong_number_rate'])} | "
                     f"{_pct(r['abstention'])} |")
    lines += ["", "| unanswerable kind | n | abstention |", "|---|---|---|"]
    for k, r in s["by_unanswerable_kind"].items():
        lines.append(f"| {k} | {r['n']} | {_pct(r['abstention'])} |")
    rel = s["reliability"]["all"]
    lines += ["", f"reliability of confidence (answers with a value: {rel['answered']}, ECE {rel['ece']})",
              "| confidence | n | mean confidence | right |", "|---|---|---|---|"]
    lines += [f"| {b['bin']} | {b['n']} | {b['mean_confidence']:.3f} | {_pct(b['accuracy'])} |" for b in rel["bins"]]
    fit = "held_in" if s["held_in"]["n"] else "all"  # thresholds are chosen on held-in questions
    lines += ["", f"| accept threshold ({fit}) | answers kept | accuracy | wrong of answers kept (incl. unanswerable) "
              "| abstention |", "|---|---|---|---|---|"]
    lines += [f"| {t['threshold']:.2f} | {t['answered']} | {_pct(t['accuracy'])} | {_pct(t['wrong_of_answers'])} | "
              f"{_pct(t['abstention'])} |" for t in s["threshold_sweep"][fit] if t["threshold"] >= 0.5]
    lat = s["latency_ms"]
    lines.append(f"\nlatency p50 {lat['p50']} ms, p95 {lat['p95']} ms")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.qgen", description=__doc__.split("\n")[0])
    ap.add_argument("--index-dir", type=Path, required=True)
    ap.add_argument("--out", type=Path, help="write the suite here (JSON Lines)")
    ap.add_argument("--suite", type=Path, help="score this suite file instead of generating one")
    ap.add_argument("--eval", action="store_true", help="score the engine on the suite")
    ap.add_argument("--split", choices=("all", "held_in", "held_out"), default="all")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--per-fact", type=int, default=3, help="questions per fact (0 = every template that fits)")
    ap.add_argument("--unanswerable-per-kind", type=int, default=8)
    ap.add_argument("--results", type=Path, help="write every per-question result here (JSON Lines)")
    ap.add_argument("--show-fails", type=int, default=0, metavar="N", help="print N failures")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--prose", action="store_true",
                    help="the prose suite instead: figures stated in sentences, all held out (measured, never fitted)")
    a = ap.parse_args(argv)

    from retriever.index import LoadedIndex

    index = LoadedIndex(a.index_dir)
    t0 = time.perf_counter()
    if a.suite:
        items = read_jsonl(a.suite)
    elif a.prose:
        items = prose_suite(index, a.seed)
    else:
        items = generate_suite(index, a.seed, a.per_fact, a.unanswerable_per_kind)
    meta = {**suite_meta(index, items), "seed": a.seed, "per_fact": a.per_fact,
            "generate_seconds": round(time.perf_counter() - t0, 2)}
    if a.out:
        write_jsonl(items, a.out)
    out = {"suite": meta}
    if a.eval:
        from retriever.engine import Engine

        engine = Engine.load(a.index_dir)
        run = run_suite(engine, items, split=a.split)
        out["summary"] = run["summary"]
        if a.results:
            write_jsonl(run["results"], a.results)
        fails = [r for r in run["results"] if r["correct"] < 1.0][: a.show_fails]
    if a.json:
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    elif a.eval:
        print(text_summary(meta, out["summary"]))
    else:
        print(json.dumps(meta, ensure_ascii=False, indent=1))
    for r in fails if a.eval else []:
        print(f"✗ {r['id']} [{r['template']}{'*' if r['held_out'] else ''}] {r['question']}\n"
              f"    want {r['expected_value']} got {r['value']} → {r['answer'][:120]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
