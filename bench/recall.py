"""Recall@1/@5 of the right fact's chunk on the generated suite: lexical (BM25), dense (FAISS), hybrid.

    python -m bench.recall --index-dir DIR [--suite FILE] [--sample N] [--cache FILE.npz] [--json]

For each answerable question of the suite, retrieval is restricted to the expected report (as the
answering path does once the report is resolved) and a hit is a table-row chunk of that report
whose line span holds the expected cell's line (any equivalent cell of `expected.lines`).
Uses `LoadedIndex.bm25_rank`, `LoadedIndex.dense_rank` and `LoadedIndex.hybrid` as they are.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable, Optional

MODES = ("lexical", "dense", "hybrid")
KS = (1, 5)
DEPTH = 50  # candidates per ranking before fusion (LoadedIndex.hybrid's default)


def is_hit(chunk, item: dict) -> bool:
    """The chunk holds the expected cell: same report and a line of the cell inside its span."""
    exp = item["expected"]
    if chunk.report_id != item["expected_report_id"]:
        return False
    if chunk.chunk_id in (exp.get("chunk_ids") or []):
        return True
    return any(chunk.line_start <= line <= chunk.line_end for line in exp.get("lines") or [exp["line"]])


def rankings(index, question: str, qvec, report_id: str, k: int = max(KS)) -> dict[str, list]:
    """The top-k chunks of each retrieval mode, restricted to one report."""
    mask = index.mask({report_id})
    out = {"lexical": [index.chunks[i] for i, _ in index.bm25_rank(question, mask, k)]}
    if qvec is not None:
        out["dense"] = [index.chunks[i] for i, _ in index.dense_rank(qvec, mask, k)]
        out["hybrid"] = [c for c, _ in index.hybrid(question, qvec, {report_id}, k=k, depth=DEPTH)]
    return out


def first_hit(ranked: list, item: dict) -> Optional[int]:
    """1-based rank of the first right chunk, None when absent from the list."""
    return next((i + 1 for i, c in enumerate(ranked) if is_hit(c, item)), None)


def _encode_all(embedder, questions: list[str], batch: int = 32) -> list:
    """Query vectors as `encode_query` makes them (batched when the embedder allows it)."""
    if embedder is None:
        return [None] * len(questions)
    enc = getattr(embedder, "_encode", None)
    prompt = getattr(embedder, "_query_prompt", None)
    if enc is None:
        return [embedder.encode_query(q) for q in questions]
    out = []
    for i in range(0, len(questions), batch):
        out.extend(enc(questions[i:i + batch], prompt, batch, False))
    return out


def cached_vectors(embedder, questions: list[str], cache: Optional[Path]) -> list:
    """Query vectors, reusing those `cache` (.npz) holds for the same model and question text."""
    import numpy as np

    model = str(getattr(embedder, "model_id", ""))
    cache = cache.with_suffix(".npz") if cache is not None and cache.suffix != ".npz" else cache
    known: dict[str, object] = {}
    if cache is not None and cache.is_file():
        data = np.load(cache, allow_pickle=False)
        if str(data["model"]) == model:
            known = dict(zip(data["questions"].tolist(), data["vectors"]))
    missing = [q for q in dict.fromkeys(questions) if q not in known]
    known.update(zip(missing, _encode_all(embedder, missing)))
    if cache is not None and missing:
        qs = list(known)
        np.savez(cache, model=np.array(model), questions=np.array(qs), vectors=np.stack([known[q] for q in qs]))
    return [known[q] for q in questions]


def _rates(ranks: list[Optional[int]]) -> dict:
    n = len(ranks)
    out = {f"recall@{k}": round(sum(1 for r in ranks if r is not None and r <= k) / n, 4) if n else None
           for k in KS}
    out["mrr@5"] = round(sum(1.0 / r for r in ranks if r is not None) / n, 4) if n else None
    out["n"] = n
    return out


def measure(index, items: list[dict], embedder=None, progress: Optional[Callable[[int, int], None]] = None,
            cache: Optional[Path] = None) -> dict:
    """Recall of each mode overall, held-in / held-out and per report (answerable items only)."""
    items = [it for it in items if it.get("expected") and it.get("expected_report_id") in index.reports]
    questions = [it["question"] for it in items]
    vecs = cached_vectors(embedder, questions, cache) if embedder is not None else [None] * len(items)
    ranks: dict[str, list[tuple[dict, Optional[int]]]] = {m: [] for m in MODES}
    for i, (it, vec) in enumerate(zip(items, vecs)):
        for mode, ranked in rankings(index, it["question"], vec, it["expected_report_id"]).items():
            ranks[mode].append((it, first_hit(ranked, it)))
        if progress is not None:
            progress(i + 1, len(items))

    def split(pred) -> dict:
        return {m: _rates([r for it, r in rs if pred(it)]) for m, rs in ranks.items() if rs}

    reports = sorted({it["report"] for it in items})
    return {"n": len(items),
            "all": split(lambda it: True),
            "held_in": split(lambda it: not it.get("held_out")),
            "held_out": split(lambda it: bool(it.get("held_out"))),
            "by_report": {rep: split(lambda it, rep=rep: it["report"] == rep) for rep in reports}}


def table(res: dict) -> str:
    rows = ["| split | mode | n | recall@1 | recall@5 | MRR@5 |", "|---|---|---|---|---|---|"]
    for name in ("all", "held_in", "held_out"):
        for mode, r in res[name].items():
            rows.append(f"| {name} | {mode} | {r['n']} | {r['recall@1']:.3f} | {r['recall@5']:.3f} | {r['mrr@5']:.3f} |")
    rows += ["", "| report | " + " | ".join(f"{m} @1 / @5" for m in res["all"]) + " |",
             "|---|" + "---|" * len(res["all"])]
    for rep, per in res["by_report"].items():
        rows.append(f"| {rep} (n={next(iter(per.values()))['n']}) | "
                    + " | ".join(f"{r['recall@1']:.3f} / {r['recall@5']:.3f}" for r in per.values()) + " |")
    return "\n".join(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.recall", description=__doc__.split("\n")[0])
    ap.add_argument("--index-dir", type=Path, required=True)
    ap.add_argument("--suite", type=Path, help="a suite file (default: generate it from the index)")
    ap.add_argument("--no-dense", action="store_true", help="lexical only (no model)")
    ap.add_argument("--limit", type=int, default=0, help="first N answerable questions only")
    ap.add_argument("--sample", type=int, default=0,
                    help="N answerable questions evenly spread over the suite (keeps its mix of reports and templates)")
    ap.add_argument("--cache", type=Path, help="query vectors kept here (.npz) and reused by the next run")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)

    from bench.qsuite import generate_suite
    from retriever.index import LoadedIndex

    index = LoadedIndex(a.index_dir)
    items = ([json.loads(x) for x in a.suite.read_text(encoding="utf-8").splitlines() if x.strip()]
             if a.suite else generate_suite(index))
    items = [it for it in items if it.get("expected")]
    items = items[: a.limit] if a.limit else items
    if a.sample and len(items) > a.sample:
        items = [items[i * len(items) // a.sample] for i in range(a.sample)]
    embedder = None
    if not a.no_dense:
        from indexer.embedder import is_default, load_embedder

        embedder = load_embedder(None if is_default(index.model_id) else index.model_id)
    t0 = time.perf_counter()
    res = measure(index, items, embedder, cache=a.cache)
    res["seconds"] = round(time.perf_counter() - t0, 1)
    res["model"] = index.model_id
    if a.json:
        sys.stdout.write(json.dumps(res, ensure_ascii=False) + "\n")
    else:
        print(table(res))
        print(f"\n{res['n']} questions, {res['seconds']} s, model {res['model']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
