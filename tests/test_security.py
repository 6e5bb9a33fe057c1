"""Security properties of the service (issue 7, part 4); the threat model is docs/reliability.md.

* the admin token is compared in constant time (hmac.compare_digest; no `==` on it anywhere) and
  never echoed or logged; every data-changing route needs it; without a configured token every
  one of them is refused (403);
* uploads: size limit enforced while the body streams in (nothing beyond the limit is read),
  type limit, stored names sanitised (property test over arbitrary names), never written through
  a symlink or outside the corpus;
* static files: only the named files of api/web (and the fixed offline docs assets); traversal
  attempts on every static route fail;
* JSON request bodies are limited (declared and chunked);
* no CORS headers, whatever the Origin;
* nothing from outside is unpickled or evaluated: a code scan (AST) of api/, indexer/, retriever/
  for pickle/marshal/shelve/dill/joblib, eval/exec, torch.load without weights_only, numpy/bm25s
  loads with allow_pickle=True, yaml.load, shell=True, trust_remote_code; and a pickle payload
  planted in the index files is never executed;
* the index directory's files are verified (sha256 against the manifest) before any is opened.
"""
from __future__ import annotations

import ast
import hmac
import io
import logging
import os
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapi.routing import iter_route_contexts

import api.dependencies as deps_module
from api.app import create_app
from api.errors import ApiError
from api.routers.web import WEB_DIR, WEB_FILES
from api.uploads import clean_filename
from indexer.settings import LIMITS
from conftest import REPORTS, ROOT, HashEmbedder

try:  # works whether or not tests/ is a package
    from tests.api_fakes import FakeIndex
except ImportError:  # pragma: no cover
    from api_fakes import FakeIndex

TOKEN = "sec-Token-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
MAX_JSON_BYTES, MAX_UPLOAD_BYTES, UPLOAD_SUFFIXES = LIMITS.max_json_bytes, LIMITS.max_upload_bytes, \
    LIMITS.upload_suffixes
CODE_DIRS = [ROOT / "api", ROOT / "indexer", ROOT / "retriever"]
SAMPLE = REPORTS["hanyang"].read_bytes()


def multipart(filename: str, data: bytes, boundary: str = "SecBoundary7MA4YWxk") -> tuple[bytes, dict]:
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode("utf-8")
    return head + data + f"\r\n--{boundary}--\r\n".encode(), \
        {"content-type": f"multipart/form-data; boundary={boundary}"}


class Svc:
    def __init__(self, tmp_path: Path, token=TOKEN):
        self.corpus = tmp_path / "corpus"
        self.corpus.mkdir(exist_ok=True)
        self.fake = FakeIndex()
        self.app = create_app(tmp_path / "index", self.corpus, token, self.fake.loader, build_fn=self.fake.build)
        self.client = TestClient(self.app)

    def __enter__(self):
        self.client.__enter__()
        return self

    def __exit__(self, *exc):
        self.app.state.jobs.wait(10)
        self.client.__exit__(*exc)


@pytest.fixture
def svc(tmp_path):
    with Svc(tmp_path) as s:
        yield s


def _write_routes(app) -> list[tuple[str, str]]:
    """Every (method, path) that may change data: any non-GET/HEAD route except the two read-only queries."""
    out = []
    for route in iter_route_contexts(app.routes):  # (routers are included lazily)
        methods = route.methods or set()
        for m in sorted(methods - {"GET", "HEAD", "OPTIONS"}):
            if (m, route.path) not in {("POST", "/ask"), ("POST", "/verify")}:
                out.append((m, route.path))
    return out


# ---------------------------------------------------------------- admin token
def _functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name: n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def test_token_compared_in_constant_time_in_code():
    fn = _functions(ROOT / "api" / "dependencies.py")["require_admin"]
    calls = [n for n in ast.walk(fn) if isinstance(n, ast.Call)]
    assert any(ast.unparse(c.func) == "hmac.compare_digest" for c in calls), ast.unparse(fn)
    # no ordinary comparison involves the token anywhere in the package
    src = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "api").rglob("*.py")))
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn))
                                                 for op in node.ops):
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            assert not names & {"token", "given", "admin_token"}, ast.unparse(node)
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith(("startswith", "endswith")):
            assert "token" not in ast.unparse(node), ast.unparse(node)


def test_token_compared_in_constant_time_at_run_time(svc, monkeypatch):
    seen = []
    real = hmac.compare_digest

    def spy(a, b):
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(deps_module.hmac, "compare_digest", spy)
    assert svc.client.post("/index/rebuild", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert svc.client.post("/index/rebuild", headers={"Authorization": f"Bearer {TOKEN[:-1]}"}).status_code == 401
    assert svc.client.post("/index/rebuild", headers=ADMIN).status_code == 202
    assert len(seen) == 3 and all(b == TOKEN.encode() for _, b in seen)


@pytest.mark.parametrize("auth", ["Bearer  " + TOKEN + "  ", "bearer " + TOKEN, "BEARER " + TOKEN])
def test_token_scheme_case_and_padding(svc, auth):
    assert svc.client.post("/index/rebuild", headers={"Authorization": auth}).status_code == 202
    svc.app.state.jobs.wait(10)


@pytest.mark.parametrize("auth", ["Bearer " + TOKEN.lower(), "Bearer " + TOKEN + "x", "Bearer " + TOKEN[1:],
                                  "Token " + TOKEN, TOKEN, "Bearer", "Bearer \t", "Basic " + TOKEN,
                                  "Bearer 令牌".encode("utf-8").decode("latin-1"), "Bearer " + "A" * 5000])
def test_wrong_tokens_are_401_and_change_nothing(svc, auth):
    for method, path in _write_routes(svc.app):
        body, mh = multipart("a.txt", SAMPLE)
        r = svc.client.request(method, path, content=body, headers={**mh, "Authorization": auth.encode("latin-1")})
        assert r.status_code == 401, (method, path, r.status_code, r.text)
        assert r.headers["www-authenticate"].startswith("Bearer")
    assert not any(svc.corpus.iterdir()) and not svc.fake.builds


def test_every_data_changing_route_needs_the_token(svc):
    routes = _write_routes(svc.app)
    assert {("POST", "/reports"), ("POST", "/index/rebuild")} <= set(routes), routes
    for method, path in routes:
        r = svc.client.request(method, path.replace("{", "").replace("}", ""))
        assert r.status_code in (401, 405), (method, path, r.status_code)


@pytest.mark.parametrize("configured", [None, ""])
def test_admin_refused_without_a_configured_token(tmp_path, configured):
    with Svc(tmp_path, token=configured) as s:
        for method, path in _write_routes(s.app):
            for headers in ({}, ADMIN, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"},
                            {"Authorization": "Bearer null"}):
                body, mh = multipart("a.txt", SAMPLE)
                r = s.client.request(method, path, content=body, headers={**mh, **headers})
                assert r.status_code == 403, (method, path, headers, r.status_code)
                assert r.json()["error"]["code"] == "admin_disabled"
        assert not any(s.corpus.iterdir()) and not s.fake.builds


def test_token_never_echoed_or_logged(svc, caplog):
    caplog.set_level(logging.DEBUG)
    responses = [svc.client.post("/index/rebuild", headers={"Authorization": f"Bearer {TOKEN}x"}),
                 svc.client.post("/index/rebuild", headers=ADMIN),
                 svc.client.get("/index/status"), svc.client.get("/openapi.json")]
    svc.app.state.jobs.wait(10)
    for r in responses:
        assert TOKEN not in r.text
    assert TOKEN not in caplog.text


# ---------------------------------------------------------------- uploads
def asgi_call(app, method: str, raw_path: str, headers: dict, chunks=(b"",)) -> tuple[int, dict, bytes, int]:
    """One request straight into the ASGI app, exactly as a server passes it (no client-side URL
    normalisation); returns (status, headers, body, request bytes the app pulled)."""
    import asyncio
    from urllib.parse import unquote

    chunks = list(chunks)
    pulled = {"n": 0, "bytes": 0}
    out = {"status": None, "headers": {}, "body": b""}

    async def receive():
        i = pulled["n"]
        if i >= len(chunks):
            await asyncio.sleep(3600)  # a client that sends nothing more
        pulled["n"] += 1
        pulled["bytes"] += len(chunks[i])
        return {"type": "http.request", "body": chunks[i], "more_body": i < len(chunks) - 1}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    path, _, query = raw_path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": unquote(path), "raw_path": path.encode("utf-8"), "query_string": query.encode("utf-8"),
             "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
             "headers": [(b"host", b"127.0.0.1:8000")] + [(k.lower().encode("latin-1"), v.encode("latin-1"))
                                                          for k, v in headers.items()]}
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 60))
    return out["status"], out["headers"], out["body"], pulled["bytes"]


def test_upload_size_limit_enforced_while_streaming(svc):
    """A chunked body with no Content-Length: the app stops reading right after the limit is passed."""
    body, mh = multipart("big.txt", b"a" * (MAX_UPLOAD_BYTES + 5 * 1024 * 1024))
    size = 256 * 1024
    status, _, resp, pulled = asgi_call(svc.app, "POST", "/reports", {**mh, **ADMIN},
                                        [body[i:i + size] for i in range(0, len(body), size)])
    assert status == 413 and b"file_too_large" in resp, resp
    assert pulled <= MAX_UPLOAD_BYTES + LIMITS.max_upload_overhead + size, pulled
    assert pulled < len(body) - 4 * 1024 * 1024
    assert not any(svc.corpus.iterdir()) and not svc.fake.builds


def test_upload_declared_too_large_is_refused_before_reading(svc):
    status, _, _, pulled = asgi_call(svc.app, "POST", "/reports", {
        "content-type": "multipart/form-data; boundary=b", "content-length": str(MAX_UPLOAD_BYTES * 2), **ADMIN},
        [b"x" * 1024] * 4)
    assert status == 413 and pulled == 0, (status, pulled)
    assert not any(svc.corpus.iterdir())


def test_upload_at_the_limit_is_accepted(svc):
    data = SAMPLE + b" " * (MAX_UPLOAD_BYTES - len(SAMPLE))  # (a 20 MB file of short lines parses for minutes)
    body, mh = multipart("exact.txt", data)
    r = svc.client.post("/reports", content=body, headers={**mh, **ADMIN})
    assert r.status_code == 202, r.text[:300]
    assert (svc.corpus / "exact.txt").stat().st_size == MAX_UPLOAD_BYTES


@pytest.mark.parametrize("name,data,status", [
    ("report.exe", SAMPLE, 415), ("report.html", b"<script>alert(1)</script>", 415), ("report.svg", b"<svg/>", 415),
    ("report.docx", b"PK\x03\x04", 415), ("report.txt.py", b"import os", 415), ("report.PHP", b"<?php", 415),
    ("report", SAMPLE, 415), ("report.txt", b"\x7fELF\x02\x01\x01" + bytes(300), 422),
    ("report.pdf", b"not a pdf at all", 422), ("report.md", b"\x89PNG\r\n\x1a\n" + bytes(300), 422),
    ("report.txt", bytes(range(256)) * 64, 422),
])
def test_upload_type_limits(svc, name, data, status):
    body, mh = multipart(name, data)
    r = svc.client.post("/reports", content=body, headers={**mh, **ADMIN})
    assert r.status_code == status, (name, r.status_code, r.text[:200])
    assert not any(svc.corpus.iterdir()) and not svc.fake.builds


@settings(max_examples=300, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.one_of(
    st.text(max_size=300),
    st.builds(lambda a, b: a + b, st.text(alphabet="./\\:~%$*?\"<>|\x00\u202e\u200b 　-_(（", max_size=20),
              st.sampled_from([".txt", ".md", ".pdf", ".TXT", ".markdown", ".txt.", ".pdf ", ""]))))
def test_clean_filename_property(raw):
    """Any name: refused with a 4xx, or a plain file name with an allowed suffix inside the corpus."""
    corpus = Path("/srv/corpus")
    try:
        name = clean_filename(raw)
    except ApiError as exc:
        assert 400 <= exc.status < 500
        return
    assert name and name == name.strip() and not name.startswith(".")
    assert "/" not in name and "\\" not in name and "\x00" not in name and ".." not in name
    assert os.path.splitext(name)[1] in UPLOAD_SUFFIXES
    assert all(ch.isalnum() or ch in "-_.()（）【】[]·+，,、" for ch in name), name
    assert len(name.encode("utf-8")) <= 244
    assert (corpus / name).parent == corpus and os.path.normpath(corpus / name).startswith(str(corpus) + os.sep)


@pytest.mark.parametrize("raw", ["../../../../tmp/evil.txt", "..\\..\\evil.txt", "/etc/cron.d/evil.txt",
                                 "C:\\Windows\\evil.txt", "%2e%2e%2fevil.txt", "evil.txt\x00.pdf",
                                 "\u202etxt.exe", "evil\u200b.txt", "CON.txt", "a" * 400 + ".txt",
                                 "report;rm -rf ~.txt", "报告$(id).md", "..txt"])
def test_upload_names_never_escape_the_corpus(svc, tmp_path, raw):
    before = {p for p in tmp_path.rglob("*")}
    body, mh = multipart(raw, SAMPLE)
    r = svc.client.post("/reports", content=body, headers={**mh, **ADMIN})
    assert r.status_code in (202, 400, 415), (raw, r.status_code, r.text[:200])
    created = {p for p in tmp_path.rglob("*")} - before
    for p in created:
        assert p.parent == svc.corpus or svc.corpus not in p.parents and "index" in p.parts, p
    if r.status_code == 202:
        stored = r.json()["stored_as"]
        assert (svc.corpus / stored).is_file() and clean_filename(stored) == stored
        assert all(ch not in stored for ch in "/\\$;\x00\u202e\u200b"), stored
    svc.app.state.jobs.wait(10)


def test_upload_never_writes_through_a_symlink(svc, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("do not touch", encoding="utf-8")
    (svc.corpus / "link.txt").symlink_to(outside)
    for query in ("", "?replace=true"):
        body, mh = multipart("link.txt", SAMPLE)
        r = svc.client.post("/reports" + query, content=body, headers={**mh, **ADMIN})
        assert r.status_code == 409, r.text
    assert outside.read_text(encoding="utf-8") == "do not touch"


# ---------------------------------------------------------------- static files
TRAVERSALS = ["../app.py", "..%2fapp.py", "%2e%2e/app.py", "%2e%2e%2fapp.py", "..%5capp.py", "..\\app.py",
              "....//app.py", "%252e%252e%252fapp.py", "/etc/passwd", "%2fetc%2fpasswd", "..%2f..%2f..%2fetc%2fpasswd",
              "app.js%00.html", "app.js/../../app.py", "__init__.py", "apidocs.py", "index.html/..", ".",
              "..", "%2e", "%2e%2e", "%C0%AE%C0%AE%2Fapp.py", "\uff0e\uff0e\uff0fapp.py", "app.js?x=../../app.py",
              "APP.JS", "app.js.", "app.js%20", "style.css::$DATA", "web/app.js", "~/.ssh/id_rsa"]
STATIC_PREFIXES = ["/static/", "/docs/assets/", "/", "/docs/", "/static/web/", "/api/web/"]
SECRETS = ["def create_app", "root:x:0:0", "import ", "from __future__", "BEGIN OPENSSH"]


def _served_files() -> set[bytes]:
    from api.web import apidocs

    served = {(WEB_DIR / name).read_bytes() for name in WEB_FILES}
    assets = apidocs.offline_assets_dir()
    if assets is not None:
        served |= {(assets / name).read_bytes() for name in apidocs.ASSETS if (assets / name).is_file()}
    return served


def _assert_only_web_content(where: str, status: int, body: bytes) -> None:
    assert status in (200, 400, 404, 405), (where, status)
    if status == 200:  # e.g. a client that normalised "/static/.." to "/": a page of api/web, nothing else
        assert body in _served_files() or where.startswith("/docs"), where
    text = body.decode("utf-8", errors="replace")
    for secret in SECRETS:
        assert secret not in text, (where, secret)


def test_static_files_only_from_the_web_folder(svc):
    for prefix in STATIC_PREFIXES:
        for attack in TRAVERSALS:
            r = svc.client.get(prefix + attack)
            _assert_only_web_content(prefix + attack, r.status_code, r.content)
    # exactly the named files are served, each identical to its file in api/web
    for name in WEB_FILES:
        r = svc.client.get(f"/static/{name}")
        assert r.status_code == 200 and r.content == (WEB_DIR / name).read_bytes(), name
        assert r.headers["x-content-type-options"] == "nosniff"
    others = [p.name for p in WEB_DIR.iterdir() if p.is_file() and p.name not in WEB_FILES]
    assert others, "api/web should hold files that are not served (e.g. __init__.py)"
    for name in others:
        assert svc.client.get(f"/static/{name}").status_code == 404, name


def test_static_traversal_with_raw_paths(svc):
    """Paths exactly as `curl --path-as-is` sends them (no client normalises the dots away)."""
    for prefix in STATIC_PREFIXES:
        for attack in TRAVERSALS + ["../../../../../../etc/passwd", "..//..//app.py", "./app.js/../../app.py"]:
            status, headers, body, _ = asgi_call(svc.app, "GET", prefix + attack, {})
            _assert_only_web_content(prefix + attack, status, body)
            if status == 200:  # only the query-string case reaches a file: app.js itself
                assert "?" in attack and body == (WEB_DIR / "app.js").read_bytes(), (prefix + attack, status)


def test_static_routes_are_only_the_known_ones(svc):
    from starlette.routing import Mount

    assert not [r for r in svc.app.routes if isinstance(r, Mount)], "no directory is mounted"
    file_routes = {r.path for r in iter_route_contexts(svc.app.routes) if "{" in (r.path or "") and
                   r.path not in ("/passages/{chunk_id}", "/passages/{chunk_id:path}", "/reports/{report_id}")}
    assert file_routes <= {"/static/{name}", "/docs/assets/{name}"}, file_routes


# ---------------------------------------------------------------- request bodies, CORS
@pytest.mark.parametrize("path", ["/ask", "/verify", "/index/rebuild"])
def test_json_body_limit_declared_and_chunked(svc, path):
    big = b'{"question": "' + b"a" * (MAX_JSON_BYTES + 10) + b'"}'
    r = svc.client.post(path, content=big, headers={"content-type": "application/json", **ADMIN})
    assert r.status_code == 413, (path, r.status_code)

    def chunks():
        for i in range(0, len(big), 4096):
            yield big[i:i + 4096]

    r = svc.client.post(path, content=chunks(), headers={"content-type": "application/json", **ADMIN})
    assert r.status_code == 413, (path, r.status_code)
    assert not svc.fake.builds


@pytest.mark.parametrize("method,path", [("options", "/ask"), ("post", "/ask"), ("get", "/search?q=x"),
                                         ("options", "/reports"), ("get", "/reports"), ("get", "/"),
                                         ("options", "/index/rebuild"), ("get", "/openapi.json")])
@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:8000"])
def test_no_cors_headers(svc, method, path, origin):
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "authorization,content-type"}
    kwargs = {"json": {"question": "项目支出"}} if method == "post" else {}
    r = svc.client.request(method, path, headers=headers, **kwargs)
    assert not [h for h in r.headers if h.lower().startswith("access-control-")], dict(r.headers)
    assert r.status_code != 500


def test_no_cors_middleware_configured(svc):
    names = [m.cls.__name__ for m in svc.app.user_middleware]
    assert "CORSMiddleware" not in names, names


# ---------------------------------------------------------------- no pickle / eval of outside data
def _py_files() -> list[Path]:
    return sorted(p for d in CODE_DIRS for p in d.rglob("*.py"))


def _kw(call: ast.Call, name: str):
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_true(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def test_no_unsafe_deserialisation_or_eval_in_code():
    problems = []
    banned_modules = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "joblib", "cloudpickle"}
    for path in _py_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                problems += [f"{where}:{node.lineno} import {a.name}" for a in node.names
                             if a.name.split(".")[0] in banned_modules]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in banned_modules:
                problems.append(f"{where}:{node.lineno} from {node.module} import")
            elif isinstance(node, ast.Call):
                func = ast.unparse(node.func)
                tail = func.rsplit(".", 1)[-1]
                if func in ("eval", "exec", "builtins.eval", "builtins.exec", "__import__"):
                    problems.append(f"{where}:{node.lineno} {func}(…)")
                if func == "compile" and node.args and not isinstance(node.args[0], ast.Constant):
                    problems.append(f"{where}:{node.lineno} compile() of non-literal source")
                if func.endswith("torch.load") and not _is_true(_kw(node, "weights_only")):
                    problems.append(f"{where}:{node.lineno} torch.load without weights_only=True")
                if tail in ("load", "loads", "save", "BM25") and _is_true(_kw(node, "allow_pickle")):
                    problems.append(f"{where}:{node.lineno} {func}(allow_pickle=True)")
                if func in ("yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.full_load"):
                    problems.append(f"{where}:{node.lineno} {func}")
                if _is_true(_kw(node, "shell")):
                    problems.append(f"{where}:{node.lineno} {func}(shell=True)")
                if _is_true(_kw(node, "trust_remote_code")):
                    problems.append(f"{where}:{node.lineno} trust_remote_code=True")
                if func in ("os.system", "os.popen"):
                    problems.append(f"{where}:{node.lineno} {func}")
    assert not problems, problems


def test_numpy_and_bm25_loads_never_allow_pickle(tmp_path, monkeypatch, corpus_copy):
    """Spy on every numpy.load and bm25s load while the index is built, rebuilt and loaded."""
    import bm25s

    from indexer.build import build_index
    from retriever.engine import Engine
    from retriever.index import LoadedIndex

    calls = []
    real_np_load = np.load

    def np_load(*args, **kwargs):
        calls.append(("numpy.load", kwargs.get("allow_pickle", False)))
        return real_np_load(*args, **kwargs)

    real_bm25_load = bm25s.BM25.load.__func__

    def bm25_load(cls, *args, **kwargs):
        calls.append(("bm25s.load", kwargs.get("allow_pickle", False)))
        return real_bm25_load(cls, *args, **kwargs)

    monkeypatch.setattr(np, "load", np_load)
    monkeypatch.setattr(bm25s.BM25, "load", classmethod(bm25_load))
    emb = HashEmbedder()
    build_index(corpus_copy, tmp_path / "index", embedder=emb, model_id=emb.model_id)
    (corpus_copy / REPORTS["wuchang"].name).unlink()
    build_index(corpus_copy, tmp_path / "index", embedder=emb, model_id=emb.model_id)  # reuses vectors
    Engine(LoadedIndex(tmp_path / "index"), emb)
    kinds = {k for k, _ in calls}
    assert {"numpy.load", "bm25s.load"} <= kinds, calls
    assert not [c for c in calls if c[1]], calls


class _Payload:
    """Unpickling this creates a marker file: proof that outside data was executed."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _object_npy(marker: Path) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    return buf.getvalue()


@pytest.mark.parametrize("target", ["vectors.npy", "bm25/data.csc.index.npy"])
def test_planted_pickle_in_the_index_is_never_executed(tmp_path, corpus_copy, target):
    """Even with a matching checksum (an attacker rewrote the manifest too), no pickle is run."""
    import json

    from indexer import store
    from indexer.build import build_index
    from retriever.index import LoadedIndex

    emb = HashEmbedder()
    idx = tmp_path / "index"
    build_index(corpus_copy, idx, embedder=emb, model_id=emb.model_id)
    version = store.current_version(idx)
    marker = tmp_path / "PWNED"
    (version / target).write_bytes(_object_npy(marker))
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"][target] = store.sha256_file(version / target)
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for attempt in (lambda: LoadedIndex(idx),
                    lambda: build_index(corpus_copy, idx, embedder=emb, model_id=emb.model_id)):
        try:
            attempt()
        except Exception:  # refusing to load is fine; executing the payload is not
            pass
        assert not marker.exists(), f"pickle in {target} was executed"


# ---------------------------------------------------------------- index files verified before use
def test_index_files_verified_before_any_is_opened(tmp_path, corpus_copy, monkeypatch):
    import bm25s
    import faiss

    from indexer import store
    from indexer.build import build_index
    from retriever import index as index_module

    emb = HashEmbedder()
    build_index(corpus_copy, tmp_path / "index", embedder=emb, model_id=emb.model_id)
    order = []

    def spy(name, fn):
        def wrapped(*a, **k):
            order.append(name)
            return fn(*a, **k)
        return wrapped

    monkeypatch.setattr(store, "verify", spy("verify", store.verify))
    monkeypatch.setattr(store, "open_db", spy("open_db", store.open_db))
    monkeypatch.setattr(faiss, "read_index", spy("faiss", faiss.read_index))
    real_bm25_load = bm25s.BM25.load.__func__
    monkeypatch.setattr(bm25s.BM25, "load", classmethod(lambda cls, *a, **k: (order.append("bm25"),
                                                                               real_bm25_load(cls, *a, **k))[1]))
    index_module.LoadedIndex(tmp_path / "index")
    assert order[0] == "verify" and {"open_db", "faiss", "bm25"} <= set(order), order
    # the engine the service loads verifies (no verify=False anywhere in the product code)
    for path in _py_files():
        assert "verify=False" not in path.read_text(encoding="utf-8").replace(" ", ""), path
