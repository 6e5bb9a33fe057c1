"""Embedding paths: OpenVINO against torch fp32, the REPORTQA_EMBED_PATH choice and its fallback,
the path recorded by an index (and its vectors never reused by the other path)."""
from __future__ import annotations

import logging
import sys

import numpy as np
import pytest

from conftest import REPORTS, HashEmbedder
from indexer import embedder as emb_mod, store
from indexer.build import build_index
from indexer.embedder import EmbedderError, load_embedder


def _report_lines(n: int = 12) -> list[str]:
    """n real lines of the Hanyang report, spread over the file: prose, table rows, headings."""
    lines = [l.strip() for l in REPORTS["hanyang"].read_text(encoding="utf-8").splitlines() if len(l.strip()) >= 8]
    step = len(lines) // n
    return [lines[i * step] for i in range(n)]


LINES = _report_lines()


@pytest.fixture(scope="module")
def torch_emb():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REPORTQA_EMBED_PATH", "torch")
        return load_embedder()


@pytest.fixture(scope="module")
def ov_emb():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REPORTQA_EMBED_PATH", "openvino")
        return load_embedder()


def test_setting_picks_the_path(torch_emb, ov_emb):
    assert torch_emb.path == "torch" and type(torch_emb).__name__ == "Embedder"
    assert ov_emb.path == "openvino" and type(ov_emb).__name__ == "OVEmbedder"
    assert ov_emb.model_id == torch_emb.model_id and ov_emb.dim == torch_emb.dim == 384


def test_openvino_vectors_match_torch_on_report_lines(torch_emb, ov_emb):
    assert len(LINES) == 12 and len(set(LINES)) == 12
    p_t, p_o = torch_emb.encode_passages(LINES), ov_emb.encode_passages(LINES)
    assert p_o.dtype == np.float32 and p_o.shape == (12, 384)
    np.testing.assert_allclose(np.linalg.norm(p_o, axis=1), 1.0, atol=1e-5)
    assert ((p_t * p_o).sum(axis=1) >= 0.99).all(), (p_t * p_o).sum(axis=1)
    q_t = np.stack([torch_emb.encode_query(l) for l in LINES])
    q_o = np.stack([ov_emb.encode_query(l) for l in LINES])
    assert ((q_t * q_o).sum(axis=1) >= 0.99).all()
    # the same top-1 neighbour for every line asked as a query, and each finds its own passage
    assert list((q_o @ p_o.T).argmax(axis=1)) == list((q_t @ p_t.T).argmax(axis=1)) == list(range(12))


def test_passages_in_one_call_equal_one_by_one(ov_emb):
    """Sorting and padding inside a call do not change a vector (the attention mask holds)."""
    batch = ov_emb.encode_passages(LINES, batch_size=5)
    single = np.stack([ov_emb.encode_passages([l])[0] for l in LINES])
    assert ((batch * single).sum(axis=1) >= 0.999).all()


def test_query_prompt_applied_as_torch(torch_emb, ov_emb):
    text = "汉阳区大数据中心2021年项目支出多少"
    q_o, p_o = ov_emb.encode_query(text), ov_emb.encode_passages([text])[0]
    q_t, p_t = torch_emb.encode_query(text), torch_emb.encode_passages([text])[0]
    assert float(q_o @ p_o) < 0.99                   # "query: " and "passage: " differ
    assert float(q_o @ q_t) >= 0.99 and float(p_o @ p_t) >= 0.99
    assert float(q_o @ q_t) > float(q_o @ p_t)
    assert abs(float(q_o @ p_o) - float(q_t @ p_t)) < 0.01


def test_tokens_as_sentence_transformers_makes_them(torch_emb, ov_emb):
    """The OpenVINO path's `tokenizers` tokenizer gives the ids the torch path's tokenizer gives,
    prompt included; "<s>" in a text stays text (split_special_tokens), long texts cut at 512."""
    texts = [p + t for p in ("query: ", "passage: ")
             for t in LINES + ["<s>字面", "预算  执行   情况", "ＡＢＣ１２３（全角）！", "硃砂", "项目" * 600]]
    st_ids = torch_emb._model.tokenizer(texts, truncation=True, max_length=512)["input_ids"]
    ov_ids = [e.ids for e in ov_emb._tok.encode_batch(texts)]
    assert ov_ids == st_ids   # "<s>字面" differs without encode_special_tokens: ..., 6, 0, 6, 7234, ...
    assert len(ov_ids[-1]) == 512


def test_auto_falls_back_to_torch_without_openvino(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "openvino", None)   # `import openvino` raises ImportError
    monkeypatch.setenv("REPORTQA_EMBED_PATH", "auto")
    assert emb_mod.configured_path() == "torch"
    with caplog.at_level(logging.WARNING, logger="indexer.embedder"):
        e = load_embedder()
    assert e.path == "torch"
    assert [r.getMessage() for r in caplog.records if r.name == "indexer.embedder"] == [
        "embedding on torch fp32: openvino does not import (ModuleNotFoundError: import of openvino halted; "
        "None in sys.modules)"]
    monkeypatch.setenv("REPORTQA_EMBED_PATH", "openvino")  # asked explicitly: an error, not a fallback
    with pytest.raises(EmbedderError, match="REPORTQA_EMBED_PATH=openvino: openvino does not import"):
        load_embedder()


def test_bad_setting_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("REPORTQA_EMBED_PATH", "gpu")
    with pytest.raises(EmbedderError, match=r"REPORTQA_EMBED_PATH='gpu': .*auto, openvino, torch"):
        load_embedder()


def test_other_models_stay_on_torch(monkeypatch):
    monkeypatch.setenv("REPORTQA_EMBED_MODEL", "/nonexistent/model")
    monkeypatch.setenv("REPORTQA_EMBED_PATH", "openvino")
    assert emb_mod.configured_path() == "torch"


@pytest.fixture
def tiny_corpus(tmp_path):
    """One short report: the first 120 lines of the Hanyang report (prose and headings)."""
    d = tmp_path / "corpus"
    d.mkdir()
    text = REPORTS["hanyang"].read_text(encoding="utf-8").splitlines()[:120]
    (d / REPORTS["hanyang"].name).write_text("\n".join(text) + "\n", encoding="utf-8")
    return d


def _manifest(idx):
    return store.read_manifest(store.current_version(idx))


def test_built_index_records_its_path_and_queries_use_it(tiny_corpus, tmp_path, monkeypatch):
    from retriever.engine import Engine

    monkeypatch.setenv("REPORTQA_EMBED_PATH", "auto")
    idx = tmp_path / "index"
    s = build_index(tiny_corpus, idx)
    assert s["chunks_embedded"] == s["chunks_total"] > 0
    m = _manifest(idx)
    assert m["embed_path"] == "openvino" and m["model"] == emb_mod.configured_model_id()
    monkeypatch.setenv("REPORTQA_EMBED_PATH", "torch")   # a build-time choice: queries follow the index
    assert Engine.load(idx).embedder.path == "openvino"


class _PathEmbedder(HashEmbedder):
    def __init__(self, path):
        super().__init__()
        self.path = path


def test_vectors_of_another_path_are_not_reused(tiny_corpus, tmp_path):
    idx = tmp_path / "index"
    e = _PathEmbedder("openvino")
    s1 = build_index(tiny_corpus, idx, embedder=e, model_id=e.model_id)
    s2 = build_index(tiny_corpus, idx, embedder=e, model_id=e.model_id)
    assert s2["chunks_embedded"] == 0                     # same model, same path: reused
    t = _PathEmbedder("torch")
    s3 = build_index(tiny_corpus, idx, embedder=t, model_id=t.model_id)
    assert s3["chunks_embedded"] == s1["chunks_total"] and t.calls > 0
    assert _manifest(idx)["embed_path"] == "torch"


def test_load_time_fallback_reembeds_everything(tiny_corpus, tmp_path, monkeypatch):
    """configured_path says openvino, but the model falls back to torch when it loads: the cached
    openvino vectors are dropped rather than mixed with torch ones."""
    idx = tmp_path / "index"
    e = _PathEmbedder("openvino")
    s1 = build_index(tiny_corpus, idx, embedder=e, model_id=e.model_id)
    p = tiny_corpus / REPORTS["hanyang"].name
    p.write_text(p.read_text(encoding="utf-8") + "\n补充说明：本段为新增内容。\n", encoding="utf-8")
    fallback = _PathEmbedder("torch")
    monkeypatch.setattr(emb_mod, "configured_path", lambda: "openvino")
    monkeypatch.setattr(emb_mod, "load_embedder", lambda *a, **k: fallback)
    s2 = build_index(tiny_corpus, idx, model_id=e.model_id)
    assert s2["chunks_embedded"] == s2["chunks_total"] > s1["chunks_total"] - 1
    assert fallback.calls > 0 and _manifest(idx)["embed_path"] == "torch"


def test_cli_bad_path_setting_exits_2_with_one_line(tiny_corpus, tmp_path):
    import os
    import subprocess

    env = {**os.environ, "REPORTQA_EMBED_PATH": "gpu-please"}
    r = subprocess.run([sys.executable, "-m", "api.cli", "index", "--corpus", str(tiny_corpus),
                        "--index-dir", str(tmp_path / "idx")], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 2, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "REPORTQA_EMBED_PATH='gpu-please'" in lines[0]
    assert not (tmp_path / "idx" / "CURRENT").exists()  # nothing published
