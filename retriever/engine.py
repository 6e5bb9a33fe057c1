"""The answering engine: question → figures with citations, or an honest "not found".

understand (query.py) → find facts and passages (match.py, index.py) → compose (compose.py).
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Optional

from indexer.lexicon import classification, load, longest_first, squash
from indexer.models import (AskResponse, Citation, IndexStats, PassageResponse, ReportInfo, ReportRef,
                            VerifyResponse)

from . import compose, rank
from .derive import asked_derivation, computed_only, derive, several_asked, stated_share_of_part
from .inputs import states_change, states_last_year
from .pairs import difference
from .explain import asks_passage, explain
from .extreme import asks_extreme_part, extreme_part
from .listing import answer_count, answer_list
from .index import LoadedIndex
from .match import (bigrams, Candidate, column_named_by_meaning, table_candidates, unexplained_runs,
                    without_change_words)
from .match_prose import prose_candidates
from .relations import corroborated, named_child, prefer_all_funds, tied_total
from .meaning import ColumnMeaning
from .prose import ProseFigure
from .query import Question, plain, subquestion, understand
from .words import terms_in
from . import thresholds as th


def _limit_citations(resp: AskResponse, top_k: int) -> None:
    """At most top_k citations; the primary value and every input of a derived one stay cited."""
    if len(resp.citations) <= top_k or not resp.values:
        return
    keep = {c.id for c in resp.citations[:top_k]} | {resp.values[0].citation_id} | set(resp.values[0].inputs)
    resp.citations = [c for c in resp.citations if c.id in keep]
    resp.values = [v for i, v in enumerate(resp.values) if i == 0 or v.citation_id in keep]


def has_subject(q: Question) -> bool:
    """A question names something to look up: words beyond report, year and question words."""
    key = {b for b in bigrams(q.core) if re.search(r"[\u4e00-\u9fff]", b) and b[0] != b[1]}
    return bool(key or q.codes or q.concepts)


class Engine:
    def __init__(self, index: LoadedIndex, embedder=None):
        self.index = index
        self.embedder = embedder
        self.model_id = index.model_id
        self.version = index.version
        # facts grouped by report once; figures stated in prose (found at index time) read as ProseFigure
        self._table_facts: dict[str, list] = {}
        self.prose: dict[str, list[ProseFigure]] = {}
        for f in index.facts:
            if f.kind == "table":
                self._table_facts.setdefault(f.report_id, []).append(f)
            elif f.kind == "prose":
                year = index.reports[f.report_id].year if f.report_id in index.reports else None
                self.prose.setdefault(f.report_id, []).append(ProseFigure.of(f, year))
        self._said: dict[str, str] = {}  # report id → its whole text, spelled plainly (lazily)
        self._lock = threading.Lock()
        self.meaning = ColumnMeaning(self._qvec, self._passage_vecs) if embedder is not None else None

    @classmethod
    def load(cls, index_dir: Path, with_embedder: bool = True) -> "Engine":
        index = LoadedIndex(Path(index_dir))
        embedder = None
        if with_embedder:
            from indexer.embedder import is_default, load_embedder

            # Query vectors must come from the model and the path (openvino / torch) that built the index.
            embedder = load_embedder(None if is_default(index.model_id) else index.model_id,
                                     path=index.manifest.get("embed_path") or "torch")
        return cls(index, embedder)

    # ---------------------------------------------------------------- search
    def _qvec(self, text: str):
        if self.embedder is None:
            return None
        with self._lock:  # torch modules are not re-entrant across threads
            return self.embedder.encode_query(text)

    def _passage_vecs(self, texts: list[str]):
        with self._lock:
            return self.embedder.encode_passages(texts)

    def search(self, q: str, k: int = 10, report_id: Optional[str] = None) -> list[Citation]:
        ids = {report_id} if report_id else None
        hits = self.index.hybrid(q, self._qvec(q), ids, k=k)
        return [compose.citation(self.index, c.chunk_id, f"s{i + 1}", score) for i, (c, score) in enumerate(hits)]

    def passage(self, chunk_id: str) -> Optional[PassageResponse]:
        c = self.index.by_id.get(chunk_id)
        if c is None:
            return None
        prev_id, next_id = self.index.neighbours(chunk_id)
        r = self.index.reports[c.report_id]
        return PassageResponse(citation=compose.citation(self.index, chunk_id, "p1", 1.0),
                               prev_chunk_id=prev_id, next_chunk_id=next_id,
                               report=ReportRef(report_id=r.report_id, unit_name=r.unit_name, region=r.region,
                                                year=r.year, source_file=r.source_file))

    def reports(self) -> list[ReportInfo]:
        return [ReportInfo(report_id=r.report_id, unit_name=r.unit_name, region=r.region, year=r.year,
                           aliases=self.index.names.aliases[r.report_id], source_file=r.source_file,
                           metadata_source=dict(r.metadata_source),
                           indexed_at=r.indexed_at, **r.counts)
                for r in sorted(self.index.reports.values(), key=lambda r: (r.region or "", r.year or 0))]

    def verify(self, claim: str) -> VerifyResponse:
        from .verify import verify_claim

        return VerifyResponse.model_validate(verify_claim(self, claim))

    def stats(self) -> IndexStats:
        return IndexStats(model=self.model_id, version=self.version,
                          counts={"reports": len(self.index.reports), "chunks": len(self.index.chunks),
                                  "facts": sum(f.kind == "table" for f in self.index.facts)})

    # ---------------------------------------------------------------- answer
    def retrieve(self, q: Question, report_ids: set[str]) -> Optional[set[str]]:
        """The chunks of each resolved report that the BM25 index ranks highest for the question
        (`th.CANDIDATE_CHUNKS` per report, so a comparison sees every report; None = every chunk, when
        the setting is 0). The question is sent as its figure words, synonyms, codes, the table it
        names and its scope."""
        if th.CANDIDATE_CHUNKS <= 0:
            return None
        text = " ".join([q.core, *q.terms, *q.codes, q.table or "", q.scope])
        return {self.index.chunks[i].chunk_id for rid in report_ids
                for i, _ in self.index.bm25_rank(text, self.index.mask({rid}), th.CANDIDATE_CHUNKS)}

    def candidates(self, q: Question, report_ids: set[str]) -> list[Candidate]:
        """Facts and prose figures of the retrieved chunks, scored and ranked (match.py, rank.py)."""
        near = self.retrieve(q, report_ids)
        ids = sorted(report_ids - self._lacking_named_rows(q, report_ids))  # one order for ties
        # besides the chunks retrieved: the rows whose name holds what the question names (本年支出 in
        # 本年支出合计, a row the many sentences saying 本年 and 支出 may push out of the BM25 list)
        # (and the rows the question names in full: 高中教育 of "高中教育支出")
        named = [t for t in {plain(x) for x in (q.core, *q.terms)} if len(t) >= 3]
        core = plain(q.core)
        facts = [f for rid in ids for f in self._table_facts.get(rid, ())
                 if near is None or f.chunk_id in near or any(t in f.row_name for t in named)
                 or len(f.row_name) >= 3 and plain(f.row_name) in core]
        figures = [p for rid in ids for p in self.prose.get(rid, []) if near is None or p.chunk_id in near]
        cands = table_candidates(q, facts)
        prefer_all_funds(q, cands)
        if self.meaning is not None:
            self.meaning.apply(q, cands)
            column_named_by_meaning(q, cands)
        cands += prose_candidates(q, figures)
        cands.sort(key=lambda c: (-c.score, c.kind != "table"))
        child = named_child(q, cands)  # "A下的B": B, the row under A
        if child is not None:
            cands.insert(0, child)
        if cands and cands[0].kind == "prose" and rank.table_twin(cands, cands[0], th.SAME_VALUE, th.ACCEPT) is None:
            best = _table_that_explains_more(q, cands, cands[0])  # for lookups and derivation inputs alike
            if best.kind == "prose":
                _figure_named_more_fully(q, cands, best)
        return cands

    def _lacking_named_rows(self, q: Question, report_ids: set[str]) -> set[str]:
        """The reports that nowhere say a row of the national classification the question names in its own
        words (人大事务 asked of a report without that row): none of their figures is about it. Only those
        names are fixed wherever a report uses them; a term a colloquial word was read as is exempt."""
        named = [said_plainly(_stem(c)) for c in terms_in(q.core, _CLASS_NAMES)
                 if not any(t in c or c in t for t in q.terms)]
        return {rid for rid in report_ids if named and any(c not in self._said_in(rid) for c in named)}

    def _said_in(self, report_id: str) -> str:
        """The report's whole text, spelled plainly (built once per report, on first use)."""
        if report_id not in self._said:
            self._said[report_id] = said_plainly(" ".join(  # rows as parsed: a PDF may break a name
                [c.text for c in self.index.chunks if c.report_id == report_id]
                + [f.row_name for f in self._table_facts.get(report_id, ())]))
        return self._said[report_id]

    def _read_again(self, q: Question, question: str, top_k: int, scope: dict) -> Optional[AskResponse]:
        """A question not answered as first read, read the other ways it may mean: the two years' gap when
        the later report states no change ("2020年到2021年…变化了多少"); the term alone when 决算数 names no
        column that holds it ("项目支出决算数"); its own words when the report does not use the lexicon
        term a colloquial word was read as (共支出 for 总支出). The first answer found, else None."""
        if q.years_compared:
            resp = self._between_years(q, top_k)
            if resp is not None:
                return resp
        readings = ([understand(q.value_word_free, self.index, **scope)] if q.value_word_free else []) \
            + ([understand(question, self.index, literal=True, **scope)] if q.rewritten else [])
        for again in readings:
            if again.reports and not again.missing and not again.choices and has_subject(again):
                resp = self._answer(again, top_k)
                if resp.found:
                    return resp
        return None

    def _between_years(self, q: Question, top_k: int) -> Optional[AskResponse]:
        """"2020年到2021年公务接待费变化了多少" where the 2021 report states no change of it: the figure
        of each year's report, and their difference, each cited."""
        both = replace(q, reports=q.years_compared, years_compared=[], asks_change=False, vs_last_year=False,
                       core=without_change_words(q.core).replace(" ", ""), ops=q.ops | {"compare", "difference"})
        resp = self._answer(both, top_k)
        if not resp.found or not resp.values or not resp.values[0].derived:
            return None
        later, earlier = sorted(q.years_compared, key=lambda r: -(r.year or 0))[:2]
        of = {v.report_id: v.value for v in resp.values[1:]}
        if later.report_id in of and earlier.report_id in of:  # a change: the later year less the earlier
            resp.values[0].value = round(of[later.report_id] - of[earlier.report_id], 2)
        return resp

    def _against_budget(self, q: Question, ids: set[str]) -> Optional[AskResponse]:
        """"X比预算多多少" where the report states no variance: the final account less the budget, both
        figures found and cited (a 三公 table's 决算数 and 预算数)."""
        if not q.vs_budget:
            return None
        levels = replace(q, asks_change=False, vs_budget=False)
        return difference(levels, lambda sub: self.candidates(sub, ids), self.index)

    def ask(self, question: str, top_k: int = 5, report_id: Optional[str] = None,
            year: Optional[int] = None, unit: Optional[str] = None,
            history: Optional[list[str]] = None) -> AskResponse:
        t0 = time.perf_counter()
        q = understand(question, self.index, report_id=report_id, year=year, unit=unit, history=history)
        if q.missing:
            resp = compose.not_found(q, q.missing, self.index)
        elif not has_subject(q):
            resp = compose.not_found(q, "问题中没有可查找的项目（请说明要查的支出、收入或其他数字）", self.index)
        elif q.negated:  # no figure stated under a name is the part that is not it
            resp = compose.not_found(q, compose.missing_figure(q) + "（问题问的是除某项以外的部分，报告未单独列出）",
                                     self.index)
        elif q.choices:
            resp = compose.choose(q, self.index)
        elif not q.reports:
            resp = compose.not_found(q, "语料中没有符合条件的决算报告", self.index)
        else:
            resp = self._answer(q, top_k)
            if not resp.found and not resp.choices:
                resp = self._read_again(q, question, top_k, dict(report_id=report_id, year=year, unit=unit,
                                                                  history=history)) or resp
        _limit_citations(resp, top_k)
        resp.timing_ms = {"total": round((time.perf_counter() - t0) * 1000, 2)}
        return resp

    def _answer(self, q: Question, top_k: int) -> AskResponse:
        ids = {r.report_id for r in q.reports}
        multi = len(q.reports) > 1
        compare = q.ops & {"compare", "compare_max", "compare_min"}
        if multi and not compare and asked_derivation(q):  # "A和B的基本支出比项目支出少多少": each report's own
            return compose.together(q, [self._answer(replace(q, reports=[r]), top_k)
                                        for r in sorted(q.reports, key=lambda r: r.report_id)])
        if not multi and asks_passage(q):
            passage = explain(q, self.index, self._qvec(q.core))
            if passage is not None:
                return passage
        if not multi and asks_extreme_part(q):  # "三公经费里面哪项最多": a part, never the total
            smallest = "compare_min" in q.ops and "compare_max" not in q.ops
            return extreme_part(q, lambda sub: self.candidates(sub, ids), lambda rid: self._table_facts.get(rid, []),
                                self.index, smallest) or compose.not_found(q, compose.missing_figure(q), self.index)
        several = several_asked(q) if not multi else []
        if several:  # "基本支出和项目支出分别是多少": each figure looked up on its own
            return compose.together(q, [self._answer(subquestion(q, it, self.index), top_k) for it in several])
        if "list" in q.ops and not multi:
            listed = answer_list(q, self)
            return listed or compose.not_found(q, compose.missing_figure(q), self.index)
        cands = self.candidates(q, ids)  # only now: the branches above rank their own sub-questions
        if q.per_unit:  # "人均接待费": a figure stated per person, never the total
            cands = [c for c in cands if q.per_unit in plain(c.label + c.row_name + c.column
                                                             + (c.prose.local if c.prose is not None else ""))]
        if multi and compare:
            return compose.comparison(q, cands, self.index, "compare_min" in q.ops and "compare_max" not in q.ops)
        if not multi:
            # the question's own candidates are already ranked; its sub-questions are ranked on demand
            derived = derive(q, lambda sub: cands if sub is q else self.candidates(sub, ids), self.index)
            if derived is not None:
                return derived
            only = computed_only(q)  # no single stated figure answers a sum or net change; a difference
            if only in ("sum", "net", "ratio"):  # or share only a stated change or a share stated of its part
                return compose.not_found(q, compose.missing_figure(q) + "（参与计算的数字未能全部确定）", self.index)
            if only == "difference":
                cands = [c for c in cands if states_change(c)]
            if only == "share":
                cands = [c for c in cands if stated_share_of_part(q, c)]
            if only == "previous_year":
                cands = [c for c in cands if states_last_year(c)]
            r = q.single
            stated = only == "previous_year" and cands and _accepted(cands[0])  # 上年决算数, a 2020年 column
            if q.years and r.year and r.year not in q.years and not stated:  # an earlier year, not derivable
                name = r.unit_name or r.region or r.report_id
                return compose.not_found(q, f"语料中没有{name}{q.years[0]}年度的决算，其{r.year}年度报告中也没有"
                                            "可据以推算的数字", self.index)
        best = judged = cands[0] if cands else None  # `judged` is accepted or not; `best` is cited
        if best is not None and best.kind == "prose":
            # prose restating a table cell: cite the exact row, the sentence corroborating it (judged by
            # the cell when the cell alone is accepted); a nil stated in words: cite a passage writing it
            twin = rank.table_twin(cands, best, th.SAME_VALUE, th.ACCEPT)
            if twin is not None and rank.rival(cands, twin, th.MARGIN, th.SAME_VALUE) is not None:
                twin = None  # the cells tie (公务用车: 购置费 0, 运行维护费 3.98); the sentence's label decides
            if twin is not None and twin.score >= th.ACCEPT_TABLE:
                judged = twin
            if best.kind == "prose" and not _writes_number(best):
                twin = _written_twin(cands, best)
            best = _promote(cands, twin) or best
        if not _accepted(judged):
            counted = answer_count(q, self) if not multi else None  # 有几个科室: the items listed, counted
            against = self._against_budget(q, ids) if not multi and counted is None else None
            return counted or against or compose.not_found(q, compose.missing_figure(q), self.index)
        if multi:
            return compose.per_report(q, cands, self.index)
        other = rank.rival(cands, judged, th.MARGIN, th.SAME_VALUE)
        total = tied_total(cands, judged, th.MARGIN) if other is not None and best is judged else None
        if total is not None:  # 政府采购: its 支出总额 row, which the tied rows add up to
            best = judged = total
        elif other is not None:
            kept = corroborated(cands, judged, other) if best is judged else None
            if kept is None:
                return compose.undecided(q, judged, other, self.index)
            slip = other if kept is judged else judged
            resp = compose.lookup(q, kept, cands, self.index, top_k)
            return compose.with_slip(resp, slip, self.index)
        return compose.lookup(q, best, cands, self.index, top_k)


_CLASS_NAMES = longest_first({n for names in classification().values() for n in names.values()})


_WRITTEN_ENDINGS = load("classification.json")["written_endings"]


def _stem(name: str) -> str:
    """A classification name as every report writes it (一般公共服务(类)支出 → 一般公共服务)."""
    for ending, written in _WRITTEN_ENDINGS:
        if name.endswith(ending) and len(name) - len(ending) + len(written) >= 3:
            return name[:len(name) - len(ending)] + written
    return name


def _accepted(c: Optional[Candidate]) -> bool:
    """Scored at its kind's threshold, and not a cell whose column is not the one the question names
    while a domain term it names, or the table it names, is not the cell's either."""
    if c is None or c.score < (th.ACCEPT_TABLE if c.kind == "table" else th.ACCEPT):
        return False
    f = c.features
    return not (c.kind == "table" and f.get("column_other") and (f.get("concept_missing") or f.get("table_other")))


def said_plainly(text: str) -> str:
    """Text without spaces, quotes and brackets (“三公”经费, 因公出国(境)费 = 因公出国（境）费)."""
    return re.sub(r"[()（）〔〕\[\]【】]", "", plain(text))


def _promote(cands: list[Candidate], c: Optional[Candidate]) -> Optional[Candidate]:
    """Move `c` (when there is one) to the front: it is the answer, the rest its context."""
    if c is not None:
        cands.remove(c)
        cands.insert(0, c)
    return c


def _table_that_explains_more(q: Question, cands: list[Candidate], best: Candidate) -> Candidate:
    """A sentence accepted and a table cell of another value scoring at least `ACCEPT`: the cell is judged
    instead (and moves to the front) when its table, row and column hold more of the question's words
    than the sentence does ("服务类采购": the 政府采购服务支出 row, not a sentence on 政府采购 to small
    firms). A cell below the table threshold is then no answer, and neither is the sentence."""
    def held(text: str) -> int:
        return sum(1 for w in q.words if w in text)

    said = held(squash(best.prose.sentence + best.prose.local)) if best.prose is not None else 0
    cell = next((c for c in cands if c.kind == "table" and c.score >= th.ACCEPT
                 and abs(c.value - best.value) >= th.SAME_VALUE
                 and held(squash(f"{c.fact.table_title}{c.fact.row_name}{c.fact.column}")) > said), None)
    return _promote(cands, cell) or best


def _figure_named_more_fully(q: Question, cands: list[Candidate], best: Candidate) -> None:
    """A sentence accepted that leaves a name of the question unsaid ("城市视频经费项目支出": a sentence on
    项目支出 as a whole): the first figure of another value and of the quantity asked whose words hold that
    name, and leave less of the question unsaid, is judged instead (and moves to the front); below
    `ACCEPT` it is no answer, and neither is the sentence."""
    names = [r for r in unexplained_runs(q, best.prose.before + best.prose.local) if len(r) >= th.NAME_MIN]
    if not names:
        return

    def said(c: Candidate) -> str:
        if c.prose is not None:
            return plain(c.prose.before + c.prose.local)
        return plain(f"{c.fact.table_title}{c.fact.row_name}{c.fact.column}")
    unsaid = best.features.get("unexplained_chars", 0.0)
    _promote(cands, next((c for c in cands if c is not best and abs(c.value - best.value) >= th.SAME_VALUE
                          and all(n in said(c) for n in names) and not c.features.get("unit_other_kind")
                          and c.features.get("unexplained_chars", 0.0) < unsaid), None))


def _written_twin(cands: list[Candidate], best: Candidate) -> Optional[Candidate]:
    """For a nil stated in words ("无…支出"): an accepted passage that writes the same figure, to cite."""
    return next((c for c in cands if c is not best and abs(c.value - best.value) < th.SAME_VALUE
                 and c.score >= th.ACCEPT and (c.kind == "table" or _writes_number(c))), None)


def _writes_number(c: Candidate) -> bool:
    """The candidate's sentence writes its number (a nil stated in words does not)."""
    return c.prose is None or re.search(rf"(?<![\d.]){re.escape(c.raw)}(?![\d.])", c.prose.sentence) is not None
