"""Shared fixtures: the bundled corpus, parsed reports, and a fast deterministic embedder."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
REPORTS = {
    "wuchang": CORPUS / "武汉市武昌区大数据中心_2019_部门决算.txt",
    "hanyang": CORPUS / "武汉市汉阳区大数据中心_2021_部门决算.txt",
    "hongshan": CORPUS / "武汉市洪山区大数据中心_2022_部门决算.txt",
    "jianghan": CORPUS / "武汉市江汉区大数据中心_2022_部门决算.txt",
    "qiaokou": CORPUS / "武汉市硚口区大数据中心_2024_部门决算.txt",
}


class HashEmbedder:
    """Deterministic bag-of-bigrams vectors: fast stand-in for the real model in index tests."""

    model_id = "test-hash-bigrams-64"
    dim = 64

    def __init__(self):
        self.calls = 0

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for i in range(len(text) - 1):
            h = int.from_bytes(hashlib.md5(text[i:i + 2].encode()).digest()[:4], "little")
            v[h % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def encode_passages(self, texts, batch_size=32, show_progress=False):
        self.calls += len(texts)
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_query(self, text):
        return self._vec(text)


@pytest.fixture
def hash_embedder():
    return HashEmbedder()


@pytest.fixture
def corpus_copy(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    for p in REPORTS.values():
        shutil.copy(p, d / p.name)
    return d


@pytest.fixture
def two_reports(tmp_path):
    """A corpus folder with two of the bundled reports (Hanyang 2021, Wuchang 2019)."""
    d = tmp_path / "corpus"
    d.mkdir()
    for key in ("hanyang", "wuchang"):
        shutil.copy(REPORTS[key], d / REPORTS[key].name)
    return d


@pytest.fixture(scope="session")
def parsed():
    from indexer.parser import parse_file

    return {k: parse_file(p) for k, p in REPORTS.items()}


@pytest.fixture(scope="session")
def real_index_dir(tmp_path_factory):
    """The bundled corpus indexed once per test session with the default embedding model."""
    from indexer.build import build_index

    idx = tmp_path_factory.mktemp("real_index")
    summary = build_index(CORPUS, idx)
    assert summary["chunks_embedded"] == summary["chunks_total"]
    return idx


@pytest.fixture(scope="session")
def real_engine(real_index_dir):
    from retriever.engine import Engine

    return Engine.load(real_index_dir)


@pytest.fixture(scope="session")
def milvus_engine(real_engine, real_index_dir, tmp_path_factory):
    """The bundled corpus on the milvus backend (milvus-lite in a temporary file), built from the
    session's real index vectors, so nothing is embedded again."""
    from bench.backends import MemoEmbedder
    from indexer.backends import get_backend
    from indexer.build import build_index
    from retriever.engine import Engine
    from retriever.index import LoadedIndex

    emb = MemoEmbedder(real_engine.embedder)
    vectors = real_engine.index.reader.vectors()
    emb.cache.update((c.embed_text, vectors[c.row]) for c in real_engine.index.chunks)
    root = tmp_path_factory.mktemp("milvus_index")
    backend = get_backend(root, "milvus", str(root / "milvus.db"))
    build_index(CORPUS, root, embedder=emb, model_id=emb.model_id, backend=backend)
    return Engine(LoadedIndex(root, backend=backend), real_engine.embedder)


@pytest.fixture(scope="session", params=["faiss", "milvus"])
def backend_engine(request):
    """The real engine on each index backend: retrieval and answering tests run on both."""
    return request.getfixturevalue("real_engine" if request.param == "faiss" else "milvus_engine")
