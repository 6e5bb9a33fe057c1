"""Subprocess entry points of the benchmark, so that each peak RSS (VmHWM) is one process's own.

    python -m bench.worker index --corpus DIR --index-dir DIR [--embedder real|hash] [--embed-pass]
        full build with `indexer.build.build_index`; prints one JSON object: the build summary,
        `embed_seconds` (wall time inside the embedder's encode_passages calls made by the build),
        optionally `embed_pass_seconds` (the same chunk texts embedded again, alone, same batches),
        `model_load_seconds`, `peak_rss_mb`, `index_mb`.
    python -m bench.worker serve --corpus DIR --index-dir DIR --port N [--embedder real|hash]
        the real HTTP stack (`api.app.create_app` under uvicorn) on 127.0.0.1:N.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .common import HashEmbedder, TimedEmbedder, dir_mb, vmhwm_mb

BATCH = 64  # indexer.build._embed's batch


def _embedder(kind: str):
    if kind == "hash":
        return HashEmbedder()
    from indexer.embedder import load_embedder

    return load_embedder()


def cmd_index(a) -> None:
    from indexer import store
    from indexer.build import build_index

    t = time.perf_counter()
    emb = _embedder(a.embedder)
    load_s = time.perf_counter() - t
    timed = TimedEmbedder(emb)
    summary = build_index(Path(a.corpus), Path(a.index_dir), embedder=timed, model_id=emb.model_id, full=True)
    version = store.current_version(Path(a.index_dir))
    out = {"summary": summary, "index_seconds": summary["seconds"], "embed_seconds": round(timed.seconds, 3),
           "embedded_texts": timed.texts, "model_load_seconds": round(load_s, 2),
           "peak_rss_mb": vmhwm_mb(), "index_mb": dir_mb(version),
           "faiss": store.read_manifest(version).get("faiss")}
    if a.embed_pass:
        con = store.open_db(version / "meta.sqlite", readonly=True)
        texts = list(dict.fromkeys(r[0] for r in con.execute("SELECT embed_text FROM chunks ORDER BY vec_row")))
        con.close()
        t = time.perf_counter()
        for k in range(0, len(texts), BATCH):
            emb.encode_passages(texts[k:k + BATCH])
        out["embed_pass_seconds"] = round(time.perf_counter() - t, 3)
        out["embed_pass_texts"] = len(texts)
        out["peak_rss_mb"] = vmhwm_mb()
    print(json.dumps(out, ensure_ascii=False), flush=True)


def cmd_serve(a) -> None:
    import uvicorn

    from api.app import create_app

    def hash_loader(index_dir):
        from retriever.engine import Engine
        from retriever.index import LoadedIndex

        return Engine(LoadedIndex(Path(index_dir)), embedder=HashEmbedder())

    app = create_app(Path(a.index_dir), Path(a.corpus), None,
                     engine_loader=hash_loader if a.embedder == "hash" else None)
    uvicorn.run(app, host="127.0.0.1", port=a.port, log_level="warning", access_log=False)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.worker")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("index")
    p.add_argument("--corpus", required=True)
    p.add_argument("--index-dir", required=True)
    p.add_argument("--embedder", choices=["real", "hash"], default="real")
    p.add_argument("--embed-pass", action="store_true")
    p = sub.add_parser("serve")
    p.add_argument("--corpus", required=True)
    p.add_argument("--index-dir", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--embedder", choices=["real", "hash"], default="real")
    a = ap.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    {"index": cmd_index, "serve": cmd_serve}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
