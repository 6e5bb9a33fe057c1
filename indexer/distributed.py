"""The index build's parse and embed steps on Ray (`reportqa index --ray [ADDRESS]`).

    with RayBuild(address) as rb:
        build_index(corpus, index, parse_files=rb.parse_files, embed_texts=rb.embed_texts)

Parsing runs as Ray tasks, one per file; the driver ships each file's bytes, so workers need no
shared filesystem, only this package installed. Embedding runs through Ray Data: the texts, sorted
by length as the serial build sorts them, go through `map_batches` into a fixed pool of actors
holding one embedder each (one GPU per actor where the cluster has GPUs, else CPUs); each vector
comes back with its text's position and is put back in text order. Everything else (ids, chunking,
vector cache, publishing) stays in `indexer.build` on the driver, so a Ray build writes exactly
what a serial build writes.

Without an address a local Ray instance is started for the build and stopped after it; with one
(`auto`, `HOST:PORT`, `ray://HOST:10001`) the build joins that cluster and leaves it running.
This is the only module that imports Ray.
"""
from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import urlsplit

import numpy as np
import ray

from .build import Progress, _parse
from .models import ParsedReport
from .readers import MAX_BYTES

LOCAL = "local"
LOCAL_OBJECT_STORE_BYTES = 200 * 1024 * 1024  # the local instance's object store: texts, vectors, reports
CPUS_PER_EMBED_ACTOR = 2  # torch / OpenVINO threads per CPU embedder (indexer.embedder uses up to 2)
BATCH = 64  # texts per embedding call, as in the serial build
PARSE_TASKS_PER_CPU = 4  # parse tasks in flight per cluster CPU: bounds the file bytes held at once
_ENV_PREFIXES = ("REPORTQA_", "HF_", "TRANSFORMERS_")  # settings the workers must see as the driver does


class RayUnavailable(RuntimeError):
    """Ray cannot be started or the cluster cannot be reached; the message is one line."""


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


def _check_reachable(address: str, timeout: float = 3.0) -> None:
    """Fail fast on a HOST:PORT nobody listens on (ray.init would retry for a long time)."""
    if address == "auto":
        return
    parts = urlsplit(address if "://" in address else f"ray://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise RayUnavailable(f"Ray 地址无效 / bad Ray address {address!r}: expected HOST:PORT, "
                             f"ray://HOST:PORT or auto")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise RayUnavailable(f"无法连接 Ray 集群 / cannot reach Ray at {address}: {_one_line(exc)}") from None


class RayBuild:
    """Starts or joins Ray for one build; `parse_files` and `embed_texts` are build_index's steps.

    `embedder_factory` (picklable, no arguments) makes each actor's embedder; by default
    `indexer.embedder.load_embedder`, and the actor then checks that its model id and embedding path
    are the ones the driver hashes chunk texts with and records in the manifest. `actors` fixes the
    pool size (default: one per GPU, else one per CPUS_PER_EMBED_ACTOR cluster CPUs)."""

    def __init__(self, address: Optional[str] = None, *, embedder_factory: Optional[Callable] = None,
                 actors: Optional[int] = None, batch_size: int = BATCH):
        self.address = address or LOCAL
        self.factory = embedder_factory
        self.expected: Optional[tuple[str, str]] = None  # (model id, embedding path) every actor must have
        if embedder_factory is None:
            from .embedder import configured_model_id, configured_path, load_embedder

            self.factory, self.expected = load_embedder, (configured_model_id(), configured_path())
        self.actors = actors
        self.batch_size = batch_size
        self._owned = False

    def __enter__(self) -> "RayBuild":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        ray.data.DataContext.get_current().enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        if ray.is_initialized():  # the caller's Ray session (e.g. a test or a notebook): use it as it is
            return
        env = {k: v for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES)}
        common = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
                      runtime_env={"env_vars": env})
        try:
            if self.address == LOCAL:
                ray.init(address=LOCAL, num_cpus=os.cpu_count() or 1,
                         object_store_memory=LOCAL_OBJECT_STORE_BYTES, **common)
            else:
                _check_reachable(self.address)
                ray.init(address=self.address, **common)
        except RayUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - any start or connect failure is one line
            hint = "" if self.address == LOCAL else (
                " (a cluster with token authentication needs RAY_AUTH_MODE=token and its token here too: "
                "RAY_AUTH_TOKEN or ~/.ray/auth_token)")
            raise RayUnavailable(f"无法启动或连接 Ray / cannot start or join Ray at {self.address}: "
                                 f"{_one_line(exc)}{hint}") from None
        self._owned = True  # stop() shuts a local instance down, or disconnects from a cluster

    def stop(self) -> None:
        if self._owned:
            ray.shutdown()
            self._owned = False

    # ------------------------------------------------------------------ parse
    def parse_files(self, paths: list[Path], progress: Progress) -> list[Optional[tuple[ParsedReport, list[int]]]]:
        """One Ray task per file, at most PARSE_TASKS_PER_CPU per cluster CPU in flight (a file's bytes
        are read when its task is submitted); results in path order, None for a file removed
        meanwhile. A file that fails raises the serial path's exception (the first in path order)."""
        results: list = [None] * len(paths)
        window = max(1, PARSE_TASKS_PER_CPU * int(ray.cluster_resources().get("CPU", 1)))
        waiting = iter(range(len(paths)))
        pending: dict = {}
        done = 0
        progress("parse", 0, len(paths))
        while True:
            while len(pending) < window and (i := next(waiting, None)) is not None:
                task = _submit_parse(paths[i])
                if task is None:
                    done += 1  # removed meanwhile: stays None
                else:
                    pending[task] = i
            if not pending:
                break
            ready, rest = ray.wait(list(pending), num_returns=1)
            if rest:  # and whatever else has finished by now
                ready += ray.wait(rest, num_returns=len(rest), timeout=0)[0]
            for task in ready:
                results[pending.pop(task)] = ray.get(task)
            done += len(ready)
            progress("parse", done, len(paths))
        progress("parse", len(paths), len(paths))
        for r in results:
            if isinstance(r, _Failure):
                raise r.rebuild()
        return results

    # ------------------------------------------------------------------ embed
    def _pool(self) -> tuple[int, dict, bool]:
        """(actors, resources per actor, GPU?) from what the cluster has."""
        resources = ray.cluster_resources()
        gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 1))
        if gpus:
            return self.actors or gpus, {"num_gpus": 1}, True
        if self.actors:
            return self.actors, {"num_cpus": max(1, min(CPUS_PER_EMBED_ACTOR, cpus // self.actors))}, False
        per_actor = min(CPUS_PER_EMBED_ACTOR, max(1, cpus))
        return max(1, cpus // per_actor), {"num_cpus": per_actor}, False

    def embed_texts(self, texts: list[str], progress: Progress) -> np.ndarray:
        """Vectors of `texts` in their order, computed by the actor pool.

        The texts are cut into exactly the serial build's slices (sorted by length once, then
        `batch_size` at a time), one slice per Ray Data row, so every slice is encoded as one
        `encode_passages` call as in `indexer.build._embed`: the same padding, hence the same vectors
        on paths whose numerics depend on the batch (OpenVINO in bf16)."""
        if not texts:
            return np.zeros((0, 0), np.float32)
        actors, resources, gpu = self._pool()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        slices = [order[start:start + self.batch_size] for start in range(0, len(order), self.batch_size)]
        ds = ray.data.from_items([{"k": k, "texts": [texts[i] for i in ids]} for k, ids in enumerate(slices)],
                                 override_num_blocks=min(len(slices), actors * 4))
        embedded = ds.map_batches(
            _EmbedActor, fn_constructor_args=(self.factory, self.expected, gpu),
            batch_size=1, batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=actors), **resources)
        vectors: Optional[np.ndarray] = None
        done = 0
        progress("embed", 0, len(texts))
        for row in embedded.iter_rows():
            ids = slices[int(row["k"])]
            got = np.frombuffer(row["vectors"], np.float32).reshape(len(ids), -1)
            if vectors is None:
                vectors = np.zeros((len(texts), got.shape[1]), np.float32)
            vectors[ids] = got
            done += len(ids)
            progress("embed", done, len(texts))
        if vectors is None or done != len(texts):
            raise RuntimeError(f"Ray embedding returned {done} of {len(texts)} vectors")
        return vectors


class _Failure:
    """A worker's exception, carried as its class and args: classes whose constructor takes other
    arguments than their `args` (readers.ReaderError) do not survive pickling as themselves."""

    def __init__(self, exc: BaseException):
        self.cls, self.args, self.text = type(exc), exc.args, _one_line(exc)

    def rebuild(self) -> BaseException:
        try:
            exc = self.cls.__new__(self.cls)
            exc.args = self.args
            return exc
        except Exception:  # noqa: BLE001 - not an ordinary exception class
            return RuntimeError(self.text)


def _submit_parse(path: Path):
    """The task parsing `path`, or None when the file was removed meanwhile. A file too large to ship
    is parsed here, serially, which raises the reader's "file too large" exactly as a serial build."""
    try:
        if os.path.getsize(path) > MAX_BYTES:
            _parse(path)
        return _parse_task.remote(Path(path).read_bytes(), str(path))
    except FileNotFoundError:
        return None


@ray.remote(num_cpus=1)
def _parse_task(data: bytes, name: str):
    """`indexer.build._parse` on shipped bytes: the reader sees the same name, so errors read the same."""
    from .parser import parse_document
    from .readers import read_bytes

    try:
        doc = read_bytes(data, name)
        return parse_document(doc), doc.pages
    except Exception as exc:  # noqa: BLE001 - returned, raised on the driver in path order
        return _Failure(exc)


class _EmbedActor:
    """One embedder per actor, loaded once; each row {k, texts} (one slice) → {k, vectors} (float32 bytes)."""

    def __init__(self, factory: Callable, expected: Optional[tuple[str, str]], gpu: bool):
        self.embedder = factory()
        got = (getattr(self.embedder, "model_id", None), getattr(self.embedder, "path", "torch"))
        if expected is not None and got != expected:
            raise RuntimeError(f"worker embeds with {got} (model, path) but the build expects {expected}: "
                               f"install the same model, packages and settings on every node")
        model = getattr(self.embedder, "_model", None)  # the torch model of indexer.embedder.Embedder
        if gpu and hasattr(model, "to"):
            model.to("cuda")

    def __call__(self, batch: dict) -> dict:
        out = [np.ascontiguousarray(self.embedder.encode_passages([str(t) for t in texts]), np.float32).tobytes()
               for texts in batch["texts"]]
        return {"k": batch["k"], "vectors": np.array(out, dtype=object)}
