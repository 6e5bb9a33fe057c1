"""The chat page in a real headless Chromium (Debian's /usr/bin/chromium via Playwright).

The app runs under uvicorn in a background thread on a free loopback port, with the fake
engine and fake index build of tests/api_fakes.py.
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing (install it with `apt-get install -y chromium`); browser tests skipped",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright python package is not installed")

import uvicorn  # noqa: E402

from api.app import create_app  # noqa: E402
from api.web import apidocs  # noqa: E402

try:
    from tests.api_fakes import AMBIGUOUS, HY, WC, FakeIndex
except ImportError:  # pragma: no cover
    from api_fakes import AMBIGUOUS, HY, WC, FakeIndex

TOKEN = "web-test-token"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
SAMPLE = sorted((Path(__file__).resolve().parent.parent / "corpus").glob("*汉阳区*.txt"))[0]
TIMEOUT = 15_000  # ms


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, tmp: Path, exists: bool = True):
        (tmp / "corpus").mkdir(parents=True, exist_ok=True)
        self.fake = FakeIndex(exists=exists)
        self.app = create_app(tmp / "index", tmp / "corpus", TOKEN, self.fake.loader, build_fn=self.fake.build)
        self.corpus = tmp / "corpus"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.app.state.jobs.wait(10)
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = LiveServer(tmp_path_factory.mktemp("web")).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()


class PageWatch:
    """Console errors, page errors and any request that leaves the app's origin."""

    def __init__(self, page, origin: str):
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" and
                "503" not in m.text and "401" not in m.text else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith(origin) or r.url.startswith("data:")
                else self.foreign.append(r.url))


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.watch = PageWatch(pg, server.url)
    pg.goto(server.url + "/")
    pg.wait_for_selector("body[data-ready='true']")
    yield pg
    assert not pg.watch.errors, pg.watch.errors
    assert not pg.watch.foreign, pg.watch.foreign
    context.close()


def ask(page, question: str) -> None:
    page.fill("#question", question)
    page.press("#question", "Enter")
    page.wait_for_selector("#answer:not([hidden])")
    page.wait_for_function("() => !document.getElementById('ask-btn').disabled")


# ---------------------------------------------------------------- tests
def test_page_loads_offline_and_ready(page):
    assert page.title().startswith("决算问答")
    page.wait_for_selector("#ready-badge[data-ready='yes']")
    assert page.locator("[data-testid=example]").count() == 5
    # the report filter lists the indexed reports
    page.wait_for_function("() => document.querySelectorAll('#filter-report option').length === 3")


def test_ask_shows_figure_citation_and_highlight(page):
    ask(page, "汉阳区大数据中心2021年项目支出多少")
    answer = page.locator("#answer")
    assert answer.get_attribute("data-found") == "true"
    assert page.inner_text("#answer-status") == "已找到"
    assert "2,399.30万元" in page.inner_text("#answer-text")
    first = page.locator("[data-testid=value]").first
    assert first.locator("[data-testid=value-number]").inner_text() == "2,399.30"
    assert first.locator("[data-testid=value-unit]").inner_text() == "万元"
    assert first.locator("[data-testid=value-label]").inner_text() == "项目支出"
    assert page.locator("[data-testid=value-formula]").first.inner_text() == "= 2,399.30 - 2,398.09"
    assert page.get_attribute("#confidence", "data-level") == "high"
    assert "91%" in page.inner_text("#confidence-text")
    cites = page.locator("[data-testid=citation]")
    assert cites.count() == 2
    c1 = cites.first
    text = c1.inner_text()
    assert "武汉市汉阳区大数据中心" in text and "2021" in text and "第 181 行" in text and "支出决算表" in text
    marks = c1.locator("mark").all_inner_texts()
    assert "2,399.30" in marks
    # the second citation holds 2,398.09, which is not a value: not highlighted
    assert "2,398.09" not in cites.nth(1).locator("mark").all_inner_texts()


def test_click_citation_shows_context_and_navigates(page):
    ask(page, "汉阳区大数据中心2021年项目支出多少")
    page.locator("[data-testid=citation]").first.click()
    page.wait_for_selector("#passage:not([hidden])")
    page.wait_for_function("() => document.getElementById('passage').dataset.chunkId === 'hy-1'")
    assert page.locator("[data-testid=citation][aria-current=true]").count() == 1
    assert page.locator("[data-testid=citation]").first.get_attribute("aria-current") == "true"
    assert "2,399.30" in page.locator("#passage-text mark").all_inner_texts()
    assert "支出决算表" in page.inner_text("#passage-meta")
    page.wait_for_function("() => document.getElementById('passage-prev-text').textContent.includes('主要负责')")
    page.wait_for_function("() => document.getElementById('passage-next-text').textContent.includes('2,398.09')")
    page.click("#passage-next")
    page.wait_for_function("() => document.getElementById('passage').dataset.chunkId === 'hy-2'")
    assert "2,398.09" in page.inner_text("#passage-text")
    assert page.is_disabled("#passage-next")
    page.click("#passage-prev")
    page.wait_for_function("() => document.getElementById('passage').dataset.chunkId === 'hy-1'")
    page.click("#passage-close")
    page.wait_for_selector("#passage", state="hidden")
    assert page.locator("[data-testid=citation][aria-current=true]").count() == 0


def test_not_found_is_shown_as_such(page):
    page.get_by_text("青山区大数据中心2022年项目支出", exact=True).click()
    page.wait_for_selector("#answer[data-found='false']")
    assert page.inner_text("#answer-status") == "未找到"
    assert page.locator("#answer.notfound").count() == 1
    assert page.locator("[data-testid=value]").count() == 0
    assert "青山区" in page.inner_text("#answer-text")
    assert page.get_attribute("#confidence", "data-level") == "low"


def test_example_button_and_second_answer(page):
    page.get_by_text("武昌区大数据中心2019年基本工资", exact=True).click()
    page.wait_for_function("() => document.getElementById('answer-text').textContent.includes('312.45')")
    assert page.locator("#citations mark").all_inner_texts() == ["312.45"]


def test_figures_keep_the_decimals_the_report_writes(page):
    ask(page, "武昌区2019年福利费")
    numbers = page.locator("[data-testid=value-number]").all_inner_texts()
    assert numbers == ["8.2", "4.30"]  # as written in the cited row; a derived value with two decimals
    assert page.locator("#citations mark").all_inner_texts() == ["8.2"]


def test_engine_markup_is_escaped(page):
    ask(page, "xss 测试")
    assert page.evaluate("window.__xss") is None
    assert page.locator("#answer img, #answer script, #injected, #answer i").count() == 0
    assert "<img" in page.inner_text("#answer-text")
    assert "<b id=\"injected\">" in page.inner_text("[data-testid=citation-text]")
    assert "<i>项目</i>支出" == page.inner_text("[data-testid=value-label]")


def test_empty_question_is_not_sent(page):
    page.fill("#question", "   ")
    page.click("#ask-btn")
    page.wait_for_selector("#ask-error:not([hidden])")
    assert "请输入问题" in page.inner_text("#ask-error")
    assert page.locator("#answer").is_hidden()


def test_reports_tab(page):
    page.click("#tab-reports")
    page.wait_for_selector("[data-testid=report-row]")
    rows = page.locator("[data-testid=report-row]")
    assert rows.count() == 2
    assert "武汉市汉阳区大数据中心" in rows.first.inner_text()
    rows.first.locator("[data-testid=report-ask]").click()
    page.wait_for_selector("#panel-ask:not([hidden])")
    assert page.input_value("#filter-report") == "武汉市汉阳区大数据中心-2021"


def test_admin_upload_flow(page, server):
    page.click("#tab-admin")
    # without a token: told to set one
    page.set_input_files("#upload-file", files=[{"name": SAMPLE.name, "mimeType": "text/plain",
                                                 "buffer": SAMPLE.read_bytes()}])
    page.click("#upload-btn")
    page.wait_for_selector("#upload-result[data-ok='false']")
    assert "令牌" in page.inner_text("#upload-result")
    # a wrong token is refused by the server
    page.fill("#admin-token", "wrong")
    page.click("#token-save")
    page.click("#upload-btn")
    page.wait_for_function("() => document.getElementById('upload-result').textContent.includes('令牌无效')")
    # the right one: stored, rebuilt, status shows done
    page.fill("#admin-token", TOKEN)
    page.click("#token-save")
    assert page.evaluate("sessionStorage.getItem('reportqa.adminToken')") == TOKEN
    page.click("#upload-btn")
    page.wait_for_selector("#upload-result[data-ok='true']")
    page.wait_for_selector("#job-state[data-state='done']")
    assert "已完成" in page.inner_text("#job-state")
    assert SAMPLE.name in page.inner_text("#upload-result")
    assert (server.corpus / SAMPLE.name).read_bytes() == SAMPLE.read_bytes()
    assert page.get_attribute("#status-state", "data-state") == "idle"
    assert "新增 1" in page.inner_text("#status-summary")
    # the rebuild button runs a job too
    page.click("#rebuild-btn")
    page.wait_for_function("() => document.getElementById('rebuild-result').textContent.includes('已开始')")
    page.wait_for_selector("#job-state[data-state='done']")


def test_phone_layout_has_no_horizontal_scroll(browser, server):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.goto(server.url + "/")
    pg.wait_for_selector("body[data-ready='true']")
    ask(pg, "汉阳区大数据中心2021年项目支出多少")
    pg.locator("[data-testid=citation]").first.click()
    pg.wait_for_selector("#passage:not([hidden])")
    assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    box = pg.locator("#ask-btn").bounding_box()
    assert box and box["width"] > 200  # the send button spans the width on a phone
    context.close()


def test_page_without_index_says_so(browser, tmp_path):
    srv = LiveServer(tmp_path, exists=False).start()
    try:
        context = browser.new_context()
        pg = context.new_page()
        pg.set_default_timeout(TIMEOUT)
        pg.goto(srv.url + "/")
        pg.wait_for_selector("#ready-badge[data-ready='no']")
        assert "reportqa index" in pg.inner_text("#notice")
        pg.fill("#question", "项目支出")
        pg.press("#question", "Enter")
        pg.wait_for_selector("#ask-error:not([hidden])")
        assert "索引未就绪" in pg.inner_text("#ask-error")
        context.close()
    finally:
        srv.stop()


def test_api_docs_render_offline(browser, server):
    if apidocs.offline_assets_dir() is None:
        pytest.skip("fastapi-offline is not installed: /docs is the script-free reference (tests/test_api.py)")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    watch = PageWatch(pg, server.url)
    pg.goto(server.url + "/docs")
    pg.wait_for_selector(".opblock-summary-path")  # Swagger UI read /openapi.json and rendered it
    paths = {t.strip() for t in pg.locator(".opblock-summary-path").all_inner_texts()}
    assert {"/ask", "/search", "/verify", "/reports", "/index/status"} <= paths, paths
    pg.locator(".opblock-summary-path", has_text="/verify").first.click()
    pg.wait_for_selector(".opblock.is-open")
    assert not watch.errors, watch.errors
    assert not watch.foreign, watch.foreign
    context.close()


# ---------------------------------------------------------------- the conversation thread
def ask_capturing(page, question: str) -> dict:
    """Ask like `ask` and return the JSON body the page sent to /ask."""
    with page.expect_request(lambda r: r.url.endswith("/ask") and r.method == "POST") as sent:
        ask(page, question)
    return json.loads(sent.value.post_data)


def test_follow_up_keeps_the_first_turn_and_sends_history(page, server):
    first = "汉阳区大数据中心2021年项目支出多少"
    body = ask_capturing(page, first)
    assert "history" not in body
    body = ask_capturing(page, "基本工资呢")
    assert body["history"] == [first] and body["question"] == "基本工资呢"
    assert server.app.state.holder.get().histories[-1] == [first]
    turns = page.locator("[data-testid=turn]")
    assert turns.count() == 2
    assert turns.nth(0).locator("[data-testid=turn-question]").inner_text().startswith(first)
    assert "2,399.30万元" in turns.nth(0).locator("[data-testid=answer-text]").inner_text()
    assert turns.nth(0).locator("[data-testid=answer]").is_visible()
    assert "312.45" in turns.nth(1).locator("[data-testid=answer-text]").inner_text()
    assert page.locator("#answer-text").inner_text() == turns.nth(1).locator("[data-testid=answer-text]").inner_text()
    body = ask_capturing(page, "福利费呢")
    assert body["history"] == [first, "基本工资呢"]
    # citations of an earlier turn still open their context
    turns.nth(0).locator("[data-testid=citation]").first.click()
    page.wait_for_function("() => document.getElementById('passage').dataset.chunkId === 'hy-1'")
    assert turns.nth(0).locator("[data-testid=citation][aria-current=true]").count() == 1
    # a new conversation starts empty and sends no history
    page.click("#new-chat")
    assert page.locator("[data-testid=turn]").count() == 0 and page.locator("#passage").is_hidden()
    assert "history" not in ask_capturing(page, "项目支出")
    assert page.locator("[data-testid=turn]").count() == 1


def test_choices_are_buttons_that_reask_within_a_report(page, server):
    body = ask_capturing(page, AMBIGUOUS)
    assert "report_id" not in body
    page.wait_for_selector("#answer[data-found='false']")
    choices = page.locator("[data-testid=choice]")
    assert choices.count() == 2
    assert choices.all_inner_texts() == ["武汉市汉阳区大数据中心 2021", "武汉市武昌区大数据中心 2019"]
    with page.expect_request(lambda r: r.url.endswith("/ask") and r.method == "POST") as sent:
        choices.nth(1).click()
    body = json.loads(sent.value.post_data)
    assert body["question"] == AMBIGUOUS and body["report_id"] == WC and body["history"] == [AMBIGUOUS]
    page.wait_for_function("() => document.querySelectorAll('[data-testid=turn]').length === 2 && "
                           "document.getElementById('answer').dataset.found === 'true'")
    assert "312.45" in page.inner_text("#answer-text")
    second = page.locator("[data-testid=turn]").nth(1)
    assert "武汉市武昌区大数据中心 2019" in second.locator("[data-testid=turn-scope]").inner_text()
    assert page.locator("[data-testid=turn]").nth(0).locator("[data-testid=choice]").count() == 2  # still shown
    assert server.app.state.holder.get().calls[-1][3] == WC


# ---------------------------------------------------------------- 管理: correct and remove reports
class RecordingRegistry:
    def __init__(self):
        self.calls: list[tuple] = []

    def set_override(self, corpus_dir, report_id, fields):
        self.calls.append(("set_override", report_id, fields))
        return dict(fields)

    def remove_report(self, corpus_dir, report_id):
        self.calls.append(("remove_report", report_id))
        return f"{report_id}.txt"


def test_admin_edits_and_deletes_reports(page, server, monkeypatch):
    import indexer.registry

    registry = RecordingRegistry()
    monkeypatch.setattr(indexer.registry, "set_override", registry.set_override)
    monkeypatch.setattr(indexer.registry, "remove_report", registry.remove_report)
    page.click("#tab-admin")
    page.fill("#admin-token", TOKEN)
    page.click("#token-save")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=admin-report-row]').length === 2")
    rows = page.locator("[data-testid=admin-report-row]")
    assert "汉阳区大数据中心" in rows.first.inner_text()  # the alias
    rows.first.locator("[data-testid=report-edit]").click()
    page.fill("[data-testid=edit-unit]", "武汉市汉阳区数据局")
    page.fill("[data-testid=edit-aliases]", "汉阳数据局、数据局")
    page.click("[data-testid=edit-save]")
    page.wait_for_selector("#admin-reports-result[data-ok='true']")
    assert registry.calls[-1] == ("set_override", HY, {"unit_name": "武汉市汉阳区数据局",
                                                       "aliases": ["汉阳数据局", "数据局"]})
    page.wait_for_selector("#job-state[data-state='done']")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=admin-report-row]').length === 2")
    page.once("dialog", lambda d: d.dismiss())  # cancelled: nothing removed
    page.locator("[data-testid=admin-report-row]").nth(1).locator("[data-testid=report-delete]").click()
    assert registry.calls[-1][0] == "set_override"
    page.once("dialog", lambda d: d.accept())
    page.locator("[data-testid=admin-report-row]").nth(1).locator("[data-testid=report-delete]").click()
    page.wait_for_function("() => document.getElementById('admin-reports-result').textContent.includes('已删除')")
    assert registry.calls[-1] == ("remove_report", WC)
    page.wait_for_selector("#job-state[data-state='done']")
