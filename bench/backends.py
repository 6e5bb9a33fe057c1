"""Backends side by side: the same questions against the faiss and the milvus backend.

Each size is built on both backends in this process (`indexer.build.build_index` with an explicit
backend; milvus on milvus-lite in a temporary file), then every gold question is asked of both
engines in turn (order alternating), `rounds` passes. Reported per size: answers identical between
the backends (answer text, values and cited chunks), /search hits identical (top 10), accuracy on
each, and latency p50/p95 of `Engine.ask` and `Engine.search` side by side, plus build seconds.

1× is the bundled corpus with the real model (vectors computed once and given to both builds);
10× and 100× add synthetic reports (`bench.synth`, as `bench.scale` does) and use the 384-d hash
embedder (`bench.common.HashEmbedder`) for passages and questions on both backends alike.

    .venv/bin/python -m bench.backends --factors 1,10 [--rounds 2] [--append-results]
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
import time
from pathlib import Path
from typing import Optional

import numpy as np

from .common import DEFAULT_CORPUS, DEFAULT_GOLD, ROOT, HashEmbedder, log, pct

NAMES = ("faiss", "milvus")


class MemoEmbedder:
    """An embedder whose passages are embedded once: the second backend's build reuses the vectors."""

    def __init__(self, inner):
        self.inner, self.model_id, self.dim = inner, inner.model_id, inner.dim
        self.path = getattr(inner, "path", None)
        self.cache: dict[str, np.ndarray] = {}

    def encode_passages(self, texts, *a, **k):
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            self.cache.update(zip(todo, self.inner.encode_passages(todo)))
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_query(self, text):
        return self.inner.encode_query(text)


def build_pair(corpus: Path, root: Path, emb) -> dict:
    """Build `corpus` on both backends under `root`; returns {name: (backend, seconds, summary)}."""
    from indexer.backends import get_backend
    from indexer.build import build_index

    out = {}
    for name in NAMES:
        backend = get_backend(root / name, name, str(root / name / "milvus.db") if name == "milvus" else None)
        t = time.perf_counter()
        summary = build_index(corpus, root / name, embedder=emb, model_id=emb.model_id, backend=backend)
        out[name] = (backend, round(time.perf_counter() - t, 1), summary)
        log(f"backends: {name} built {summary['chunks_total']} chunks in {out[name][1]} s")
    return out


def answer_key(resp) -> tuple:
    return (resp.answer, tuple((v.label, v.value, v.unit) for v in resp.values),
            tuple(c.chunk_id for c in resp.citations))


def compare(engines: dict, items: list[dict], rounds: int) -> dict:
    """Ask every question of both engines (alternating which goes first); answers, hits, latency."""
    from retriever.evaluate import ask_item, engine_catalog, score_item, summarize

    catalog = {n: engine_catalog(e) for n, e in engines.items()}
    lat = {n: {"ask": [], "search": []} for n in NAMES}
    keys = {n: [] for n in NAMES}
    hits = {n: [] for n in NAMES}
    scored = {n: [] for n in NAMES}
    for r in range(rounds):
        for k, it in enumerate(items):
            for name in (NAMES if (k + r) % 2 == 0 else NAMES[::-1]):
                e = engines[name]
                resp, ms = ask_item(e, it)  # with the item's conversation history, if any
                lat[name]["ask"].append(ms)
                t = time.perf_counter()
                found = e.search(it["question"], k=10)
                lat[name]["search"].append(1000 * (time.perf_counter() - t))
                if r == 0:
                    keys[name].append(answer_key(resp))
                    hits[name].append([c.chunk_id for c in found])
                    scored[name].append(score_item(it, resp, catalog[name]))
    same = sum(a == b for a, b in zip(keys["faiss"], keys["milvus"]))
    same_hits = sum(a == b for a, b in zip(hits["faiss"], hits["milvus"]))
    row = {"questions": len(items), "answers_identical": same, "search_top10_identical": same_hits,
           "differing": [it["id"] for it, a, b in zip(items, keys["faiss"], keys["milvus"]) if a != b]}
    for name in NAMES:
        row[name] = {"accuracy": summarize(scored[name], lat[name]["ask"])["accuracy"],
                     "ask_p50_ms": pct(lat[name]["ask"], 50), "ask_p95_ms": pct(lat[name]["ask"], 95),
                     "search_p50_ms": pct(lat[name]["search"], 50), "search_p95_ms": pct(lat[name]["search"], 95)}
    return row


def corpus_for(factor: int, work: Path, base_chunks: int, seed: int = 0) -> tuple[Path, int]:
    """The bundled corpus plus synthetic reports for about `factor` × its chunks (symlinks)."""
    from indexer.build import corpus_files

    from . import synth
    from .scale import chunks_per_synthetic

    base = corpus_files(DEFAULT_CORPUS)
    need = max(0, math.ceil((factor - 1) * base_chunks / chunks_per_synthetic(seed=seed)))
    files = synth.generate(work / "synth", need, seed=seed) if need else []
    corpus = work / f"corpus-{factor}x"
    corpus.mkdir(parents=True, exist_ok=True)
    for p in list(base) + files:
        (corpus / p.name).symlink_to(p.resolve())
    return corpus, len(base) + need


def run(factors: list[int], rounds: int, gold: list[Path], work: Path,
        extra_corpus: Optional[Path] = None) -> list[dict]:
    from indexer.build import corpus_files
    from retriever.engine import Engine
    from retriever.index import LoadedIndex

    items = [json.loads(line) for g in gold for line in g.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows, base_chunks = [], None
    for f in factors:
        root = work / f"{f}x"
        if f == 1:
            from indexer.embedder import load_embedder

            emb, corpus, reports = MemoEmbedder(load_embedder()), DEFAULT_CORPUS, None
            if extra_corpus is not None:  # the bundled corpus and another folder of reports together
                corpus = work / "corpus-1x"
                corpus.mkdir(parents=True, exist_ok=True)
                for p in corpus_files(DEFAULT_CORPUS) + corpus_files(extra_corpus):
                    if p.name.lower() != "readme.md":  # the folder's description, not a report
                        (corpus / p.name).symlink_to(p.resolve())
        else:
            emb = HashEmbedder()
            corpus, reports = corpus_for(f, work, base_chunks or 1400)
        built = build_pair(corpus, root, emb)
        chunks = built["faiss"][2]["chunks_total"]
        base_chunks = base_chunks or chunks
        engines = {}
        for name, (backend, _, _) in built.items():
            t = time.perf_counter()
            engines[name] = Engine(LoadedIndex(root / name, backend=backend), emb)
            built[name] = built[name] + (round(time.perf_counter() - t, 2),)
        for it in items[:3]:  # warm-up
            for e in engines.values():
                e.ask(it["question"])
        row = {"factor": f, "reports": reports or len(engines["faiss"].index.reports), "chunks": chunks,
               "embedder": emb.model_id, **compare(engines, items, rounds)}
        for name in NAMES:
            row[name].update(build_seconds=built[name][1], load_seconds=built[name][3])
        rows.append(row)
        log(f"backends {f}x: {row['answers_identical']}/{row['questions']} answers identical; "
            f"ask p50 {row['faiss']['ask_p50_ms']} / {row['milvus']['ask_p50_ms']} ms")
        del engines
        shutil.rmtree(root, ignore_errors=True)
    return rows


def markdown(rows: list[dict], rounds: int) -> str:
    out = ["| size | reports | chunks | answers identical | /search top-10 identical | accuracy faiss / milvus "
           "| ask p50 / p95 ms faiss | ask p50 / p95 ms milvus | search p50 / p95 ms faiss "
           "| search p50 / p95 ms milvus | build s faiss / milvus | load s faiss / milvus |",
           "|" + "---|" * 12]
    for r in rows:
        f, m = r["faiss"], r["milvus"]
        out.append(f"| {r['factor']}× | {r['reports']} | {r['chunks']} | {r['answers_identical']}/{r['questions']} "
                   f"| {r['search_top10_identical']}/{r['questions']} | {f['accuracy']} / {m['accuracy']} "
                   f"| {f['ask_p50_ms']} / {f['ask_p95_ms']} | {m['ask_p50_ms']} / {m['ask_p95_ms']} "
                   f"| {f['search_p50_ms']} / {f['search_p95_ms']} | {m['search_p50_ms']} / {m['search_p95_ms']} "
                   f"| {f['build_seconds']} / {m['build_seconds']} | {f['load_seconds']} / {m['load_seconds']} |")
    return "\n".join(out) + (f"\n\n({rounds} pass(es) over the questions; 1×: real model, "
                              "larger sizes: hash embedder.)\n")


def main(argv: Optional[list[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--factors", default="1,10")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--gold", type=Path, action="append", help="gold question file(s); default gold_dev")
    ap.add_argument("--extra-corpus", type=Path, default=None,
                    help="reports indexed with the bundled corpus at 1× (e.g. ../shared/eval/other_units)")
    ap.add_argument("--out", type=Path, default=None, help="also write the rows as JSON here")
    ap.add_argument("--append-results", action="store_true", help="append the table to bench/RESULTS.md")
    a = ap.parse_args(argv)
    factors = [int(x) for x in a.factors.split(",") if x.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-backends-") as d:
        rows = run(factors, a.rounds, a.gold or [DEFAULT_GOLD], Path(d), a.extra_corpus)
    if a.out is not None:
        a.out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    table = markdown(rows, a.rounds)
    gold_names = ", ".join(g.name for g in (a.gold or [DEFAULT_GOLD]))
    print(table)
    if a.append_results:
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n## Index backends: faiss and milvus (milvus-lite) side by side (`bench/backends.py`)\n\n"
                     f"Run {time.strftime('%Y-%m-%d')}, questions of {gold_names}"
                     + (f", 1× with {a.extra_corpus.name}/ indexed too" if a.extra_corpus else "")
                     + ", this machine (2 cores, shared).\n\n"
                     + table)


if __name__ == "__main__":
    main()
