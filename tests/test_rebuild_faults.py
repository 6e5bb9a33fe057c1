"""Faults during rebuilds (issue 7, part 2), through the HTTP service with the real engine.

The service is `api.app.create_app` with the real `retriever.engine.Engine` over real indexes of the
corpus (built by `indexer.build.build_index`; the fast deterministic `HashEmbedder` of conftest
stands in for the embedding model so a rebuild takes seconds).

* `test_sigkill_builder_*`: the builder runs in its own process (as `reportqa index` or a crashed
  worker would) and is SIGKILLed at seven points — while parsing, while embedding, after writing
  the database, after writing every file, after sealing the version (manifest written), just
  before and just after the CURRENT pointer swap. Meanwhile and afterwards the service answers
  from the previous index; the index on disk is always a complete verified version; the next
  rebuild completes, is swapped in and leaves no debris.
* `test_queries_during_three_rebuilds`: two clients query without pause while three rebuilds run,
  each changing one report's figure: zero errors, and every answer comes from one complete index
  version (its citations are chunks of one version, its figure is that version's figure).
* `test_corrupt_index_*`: a corrupted, truncated or missing index file is detected at load by its
  checksum; the service refuses to answer (503 with a rebuild hint), and a rebuild repairs it. A
  corrupt new version is refused at swap time and the previous index keeps serving.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from conftest import REPORTS, ROOT, HashEmbedder
from indexer import store
from indexer.build import build_index

TOKEN = "rebuild-faults-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
Q2021 = "汉阳区大数据中心2021年项目支出多少"
Q2023 = "汉阳区大数据中心2023年项目支出多少"
V2021 = 2399.30


# ---------------------------------------------------------------- builders and loaders
def hash_build(corpus_dir, index_dir, **kwargs) -> dict:
    emb = HashEmbedder()
    return build_index(corpus_dir, index_dir, embedder=emb, model_id=emb.model_id, **kwargs)


def real_engine(index_dir):
    """The real engine over the index on disk (checksums verified by LoadedIndex)."""
    from retriever.engine import Engine
    from retriever.index import LoadedIndex

    return Engine(LoadedIndex(index_dir), HashEmbedder())


CHILD = textwrap.dedent("""
    import json, os, sys, time
    sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
    from conftest import HashEmbedder
    from indexer import build
    from indexer.backends import faiss_dir
    corpus, index, stop = sys.argv[1], sys.argv[2], sys.argv[3]

    def pause(point):
        if point == stop:
            print("PAUSED " + point, flush=True)
            time.sleep(120)
            os._exit(3)  # not reached: the test kills this process

    def progress(stage, done, total):
        if stage in ("parse", "embed"):
            pause(stage)

    def after(fn, point):
        def wrapped(*a, **k):
            out = fn(*a, **k)
            pause(point)
            return out
        return wrapped

    faiss_dir.write_db = after(faiss_dir.write_db, "database")      # meta.sqlite written, nothing else
    faiss_dir.write_bm25 = after(faiss_dir.write_bm25, "files")     # every file written, no manifest yet
    real_rename, real_replace = os.rename, os.replace

    def rename(src, dst, *a, **k):                            # manifest written, folder still tmp-*
        if os.path.basename(str(src)).startswith("tmp-"):
            pause("sealed")
        return real_rename(src, dst, *a, **k)

    def replace(src, dst, *a, **k):
        swap = os.path.basename(str(dst)) == "CURRENT"
        if swap:
            pause("before-swap")                              # new version complete, CURRENT old
        out = real_replace(src, dst, *a, **k)
        if swap:
            pause("after-swap")                               # CURRENT new, old versions not cleaned
        return out

    os.rename, os.replace = rename, replace
    e = HashEmbedder()
    summary = build.build_index(corpus, index, embedder=e, model_id=e.model_id, progress=progress)
    print(json.dumps(summary), flush=True)
""")
KILL_POINTS = ["parse", "embed", "database", "files", "sealed", "before-swap", "after-swap"]


class ChildBuilder:
    """`build_fn` for the app: the build runs in a child process that stops at `stop` until killed."""

    def __init__(self, script: Path):
        self.script = script
        self.stop = "never"
        self.in_process = False
        self.proc: subprocess.Popen | None = None
        self.paused = threading.Event()

    def __call__(self, corpus_dir, index_dir, *, full=False, progress=None, wait=0.0, **kwargs) -> dict:
        if self.in_process:
            return hash_build(corpus_dir, index_dir, full=full, progress=progress, wait=wait)
        self.paused.clear()
        self.proc = subprocess.Popen([sys.executable, str(self.script), str(corpus_dir), str(index_dir), self.stop],
                                     stdout=subprocess.PIPE, text=True)
        summary = None
        for line in self.proc.stdout:
            if line.startswith("PAUSED"):
                self.paused.set()
            elif line.startswith("{"):
                summary = json.loads(line)
        code = self.proc.wait()
        if code != 0 or summary is None:
            raise RuntimeError(f"builder process died (exit status {code})")
        return summary


# ---------------------------------------------------------------- fixtures
def marker_report(figure: str) -> str:
    """汉阳区 2021 restated as 2023 with its 项目支出 set to `figure` (e.g. "2,401.11")."""
    plain = figure.replace(",", "")
    return (REPORTS["hanyang"].read_text(encoding="utf-8").replace("2021", "2023")
            .replace("2,399.30", figure).replace("2399.30", plain))


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A corpus copy and its index (built once; each test works on its own copy)."""
    root = tmp_path_factory.mktemp("rebuild_base")
    corpus = root / "corpus"
    corpus.mkdir()
    for p in REPORTS.values():
        shutil.copy(p, corpus / p.name)
    hash_build(corpus, root / "index")
    return root


@pytest.fixture
def env(base, tmp_path):
    shutil.copytree(base / "corpus", tmp_path / "corpus")
    shutil.copytree(base / "index", tmp_path / "index")
    return tmp_path / "corpus", tmp_path / "index"


def service(index_dir, corpus_dir, build_fn=hash_build):
    app = create_app(index_dir, corpus_dir, TOKEN, real_engine, build_fn=build_fn)
    return app, TestClient(app, raise_server_exceptions=False)


def wait_job(client, timeout=90.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get("/index/status").json()
        if status["state"] != "running":
            return status
        time.sleep(0.05)
    raise AssertionError(f"rebuild did not finish in {timeout} s: {status}")


def answer(client, question=Q2021) -> dict:
    r = client.post("/ask", json={"question": question})
    assert r.status_code == 200, (r.status_code, r.text[:300])
    return r.json()


def assert_serves_previous(client, version: str) -> None:
    body = answer(client)
    assert body["found"] and body["values"][0]["value"] == pytest.approx(V2021), body["answer"]
    assert client.get("/readyz").status_code == 200
    assert len(client.get("/reports").json()) == 5
    assert answer(client, Q2023)["found"] is False  # the new report is not visible yet
    assert client.get("/index/status").json()["version"] == version


def assert_clean(index_dir: Path) -> None:
    assert not list(index_dir.glob("tmp-*")) and not list(index_dir.glob("CURRENT.*"))
    assert len(list(index_dir.glob("v-*"))) <= store.KEEP_VERSIONS


# ---------------------------------------------------------------- SIGKILL at seven points
@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_builder_keeps_previous_index_serving(env, tmp_path, point):
    corpus, index = env
    script = tmp_path / "builder.py"
    script.write_text(CHILD.format(root=str(ROOT), tests=str(ROOT / "tests")), encoding="utf-8")
    builder = ChildBuilder(script)
    app, client = service(index, corpus, builder)
    with client:
        v0 = client.get("/index/status").json()["version"]
        assert v0 == store.current_version(index).name
        assert_serves_previous(client, v0)

        (corpus / "marker_2023.txt").write_text(marker_report("2,401.11"), encoding="utf-8")
        builder.stop = point
        r = client.post("/index/rebuild", headers=ADMIN)
        assert r.status_code == 202, r.text
        assert builder.paused.wait(60), f"builder never reached {point}"

        # the builder is stopped mid-way: the service keeps answering from the previous index
        for _ in range(3):
            assert_serves_previous(client, v0)
        assert client.post("/index/rebuild", headers=ADMIN).status_code == 409  # one build at a time
        assert client.get("/index/status").json()["state"] == "running"

        os.kill(builder.proc.pid, signal.SIGKILL)
        status = wait_job(client)
        assert status["state"] == "failed" and "died" in (status["last_error"] or ""), status
        assert_serves_previous(client, v0)

        # on disk: always one complete, verified version (the old one, or the new one once swapped)
        live = store.current_version(index)
        assert (live.name == v0) == (point != "after-swap"), (point, live.name, v0)
        on_disk = real_engine(index)
        assert len(on_disk.index.reports) == (6 if point == "after-swap" else 5)

        # the next rebuild completes and is swapped in
        builder.in_process = True
        assert client.post("/index/rebuild", headers=ADMIN).status_code == 202
        status = wait_job(client)
        assert status["state"] == "idle" and status["last_error"] is None, status
        assert status["version"] not in (None, v0) and status["version"] == store.current_version(index).name
        assert len(client.get("/reports").json()) == 6
        body = answer(client, Q2023)
        assert body["found"] and body["values"][0]["value"] == pytest.approx(2401.11), body
        assert answer(client)["values"][0]["value"] == pytest.approx(V2021)
        assert_clean(index)


# ---------------------------------------------------------------- queries during three rebuilds
FIGURES = ["2,401.11", "2,402.22", "2,403.33"]


def _version_snapshot(index_dir: Path) -> dict:
    version = store.current_version(index_dir)
    con = sqlite3.connect(f"file:{version / 'meta.sqlite'}?mode=ro", uri=True)
    try:
        chunks = dict(con.execute("SELECT chunk_id, text FROM chunks"))
        reports = {r for (r,) in con.execute("SELECT report_id FROM reports")}
    finally:
        con.close()
    return {"name": version.name, "chunks": chunks, "reports": reports}


def test_queries_during_three_rebuilds(env):
    corpus, index = env
    app, client = service(index, corpus)
    records: list[tuple[str, int, object]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def query_loop(kind_cycle):
        try:
            i = 0
            while not stop.is_set():
                kind = kind_cycle[i % len(kind_cycle)]
                i += 1
                if kind == "ask2023":
                    r = client.post("/ask", json={"question": Q2023, "top_k": 5})
                elif kind == "ask2021":
                    r = client.post("/ask", json={"question": Q2021, "top_k": 5})
                elif kind == "search":
                    r = client.get("/search", params={"q": "汉阳区2023年项目支出 合计", "k": 5})
                elif kind == "reports":
                    r = client.get("/reports")
                else:
                    r = client.get("/index/status")
                records.append((kind, r.status_code, r.json() if r.headers.get("content-type", "").startswith(
                    "application/json") else r.text))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    with client:
        versions = [_version_snapshot(index)]
        threads = [threading.Thread(target=query_loop, args=(c,), daemon=True)
                   for c in (["ask2023", "search", "status"], ["ask2021", "reports", "ask2023"])]
        for t in threads:
            t.start()
        time.sleep(0.3)
        for figure in FIGURES:
            (corpus / "marker_2023.txt").write_text(marker_report(figure), encoding="utf-8")
            assert client.post("/index/rebuild", headers=ADMIN).status_code == 202
            status = wait_job(client)
            assert status["state"] == "idle", status
            versions.append(_version_snapshot(index))
            assert status["version"] == versions[-1]["name"]
            time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join(30)

    assert not errors, errors
    assert len({v["name"] for v in versions}) == 4
    bad = [(k, s, str(b)[:200]) for k, s, b in records if s != 200]
    assert not bad, f"{len(bad)} errors of {len(records)} requests: {bad[:5]}"
    assert len(records) > 100, len(records)

    figure_version = {float(f.replace(",", "")): i + 1 for i, f in enumerate(FIGURES)}
    names = [v["name"] for v in versions]
    seen_versions = set()
    for kind, _, body in records:
        if kind in ("ask2023", "ask2021", "search"):
            cites = body if kind == "search" else body["citations"]
            # every cited passage of one answer comes from one complete version, with its text
            holders = [i for i, v in enumerate(versions)
                       if all(v["chunks"].get(c["chunk_id"]) == c["text"] for c in cites)]
            assert holders, (kind, [c["chunk_id"] for c in cites])
            if kind == "ask2023" and body["found"]:
                value = body["values"][0]["value"]
                assert value in figure_version, (value, body["answer"])  # never a made-up or stale mix
                assert figure_version[value] in holders, (value, holders)
                seen_versions.add(figure_version[value])
            if kind == "ask2021":
                assert body["found"] and body["values"][0]["value"] == pytest.approx(V2021)
        elif kind == "reports":
            ids = {r["report_id"] for r in body}
            assert any(ids == v["reports"] for v in versions), ids
        else:
            assert body["version"] in names, body["version"]
            assert body["ready"] is True
    assert len(seen_versions) >= 2, f"the answers never changed version: {seen_versions}"


# ---------------------------------------------------------------- corrupt index files
def _flip(path: Path, offset: int = 200) -> None:
    with open(path, "r+b") as f:
        f.seek(min(offset, max(0, path.stat().st_size - 8)))
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0xFF]))


def _truncate(path: Path) -> None:
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 2)


def _wrong_figure(path: Path) -> None:
    """A valid database with a wrong number in it: only the checksum can tell."""
    con = sqlite3.connect(path)
    con.execute("UPDATE facts SET value = 2999.30, raw = '2,999.30' WHERE raw = '2,399.30'")
    con.execute("UPDATE chunks SET text = replace(replace(text, '2,399.30', '2,999.30'), '2399.30', '2999.30'), "
                "embed_text = replace(replace(embed_text, '2,399.30', '2,999.30'), '2399.30', '2999.30')")
    con.commit()
    con.close()


CORRUPTIONS = {
    "flip-vectors": lambda v: _flip(v / "vectors.npy"),
    "truncate-faiss": lambda v: _truncate(v / "faiss.index"),
    "truncate-sqlite": lambda v: _truncate(v / "meta.sqlite"),
    "wrong-figure-in-sqlite": lambda v: _wrong_figure(v / "meta.sqlite"),
    "flip-bm25": lambda v: _flip(v / "bm25" / "data.csc.index.npy", 130),
    "delete-bm25-vocab": lambda v: (v / "bm25" / "vocab.index.json").unlink(),
    "edit-words": lambda v: (v / "words.json").write_text('["项目支出"]', encoding="utf-8"),
    "garbage-manifest": lambda v: (v / "manifest.json").write_bytes(b'{"schema": 1, "files": {'),
    "empty-manifest": lambda v: (v / "manifest.json").write_bytes(b""),
    "dangling-CURRENT": lambda v: (v.parent / "CURRENT").write_text("v-does-not-exist", encoding="utf-8"),
}
REPAIRED = {"wrong-figure-in-sqlite", "garbage-manifest", "dangling-CURRENT"}  # also rebuilt over HTTP


def assert_refuses(client) -> str:
    r = client.get("/readyz")
    assert r.status_code == 503, r.text
    err = r.json()["error"]
    assert err["code"] == "index_not_ready"
    assert "reportqa index" in err["message"] or "rebuild" in err["message"], err  # the rebuild hint
    assert r.headers.get("retry-after")
    for method, url, kwargs in [("post", "/ask", {"json": {"question": Q2021}}), ("get", "/search?q=项目支出", {}),
                                ("get", "/reports", {}), ("get", "/passages/x", {}),
                                ("post", "/verify", {"json": {"claim": "项目支出2,399.30万元"}})]:
        r = client.request(method, url, **kwargs)
        assert r.status_code == 503, (url, r.status_code, r.text[:200])
        assert r.json()["error"]["code"] == "index_not_ready"
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["ready"] is False
    status = client.get("/index/status").json()
    assert status["ready"] is False and status["last_error"], status
    return status["last_error"]


@pytest.mark.parametrize("damage", sorted(CORRUPTIONS))
def test_corrupt_index_is_refused_with_503(env, damage):
    corpus, index = env
    CORRUPTIONS[damage](store.current_version(index))
    app, client = service(index, corpus)
    with client:
        reason = assert_refuses(client)
        if damage not in ("truncate-faiss", "dangling-CURRENT", "garbage-manifest", "empty-manifest"):
            assert "checksum" in reason or "校验" in reason or "missing" in reason, reason
        if damage in REPAIRED:  # a rebuild repairs it: the damaged version is never reused
            assert client.post("/index/rebuild", headers=ADMIN).status_code == 202
            status = wait_job(client)
            assert status["state"] == "idle", status
            body = answer(client)
            assert body["found"] and body["values"][0]["value"] == pytest.approx(V2021)
            assert len(client.get("/reports").json()) == 5


def test_corrupt_new_version_is_not_swapped_in(env):
    """A new version damaged between its build and its load: refused, the previous one keeps serving."""
    corpus, index = env
    damage = {"on": True}

    def build_then_damage(corpus_dir, index_dir, **kwargs):
        summary = hash_build(corpus_dir, index_dir, **kwargs)
        if damage["on"]:
            _wrong_figure(store.current_version(index_dir) / "meta.sqlite")
        return summary

    app, client = service(index, corpus, build_then_damage)
    with client:
        v0 = client.get("/index/status").json()["version"]
        (corpus / "marker_2023.txt").write_text(marker_report("2,401.11"), encoding="utf-8")
        assert client.post("/index/rebuild", headers=ADMIN).status_code == 202
        status = wait_job(client)
        assert status["state"] == "failed" and "keeping the previous one" in status["last_error"], status
        assert_serves_previous(client, v0)
        damage["on"] = False
        assert client.post("/index/rebuild", headers=ADMIN).status_code == 202
        status = wait_job(client)
        assert status["state"] == "idle" and status["version"] != v0, status
        assert answer(client, Q2023)["values"][0]["value"] == pytest.approx(2401.11)
        assert answer(client)["values"][0]["value"] == pytest.approx(V2021)


def test_manifest_without_checksums_is_refused(env):
    corpus, index = env
    version = store.current_version(index)
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest.pop("files")
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    _wrong_figure(version / "meta.sqlite")
    app, client = service(index, corpus)
    with client:
        body = client.post("/ask", json={"question": Q2021}).json()
        assert body.get("values", [{}])[0].get("value") != 2999.30, "the tampered figure is served"
        assert_refuses(client)
