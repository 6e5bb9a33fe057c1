"""The pipelines people would otherwise build, answered and scored exactly like ReportQA.

Three baselines, all with the project's embedding model where they embed:

* ``naive_rag`` — what a typical LangChain / Langchain-Chatchat setup does: the raw report text cut
  into fixed-size character chunks with overlap (Chatchat's defaults: 250 characters, 50 overlap),
  embedded, exact dense top-k from FAISS (inner product on normalised vectors);
* ``bm25_passages`` — the same chunks ranked by BM25 over jieba tokens (the project's tokenizer:
  jieba search mode + the base domain dictionary) instead of dense vectors;
* ``hybrid_passages`` — ReportQA's own chunks (one per table row / paragraph, with report and
  table titles) and its hybrid BM25 + dense search (`LoadedIndex.hybrid`), but no facts, no
  question understanding and no answer composition.

None of them has an LLM; "the answer" is read from the best passage the way a reader skimming it
would: the figure in the top passage nearest to the question's key term (`extract_answer`):

1. the words naming the place, the unit, the year and the table are cut out of the question; the
   key-term candidates are the remaining jieba tokens minus question words and short numbers,
   longest first (later in the question first on ties);
2. the key term is the first candidate that occurs in the top passage; if none does, the baseline
   answers "not found" (this is what lets it abstain at all);
3. figures are numbers with a decimal point, a thousands separator, or a unit right after them
   (万元, %, 人, 辆, …); bare integers (row codes, 行次/栏次 numbers, years) are not figures;
4. the answer is the figure whose text is closest to an occurrence of the key term (characters in
   between; on a tie the figure after the term wins).

Each baseline returns an `AskResponse` (values[0] = that figure, citations = its top-k passages) so
that `retriever.evaluate.score_item` scores it with the same rules as `reportqa eval`.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

import numpy as np

from indexer.models import AnswerValue, AskResponse, Citation

CHUNK_SIZE = 250  # Langchain-Chatchat kb_config defaults (CHUNK_SIZE / OVERLAP_SIZE)
CHUNK_OVERLAP = 50
TOP_K = 5  # passages returned (cited); the answer comes from the first

BASELINES = ("naive_rag", "bm25_passages", "hybrid_passages")


# ------------------------------------------------------------------ passages
@dataclass
class Passage:
    chunk_id: str
    text: str
    source_file: str
    report_id: str
    line_start: int
    line_end: int
    unit_name: Optional[str] = None
    year: Optional[int] = None
    section: str = ""
    kind: str = "passage"

    def label(self) -> str:
        if self.unit_name:
            return f"{self.unit_name}{self.year or ''}"
        return Path(self.source_file).stem


def fixed_chunks(text: str, size: int = CHUNK_SIZE, overlap: int = CHUNK_OVERLAP) -> list[tuple[int, int]]:
    """(start, end) character spans of size `size`, each starting `size - overlap` after the previous."""
    if size <= overlap:
        raise ValueError("chunk size must exceed the overlap")
    spans, start, step = [], 0, size - overlap
    while start < len(text):
        spans.append((start, min(len(text), start + size)))
        if start + size >= len(text):
            break
        start += step
    return spans


def raw_passages(corpus_dir: Path, size: int = CHUNK_SIZE, overlap: int = CHUNK_OVERLAP) -> list[Passage]:
    """Fixed-size character chunks over the raw text of every report in `corpus_dir`."""
    from indexer.build import corpus_files
    from indexer.readers import read_document

    out: list[Passage] = []
    for path in corpus_files(Path(corpus_dir)):
        text = "\n".join(read_document(path).lines)
        line_of = np.cumsum([0] + [1 if ch == "\n" else 0 for ch in text])  # newlines before offset i
        for k, (a, b) in enumerate(fixed_chunks(text, size, overlap)):
            out.append(Passage(chunk_id=f"{path.stem}#{k}", text=text[a:b], source_file=str(path),
                               report_id=path.stem, line_start=int(line_of[a]) + 1,
                               line_end=int(line_of[max(a, b - 1)]) + 1))
    return out


# ------------------------------------------------------------------ answer extraction
_YEAR = re.compile(r"(?:19|20)\d\d")
_YEAR_WORD = re.compile(r"(?:19|20)\d\d(?:年度?)?")
_PLACE = re.compile(r"[\u4e00-\u9fff]{1,3}(?:省|市|区|县|旗)")
_NOT_PLACE = {"社区", "园区", "城区", "地区", "辖区", "小区", "片区", "景区", "街区", "城市"}
_META = {"中心", "决算", "部门", "部门决算", "单位", "年度", "多少", "多少钱", "多少万元",
         "是否", "哪些", "哪个", "哪一", "哪一家", "什么", "几个", "一共", "共有", "请问", "其中", "情况", "金额",
         "数额", "数字", "万元", "元", "报告", "显示", "反映", "这个", "这份", "该", "里", "中", "是", "为", "有", "的"}
UNITS = ("万元", "亿元", "元", "%", "％", "人", "个", "辆", "套", "台", "条", "次", "件", "分", "路", "份", "项", "家", "天")
_FIGURE = re.compile(r"(?<![\d.,])(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+\.\d+|-?\d+)\s*(万(?!元)|)\s*("
                     + "|".join(re.escape(u) for u in UNITS) + r")?")


@dataclass
class Figure:
    start: int
    end: int
    raw: str
    value: float
    unit: str


def key_terms(question: str, tokenizer, names: Iterable[str] = ()) -> list[str]:
    """Key-term candidates of a question, most specific first.

    Whole words naming the unit (`names`: the indexed reports' unit names, short names and places),
    the place, the year or a table are cut out of the question first (so that their pieces — 数据,
    支出, 收入 … — do not become candidates), the rest is tokenized."""
    rest = question
    for name in sorted(set(names), key=len, reverse=True):
        rest = rest.replace(name, " ")
    for t in sorted(set(tokenizer.tokens(rest)), key=len, reverse=True):
        if ((t.endswith("表") and len(t) >= 3) or _YEAR_WORD.fullmatch(t)
                or (_PLACE.fullmatch(t) and t not in _NOT_PLACE)):
            rest = rest.replace(t, " ")
    seen: dict[str, int] = {}
    for t in tokenizer.tokens(rest):
        if t in _META or _YEAR_WORD.fullmatch(t) or (t.isdigit() and len(t) < 3) or len(t) < 2:
            continue
        seen.setdefault(t, rest.find(t))
    return sorted(seen, key=lambda t: (-len(t), -seen[t]))


def figures(text: str) -> list[Figure]:
    out = []
    for m in _FIGURE.finditer(text):
        num, wan, unit = m.group(1), m.group(2), m.group(3) or ""
        if "," not in num and "." not in num and not unit:
            continue  # bare integers: codes, 行次/栏次, years
        if unit == "" and not wan and _YEAR.fullmatch(num):
            continue
        after = text[m.end():m.end() + 1]
        if after == "年" or (unit == "" and text[m.end(1):m.end(1) + 1] == "年"):
            continue
        value = float(num.replace(",", ""))
        if wan and unit not in ("万元", "元"):
            value *= 10000
        out.append(Figure(m.start(1), m.end(1) + len(wan), m.group(0).strip(), value,
                          {"％": "%"}.get(unit, unit) or "万元"))
    return out


def extract_answer(question: str, text: str, tokenizer, names: Iterable[str] = ()) -> Optional[tuple[str, Figure]]:
    """(key term, figure) read from one passage, or None when the key term is absent."""
    figs = figures(text)
    for term in key_terms(question, tokenizer, names):
        spots = [m.start() for m in re.finditer(re.escape(term), text)]
        if not spots:
            continue
        if not figs:
            return None
        best, best_d = None, None
        for f in figs:
            for s in spots:
                e = s + len(term)
                d = (f.start - e) if f.start >= e else (s - f.end) + 0.5 if f.end <= s else 0
                if best_d is None or d < best_d:
                    best, best_d = f, d
        return term, best
    return None


def answer(question: str, hits: Sequence[tuple[Passage, float]], tokenizer, t0: float,
           names: Iterable[str] = ()) -> AskResponse:
    """An `AskResponse` from ranked passages: the key-term figure of the top passage, or not found."""
    cites = [Citation(id=f"c{k + 1}", chunk_id=p.chunk_id, report_id=p.report_id, unit_name=p.unit_name,
                      year=p.year, source_file=p.source_file, section=p.section, kind=p.kind, text=p.text,
                      line_start=p.line_start, line_end=p.line_end, score=float(s))
             for k, (p, s) in enumerate(hits)]
    got = extract_answer(question, hits[0][0].text, tokenizer, names) if hits else None
    ms = {"total": round((time.perf_counter() - t0) * 1000, 2)}
    if got is None:
        return AskResponse(question=question, found=False, answer="未找到相关数字。", citations=cites, timing_ms=ms)
    term, fig = got
    top = hits[0][0]
    return AskResponse(
        question=question, found=True, answer=f"{top.label()}：{term} {fig.raw}。",
        values=[AnswerValue(value=fig.value, unit=fig.unit, label=term, report_id=top.report_id, citation_id="c1")],
        citations=cites, confidence=float(hits[0][1]), timing_ms=ms)


# ------------------------------------------------------------------ retrievers
class DenseRetriever:
    """Exact inner-product FAISS over passage vectors (the naive_rag store)."""

    def __init__(self, passages: list[Passage], vectors: np.ndarray):
        import faiss

        self.passages = passages
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, qvec: np.ndarray, k: int = TOP_K) -> list[tuple[Passage, float]]:
        scores, idx = self.index.search(qvec.reshape(1, -1).astype(np.float32), k)
        return [(self.passages[i], float(s)) for i, s in zip(idx[0], scores[0]) if i >= 0]


class BM25Retriever:
    def __init__(self, passages: list[Passage], tokenizer):
        import bm25s

        self.passages, self.tokenizer = passages, tokenizer
        self.bm25 = bm25s.BM25()
        self.bm25.index([t or ["∅"] for t in tokenizer.batch(p.text for p in passages)], show_progress=False)

    def search(self, question: str, k: int = TOP_K) -> list[tuple[Passage, float]]:
        toks = self.tokenizer.tokens(question)
        if not toks:
            return []
        scores = self.bm25.get_scores(toks)
        top = np.argsort(-scores)[:k]
        return [(self.passages[i], float(scores[i])) for i in top if scores[i] > 0]


class HybridRetriever:
    """ReportQA's chunks and hybrid search, without facts."""

    def __init__(self, index):
        self.index = index

    def search(self, question: str, qvec: Optional[np.ndarray], k: int = TOP_K) -> list[tuple[Passage, float]]:
        out = []
        for c, s in self.index.hybrid(question, qvec, None, k=k):
            r = self.index.reports.get(c.report_id)
            out.append((Passage(chunk_id=c.chunk_id, text=c.text, source_file=r.source_file if r else "",
                                report_id=c.report_id, line_start=c.line_start, line_end=c.line_end,
                                unit_name=r.unit_name if r else None, year=r.year if r else None,
                                section=c.section, kind=c.kind), s))
        return out


# ------------------------------------------------------------------ running them
def run(sets: dict[str, list[dict]], corpus_dir: Path, index, embedder, qvecs: dict[str, np.ndarray],
        log: Callable[[str], None] = lambda s: None) -> dict:
    """Answer and score every item of every gold set with the three baselines.

    `index` is ReportQA's `LoadedIndex` (for hybrid_passages); `qvecs` maps question → query vector
    (the same vectors the latency floor used). Returns {set: {baseline: {"summary", "results", …}}}.
    """
    from indexer.tokenize import Tokenizer
    from retriever.evaluate import score_item, summarize

    names = [n for r in index.reports.values() for n in index.names.aliases[r.report_id] + index.names.places(r)]
    tokenizer = Tokenizer(names)
    t = time.perf_counter()
    passages = raw_passages(corpus_dir)
    log(f"naive_rag: embedding {len(passages)} fixed-size chunks ({CHUNK_SIZE}/{CHUNK_OVERLAP})")
    vecs = embedder.encode_passages([p.text for p in passages])
    dense = DenseRetriever(passages, vecs)
    naive_setup = time.perf_counter() - t
    t = time.perf_counter()
    bm25 = BM25Retriever(passages, tokenizer)
    bm25_setup = time.perf_counter() - t
    hybrid = HybridRetriever(index)

    runs = {
        "naive_rag": (naive_setup, lambda q: dense.search(qvecs[q])),
        "bm25_passages": (bm25_setup, lambda q: bm25.search(q)),
        "hybrid_passages": (0.0, lambda q: hybrid.search(q, qvecs[q])),
    }
    out: dict[str, dict] = {}
    for set_name, gold in sets.items():
        out[set_name] = {}
        for name, (setup, search) in runs.items():
            results, lat = [], []
            for item in gold:
                q = item["question"]
                t0 = time.perf_counter()
                resp = answer(q, search(q), tokenizer, t0, names)
                lat.append(resp.timing_ms["total"])
                results.append(score_item(item, resp))
            out[set_name][name] = {
                "summary": summarize(results, lat), "results": results, "setup_seconds": round(setup, 2),
                "passages": len(passages) if name != "hybrid_passages" else len(index.chunks)}
            log(f"{set_name} {name}: accuracy {out[set_name][name]['summary']['accuracy']:.3f}")
    return out
