"""Take docs/screenshot.png: the chat page answering a question, its citation's context open.

Needs a running service on the real index (`make serve`), Debian's chromium, the playwright
package and a CJK font (`apt-get install -y fonts-noto-cjk`), then:

    .venv/bin/python docs/screenshot.py [http://127.0.0.1:8000] [docs/screenshot.png]
"""
from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

QUESTION = "硚口区大数据中心2024年基本支出决算明细表中的福利费是多少？"


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    out = Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).with_name("screenshot.png"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 820}, locale="zh-CN")
        page.set_default_timeout(30_000)
        page.goto(url.rstrip("/") + "/")
        page.wait_for_selector("#ready-badge[data-ready='yes']")
        page.fill("#question", QUESTION)
        page.press("#question", "Enter")
        page.wait_for_selector("#answer[data-found='true']")
        page.locator("[data-testid=citation]").first.click()
        page.wait_for_function("() => document.getElementById('passage').dataset.loading === 'false'")
        page.wait_for_function("() => document.getElementById('passage-next-text').textContent.length > 0")
        page.mouse.move(1, 1)  # no hover effect in the picture
        page.locator("#question").blur()
        page.wait_for_timeout(300)
        page.screenshot(path=str(out))
        browser.close()
    print(out)


if __name__ == "__main__":
    main()
