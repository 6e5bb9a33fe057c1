"""Scale: the corpus grown 1×, 10× (and 100×) with synthetic reports, built and queried.

The multiple is on chunks: at k× the corpus holds the five real reports plus enough synthetic
reports (`bench.synth`, the three layouts in turn) for about k × the real corpus's chunk count.
Every size is built from scratch by `indexer.build.build_index` in its own process; then all sizes
are served at once by the real HTTP stack (one process each) and every gold question is asked of
every size in turn (order rotating), `rounds` passes after a warm-up — so the sizes are compared
under the same machine load, which on this shared machine matters more than anything else.

Embedding the 100× corpus with the real model would take hours on this machine, so every scale
row uses `bench.common.HashEmbedder` (deterministic 384-d bigram hashing, near-zero cost) for
passages and questions alike: the rows then measure what grows with the corpus — parsing, BM25,
FAISS, SQLite, loading, answering — on the same footing at every size. The real model's cost per
chunk is measured at 1× in the same run (`embed_ms_per_chunk_real`), and each row adds
`est_real_index_seconds` = (build seconds − hash-embedding seconds) + chunks × that cost.
"""
from __future__ import annotations

import math
import shutil
import statistics
from pathlib import Path
from typing import Optional

from . import synth
from .common import log, pct, worker
from .latency import Server


def chunks_per_synthetic(sample: int = 6, seed: int = 0) -> float:
    from indexer.chunker import chunk_report
    from indexer.parser import parse_file
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        counts = [len(chunk_report(parse_file(p))[0]) for p in synth.generate(Path(d), sample, seed=seed)]
    return statistics.mean(counts)


def run(workdir: Path, corpus_dir: Path, base_chunks: int, factors: list[int], gold: list[dict],
        real_embed_ms_per_chunk: Optional[float], rounds: int = 2, seed: int = 0) -> list[dict]:
    """Build every size (one process each), then serve all sizes at once and ask each gold question
    of each pass of every size in turn (rotating the order), so that all sizes see the same load."""
    from indexer.build import corpus_files
    from indexer.models import AskResponse
    from retriever.evaluate import score_item, summarize

    base_files = corpus_files(corpus_dir)
    per_report = chunks_per_synthetic(seed=seed)
    need = {f: max(0, math.ceil((f - 1) * base_chunks / per_report)) for f in factors}
    log(f"scale: {per_report:.0f} chunks per synthetic report; generating {max(need.values())} reports")
    files = synth.generate(workdir / "synth", max(need.values()), seed=seed) if max(need.values()) else []
    builds: dict[int, dict] = {}
    for f in factors:
        d = workdir / f"scale-{f}x"
        if d.exists():
            shutil.rmtree(d)
        corpus = d / "corpus"
        corpus.mkdir(parents=True)
        for p in list(base_files) + files[:need[f]]:
            (corpus / p.name).symlink_to(p.resolve())
        log(f"scale {f}x: building {len(base_files) + need[f]} reports (hash embedder)")
        builds[f] = worker(["index", "--corpus", str(corpus), "--index-dir", str(d / "index"), "--embedder", "hash"])
        log(f"scale {f}x: {builds[f]['summary']['chunks_total']} chunks in {builds[f]['index_seconds']:.1f} s")

    servers: dict[int, Server] = {}
    lat: dict[int, list[float]] = {f: [] for f in factors}
    slow: dict[int, dict[str, float]] = {f: {} for f in factors}
    results: dict[int, list[dict]] = {f: [] for f in factors}
    ready: dict[int, float] = {}
    rss: dict[int, Optional[float]] = {}
    try:
        for f in factors:
            d = workdir / f"scale-{f}x"
            servers[f] = Server(d / "corpus", d / "index", embedder="hash", log_file=d / "serve.log")
        for f in factors:
            ready[f] = servers[f].wait_ready()
            for item in gold[:5]:
                servers[f].ask(item["question"])
        log(f"scale: all sizes served; {rounds} passes over {len(gold)} questions, sizes in turn")
        for r in range(rounds):
            for k, item in enumerate(gold):
                order = factors[k % len(factors):] + factors[:k % len(factors)]
                for f in order:
                    ms, body = servers[f].ask(item["question"])
                    lat[f].append(ms)
                    slow[f][item["id"]] = max(ms, slow[f].get(item["id"], 0.0))
                    if r == 0:
                        results[f].append(score_item(item, AskResponse.model_validate(body)))
        for f in factors:
            rss[f] = servers[f].peak_rss_mb()
    finally:
        for srv in servers.values():
            srv.stop()
    rows = []
    for f in factors:
        b = builds[f]
        chunks = b["summary"]["chunks_total"]
        summ = summarize(results[f], lat[f])
        row = {
            "factor": f, "reports": len(base_files) + need[f], "chunks": chunks,
            "index_seconds": b["index_seconds"], "build_ms_per_chunk": round(1000 * b["index_seconds"] / chunks, 3),
            "embed_seconds": b["embed_seconds"],
            "ask_p50_ms": pct(lat[f], 50), "ask_p95_ms": pct(lat[f], 95), "ask_max_ms": round(max(lat[f]), 1),
            "slowest": [[k, round(v, 1)] for k, v in sorted(slow[f].items(), key=lambda x: -x[1])[:3]],
            "index_mb": b["index_mb"], "peak_rss_mb": {"index": b["peak_rss_mb"], "serve": rss[f]},
            "faiss": b.get("faiss"), "ready_seconds": round(ready[f], 2),  # all sizes start loading together
            "accuracy": summ["accuracy"], "wrong_number_rate": summ["wrong_number_rate"],
            "embedder": b["summary"]["model"], "http_errors": len(servers[f].errors),
            "wrong_items": [r["id"] for r in results[f] if r["correct"] < 1.0],
        }
        if real_embed_ms_per_chunk:
            row["est_real_index_seconds"] = round(b["index_seconds"] - b["embed_seconds"]
                                                  + chunks * real_embed_ms_per_chunk / 1000, 1)
        rows.append(row)
        log(f"scale {f}x: ask p50 {row['ask_p50_ms']} ms, index {row['index_mb']} MB, "
            f"rss index {b['peak_rss_mb']} MB / serve {rss[f]} MB")
        shutil.rmtree(workdir / f"scale-{f}x" / "index", ignore_errors=True)
    return rows
