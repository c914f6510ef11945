"""The built book as a reader sees it: every chapter page in headless Chromium, network off.

Needs the built site (``jupyter-book build .`` writes ``_build/html``) and Debian's ``chromium``
and ``chromium-driver`` (``.ci/run`` installs them); skipped when either is missing. They are
deselected unless asked for by ``-m browser`` (``tests/conftest.py``), so the README's test
command, which runs before the build, leaves them out, and ``.ci/run`` runs them after the build::

    python -m pytest -m browser

The browser resolves no host but 127.0.0.1, so a page that still fetches anything from a CDN
(MathJax) fails here. Screenshots go to ``_build/screenshots/``.
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
    # no cache: every page's weight counts everything it loads, whichever page came before
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
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


WIDTHS = (1280, 390)        # a laptop and a phone


def _weight(browser) -> int:
    """Bytes of the loaded page and of everything it loaded (once nothing new has been loaded
    for half a second: MathJax fetches its fonts after typesetting)."""
    return browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const total = () => {
            const nav = performance.getEntriesByType('navigation')[0];
            return nav.decodedBodySize + performance.getEntriesByType('resource')
                .reduce((a, r) => a + (r.decodedBodySize || 0), 0);
        };
        let last = -1, k = 0;
        const wait = () => {
            const now = total();
            if (now === last || k++ > 40) { done(now); } else { last = now; setTimeout(wait, 500); }
        };
        setTimeout(wait, 500);
    """)
#: page weights measured by test_chapter_page (bytes of the page and everything it loads)
WEIGHTS: dict[str, int] = {}
#: what an explorer may add to a page (its frames are inline)
EXPLORER_BUDGET = 2_000_000


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page(browser, server, chapter, width):
    page = f"{server}/{chapter}.html"
    browser.set_window_size(width, 1600)
    _load(browser, page)

    # 0. page weight (the page and everything it loaded), measured first so that a later
    #    failure does not lose it
    if width == WIDTHS[0]:
        WEIGHTS[chapter] = _weight(browser)

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

    # 7. display equations fit: never clipped on the left; at >= 768 px none overflows its
    #    column, on a phone a wide one scrolls inside it (overflow-x: auto, dualkit.css)
    math = browser.execute_script("""
        return [...document.querySelectorAll('mjx-container[display="true"]')].map(m => {
            const box = m.parentElement;            // div.math: the formula's block in the column
            const r = box.getBoundingClientRect();
            let lo = Infinity, hi = -Infinity;      // where the glyphs are drawn
            m.querySelectorAll('mjx-c').forEach(c => {
                const b = c.getBoundingClientRect();
                if (b.width > 0) { lo = Math.min(lo, b.left); hi = Math.max(hi, b.right); }
            });
            return {tex: (box.textContent || '').trim().slice(0, 60), left: lo - r.left,
                    right: hi - r.right, over: box.scrollWidth - box.clientWidth,
                    scroll: getComputedStyle(box).overflowX};
        });
    """)
    clipped = [m["tex"] for m in math if m["left"] < -1]
    assert not clipped, f"display equations clipped on the left on {chapter} at {width} px: {clipped}"
    if width >= 768:
        wide = [m["tex"] for m in math if m["over"] > 1 or m["right"] > 1]
        assert not wide, f"display equations wider than the column on {chapter}: {wide}"
    else:
        hidden = [m["tex"] for m in math if m["over"] > 1 and m["scroll"] not in ("auto", "scroll")]
        assert not hidden, f"wide equations without a scroll bar on {chapter} at {width} px: {hidden}"

    # 8. code and text output lines fit the column (at 1280 px), results tables too
    if width >= 768:
        cut = browser.execute_script("""
            return [...document.querySelectorAll(
                    'main pre, table.dk-table')]
                .filter(e => e.scrollWidth > e.clientWidth + 1)
                .map(e => e.textContent.split('\\n').reduce((a, b) => a.length > b.length ? a : b)
                           .slice(0, 100));
        """)
        assert not cut, f"lines wider than the column on {chapter}: {cut}"

    # 9. figures are sharp: an image is never shown larger than its pixels (SVG excepted)
    blurry = browser.execute_script("""
        return [...document.querySelectorAll('main img')]
            .filter(i => i.offsetParent !== null && !/\\.svg/.test(i.src)
                         && i.naturalWidth + 1 < i.clientWidth)
            .map(i => [i.alt.slice(0, 60), i.naturalWidth, i.clientWidth]);
    """)
    assert not blurry, f"figures shown larger than their pixels on {chapter}: {blurry}"
    # ... nor squashed: shown with the aspect ratio of their pixels
    squashed = browser.execute_script("""
        return [...document.querySelectorAll('main img')]
            .filter(i => i.offsetParent !== null && i.naturalHeight > 0 && i.clientHeight > 0
                         && Math.abs((i.clientWidth / i.clientHeight)
                                     / (i.naturalWidth / i.naturalHeight) - 1) > 0.02)
            .map(i => [i.alt.slice(0, 60), i.clientWidth, i.clientHeight]);
    """)
    assert not squashed, f"figures shown with a wrong aspect ratio on {chapter}: {squashed}"
    # ... and every figure in the text has meaningful alternative text (not a file name)
    bad_alt = browser.execute_script("""
        return [...document.querySelectorAll('main figure img, main .dk-explorer img')]
            .map(i => i.alt).filter(a => !a || /^[0-9a-f]{64}\\.|_images|\\.png$/.test(a));
    """)
    assert not bad_alt, f"figures without alternative text on {chapter}: {bad_alt[:3]}"

    # 10. explorers: moving the slider changes the figure and the readout
    n_explorers = browser.execute_script("return document.querySelectorAll('.dk-explorer').length")
    for k in range(n_explorers):
        before, after = browser.execute_script("""
            const ex = document.querySelectorAll('.dk-explorer')[arguments[0]];
            const shown = () => [...ex.querySelectorAll('img')]
                .filter(i => i.style.display !== 'none').map(i => i.dataset.key + ':'
                    + i.src.length + ':' + ex.querySelector('output').textContent);
            const before = shown();
            const r = ex.querySelector('input[type=range]');
            r.value = (+r.value === +r.max) ? r.min : r.max;
            r.dispatchEvent(new Event('input', {bubbles: true}));
            return [before, shown()];
        """, k)
        assert len(before) == 1 and len(after) == 1, f"explorer {k} on {chapter} shows {after}"
        assert before != after, f"explorer {k} on {chapter}: moving the slider changes nothing"

    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / (chapter.replace("/", "_") + f"-{width}.png")))


def test_explorer_pages_weigh_at_most_2mb_more(browser, server):
    """A page with explorers weighs at most 2 MB more than the heaviest page without one."""
    for chapter in CHAPTERS:
        if chapter not in WEIGHTS:                # run alone: measure what is missing
            browser.set_window_size(WIDTHS[0], 1600)
            _load(browser, f"{server}/{chapter}.html")
            WEIGHTS[chapter] = _weight(browser)
    pages = {}
    for chapter in CHAPTERS:
        text = (HTML / f"{chapter}.html").read_text()
        pages[chapter] = 'class="dk-explorer"' in text
    plain = [WEIGHTS[c] for c in CHAPTERS if not pages[c]]
    assert plain, "every page has an explorer?"
    base = max(plain)
    heavy = {c: WEIGHTS[c] - base for c in CHAPTERS if pages[c] and WEIGHTS[c] - base > EXPLORER_BUDGET}
    assert not heavy, f"pages with explorers over {EXPLORER_BUDGET} bytes above {base}: {heavy}"
