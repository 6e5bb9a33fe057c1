"""Small shared helpers of the benchmark: timing, memory, ports, machine facts, the hash embedder."""
from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GOLD = ROOT.parent / "shared" / "eval" / "gold_dev.jsonl"
DEFAULT_CORPUS = ROOT / "corpus"
DEFAULT_HELDOUT = ROOT / "tests" / "fixtures" / "heldout.jsonl"


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values: Sequence[float], q: float) -> Optional[float]:
    """The q-th percentile (nearest rank, like `retriever.evaluate.summarize`'s p95)."""
    if not values:
        return None
    v = sorted(values)
    if q == 50:
        return round(float(np.median(v)), 2)
    return round(float(v[min(len(v) - 1, int(len(v) * q / 100))]), 2)


def vmhwm_mb(pid: Optional[int] = None) -> Optional[float]:
    """Peak resident set size (VmHWM) of a live process, in MB."""
    try:
        text = Path(f"/proc/{pid or 'self'}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def dir_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2 ** 20, 2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loadavg() -> Optional[list[float]]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 2 ** 20, 1)
    except OSError:
        pass
    commit = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        if commit and dirty:
            commit += "+dirty"
    except (OSError, subprocess.SubprocessError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gb": mem, "python": platform.python_version(),
            "platform": platform.platform(), "commit": commit}


def worker(args: list[str], timeout: float = 7200) -> dict:
    """Run `python -m bench.worker …` and return the JSON object it prints last."""
    cmd = [sys.executable, "-m", "bench.worker", *args]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {' '.join(args[:1])} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    lines = [l for l in proc.stdout.splitlines() if l.strip().startswith("{")]
    if not lines:
        raise RuntimeError(f"worker {' '.join(args[:1])} printed no result: {proc.stderr.strip()[-2000:]}")
    return json.loads(lines[-1])


class HashEmbedder:
    """Cheap deterministic 384-d embedder for the scale runs only: character bigrams hashed (crc32)
    into 384 buckets, L2-normalised. It has the real model's dimension and lexical structure
    (so FAISS clustering and search cost are realistic) but none of its meaning or cost; the real
    model's per-chunk embedding cost is measured separately at 1×."""

    model_id = "bench-hash-bigram-384"
    dim = 384

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        if len(text) > 1:
            idx = [zlib.crc32(text[i:i + 2].encode("utf-8")) % self.dim for i in range(len(text) - 1)]
            np.add.at(v, idx, 1.0)
        n = float(np.linalg.norm(v))
        return v / n if n else v

    def encode_passages(self, texts, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._vec(t) for t in texts])

    def encode_query(self, text: str) -> np.ndarray:
        return self._vec(text)


class TimedEmbedder:
    """Wraps an embedder and adds up the wall time of its `encode_passages` calls."""

    def __init__(self, inner):
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.seconds = 0.0
        self.texts = 0

    def encode_passages(self, texts, *a, **kw):
        t = time.perf_counter()
        out = self.inner.encode_passages(texts, *a, **kw)
        self.seconds += time.perf_counter() - t
        self.texts += len(texts)
        return out

    def encode_query(self, text):
        return self.inner.encode_query(text)


def wait_ready(proc: subprocess.Popen, port: int, log_file, timeout: float) -> None:
    """Poll GET /readyz on 127.0.0.1:port until 200; raise if the server exits or the time runs out."""
    import http.client

    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {log_file}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/readyz")
            r = c.getresponse()
            r.read()
            c.close()
            if r.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"server not ready after {timeout:.0f} s; see {log_file}")
