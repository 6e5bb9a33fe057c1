"""The HTTP service over the REAL engine and a real index of the bundled corpus.

The index is built once per session (default embedding model, ~1–3 minutes; conftest's
`real_index_dir` when it exists, so the suite builds it once for all real-engine tests), and
every test here talks HTTP to `api.app.create_app` with the real `retriever.engine.Engine`:

* /ask, /search, /passages, /reports, /verify, /index/status on the bundled five reports;
* junk questions (emoji, English, SQL, control characters…) never give a 500;
* upload-and-ask: a copy of a report with its unit renamed is uploaded as admin into a copy of
  the corpus and index, the background rebuild finishes, and the new unit is answered;
* one browser test (Debian's Chromium via Playwright, skipped without it) against uvicorn
  serving the real engine: ask in the page, see the figure and citation, open its context.
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from conftest import CORPUS, REPORTS
from indexer.models import AskResponse, Citation

ROOT = CORPUS.parent
TOKEN = "real-service-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
WELFARE_Q = "硚口区大数据中心2024年基本支出决算明细表中的福利费是多少？"
REGIONS = {"武昌区", "汉阳区", "江汉区", "洪山区", "硚口区"}


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def service_index(request, tmp_path_factory):
    """A real index of the bundled corpus, built once per session and only read here (the upload
    test works on a copy). Shared with the other real-engine tests when conftest provides one."""
    try:
        return request.getfixturevalue("real_index_dir")
    except pytest.FixtureLookupError:
        pass
    from indexer.build import build_index

    idx = tmp_path_factory.mktemp("service_index")
    summary = build_index(CORPUS, idx)
    assert summary["chunks_embedded"] == summary["chunks_total"] > 0
    assert len(summary["added"]) == len(REPORTS)
    return idx


@pytest.fixture(scope="module")
def client(service_index):
    """Read-only service over the bundled corpus (no admin token: nothing can change the corpus)."""
    app = create_app(service_index, CORPUS, None)
    with TestClient(app) as c:
        assert c.get("/readyz").status_code == 200, c.get("/readyz").text
        yield c


def lines_of(source_file: str) -> list[str]:
    """The lines of a cited file: `source_file` is relative to the corpus (contract); older indexes
    gave paths relative to the repository."""
    path = Path(source_file)
    if not path.is_absolute():
        path = CORPUS / path if (CORPUS / path).is_file() else ROOT / path
    return path.read_text(encoding="utf-8").split("\n")


def cited_span(c: dict) -> str:
    lines = lines_of(c["source_file"])
    assert 1 <= c["line_start"] <= c["line_end"] <= len(lines), c
    return "\n".join(lines[c["line_start"] - 1:c["line_end"]])


def assert_error(resp, status=None):
    if status is None:
        assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    else:
        assert resp.status_code == status, (resp.status_code, resp.text)
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]


# ---------------------------------------------------------------- /ask
def test_ask_welfare_figure_with_citation(client):
    r = client.post("/ask", json={"question": WELFARE_Q})
    assert r.status_code == 200, r.text
    body = r.json()
    AskResponse.model_validate(body)
    assert body["found"] is True, body["answer"]
    v = body["values"][0]
    assert v["value"] == 8.2 and v["unit"] == "万元" and v["derived"] is False
    cites = {c["id"]: c for c in body["citations"]}
    c = cites[v["citation_id"]]
    assert "8.2" in c["text"] and c["unit_name"] == "武汉市硚口区大数据中心" and c["year"] == 2024
    span = cited_span(c)
    assert "福利费" in span and "8.2" in span, span
    assert 0 < body["confidence"] <= 1 and body["timing_ms"]["total"] > 0


def test_ask_unknown_district_is_not_found(client):
    body = client.post("/ask", json={"question": "青山区大数据中心2022年项目支出是多少"}).json()
    assert body["found"] is False and body["values"] == []
    assert "青山区" in body["answer"]


def test_ask_filters_and_top_k(client):
    rid = next(r["report_id"] for r in client.get("/reports").json() if r["region"] == "汉阳区")
    body = client.post("/ask", json={"question": "项目支出是多少", "report_id": rid, "top_k": 1}).json()
    assert body["found"] is True and len(body["citations"]) <= 1
    assert all(v["report_id"] == rid for v in body["values"])
    assert body["values"][0]["value"] == 2399.30


# ---------------------------------------------------------------- citation lookup
def test_search_returns_cited_passages(client):
    r = client.get("/search", params={"q": "硚口区2024年福利费", "k": 5})
    assert r.status_code == 200
    hits = r.json()
    assert 1 <= len(hits) <= 5
    for c in hits:
        Citation.model_validate(c)
        assert cited_span(c)
    assert hits[0]["unit_name"] == "武汉市硚口区大数据中心" and "福利费" in cited_span(hits[0])
    scores = [c["score"] for c in hits]
    assert scores == sorted(scores, reverse=True)


def test_search_filtered_by_report(client):
    rid = next(r["report_id"] for r in client.get("/reports").json() if r["region"] == "洪山区")
    hits = client.get("/search", params={"q": "基本工资", "k": 8, "report_id": rid}).json()
    assert hits and all(c["report_id"] == rid for c in hits)
    assert client.get("/search", params={"q": "基本工资", "report_id": "no-such-report"}).json() == []


def test_passage_with_neighbours(client):
    hit = client.get("/search", params={"q": "汉阳区2021年基本工资", "k": 1}).json()[0]
    r = client.get(f"/passages/{hit['chunk_id']}")
    assert r.status_code == 200
    p = r.json()
    assert p["citation"]["chunk_id"] == hit["chunk_id"] and p["citation"]["text"] == hit["text"]
    assert p["report"]["region"] == "汉阳区" and p["report"]["year"] == 2021
    assert p["prev_chunk_id"] or p["next_chunk_id"]
    if p["next_chunk_id"]:  # neighbours link back
        nxt = client.get(f"/passages/{p['next_chunk_id']}").json()
        assert nxt["prev_chunk_id"] == hit["chunk_id"]
        assert nxt["citation"]["line_start"] >= p["citation"]["line_start"]
    if p["prev_chunk_id"]:
        prev = client.get(f"/passages/{p['prev_chunk_id']}").json()
        assert prev["next_chunk_id"] == hit["chunk_id"]
    assert_error(client.get("/passages/" + hit["chunk_id"] + "-nope"), 404)


def test_reports_lists_the_five_with_counts(client):
    reports = client.get("/reports").json()
    assert len(reports) == 5
    assert {r["region"] for r in reports} == REGIONS
    for r in reports:
        assert r["unit_name"].startswith("武汉市") and r["unit_name"].endswith("大数据中心")
        assert isinstance(r["year"], int) and r["source_file"].endswith(".txt")
        for k in ("sections", "tables", "rows", "chunks", "facts"):
            assert isinstance(r[k], int) and r[k] >= 0, (k, r)
        assert r["sections"] > 0 and r["chunks"] > 0 and r["indexed_at"]
    assert sum(r["facts"] for r in reports) > 500
    status = client.get("/index/status").json()
    assert status["ready"] is True and status["model"] and status["version"]
    assert status["counts"]["reports"] == 5 and status["counts"]["chunks"] == sum(r["chunks"] for r in reports)


# ---------------------------------------------------------------- /verify
def test_verify_supported_claim(client):
    body = client.post("/verify", json={"claim": "汉阳区大数据中心2021年项目支出2,399.30万元"}).json()
    assert body["supported"] is True
    n = body["numbers"][0]
    assert n["value"] == 2399.30 and n["unit"] == "万元" and n["status"] == "supported"
    assert n["citations"] and all("2399.30" in c["text"].replace(",", "") for c in n["citations"])
    for c in n["citations"]:
        assert "2399.30" in cited_span(c).replace(",", "")


def test_verify_contradicted_claim(client):
    body = client.post("/verify", json={"claim": "汉阳区大数据中心2021年项目支出2,500万元"}).json()
    assert body["supported"] is False
    n = body["numbers"][0]
    assert n["status"] == "contradicted" and n["value"] == 2500 and n["stated"] == 2399.30
    assert n["citations"] and "2399.30" in n["citations"][0]["text"].replace(",", "")


def test_verify_claims_that_cannot_be_checked(client):
    body = client.post("/verify", json={"claim": "青山区大数据中心2022年项目支出100万元"}).json()
    assert body["supported"] is None and body["numbers"] == [] and "青山区" in body["reason"]
    body = client.post("/verify", json={"claim": "汉阳区大数据中心2021年项目支出很多"}).json()
    assert body["supported"] is None and body["reason"]


# ---------------------------------------------------------------- junk never gives a 500
NOT_ANSWERABLE = [
    "😀😀😀", "🙂", "What is the project expenditure of Hanyang in 2021?", "'; DROP TABLE reports; --",
    "SELECT * FROM facts WHERE value > 0", "1=1 OR 'a'='a'", "<script>alert(1)</script>", "%s %d {0} ${x}",
    "\\", "[[[", ".*+?", "\x01\x02\x7f", "\u202e\u200b\ufeff?", "𠀀𠀁𠀂", "\ue000", "ｈａｎｙａｎｇ",
    "汉阳区大数据中心2099年项目支出", "青山区大数据中心2022年项目支出",
]


@pytest.mark.parametrize("question", NOT_ANSWERABLE)
def test_unanswerable_questions_are_not_found(client, question):
    r = client.post("/ask", json={"question": question})
    if r.status_code != 200:  # e.g. nothing left after removing control characters
        assert_error(r, 422)
        return
    body = r.json()
    assert body["found"] is False and body["values"] == [], (question, body["answer"])
    assert body["answer"]
    assert "\u202e" not in body["answer"] and "\ufeff" not in body["answer"]


JUNK = ["2021", "0", "-1", "99999999999999999999", "年" * 500, "1" * 500, "汉阳区" * 160, "武汉市", "万元", "%",
        "汉阳区\u0301" + "\u0301" * 60, "汉阳区大数据中心2021年项目支出比2020年增长多少", "哪个区项目支出最多",
        "汉阳区2021年和2022年项目支出差额", "\t\n汉阳区\r\n", "\U0010ffff"]


def test_junk_never_500(client):
    for q in NOT_ANSWERABLE + JUNK:
        for method, url, kwargs in [
            ("post", "/ask", {"json": {"question": q}}),
            ("post", "/ask", {"json": {"question": q, "top_k": 20, "unit": q[:100], "year": 1900}}),
            ("post", "/ask", {"json": {"question": q, "report_id": q[:200]}}),
            ("post", "/verify", {"json": {"claim": q}}),
            ("post", "/verify", {"json": {"claim": q[:400] + " 100万元"}}),
            ("get", "/search", {"params": {"q": q, "k": 50}}),
            ("get", "/search", {"params": {"q": "福利费", "report_id": q[:200]}}),
        ]:
            r = client.request(method, url, **kwargs)
            assert r.status_code < 500, (method, url, q, r.status_code, r.text[:300])
            if r.status_code >= 400:
                assert_error(r)
            elif url == "/ask":
                body = AskResponse.model_validate(r.json())
                for v in body.values:  # whatever is answered is cited
                    assert v.citation_id in {c.id for c in body.citations}


# ---------------------------------------------------------------- upload, rebuild, ask
def wait_for_job(c: TestClient, job_id: str, timeout: float = 420.0) -> dict:
    deadline = time.monotonic() + timeout
    seen_running = False
    while time.monotonic() < deadline:
        status = c.get("/index/status").json()
        job = next((j for j in status["jobs"] if j["job_id"] == job_id), None)
        if job and job["state"] in ("done", "failed"):
            return {"status": status, "job": job, "seen_running": seen_running}
        if status["state"] == "running":
            seen_running = True
            # queries keep being answered by the previous index meanwhile
            assert c.post("/ask", json={"question": WELFARE_Q}).json()["found"] is True
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {c.get('/index/status').json()}")


def test_upload_renamed_report_then_ask(service_index, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    index = tmp_path / "index"
    shutil.copytree(service_index, index)
    source = REPORTS["hanyang"]
    text = source.read_text(encoding="utf-8")
    assert text.count("汉阳区") > 5
    renamed = text.replace("汉阳区", "蔡甸区").encode("utf-8")
    name = "武汉市蔡甸区大数据中心_2021_部门决算.txt"
    question = "蔡甸区大数据中心2021年项目支出是多少"

    app = create_app(index, corpus, TOKEN)
    with TestClient(app) as c:
        before = c.post("/ask", json={"question": question}).json()
        assert before["found"] is False and before["values"] == []
        # without the token: refused, nothing stored
        assert_error(c.post("/reports", files={"file": (name, renamed, "text/plain")}), 401)
        assert not (corpus / name).exists()

        r = c.post("/reports", files={"file": (name, renamed, "text/plain")}, headers=ADMIN)
        assert r.status_code == 202, r.text
        accepted = r.json()
        assert accepted["stored_as"] == name and accepted["status"] == "stored"
        assert accepted["report"]["unit_name"] == "武汉市蔡甸区大数据中心" and accepted["report"]["year"] == 2021
        assert (corpus / name).read_bytes() == renamed

        done = wait_for_job(c, accepted["job_id"])
        assert done["job"]["state"] == "done", done["job"]
        summary = done["status"]["last_summary"]
        assert len(summary["added"]) == 1 and len(summary["unchanged"]) == 5 and not summary["changed"]
        reports = c.get("/reports").json()
        assert len(reports) == 6
        new = next(r for r in reports if r["region"] == "蔡甸区")
        assert new["report_id"] == summary["added"][0] and new["source_file"].endswith(name)
        assert 0 < summary["chunks_embedded"] <= new["chunks"]  # only the new report's texts were embedded

        after = c.post("/ask", json={"question": question}).json()
        assert after["found"] is True, after["answer"]
        v = after["values"][0]
        assert v["value"] == 2399.30 and v["unit"] == "万元" and v["report_id"] == new["report_id"]
        cite = next(x for x in after["citations"] if x["id"] == v["citation_id"])
        assert cite["unit_name"] == "武汉市蔡甸区大数据中心" and cite["source_file"].endswith(name)
        span = "\n".join(renamed.decode("utf-8").split("\n")[cite["line_start"] - 1:cite["line_end"]])
        assert "2399.30" in span.replace(",", "")
        # the original report still answers for its own unit
        hy = c.post("/ask", json={"question": "汉阳区大数据中心2021年项目支出是多少"}).json()
        assert hy["found"] is True and hy["values"][0]["value"] == 2399.30
        assert next(x for x in hy["citations"] if x["id"] == hy["values"][0]["citation_id"])["unit_name"] \
            == "武汉市汉阳区大数据中心"
        # the same file again changes nothing
        again = c.post("/reports", files={"file": (name, renamed, "text/plain")}, headers=ADMIN)
        assert again.status_code == 202 and again.json()["status"] == "unchanged"
        wait_for_job(c, again.json()["job_id"])


# ---------------------------------------------------------------- the page, in Chromium, on the real engine
CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_url(service_index):
    import uvicorn

    app = create_app(service_index, CORPUS, None)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing (apt-get install -y chromium)")
def test_page_answers_from_the_real_engine(live_url):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright python package is not installed")
    errors: list[str] = []
    foreign: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("request", lambda r: None if r.url.startswith(live_url) or r.url.startswith("data:")
                    else foreign.append(r.url))
            page.goto(live_url + "/")
            page.wait_for_selector("#ready-badge[data-ready='yes']")
            page.fill("#question", WELFARE_Q)
            page.press("#question", "Enter")
            page.wait_for_selector("#answer[data-found='true']")
            first = page.locator("[data-testid=value]").first
            assert first.locator("[data-testid=value-number]").inner_text() == "8.2"  # as the report writes it
            assert first.locator("[data-testid=value-unit]").inner_text() == "万元"
            assert "福利费" in first.locator("[data-testid=value-label]").inner_text()
            cite = page.locator("[data-testid=citation]").first
            assert "武汉市硚口区大数据中心" in cite.inner_text() and "福利费" in cite.inner_text()
            assert "8.2" in cite.locator("mark").all_inner_texts()
            cite.click()
            page.wait_for_selector("#passage:not([hidden])")
            page.wait_for_function("() => document.getElementById('passage').dataset.loading === 'false'")
            assert cite.get_attribute("aria-current") == "true"
            assert "8.2" in page.locator("#passage-text mark").all_inner_texts()
            meta = page.inner_text("#passage-meta")
            assert "武汉市硚口区大数据中心" in meta and "2024" in meta and "行" in meta
            page.wait_for_function("() => (document.getElementById('passage-prev-text').textContent + "
                                   "document.getElementById('passage-next-text').textContent).length > 10")
            # a question the reports cannot answer is shown as not found
            page.fill("#question", "青山区大数据中心2022年项目支出是多少")
            page.press("#question", "Enter")
            page.wait_for_selector("#answer[data-found='false']")
            assert page.inner_text("#answer-status") == "未找到"
            assert page.locator("#answer [data-testid=value]").count() == 0  # (the latest turn of the thread)
        finally:
            browser.close()
    assert not errors, errors
    assert not foreign, foreign
