"""Index storage backends behind one interface (`base.IndexBackend`).

Nothing here imports a backend's client library at package import: `faiss_dir` is the embedded
default; `milvus` imports pymilvus only when it is chosen.
"""
from .base import BuildData, IndexBackend, IndexReader, ReportData, get_backend  # noqa: F401
