"""File integrity and durable-write helpers shared by the index store, the model converter and uploads."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Callable


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a rename inside `path` durable (best effort where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def build_dir(root: Path, name: str, make: Callable[[Path], None]) -> Path:
    """Build the folder `root/name` whole: `make(tmp)` writes a temporary folder beside it (leftovers
    of a killed run are removed first), which then replaces the old folder by a rename. The caller
    holds the lock that makes it the only builder."""
    target = root / name
    for stale in root.glob(f".{name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = root / f".{name}.tmp-{os.getpid()}"
    try:
        make(tmp)
        if target.exists():  # incomplete or outdated: swap it out
            old = root / f".{name}.tmp-old-{os.getpid()}"
            os.rename(target, old)
            shutil.rmtree(old, ignore_errors=True)
        os.rename(tmp, target)
        fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
