"""A fake answering engine, loader and index builder for the API and web tests.

`FakeEngine` implements `retriever.protocol.ReportEngine` (as `retriever.engine.Engine` does) and
`FakeIndex.build` follows `indexer.build.build_index`, so the HTTP layer can be tested without an
index, a model or the real engine.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

from indexer.models import (AnswerValue, AskResponse, Choice, Citation, IndexStats, PassageResponse, ReportInfo,
                            ReportRef, VerifiedNumber, VerifyResponse)

HY = "武汉市汉阳区大数据中心-2021"
WC = "武汉市武昌区大数据中心-2019"

REPORTS = [
    ReportInfo(report_id=HY, unit_name="武汉市汉阳区大数据中心", region="汉阳区", year=2021,
               aliases=["汉阳区大数据中心"], source_file="武汉市汉阳区大数据中心_2021_部门决算.txt",
               metadata_source={"unit_name": "text", "year": "text"}, sections=14, tables=9, rows=180, chunks=3,
               facts=420, indexed_at="2025-03-01T10:00:00"),
    ReportInfo(report_id=WC, unit_name="武汉市武昌区大数据中心", region="武昌区", year=2019,
               aliases=["武昌区大数据中心"], source_file="武汉市武昌区大数据中心_2019_部门决算.txt",
               metadata_source={"unit_name": "text", "year": "file name"}, sections=12, tables=8, rows=150,
               chunks=1, facts=380, indexed_at="2025-03-01T10:00:01"),
]
AMBIGUOUS = "大数据中心的项目支出"  # a question that fits both reports: answered with `choices`

# chunk_id -> (report_id, kind, section, text, line_start, line_end); order inside a report = list order
CHUNKS = [
    ("hy-0", HY, "paragraph", "第一部分 部门概况 > 一、主要职能",
     "武汉市汉阳区大数据中心主要负责全区政务数据资源的汇聚与共享。", 12, 13),
    ("hy-1", HY, "table_row", "第二部分 部门决算表 > 三、支出决算表",
     "支出决算表 | 合计 | 本年支出合计 4,785.40 | 基本支出 2,386.10 | 项目支出 2,399.30", 181, 181),
    ("hy-2", HY, "paragraph", "第三部分 部门决算情况说明 > 四、一般公共预算财政拨款支出决算情况说明",
     "2021年度一般公共预算财政拨款项目支出2,398.09万元，主要用于智慧城市项目建设。", 240, 241),
    ("wc-0", WC, "table_row", "第二部分 部门决算表 > 八、一般公共预算财政拨款基本支出决算表",
     "30101 基本工资 | 人员经费 312.45", 402, 402),
]


def _meta(report_id: str) -> ReportInfo:
    return next(r for r in REPORTS if r.report_id == report_id)


def citation(chunk_id: str, cid: str = "c1", score: float = 0.9) -> Citation:
    ch = next(c for c in CHUNKS if c[0] == chunk_id)
    m = _meta(ch[1])
    return Citation(id=cid, chunk_id=ch[0], report_id=ch[1], unit_name=m.unit_name, year=m.year,
                    source_file=m.source_file, section=ch[3], kind=ch[2], text=ch[4],
                    line_start=ch[5], line_end=ch[6], score=score)


class FakeEngine:
    model_id = "fake-embed-model"

    def __init__(self, version: str = "v-fake-1"):
        self.version = version
        self.calls: list[tuple] = []
        self.histories: list[Optional[list[str]]] = []  # the `history` of each ask, in order

    @classmethod
    def load(cls, index_dir: Path) -> "FakeEngine":
        return cls()

    def ask(self, question: str, top_k: int = 5, report_id: Optional[str] = None, year: Optional[int] = None,
            unit: Optional[str] = None, history: Optional[list[str]] = None) -> AskResponse:
        self.calls.append(("ask", question, top_k, report_id, year, unit))
        self.histories.append(history)
        if AMBIGUOUS in question and report_id is None:
            return AskResponse(
                question=question, found=False,
                answer="问题适用于多份报告，请选择其中一份：武汉市汉阳区大数据中心2021年、武汉市武昌区大数据中心2019年。",
                choices=[Choice(report_id=r.report_id, unit_name=r.unit_name, year=r.year) for r in REPORTS],
                timing_ms={"total": 0.5})
        if "boom" in question:
            raise RuntimeError("engine exploded (secret detail)")
        if "xss" in question:  # markup in engine output must be shown as text
            c = citation("hy-1", "c1", 0.9).model_copy(update={
                "text": '<b id="injected">粗体</b> 项目支出 2,399.30 <img src=x onerror="window.__xss=1">'})
            return AskResponse(
                question=question, found=True,
                answer='<img src=x onerror="window.__xss=1">项目支出2,399.30万元<script>window.__xss=2</script>',
                values=[AnswerValue(value=2399.30, unit="万元", label="<i>项目</i>支出", report_id=HY,
                                    citation_id="c1")],
                citations=[c], confidence=0.8, timing_ms={"total": 1.0})
        if "青山区" in question:
            return AskResponse(
                question=question, found=False,
                answer="未找到：语料中没有青山区的决算。现有报告：武汉市汉阳区大数据中心2021年、武汉市武昌区大数据中心2019年。",
                values=[], citations=[], confidence=0.0, timing_ms={"total": 0.3})
        if "三公" in question:
            return AskResponse(
                question=question, found=False,
                answer="报告中没有硚口区大数据中心2024年三公经费的数字；最接近的是其“三公”经费说明段落。",
                values=[], citations=[], confidence=0.12, timing_ms={"total": 3.2})
        if "福利费" in question:  # a figure the report writes with one decimal
            c = citation("wc-0", "c1", 0.9).model_copy(update={"text": "30229 福利费 | 决算数 8.2 | 上年 12.50"})
            return AskResponse(
                question=question, found=True, answer="武汉市武昌区大数据中心2019年度福利费8.2万元。",
                values=[AnswerValue(value=8.2, unit="万元", label="福利费", report_id=WC, citation_id="c1"),
                        AnswerValue(value=4.3, unit="万元", label="比上年减少", report_id=WC, citation_id="c1",
                                    derived=True, formula="12.50 - 8.2", inputs=["c1"])],
                citations=[c], confidence=0.8, timing_ms={"total": 2.0})
        if "基本工资" in question or report_id == WC:
            c = citation("wc-0", "c1", 0.88)
            return AskResponse(
                question=question, found=True, answer="武汉市武昌区大数据中心2019年度基本工资312.45万元。",
                values=[AnswerValue(value=312.45, unit="万元", label="基本工资", report_id=WC, citation_id="c1")],
                citations=[c], confidence=0.55, timing_ms={"total": 4.0})
        c1, c2 = citation("hy-1", "c1", 0.93), citation("hy-2", "c2", 0.71)
        return AskResponse(
            question=question, found=True,
            answer="武汉市汉阳区大数据中心2021年度项目支出2,399.30万元（支出决算表）。"
                   "其中一般公共预算财政拨款项目支出2,398.09万元。",
            values=[
                AnswerValue(value=2399.30, unit="万元", label="项目支出", report_id=HY, citation_id="c1"),
                AnswerValue(value=1.21, unit="万元", label="非财政拨款项目支出", report_id=HY, citation_id="c1",
                            derived=True, formula="2,399.30 - 2,398.09", inputs=["c1", "c2"]),
            ],
            citations=[c1, c2][:top_k], confidence=0.91, timing_ms={"total": 12.4})

    def search(self, q: str, k: int = 10, report_id=None) -> list[Citation]:
        self.calls.append(("search", q, k, report_id))
        chunks = [c for c in CHUNKS if report_id is None or c[1] == report_id]
        return [citation(c[0], f"c{i + 1}", 1.0 - i / 10) for i, c in enumerate(chunks[:k])]

    def passage(self, chunk_id: str) -> Optional[PassageResponse]:
        ids = [c[0] for c in CHUNKS]
        if chunk_id not in ids:
            return None
        ch = CHUNKS[ids.index(chunk_id)]
        same = [c[0] for c in CHUNKS if c[1] == ch[1]]
        i = same.index(chunk_id)
        m = _meta(ch[1])
        return PassageResponse(citation=citation(chunk_id, "c1", 1.0),
                               prev_chunk_id=same[i - 1] if i > 0 else None,
                               next_chunk_id=same[i + 1] if i + 1 < len(same) else None,
                               report=ReportRef(**m.model_dump(include=set(ReportRef.model_fields))))

    def reports(self) -> list[ReportInfo]:
        return [r.model_copy() for r in REPORTS]

    def verify(self, claim: str) -> VerifyResponse:
        """Like `retriever.verify.verify_claim`: supported / contradicted (with `stated`) / nothing checkable."""
        self.calls.append(("verify", claim))
        if "青山区" in claim:
            return VerifyResponse(claim=claim, reason="语料中没有青山区的决算报告")
        if not any(ch.isdigit() for ch in claim):  # nothing to check; the engine gives no reason
            return VerifyResponse(claim=claim)
        if "人数" in claim:
            return VerifyResponse(claim=claim, numbers=[VerifiedNumber(value=12.0, unit="人", status="not_found")])
        supported = "2,399.30" in claim or "2399.3" in claim
        number = VerifiedNumber(value=2399.30 if supported else 9999.0, unit="万元",
                                status="supported" if supported else "contradicted",
                                stated=None if supported else 2399.30, citations=[citation("hy-1", "v1")])
        return VerifyResponse(claim=claim, supported=supported, numbers=[number])

    def stats(self) -> IndexStats:
        return IndexStats(model=self.model_id, version=self.version,
                          counts={"reports": len(REPORTS), "chunks": len(CHUNKS), "facts": 800})


class FakeIndex:
    """Loader + builder pair sharing state: the loader fails until an index 'exists'."""

    def __init__(self, exists: bool = True):
        self.exists = exists
        self.loads = 0
        self.builds: list[dict] = []
        self.gate: Optional[threading.Event] = None  # set → builds block until released
        self.started = threading.Event()
        self.fail_build: Optional[Exception] = None

    def loader(self, index_dir: Path) -> FakeEngine:
        from indexer.store import IndexMissing

        if not self.exists:
            raise IndexMissing(f"索引不存在 / no index in {index_dir}: run `reportqa index` to build it")
        self.loads += 1
        return FakeEngine(version=f"v-fake-{self.loads}")

    def build(self, corpus_dir: Path, index_dir: Path, *, full: bool = False, progress=None, wait: float = 0.0,
              **kwargs) -> dict:
        self.builds.append({"corpus_dir": corpus_dir, "index_dir": index_dir, "full": full, "wait": wait})
        self.started.set()
        files = sorted(p.name for p in Path(corpus_dir).glob("*") if p.is_file() and not p.name.startswith("."))
        for i, _ in enumerate(files):
            if progress:
                progress("parse", i, len(files))
        if self.gate is not None:
            if progress:
                progress("embed", 1, 4)
            self.gate.wait(10)
        if self.fail_build is not None:
            raise self.fail_build
        if progress:
            progress("write", 1, 1)
        self.exists = True
        return {"added": files, "changed": [], "removed": [], "unchanged": [], "chunks_total": 4,
                "chunks_embedded": 4, "facts_total": 800, "seconds": 0.01, "model": "fake-embed-model"}
