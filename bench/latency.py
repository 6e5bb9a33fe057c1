"""`/ask` through the real HTTP stack on loopback, and the latency floor measured beside it.

The server is `python -m bench.worker serve` (uvicorn + `api.app.create_app`) in its own process;
the client is `http.client` with one keep-alive connection. The floor is what any dense QA over
the same index must at least do per question: encode the question with the same model and run one
FAISS search on the same `faiss.index` (k = 5). Floor and ask samples are taken alternately,
question by question, so both see the same machine load.
"""
from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from .common import ROOT, free_port, log, vmhwm_mb, wait_ready


class Server:
    def __init__(self, corpus: Path, index_dir: Path, embedder: str = "real", log_file: Optional[Path] = None):
        self.port = free_port()
        self.log_file = log_file
        self._log = open(log_file, "wb") if log_file else subprocess.DEVNULL
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.worker", "serve", "--corpus", str(corpus), "--index-dir", str(index_dir),
             "--port", str(self.port), "--embedder", embedder],
            cwd=ROOT, stdout=self._log, stderr=self._log)
        self.conn: Optional[http.client.HTTPConnection] = None
        self.errors: list[dict] = []

    def wait_ready(self, timeout: float = 900) -> float:
        """Seconds from process start until /readyz answers 200 (the index and model loaded)."""
        wait_ready(self.proc, self.port, self.log_file, timeout)
        return time.perf_counter() - self.started

    def ask(self, question: str) -> tuple[float, dict]:
        """One POST /ask: (client-side milliseconds, response body). A non-200 answer is counted in
        `errors` and returned as a not-found body, so that one failing question cannot stop a run."""
        body = json.dumps({"question": question}, ensure_ascii=False).encode("utf-8")
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            try:
                t = time.perf_counter()
                self.conn.request("POST", "/ask", body=body, headers={"Content-Type": "application/json"})
                r = self.conn.getresponse()
                data = r.read()
                ms = (time.perf_counter() - t) * 1000
                if r.status != 200:
                    self.errors.append({"question": question, "status": r.status, "body": data[:300].decode("utf-8", "replace")})
                    return ms, {"question": question, "found": False, "answer": f"HTTP {r.status}", "values": [],
                                "citations": []}
                return ms, json.loads(data)
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def peak_rss_mb(self) -> Optional[float]:
        return vmhwm_mb(self.proc.pid)

    def stop(self) -> None:
        if self.conn is not None:
            self.conn.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not subprocess.DEVNULL:
            self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def make_floor(embedder, faiss_index, k: int = 5) -> Callable[[str], tuple[float, np.ndarray]]:
    def floor(question: str) -> tuple[float, np.ndarray]:
        t = time.perf_counter()
        v = embedder.encode_query(question)
        faiss_index.search(v.reshape(1, -1).astype(np.float32), k)
        return (time.perf_counter() - t) * 1000, v
    return floor


def measure(server: Server, questions: list[str], rounds: int = 3, warmup: int = 5,
            floor: Optional[Callable[[str], tuple[float, np.ndarray]]] = None) -> dict:
    """Warm up, then `rounds` passes over the questions (ask and floor alternating per question).

    Returns ask / floor samples (ms), the first pass's response bodies and the query vectors."""
    for q in questions[:warmup]:
        server.ask(q)
        if floor:
            floor(q)
    asks: list[float] = []
    floors: list[float] = []
    bodies: dict[str, dict] = {}
    qvecs: dict[str, np.ndarray] = {}
    for r in range(rounds):
        for q in questions:
            if floor:
                ms, v = floor(q)
                floors.append(ms)
                qvecs[q] = v
            ms, body = server.ask(q)
            asks.append(ms)
            bodies.setdefault(q, body)
        log(f"  latency pass {r + 1}/{rounds} done")
    return {"ask_ms": asks, "floor_ms": floors, "bodies": bodies, "qvecs": qvecs}
