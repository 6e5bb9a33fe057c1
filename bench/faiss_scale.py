"""Exact vs approximate FAISS: where the approximate index starts to pay (issue 3's threshold).

Vectors: the real 384-d e5 vectors of the corpus (`vectors.npy` of the 1× index, rows grouped by
report), copied to N and perturbed with Gaussian noise whose size is calibrated so that two copies
of one chunk are as similar as a real chunk is to its nearest neighbour in the real corpus (median
cosine) — the grown corpus looks like many more reports whose rows resemble each other the way
real rows do. A "hard" variant uses `hard_factor` × that noise (copies then differ about as much as
two random real chunks). Queries: the gold questions' real query vectors plus perturbed corpus
vectors (150 in all).

Both indexes are built by `indexer.store.build_faiss` itself (its APPROX_THRESHOLD is set to force
the exact or the IVF branch, so nlist = 4·√N, nprobe = max(8, nlist/16), training sample and all
are exactly the product's). For each N:
* build seconds;
* single-query search p50 (k = 10, best of 2 passes) with FAISS's default OpenMP threads (what the
  service uses today) and with one thread;
* IVF recall@10 against the exact result;
* the filtered case the service uses when a question names a report (`LoadedIndex.dense_rank` with
  an `IDSelectorBatch`): the search restricted to one pseudo-report (a block of REPORT_CHUNKS
  consecutive vectors, the block holding the exact top hit) — time and recall of both indexes.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

K = 10
REPORT_CHUNKS = 275  # chunks of an average real report


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
    """n unit vectors: row i is base[i mod len(base)] plus noise (so report blocks stay together)."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), np.float32)
    step = 100_000
    for a in range(0, n, step):
        b = min(n, a + step)
        src = base[np.arange(a, b) % len(base)]
        v = src + sigma * rng.standard_normal((b - a, base.shape[1])).astype(np.float32)
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


def _params(index, ids: np.ndarray):
    import faiss

    sel = faiss.IDSelectorBatch(ids)
    if hasattr(index, "nprobe"):
        p = faiss.SearchParametersIVF(sel=sel)
        p.nprobe = index.nprobe
        return p, sel
    return faiss.SearchParameters(sel=sel), sel


def _search_times(index, queries: np.ndarray, passes: int = 2, filters=None) -> tuple[float, np.ndarray]:
    """Single-query searches (as the service does them): best-of-`passes` p50 ms, and the ids."""
    best, ids = None, None
    for _ in range(passes):
        ts, out = [], []
        for k, q in enumerate(queries):
            kw = {}
            if filters is not None:
                params, _sel = _params(index, filters[k])  # _sel must outlive the search
                kw = {"params": params}
            t = time.perf_counter()
            _, i = index.search(q.reshape(1, -1), K, **kw)
            ts.append((time.perf_counter() - t) * 1000)
            out.append(i[0])
        p50 = float(np.median(ts))
        best = p50 if best is None else min(best, p50)
        ids = np.array(out)
    return best, ids


def _recall(got: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(g[g >= 0]) & set(t[t >= 0])) / max(1, len(t[t >= 0]))
                          for g, t in zip(got, truth)]))


def _ivf_recall(vecs: np.ndarray, queries: np.ndarray) -> float:
    import faiss

    exact = faiss.IndexFlatIP(vecs.shape[1])
    exact.add(vecs)
    _, truth = exact.search(queries, K)
    ivf, _ = _build(vecs, approx=True)
    _, got = ivf.search(queries, K)
    return _recall(got, truth)


def _queries(base: np.ndarray, query_vecs: np.ndarray, sigma: float, seed: int, total: int = 150) -> np.ndarray:
    rng = np.random.default_rng(seed)
    extra = max(0, total - len(query_vecs))
    pq = base[rng.integers(0, len(base), extra)] + sigma * rng.standard_normal((extra, base.shape[1])).astype(np.float32)
    pq /= np.linalg.norm(pq, axis=1, keepdims=True)
    return np.ascontiguousarray(np.vstack([query_vecs.astype(np.float32).reshape(-1, base.shape[1]), pq]),
                                dtype=np.float32)


def measure(base: np.ndarray, query_vecs: np.ndarray, sizes: list[int], hard_sizes: list[int] = (),
            hard_factor: float = 3.0, seed: int = 0, default_threads: int = 0,
            log: Callable[[str], None] = lambda s: None) -> dict:
    import faiss

    base = np.ascontiguousarray(base, dtype=np.float32)
    sigma, nn = calibrate_sigma(base, seed=seed)
    queries = _queries(base, query_vecs, sigma, seed + 1)
    default_threads = default_threads or faiss.omp_get_max_threads()
    before = faiss.omp_get_max_threads()
    tags = ["omp1"] if default_threads == 1 else [f"omp{default_threads}", "omp1"]
    rows = []
    for n in sizes:
        vecs = grow(base, n, sigma, seed + n)
        flat, flat_build = _build(vecs, approx=False)
        ivf, ivf_build = _build(vecs, approx=True)
        row: dict = {"n": n}
        try:
            for tag in tags:
                faiss.omp_set_num_threads(int(tag[3:]))
                flat_ms, truth = _search_times(flat, queries)
                ivf_ms, got = _search_times(ivf, queries)
                row[f"flat_ms_{tag}"], row[f"ivf_ms_{tag}"] = round(flat_ms, 3), round(ivf_ms, 3)
            row["ivf_recall_at_10"] = round(_recall(got, truth), 4)
            # filtered to the pseudo-report of the exact top hit (threads: the service's default)
            faiss.omp_set_num_threads(default_threads)
            blocks = [np.arange(b * REPORT_CHUNKS, min(n, (b + 1) * REPORT_CHUNKS), dtype=np.int64)
                      for b in (truth[:, 0] // REPORT_CHUNKS)]
            fl_ms, ftruth = _search_times(flat, queries, filters=blocks)
            iv_ms, fgot = _search_times(ivf, queries, filters=blocks)
            row.update({"flat_filtered_ms": round(fl_ms, 3), "ivf_filtered_ms": round(iv_ms, 3),
                        "ivf_filtered_recall_at_10": round(_recall(fgot, ftruth), 4)})
        finally:
            faiss.omp_set_num_threads(before)
        if n in hard_sizes:
            hard = grow(base, n, sigma * hard_factor, seed + n + 1)
            hq = _queries(base, query_vecs, sigma * hard_factor, seed + 7)
            row["ivf_recall_at_10_hard"] = round(_ivf_recall(hard, hq), 4)
            del hard
        row.update({"flat_build_s": round(flat_build, 3), "ivf_build_s": round(ivf_build, 3),
                    "nlist": int(ivf.nlist), "nprobe": int(ivf.nprobe)})
        rows.append(row)
        log(f"  faiss n={n}: exact {row[f'flat_ms_{tags[0]}']} ms ({tags[0]}) / {row['flat_ms_omp1']} ms (omp1); "
            f"ivf {row['ivf_ms_omp1']} ms; recall@10 {row['ivf_recall_at_10']}"
            + (f" (hard {row['ivf_recall_at_10_hard']})" if "ivf_recall_at_10_hard" in row else "")
            + f"; one report: exact {row['flat_filtered_ms']} / ivf {row['ivf_filtered_ms']} ms, recall "
              f"{row['ivf_filtered_recall_at_10']}; ivf build {row['ivf_build_s']} s")
        del flat, ivf, vecs
    return {"sigma": round(sigma, 5), "hard_factor": hard_factor, "real_nn_cosine_median": round(nn, 4),
            "queries": len(queries), "default_omp_threads": default_threads, "rows": rows,
            **crossover(rows, default_threads)}


def crossover(rows: list[dict], default_threads: int, min_recall: float = 0.95, negligible_ms: float = 0.5) -> dict:
    """Where the approximate index starts to pay.

    * ``crossover_n[tag]``: the smallest measured N from which IVF is faster than exact search with
      recall@10 ≥ min_recall (at that size and every larger one measured), per thread setting;
    * ``recommended_threshold``: the smallest measured N at which exact search, single-threaded,
      stops being negligible (p50 ≥ `negligible_ms`, ≈ 1 % of a query floor of ~50 ms) while
      IVF keeps recall@10 ≥ 0.99 (and ≥ 0.95 on the hard variant where measured) — below it
      exact search is exact *and* costs next to nothing.
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
