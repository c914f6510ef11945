"""Sphinx extension of the book: its offline assets, its reading fixes, its executing kernel.

* **Offline**: MathJax 3.2.2 comes from the PyPI package ``sphinx-mathjax-offline`` (listed in
  ``requirements.txt`` and as an extension in ``_config.yml``, which copies it to
  ``_static/mathjax``; ``mathjax_path`` points there). The explorers of :mod:`dualkit.widgets`
  are static HTML with their frames inline: the built site loads nothing from a CDN.
* **Explorers**: ``DUALKIT_STATIC_EXPLORERS=1`` is set for the kernels that execute the chapters,
  so an explorer cell renders as precomputed frames with a slider that works without a kernel.
* **Reading**: ``dualkit.css`` (display equations scroll inside their column instead of being
  clipped, small result tables, explorers, no second search box in the header strip); every
  captioned figure's image gets its caption as alternative text; the execution table's emoji
  (an empty box without an emoji font) become words.
* **Executing**: the chapters' kernel is polled so that a missed wake-up costs at most a second
  (``_kernel_poll``); ``DUALKIT_BOOK_BUILD=1`` tells :func:`dualkit.book.glue` to record its
  values for MyST-NB (elsewhere it prints them).
* **Downloads**: the page's ".ipynb" download button (sphinx-book-theme) links
  ``_sources/chapters/<name>.ipynb``, which the theme copies from the executed chapter (MyST
  Markdown, no install cell). After the build that file is replaced by the chapter's Colab copy,
  made by :func:`dualkit.assignments.colab_notebook` (plain Jupyter Markdown, install cell,
  solutions folded): the same notebook as the "open in Colab" button's.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

CSS = """
/* display math: never clipped. MathJax gives a tagged equation a min-width; the theme lays
   div.math out as a reversed flex row that hides its overflow, so a formula wider than the column
   (on a phone) lost its left part. Here it overflows to the right and scrolls from its left edge */
div.math {
  flex-direction: row;
  overflow-x: auto;
  overflow-y: hidden;
}
/* a visible (not overlay) scroll bar under whatever scrolls sideways: equations, tables, code */
div.math::-webkit-scrollbar, table.dk-table::-webkit-scrollbar,
div.cell_input pre::-webkit-scrollbar, div.cell_output pre::-webkit-scrollbar { height: 6px; }
div.math::-webkit-scrollbar-thumb, table.dk-table::-webkit-scrollbar-thumb,
div.cell_input pre::-webkit-scrollbar-thumb, div.cell_output pre::-webkit-scrollbar-thumb {
  background: #b8b8b8; border-radius: 3px;
}
/* small result tables (dualkit.book.table, Solution, History) */
table.dk-table {
  border-collapse: collapse;
  margin: 0.2em 0 0.6em 0;
  font-size: 0.85em;
  font-variant-numeric: tabular-nums;
  display: block;
  max-width: 100%;
  overflow-x: auto;
}
table.dk-table caption {
  caption-side: top;
  text-align: left;
  font-weight: 600;
  padding: 0 0 0.2em 0;
}
table.dk-table th, table.dk-table td {
  padding: 0.15em 0.7em;
  text-align: right;
  border-bottom: 1px solid var(--pst-color-border, #ddd);
}
/* numbers never break (no spaces, typographic minus); labels wrap at spaces when the column is
   narrow */
table.dk-table td { white-space: normal; overflow-wrap: normal; }
table.dk-table th { border-bottom-width: 2px; white-space: normal; vertical-align: bottom; }
table.dk-table td:first-child, table.dk-table th:first-child { text-align: left; }
/* code (cells, outputs, code blocks, API examples): 88 characters fit the column at 1280 px (the
   chapters keep their lines within 88); on a phone a long line scrolls instead of being cut */
main pre {
  font-size: 12px;
  line-height: 1.45;
  padding-left: 10px;
  padding-right: 10px;
  overflow-x: auto;
}
.admonition div.cell_input pre, .admonition div.cell_output pre,
.solution div.cell_input pre, .solution div.cell_output pre { font-size: 11px; }
/* long inline code in the text (dk.exercises.load("ex-...")) wraps at the column's edge on a
   phone instead of running past it */
main p code.literal, main li code.literal { overflow-wrap: anywhere; }
/* explorers (dualkit.widgets): slider above its figure */
.dk-explorer { margin: 0.4em 0 1em 0; max-width: 100%; }
.dk-explorer-control {
  display: flex; align-items: center; gap: 0.6em; margin: 0 0 0.3em 0; font-weight: 600;
}
.dk-explorer-control input[type=range] { flex: 1 1 auto; max-width: 26em; }
.dk-explorer-control output { min-width: 4.5em; font-variant-numeric: tabular-nums; font-weight: 400; }
/* figures keep their aspect ratio when the column is narrower than their width (Sphinx writes
   the image's width and height as an inline style, so the height must be overridden) */
main img { max-width: 100%; height: auto !important; }
/* the theme's header strip repeats the sidebar's search box */
#pst-header { display: none; }
"""

#: what MyST-NB's execution table writes, in words that every font has
EXEC_SYMBOLS = {"\u2705": "yes", "\u274c": "failed"}


def _write_css(app, exc) -> None:
    if exc is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / "dualkit.css").write_text(CSS)


def _alt_text(caption: str) -> str:
    """The first sentence of a caption, without TeX dollar signs: a figure's alternative text."""
    text = re.sub(r"\s+", " ", caption.replace("$", "")).strip()
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return first if len(first) <= 200 else first[:197].rstrip() + "..."


def _doctree_fixes(app, doctree, docname) -> None:
    from docutils import nodes

    for fig in doctree.findall(nodes.figure):
        caps = list(fig.findall(nodes.caption))
        if not caps:
            continue
        for img in fig.findall(nodes.image):
            alt = img.get("alt", "")
            if not alt or re.fullmatch(r"[0-9a-f]{64}\.\w+|_build/.*", alt) or alt == img.get("uri"):
                img["alt"] = _alt_text(caps[0].astext())
    for text in list(doctree.findall(nodes.Text)):
        s = str(text)
        if any(k in s for k in EXEC_SYMBOLS):
            for k, v in EXEC_SYMBOLS.items():
                s = s.replace(k, v)
            text.parent.replace(text, nodes.Text(s))


def _page_fixes(app, pagename, templatename, context, doctree) -> None:
    """Defects the browser tests found in the generated pages: sphinx-thebe's inline
    configuration script is included twice (``const THEBE_JS_URL`` declared twice: a
    SyntaxError) and the theme's ``default_mode`` is empty (the theme then logs "Got invalid
    theme mode")."""
    scripts = context.get("script_files")
    if scripts:
        seen, unique = set(), []
        for js in scripts:
            key = (str(getattr(js, "filename", js) or ""),        # inline: None or ""
                   tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items())))
            if key not in seen:
                seen.add(key)
                unique.append(js)
        scripts[:] = unique
    if not context.get("default_mode"):
        context["default_mode"] = "auto"


def _notebook_downloads(app, exc) -> None:
    """Every notebook page's download (``_sources/chapters/<name>.ipynb``) made the Colab copy."""
    if exc is not None or app.builder.format != "html":
        return
    from .assignments import NOTEBOOK_CHAPTERS, colab_text

    sources = Path(app.outdir) / "_sources"
    for name in NOTEBOOK_CHAPTERS:
        target = sources / "chapters" / f"{name}.ipynb"
        if target.exists():
            target.write_text(colab_text(app.srcdir, name), encoding="utf-8")


def _kernel_report(app, exception):
    from sphinx.util import logging

    from ._kernel_poll import report

    logging.getLogger(__name__).info(report())


def setup(app):
    # MyST-NB executes the chapters in this process: poll the kernel so that a missed wake-up
    # costs at most a second instead of the cell timeout (see dualkit/_kernel_poll.py)
    from ._kernel_poll import install

    install()
    # the kernels that execute the chapters inherit this: explorers render as static frames
    os.environ["DUALKIT_STATIC_EXPLORERS"] = "1"
    # ... and dk.book.glue records its values for the text ({glue:text}) instead of printing them
    os.environ["DUALKIT_BOOK_BUILD"] = "1"
    app.connect("build-finished", _write_css)
    app.connect("build-finished", _kernel_report)
    app.connect("build-finished", _notebook_downloads)
    app.connect("html-page-context", _page_fixes, priority=900)
    app.connect("doctree-resolved", _doctree_fixes)
    app.add_css_file("dualkit.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
