r"""MyST Markdown of the chapters turned into plain Jupyter Markdown.

The chapters are MyST notebooks: their Markdown uses directives (``{prf:theorem}``, ``{note}``,
``{exercise-start}``), roles (``{ref}``, ``{cite}``, ``{glue:text}``), ``(label)=`` targets and
the book's MathJax macros (``\norm``, ``\betaeff``, ... from ``_config.yml``). JupyterLab,
Notebook 7, Colab and VS Code know none of these. :func:`convert_notebook` rewrites every
Markdown cell of a chapter in plain Markdown with ``$...$`` math, as the online book shows it:

* a theorem (any ``{prf:...}`` block) becomes ``**Theorem 2.1** (title). body``, numbered as the
  book numbers it (chapter number from ``_toc.yml``, then a counter per kind and chapter); a proof
  ``*Proof.* ... ∎``; an admonition a paragraph with a bold title;
* ``{ref}``, ``{numref}``, ``{prf:ref}`` and ``{eq}`` become links into the online book
  (``html.baseurl`` of ``_config.yml``) with the text the book shows (a heading, "Theorem 2.1",
  "Fig. 2.3"); ``{cite}`` becomes the book's author-year text linked to its bibliography page;
  ``{download}`` a link to the file in the repository; ``{glue:text}`name``` the code span
  ```name``` (:func:`dualkit.book.glue` prints ``name = value`` outside the book);
* every book macro is expanded in place, ``equation*``/``align*`` blocks and ``{math}`` fences
  become ``$$...$$`` blocks (their ``\tag`` kept, their labels dropped);
* an exercise becomes a heading ``### Exercise 2.1`` linked to the book; a solution is removed
  (student notebooks) or folded: its Markdown inside ``<details>``, its code cells hidden
  (JupyterLab's ``source_hidden``, Colab's form view with a ``# @title`` line).

The label index behind the links is built once per book by scanning every chapter of
``_toc.yml`` (:class:`Book`).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

#: the kinds of ``{prf:...}`` blocks that sphinx-proof numbers, and their printed names
PRF_NAMES = {k: k.capitalize() for k in (
    "theorem", "lemma", "proposition", "corollary", "definition", "conjecture", "example",
    "remark", "axiom", "observation", "property", "criterion", "algorithm", "assumption",
    "notation")}
#: admonitions and their default titles
ADMONITIONS = {k: k.capitalize() for k in (
    "note", "warning", "tip", "hint", "important", "caution", "attention", "danger", "error",
    "seealso")}
ADMONITIONS["seealso"] = "See also"
MATH_ENVS = {"equation": None, "align": "aligned", "gather": "gathered", "multline": "gathered",
             "flalign": "aligned", "alignat": "alignedat"}
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:.-]+)\}\s*(?P<arg>.*)$")
CODE_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
LABEL_LINE = re.compile(r"^\s*\(([^()\s]+)\)=\s*$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
#: a code span, with an optional role name in front of it: {role}`content`
ROLE = re.compile(r"(\{(?P<role>[\w:.-]+)\})?(?P<ticks>`+)(?P<body>.+?)(?<!`)(?P=ticks)(?!`)")


def _repo_url_and_branch(config: dict) -> tuple[str, str]:
    repo = config.get("repository", {}) or {}
    return str(repo.get("url", "")).rstrip("/"), str(repo.get("branch", "main"))


@dataclass
class Target:
    """A label of the book: its page, the text a reference shows, and its kind."""

    page: str
    text: str
    kind: str  # "section", "theorem", "exercise", "figure", "equation"


@dataclass
class Book:
    """What the converter needs to know about the whole book."""

    base_url: str
    repo_url: str = ""
    branch: str = "main"
    macros: dict = field(default_factory=dict)       # name -> (body, number of arguments)
    chapter_numbers: dict = field(default_factory=dict)  # page stem -> "2" (or "" for the root)
    labels: dict = field(default_factory=dict)        # label -> Target
    bib: dict = field(default_factory=dict)           # key -> "Ergen and Pilanci, 2021a"

    @classmethod
    def load(cls, root=".") -> Book:
        """Read ``_config.yml``, ``_toc.yml``, the bibliography and every chapter of the book."""
        import yaml

        root = Path(root)
        path = root / "_config.yml"
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: the book's root folder holds _config.yml "
                                    "and chapters/ (pass --root).")
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        base = (config.get("html", {}) or {}).get("baseurl")
        if not base:
            raise ValueError(f"{path} has no html.baseurl: set it to the online book's address "
                             "(the generated notebooks link into it).")
        repo_url, branch = _repo_url_and_branch(config)
        macros = {}
        raw = (config.get("sphinx", {}).get("config", {}).get("mathjax3_config", {})
               .get("tex", {}).get("macros", {}))
        for name, body in raw.items():
            macros[name] = (body[0], int(body[1])) if isinstance(body, list) else (body, 0)
        book = cls(base_url=str(base).rstrip("/") + "/", repo_url=repo_url, branch=branch,
                   macros=macros)
        book.chapter_numbers = _chapter_numbers(root / "_toc.yml")
        bibs = config.get("bibtex_bibfiles", []) or []
        for bib in bibs:
            if (root / bib).exists():
                book.bib.update(parse_bib((root / bib).read_text(encoding="utf-8")))
        for page in book.chapter_numbers:
            src = root / f"{page}.md"
            if src.exists():
                book._index(page, _read(src))
        return book

    def _index(self, page: str, nb) -> None:
        stem = page.split("/")[-1]
        for item in scan(nb, self.number_prefix(stem)):
            if item.label:
                self.labels[item.label] = Target(page, item.text, item.kind)

    def number_prefix(self, stem: str) -> str:
        """``"2."`` for chapter 2; ``""`` for an unnumbered page (the root)."""
        n = self.chapter_numbers.get(f"chapters/{stem}", self.chapter_numbers.get(stem, ""))
        return f"{n}." if n else ""

    def url(self, label: str) -> str:
        t = self.labels[label]
        return f"{self.base_url}{t.page}.html#{label}"

    def expand_macros(self, text: str) -> str:
        return expand_macros(text, self.macros)


def _read(path: Path):
    import jupytext

    return jupytext.reads(path.read_text(encoding="utf-8"), fmt="md:myst")


def _chapter_numbers(toc_path: Path) -> dict:
    """Page -> chapter number, as Jupyter Book numbers them with ``numbered`` (the root page is
    not numbered; the chapters of every part are numbered on from 1)."""
    import yaml

    if not toc_path.exists():
        return {}
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8")) or {}
    out = {str(toc.get("root", "")): ""}
    numbered = bool((toc.get("defaults", {}) or {}).get("numbered", False))
    n = 0
    for part in toc.get("parts", []) or [{"chapters": toc.get("chapters", [])}]:
        for ch in part.get("chapters", []) or []:
            if "file" not in ch:
                continue
            if numbered or part.get("numbered") or ch.get("numbered"):
                n += 1
                out[str(ch["file"])] = str(n)
            else:
                out[str(ch["file"])] = ""
    return out


# ------------------------------------------------------------------------------- bibliography
def _bib_fields(entry: str) -> dict:
    fields, i = {}, 0
    for m in re.finditer(r"(\w+)\s*=\s*", entry):
        if m.start() < i:
            continue
        j = m.end()
        if j < len(entry) and entry[j] == "{":
            depth, k = 0, j
            while k < len(entry):
                depth += {"{": 1, "}": -1}.get(entry[k], 0)
                if depth == 0:
                    break
                k += 1
            value = entry[j + 1:k]
        elif j < len(entry) and entry[j] == '"':
            k = entry.index('"', j + 1)
            value = entry[j + 1:k]
        else:
            k = j
            while k < len(entry) and entry[k] not in ",\n}":
                k += 1
            value = entry[j:k]
        fields[m.group(1).lower()] = re.sub(r"\s+", " ", value.replace("{", "").replace("}", "")).strip()
        i = k
    return fields


def parse_bib(text: str) -> dict:
    """BibTeX key -> the book's author-year text: ``"Ergen and Pilanci, 2021a"``, ``"Wang et al.,
    2023"`` (the ``year`` field as written, so ``2021a`` when the bibliography says so)."""
    out = {}
    for m in re.finditer(r"@\w+\s*\{\s*([^,\s]+)\s*,", text):
        start = m.end()
        nxt = re.search(r"\n@\w+\s*\{", text[start:])
        fields = _bib_fields(text[start:start + nxt.start()] if nxt else text[start:])
        authors = [a.strip() for a in re.split(r"\s+and\s+", fields.get("author", "")) if a.strip()]
        last = [a.split(",")[0].strip() if "," in a else a.split()[-1] for a in authors]
        if len(last) > 2:
            who = f"{last[0]} *et al.*"
        elif len(last) == 2:
            who = f"{last[0]} and {last[1]}"
        else:
            who = last[0] if last else m.group(1)
        out[m.group(1)] = f"{who}, {fields.get('year', 'n.d.')}"
    return out


# ------------------------------------------------------------------------------------- macros
def _argument(text: str, i: int) -> tuple[str, int] | None:
    """The TeX argument starting at ``text[i]`` (after spaces): a brace group (nested braces
    allowed), a control sequence or one character; returns (argument, end) or None."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        return None
    if text[i] == "{":
        depth = 0
        for k in range(i, len(text)):
            if text[k] == "{" and (k == 0 or text[k - 1] != "\\"):
                depth += 1
            elif text[k] == "}" and text[k - 1] != "\\":
                depth -= 1
                if depth == 0:
                    return text[i + 1:k], k + 1
        raise ValueError(f"unbalanced braces in the argument of a macro: {text[i:i + 60]!r}")
    if text[i] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", text[i:])
        if m is None:                       # a backslash that ends the text
            return text[i], i + 1
        return m.group(0), i + m.end()
    if text[i] == "}":
        return None
    return text[i], i + 1


def expand_macros(text: str, macros: dict) -> str:
    r"""Every use of a book macro replaced by its body, arguments substituted (nested braces
    and nested macros allowed): ``\norm{\relu{Xu}}_2`` -> ``\lVert{({Xu})_+}\rVert_2``."""
    if not macros:
        return text
    pattern = re.compile(r"\\(" + "|".join(sorted(map(re.escape, macros), key=len, reverse=True))
                         + r")(?![A-Za-z])")
    for _ in range(20):
        out, pos, changed = [], 0, False
        for m in pattern.finditer(text):
            if m.start() < pos:
                continue
            body, nargs = macros[m.group(1)]
            end, args = m.end(), []
            for _k in range(nargs):
                arg = _argument(text, end)
                if arg is None:
                    raise ValueError(f"macro \\{m.group(1)} needs {nargs} argument(s): "
                                     f"{text[m.start():m.start() + 60]!r}")
                args.append(arg[0])
                end = arg[1]
            for k, a in enumerate(args, 1):
                body = body.replace(f"#{k}", "{" + a + "}")
            if re.search(r"\\[A-Za-z]+$", body) and end < len(text) and text[end].isalpha():
                body += " "
            out.append(text[pos:m.start()] + body)
            pos, changed = end, True
        text = "".join(out) + text[pos:]
        if not changed:
            return text
    raise ValueError("book macros nest more than 20 deep (a macro that uses itself?)")


# ------------------------------------------------------------------------------ numbering
@dataclass
class Item:
    kind: str      # "theorem" (any prf kind), "exercise", "figure", "section", "equation"
    label: str
    text: str      # what a reference shows: "Theorem 2.1", "Fig. 2.3", a heading
    prf: str = ""  # the prf kind ("theorem", "proposition", ...)


def _directives(text: str):
    """(name, argument, options) of every directive opening in a Markdown text, in order."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        if not m:
            continue
        opts = {}
        for nxt in lines[i + 1:]:
            om = re.match(r"^\s*:([\w-]+):\s*(.*)$", nxt)
            if not om:
                break
            opts[om.group(1)] = om.group(2).strip()
        yield m.group("name"), m.group("arg").strip(), opts


def _heading_text(title: str) -> str:
    return re.sub(r"\s+", " ", title).strip()


def scan(nb, prefix: str) -> list[Item]:
    """The numbered and labelled things of a chapter, in document order, numbered as the book
    numbers them: a counter per kind of ``{prf:...}`` block, one for exercises, one for
    captioned figures, one for labelled equations; ``prefix`` is ``"2."`` in chapter 2."""
    items: list = []
    counts: dict[str, int] = {}

    def number(key: str) -> str:
        counts[key] = counts.get(key, 0) + 1
        return f"{prefix}{counts[key]}"

    for cell in nb.cells:
        if cell.cell_type == "code":
            fig = cell.metadata.get("mystnb", {}).get("figure", {}) if cell.metadata else {}
            if fig and fig.get("caption"):
                items.append(Item("figure", fig.get("name", ""), f"Fig. {number('figure')}"))
            continue
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.split("\n")
        pending = None
        in_code = None
        for line in lines:
            cm = CODE_FENCE.match(line)
            if in_code:
                if cm and cm.group(1)[0] == in_code[0] and len(cm.group(1)) >= len(in_code) \
                        and not line.strip()[len(cm.group(1)):].strip():
                    in_code = None
                continue
            if cm and not FENCE.match(line):
                in_code = cm.group(1)
                continue
            lm = LABEL_LINE.match(line)
            if lm:
                pending = lm.group(1)
                continue
            hm = HEADING.match(line)
            if hm and pending:
                items.append(Item("section", pending, _heading_text(hm.group(2))))
                pending = None
            elif line.strip():
                pending = None
            em = re.search(r"\$\$\s*\(([^()\s]+)\)\s*$", line)
            if em:
                items.append(Item("equation", em.group(1), f"({number('equation')})"))
        for name, _arg, opts in _directives(cell.source):
            if name.startswith("prf:") and name[4:] in PRF_NAMES:
                kind = name[4:]
                num = "" if "nonumber" in opts else number("prf:" + kind)
                items.append(Item("theorem", opts.get("label", ""),
                                  f"{PRF_NAMES[kind]} {num}".strip(), prf=kind))
            elif name in ("exercise", "exercise-start"):
                num = "" if "nonumber" in opts else number("exercise")
                items.append(Item("exercise", opts.get("label", ""), f"Exercise {num}".strip()))
            elif name == "math" and "label" in opts:
                items.append(Item("equation", opts["label"], f"({number('equation')})"))
    return items


# --------------------------------------------------------------------------- inline text
def _link(text: str, url: str) -> str:
    return f"[{text}]({url})"


def _split_target(body: str) -> tuple[str | None, str]:
    m = re.fullmatch(r"\s*(.*?)\s*<([^<>]+)>\s*", body, flags=re.S)
    if m and m.group(1):
        return m.group(1), m.group(2).strip()
    return None, body.strip()


class Converter:
    """Converts the Markdown of one chapter (the numbering of its unlabelled items comes from
    :func:`scan` of the same chapter)."""

    def __init__(self, book: Book, nb=None):
        self.book = book
        self.page = None
        if nb is not None:
            self.page = _page_of(nb, book)
        prefix = book.number_prefix(self.page.split("/")[-1]) if self.page else ""
        self.queue = {} if nb is None else self._queue(scan(nb, prefix))

    @staticmethod
    def _queue(items):
        q: dict = {}
        for it in items:
            q.setdefault(it.prf or it.kind, []).append(it)
        return q

    def _next(self, key: str, label: str, default: str) -> str:
        if label and label in self.book.labels:
            text = self.book.labels[label].text
            items = self.queue.get(key, [])
            if items and items[0].label == label:
                items.pop(0)
            return text
        items = self.queue.get(key, [])
        return items.pop(0).text if items else default

    # -- roles
    def _ref_text(self, label: str, role: str) -> str:
        if label not in self.book.labels:
            raise ValueError(f"{{{role}}}`{label}`: no such label in the book's chapters "
                             "(a (label)= before a heading, a :label: or a figure name:).")
        return self.book.labels[label].text

    def role(self, role: str, body: str) -> str:
        book = self.book
        if role in ("ref", "numref", "prf:ref", "eq", "doc"):
            text, label = _split_target(body)
            if role == "doc":
                page = label.removeprefix("/").removesuffix(".md")
                return _link(text or page, f"{book.base_url}chapters/{page}.html")
            shown = self._ref_text(label, role)
            if text is None:
                text = shown
            elif role == "numref":
                num = re.sub(r"^\D+\s*", "", shown)
                text = text.replace("%s", num).replace("{number}", num)
            return _link(self.inline(text, roles=False), book.url(label))
        if role in ("cite", "cite:p", "cite:t", "cite:ps", "cite:ts"):
            refs = []
            for key in (k.strip() for k in body.split(",")):
                if key not in book.bib:
                    raise ValueError(f"{{cite}}`{key}`: not in the bibliography.")
                shown = book.bib[key]
                if role.startswith("cite:t"):
                    who, year = shown.rsplit(", ", 1)
                    shown = f"{who} [{year}]"
                refs.append(_link(shown, f"{book.base_url}chapters/references.html"))
            joined = ", ".join(refs)
            # brackets as the book shows them (not escaped: "\\[" is a math delimiter to some)
            return joined if role.startswith("cite:t") else f"[{joined}]"
        if role.startswith("glue"):
            name = body.split(":", 1)[0].strip()
            return f"`{name}`"
        if role == "download":
            text, target = _split_target(body)
            rel = (Path("chapters") / target).as_posix()
            parts: list[str] = []
            for p in rel.split("/"):
                if p == "..":
                    parts.pop()
                elif p != ".":
                    parts.append(p)
            path = "/".join(parts)
            return _link(text or Path(path).name, f"{book.repo_url}/blob/{book.branch}/{path}")
        if role == "math":
            return f"${book.expand_macros(body)}$"
        return body  # any other role: its text

    def inline(self, text: str, roles: bool = True) -> str:
        """Roles and macros of a line of text (code spans left alone)."""
        out, pos = [], 0
        for m in ROLE.finditer(text):
            out.append(self.book.expand_macros(text[pos:m.start()]))
            if m.group("role") and roles:
                out.append(self.role(m.group("role"), m.group("body")))
            else:
                out.append(m.group(0))
            pos = m.end()
        out.append(self.book.expand_macros(text[pos:]))
        return "".join(out)

    # -- blocks
    def markdown(self, text: str) -> str:
        """A Markdown text (one cell, or a directive's body) in plain Jupyter Markdown."""
        lines = text.split("\n")
        out: list[str] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            fm = FENCE.match(line)
            cm = CODE_FENCE.match(line)
            if fm:
                i = self._directive(lines, i, fm, out)
                continue
            if cm:  # a plain code block: copied as it is
                fence = cm.group(1)
                out.append(line)
                i += 1
                while i < len(lines):
                    out.append(lines[i])
                    close = CODE_FENCE.match(lines[i])
                    i += 1
                    if close and close.group(1)[0] == fence[0] and len(close.group(1)) >= len(fence) \
                            and not lines[i - 1].strip()[len(close.group(1)):].strip():
                        break
                continue
            if LABEL_LINE.match(line) or re.match(r"^\s*%", line):
                i += 1
                continue
            env = re.match(r"^(\s*)\\begin\{(\w+)(\*?)\}(.*)$", line)
            if env and env.group(2) in MATH_ENVS:
                i = self._math_env(lines, i, env, out)
                continue
            dm = re.match(r"^(.*\$\$)\s*\(([^()\s]+)\)\s*$", line)
            if dm:
                line = dm.group(1)
            out.append(self.inline(line))
            i += 1
        return "\n".join(out)

    def _math_env(self, lines, i, env, out) -> int:
        indent, name, star, rest = env.groups()
        end = re.compile(r"\\end\{" + name + r"\*?\}")
        body = [rest] if rest.strip() else []
        i += 1
        while i < len(lines) and not end.search(lines[i]):
            body.append(lines[i])
            i += 1
        if i < len(lines):
            tail = end.split(lines[i], 1)[0]
            if tail.strip():
                body.append(tail)
            i += 1
        text = "\n".join(body)
        text = re.sub(r"\\label\{[^}]*\}", "", text)
        inner = MATH_ENVS[name]
        tags = re.findall(r"\\tag\*?\{[^}]*\}", text)
        if inner:
            text = re.sub(r"\\tag\*?\{[^}]*\}", "", text)
            arg = ""
            if name == "alignat":
                am = re.match(r"\s*\{(\d+)\}", text)
                if am:
                    arg, text = am.group(0).strip(), text[am.end():]
            text = f"\\begin{{{inner}}}{arg}\n{text.strip()}\n\\end{{{inner}}}" + "".join(tags)
        if out and out[-1].strip():   # a block of its own, as in the book
            out.append("")
        out.append(f"{indent}$$")
        out.extend(indent + ln if ln.strip() else ln for ln in
                   self.book.expand_macros(text.strip("\n")).split("\n"))
        out.append(f"{indent}$$")
        if i < len(lines) and lines[i].strip():
            out.append("")
        return i

    def _directive(self, lines, i, fm, out) -> int:
        indent, fence, name, arg = fm.group("indent"), fm.group("fence"), fm.group("name"), \
            fm.group("arg").strip()
        j = i + 1
        opts = {}
        if j < len(lines) and lines[j].strip() == "---":   # YAML options block
            k = j + 1
            while k < len(lines) and lines[k].strip() != "---":
                om = re.match(r"^\s*([\w-]+):\s*(.*)$", lines[k])
                if om:
                    opts[om.group(1)] = om.group(2).strip()
                k += 1
            j = k + 1
        while j < len(lines):
            om = re.match(r"^\s*:([\w-]+):\s*(.*)$", lines[j])
            if not om:
                break
            opts[om.group(1)] = om.group(2).strip()
            j += 1
        body = []
        close = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
        while j < len(lines) and not close.match(lines[j]):
            body.append(lines[j])
            j += 1
        end = j + 1
        text = "\n".join(body).strip("\n")
        block = self._render(name, arg, opts, text)
        if block is not None:
            if out and out[-1].strip():
                out.append("")
            out.extend(indent + ln if ln.strip() else ln for ln in block.split("\n"))
            if end < len(lines) and lines[end].strip():
                out.append("")
        return end

    def _render(self, name: str, arg: str, opts: dict, body: str) -> str | None:
        if name.startswith("prf:"):
            kind = name[4:]
            inner = self.markdown(body).strip("\n")
            if kind == "proof":
                title = f"*Proof{' (' + self.inline(arg) + ')' if arg else ''}.*"
                last = inner.rstrip().split("\n")[-1] if inner.strip() else ""
                if not inner.strip():
                    return f"{title} ∎"
                if last.strip().startswith(("$$", "-", "*", "|", "```")) or \
                        re.match(r"^\s*\d+\.", last):
                    return f"{title} {inner}\n\n∎" if _starts_text(inner) else f"{title}\n\n{inner}\n\n∎"
                return (f"{title} {inner} ∎" if _starts_text(inner) else f"{title}\n\n{inner} ∎")
            label = opts.get("label", "")
            shown = self._next(kind, label, PRF_NAMES.get(kind, kind.capitalize()))
            head = f"**{shown}**" + (f" ({self.inline(arg)})" if arg else "") + "."
            if label and label in self.book.labels:
                head = f"**[{shown}]({self.book.url(label)})**" + head[len(f'**{shown}**'):]
            return f"{head} {inner}" if _starts_text(inner) else f"{head}\n\n{inner}"
        if name in ADMONITIONS or name in ("admonition", "dropdown", "topic", "sidebar", "margin"):
            title = arg if name in ("admonition", "dropdown", "topic", "sidebar", "margin") and arg \
                else ADMONITIONS.get(name, "")
            inner = self.markdown(body).strip("\n")
            if not title:
                return inner
            head = f"**{self.inline(title).rstrip('.:')}.**"
            return f"{head} {inner}" if _starts_text(inner) else f"{head}\n\n{inner}"
        if name == "math":
            return "$$\n" + self.book.expand_macros(body) + "\n$$"
        if name in ("code-block", "code", "sourcecode"):
            return f"```{arg}\n{body}\n```"
        if name in ("exercise-start", "exercise-end", "solution-start", "solution-end"):
            raise ValueError(f"{{{name}}} inside another block: exercises and solutions must be "
                             "top-level blocks of a chapter.")
        if name in ("figure", "image"):
            url = self.image_url(arg)
            alt = opts.get("alt", "")
            cap = self.markdown(body).strip()
            return f"![{alt}]({url})" + (f"\n\n{cap}" if cap else "")
        if name in ("bibliography", "nb-exec-table", "eval-rst", "toctree", "tableofcontents"):
            return None
        return self.markdown(body)

    def image_url(self, target: str) -> str:
        if re.match(r"^[a-z]+:", target) or target.startswith("/"):
            return target
        return f"{self.book.base_url}_images/{Path(target).name}"

    def images(self, text: str) -> str:
        return re.sub(r"(!\[[^\]]*\]\()([^)\s]+)", lambda m: m.group(1) + self.image_url(m.group(2)),
                      text)

    def convert(self, text: str) -> str:
        out = self.images(self.markdown(text))
        out = re.sub(r"\n{3,}", "\n\n", out)
        return out.strip("\n")


def _starts_text(inner: str) -> bool:
    first = inner.lstrip("\n").split("\n", 1)[0] if inner.strip() else ""
    return bool(first.strip()) and not re.match(r"^\s*(\$\$|[-*+] |\d+\. |#|\||```|>|<)", first)


def _page_of(nb, book: Book) -> str | None:
    """The chapter a notebook comes from: the page of its first label that the book knows."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.split("\n"):
            m = LABEL_LINE.match(line)
            if m and m.group(1) in book.labels:
                return book.labels[m.group(1)].page
    return None


# ------------------------------------------------------------------------------- notebooks
EXERCISE_DIRECTIVES = ("exercise-start", "exercise-end", "solution-start", "solution-end")


def _tags(cell) -> list:
    return list(cell.get("metadata", {}).get("tags", []))


def convert_notebook(nb, book: Book, solutions: str, keep_stubs: bool,
                     hidden_tags=("remove-cell", "skip-execution")) -> nbformat.NotebookNode:
    """A chapter (a jupytext notebook of its MyST source) in plain Jupyter Markdown.

    ``solutions``: ``"remove"`` (student notebooks: a solution's cells and prose dropped) or
    ``"fold"`` (instructor notebooks and Colab copies: its prose inside ``<details>``, its code
    cells hidden). ``keep_stubs``: keep the ``exercise`` stub cells (shown, without the tags that
    hide them in the book). Cells tagged ``check`` are always kept.
    """
    if solutions not in ("remove", "fold"):
        raise ValueError(f"solutions must be 'remove' or 'fold', got {solutions!r}")
    conv = Converter(book, nb)
    out = copy.deepcopy(nb)
    cells = []
    state = _Solution()
    for cell in out.cells:
        if cell.cell_type == "code":
            tags = _tags(cell)
            if "exercise" in tags:
                if keep_stubs:
                    cell.metadata["tags"] = [t for t in tags if t not in hidden_tags]
                    cells.append(cell)
                continue
            if "check" in tags or state.of is None:
                cells.append(cell)
            elif solutions == "fold":
                cells.append(_hide(cell, f"Solution to {state.of}"))
            continue
        if cell.cell_type != "markdown":
            cells.append(cell)
            continue
        pieces: list[str] = []
        buf: list[str] = []
        lines = cell.source.split("\n")
        i = 0
        while i < len(lines):
            fm = FENCE.match(lines[i])
            if not fm or fm.group("name") not in EXERCISE_DIRECTIVES:
                buf.append(lines[i])
                i += 1
                continue
            state.flush(buf, pieces, conv, solutions)
            name, arg = fm.group("name"), fm.group("arg").strip()
            opts = {}
            j = i + 1
            while j < len(lines) and lines[j].strip() != fm.group("fence"):
                om = re.match(r"^\s*:([\w-]+):\s*(.*)$", lines[j])
                if om:
                    opts[om.group(1)] = om.group(2).strip()
                j += 1
            i = j + 1
            if name == "exercise-start":
                label = opts.get("label", "")
                shown = conv._next("exercise", label, "Exercise")
                head = f"### {shown}" + (f" ({conv.inline(arg)})" if arg else "")
                if label in book.labels:
                    head = f"### [{shown}]({book.url(label)})" + head[len(f'### {shown}'):]
                pieces.append(head)
            elif name == "solution-start":
                if state.of is not None:
                    raise ValueError("a {solution-start} block opens inside another one.")
                target = arg or opts.get("label", "")
                state.of = book.labels[target].text if target in book.labels else "the exercise"
                state.parts = 0
            elif name == "solution-end":
                state.of = None
        state.flush(buf, pieces, conv, solutions)
        cell.source = "\n\n".join(p for p in pieces if p.strip())
        if cell.source.strip():
            cells.append(cell)
    if state.of is not None:
        raise ValueError("a {solution-start} block is never closed by {solution-end}.")
    out.cells = cells
    return out


@dataclass
class _Solution:
    """The solution block being read: ``of`` ("Exercise 2.1", None outside a solution) and the
    number of its Markdown parts already written (a solution's code cells split its prose)."""

    of: str | None = None
    parts: int = 0

    def flush(self, buf: list, pieces: list, conv: Converter, solutions: str) -> None:
        text = "\n".join(buf).strip("\n")
        buf.clear()
        if not text.strip():
            return
        if self.of is None:
            pieces.append(conv.convert(text))
        elif solutions == "fold":
            title = f"Solution to {self.of}" + (" (continued)" if self.parts else "")
            self.parts += 1
            pieces.append(f"<details><summary><b>{title}</b></summary>\n\n"
                          f"{conv.convert(text)}\n\n</details>")


def _hide(cell, title: str):
    """A solution's code cell, hidden until opened: JupyterLab/Notebook 7/VS Code read
    ``metadata.jupyter.source_hidden``; Colab shows a cell with ``cellView: form`` as its
    ``# @title`` line and a "Show code" button."""
    cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
    cell.metadata["cellView"] = "form"
    first = cell.source.split("\n", 1)[0]
    if not re.match(r"^#\s*@title", first):
        cell.source = f"# @title {title} (code)\n{cell.source}"
    return cell
