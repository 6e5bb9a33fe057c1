"""Report ids and metadata corrections, kept beside the corpus in `<corpus>/.reportqa/`.

    registry.json   {"files": {relative path: report_id}, "retired": [report_id…],
                     "overrides": {report_id: {"unit_name"?, "region"?, "year"?, "aliases"?}}}

An id belongs to a file (its path relative to the corpus): it stays while the file stays, also
when the file's content changes; a new file, even a changed copy of another, gets a new id; an id
that was ever given out is never given to another file. Overrides are keyed by id, so they
survive rebuilds and content changes. Every change is written atomically under a file lock (the
build and the HTTP routes may run at the same time).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from .fsutil import fsync_dir
from .metadata import aliases_of, make_title, region_of
from .models import ReportMeta

REGISTRY_DIR = ".reportqa"
_FILE = "registry.json"
OVERRIDE_FIELDS = ("unit_name", "region", "year", "aliases")


def registry_dir(corpus_dir: Path) -> Path:
    return Path(corpus_dir) / REGISTRY_DIR


def relative_path(corpus_dir: Path, path: Path) -> str:
    """A report's path relative to the corpus directory, with forward slashes."""
    return Path(path).resolve().relative_to(Path(corpus_dir).resolve()).as_posix()


def _empty() -> dict:
    return {"files": {}, "retired": [], "overrides": {}}


def _read(corpus_dir: Path) -> dict:
    path = registry_dir(corpus_dir) / _FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _empty()
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"报告登记表损坏 / report registry unreadable: {path}: {exc}") from exc
    base = _empty()
    base.update({k: data[k] for k in base if isinstance(data.get(k), type(base[k]))})
    return base


def _write(corpus_dir: Path, data: dict) -> None:
    folder = registry_dir(corpus_dir)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{_FILE}.{uuid.uuid4().hex[:6]}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, folder / _FILE)
    fsync_dir(folder)


@contextmanager
def _locked(corpus_dir: Path, write: bool = True) -> Iterator[dict]:
    """The registry, read under an exclusive lock and written back when the block ends.
    A corpus that cannot be written to (read-only mount) still yields a registry, kept in memory."""
    folder = registry_dir(corpus_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fh = open(folder / "lock", "a+")
    except OSError:
        yield _read(corpus_dir)
        return
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        data = _read(corpus_dir)
        before = json.dumps(data, sort_keys=True)
        yield data
        if write and json.dumps(data, sort_keys=True) != before:
            _write(corpus_dir, data)
    finally:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()


def _used(data: dict) -> set[str]:
    return set(data["files"].values()) | set(data["retired"])


def _new_id(data: dict, rel: str, candidate: str) -> str:
    used = _used(data)
    if candidate not in used:
        return candidate
    salt = 0
    while True:
        digest = hashlib.sha1(f"{rel}|{salt}".encode("utf-8")).hexdigest()[:6]
        rid = f"{candidate}-{digest}"
        if rid not in used:
            return rid
        salt += 1


# ---------------------------------------------------------------- used by the HTTP routes
def known_ids(corpus_dir: Path) -> dict[str, str]:
    """Every registered report: report_id -> path relative to the corpus."""
    data = _read(corpus_dir)
    return {rid: rel for rel, rid in data["files"].items()}


def _clean_fields(fields: dict) -> dict:
    unknown = set(fields) - set(OVERRIDE_FIELDS)
    if unknown:
        raise ValueError(f"未知字段 / unknown fields: {sorted(unknown)}")
    out: dict = {}
    for key, value in fields.items():
        if value is None:
            out[key] = None  # removes the correction of this field
        elif key == "year":
            if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100:
                raise ValueError("year 必须是 1900–2100 的整数 / year must be an integer 1900-2100")
            out[key] = value
        elif key == "aliases":
            if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
                raise ValueError("aliases 必须是字符串列表 / aliases must be a list of strings")
            out[key] = list(dict.fromkeys(a.strip() for a in value if a.strip()))
        else:
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{key} 必须是非空字符串 / {key} must be a non-empty string")
            out[key] = value.strip()
    return out


def set_override(corpus_dir: Path, report_id: str, fields: dict) -> dict:
    """Store a metadata correction for `report_id` and return the merged override.
    A field given as None drops its correction. KeyError for an unknown id, ValueError for a bad field."""
    cleaned = _clean_fields(fields)
    with _locked(corpus_dir) as data:
        if report_id not in data["files"].values():
            raise KeyError(report_id)
        merged = dict(data["overrides"].get(report_id, {}))
        for key, value in cleaned.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        if merged:
            data["overrides"][report_id] = merged
        else:
            data["overrides"].pop(report_id, None)
        return dict(merged)


def remove_report(corpus_dir: Path, report_id: str) -> str:
    """Delete the report's file from the corpus and retire its id; returns the relative path."""
    with _locked(corpus_dir) as data:
        rel = next((r for r, rid in data["files"].items() if rid == report_id), None)
        if rel is None:
            raise KeyError(report_id)
        (Path(corpus_dir) / rel).unlink(missing_ok=True)
        del data["files"][rel]
        data["overrides"].pop(report_id, None)
        if report_id not in data["retired"]:
            data["retired"].append(report_id)
        return rel


# ---------------------------------------------------------------- used by the build
def assign_ids(corpus_dir: Path, present: list[str], candidate) -> tuple[dict[str, str], dict[str, dict]]:
    """Ids of the files present (relative paths), and the overrides by id.

    Files already registered keep their id; `candidate(rel)` proposes an id for a new file (it
    is made unique against every id ever given out). Files no longer present are retired."""
    with _locked(corpus_dir) as data:
        files = data["files"]
        for rel in list(files):
            if rel not in present:
                rid = files.pop(rel)
                data["overrides"].pop(rid, None)
                if rid not in data["retired"]:
                    data["retired"].append(rid)
        for rel in present:
            if rel not in files:
                files[rel] = _new_id(data, rel, candidate(rel))
        return {rel: files[rel] for rel in present}, {k: dict(v) for k, v in data["overrides"].items()}


def apply_override(meta: ReportMeta, override: Optional[dict]) -> ReportMeta:
    """The report's metadata with a stored correction applied (source "override")."""
    if not override:
        return meta
    meta = meta.model_copy(deep=True)
    sources = dict(meta.metadata_source)
    for key in OVERRIDE_FIELDS:
        if key in override:
            setattr(meta, key, override[key])
            sources[key] = "override"
    if "unit_name" in override and "region" not in override:
        meta.region = region_of(meta.unit_name) or meta.region
        sources["region"] = "override"
    if "aliases" not in override:
        meta.aliases = aliases_of(meta.unit_name, meta.region)
    meta.title = make_title(meta.unit_name, meta.year)
    meta.metadata_source = sources
    return meta
