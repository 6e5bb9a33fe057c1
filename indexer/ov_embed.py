"""The default embedding model on OpenVINO: converted once, offline, and run without torch.

``ensure_ov_model()`` turns the sentence-transformers directory that ``indexer.e5_convert`` builds
into an OpenVINO IR (``openvino.convert_model`` on the traced ``BertModel``, inputs ``input_ids`` and
``attention_mask`` with dynamic batch and length, output the last hidden state; saved by
``openvino.save_model`` with its default fp16 weight compression). The IR, the tokenizer and the
sentence-transformers configs it needs land in ``$REPORTQA_MODEL_CACHE/<model>-openvino`` beside the
torch model, built in a temp dir and renamed complete under a file lock; reused while its marker
matches the torch model's marker, ``OV_CONVERTER_VERSION`` and the installed openvino version.
``make install`` runs ``python -m indexer.ov_embed --prepare``; first use converts as a fallback.

``OVEmbedder`` has the interface of ``indexer.embedder.Embedder``: the model's own ``tokenizers``
tokenizer (prompts, truncation and literal special tokens as sentence-transformers applies them),
inference by ``openvino.Core().compile_model(..., "CPU")`` at the default precision (bf16 where the
CPU has it), mean pooling over the attention mask as ``1_Pooling/config.json`` states, L2 norm.
"""
from __future__ import annotations

import fcntl
import importlib.metadata
import json
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from . import e5_convert
from .fsutil import build_dir

OV_DIR = e5_convert.MODEL_NAME + "-openvino"
OV_CONVERTER_VERSION = 1
MARKER = ".reportqa-openvino.json"
XML = "openvino_model.xml"
# Files of the torch directory the embedder reads (tokenizer, prompts, length, pooling).
COPIED = ("tokenizer.json", "tokenizer_config.json", "sentence_bert_config.json",
          "config_sentence_transformers.json", "modules.json", "1_Pooling/config.json")


class OVConvertError(RuntimeError):
    """The OpenVINO model cannot be produced or loaded."""


def _marker(torch_dir: Path) -> dict:
    return {"torch_model": json.loads((torch_dir / e5_convert.MARKER).read_text(encoding="utf-8")),
            "ov_converter_version": OV_CONVERTER_VERSION,
            "openvino": importlib.metadata.version("openvino")}


def _is_complete(target: Path, torch_dir: Path) -> bool:
    try:
        marker = json.loads((target / MARKER).read_text(encoding="utf-8"))
        return marker == _marker(torch_dir) and (target / XML).is_file()
    except (OSError, ValueError, importlib.metadata.PackageNotFoundError):
        return False


def convert(torch_dir: Path, out_dir: Path) -> None:
    """Write the IR of the sentence-transformers model in ``torch_dir`` into ``out_dir`` (must be new)."""
    import openvino as ov
    import torch
    from transformers import BertModel

    class _Hidden(torch.nn.Module):              # plain tensors in, last hidden state out
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    out_dir.mkdir(parents=True)
    bert = BertModel.from_pretrained(str(torch_dir), local_files_only=True).eval()
    example = {"input_ids": torch.ones((2, 8), dtype=torch.long),
               "attention_mask": torch.ones((2, 8), dtype=torch.long)}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")            # tracer warnings about branches fixed at trace time
        model = ov.convert_model(_Hidden(bert), example_input=example)
    for port, name in zip(model.inputs, example):
        if port.get_partial_shape().is_static:
            raise OVConvertError(f"converted input {name} has a static shape")
    ov.save_model(model, str(out_dir / XML))
    del model, bert
    for rel in COPIED:
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(torch_dir / rel, out_dir / rel)
    for p in out_dir.rglob("*"):                   # durable before the atomic rename
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    (out_dir / MARKER).write_text(json.dumps(_marker(torch_dir), indent=2) + "\n", encoding="utf-8")


def ensure_ov_model(cache_dir: Path | None = None) -> Path:
    """Return the OpenVINO model directory of the default model, converting it first if needed."""
    root = Path(cache_dir) if cache_dir else e5_convert.cache_root()
    torch_dir = e5_convert.ensure_default_model(root)
    target = root / OV_DIR
    if _is_complete(target, torch_dir):
        return target
    with open(root / f".{OV_DIR}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)           # released when the file closes
        if _is_complete(target, torch_dir):        # another process finished meanwhile
            return target
        return build_dir(root, OV_DIR, lambda tmp: convert(torch_dir, tmp))
    return target


def _read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


class OVEmbedder:
    """Same interface as ``indexer.embedder.Embedder``; vectors float32 and L2-normalized."""

    path = "openvino"

    def __init__(self, model_dir: Path, model_id: str, config: dict | None = None):
        import openvino as ov
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        pooling = _read_json(model_dir / "1_Pooling" / "config.json")
        modes = {k for k, v in pooling.items() if k.startswith("pooling_mode_") and v}
        if modes != {"pooling_mode_mean_tokens"} or not pooling.get("include_prompt", True):
            raise OVConvertError(f"unsupported pooling {sorted(modes)} in {model_dir}: only mean pooling "
                                 "over all tokens is implemented")
        prompts = _read_json(model_dir / "config_sentence_transformers.json").get("prompts") or {}
        self._passage_prompt = prompts.get("passage", "")
        self._query_prompt = prompts.get("query", "")
        tok_cfg = _read_json(model_dir / "tokenizer_config.json")
        max_len = min(int(_read_json(model_dir / "sentence_bert_config.json")["max_seq_length"]),
                      int(tok_cfg.get("model_max_length", 1 << 30)))
        self._tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # transformers' split_special_tokens: "<s>" in the text is text, as with the torch path
        self._tok.encode_special_tokens = bool(tok_cfg.get("split_special_tokens", False))
        self._tok.enable_truncation(max_length=max_len)
        self._tok.no_padding()
        self._pad_id = self._tok.token_to_id(tok_cfg.get("pad_token", "<pad>"))
        self._compiled = ov.Core().compile_model(str(model_dir / XML), "CPU", config or {})
        self.precision = self._compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()  # bf16 / f32
        self.model_id = model_id
        self.dim = int(pooling["word_embedding_dimension"])

    def _encode(self, texts: list[str], prompt: str, batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        ids = [e.ids for e in self._tok.encode_batch([prompt + t for t in texts])]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))   # each batch pads to its own length
        out = np.empty((len(ids), self.dim), np.float32)
        request = self._compiled.create_infer_request()
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            width = max(len(ids[i]) for i in rows)
            input_ids = np.full((len(rows), width), self._pad_id, np.int64)
            mask = np.zeros((len(rows), width), np.int64)
            for r, i in enumerate(rows):
                input_ids[r, :len(ids[i])] = ids[i]
                mask[r, :len(ids[i])] = 1
            hidden = request.infer({"input_ids": input_ids, "attention_mask": mask})[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
            out[rows] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out

    def encode_passages(self, texts: list[str], batch_size: int = 32,
                        show_progress: bool = False) -> np.ndarray:
        return self._encode(list(texts), self._passage_prompt, batch_size)

    def encode_query(self, text: str) -> np.ndarray:
        return self._encode([text], self._query_prompt, 1)[0]


def main(argv: list[str]) -> int:
    if argv != ["--prepare"]:
        print("usage: python -m indexer.ov_embed --prepare", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        target = ensure_ov_model()
    except Exception as e:  # noqa: BLE001 - one clear line, exit 2
        print(f"无法生成 OpenVINO 嵌入模型 / cannot prepare the OpenVINO model: {type(e).__name__}: {e}",
              file=sys.stderr)
        return 2
    print(f"{target} {time.perf_counter() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
