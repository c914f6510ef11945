r"""Course assignments and Colab copies from the book's chapters.

The chapters are MyST notebooks. In each exercise, a hidden *stub* code cell tagged ``exercise``
(also ``remove-cell`` and ``skip-execution``, so the online book neither shows nor runs it)
raises ``NotImplementedError``, and the solution code cells, inside the folded
``{solution-start}`` ... ``{solution-end}`` block, are tagged ``solution``.

Commands (run anywhere inside the repository, or name its root with ``--root``)::

    python -m dualkit.assignments build [--out DIR]  # student and instructor notebooks
    python -m dualkit.assignments colab              # chapters/*.ipynb for Colab
    python -m dualkit.assignments check-colab        # exit 1 if those are stale

``build`` writes ``<out>/student/<chapter>.ipynb`` (every solution removed: its code cells and its
prose; the stubs left in their place) and ``<out>/instructor/<chapter>.ipynb`` (complete, without
stubs) for every chapter with exercises; the folder is ignored by git and by the book. ``colab`` writes,
next to every chapter source, the ``.ipynb`` that the book's "open in Colab" button opens: the
chapter as in the book, after a first cell that installs ``dualkit`` when it runs in Colab.
All of them are in plain Jupyter Markdown (``dualkit._notebook_md``: theorems, exercises,
references and the book's math macros written out, links into the online book at
``html.baseurl``); instructor notebooks and Colab copies fold every solution.

Introduced in :ref:`ch-instructors`.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path

import nbformat

from . import _notebook_md, exercises

__all__ = ["EXERCISE_CHAPTERS", "student_notebook", "instructor_notebook", "colab_notebook", "build",
           "write_colab", "colab_out_of_date", "main"]

#: the chapters with exercises, in book order (they become assignments)
EXERCISE_CHAPTERS = list(exercises.CHAPTERS)
#: the notebook chapters (a jupytext header with a kernel) that get a Colab copy
NOTEBOOK_CHAPTERS = ["intro", *EXERCISE_CHAPTERS, "real_data", "certify", "instructors", "performance"]
#: the pip requirement that the install cell installs when ``_config.yml`` names none (see
#: :func:`install_spec`): the repository's main branch, no extras (Colab's torch and ipywidgets stay)
INSTALL_SPEC = "dualkit @ git+https://github.com/dualkit/dualkit@main"


def install_spec(root=".") -> str:
    """Where the notebooks install ``dualkit`` from in Colab: ``repository: install:`` in the
    book's ``_config.yml`` (a pip requirement: ``dualkit @ git+URL@BRANCH``, ``dualkit==0.1.0``
    once on an index, or a wheel's URL), else ``dualkit @ git+<url>@<branch>`` from the
    repository's ``url`` and ``branch`` there, else :data:`INSTALL_SPEC`."""
    import yaml

    path = Path(root) / "_config.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    repo = (config or {}).get("repository") or {}
    if repo.get("install"):
        return str(repo["install"]).strip()
    if repo.get("url"):
        return f"dualkit @ git+{repo['url']}@{repo.get('branch') or 'main'}"
    return INSTALL_SPEC


def colab_cell(spec: str = INSTALL_SPEC) -> str:
    """The first cell of every generated notebook: in Colab only, ``pip install spec`` (nothing
    upgraded that dualkit's loose lower bounds do not need: Colab's torch and ipywidgets 7
    stay, so no restart); if pip fails, its last messages and what to do, not a traceback of
    ``subprocess``."""
    return f'''# In Colab only: install dualkit (locally, run pip install -r requirements.txt in the
# repository instead). Colab's own torch and ipywidgets are kept: no restart needed.
import subprocess
import sys

DUALKIT = {json.dumps(spec)}
if "google.colab" in sys.modules:
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", DUALKIT],
                         capture_output=True, text=True)
    if pip.returncode != 0:
        print((pip.stdout + pip.stderr)[-3000:])
        raise RuntimeError(
            f"pip could not install {{DUALKIT!r}} (its messages are above). Check "
            "that this runtime reaches the internet and run this cell again, or set "
            "DUALKIT to another source: 'dualkit @ git+https://github.com/OWNER/dualkit"
            "@BRANCH', or the path of a wheel you uploaded, such as "
            "'/content/dualkit-0.1.0-py3-none-any.whl'.")
    print("dualkit installed from", DUALKIT)'''


HIDDEN_TAGS = {"remove-cell", "skip-execution"}


def read_chapter(path) -> nbformat.NotebookNode:
    """A chapter's MyST source as a notebook (jupytext)."""
    import jupytext

    return jupytext.reads(Path(path).read_text(encoding="utf-8"), fmt="md:myst")


def _tags(cell) -> list:
    return list(cell.get("metadata", {}).get("tags", []))


def _book(root) -> _notebook_md.Book:
    """The book's label index, bibliography and macros (read once per state of the sources)."""
    root = Path(root).resolve()
    files = [root / "_config.yml", root / "_toc.yml", *sorted((root / "chapters").glob("*.md")),
             *sorted(root.glob("*.bib"))]
    stamp = tuple((str(f), f.stat().st_mtime_ns) for f in files if f.exists())
    return _load_book(str(root), stamp)


@functools.lru_cache(maxsize=4)
def _load_book(root: str, stamp: tuple) -> _notebook_md.Book:
    return _notebook_md.Book.load(root)


def _transform(nb, keep_solutions: bool, keep_stubs: bool, root="."):
    """The chapter in plain Jupyter Markdown (``dualkit._notebook_md``): solutions removed,
    or folded when ``keep_solutions``; the exercise stubs kept (shown) when ``keep_stubs``."""
    return _notebook_md.convert_notebook(nb, _book(root), "fold" if keep_solutions else "remove",
                                         keep_stubs, hidden_tags=HIDDEN_TAGS)


def _prepend(nb, root) -> nbformat.NotebookNode:
    """The install cell first; kernel-only metadata; stable cell ids. (The book's math macros
    are expanded in the Markdown itself, so no macro cell is needed.)"""
    # only the kernel: jupytext's own metadata names its version, which would make the
    # committed copies depend on the installed jupytext
    nb.metadata = nbformat.from_dict({"kernelspec": nb.metadata.get("kernelspec", {})})
    head = [nbformat.v4.new_code_cell(colab_cell(install_spec(root)),
                                      metadata={"tags": ["colab-install"]})]
    nb.cells = head + nb.cells
    for i, cell in enumerate(nb.cells):  # stable ids keep the committed copies diff-free
        cell["id"] = f"cell-{i}"
    return nb


def student_notebook(nb, root=".", seed: int = 0) -> nbformat.NotebookNode:
    """Every solution removed (code and prose); the stubs shown in their place; after the
    install cell, a cell choosing the exercises' variant ``seed``
    (:func:`dualkit.exercises.set_seed`); after the check of an open experiment, a Markdown
    cell for the student's explanation (graded by hand)."""
    from ._grading import seed_cell

    out = _prepend(_transform(nb, keep_solutions=False, keep_stubs=True, root=root), root)
    out.cells.insert(1, seed_cell(seed))
    cells = []
    for cell in out.cells:
        cells.append(cell)
        if "check" in cell.metadata.get("tags", []):
            ex = exercises.get(cell.source.split('check("', 1)[1].split('"', 1)[0])
            if ex.manual:
                cells.append(nbformat.v4.new_markdown_cell(
                    f"**Your explanation** (Exercise {exercises.number(ex.label)}, "
                    f"{ex.manual:g} points given by hand): *replace this line with your "
                    "answer in words.*", metadata={"tags": ["explanation"]}))
    out.cells = cells
    for i, cell in enumerate(out.cells):  # stable ids, as in _prepend
        cell["id"] = f"cell-{i}"
    return out


def instructor_notebook(nb, root=".") -> nbformat.NotebookNode:
    """The complete chapter with its solutions; no stubs."""
    return _prepend(_transform(nb, keep_solutions=True, keep_stubs=False, root=root), root)


def colab_notebook(nb, root=".") -> nbformat.NotebookNode:
    """The chapter as the book shows it (stubs dropped, solutions folded), after the Colab
    install cell."""
    return _prepend(_transform(nb, keep_solutions=True, keep_stubs=False, root=root), root)


def _write(nb, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def build(root=".", out="assignments", chapters=None, variants=None) -> list[Path]:
    """Write the student and instructor notebooks of every chapter with exercises; returns the paths.

    With ``variants`` (a roster CSV: a ``student`` column, optionally ``seed``), every student
    gets their own folder ``<out>/student/<student>/`` whose notebooks use the student's seed
    (see ``python -m dualkit.assignments grade``), and ``<out>/roster_seeds.csv`` records the seeds;
    grade with the same roster.
    """
    from ._grading import read_roster

    root, out = Path(root), Path(root) / out if not Path(out).is_absolute() else Path(out)
    roster = read_roster(variants) if variants else None
    written = []
    for name in chapters or EXERCISE_CHAPTERS:
        nb = read_chapter(root / "chapters" / f"{name}.md")
        targets = ([(out / "student" / f"{name}.ipynb", 0)] if roster is None else
                   [(out / "student" / s / f"{name}.ipynb", seed) for s, seed in roster.items()])
        for path, seed in targets:
            student = student_notebook(nb, root, seed=seed)
            student.metadata["dualkit"] = {"chapter": name, "seed": seed}
            _write(student, path)
            written.append(path)
        teacher = instructor_notebook(nb, root)
        teacher.metadata["dualkit"] = {"chapter": name, "seed": 0}
        path = out / "instructor" / f"{name}.ipynb"
        _write(teacher, path)
        written.append(path)
    if roster is not None:
        out.mkdir(parents=True, exist_ok=True)
        lines = ["student,seed"] + [f"{s},{seed}" for s, seed in roster.items()]
        (out / "roster_seeds.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return written


def _colab(root: Path, name: str) -> nbformat.NotebookNode:
    return colab_notebook(read_chapter(root / "chapters" / f"{name}.md"), root)


def colab_text(root, name: str) -> str:
    """The file ``chapters/<name>.ipynb`` (the Colab copy; also the book's .ipynb download)."""
    return nbformat.writes(_colab(Path(root), name)) + "\n"


def write_colab(root=".") -> list[Path]:
    """Write ``chapters/<name>.ipynb`` for every notebook chapter (the Colab copies)."""
    root = Path(root)
    paths = []
    for name in NOTEBOOK_CHAPTERS:
        path = root / "chapters" / f"{name}.ipynb"
        path.write_text(colab_text(root, name), encoding="utf-8")
        paths.append(path)
    return paths


def _cells(nb) -> list:
    return [(c.cell_type, c.source, tuple(_tags(c))) for c in nb.cells]


def colab_out_of_date(root=".") -> list[str]:
    """Names of the chapters whose committed Colab copy differs from its source (compared cell
    by cell: type, source and tags)."""
    root = Path(root)
    stale = []
    for name in NOTEBOOK_CHAPTERS:
        path = root / "chapters" / f"{name}.ipynb"
        if not path.exists():
            stale.append(name)
            continue
        committed = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        if _cells(committed) != _cells(_colab(root, name)):
            stale.append(name)
    return stale


def find_root(start=".") -> Path:
    """The book's root folder: ``start`` or the nearest folder above it that holds
    ``_config.yml`` and ``chapters/``."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / "_config.yml").is_file() and (folder / "chapters").is_dir():
            return folder
    raise FileNotFoundError(
        f"no book found in {start} or above it (a folder with _config.yml and chapters/): run "
        "the command inside the repository, or name its root folder with --root.")


def main(argv=None) -> int:
    """The command line, ``python -m dualkit.assignments {build,colab,check-colab,grade} ...``
    (``--help`` lists the options); returns the exit status (0 on success, 2 on a usage
    error)."""
    ap = argparse.ArgumentParser(prog="python -m dualkit.assignments", description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["build", "colab", "check-colab", "grade"])
    ap.add_argument("submissions", nargs="?", help="grade: the folder of submitted notebooks")
    ap.add_argument("--root", default=None,
                    help="the book's root folder (default: the current folder or the nearest one "
                         "above it with _config.yml and chapters/)")
    ap.add_argument("--out", default=None,
                    help="build: output folder (default: assignments); grade: the CSV to write "
                         "(default: grades.csv)")
    ap.add_argument("--variants", default=None, metavar="ROSTER",
                    help="build: one variant per student of this roster CSV (student[,seed])")
    ap.add_argument("--roster", default=None,
                    help="grade: the roster the variants were built from")
    ap.add_argument("--timeout", type=int, default=600, help="grade: seconds per cell")
    ap.add_argument("--jobs", type=int, default=1, help="grade: notebooks run in parallel")
    args = ap.parse_args(argv)
    if args.command == "grade":
        from ._grading import grade

        if not args.submissions:
            ap.error("grade needs the folder of submissions: grade SUBMISSIONS_DIR --out grades.csv")
        out = args.out or "grades.csv"
        try:
            rows = grade(args.submissions, out, roster=args.roster, timeout=args.timeout,
                         jobs=args.jobs)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        for r in rows:
            print(f"{r['student']:<20} {r['file']:<32} {r['points']:g} / {r['max_points']:g}")
        print(f"grades written to {out}")
        return 0
    try:
        if args.root is None:
            args.root = find_root()
        elif not ((Path(args.root) / "_config.yml").is_file() and (Path(args.root) / "chapters").is_dir()):
            raise FileNotFoundError(f"--root {args.root}: no _config.yml and chapters/ there.")
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.command == "build":
        try:
            paths = build(args.root, args.out or "assignments", variants=args.variants)
        except ValueError as err:      # a bad roster: say so, as grade does, no traceback
            print(f"error: {err}", file=sys.stderr)
            return 2
        for path in paths:
            print(path)
        return 0
    if args.command == "colab":
        for path in write_colab(args.root):
            print(path)
        return 0
    stale = colab_out_of_date(args.root)
    if stale:
        print("Colab copies out of date: " + ", ".join(stale)
              + ". Run: python -m dualkit.assignments colab")
        return 1
    print("Colab copies are in sync with the chapter sources.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
