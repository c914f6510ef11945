r"""Grade a folder of submitted notebooks, and per-student variants of the assignments.

Used by ``python -m dualkit.assignments build --variants roster.csv`` and
``python -m dualkit.assignments grade SUBMISSIONS --out grades.csv`` (see :ref:`ch-instructors`).

Grading a notebook runs it top to bottom in a fresh kernel (no Docker; nbclient), reads the
answer variables of the chapter's exercises out of the kernel, and runs every test of
:mod:`dualkit.exercises` on them in the grader's own process, against the data of the
student's seed (from the roster; without one, the seed the notebook was built with).
A cell that raises costs only what depends on it; a cell that hangs is interrupted after
``timeout`` seconds; a kernel that dies costs the answers not yet read.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import pickle
from collections.abc import Iterable
from pathlib import Path

import nbformat

from . import exercises as _ex

__all__ = ["read_roster", "seed_for", "seed_cell", "grade_notebook", "grade", "write_csv"]

_MARK = "DUALKIT-ANSWERS:"


def seed_for(student: str) -> int:
    """A stable variant seed for a student id (the first 31 bits of its SHA-256)."""
    return int.from_bytes(hashlib.sha256(str(student).encode()).digest()[:4], "big") >> 1


def read_roster(path) -> dict[str, int]:
    """``{student: seed}`` from a CSV with a ``student`` column and an optional ``seed`` column
    (a student without a seed gets :func:`seed_for` of their id)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"roster {path} does not exist: give a CSV with a 'student' column "
                         "(and optionally 'seed').")
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or "student" not in rows[0]:
        raise ValueError(f"roster {path} needs a header with a 'student' column "
                         "(and optionally 'seed').")
    roster = {}
    for i, row in enumerate(rows, start=2):
        student = (row.get("student") or "").strip()
        if not student:
            raise ValueError(f"roster {path}, line {i}: empty student id.")
        if student in roster:
            raise ValueError(f"roster {path}, line {i}: student {student!r} appears twice.")
        seed = (row.get("seed") or "").strip()
        try:
            roster[student] = int(seed) if seed else seed_for(student)
        except ValueError:
            raise ValueError(f"roster {path}, line {i}: seed {seed!r} is not an integer.") from None
        if not 0 <= roster[student] < 2**32:
            raise ValueError(f"roster {path}, line {i}: seed must lie in [0, 2**32).")
    return roster


def seed_cell(seed: int) -> nbformat.NotebookNode:
    """The student notebook's cell that selects the variant."""
    src = ("import dualkit as dk\n\n"
           f"dk.exercises.set_seed({int(seed)})  # your variant: keep this number as it is")
    return nbformat.v4.new_code_cell(src, metadata={"tags": ["variant-seed"]})


def _harvest_source(names: Iterable[str]) -> str:
    return f"""
import base64 as _dk_b64
import pickle as _dk_pickle

import dualkit as _dk

_dk_found = {{}}
for _dk_name in {sorted(set(names))!r}:
    if _dk_name in globals():
        try:
            _dk_found[_dk_name] = ("ok", _dk_pickle.dumps(globals()[_dk_name]))
        except Exception as _dk_exc:
            _dk_found[_dk_name] = ("error", f"{{type(_dk_exc).__name__}}: {{_dk_exc}}")
print({_MARK!r} + _dk_b64.b64encode(_dk_pickle.dumps(
    {{"seed": _dk.exercises.current_seed(), "answers": _dk_found}})).decode())
"""


def _chapter_of(nb) -> str | None:
    meta = nb.metadata.get("dualkit", {})
    if meta.get("chapter"):
        return meta["chapter"]
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for name in _ex.CHAPTERS:
        if any(f'"{e.label}"' in text for e in _ex.for_chapter(name)):
            return name
    return None


def _execute(nb, path: Path, timeout: int):
    """Run ``nb`` (allow errors, interrupt hanging cells); (notebook, errors, fatal or None)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    from . import _kernel_poll

    _kernel_poll.install()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True,
                            resources={"metadata": {"path": str(path.parent)}})
    fatal = None
    try:
        client.execute()
    except DeadKernelError as exc:
        fatal = f"the kernel died while running the notebook ({str(exc)[:120]})"
    except Exception as exc:        # a broken kernel start or protocol error: say so, go on
        fatal = f"the notebook could not be run ({type(exc).__name__}: {str(exc)[:160]})"
    errors = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error":
                errors.append((i, out.get("ename", "Error"), str(out.get("evalue", ""))[:160]))
    return nb, errors, fatal


def _read_answers(nb) -> tuple[int | None, dict]:
    for out in nb.cells[-1].get("outputs", []):
        text = out.get("text", "") if out.get("output_type") == "stream" else ""
        for line in text.splitlines():
            if line.startswith(_MARK):
                data = pickle.loads(base64.b64decode(line[len(_MARK):]))
                return data["seed"], data["answers"]
    return None, {}


def grade_notebook(path, seed: int | None = None, timeout: int = 600,
                   student: str | None = None) -> dict:
    """Grade one submitted notebook; returns a row: student, file, seed, points, max_points,
    manual_max, one ``<label>`` entry per exercise (points) and ``reasons`` (one per lost
    point, ``label −p: why``)."""
    path = Path(path)
    row = {"student": student or path.stem, "file": path.name, "seed": seed,
           "notebook_seed": None, "points": 0.0, "max_points": 0.0, "manual_max": 0.0}
    reasons: list[str] = []
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:
        row["reasons"] = f"not a readable notebook ({type(exc).__name__}: {str(exc)[:120]})"
        return row
    chapter = _chapter_of(nb)
    if chapter is None:
        row["reasons"] = "no exercise of the book found in this notebook"
        return row
    exs = _ex.for_chapter(chapter)
    built_seed = nb.metadata.get("dualkit", {}).get("seed", 0)
    seed = built_seed if seed is None else seed
    row["seed"] = seed
    harvest = nbformat.v4.new_code_cell(_harvest_source(e.answer for e in exs))
    nb.cells.append(harvest)
    nb, errors, fatal = _execute(nb, path, timeout)
    nb_seed, raw = _read_answers(nb) if fatal is None else (None, {})
    row["notebook_seed"] = nb_seed
    if fatal:
        reasons.append(fatal + ": no answer could be read")
    elif nb_seed is not None and nb_seed != seed:
        reasons.append(f"the notebook uses the data of seed {nb_seed}, but this student's "
                       f"variant is seed {seed}: answers are graded against seed {seed}")
    first_error = (f"; the first error was in cell {errors[0][0]} ({errors[0][1]}: "
                   f"{errors[0][2]})" if errors else "")
    for e in exs:
        row["max_points"] += e.points
        row["manual_max"] += e.manual
        status, payload = raw.get(e.answer, ("missing", None))
        if status == "ok":
            try:
                answer = pickle.loads(payload)
            except Exception as exc:
                status, payload = "error", f"{type(exc).__name__}: {exc}"
        if status == "missing":
            results = None
            why = f"`{e.answer}` is not defined{first_error}"
        elif status == "error":
            results = None
            why = f"`{e.answer}` could not be read from the notebook ({payload})"
        else:
            results = e.run(answer, seed=seed)
        if results is None:
            row[e.label] = 0.0
            reasons.append(f"{e.label} −{e.points:g}: {why}")
            continue
        row[e.label] = sum(r.earned for r in results)
        lost = [r for r in results if not r.passed]
        if answer is _ex.NOT_ANSWERED or answer is Ellipsis:
            reasons.append(f"{e.label} −{e.points:g}: not answered (`{e.answer}`)")
            continue
        for r in lost:
            reasons.append(f"{e.label} −{r.points - r.earned:g}: {r.message}")
    row["points"] = sum(row[e.label] for e in exs)
    row["reasons"] = " | ".join(reasons)
    return row


def _submissions(folder: Path) -> list[tuple[str, Path]]:
    """(student, notebook) pairs: ``<student>.ipynb`` or ``<student>/<chapter>.ipynb``."""
    out = []
    for path in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        rel = path.relative_to(folder)
        out.append((rel.parts[0] if len(rel.parts) > 1 else path.stem, path))
    return out


def _grade_one(args):
    student, path, seed, timeout = args
    return grade_notebook(path, seed=seed, timeout=timeout, student=student)


def grade(submissions, out=None, roster=None, timeout: int = 600, jobs: int = 1) -> list[dict]:
    """Grade every notebook under ``submissions``; write ``out`` (CSV) if given; return rows.

    A submission is ``<student>.ipynb`` or ``<student>/<chapter>.ipynb``. With ``roster`` (a
    CSV, see :func:`read_roster`) each student is graded against their own variant's data and
    a student missing from the roster is an error.
    """
    folder = Path(submissions)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder of submitted notebooks.")
    subs = _submissions(folder)
    if not subs:
        raise ValueError(f"no .ipynb file under {folder}.")
    seeds = read_roster(roster) if roster else {}
    if roster:
        unknown = sorted({s for s, _ in subs} - set(seeds))
        if unknown:
            raise ValueError(f"students not in the roster {roster}: {', '.join(unknown)}.")
    tasks = [(s, p, seeds.get(s), timeout) for s, p in subs]
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            rows = list(pool.map(_grade_one, tasks))
    else:
        rows = [_grade_one(t) for t in tasks]
    if out is not None:
        write_csv(rows, out)
    return rows


def write_csv(rows: list[dict], out) -> Path:
    """Write the grade rows as CSV (fixed columns first, then one column per exercise)."""
    fixed = ["student", "file", "seed", "notebook_seed", "points", "max_points", "manual_max"]
    labels = [k for r in rows for k in r if k not in fixed and k != "reasons"]
    labels = list(dict.fromkeys(labels))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fixed + labels + ["reasons"], restval="")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:g}" if isinstance(v, float) else v) for k, v in r.items()})
    return out
