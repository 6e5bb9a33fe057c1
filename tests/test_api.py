"""HTTP API (the `api` package) against the contract, with a fake engine and a fake index build."""
from __future__ import annotations

import dataclasses
import json
import re
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.uploads import clean_filename
from api.web import apidocs
from indexer.models import AskResponse, Citation
from indexer.settings import LIMITS

try:  # works whether or not tests/ is a package
    from tests.api_fakes import HY, FakeIndex
except ImportError:  # pragma: no cover
    from api_fakes import HY, FakeIndex

TOKEN = "s3cret-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
MAX_JSON_BYTES, MAX_UPLOAD_BYTES = LIMITS.max_json_bytes, LIMITS.max_upload_bytes
SAMPLE = sorted((Path(__file__).resolve().parent.parent / "corpus").glob("*汉阳区*.txt"))[0]


# ---------------------------------------------------------------- fixtures and helpers
class Harness:
    def __init__(self, tmp_path: Path, token=TOKEN, exists=True, use_default_build=False):
        self.corpus = tmp_path / "corpus"
        self.corpus.mkdir(exist_ok=True)
        self.index = tmp_path / "index"
        self.fake = FakeIndex(exists=exists)
        kwargs = {} if use_default_build else {"build_fn": self.fake.build}
        self.app = create_app(self.index, self.corpus, token, self.fake.loader, **kwargs)
        self.client = TestClient(self.app)

    def __enter__(self):
        self.client.__enter__()
        return self

    def __exit__(self, *exc):
        if self.fake.gate is not None:
            self.fake.gate.set()
        self.app.state.jobs.wait(10)
        self.client.__exit__(*exc)

    def wait_idle(self):
        assert self.app.state.jobs.wait(10), "background job did not finish"
        return self.client.get("/index/status").json()


@pytest.fixture
def h(tmp_path):
    with Harness(tmp_path) as harness:
        yield harness


def assert_error(resp, status=None, code=None):
    """A 4xx (or exactly `status`) with exactly the contract's error shape."""
    if status is not None:
        assert resp.status_code == status, (resp.status_code, resp.text)
    else:
        assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    body = resp.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def multipart(filename: str, data: bytes, field: str = "file", boundary: str = "ReportQAboundary7MA4YWxk"):
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode("utf-8")
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


def upload(client, filename: str, data: bytes, headers=ADMIN, query: str = ""):
    body, h = multipart(filename, data)
    return client.post("/reports" + query, content=body, headers={**h, **(headers or {})})


# ---------------------------------------------------------------- /ask
def test_ask_shape(h):
    r = h.client.post("/ask", json={"question": "  汉阳区大数据中心2021年项目支出多少  ", "top_k": 5})
    assert r.status_code == 200
    body = r.json()
    AskResponse.model_validate(body)
    assert set(body) >= {"question", "found", "answer", "values", "citations", "confidence", "timing_ms"}
    assert body["question"] == "汉阳区大数据中心2021年项目支出多少"  # trimmed
    assert body["found"] is True
    v = body["values"][0]
    assert v["value"] == 2399.30 and v["unit"] == "万元" and v["citation_id"] == "c1" and v["derived"] is False
    assert body["values"][1]["derived"] is True and body["values"][1]["formula"]
    c = body["citations"][0]
    assert set(c) >= {"id", "chunk_id", "report_id", "unit_name", "year", "source_file", "section", "kind",
                      "text", "line_start", "line_end", "score"}
    assert "2,399.30" in c["text"]
    assert "total" in body["timing_ms"]


def test_ask_passes_filters_and_top_k(h):
    r = h.client.post("/ask", json={"question": "项目支出", "top_k": 1, "report_id": HY, "year": 2021,
                                    "unit": " 汉阳区大数据中心 "})
    assert r.status_code == 200
    assert len(r.json()["citations"]) == 1
    engine = h.app.state.holder.get()
    assert engine.calls[-1] == ("ask", "项目支出", 1, HY, 2021, "汉阳区大数据中心")


def test_ask_default_top_k_and_extra_fields_ignored(h):
    r = h.client.post("/ask", json={"question": "项目支出", "something_new": 1})
    assert r.status_code == 200
    assert h.app.state.holder.get().calls[-1][2] == 5


def test_ask_not_found(h):
    r = h.client.post("/ask", json={"question": "硚口区2024年三公经费"})
    assert r.status_code == 200
    body = r.json()
    assert body["found"] is False and body["values"] == [] and body["answer"]


def test_ask_question_limits_are_after_trimming(h):
    assert h.client.post("/ask", json={"question": "  " + "问" * 500 + "\n "}).status_code == 200
    assert_error(h.client.post("/ask", json={"question": "问" * 501}), 422, "invalid_request")


BAD_ASK = [
    pytest.param(b"{not json", "application/json", 400, "invalid_json", id="malformed-json"),
    pytest.param(b'{"question": "x",}', "application/json", 400, "invalid_json", id="trailing-comma"),
    pytest.param(b"\xff\xfe\x00garbage", "application/json", 400, None, id="not-utf8"),
    pytest.param(b"", "application/json", 400, "missing_body", id="empty-body"),
    pytest.param(b"[1, 2]", "application/json", 422, "invalid_request", id="array-body"),
    pytest.param(b'"question"', "application/json", 422, "invalid_request", id="string-body"),
    pytest.param(b"null", "application/json", None, None, id="null-body"),
    pytest.param(b"{}", "application/json", 422, "invalid_request", id="missing-question"),
    pytest.param(b'{"question": ""}', "application/json", 422, "invalid_request", id="empty-question"),
    pytest.param(b'{"question": "   \\n\\t "}', "application/json", 422, "invalid_request", id="blank-question"),
    pytest.param(json.dumps({"question": "x" * 10_000}).encode(), "application/json", 422, "invalid_request",
                 id="10000-chars"),
    pytest.param(json.dumps({"question": "问" * 10_000}).encode(), "application/json", 422, "invalid_request",
                 id="10000-cjk-chars"),
    pytest.param(b'{"question": 123}', "application/json", 422, "invalid_request", id="question-int"),
    pytest.param(b'{"question": null}', "application/json", 422, "invalid_request", id="question-null"),
    pytest.param(b'{"question": ["a"]}', "application/json", 422, "invalid_request", id="question-list"),
    pytest.param(b'{"question": "x", "top_k": 0}', "application/json", 422, "invalid_request", id="top_k-0"),
    pytest.param(b'{"question": "x", "top_k": 21}', "application/json", 422, "invalid_request", id="top_k-21"),
    pytest.param(b'{"question": "x", "top_k": -3}', "application/json", 422, "invalid_request", id="top_k-negative"),
    pytest.param(b'{"question": "x", "top_k": "5"}', "application/json", 422, "invalid_request", id="top_k-string"),
    pytest.param(b'{"question": "x", "top_k": true}', "application/json", 422, "invalid_request", id="top_k-bool"),
    pytest.param(b'{"question": "x", "top_k": 2.5}', "application/json", 422, "invalid_request", id="top_k-float"),
    pytest.param(b'{"question": "x", "top_k": 1e400}', "application/json", None, None, id="top_k-huge"),
    pytest.param(b'{"question": "x", "year": "2021"}', "application/json", 422, "invalid_request", id="year-string"),
    pytest.param(b'{"question": "x", "report_id": 5}', "application/json", 422, "invalid_request", id="report_id-int"),
    pytest.param(b'{"question": "x"}', "text/plain", 415, "unsupported_media_type", id="text-plain"),
    pytest.param(b"question=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type", id="form"),
]


@pytest.mark.parametrize("body,ctype,status,code", BAD_ASK)
def test_ask_bad_requests(h, body, ctype, status, code):
    r = h.client.post("/ask", content=body, headers={"content-type": ctype})
    err = assert_error(r, status, code)
    assert "Traceback" not in err["message"]


def test_ask_messages_are_clear(h):
    err = assert_error(h.client.post("/ask", json={"question": "x" * 10_000}), 422)
    assert "question" in err["message"] and "500" in err["message"]
    err = assert_error(h.client.post("/ask", json={"question": "x", "top_k": 99}), 422)
    assert "top_k" in err["message"] and "20" in err["message"]
    err = assert_error(h.client.post("/ask", content=b"{", headers={"content-type": "application/json"}), 400)
    assert "JSON" in err["message"]


def test_json_body_size_limit(h):
    big = json.dumps({"question": "x", "pad": "y" * (MAX_JSON_BYTES + 10)}).encode()
    assert_error(h.client.post("/ask", content=big, headers={"content-type": "application/json"}), 413,
                 "payload_too_large")

    def chunks():  # no Content-Length: counted while it arrives
        yield b'{"question": "x", "pad": "'
        for _ in range(100):
            yield b"y" * 1024
        yield b'"}'

    assert_error(h.client.post("/ask", content=chunks(), headers={"content-type": "application/json"}), 413)
    assert_error(h.client.post("/verify", content=big, headers={"content-type": "application/json"}), 413)


def test_engine_exception_is_generic_500(h):
    r = h.client.post("/ask", json={"question": "boom"})
    assert r.status_code == 500
    err = r.json()["error"]
    assert err["code"] == "internal_error" and "secret" not in err["message"]
    assert h.client.get("/healthz").status_code == 200  # still alive


# ---------------------------------------------------------------- /search, /passages, /reports, /verify
def test_search_shape(h):
    r = h.client.get("/search", params={"q": "项目支出", "k": 2})
    assert r.status_code == 200
    body = r.json()
    assert isinstance(body, list) and len(body) == 2
    for c in body:
        Citation.model_validate(c)
    r = h.client.get("/search", params={"q": "基本工资", "report_id": HY})
    assert r.status_code == 200 and all(c["report_id"] == HY for c in r.json())
    assert h.app.state.holder.get().calls[-1] == ("search", "基本工资", 10, HY)


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "x", "k": 0}, {"q": "x", "k": 51},
                                    {"q": "x", "k": "abc"}, {"q": "x" * 600}, {"q": "x" * 5000}])
def test_search_bad_requests(h, params):
    assert_error(h.client.get("/search", params=params), 422, "invalid_request")


def test_passage_and_neighbours(h):
    r = h.client.get("/passages/hy-1")
    assert r.status_code == 200
    body = r.json()
    assert body["citation"]["chunk_id"] == "hy-1" and "2,399.30" in body["citation"]["text"]
    assert body["prev_chunk_id"] == "hy-0" and body["next_chunk_id"] == "hy-2"
    assert set(body["report"]) >= {"report_id", "unit_name", "region", "year", "source_file"}
    first = h.client.get("/passages/hy-0").json()
    assert first["prev_chunk_id"] is None


@pytest.mark.parametrize("chunk_id", ["nope", "x" * 400, "..%2F..%2Fetc%2Fpasswd", "a/b", "%00"])
def test_passage_unknown_is_404(h, chunk_id):
    assert_error(h.client.get(f"/passages/{chunk_id}"), 404, "not_found")


def test_reports_shape(h):
    r = h.client.get("/reports")
    assert r.status_code == 200
    for rep in r.json():
        assert set(rep) >= {"report_id", "unit_name", "region", "year", "source_file", "sections", "tables",
                            "rows", "chunks", "facts", "indexed_at"}


def test_verify(h):
    r = h.client.post("/verify", json={"claim": "  汉阳区大数据中心2021年项目支出2,399.30万元 "})
    assert r.status_code == 200
    body = r.json()
    assert body["claim"] == "汉阳区大数据中心2021年项目支出2,399.30万元"  # trimmed before the engine sees it
    assert h.app.state.holder.get().calls[-1] == ("verify", body["claim"])
    assert body["supported"] is True and body["numbers"][0]["status"] == "supported"
    assert body["numbers"][0]["value"] == 2399.30 and body["numbers"][0]["unit"] == "万元"
    Citation.model_validate(body["numbers"][0]["citations"][0])


def test_verify_contradicted_and_unknown(h):
    body = h.client.post("/verify", json={"claim": "项目支出9,999万元"}).json()
    assert body["supported"] is False
    n = body["numbers"][0]
    assert n["status"] == "contradicted" and n["stated"] == 2399.30 and n["value"] == 9999.0
    assert "2,399.30" in n["citations"][0]["text"]
    body = h.client.post("/verify", json={"claim": "青山区大数据中心2022年项目支出100万元"}).json()
    assert body["supported"] is None and body["numbers"] == [] and "青山区" in body["reason"]
    body = h.client.post("/verify", json={"claim": "汉阳区大数据中心2021年人数12人"}).json()
    assert body["supported"] is None and body["numbers"][0]["status"] == "not_found"
    assert body["numbers"][0]["citations"] == []


def test_verify_without_a_number_says_why(h):
    body = h.client.post("/verify", json={"claim": "汉阳区大数据中心今年项目支出很多"}).json()
    assert body["supported"] is None and body["numbers"] == [] and "no figure" in body["reason"]


def test_invisible_characters_are_dropped(h):
    r = h.client.post("/ask", json={"question": "\ufeff\u202e汉阳区\u200b大数据中心\u2066项目支出\x07"})
    assert r.status_code == 200 and r.json()["question"] == "汉阳区大数据中心项目支出"
    assert h.app.state.holder.get().calls[-1][1] == "汉阳区大数据中心项目支出"
    assert_error(h.client.post("/ask", json={"question": "\u200b\u200d\ufeff"}), 422, "invalid_request")


def test_verify_bad_requests(h):
    for bad in ({}, {"claim": ""}, {"claim": "  \n "}, {"claim": 5}, {"claim": None}, {"claim": ["x"]},
                {"claim": "x" * 1001}):
        assert_error(h.client.post("/verify", json=bad), 422, "invalid_request")
    assert_error(h.client.post("/verify", content=b"{", headers={"content-type": "application/json"}), 400,
                 "invalid_json")
    assert_error(h.client.post("/verify", content=b'{"claim": "x"}', headers={"content-type": "text/plain"}), 415)
    assert_error(h.client.get("/verify"), 405)


def test_verify_in_openapi(h):
    spec = h.client.get("/openapi.json").json()
    op = spec["paths"]["/verify"]["post"]
    assert "501" not in op["responses"]
    schema = spec["components"]["schemas"]["VerifyResponse"]
    assert {"claim", "supported", "numbers", "reason"} <= set(schema["properties"])
    number = spec["components"]["schemas"]["VerifiedNumber"]
    assert {"value", "unit", "status", "stated", "citations"} <= set(number["properties"])


# ---------------------------------------------------------------- health, readiness, missing index
def test_health_and_ready(h):
    assert h.client.get("/healthz").json() == {"status": "ok", "ready": True}
    r = h.client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready" and r.json()["version"] == "v-fake-1"


def test_missing_index_starts_and_reports_503(tmp_path):
    with Harness(tmp_path, exists=False) as hx:
        assert hx.client.get("/healthz").status_code == 200
        assert hx.client.get("/healthz").json()["ready"] is False
        err = assert_error(hx.client.get("/readyz"), 503, "index_not_ready")
        assert "reportqa index" in err["message"]
        err = assert_error(hx.client.post("/ask", json={"question": "项目支出"}), 503, "index_not_ready")
        assert "reportqa index" in err["message"]
        assert_error(hx.client.get("/search", params={"q": "x"}), 503)
        assert_error(hx.client.get("/reports"), 503)
        assert_error(hx.client.get("/passages/hy-1"), 503)
        assert_error(hx.client.post("/verify", json={"claim": "x"}), 503)
        status = hx.client.get("/index/status").json()
        assert status["ready"] is False and status["state"] == "idle" and "reportqa index" in status["last_error"]
        # a rebuild creates the index and the engine is loaded without a restart
        r = hx.client.post("/index/rebuild", headers=ADMIN)
        assert r.status_code == 202
        status = hx.wait_idle()
        assert status["ready"] is True and status["last_error"] is None
        assert hx.client.get("/readyz").status_code == 200
        assert hx.client.post("/ask", json={"question": "项目支出"}).json()["found"] is True


def test_loader_crash_at_startup_is_503_not_crash(tmp_path):
    def loader(index_dir):
        raise RuntimeError("disk on fire")

    app = create_app(tmp_path / "i", tmp_path / "c", TOKEN, loader)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        err = assert_error(client.get("/readyz"), 503)
        assert "reportqa index" in err["message"]


# ---------------------------------------------------------------- generic errors
def test_unknown_path_and_method(h):
    assert_error(h.client.get("/nope"), 404, "not_found")
    assert_error(h.client.get("/ask"), 405, "method_not_allowed")
    assert_error(h.client.delete("/reports"), 405)
    assert_error(h.client.put("/index/rebuild", headers=ADMIN), 405)


def test_no_cors(h):
    r = h.client.options("/ask", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in {k.lower() for k in r.headers}
    r = h.client.post("/ask", json={"question": "项目支出"}, headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in {k.lower() for k in r.headers}


def test_openapi_lists_every_endpoint(h):
    spec = h.client.get("/openapi.json").json()
    paths = spec["paths"]
    for path, method in [("/ask", "post"), ("/search", "get"), ("/passages/{chunk_id}", "get"),
                         ("/reports", "get"), ("/reports", "post"), ("/index/rebuild", "post"),
                         ("/index/status", "get"), ("/verify", "post"), ("/healthz", "get"), ("/readyz", "get")]:
        assert method in paths[path], (path, method)
    assert "multipart/form-data" in paths["/reports"]["post"]["requestBody"]["content"]
    assert h.client.get("/docs").status_code == 200


# ---------------------------------------------------------------- admin auth
ADMIN_CALLS = [("post", "/index/rebuild"), ("post", "/reports")]


@pytest.mark.parametrize("method,path", ADMIN_CALLS)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer "},
                                     {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"},
                                     {"Authorization": f"Bearer {TOKEN}x"}])
def test_admin_requires_token(h, method, path, headers):
    body, mh = multipart("a.txt", b"x")
    r = h.client.request(method, path, content=body, headers={**mh, **headers})
    assert_error(r, 401, "unauthorized")
    assert r.headers.get("www-authenticate", "").startswith("Bearer")
    assert not h.fake.builds and not any(h.corpus.iterdir())


@pytest.mark.parametrize("token", [None, ""])
@pytest.mark.parametrize("method,path", ADMIN_CALLS)
def test_admin_refused_without_configured_token(tmp_path, token, method, path):
    with Harness(tmp_path, token=token) as hx:
        body, mh = multipart("a.txt", b"x")
        for headers in ({}, {"Authorization": "Bearer anything"}, {"Authorization": "Bearer "}):
            err = assert_error(hx.client.request(method, path, content=body, headers={**mh, **headers}), 403,
                               "admin_disabled")
            assert "REPORTQA_ADMIN_TOKEN" in err["message"]
        assert not hx.fake.builds


# ---------------------------------------------------------------- rebuild and status
def test_rebuild_swaps_engine_and_reports_status(h):
    assert h.client.get("/index/status").json()["version"] == "v-fake-1"
    h.fake.gate = threading.Event()
    r = h.client.post("/index/rebuild", headers=ADMIN)
    assert r.status_code == 202
    job = r.json()["job_id"]
    assert r.json()["status_url"] == "/index/status"
    assert h.fake.started.wait(5)
    status = h.client.get("/index/status").json()
    assert status["state"] == "running" and status["job_id"] == job and status["stage"]
    # queries keep using the previous engine while the build runs
    assert h.client.post("/ask", json={"question": "项目支出"}).status_code == 200
    assert status["version"] == "v-fake-1"
    # one build at a time
    assert_error(h.client.post("/index/rebuild", headers=ADMIN), 409, "build_running")
    h.fake.gate.set()
    status = h.wait_idle()
    assert status["state"] == "idle" and status["version"] == "v-fake-2" and status["ready"] is True
    assert status["last_summary"]["chunks_total"] == 4 and status["last_error"] is None
    assert status["model"] == "fake-embed-model" and status["counts"]["chunks"] == 4
    assert status["jobs"][0]["job_id"] == job and status["jobs"][0]["state"] == "done"
    assert h.fake.builds[0]["full"] is False
    assert set(status) >= {"state", "job_id", "stage", "last_summary", "last_error", "model", "counts", "version"}


def test_rebuild_full_flag(h):
    assert h.client.post("/index/rebuild?full=true", headers=ADMIN).status_code == 202
    h.wait_idle()
    assert h.fake.builds[-1]["full"] is True
    assert_error(h.client.post("/index/rebuild?full=maybe", headers=ADMIN), 422)


def test_failed_build_keeps_old_engine(h):
    h.fake.fail_build = RuntimeError("parser crashed on x.txt")
    assert h.client.post("/index/rebuild", headers=ADMIN).status_code == 202
    status = h.wait_idle()
    assert status["state"] == "failed" and "parser crashed" in status["last_error"]
    assert status["jobs"][0]["state"] == "failed"
    assert status["version"] == "v-fake-1" and status["ready"] is True
    assert h.client.post("/ask", json={"question": "项目支出"}).status_code == 200
    h.fake.fail_build = None  # the next build recovers
    assert h.client.post("/index/rebuild", headers=ADMIN).status_code == 202
    assert h.wait_idle()["state"] == "idle"


def test_default_build_function_is_indexer_build(tmp_path, monkeypatch):
    import indexer.build

    with Harness(tmp_path, use_default_build=True) as hx:
        monkeypatch.setattr(indexer.build, "build_index", hx.fake.build)
        assert hx.client.post("/index/rebuild", headers=ADMIN).status_code == 202
        assert hx.wait_idle()["state"] == "idle"
        assert hx.fake.builds and hx.fake.builds[0]["corpus_dir"] == hx.corpus


# ---------------------------------------------------------------- uploads
def test_upload_stores_and_rebuilds(h):
    data = SAMPLE.read_bytes()
    r = upload(h.client, SAMPLE.name, data)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["stored_as"] == SAMPLE.name and body["status"] == "stored" and body["job_id"]
    assert body["status_url"] == "/index/status"
    assert body["report"].get("year") == 2021
    assert (h.corpus / SAMPLE.name).read_bytes() == data
    status = h.wait_idle()
    assert status["jobs"][0]["job_id"] == body["job_id"] and status["jobs"][0]["state"] == "done"
    assert h.fake.builds and SAMPLE.name in status["last_summary"]["added"]
    assert [p.name for p in h.corpus.iterdir()] == [SAMPLE.name]  # no temp files left behind


def test_upload_same_name_rules(h):
    first = b"\xe6\xb1\x89\xe9\x98\xb3\xe5\x8c\xba 2021 \xe5\xb9\xb4\xe5\xba\xa6\xe9\x83\xa8\xe9\x97\xa8\xe5\x86\xb3\xe7\xae\x97\n"
    assert upload(h.client, "r.txt", first).status_code == 202
    h.wait_idle()
    # same content again: nothing to overwrite
    r = upload(h.client, "r.txt", first)
    assert r.status_code == 202 and r.json()["status"] == "unchanged"
    h.wait_idle()
    # different content, same name: refused unless replace=true
    second = first + "第二版\n".encode()
    assert_error(upload(h.client, "r.txt", second), 409, "file_exists")
    assert (h.corpus / "r.txt").read_bytes() == first
    r = upload(h.client, "r.txt", second, query="?replace=true")
    assert r.status_code == 202 and r.json()["status"] == "replaced"
    assert (h.corpus / "r.txt").read_bytes() == second
    h.wait_idle()
    # the same file under another name is a duplicate
    assert_error(upload(h.client, "copy.txt", second), 409, "duplicate_content")
    assert sorted(p.name for p in h.corpus.iterdir()) == ["r.txt"]


def test_upload_while_building_is_queued(h):
    h.fake.gate = threading.Event()
    assert h.client.post("/index/rebuild", headers=ADMIN).status_code == 202
    assert h.fake.started.wait(5)
    r1 = upload(h.client, "a.txt", "报告甲\n".encode())
    r2 = upload(h.client, "b.txt", "报告乙\n".encode())
    assert r1.status_code == r2.status_code == 202
    assert r1.json()["queued"] and r1.json()["job_id"] == r2.json()["job_id"]
    assert h.client.get("/index/status").json()["queued_job_id"] == r1.json()["job_id"]
    h.fake.gate.set()
    status = h.wait_idle()
    assert len(h.fake.builds) == 2
    assert {j["job_id"]: j["state"] for j in status["jobs"]}[r1.json()["job_id"]] == "done"
    assert status["queued_job_id"] is None


def test_upload_too_large(h, monkeypatch):
    # declared size above the limit: refused before reading
    big = b"a" * (MAX_UPLOAD_BYTES + 1)
    assert_error(upload(h.client, "big.txt", big), 413, "file_too_large")
    # no Content-Length (chunked): refused while streaming
    small = dataclasses.replace(h.app.state.services.settings, limits=dataclasses.replace(LIMITS, max_upload_bytes=1000))
    monkeypatch.setattr(h.app.state, "services", dataclasses.replace(h.app.state.services, settings=small))
    body, mh = multipart("big.txt", b"b" * 5000)

    def chunks():
        for i in range(0, len(body), 512):
            yield body[i:i + 512]

    assert_error(h.client.post("/reports", content=chunks(), headers={**mh, **ADMIN}), 413, "file_too_large")
    assert not any(h.corpus.iterdir()) and not h.fake.builds


def test_upload_binary_named_txt(h):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20
    err = assert_error(upload(h.client, "report.txt", png), 422, "unreadable_file")
    assert "binary" in err["message"] or "二进制" in err["message"]
    zip_bytes = b"PK\x03\x04" + b"\x00" * 200
    assert_error(upload(h.client, "report.md", zip_bytes), 422)
    assert_error(upload(h.client, "report.pdf", "不是PDF".encode()), 422)
    assert not any(h.corpus.iterdir()) and not h.fake.builds


@pytest.mark.parametrize("name", ["../x.txt", "a/b.txt", "..\\x.txt", "a\\b.txt", "/etc/passwd.txt", "..",
                                  "../../corpus/x.txt", ".hidden.txt", ".txt", "x..txt", "x\x01.txt", " "])
def test_upload_bad_names(h, name):
    err = assert_error(upload(h.client, name, "文本\n".encode()))
    assert err["code"] in ("invalid_filename", "bad_upload", "unsupported_type")
    assert not any(h.corpus.iterdir()) and not any(h.corpus.parent.glob("*.txt")) and not h.fake.builds


def test_upload_nul_in_name(h):
    body, mh = multipart("x.txt", "文本\n".encode())
    body = body.replace(b'filename="x.txt"', b'filename="x\x00.txt"')
    assert_error(h.client.post("/reports", content=body, headers={**mh, **ADMIN}))
    assert not any(h.corpus.iterdir())


@pytest.mark.parametrize("name", ["report.docx", "report.exe", "report", "report.txt.sh", "report.html"])
def test_upload_unsupported_types(h, name):
    assert_error(upload(h.client, name, b"PK\x03\x04 docx"), 415, "unsupported_type")
    assert not any(h.corpus.iterdir())


def test_upload_request_shape_errors(h):
    # not multipart
    assert_error(h.client.post("/reports", json={"file": "x"}, headers=ADMIN), 415)
    assert_error(h.client.post("/reports", headers=ADMIN), 415)
    # multipart without the file field
    body, mh = multipart("a.txt", b"x", field="other")
    assert_error(h.client.post("/reports", content=body, headers={**mh, **ADMIN}), 400, "bad_upload")
    # broken multipart
    assert_error(h.client.post("/reports", content=b"garbage", headers={
        "content-type": "multipart/form-data; boundary=zzz", **ADMIN}), 400, "bad_upload")
    # empty file
    assert_error(upload(h.client, "empty.txt", b""), 400, "empty_file")
    # replace flag that is not a boolean
    assert_error(upload(h.client, "a.txt", b"x", query="?replace=perhaps"), 422)
    assert not any(h.corpus.iterdir())


def test_upload_with_httpx_files_and_sanitised_name(h):
    r = h.client.post("/reports", files={"file": ("汉阳 区<报告>:2021.TXT", "汉阳区 2021 年度\n".encode(), "text/plain")},
                      headers=ADMIN)
    assert r.status_code == 202, r.text
    assert r.json()["stored_as"] == "汉阳_区_报告_2021.txt"
    assert (h.corpus / "汉阳_区_报告_2021.txt").is_file()
    assert r.json()["warnings"]  # no unit or year recognised: said, not refused


def test_upload_browser_full_path_keeps_only_the_base_name(h):
    # old browsers send "C:\\fakepath\\r.txt"; the multipart parser keeps the last component
    r = upload(h.client, "C:\\fakepath\\r.txt", "正文\n".encode())
    assert r.status_code == 202 and r.json()["stored_as"] == "r.txt"
    assert [p.name for p in h.corpus.iterdir()] == ["r.txt"]


def test_upload_extended_filename_parameter_is_ignored(h):
    # RFC 7578 forbids filename*=…; a part with only that has no file name
    body, mh = multipart("x.txt", "正文\n".encode())
    body = body.replace(b'filename="x.txt"', b"filename*=UTF-8''%E6%8A%A5%E5%91%8A.md")
    assert_error(h.client.post("/reports", content=body, headers={**mh, **ADMIN}), 400)
    assert not any(h.corpus.iterdir())


def test_clean_filename_unit():
    assert clean_filename("武汉市汉阳区大数据中心_2021_部门决算.txt") == "武汉市汉阳区大数据中心_2021_部门决算.txt"
    assert clean_filename("  a b.PDF ") == "a_b.pdf"
    assert clean_filename("报告（2021）.md") == "报告（2021）.md"
    assert clean_filename("***.txt") == "upload.txt"
    assert len(clean_filename("长" * 300 + ".txt").encode()) <= 244


# ---------------------------------------------------------------- static files
def test_static_files(h):
    r = h.client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "决算问答" in r.text and "default-src 'self'" in r.headers["content-security-policy"]
    assert "http://" not in r.text.replace("http://evil", "") and "https://" not in r.text  # no CDN
    for name, ctype in [("app.js", "javascript"), ("style.css", "text/css")]:
        r = h.client.get(f"/static/{name}")
        assert r.status_code == 200 and ctype in r.headers["content-type"]
        assert "https://" not in r.text and "http://" not in r.text
    for path in ["/static/__init__.py", "/static/../app.py", "/static/%2e%2e%2fapp.py", "/static/..%2Fapp.py",
                 "/static/", "/static/index.html/..", "/app.py", "/web/app.js"]:
        r = h.client.get(path)
        assert r.status_code in (404, 405), (path, r.status_code)
        assert "def create_app" not in r.text


# ---------------------------------------------------------------- API documentation, offline
EXTERNAL = re.compile(r"""(?:https?:)?//[\w.-]+\.[a-z]{2,}|(?:src|href)\s*=\s*["']?//""", re.I)


def assert_self_contained(resp):
    assert resp.status_code == 200, resp.text[:300]
    assert resp.headers["content-type"].startswith("text/html")
    assert not EXTERNAL.search(resp.text), EXTERNAL.search(resp.text)
    csp = resp.headers["content-security-policy"]
    assert "default-src 'self'" in csp or "default-src 'none'" in csp
    assert "http" not in csp  # no other origin allowed


def test_docs_is_offline_swagger_ui(h):
    if apidocs.offline_assets_dir() is None:
        pytest.skip("fastapi-offline is not installed: /docs is the built-in reference (tested below)")
    r = h.client.get("/docs")
    assert_self_contained(r)
    assert "SwaggerUIBundle" in r.text and "/openapi.json" in r.text
    assert '"validatorUrl": null' in r.text  # Swagger UI would otherwise call an online validator
    srcs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert srcs and all(u.startswith("/docs/assets/") for u in srcs), srcs
    for url in srcs:
        asset = h.client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 1000, url
    assert "javascript" in h.client.get("/docs/assets/swagger-ui-bundle.js").headers["content-type"]
    assert h.client.head("/docs").status_code == 200


def test_docs_reference_without_swagger_assets(tmp_path, monkeypatch):
    monkeypatch.setattr(apidocs, "offline_assets_dir", lambda: None)
    with Harness(tmp_path) as hx:
        r = hx.client.get("/docs")
        assert_self_contained(r)
        assert "<script" not in r.text.lower()
        spec = hx.client.get("/openapi.json").json()
        for path, item in spec["paths"].items():  # every endpoint with its methods
            for method in item:
                assert f'id="op-{method}' in r.text and f">{method.upper()}<" in r.text
                assert f'<span class="path">{path}</span>' in r.text
        for schema in ("AskBody", "AskResponse", "Citation", "VerifyResponse", "VerifiedNumber", "ErrorResponse",
                       "IndexStatus", "UploadAccepted"):
            assert f'id="schema-{schema}"' in r.text, schema
        text = re.sub(r"<[^>]+>", " ", r.text)
        assert "top_k" in text and "≤20" in text and "default 5" in text  # parameters with limits
        assert "multipart/form-data" in text and "replace" in text  # the upload's body and query
        assert_error(hx.client.get("/docs/assets/swagger-ui-bundle.js"), 404)


@pytest.mark.parametrize("path", ["/redoc", "/docs/assets/core.py", "/docs/assets/..%2F__init__.py",
                                  "/docs/assets/", "/docs/assets/../../app.py", "/docs/oauth2-redirect"])
def test_docs_assets_only_by_name(h, path):
    r = h.client.get(path)
    assert r.status_code in (404, 405), (path, r.status_code)
    assert "import" not in r.text


def test_openapi_document(h):
    spec = h.client.get("/openapi.json").json()
    assert spec["info"]["title"].startswith("ReportQA")
    assert {"/ask", "/search", "/passages/{chunk_id}", "/reports", "/verify", "/index/rebuild", "/index/status",
            "/healthz", "/readyz"} <= set(spec["paths"])
    assert not any(p.startswith("/docs") or p.startswith("/static") for p in spec["paths"])


# ---------------------------------------------------------------- never a 500 for junk
def test_junk_requests_never_500(h):
    junk = [
        ("post", "/ask", {"content": b"\x00\x01\x02", "headers": {"content-type": "application/json"}}),
        ("post", "/ask", {"content": b'{"question": "\\ud800"}', "headers": {"content-type": "application/json"}}),
        ("post", "/ask", {"content": b'{"question": "x", "unit": "\\udfff"}',
                          "headers": {"content-type": "application/json"}}),
        ("post", "/verify", {"content": b'{"claim": "a\\ud800b"}', "headers": {"content-type": "application/json"}}),
        ("post", "/ask", {"content": b'{"question": {"$gt": ""}}', "headers": {"content-type": "application/json"}}),
        ("post", "/ask", {"content": b"9" * 5000, "headers": {"content-type": "application/json"}}),
        ("post", "/ask", {"content": b"[" * 3000, "headers": {"content-type": "application/json"}}),
        ("post", "/ask", {"content": b'{"question": "x", "year": 99999999999999999999999}',
                          "headers": {"content-type": "application/json"}}),
        ("post", "/ask", {"content": b'{"question": "x"}', "headers": {"content-type": "application/json",
                                                                      "content-length": "abc"}}),
        ("get", "/search?q=%FF%FE", {}),
        ("get", "/search?q=x&k=99999999999999999999999", {}),
        ("get", "/search?q=x&k=-1", {}),
        ("get", "/passages/" + "%E4" * 10, {}),
        ("post", "/verify", {"content": b"{}}", "headers": {"content-type": "application/json"}}),
        ("get", "/index/status?junk=1", {}),
        ("post", "/reports", {"content": b"--b\r\n\r\n", "headers": {"content-type": "multipart/form-data; boundary=b",
                                                                    **ADMIN}}),
        ("post", "/reports", {"content": b"x", "headers": {"content-type": "multipart/form-data", **ADMIN}}),
    ]
    for method, url, kwargs in junk:
        try:
            r = h.client.request(method, url, **kwargs)
        except Exception:  # the client itself refused to send it: nothing reached the server
            continue
        assert r.status_code < 500, (method, url, r.status_code, r.text)
        if r.status_code >= 400:
            assert_error(r)


def test_head_requests_for_probes_and_page(h):
    for path in ("/healthz", "/readyz", "/", "/static/app.js"):
        r = h.client.head(path)
        assert r.status_code == 200, path


# ---------------------------------------------------------------- conversations: history and choices
def test_ask_passes_history(h):
    history = ["  汉阳区大数据中心2021年项目支出多少 ", "\u200b基本支出呢"]
    r = h.client.post("/ask", json={"question": "那么人员经费呢", "history": history})
    assert r.status_code == 200, r.text
    engine = h.app.state.holder.get()
    assert engine.histories[-1] == ["汉阳区大数据中心2021年项目支出多少", "基本支出呢"]  # cleaned like questions
    h.client.post("/ask", json={"question": "项目支出"})
    h.client.post("/ask", json={"question": "项目支出", "history": []})
    assert engine.histories[-2:] == [None, None]


@pytest.mark.parametrize("history", [
    pytest.param(["问题"] * 11, id="eleven"),
    pytest.param(["  "], id="blank-entry"),
    pytest.param([""], id="empty-entry"),
    pytest.param(["问" * 501], id="entry-too-long"),
    pytest.param("汉阳区大数据中心", id="string-not-list"),
    pytest.param([1], id="int-entry"),
    pytest.param([None], id="null-entry"),
    pytest.param({"q": "x"}, id="object"),
    pytest.param(["\ud800"], id="lone-surrogate"),
])
def test_ask_bad_history(h, history):
    raw = json.dumps({"question": "项目支出", "history": history})  # (ASCII escapes carry the lone surrogate)
    r = h.client.post("/ask", content=raw, headers={"content-type": "application/json"})
    assert "history" in assert_error(r, 422, "invalid_request")["message"]


def test_ask_history_limits_stated(h):
    assert h.client.post("/ask", json={"question": "x", "history": ["问" * 500] * 10}).status_code == 200
    err = assert_error(h.client.post("/ask", json={"question": "x", "history": ["问"] * 11}), 422)
    assert "10" in err["message"]
    spec = h.client.get("/openapi.json").json()
    prop = spec["components"]["schemas"]["AskBody"]["properties"]["history"]
    assert "10" in prop["description"] and "500" in prop["description"]


def test_ask_ambiguous_question_offers_choices(h):
    body = h.client.post("/ask", json={"question": "大数据中心的项目支出"}).json()
    assert body["found"] is False and body["values"] == []
    assert [c["report_id"] for c in body["choices"]] == [HY, "武汉市武昌区大数据中心-2019"]
    assert set(body["choices"][0]) >= {"report_id", "unit_name", "year"}
    picked = h.client.post("/ask", json={"question": "大数据中心的项目支出", "report_id": HY}).json()
    assert picked["found"] is True and picked["choices"] == []


# ---------------------------------------------------------------- report management
def test_reports_list_aliases_and_metadata_source(h):
    reports = h.client.get("/reports").json()
    for rep in reports:
        assert set(rep) >= {"aliases", "metadata_source", "source_file"}
        assert not rep["source_file"].startswith("/")
    assert reports[0]["aliases"] == ["汉阳区大数据中心"] and reports[0]["metadata_source"]["unit_name"] == "text"


class FakeRegistry:
    """Stands in for `indexer.registry` (monkeypatched): known ids, stored corrections, removals."""

    def __init__(self, corpus: Path):
        self.ids = {HY: "汉阳.txt"}
        self.overrides: dict = {}
        self.calls: list[tuple] = []
        (corpus / "汉阳.txt").write_text("正文\n", encoding="utf-8")

    def set_override(self, corpus_dir, report_id, fields):
        self.calls.append(("set_override", corpus_dir, report_id, fields))
        if report_id not in self.ids:
            raise KeyError(report_id)
        merged = {**self.overrides.get(report_id, {}), **fields}
        self.overrides[report_id] = {k: v for k, v in merged.items() if v is not None}
        return dict(self.overrides[report_id])

    def remove_report(self, corpus_dir, report_id):
        self.calls.append(("remove_report", corpus_dir, report_id))
        if report_id not in self.ids:
            raise KeyError(report_id)
        rel = self.ids.pop(report_id)
        (Path(corpus_dir) / rel).unlink()
        return rel

    def known_ids(self, corpus_dir):
        return dict(self.ids)


@pytest.fixture
def registry(h, monkeypatch):
    import indexer.registry

    fake = FakeRegistry(h.corpus)
    for name in ("set_override", "remove_report", "known_ids"):
        monkeypatch.setattr(indexer.registry, name, getattr(fake, name))
    return fake


def test_patch_report_stores_correction_and_rebuilds(h, registry):
    r = h.client.patch(f"/reports/{HY}", json={"unit_name": " 武汉市汉阳区数据局 ", "year": 2021,
                                                "aliases": ["汉阳数据局", "汉阳数据局", " 数据局 "]}, headers=ADMIN)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["report_id"] == HY and body["job_id"] and body["status_url"] == "/index/status"
    assert body["override"] == {"unit_name": "武汉市汉阳区数据局", "year": 2021, "aliases": ["汉阳数据局", "数据局"]}
    assert registry.calls[-1] == ("set_override", h.corpus, HY, body["override"])
    status = h.wait_idle()
    assert status["jobs"][0]["job_id"] == body["job_id"] and status["jobs"][0]["state"] == "done"
    assert status["jobs"][0]["full"] is False and len(h.fake.builds) == 1
    # null drops a field's correction
    r = h.client.patch(f"/reports/{HY}", json={"year": None}, headers=ADMIN)
    assert r.status_code == 202 and registry.calls[-1][3] == {"year": None} and "year" not in r.json()["override"]
    h.wait_idle()


def test_delete_report_removes_file_and_rebuilds(h, registry):
    r = h.client.delete(f"/reports/{HY}", headers=ADMIN)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["report_id"] == HY and body["removed"] == "汉阳.txt" and body["job_id"]
    assert not (h.corpus / "汉阳.txt").exists()
    assert h.wait_idle()["jobs"][0]["job_id"] == body["job_id"]
    assert_error(h.client.delete(f"/reports/{HY}", headers=ADMIN), 404, "not_found")  # gone now


def test_unknown_report_is_404(h, registry):
    assert_error(h.client.patch("/reports/nope", json={"region": "汉阳区"}, headers=ADMIN), 404, "not_found")
    assert_error(h.client.delete("/reports/nope", headers=ADMIN), 404, "not_found")
    assert not h.fake.builds


@pytest.mark.parametrize("body", [
    {}, {"unit": "x"}, {"unit_name": ""}, {"unit_name": "   "}, {"unit_name": 5}, {"unit_name": "单" * 101},
    {"region": "区" * 51}, {"year": "2021"}, {"year": 1800}, {"year": 2101}, {"year": True}, {"year": 20.5},
    {"aliases": "汉阳"}, {"aliases": [""]}, {"aliases": ["名" * 51]}, {"aliases": ["a"] * 21}, {"aliases": [3]},
])
def test_patch_report_bad_bodies(h, registry, body):
    assert_error(h.client.patch(f"/reports/{HY}", json=body, headers=ADMIN), 422, "invalid_request")
    assert not registry.calls and not h.fake.builds


def test_patch_report_request_shape_errors(h, registry):
    assert_error(h.client.patch(f"/reports/{HY}", content=b"{", headers={**ADMIN, "content-type": "application/json"}),
                 400, "invalid_json")
    assert_error(h.client.patch(f"/reports/{HY}", content=b'{"year": 2021}',
                                headers={**ADMIN, "content-type": "text/plain"}), 415)
    assert_error(h.client.patch(f"/reports/{HY}", headers=ADMIN), 400, "missing_body")
    assert_error(h.client.put(f"/reports/{HY}", json={"year": 2021}, headers=ADMIN), 405)
    assert not registry.calls


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_report_management_needs_the_token(h, registry, method):
    kwargs = {"json": {"year": 2021}} if method == "patch" else {}
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        assert_error(h.client.request(method, f"/reports/{HY}", headers=headers, **kwargs), 401, "unauthorized")
    assert not registry.calls and (h.corpus / "汉阳.txt").exists()


def test_report_management_in_openapi(h):
    paths = h.client.get("/openapi.json").json()["paths"]
    assert {"patch", "delete"} <= set(paths["/reports/{report_id}"])
    assert "404" in paths["/reports/{report_id}"]["delete"]["responses"]


def test_upload_of_an_indexed_unit_and_year_warns(h):
    data = SAMPLE.read_bytes()
    r = upload(h.client, "另一份汉阳报告.txt", data)
    assert r.status_code == 202, r.text
    warnings = [w for w in r.json()["warnings"] if HY in w]
    assert len(warnings) == 1 and "已索引同一单位同一年度" in warnings[0] and "same unit and year" in warnings[0]
    h.wait_idle()
    # the same file name again (a new version of that report) is not a duplicate of itself
    r = upload(h.client, "武汉市汉阳区大数据中心_2021_部门决算.txt", data + "\n".encode(), query="?replace=true")
    assert not [w for w in r.json()["warnings"] if HY in w]


def test_engine_and_fake_implement_the_protocol():
    import inspect

    from retriever.engine import Engine
    from retriever.protocol import ReportEngine

    try:
        from tests.api_fakes import FakeEngine
    except ImportError:  # pragma: no cover
        from api_fakes import FakeEngine
    assert isinstance(FakeEngine(), ReportEngine)
    for name in ("ask", "search", "passage", "reports", "verify", "stats"):
        want = inspect.signature(getattr(ReportEngine, name))
        for cls in (Engine, FakeEngine):
            got = inspect.signature(getattr(cls, name))
            assert list(got.parameters) == list(want.parameters), (cls.__name__, name, got)
            assert got.return_annotation == want.return_annotation, (cls.__name__, name, got)
