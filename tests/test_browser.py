"""The built book as a reader sees it: every chapter page in headless Chromium, network off.

Needs the built site (``jupyter-book build .`` writes ``_build/html``) and Debian's ``chromium``
and ``chromium-driver`` (``.ci/run`` installs them); skipped when either is missing. They are
deselected unless asked for by ``-m browser`` (``tests/conftest.py``), so the README's test
command, which runs before the build, leaves them out, and ``.ci/run`` runs them after the build::

    python -m pytest -m browser

The browser resolves no host but 127.0.0.1, so a page that still fetches anything from a CDN
(MathJax, the widget embedder) fails here. Screenshots go to ``_build/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
import urllib.parse
from pathlib import Path

import pytest
import yaml

from dualkit.assignments import NOTEBOOK_CHAPTERS

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("DUALKIT_BOOK_HTML", ROOT / "_build" / "html"))   # another build dir
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _chapter_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    return files


CHAPTERS = _chapter_files()


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.skip("the book is not built (_build/html); run jupyter-book build . first")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(Quiet, directory=str(HTML)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        pytest.skip("Debian's chromium and chromium-driver are not installed (.ci/run installs them)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                "--disable-dev-shm-usage", "--window-size=1280,1600",
                # network off: every host but the local server is unresolvable
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=DRIVER))
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def _load(driver, url: str) -> None:
    driver.get(url)
    # wait until MathJax has typeset the page (it is loaded from _static/mathjax)
    driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const wait = (n) => {
            const ready = document.readyState === 'complete';
            if (ready && !document.querySelector('script[src*="mathjax"]')) { done(true); }
            else if (ready && window.MathJax && MathJax.startup
                && MathJax.startup.promise) { MathJax.startup.promise.then(() => done(true)); }
            else if (n > 600) { done(false); }
            else { setTimeout(() => wait(n + 1), 50); }
        };
        wait(0);
    """)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page(browser, server, chapter):
    page = f"{server}/{chapter}.html"
    _load(browser, page)

    # 0. saved widgets render (the embedder works offline) before the log is read
    views, rendered = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const n = document.querySelectorAll(
            'script[type="application/vnd.jupyter.widget-view+json"]').length;
        const wait = (k) => {
            const r = document.querySelectorAll('.jupyter-widgets.widget-interact, '
                + '.jupyter-widgets.widget-container, .jupyter-widgets.widget-inline-hbox').length;
            // up to 30 s: one CI run right after the book build needed more than 10 s
            if (r >= n || k > 600) { done([n, r]); } else { setTimeout(() => wait(k + 1), 50); }
        };
        wait(0);
    """)
    assert rendered >= views, f"{views} saved widgets on {chapter}, {rendered} rendered"

    # 1. no JavaScript errors (a failed fetch is logged as SEVERE too)
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, f"console errors on {chapter}: {severe}"

    # 2. every math element typeset, no raw TeX left in the prose (typesetting may still be
    #    running on a loaded machine: wait up to 20 s for every .math element to be done)
    browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const wait = (k) => {
            const left = [...document.querySelectorAll('.math')]
                .filter(m => !m.querySelector('mjx-container')).length;
            if (left === 0 || k > 400) { done(left); } else { setTimeout(() => wait(k + 1), 50); }
        };
        wait(0);
    """)
    state = browser.execute_script("""
        const math = [...document.querySelectorAll('.math')];
        const raw = math.filter(m => !m.querySelector('mjx-container')
                                     || m.querySelector('mjx-merror, [data-mjx-error]'))
                        .map(m => m.textContent);
        const main = document.querySelector('main') || document.body;
        const clone = main.cloneNode(true);
        clone.querySelectorAll('pre, code, script, style, mjx-container')
             .forEach(e => e.remove());
        return {n: math.length, raw: raw, text: clone.textContent};
    """)
    assert not state["raw"], f"untypeset or erroneous math on {chapter}: {state['raw'][:3]}"
    for token in ("\\(", "\\[", "$$"):
        assert token not in state["text"], f"raw TeX {token!r} left on {chapter}"
    if state["n"]:
        version = browser.execute_script("return window.MathJax && MathJax.version")
        assert version == "3.2.2", f"MathJax {version!r} on {chapter}, expected the bundled 3.2.2"

    # 3. every figure loads with a non-zero size
    images = browser.execute_script("""
        return [...document.querySelectorAll('main img')].map(
            i => [i.getAttribute('src'), i.complete, i.naturalWidth, i.naturalHeight]);
    """)
    broken = [src for src, ok, w, h in images if not (ok and w > 0 and h > 0)]
    assert not broken, f"images that did not load on {chapter}: {broken}"

    # 4. table-of-contents links resolve to built pages
    links = browser.execute_script("""
        return [...document.querySelectorAll('nav.bd-docs-nav a')].map(a => a.href);
    """)
    assert links, f"no table of contents on {chapter}"
    for href in links:
        url = urllib.parse.urlparse(href)
        assert url.netloc == urllib.parse.urlparse(server).netloc, f"external TOC link {href}"
        target = HTML / urllib.parse.unquote(url.path).lstrip("/")
        assert target.exists() or (target / "index.html").exists(), f"broken TOC link {href}"

    # 5. the Colab button opens a committed notebook
    colab = browser.execute_script("""
        return [...document.querySelectorAll('a')].map(a => a.href)
               .filter(h => h.includes('colab.research.google.com'));
    """)
    name = chapter.split("/")[-1]
    if name in NOTEBOOK_CHAPTERS:
        assert colab, f"no Colab button on the notebook chapter {chapter}"
    for href in colab:
        path = href.split("/blob/main/", 1)[1]
        assert path.endswith(".ipynb") and (ROOT / path).exists(), f"Colab link to a missing {path}"

    # 6. exercise solutions are folded and open on click (every solution, dropdown or not)
    n_solutions = browser.execute_script("return document.querySelectorAll('.solution').length")
    for k in range(n_solutions):
        hidden, shown = browser.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const sol = document.querySelectorAll('.solution')[arguments[0]];
            const body = [...sol.children].filter(c => !c.matches('.admonition-title, button'));
            const visible = () => body.some(c => c.offsetParent !== null && c.offsetHeight > 0);
            const before = visible();
            const toggle = sol.querySelector('button.toggle-button')
                || sol.querySelector('.admonition-title');
            if (toggle) { toggle.click(); }
            setTimeout(() => done([!before, visible()]), 400);
        """, k)
        assert hidden, f"solution {k} on {chapter} is not folded"
        assert shown, f"solution {k} on {chapter} does not open on click"

    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / (chapter.replace("/", "_") + ".png")))
