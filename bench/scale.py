"""Scale: the corpus grown 1×, 10× (and 100×) with synthetic reports, built and queried.

The multiple is on chunks: at k× the corpus holds the five real reports plus enough synthetic
reports (`bench.synth`, the three layouts in turn) for about k × the real corpus's chunk count.
Every size is built from scratch by `indexer.build.build_index` in its own process and served by
the real HTTP stack in another; the gold questions are asked once each after a warm-up.

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


def run(workdir: Path, corpus_dir: Path, base_chunks: int, factors: list[int], questions: list[str],
        gold: list[dict], real_embed_ms_per_chunk: Optional[float], seed: int = 0) -> list[dict]:
    from indexer.build import corpus_files
    from indexer.models import AskResponse
    from retriever.evaluate import score_item, summarize

    base_files = corpus_files(corpus_dir)
    per_report = chunks_per_synthetic(seed=seed)
    need = {f: max(0, math.ceil((f - 1) * base_chunks / per_report)) for f in factors}
    synth_dir = workdir / "synth"
    log(f"scale: {per_report:.0f} chunks per synthetic report; generating {max(need.values())} reports")
    files = synth.generate(synth_dir, max(need.values()), seed=seed) if max(need.values()) else []
    rows = []
    for f in factors:
        d = workdir / f"scale-{f}x"
        if d.exists():
            shutil.rmtree(d)
        corpus = d / "corpus"
        corpus.mkdir(parents=True)
        for p in list(base_files) + files[:need[f]]:
            (corpus / p.name).symlink_to(p.resolve())
        log(f"scale {f}x: building {len(base_files) + need[f]} reports (hash embedder)")
        b = worker(["index", "--corpus", str(corpus), "--index-dir", str(d / "index"), "--embedder", "hash"])
        chunks = b["summary"]["chunks_total"]
        log(f"scale {f}x: {chunks} chunks in {b['index_seconds']:.1f} s; serving")
        with Server(corpus, d / "index", embedder="hash", log_file=d / "serve.log") as srv:
            ready_s = srv.wait_ready()
            for q in questions[:5]:
                srv.ask(q)
            lat, results = [], []
            for item in gold:
                ms, body = srv.ask(item["question"])
                lat.append(ms)
                results.append(score_item(item, AskResponse.model_validate(body)))
            serve_rss = srv.peak_rss_mb()
            errors = len(srv.errors)
        summ = summarize(results, lat)
        non_embed = b["index_seconds"] - b["embed_seconds"]
        row = {
            "factor": f, "reports": len(base_files) + need[f], "chunks": chunks,
            "index_seconds": b["index_seconds"], "build_ms_per_chunk": round(1000 * b["index_seconds"] / chunks, 3),
            "embed_seconds": b["embed_seconds"],
            "ask_p50_ms": pct(lat, 50), "ask_p95_ms": pct(lat, 95),
            "index_mb": b["index_mb"], "peak_rss_mb": {"index": b["peak_rss_mb"], "serve": serve_rss},
            "faiss": b.get("faiss"), "load_seconds": round(ready_s, 2),
            "accuracy": summ["accuracy"], "wrong_number_rate": summ["wrong_number_rate"],
            "embedder": b["summary"]["model"], "http_errors": errors,
        }
        if real_embed_ms_per_chunk:
            row["est_real_index_seconds"] = round(non_embed + chunks * real_embed_ms_per_chunk / 1000, 1)
        rows.append(row)
        log(f"scale {f}x: ask p50 {row['ask_p50_ms']} ms, index {row['index_mb']} MB, "
            f"rss index {b['peak_rss_mb']} MB / serve {serve_rss} MB")
        shutil.rmtree(d / "index", ignore_errors=True)
    return rows
