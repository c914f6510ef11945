"""Generated notebooks in plain Jupyter Markdown: the converter (dualkit/_notebook_md.py) on
small inputs, and every student, instructor and Colab notebook parsed with markdown-it-py."""

import importlib.metadata
import re
from pathlib import Path

import nbformat
import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from dualkit import _notebook_md as md
from dualkit import assignments

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://dualkit.github.io/dualkit/"


def small_book(**labels) -> md.Book:
    book = md.Book(base_url=BASE, repo_url="https://github.com/dualkit/dualkit",
                   macros={"norm": (r"\lVert#1\rVert", 1), "R": (r"\mathbb{R}", 0),
                           "relu": ("(#1)_+", 1), "betaeff": (r"\beta_{\mathrm{eff}}", 0)},
                   chapter_numbers={"chapters/intro": "", "chapters/two": "2"})
    book.labels = {k: md.Target(*v) for k, v in labels.items()}
    book.bib = md.parse_bib("""
@article{a2021, author = {Ergen, Tolga and Pilanci, Mert}, title = {T}, year = {2021a}}
@article{w2023, author = {Wang, Yifei and Ergen, Tolga and Pilanci, Mert}, title = {{P}}, year = 2023}
@book{s2020, author = {Alone, Ann}, title = {S}, year = {2020}}
""")
    return book


# ------------------------------------------------------------------------------ unit tests
def test_macros_expand_with_nested_braces_nested_macros_and_unbraced_arguments():
    book = small_book()
    assert book.expand_macros(r"\norm{X^\top\lambda_{\max\{1,2\}}}_2") == \
        r"\lVert{X^\top\lambda_{\max\{1,2\}}}\rVert_2"
    assert book.expand_macros(r"\norm{\relu{Xu}}\le\betaeff") == \
        r"\lVert{({Xu})_+}\rVert\le\beta_{\mathrm{eff}}"
    assert book.expand_macros(r"x\in\R^d,\ \norm x,\ \norm\lambda") == \
        r"x\in\mathbb{R}^d,\ \lVert{x}\rVert,\ \lVert{\lambda}\rVert"
    assert book.expand_macros(r"\Rightarrow\normalsize") == r"\Rightarrow\normalsize"
    with pytest.raises(ValueError, match="unbalanced"):
        book.expand_macros(r"\norm{x")


def test_cite_of_one_two_and_three_authors_as_the_book_shows_them():
    conv = md.Converter(small_book())
    out = conv.convert("as shown {cite}`a2021,w2023` and {cite}`s2020`.")
    refs = BASE + "chapters/references.html"
    assert out == (f"as shown [[Ergen and Pilanci, 2021a]({refs}), [Wang *et al.*, 2023]({refs})]"
                   f" and [[Alone, 2020]({refs})].")
    with pytest.raises(ValueError, match="not in the bibliography"):
        conv.convert("{cite}`nobody`")


def test_ref_numref_prfref_with_and_without_text():
    book = small_book(**{"sec-a": ("chapters/two", "The $\\R$ case", "section"),
                         "fig-a": ("chapters/two", "Fig. 2.3", "figure"),
                         "thm-a": ("chapters/two", "Theorem 2.1", "theorem")})
    conv = md.Converter(book)
    url = BASE + "chapters/two.html#"
    assert conv.convert("{ref}`sec-a`") == f"[The $\\mathbb{{R}}$ case]({url}sec-a)"
    assert conv.convert("see {ref}`this part <sec-a>`") == f"see [this part]({url}sec-a)"
    assert conv.convert("{numref}`fig-a`") == f"[Fig. 2.3]({url}fig-a)"
    assert conv.convert("{numref}`Figure %s <fig-a>`") == f"[Figure 2.3]({url}fig-a)"
    assert conv.convert("{prf:ref}`thm-a`") == f"[Theorem 2.1]({url}thm-a)"
    assert conv.convert("the code `{ref}` role") == "the code `{ref}` role"   # a code span
    with pytest.raises(ValueError, match="no such label"):
        conv.convert("{ref}`nowhere`")


def test_prf_block_with_title_label_and_proof():
    book = small_book(**{"thm-a": ("chapters/two", "Theorem 2.1", "theorem")})
    text = ("(sec-x)=\n% a comment\n````{prf:theorem} Dual of $\\norm{w}$\n:label: thm-a\n\n"
            "For every $\\beta$,\n\n$$\nP=D \\tag{C1}\n$$\n````\n"
            "````{prf:proof}\nBy {glue:text}`gap:.2e` and\n\\begin{align*}\na&=b\\\\\nc&=d\n"
            "\\end{align*}\n````\n```{warning}\nCareful.\n```")
    out = md.Converter(book).convert(text)
    assert out.startswith(f"**[Theorem 2.1]({BASE}chapters/two.html#thm-a)** "
                          "(Dual of $\\lVert{w}\\rVert$). For every $\\beta$,")
    assert "$$\nP=D \\tag{C1}\n$$" in out
    assert "*Proof.* By `gap` and\n\n$$\n\\begin{aligned}\na&=b\\\\\nc&=d\n\\end{aligned}\n$$\n\n∎" \
        in out
    assert out.endswith("**Warning.** Careful.")
    assert "(sec-x)=" not in out and "comment" not in out and "```" not in out


def test_equation_labels_are_dropped_and_tags_kept():
    conv = md.Converter(small_book())
    assert conv.convert("$$\nx=1\n$$ (eq-x)\n") == "$$\nx=1\n$$"
    out = conv.convert("\\begin{equation*}\n\\begin{aligned}\na&=\\R\n\\end{aligned}\n\\tag{P1}\n"
                       "\\end{equation*}")
    assert out == "$$\n\\begin{aligned}\na&=\\mathbb{R}\n\\end{aligned}\n\\tag{P1}\n$$"
    assert conv.convert("```{math}\n:label: eq-y\ny=\\betaeff\n```") == \
        "$$\ny=\\beta_{\\mathrm{eff}}\n$$"
    out = conv.convert("\\begin{align}\na&=b \\label{eq-z}\\tag{Z}\n\\end{align}")
    assert out == "$$\n\\begin{aligned}\na&=b\n\\end{aligned}\\tag{Z}\n$$"


def test_download_links_into_the_repository_and_images_into_the_book():
    conv = md.Converter(small_book())
    assert conv.convert("{download}`full.csv <../benchmarks/results/full.csv>`") == \
        "[full.csv](https://github.com/dualkit/dualkit/blob/main/benchmarks/results/full.csv)"
    assert conv.convert("![a plot](images/plot.png)") == f"![a plot]({BASE}_images/plot.png)"


def _chapter(*cells):
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(c[5:], metadata={"tags": ["solution"]}) if c.startswith("CODE:")
        else nbformat.v4.new_code_cell(c[5:], metadata={"tags": ["exercise"]})
        if c.startswith("STUB:") else nbformat.v4.new_markdown_cell(c) for c in cells])


EXERCISE = ("```{exercise-start}\n:label: ex-a\n```\nDo it.\n```{exercise-end}\n```",
            "STUB:raise NotImplementedError",
            "```{solution-start} ex-a\n:class: dropdown\n```\nFirst $\\R$.",
            "CODE:x = 1",
            "More.\n```{solution-end}\n```\nAfter.")


def test_exercises_numbered_and_solutions_removed_or_folded():
    book = small_book(**{"ex-a": ("chapters/two", "Exercise 2.1", "exercise")})
    nb = _chapter(*EXERCISE)
    student = md.convert_notebook(nb, book, "remove", keep_stubs=True)
    assert [c.source for c in student.cells] == [
        f"### [Exercise 2.1]({BASE}chapters/two.html#ex-a)\n\nDo it.",
        "raise NotImplementedError", "After."]
    folded = md.convert_notebook(nb, book, "fold", keep_stubs=False)
    src = [c.source for c in folded.cells]
    assert src[1] == ("<details><summary><b>Solution to Exercise 2.1</b></summary>\n\n"
                      "First $\\mathbb{R}$.\n\n</details>")
    assert src[2] == "# @title Solution to Exercise 2.1 (code)\nx = 1"
    assert folded.cells[2].metadata["jupyter"] == {"source_hidden": True}
    assert folded.cells[2].metadata["cellView"] == "form"
    assert src[3] == ("<details><summary><b>Solution to Exercise 2.1 (continued)</b></summary>"
                      "\n\nMore.\n\n</details>\n\nAfter.")
    with pytest.raises(ValueError, match="never closed"):
        md.convert_notebook(_chapter(*EXERCISE[:3]), book, "remove", keep_stubs=True)


def test_check_cells_stay_in_every_notebook():
    book = small_book(**{"ex-a": ("chapters/two", "Exercise 2.1", "exercise")})
    nb = _chapter(*EXERCISE)
    nb.cells.insert(4, nbformat.v4.new_code_cell("dk.exercises.check()",
                                                 metadata={"tags": ["check"]}))
    for mode in ("remove", "fold"):
        out = md.convert_notebook(nb, book, mode, keep_stubs=mode == "remove")
        checks = [c for c in out.cells if "check" in c.metadata.get("tags", [])]
        assert len(checks) == 1 and checks[0].source == "dk.exercises.check()"
        assert "source_hidden" not in str(checks[0].metadata)


def test_the_book_numbers_of_theorems_exercises_and_figures():
    # as the built book shows them (checked against _build/html/chapters/*.html)
    book = md.Book.load(ROOT)
    assert book.base_url == BASE
    expect = {"thm-two-layer-linear": "Theorem 2.1", "prop-extreme-points": "Proposition 1.1",
              "prop-deep-vector-gap": "Proposition 4.1", "thm-vector-outputs": "Theorem 4.1",
              "ex-two-layer-kkt": "Exercise 2.1", "ex-splines-width": "Exercise 7.3",
              "fig-intro": "Fig. 1", "fig-two-layer-neurons": "Fig. 2.3",
              "fig-bench-relu": "Fig. 12.5", "ch-two-layer-linear": "Two-layer linear networks"}
    for label, text in expect.items():
        assert book.labels[label].text == text, label
    assert book.bib["ergen2021revealing"] == "Ergen and Pilanci, 2021a"
    assert book.bib["wang2023parallel"] == "Wang *et al.*, 2023"


# ------------------------------------------------------------- every generated notebook
MYST = ("{prf:", "{exercise", "{solution", "{cite", "{ref}", "{numref}", "{glue", "{download}",
        "{eq}", "{doc}", "{math}", ":label:", ":class:")


def _mathjax_names() -> str:
    files = importlib.metadata.files("sphinx-mathjax-offline") or []
    path = next(f for f in files if str(f).endswith("mathjax/tex-chtml.js"))
    return Path(path.locate()).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("assignments")
    paths = assignments.build(ROOT, out)
    paths += [ROOT / "chapters" / f"{n}.ipynb" for n in assignments.NOTEBOOK_CHAPTERS]
    return paths


@pytest.mark.medium
def test_generated_notebooks_have_no_myst_left(generated):
    book = md.Book.load(ROOT)
    parser = MarkdownIt("commonmark").use(dollarmath_plugin, double_inline=True).enable("table")
    mathjax = _mathjax_names()
    known = {}
    macros = re.compile(r"\\(" + "|".join(book.macros) + r")(?![A-Za-z])")
    links = 0
    for path in generated:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            src = cell.source
            where = f"{path.name}: {src[:80]!r}"
            assert src.count("<details>") == src.count("</details>"), where
            assert not re.search(r"^\s*\([^()\s]+\)=\s*$", src, flags=re.M), where
            assert not re.search(r"^\s*%", src, flags=re.M), where
            for tok in parser.parse(src):
                if tok.type == "fence":
                    assert not tok.info.startswith("{"), where      # no directive fences
                    continue
                children = tok.children or []
                for t in [tok, *children]:
                    if t.type in ("math_inline", "math_block", "math_inline_double"):
                        assert not macros.search(t.content), where
                        for cmd in re.findall(r"\\([A-Za-z]+)", t.content):
                            if cmd not in known:
                                # a macro ("cmd:") or a delimiter ("\\\\cmd":) of MathJax's TeX input
                                known[cmd] = re.search(r'[{,]"?(\\\\)?' + cmd + r'"?:', mathjax) \
                                    is not None
                            assert known[cmd], f"\\{cmd} unknown to MathJax in {where}"
                    elif t.type in ("text", "html_inline", "html_block"):
                        assert not any(m in t.content for m in MYST), where
                        assert not macros.search(t.content), where
                    elif t.type == "link_open":
                        href = t.attrs["href"]
                        if href.startswith(BASE) and "#" in href:
                            page, label = href[len(BASE):].removesuffix("").split(".html#")
                            assert book.labels[label].page == page, href
                            links += 1
    assert links > 100
    assert {"lVert", "tfrac", "mathbb", "begin", "tag"} <= {k for k, v in known.items() if v}


@pytest.mark.medium
def test_solutions_folded_in_instructor_and_colab_notebooks_absent_for_students(generated):
    for path in generated:
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells)
        solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
        if path.parent.name == "student":
            assert not solutions and "Solution to" not in text
            continue
        for c in solutions:
            assert c.metadata["jupyter"]["source_hidden"] and c.metadata["cellView"] == "form"
            assert re.match(r"# @title Solution to Exercise \d+\.\d\b", c.source)
        exercises = re.findall(r"^### \[Exercise (\d+\.\d+)\]", text, flags=re.M)
        summaries = set(re.findall(r"<summary><b>Solution to Exercise (\d+\.\d+)</b>", text))
        assert summaries <= set(exercises)
        if path.stem in assignments.EXERCISE_CHAPTERS:
            assert len(exercises) >= 2 and solutions


def test_book_download_button_gets_the_colab_copy(tmp_path):
    from types import SimpleNamespace

    from dualkit import _book_assets

    sources = tmp_path / "html" / "_sources" / "chapters"
    sources.mkdir(parents=True)
    (sources / "intro.ipynb").write_text("{}")               # what the theme copied: MyST
    app = SimpleNamespace(outdir=str(tmp_path / "html"), srcdir=str(ROOT),
                          builder=SimpleNamespace(format="html"))
    _book_assets._notebook_downloads(app, None)
    assert (sources / "intro.ipynb").read_text() == (ROOT / "chapters" / "intro.ipynb").read_text()
    assert not (sources / "preliminaries.ipynb").exists()    # only the pages the build has


def test_glue_prints_name_and_value_outside_the_book(monkeypatch, capsys):
    import numpy as np

    import dualkit as dk

    monkeypatch.delenv("DUALKIT_BOOK_BUILD", raising=False)
    monkeypatch.setattr(dk.book, "_in_ipython", lambda: True)
    assert dk.book.glue("adam_gap", np.float64(-3.21e-16)) == -3.21e-16
    assert capsys.readouterr().out == "adam_gap = -3.21e-16\n"
    monkeypatch.setattr(dk.book, "_in_ipython", lambda: False)  # plain Python: silent
    dk.book.glue("x", 1.0)
    assert capsys.readouterr().out == ""
