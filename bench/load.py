"""Bounded load test on loopback (issue 7, part 3; not in CI).

    .venv/bin/python -m bench.load [--index-dir DIR] [--clients 32] [--seconds 60] [--json]

Starts the product as shipped — `python -m api.cli serve` (uvicorn + `api.app.create_app` + the real
engine and embedding model) — in its own process on 127.0.0.1, with no admin token, then runs
`--clients` concurrent clients for `--seconds` (`--rounds N`: N such runs back to back): each client has one keep-alive connection and
alternates `POST /ask` and `GET /search` over a fixed mix of questions (the gold questions of
`../shared/eval/gold_dev.jsonl` when present, else a built-in list, plus hostile ones). Reported:
requests/s, p50/p90/p99/max latency per endpoint and overall, errors (non-200 answers, timeouts,
connection errors — must be 0), and the server's RSS before (after warm-up) and after the run,
with its peak and the samples taken every second (growth beyond noise would show as a trend).

Without `--index-dir`, the corpus is indexed first into a temporary directory with the default
model (1–4 minutes on 2 cores). `--url` load-tests an already running server instead (no RSS then).
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Optional
from urllib.parse import quote, urlsplit

from .common import wait_ready

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT.parent / "shared" / "eval" / "gold_dev.jsonl"

QUESTIONS = [
    "汉阳区大数据中心2021年项目支出多少",
    "武昌区大数据中心2019年收入支出决算总表中，本年收入合计是多少万元？",
    "硚口区大数据中心2024年基本支出决算明细表中的福利费是多少？",
    "洪山区大数据中心2022年一般公共预算财政拨款支出是多少",
    "江汉区大数据中心2022年三公经费支出多少",
    "汉阳区大数据中心2021年基本支出和项目支出分别是多少",
    "硚口区大数据中心2024年机关运行经费是多少",
    "武昌区大数据中心2019年政府采购支出总额",
    "火星区大数据中心2021年项目支出多少",          # not in the corpus
    "What did the Hanyang big data center spend in 2021?",
    "'; DROP TABLE reports; --",
]
SEARCHES = ["基本工资", "项目支出 合计", "政府采购", "三公经费", "机关运行经费", "福利费", "汉阳区 2021 支出决算表",
            "绩效自评", "一般公共预算财政拨款", "培训费"]


def pct(values: list[float], q: float) -> Optional[float]:
    if not values:
        return None
    v = sorted(values)  # nearest rank
    return round(v[min(len(v) - 1, max(0, math.ceil(q / 100 * len(v)) - 1))], 1)


def rss_mb(pid: int) -> Optional[float]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_questions() -> list[str]:
    qs = list(QUESTIONS)
    if GOLD.is_file():
        for line in GOLD.read_text(encoding="utf-8").splitlines():
            if line.strip():
                qs.append(json.loads(line)["question"])
    return qs


# ---------------------------------------------------------------- the server
class Server:
    def __init__(self, index_dir: Path, corpus: Path, log_file: Path):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "REPORTQA_ADMIN_TOKEN"}  # admin off
        self._log = open(log_file, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--index-dir", str(index_dir), "--corpus", str(corpus),
             "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self._log, stderr=self._log, start_new_session=True)
        self.log_file = log_file

    def wait_ready(self, timeout: float = 600) -> float:
        t0 = time.monotonic()
        wait_ready(self.proc, self.port, self.log_file, timeout)
        return time.monotonic() - t0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


# ---------------------------------------------------------------- the clients
class Client(threading.Thread):
    def __init__(self, host: str, port: int, deadline: float, questions: list[str], seed: int,
                 timeout: float, stats: list):
        super().__init__(daemon=True)
        self.host, self.port, self.deadline, self.timeout = host, port, deadline, timeout
        self.rng = random.Random(seed)
        self.questions = questions
        self.samples: list[tuple[str, float, int]] = []  # (endpoint, ms, status); status 0 = transport error
        self.errors: list[str] = []
        stats.append(self)

    def _conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def run(self) -> None:
        conn = self._conn()
        turn = self.rng.randrange(2)
        while time.monotonic() < self.deadline:
            turn ^= 1
            if turn:
                endpoint = "/ask"
                body = json.dumps({"question": self.rng.choice(self.questions), "top_k": 5},
                                  ensure_ascii=False).encode("utf-8")
                args = ("POST", "/ask", body, {"Content-Type": "application/json"})
            else:
                endpoint = "/search"
                q = self.rng.choice(SEARCHES + self.questions[:10])
                args = ("GET", f"/search?q={quote(q)}&k=10", None, {})
            t0 = time.perf_counter()
            try:
                conn.request(*args)
                r = conn.getresponse()
                data = r.read()
                ms = (time.perf_counter() - t0) * 1000
                self.samples.append((endpoint, ms, r.status))
                if r.status != 200:
                    self.errors.append(f"{endpoint} {r.status} {data[:200]!r}")
                elif endpoint == "/ask":
                    json.loads(data)["found"]  # a well-formed answer
            except Exception as exc:  # noqa: BLE001 - every failure is counted
                ms = (time.perf_counter() - t0) * 1000
                self.samples.append((endpoint, ms, 0))
                self.errors.append(f"{endpoint} {type(exc).__name__}: {exc}")
                conn.close()
                conn = self._conn()
        conn.close()


def summarize(samples: list[tuple[str, float, int]], seconds: float) -> dict:
    out = {}
    for name in ("/ask", "/search", "all"):
        ms = [m for e, m, s in samples if (name == "all" or e == name) and s == 200]
        n = sum(1 for e, _, _ in samples if name == "all" or e == name)
        out[name] = {"requests": n, "ok": len(ms), "rps": round(n / seconds, 1), "p50_ms": pct(ms, 50),
                     "p90_ms": pct(ms, 90), "p99_ms": pct(ms, 99), "max_ms": round(max(ms), 1) if ms else None}
    return out


def run(host: str, port: int, clients: int, seconds: float, questions: list[str], timeout: float,
        server_pid: Optional[int]) -> dict:
    stats: list[Client] = []
    rss_samples: list[tuple[float, Optional[float]]] = []
    stop = threading.Event()

    def sample_rss():
        t0 = time.monotonic()
        while not stop.wait(1.0):
            rss_samples.append((round(time.monotonic() - t0, 1), rss_mb(server_pid)))

    start = time.monotonic()
    deadline = start + seconds
    threads = [Client(host, port, deadline, questions, seed=i, timeout=timeout, stats=stats) for i in range(clients)]
    sampler = threading.Thread(target=sample_rss, daemon=True) if server_pid else None
    if sampler:
        sampler.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + timeout + 30)
    elapsed = time.monotonic() - start
    stop.set()
    samples = [s for c in stats for s in c.samples]
    errors = [e for c in stats for e in c.errors]
    return {"elapsed_s": round(elapsed, 1), "endpoints": summarize(samples, elapsed), "errors": len(errors),
            "error_examples": errors[:10], "rss_samples": rss_samples}


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    ap.add_argument("--index-dir", type=Path, help="an index of --corpus (default: build one in a temp dir)")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rounds", type=int, default=1,
                    help="consecutive rounds against the same server; RSS after each shows whether memory settles")
    ap.add_argument("--warmup", type=int, default=20, help="requests before the RSS 'before' figure")
    ap.add_argument("--timeout", type=float, default=120.0, help="client timeout per request, seconds")
    ap.add_argument("--url", help="load-test a running server (http://127.0.0.1:8000) instead of starting one")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--out", type=Path, help="also write the JSON result here")
    return ap.parse_args(argv)


def _start_server(a: argparse.Namespace, work: Path, result: dict) -> "Server":
    """The product started on loopback over --index-dir, or over a fresh index of --corpus."""
    index_dir = a.index_dir
    if index_dir is None:
        from indexer.build import build_index

        index_dir = work / "index"
        print("[load] indexing the corpus with the default model …", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        build_index(a.corpus, index_dir)
        result["index_build_s"] = round(time.monotonic() - t0, 1)
    server = Server(index_dir, a.corpus, work / "server.log")
    result["startup_s"] = round(server.wait_ready(), 1)
    return server


def _warm_up(host: str, port: int, questions: list[str], n: int, timeout: float) -> None:
    """Every code path once before the 'before' memory figure: /ask and /search alternately."""
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    for i in range(n):
        if i % 2:
            c.request("POST", "/ask", json.dumps({"question": questions[i % len(questions)]}).encode(),
                      {"Content-Type": "application/json"})
        else:
            c.request("GET", f"/search?q={quote(SEARCHES[i % len(SEARCHES)])}")
        c.getresponse().read()
    c.close()


def _round(host: str, port: int, a: argparse.Namespace, questions: list[str], pid: Optional[int]) -> dict:
    """One round of `a.clients` clients for `a.seconds`, with the server's RSS after it and its trend."""
    one = run(host, port, a.clients, a.seconds, questions, a.timeout, pid)
    time.sleep(1.0)
    one["rss_after_mb"] = rss_mb(pid) if pid else None
    rss = [r for _, r in one["rss_samples"] if r is not None]
    one["rss_peak_mb"] = max(rss) if rss else None
    if len(rss) >= 10:  # first vs last tenth of the round: a leak shows as a steady climb
        n = max(1, len(rss) // 10)
        one["rss_first_tenth_mb"] = round(sum(rss[:n]) / n, 1)
        one["rss_last_tenth_mb"] = round(sum(rss[-n:]) / n, 1)
    return one


def _print_summary(a: argparse.Namespace, result: dict) -> None:
    e = result["endpoints"]
    print(f"{a.clients} clients, {result['elapsed_s']} s, {result['questions']} questions; "
          f"load average {result['loadavg_start']} → {result['loadavg_end']} on {result['cores']} cores")
    for name in ("/ask", "/search", "all"):
        s = e[name]
        print(f"  {name:8} {s['requests']:6d} requests  {s['rps']:6.1f} req/s  p50 {s['p50_ms']} ms  "
              f"p90 {s['p90_ms']} ms  p99 {s['p99_ms']} ms  max {s['max_ms']} ms")
    print(f"  errors: {result['errors']}" + (f"  e.g. {result['error_examples'][:3]}" if result["errors"] else ""))
    print(f"  server RSS: before {result['rss_before_mb']} MB, after {result['rss_after_mb']} MB, "
          f"peak {result['rss_peak_mb']} MB (first/last tenth {result.get('rss_first_tenth_mb')}/"
          f"{result.get('rss_last_tenth_mb')} MB)")
    if len(result["rss_after_each_round_mb"]) > 1:
        print(f"  RSS after each round: {result['rss_after_each_round_mb']} MB")
        for k, r in enumerate(result["rounds"], start=2):
            s = r["endpoints"]["all"]
            print(f"  round {k}: {s['rps']} req/s, p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms, "
                  f"errors {r['errors']}")


def main(argv: Optional[list[str]] = None) -> int:
    a = parse_args(argv)
    questions = load_questions()
    work = Path(tempfile.mkdtemp(prefix="reportqa-load-"))
    server = None
    result: dict = {"clients": a.clients, "seconds": a.seconds, "questions": len(questions),
                    "loadavg_start": [round(x, 2) for x in os.getloadavg()], "cores": os.cpu_count()}
    try:
        if a.url:
            u = urlsplit(a.url)
            host, port, pid = u.hostname or "127.0.0.1", u.port or 80, None
        else:
            server = _start_server(a, work, result)
            host, port, pid = "127.0.0.1", server.port, server.proc.pid
        _warm_up(host, port, questions, a.warmup, a.timeout)
        result["rss_before_mb"] = rss_mb(pid) if pid else None
        rounds = []
        for k in range(a.rounds):
            print(f"[load] round {k + 1}/{a.rounds}: {a.clients} clients × {a.seconds:.0f} s against "
                  f"http://{host}:{port} …", file=sys.stderr, flush=True)
            rounds.append(_round(host, port, a, questions, pid))
        result.update(rounds[0])  # the figure: the first 60 s at full concurrency
        result["errors"] = sum(r["errors"] for r in rounds)
        result["rounds"] = [{k: v for k, v in r.items() if k != "rss_samples"} for r in rounds[1:]]
        result["rss_after_each_round_mb"] = [r["rss_after_mb"] for r in rounds]
        result["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
        if server is not None and server.proc.poll() is not None:
            result["server_exit"] = server.proc.returncode
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    if a.out:
        a.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    if a.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        _print_summary(a, result)
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
