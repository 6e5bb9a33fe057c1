"""Every setting of ReportQA in one place: the environment variables and the request limits.

`Settings.from_env()` is the only code that reads `REPORTQA_*` variables. The service reads it
once at startup (`api.app.serve`) and keeps the result on the app; the command line reads it once
per command. Library code that needs a setting outside a service (the embedder, the model cache)
calls `current()`, which reads the environment at that moment, so a changed variable applies to
the next command without a restart of anything.

| variable | field | default |
| --- | --- | --- |
| `REPORTQA_INDEX_DIR` | `index_dir` | `index` |
| `REPORTQA_CORPUS_DIR` | `corpus_dir` | `corpus` |
| `REPORTQA_EMBED_MODEL` | `embed_model` | unset: the bundled offline default model |
| `REPORTQA_ADMIN_TOKEN` | `admin_token` | unset: admin requests are refused |
| `REPORTQA_MODEL_CACHE` | `model_cache` | `~/.cache/reportqa/models` |
| `REPORTQA_EMBED_PATH` | `embed_path` | `auto`: OpenVINO for the default model where it loads, else torch; `openvino`; `torch` |
| `REPORTQA_BACKEND` | `backend` | `faiss` (version directories in `index_dir`); `milvus` (docs/backends.md) |
| `REPORTQA_MILVUS_URI` | `milvus_uri` | unset: milvus-lite file `<index_dir>/milvus.db`; or `http://host:19530` |

The limits (`Limits`, `LIMITS`) are constants of the HTTP contract, not environment settings:
request models state them in their schema, so they must be known when the modules load.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

ENV_INDEX_DIR = "REPORTQA_INDEX_DIR"
ENV_CORPUS_DIR = "REPORTQA_CORPUS_DIR"
ENV_EMBED_MODEL = "REPORTQA_EMBED_MODEL"
ENV_ADMIN_TOKEN = "REPORTQA_ADMIN_TOKEN"
ENV_MODEL_CACHE = "REPORTQA_MODEL_CACHE"
ENV_EMBED_PATH = "REPORTQA_EMBED_PATH"
ENV_BACKEND = "REPORTQA_BACKEND"
ENV_MILVUS_URI = "REPORTQA_MILVUS_URI"


@dataclass(frozen=True)
class Limits:
    """Request limits of the HTTP service (and the question limit of the command line)."""

    max_json_bytes: int = 64 * 1024  # request body of every JSON endpoint
    max_upload_bytes: int = 20 * 1024 * 1024  # one uploaded report file
    max_upload_overhead: int = 64 * 1024  # multipart headers and other form fields around the file
    max_question_chars: int = 500  # after trimming; also each entry of `history`
    max_history: int = 10  # earlier questions sent with one /ask
    max_claim_chars: int = 1000
    max_top_k: int = 20
    max_search_k: int = 50
    max_filename_chars: int = 120
    max_unit_chars: int = 100
    max_region_chars: int = 50
    max_aliases: int = 20
    max_alias_chars: int = 50
    upload_suffixes: tuple[str, ...] = (".txt", ".md", ".markdown", ".pdf")
    build_lock_wait: float = 600.0  # seconds a job waits for a build started elsewhere (`reportqa index`)


LIMITS = Limits()


@dataclass(frozen=True)
class Settings:
    index_dir: Path = Path("index")
    corpus_dir: Path = Path("corpus")
    embed_model: Optional[str] = None  # None: the bundled default model
    admin_token: Optional[str] = None  # None: admin requests are refused
    model_cache: Path = field(default_factory=lambda: Path.home() / ".cache" / "reportqa" / "models")
    limits: Limits = LIMITS
    embed_path: str = "auto"  # auto | openvino | torch (indexer.embedder.load_embedder)
    backend: str = "faiss"  # index storage: faiss | milvus (indexer.backends)
    milvus_uri: Optional[str] = None  # milvus-lite file path or server URL; None: <index_dir>/milvus.db

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "Settings":
        env = os.environ if environ is None else environ

        def text(name: str) -> Optional[str]:
            value = (env.get(name) or "").strip()
            return value or None

        cache = text(ENV_MODEL_CACHE)
        return cls(index_dir=Path(text(ENV_INDEX_DIR) or "index"),
                   corpus_dir=Path(text(ENV_CORPUS_DIR) or "corpus"),
                   embed_model=text(ENV_EMBED_MODEL),
                   admin_token=text(ENV_ADMIN_TOKEN),
                   embed_path=(text(ENV_EMBED_PATH) or "auto").lower(),
                   backend=(text(ENV_BACKEND) or "faiss").lower(),
                   milvus_uri=text(ENV_MILVUS_URI),
                   **({"model_cache": Path(cache).expanduser()} if cache else {}))


def current() -> Settings:
    """The settings as the environment states them now."""
    return Settings.from_env()
