"""Exact vs approximate FAISS: where the approximate index starts to pay (issue 3's threshold).

Vectors: the real 384-d e5 vectors of the corpus (`vectors.npy` of the 1× index), replicated to N
and perturbed with Gaussian noise whose size is calibrated so that two copies of one chunk are as
similar as a real chunk is to its nearest neighbour in the real corpus (median cosine) — i.e. the
grown corpus looks like many more reports whose rows resemble each other the way real rows do.
Queries: the gold questions' real query vectors, plus perturbed corpus vectors (200 in all).

Both indexes are built by `indexer.store.build_faiss` itself (its APPROX_THRESHOLD is set to force
the exact or the IVF branch, so nlist = 4·√N, nprobe = max(8, nlist/16), training sample and all
are exactly the product's). For each N: build seconds, single-query search time (p50 over the
queries, best of 3 passes, k = 10) and the IVF's recall@10 against the exact result.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

K = 10


def calibrate_sigma(base: np.ndarray, sample: int = 1500, seed: int = 0) -> tuple[float, float]:
    """(sigma, median nearest-neighbour cosine of the real vectors)."""
    rng = np.random.default_rng(seed)
    x = base[rng.choice(len(base), size=min(sample, len(base)), replace=False)]
    sims = x @ base.T
    sims[sims > 0.99999] = -1  # itself (and exact duplicates)
    nn = float(np.median(sims.max(axis=1)))
    d = base.shape[1]
    # two noisy copies of one unit vector: cos ≈ 1 / (1 + σ²·d)
    sigma = float(np.sqrt(max(1e-6, (1.0 / max(nn, 1e-3) - 1.0) / d)))
    return sigma, nn


def grow(base: np.ndarray, n: int, sigma: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), np.float32)
    step = 100_000
    for a in range(0, n, step):
        b = min(n, a + step)
        v = base[rng.integers(0, len(base), b - a)] + sigma * rng.standard_normal((b - a, base.shape[1])).astype(np.float32)
        out[a:b] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def _build(vectors: np.ndarray, approx: bool):
    from indexer import store

    saved = store.APPROX_THRESHOLD
    store.APPROX_THRESHOLD = 0 if approx else 10 ** 12
    try:
        t = time.perf_counter()
        index = store.build_faiss(vectors, vectors.shape[1])
        return index, time.perf_counter() - t
    finally:
        store.APPROX_THRESHOLD = saved


def _search_times(index, queries: np.ndarray, passes: int = 2) -> tuple[float, np.ndarray]:
    """Single-query searches (as the service does them): best-of-`passes` p50 ms, and the ids."""
    best, ids = None, None
    for _ in range(passes):
        ts, out = [], []
        for q in queries:
            t = time.perf_counter()
            _, i = index.search(q.reshape(1, -1), K)
            ts.append((time.perf_counter() - t) * 1000)
            out.append(i[0])
        p50 = float(np.median(ts))
        best = p50 if best is None else min(best, p50)
        ids = np.array(out)
    return best, ids


def _recall(got: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(g) & set(t)) / K for g, t in zip(got, truth)]))


def _ivf_recall(vecs: np.ndarray, queries: np.ndarray) -> float:
    import faiss

    exact = faiss.IndexFlatIP(vecs.shape[1])
    exact.add(vecs)
    _, truth = exact.search(queries, K)
    ivf, _ = _build(vecs, approx=True)
    _, got = ivf.search(queries, K)
    return _recall(got, truth)


def measure(base: np.ndarray, query_vecs: np.ndarray, sizes: list[int], hard_sizes: list[int] = (),
            hard_factor: float = 3.0, seed: int = 0, default_threads: int = 0,
            log: Callable[[str], None] = lambda s: None) -> dict:
    """Exact vs IVF at each size. Timings with FAISS's default OpenMP threads (what the service
    uses today) and with one thread; recall at the calibrated noise, and at `hard_factor` × the
    noise for `hard_sizes` (copies then differ like two random real chunks do)."""
    import faiss

    base = np.ascontiguousarray(base, dtype=np.float32)
    sigma, nn = calibrate_sigma(base, seed=seed)
    rng = np.random.default_rng(seed + 1)
    extra = max(0, 150 - len(query_vecs))
    pq = base[rng.integers(0, len(base), extra)] + sigma * rng.standard_normal((extra, base.shape[1])).astype(np.float32)
    pq /= np.linalg.norm(pq, axis=1, keepdims=True)
    queries = np.ascontiguousarray(np.vstack([query_vecs.astype(np.float32), pq]), dtype=np.float32)
    default_threads = default_threads or faiss.omp_get_max_threads()
    before = faiss.omp_get_max_threads()
    rows = []
    for n in sizes:
        vecs = grow(base, n, sigma, seed + n)
        flat, flat_build = _build(vecs, approx=False)
        ivf, ivf_build = _build(vecs, approx=True)
        row = {"n": n}
        try:
            for threads in (default_threads, 1):
                faiss.omp_set_num_threads(threads)
                tag = "omp1" if threads == 1 else f"omp{threads}"
                row[f"flat_ms_{tag}"], truth = _search_times(flat, queries)
                row[f"ivf_ms_{tag}"], got = _search_times(ivf, queries)
                row[f"flat_ms_{tag}"] = round(row[f"flat_ms_{tag}"], 3)
                row[f"ivf_ms_{tag}"] = round(row[f"ivf_ms_{tag}"], 3)
        finally:
            faiss.omp_set_num_threads(before)
        row["ivf_recall_at_10"] = round(_recall(got, truth), 4)
        if n in hard_sizes:
            hard = grow(base, n, sigma * hard_factor, seed + n + 1)
            hq = grow(base, len(queries), sigma * hard_factor, seed + 7)
            row["ivf_recall_at_10_hard"] = round(_ivf_recall(hard, hq), 4)
            del hard
        row.update({"flat_build_s": round(flat_build, 3), "ivf_build_s": round(ivf_build, 3),
                    "nlist": int(ivf.nlist), "nprobe": int(ivf.nprobe)})
        rows.append(row)
        log("  faiss n={n}: exact {a} ms ({t} threads) / {b} ms (1 thread); ivf {c} ms; recall@10 {r}{h}; "
            "ivf build {s} s".format(n=n, a=row[f"flat_ms_omp{default_threads}"] if default_threads != 1 else row["flat_ms_omp1"],
                                     t=default_threads, b=row["flat_ms_omp1"], c=row["ivf_ms_omp1"],
                                     r=row["ivf_recall_at_10"], h=(f" (hard {row['ivf_recall_at_10_hard']})"
                                                                   if "ivf_recall_at_10_hard" in row else ""),
                                     s=row["ivf_build_s"]))
        del flat, ivf, vecs
    return {"sigma": round(sigma, 5), "hard_factor": hard_factor, "real_nn_cosine_median": round(nn, 4),
            "queries": len(queries), "default_omp_threads": default_threads, "rows": rows,
            **crossover(rows, default_threads)}


def crossover(rows: list[dict], default_threads: int, min_recall: float = 0.95, negligible_ms: float = 1.0) -> dict:
    """Where the approximate index starts to pay.

    * ``crossover_n[tag]``: the smallest measured N from which IVF is faster than exact search with
      recall@10 ≥ min_recall (at that size and every larger one measured), per thread setting;
    * ``recommended_threshold``: the smallest measured N at which exact search, single-threaded,
      stops being negligible (p50 ≥ `negligible_ms`, against a query floor of tens of ms) while
      IVF keeps recall@10 ≥ 0.99 — below it exact search is exact *and* costs nothing.
    """
    out: dict = {"crossover_n": {}, "min_recall": min_recall, "negligible_ms": negligible_ms}
    tags = sorted({"omp1", f"omp{default_threads}"})
    for tag in tags:
        ok = [r[f"ivf_ms_{tag}"] < r[f"flat_ms_{tag}"] and r["ivf_recall_at_10"] >= min_recall for r in rows]
        out["crossover_n"][tag] = next((rows[k]["n"] for k in range(len(rows)) if all(ok[k:])), None)
    out["recommended_threshold"] = next(
        (r["n"] for r in rows if r["flat_ms_omp1"] >= negligible_ms and r["ivf_recall_at_10"] >= 0.99
         and r.get("ivf_recall_at_10_hard", 1.0) >= 0.95), None)
    return out
