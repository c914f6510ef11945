"""The book's structure: every chapter is in the TOC, has the jupytext header and a label,
the config keeps the build strict, and the environment stays pinned."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    return files


def test_every_chapter_is_in_the_toc_and_exists():
    files = _toc_files()
    on_disk = {f"chapters/{p.stem}" for p in (ROOT / "chapters").glob("*.md")}
    assert set(files) == on_disk
    assert files[:2] == ["chapters/intro", "chapters/preliminaries"]
    assert files[-1] == "chapters/references" and "chapters/api" in files


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("*.md")), ids=lambda p: p.stem)
def test_chapter_header_and_label(path):
    text = path.read_text()
    has_code = "```{code-cell}" in text
    if has_code:
        assert text.startswith("---\njupytext:"), "notebook chapters need the jupytext header"
        assert "format_name: myst" in text and "name: python3" in text
    label = re.search(r"^\(((ch|app)-[a-z0-9-]+)\)=$", text, re.M)
    assert label, f"{path.name} must start with a (ch-...)= or (app-...)= label"
    assert "hide_solutions" not in text and ":hidden:" not in text


def test_result_chapters_have_theorem_exercises_and_figures():
    text = (ROOT / "chapters" / "two_layer_linear.md").read_text()
    assert "{prf:theorem}" in text
    assert text.count("{exercise-start}") >= 2
    assert text.count("{solution-start}") == text.count("{exercise-start}")
    assert text.count(":class: dropdown") == text.count("{solution-start}")
    assert "mystnb:\n  figure:" in text and "{cite}" in text


def test_config_is_strict():
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    ex = cfg["execute"]
    assert ex["execute_notebooks"] == "force" and ex["raise_on_error"] is True
    assert ex["show_tb"] is True and ex["timeout"] > 30
    assert ex.get("stderr_output", "show") != "remove-warn"
    ext = cfg["sphinx"]["extra_extensions"]
    assert {"sphinx_proof", "sphinx_exercise", "sphinx.ext.autodoc"} <= set(ext)
    assert cfg["launch_buttons"]["colab_url"]
    assert "**.ipynb" in cfg["exclude_patterns"]
    macros = cfg["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    assert {"R", "norm", "relu"} <= set(macros)


def test_requirements_are_pinned():
    req = (ROOT / "requirements.txt").read_text().splitlines()
    req = [r.strip() for r in req if r.strip() and not r.startswith("#")]
    assert "jupyter-book==1.0.4.post1" in req and "torch==2.13.0" in req
    assert req[-1] == "-e ."
    for name in ["cvxpy", "numpy", "scipy", "matplotlib", "ipywidgets", "sphinx-proof",
                 "sphinx-exercise", "jupytext", "tqdm", "pytest", "hypothesis"]:
        assert any(r.startswith(name) for r in req), name


def test_readme_gives_the_two_commands():
    text = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    build = "pip install -r requirements.txt && jupyter-book build . --all"
    test = "pip install -r requirements.txt && python -m pytest"
    assert build in text and test in text
    assert "python -m pytest" in ci and "jupyter-book build" in ci and "-W -n --keep-going" in ci


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("*.md")), ids=lambda p: p.stem)
def test_code_cell_metadata_is_valid_yaml(path):
    """A caption with ': ' inside breaks the cell's YAML and the whole build."""
    text = path.read_text()
    for block in re.findall(r"```\{code-cell\}[^\n]*\n---\n(.*?)\n---\n", text, re.S):
        meta = yaml.safe_load(block)
        assert isinstance(meta, dict)
        fig = meta.get("mystnb", {}).get("figure")
        if fig:
            assert isinstance(fig.get("caption"), str) and fig.get("name", "").startswith("fig-")


_SKIP_DIRS = {".git", "_build", ".venv", "assignments", ".ipynb_checkpoints", ".pytest_cache",
              ".ruff_cache", ".hypothesis", "node_modules", "__pycache__"}


def _repo_files(*suffixes):
    for path in sorted(ROOT.rglob("*")):
        rel = path.relative_to(ROOT)
        if any(part in _SKIP_DIRS or part.endswith(".egg-info") for part in rel.parts[:-1]):
            continue
        if path.is_file() and path.suffix in suffixes:
            yield path


def test_no_reference_to_a_document_the_reader_does_not_have():
    """The book carries its own mathematics (chapters/derivations.md): no file may send the
    reader to the private reference the project was started from."""
    name = "MA" + "TH"        # spelled in two pieces so that this file does not match itself
    pattern = re.compile(rf"\b{name}(\.md)?\b")
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in _repo_files(".py", ".md", ".yml", ".yaml", ".ipynb")
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if pattern.search(line)]
    assert not hits, f"references to {name}.md (cite the derivations appendix instead): {hits}"


def test_every_cited_appendix_label_exists():
    """Every {ref}`app-...` (MyST) and :ref:`app-...` (docstrings) resolves to a label of the
    derivations appendix."""
    labels = set(re.findall(r"^\((app-[a-z0-9-]+)\)=$",
                            (ROOT / "chapters" / "derivations.md").read_text(), re.M))
    assert {"app-derivations", "app-principle", "app-closed-form", "app-certificates",
            "app-limits"} <= labels
    cite = re.compile(r"(?:\{ref\}|:ref:)`(?:[^`<]*<)?(app-[a-z0-9-]+)>?`")
    missing = [f"{p.relative_to(ROOT)}: {label}" for p in _repo_files(".py", ".md")
               for label in cite.findall(p.read_text(encoding="utf-8")) if label not in labels]
    assert not missing, f"cited appendix labels that chapters/derivations.md does not define: {missing}"


SETUP_CELL = "```{code-cell} ipython3\n:tags: [remove-cell]\nimport dualkit as dk\ndk.book.setup("


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("*.md")), ids=lambda p: p.stem)
def test_code_fits_the_column_and_chapters_start_with_the_setup_cell(path):
    """88 characters of code fit the book's column at 1280 px (dualkit.css); every chapter with
    code starts with the hidden cell that sets up figures and printing (dk.book.setup)."""
    text = path.read_text()
    cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)\n```", text, re.S)
    if not cells:
        return
    assert text.count("```{code-cell}") and text.index(SETUP_CELL) == text.index("```{code-cell}"), \
        f"{path.name}: the first code cell must be the hidden set-up cell ({SETUP_CELL!r}...)"
    for cell in cells:
        body = re.sub(r"\A---\n.*?\n---\n", "", cell, flags=re.S)      # metadata block
        for line in body.splitlines():
            assert len(line) <= 88, f"{path.name}: a code line of {len(line)} characters: {line}"
