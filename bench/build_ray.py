"""Index build throughput with and without Ray on this machine, in one run.

    .venv/bin/python -m bench.build_ray [--corpus DIR] [--actors 1,2] [--json] [--markdown]

The same corpus is built from scratch (`build_index(..., full=True)`, the default embedding model)
in fresh directories: serially in this process, then with `indexer.distributed.RayBuild` on a local
Ray instance (all CPUs of the machine) once per actor-pool size, then serially again. Reported per build: wall
seconds, chunks/s, seconds per stage (parse, embed, write: first to last progress call of the stage),
and for Ray the instance's start-up seconds (not included in the build seconds). The Ray indexes are
checked against the serial one: same chunks, vectors within 1e-5.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from .common import DEFAULT_CORPUS, loadavg, log, machine


class _Stages:
    """Progress callback that keeps the first and last time each stage reported."""

    def __init__(self):
        self.seen: dict[str, list[float]] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        self.seen.setdefault(stage, [now, now])[1] = now

    def seconds(self) -> dict[str, float]:
        return {stage: round(last - first, 2) for stage, (first, last) in self.seen.items()}


def _build(corpus: Path, index_dir: Path, **steps) -> dict:
    from indexer.build import build_index

    stages = _Stages()
    t0 = time.perf_counter()
    summary = build_index(corpus, index_dir, full=True, progress=stages, **steps)
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 2), "chunks": summary["chunks_total"],
            "chunks_per_s": round(summary["chunks_total"] / seconds, 1), "stages": stages.seconds(),
            "model": summary["model"]}


def _contents(index_dir: Path) -> tuple[list, np.ndarray]:
    from indexer import store

    version = store.current_version(index_dir)
    con = sqlite3.connect(version / "meta.sqlite")
    rows = con.execute("SELECT chunk_id, embed_text, vec_row FROM chunks ORDER BY chunk_id").fetchall()
    con.close()
    return rows, np.load(version / "vectors.npy")


def run(corpus: Path, actor_counts: list[int]) -> dict:
    import ray

    from indexer.distributed import RayBuild

    from indexer import embedder

    path = getattr(embedder, "configured_path", lambda: "torch")()  # the path load_embedder takes
    result: dict = {"corpus": str(corpus), "reports": sum(1 for p in corpus.iterdir() if p.is_file()),
                    "embed_path": path, "machine": machine(), "loadavg_start": loadavg(), "builds": []}
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        work = Path(tmp)
        log("serial build")
        serial = _build(corpus, work / "serial")
        result["builds"].append({"mode": "serial", **serial})
        rows, vectors = _contents(work / "serial")
        for actors in actor_counts:
            log(f"Ray build, {actors} embedding actor(s)")
            t0 = time.perf_counter()
            with RayBuild(actors=actors) as rb:
                started = round(time.perf_counter() - t0, 2)
                cpus = int(ray.cluster_resources().get("CPU", 0))
                built = _build(corpus, work / f"ray{actors}", parse_files=rb.parse_files,
                               embed_texts=rb.embed_texts)
            ray_rows, ray_vectors = _contents(work / f"ray{actors}")
            order = [r[2] for r in rows], [r[2] for r in ray_rows]
            built.update(mode="ray", actors=actors, ray_cpus=cpus, ray_start_seconds=started,
                         same_chunks=[r[:2] for r in ray_rows] == [r[:2] for r in rows],
                         max_vector_diff=float(np.abs(ray_vectors[order[1]] - vectors[order[0]]).max()))
            result["builds"].append(built)
        log("serial build again (the spread of the two serial runs is the noise of the machine)")
        result["builds"].append({"mode": "serial", **_build(corpus, work / "serial-again")})
    result["loadavg_end"] = loadavg()
    return result


def markdown(result: dict) -> str:
    lines = ["| build | actors | seconds | chunks/s | parse s | embed s | write s | Ray start s | same as serial |",
             "|---|---|---|---|---|---|---|---|---|"]
    for b in result["builds"]:
        st = b["stages"]
        same = "—"
        if b["mode"] == "ray":
            ok = b["same_chunks"] and b["max_vector_diff"] <= 1e-5
            same = f"{'yes' if ok else 'NO'} (max diff {b['max_vector_diff']:.1e})"
        lines.append(f"| {b['mode']} | {b.get('actors', '—')} | {b['seconds']} | {b['chunks_per_s']} | "
                     f"{st.get('parse', 0)} | {st.get('embed', 0)} | {st.get('write', 0)} | "
                     f"{b.get('ray_start_seconds', '—')} | {same} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--actors", default="1,2", help="embedding actor-pool sizes to try, comma-separated")
    ap.add_argument("--json", action="store_true", help="print the result object")
    ap.add_argument("--markdown", action="store_true", help="print the results table")
    args = ap.parse_args()
    result = run(args.corpus, [int(a) for a in args.actors.split(",") if a])
    if args.json or not args.markdown:
        print(json.dumps(result, ensure_ascii=False))
    if args.markdown:
        print(markdown(result))


if __name__ == "__main__":
    main()
