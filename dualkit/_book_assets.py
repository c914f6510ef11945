"""Sphinx extension of the book: serve the JavaScript it needs from the site itself.

It also makes the chapters' execution immune to missed kernel wake-ups (``_kernel_poll``).

A reader offline (or behind a firewall) must still see the math and the saved widgets, so the
built HTML loads nothing from a CDN:

* MathJax 3.2.2 comes from the PyPI package ``sphinx-mathjax-offline`` (listed in
  ``requirements.txt`` and as an extension in ``_config.yml``, which copies it to
  ``_static/mathjax``; ``mathjax_path`` points there).
* The ipywidgets embedder (``@jupyter-widgets/html-manager`` 1.0.6, the version MyST-NB uses
  for ipywidgets 8) and RequireJS 2.3.4 come from the npm registry: this extension downloads
  the two package tarballs once per build directory, checks their sha512 integrity against the
  values pinned below, and copies the files to ``_static/widgets``; ``nb_ipywidgets_js`` in
  ``_config.yml`` points there.

To update a package: change its version, tarball URL and ``dist.integrity`` below
(``npm view <package>@<version> dist``) and, for the embedder, the file name in
``nb_ipywidgets_js``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import tarfile
import urllib.request
from pathlib import Path

NPM_PACKAGES = {
    # name: (tarball, integrity, files in the tarball, folder under _static/widgets)
    "html-manager": (
        "https://registry.npmjs.org/@jupyter-widgets/html-manager/-/html-manager-1.0.6.tgz",
        "sha512-+Mn+Ra8wyIHrYaUpfmf9A3dsLkt/NuwzPQN8sthdxBD35VV5cOJbpmgMhNR27n/rmP3mKyEe0PWCJrtZrXTXDQ==",
        "package/dist/",
        # RequireJS resolves the embedder's module id, and from it the fonts, under its baseUrl
        "@jupyter-widgets/html-manager/dist",
    ),
    "requirejs": (
        "https://registry.npmjs.org/requirejs/-/requirejs-2.3.4.tgz",
        "sha512-qPD5gRrj6kGQ0ZySAJgqbArkaDqPMbQIT0zSZDkIv1mfA17w/tR2Faq5l2qqRf2CdQx6FWln9nUrgd2UDzb19A==",
        "package/require.js",
        ".",
    ),
}

#: html-manager 1.0.6 typesets widget labels with MathJax 2's ``MathJax.Hub.Queue``; under
#: MathJax 3 that is undefined and the embedder throws. This maps it to ``typesetPromise``.
MJX2_SHIM = """(function () {
  function shim() {
    var mj = window.MathJax;
    if (mj && !mj.Hub) {
      mj.Hub = {Queue: function (job) {      // job = ["Typeset", MathJax.Hub, element]
        var el = job && job[2];
        if (!mj.typesetPromise || !mj.startup) { return; }
        mj.startup.promise = mj.startup.promise.then(function () {
          return mj.typesetPromise(el ? [el] : undefined);
        });
      }};
    }
  }
  shim();
  document.addEventListener('DOMContentLoaded', shim);
})();"""


def _fetch(name: str, cache: Path) -> Path:
    """The package's files in ``cache/name`` (downloaded and integrity-checked once)."""
    url, integrity, prefix, _ = NPM_PACKAGES[name]
    # keyed by the pinned integrity: bumping a version never reuses old files
    target = cache / f"{name}-{hashlib.sha256(integrity.encode()).hexdigest()[:12]}"
    if (target / ".complete").exists():
        return target
    with urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310 - the npm registry
        data = resp.read()
    algo, _, want = integrity.partition("-")
    got = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if got != want:
        raise RuntimeError(f"{url}: integrity {algo}-{got} does not match the pinned {integrity}.")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile() or not member.name.startswith(prefix) or member.name.endswith(".map"):
                continue
            out = target / Path(member.name).name
            out.write_bytes(tar.extractfile(member).read())
    (target / ".complete").touch()
    return target


def _copy_widgets(app, exc) -> None:
    if exc is not None or app.builder.format != "html":
        return
    from sphinx.util import logging

    cache = Path(app.outdir).parent / "offline_assets"
    try:
        for name, (*_, folder) in NPM_PACKAGES.items():
            dest = Path(app.outdir) / "_static" / "widgets" / folder
            dest.mkdir(parents=True, exist_ok=True)
            for f in _fetch(name, cache).iterdir():
                if f.name != ".complete":
                    shutil.copy2(f, dest / f.name)
    except Exception as err:  # a warning: the strict build (-W) fails on it
        logging.getLogger(__name__).warning(
            f"could not install the offline widget JavaScript from the npm registry: {err}")


def _page_fixes(app, pagename, templatename, context, doctree) -> None:
    """Defects the browser tests found in the generated pages: sphinx-thebe's inline
    configuration script is included twice (``const THEBE_JS_URL`` declared twice: a
    SyntaxError), the theme's ``default_mode`` is empty (the theme then logs "Got invalid
    theme mode"), and the widget embedder looks for its fonts next to the page."""
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
    # RequireJS resolves the embedder's module (and from it the embedder's fonts) against its
    # baseUrl, the page's folder by default: point it at _static/widgets with a global
    # ``require`` config object, which RequireJS reads when it loads
    if scripts:
        names = [str(getattr(js, "filename", "") or "") for js in scripts]
        at = next((i for i, f in enumerate(names) if f.endswith("widgets/require.js")), None)
        if at is not None:
            from sphinx.builders.html._assets import _JavaScript

            base = context["pathto"]("_static/widgets/", 1)
            scripts.insert(at, _JavaScript("", priority=scripts[at].priority,
                                           body=f"var require = {{baseUrl: {base!r}}};"))


def _kernel_report(app, exception):
    from sphinx.util import logging

    from ._kernel_poll import report

    logging.getLogger(__name__).info(report())


def setup(app):
    # MyST-NB executes the chapters in this process: poll the kernel so that a missed wake-up
    # costs at most a second instead of the cell timeout (see dualkit/_kernel_poll.py)
    from ._kernel_poll import install

    install()
    app.connect("build-finished", _copy_widgets)
    app.connect("build-finished", _kernel_report)
    app.connect("html-page-context", _page_fixes, priority=900)
    app.add_js_file(None, body=MJX2_SHIM, priority=510)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
