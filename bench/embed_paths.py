"""Embedding throughput and agreement per path (issue 13, item 3), all in one run.

On N real index passages (the `embed_text` of chunks of an index of corpus/, evenly spaced in
build order) it times: torch fp32 in 64-text slices in build order (the build before the sort),
torch fp32 sorted by length once (`indexer.build._embed`), OpenVINO sorted once (the same
function); passages/s for each. Query encoding: median ms per `encode_query` over the questions of
the gold sets. Agreement against the 64-slice torch vectors: min cosine per passage and the mean
top-10 neighbour overlap of the questions over the N passages.

    .venv/bin/python -m bench.embed_paths [--index-dir DIR] [--passages 500] [--queries 100] [--json]

Without --index-dir a temporary index of corpus/ is built with the hash embedder (the chunk texts
do not depend on the embedder). Progress on stderr; stdout holds a Markdown table or, with --json,
one JSON object.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import DEFAULT_CORPUS, DEFAULT_GOLD, DEFAULT_HELDOUT, HashEmbedder, loadavg, log, machine

TARGETS = {"build_speedup": 3.0, "query_speedup": 2.0, "top10_overlap": 0.95}


def passages(index_dir: Path | None, n: int) -> list[str]:
    from indexer.build import build_index
    from retriever.index import LoadedIndex

    with tempfile.TemporaryDirectory(prefix="embed-paths-") as tmp:
        if index_dir is None:
            index_dir = Path(tmp) / "index"
            e = HashEmbedder()
            build_index(DEFAULT_CORPUS, index_dir, embedder=e, model_id=e.model_id, full=True)
        texts = [c.embed_text for c in LoadedIndex(index_dir).chunks]
    pick = np.linspace(0, len(texts) - 1, min(n, len(texts))).round().astype(int)
    return [texts[i] for i in pick]


def questions(n: int) -> list[str]:
    out: list[str] = []
    for path in (DEFAULT_GOLD, DEFAULT_HELDOUT):
        if path.is_file():
            out += [json.loads(l)["question"] for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
    if not out:
        raise SystemExit("no question file found (gold_dev.jsonl / heldout.jsonl)")
    return out[:n]


def timed(fn) -> tuple[np.ndarray, float, float]:
    """(result, wall seconds, CPU seconds of this process: load-independent up to spin-waiting)."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def query_ms(emb, qs: list[str]) -> tuple[np.ndarray, float]:
    for q in qs[:5]:                                   # warm-up
        emb.encode_query(q)
    vecs, times = [], []
    for q in qs:
        t = time.perf_counter()
        vecs.append(emb.encode_query(q))
        times.append((time.perf_counter() - t) * 1000)
    return np.stack(vecs), statistics.median(times)


def overlap(q_ref, p_ref, q, p, k: int = 10) -> float:
    top_ref = np.argsort(-(q_ref @ p_ref.T), axis=1)[:, :k]
    top = np.argsort(-(q @ p.T), axis=1)[:, :k]
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(top_ref, top)]))


def run(index_dir: Path | None, n_passages: int, n_queries: int) -> dict:
    from indexer.build import _embed
    from indexer.embedder import load_embedder

    load_start = loadavg()
    texts, qs = passages(index_dir, n_passages), questions(n_queries)
    log(f"{len(texts)} passages, {len(qs)} questions; loading both paths")
    torch_emb, ov_emb = load_embedder(path="torch"), load_embedder(path="openvino")
    assert (torch_emb.path, ov_emb.path) == ("torch", "openvino")
    noop = lambda *a: None                             # noqa: E731
    for e in (torch_emb, ov_emb):                      # warm-up, not timed
        e.encode_passages(texts[:8])
    runs = {
        "torch fp32, 64-text slices in build order":
            lambda: np.vstack([torch_emb.encode_passages(texts[i:i + 64]) for i in range(0, len(texts), 64)]),
        "torch fp32, sorted once": lambda: _embed(torch_emb, texts, noop),
        f"OpenVINO ({ov_emb.precision}), sorted once": lambda: _embed(ov_emb, texts, noop),
    }
    rows, vecs = [], {}
    for name, fn in runs.items():
        log(f"embedding: {name}")
        vecs[name], sec, cpu = timed(fn)
        rows.append({"path": name, "seconds": round(sec, 2), "cpu_seconds": round(cpu, 2),
                     "passages_per_s": round(len(texts) / sec, 1)})
    log("query encoding")
    q_t, ms_t = query_ms(torch_emb, qs)
    q_o, ms_o = query_ms(ov_emb, qs)
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)                           # under load, 2 spin-waiting threads inflate torch most
    ms_t1 = query_ms(torch_emb, qs)[1]
    torch.set_num_threads(threads)
    from indexer.ov_embed import OVEmbedder, ensure_ov_model

    ms_o1 = query_ms(OVEmbedder(ensure_ov_model(), ov_emb.model_id, {"INFERENCE_NUM_THREADS": 1}), qs)[1]
    ref_name = next(iter(runs))
    ref = vecs[ref_name]
    for row in rows:
        v = vecs[row["path"]]
        q = q_o if row["path"].startswith("OpenVINO") else q_t
        row["query_ms_p50"] = round(ms_o if q is q_o else ms_t, 1)
        row["min_cosine"] = round(float((v * ref).sum(axis=1).min()), 6)
        row["top10_overlap"] = round(overlap(q_t, ref, q, v), 3)
        row["build_speedup"] = round(rows[0]["seconds"] / row["seconds"], 2)
    ov = rows[-1]
    measured = {"build_speedup": ov["build_speedup"], "query_speedup": round(ms_t / ms_o, 2),
                "top10_overlap": ov["top10_overlap"]}
    return {
        "passages": len(texts), "queries": len(qs), "rows": rows,
        "targets": {k: {"measured": measured[k], "limit": lim, "met": measured[k] >= lim}
                    for k, lim in TARGETS.items()},
        "meta": {"date": time.strftime("%Y-%m-%d %H:%M"), **machine(), "loadavg_start": load_start,
                 "loadavg_end": loadavg(), "ov_precision": ov_emb.precision,
                 "query_ms_p50_1_thread": {"torch": round(ms_t1, 1), "openvino": round(ms_o1, 1)}},
    }


def markdown(res: dict) -> str:
    lines = ["| path | s (CPU s) | passages/s | × 64-slice torch | query ms (p50) | min cosine | top-10 overlap |",
             "|---|---|---|---|---|---|---|"]
    for r in res["rows"]:
        lines.append(f"| {r['path']} | {r['seconds']} ({r['cpu_seconds']}) | {r['passages_per_s']} | {r['build_speedup']} | "
                     f"{r['query_ms_p50']} | {r['min_cosine']} | {r['top10_overlap']} |")
    t = res["targets"]
    lines.append("")
    lines.append("Targets: " + "; ".join(f"{k} {v['measured']} (≥ {v['limit']}: {'met' if v['met'] else 'NOT met'})"
                                         for k, v in t.items()))
    m = res["meta"]
    one = m["query_ms_p50_1_thread"]
    lines.append(f"Query encoding with 1 thread instead of 2 (less hurt by load): torch {one['torch']} ms, "
                 f"OpenVINO {one['openvino']} ms (p50), {round(one['torch'] / one['openvino'], 2)}×.")
    lines.append(f"{res['passages']} passages, {res['queries']} questions; {m['date']}, commit {m['commit']}, {m['cpu']} ({m['cores']} cores), "
                 f"load average {m['loadavg_start']} → {m['loadavg_end']}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index-dir", type=Path, help="an index of corpus/ (default: a temporary one)")
    ap.add_argument("--passages", type=int, default=500)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of Markdown")
    a = ap.parse_args(argv)
    if a.passages < 10 or a.queries < 5:
        print("--passages must be ≥ 10 and --queries ≥ 5", file=sys.stderr)
        return 2
    if a.index_dir is not None and not a.index_dir.is_dir():
        print(f"no index in {a.index_dir}", file=sys.stderr)
        return 2
    res = run(a.index_dir, a.passages, a.queries)
    print(json.dumps(res, ensure_ascii=False, indent=1) if a.json else markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
