"""Index build: incremental add/change/remove, atomic swap under SIGKILL, checksums, locking."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

from conftest import REPORTS, ROOT, HashEmbedder
from indexer import store
from indexer.build import BuildBusy, build_index, build_lock


def build(corpus, index_dir, emb=None, **kw):
    emb = emb or HashEmbedder()
    return build_index(corpus, index_dir, embedder=emb, model_id=emb.model_id, **kw), emb


def chunk_ids(index_dir):
    from retriever.index import LoadedIndex

    return LoadedIndex(index_dir)


def test_full_then_noop(corpus_copy, tmp_path):
    idx = tmp_path / "index"
    s1, e1 = build(corpus_copy, idx)
    assert len(s1["added"]) == 5 and s1["chunks_embedded"] == s1["chunks_total"] > 1000
    assert s1["facts_total"] > 500
    s2, e2 = build(corpus_copy, idx)
    assert s2["added"] == s2["changed"] == s2["removed"] == [] and len(s2["unchanged"]) == 5
    assert s2["chunks_embedded"] == 0 and e2.calls == 0
    assert s2["chunks_total"] == s1["chunks_total"]


def test_add_one_report_embeds_only_its_chunks(corpus_copy, tmp_path):
    idx = tmp_path / "index"
    extra = corpus_copy / REPORTS["qiaokou"].name
    moved = tmp_path / "held_back.txt"
    shutil.move(extra, moved)
    s1, _ = build(corpus_copy, idx)
    shutil.move(moved, corpus_copy / "new_upload.txt")
    s2, emb = build(corpus_copy, idx)
    assert len(s2["added"]) == 1 and not s2["changed"] and len(s2["unchanged"]) == 4
    loaded = chunk_ids(idx)
    rid = s2["added"][0]
    assert s2["chunks_embedded"] == len(loaded.by_report[rid])
    assert 0 < emb.calls <= s2["chunks_embedded"]  # identical texts are embedded once


def test_change_reembeds_only_changed_text(corpus_copy, tmp_path):
    idx = tmp_path / "index"
    build(corpus_copy, idx)
    p = corpus_copy / REPORTS["hanyang"].name
    lines = p.read_text(encoding="utf-8").split("\n")
    i = next(k for k, l in enumerate(lines) if "授予中小企业合同金额" in l)
    lines[i] = lines[i].replace("545.35", "545.36")
    p.write_text("\n".join(lines), encoding="utf-8")
    s, emb = build(corpus_copy, idx)
    assert len(s["changed"]) == 1 and len(s["unchanged"]) == 4
    assert 1 <= s["chunks_embedded"] <= 3, s


def test_remove_leaves_no_trace(corpus_copy, tmp_path):
    idx = tmp_path / "index"
    s1, _ = build(corpus_copy, idx)
    (corpus_copy / REPORTS["wuchang"].name).unlink()
    s2, _ = build(corpus_copy, idx)
    assert len(s2["removed"]) == 1
    gone = s2["removed"][0]
    loaded = chunk_ids(idx)
    assert gone not in loaded.reports and gone not in loaded.by_report
    assert not [f for f in loaded.facts if f.report_id == gone]
    hits = loaded.hybrid("武昌区大数据中心 2019 政府采购", None, k=50)
    assert all(c.report_id != gone for c, _ in hits)


def test_corrupted_file_is_detected(corpus_copy, tmp_path):
    idx = tmp_path / "index"
    build(corpus_copy, idx)
    v = store.current_version(idx)
    with open(v / "vectors.npy", "r+b") as f:
        f.seek(200)
        f.write(b"\x00garbage\x00")
    from retriever.index import LoadedIndex

    with pytest.raises(store.IndexCorrupt, match="checksum|校验"):
        LoadedIndex(idx)


def test_second_builder_is_refused(tmp_path, corpus_copy):
    idx = tmp_path / "index"
    with build_lock(idx):
        with pytest.raises(BuildBusy):
            build(corpus_copy, idx)


KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r})
    from conftest import HashEmbedder
    from indexer.build import build_index
    stage_to_stop = sys.argv[3]
    def progress(stage, done, total):
        if stage == stage_to_stop:
            print("READY", flush=True)
            time.sleep(60)
    e = HashEmbedder()
    build_index(sys.argv[1], sys.argv[2], embedder=e, model_id=e.model_id, progress=progress, full=True)
""")


@pytest.mark.parametrize("stage", ["parse", "embed", "write"])
def test_killed_build_leaves_previous_index_usable(corpus_copy, tmp_path, stage):
    idx = tmp_path / "index"
    build(corpus_copy, idx)
    before = store.current_version(idx)
    (corpus_copy / "extra.txt").write_bytes(REPORTS["hanyang"].read_bytes().replace(b"2021", b"2023"))
    script = tmp_path / "kill_me.py"
    script.write_text(KILL_SCRIPT.format(root=str(ROOT), tests=str(ROOT / "tests")))
    proc = subprocess.Popen([sys.executable, str(script), str(corpus_copy), str(idx), stage],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "READY"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert store.current_version(idx) == before
    from retriever.index import LoadedIndex

    loaded = LoadedIndex(idx)
    assert len(loaded.reports) == 5
    s, _ = build(corpus_copy, idx)  # the next build completes and cleans up
    assert len(s["added"]) == 1
    assert not list(idx.glob("tmp-*"))


def test_embedding_sorted_by_length_returns_vectors_in_text_order():
    """Texts are embedded shortest first (less padding); each vector still lands on its own text."""
    import numpy as np

    from indexer.build import _embed

    class Recorder:
        def __init__(self):
            self.batches = []

        def encode_passages(self, texts):
            self.batches.append(list(texts))
            return np.array([[float(len(t)), float(ord(t[0]))] for t in texts], np.float32)

    texts = ["ccc", "a", "bbbbb", "dd", "e" * 7]
    rec = Recorder()
    vecs = _embed(rec, texts, lambda *a: None, batch=2)
    assert [list(v) for v in vecs] == [[float(len(t)), float(ord(t[0]))] for t in texts]
    assert rec.batches == [["a", "dd"], ["ccc", "bbbbb"], ["eeeeeee"]]


def test_every_fact_is_cited_by_its_own_chunk(corpus_copy, tmp_path, hash_embedder):
    """The chunker ties each table fact to the row chunk that shows it, and each prose fact to its
    paragraph's chunk: the chunk holds the figure (or, for a nil stated in words, those words)."""
    from indexer.build import build_index
    from retriever.index import LoadedIndex

    build_index(corpus_copy, tmp_path / "idx", embedder=hash_embedder, model_id=hash_embedder.model_id)
    idx = LoadedIndex(tmp_path / "idx")
    assert {f.kind for f in idx.facts} == {"table", "prose"}
    for f in idx.facts:
        chunk = idx.by_id[f.chunk_id]
        assert chunk.kind == {"table": "table_row", "prose": "paragraph"}[f.kind] and chunk.report_id == f.report_id
        nil = f.kind == "prose" and f.raw == "0" and not re.search(r"(?<![\d.])0(?:\.0+)?(?![\d.])", f.sentence)
        written = f.local if nil else f.raw
        assert written and written.replace(" ", "") in chunk.text.replace(" ", ""), (f, chunk.text)
