"""Hand in an assignment: the zip that the last cell of a student notebook makes.

The student version of an assignment ends with

    >>> from ufm.submit import export
    >>> export("gradients")                     # doctest: +SKIP

which finds the notebook on disk (renamed or not), makes a PDF of its free responses and
writes ``gradients-submission.zip`` next to it: the notebook as ``gradients.ipynb`` and the
PDF as ``gradients-free-responses.pdf``. That zip is what the student uploads.

How the pieces are found:

- the notebook: a student notebook carries the notebook metadata
  ``{"ufm_assignment": {"name": "gradients", "questions": [{"name": "q1", "points": 2,
  "manual": false}, ...]}}``; :func:`find_notebook` looks for it in a folder;
- the free responses: each answer cell of a manual question carries the cell metadata
  ``{"ufm": {"answer": "q6"}}`` (:func:`free_responses`); a notebook without such tags is
  printed whole;
- the PDF (:func:`render_pdf`): nbconvert's HTML of those cells, printed by a headless
  Chromium driven by Playwright (no TeX). The math is typeset by a MathJax installed with
  Python packages (:data:`MATHJAX`), so that no step needs the network.

Only this module needs nbconvert and Playwright; it imports them when it makes the PDF.
Without them, or without a browser, the zip still holds the notebook, and the export says
how to get the PDF.
"""

from __future__ import annotations

import ast
import concurrent.futures
import importlib.metadata
import json
import os
import re
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

#: Text of an answer cell that the student has not written yet.
PLACEHOLDER = "_Type your answer here._"
#: A notebook last saved longer ago than this (in seconds) may not hold the latest edits.
STALE_AFTER = 5 * 60
#: Where a local MathJax is looked for, first found first used: (Python distribution, file
#: inside it, MathJax's major version). MathJax 3 comes with the book's
#: ``sphinx-mathjax-offline``, MathJax 2 with Jupyter's ``jupyter-server-mathjax``; both
#: typeset offline.
MATHJAX = (
    ("sphinx-mathjax-offline", "sphinx-mathjax-offline/static/mathjax/tex-svg-full.js", 3),
    ("jupyter-server-mathjax", "jupyter_server_mathjax/static/MathJax.js", 2),
)
#: Longest wait for the browser to load the page and typeset its math, in milliseconds.
RENDER_TIMEOUT = 30_000

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_HOW_TO_GET_A_PDF = """To hand in a PDF all the same, either
  - install what this cell needs, then run it again: in a terminal,
        python -m pip install "nbconvert[webpdf]"
        python -m playwright install chromium   (not needed with Chromium, Chrome or Edge)
  - or, in JupyterLab: File > Save and Export Notebook As > HTML, open that file in your
    browser, print it to PDF and upload that PDF along with the zip."""

_MATHJAX_CONFIG = {
    3: """<script>
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']],
        displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
        processEscapes: true, processEnvironments: true, tags: 'ams'},
  svg: {fontCache: 'global'},
};
</script>""",
    2: """<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  TeX: {equationNumbers: {autoNumber: 'AMS'}},
  tex2jax: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']],
            displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
            processEscapes: true, processEnvironments: true},
  'HTML-CSS': {availableFonts: ['STIX-Web'], preferredFont: 'STIX-Web', webFont: 'STIX-Web',
               imageFont: null},
  messageStyle: 'none', showMathMenu: false,
});
</script>""",
}

# nbconvert's "lab" page without its scripts from a CDN (require.js, mermaid) and with the
# local MathJax of MATHJAX, if any.
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}{{ resources.ufm_mathjax }}{%- endblock html_head_js_mathjax -%}
"""

# Resolves once the page's math is typeset (true), or at once when it has no MathJax (false).
_TYPESET = """() => new Promise(done => {
  const M = window.MathJax;
  if (M && M.startup && M.startup.promise) {
    M.startup.promise.then(() => done(true), () => done(false));
  }
  else if (M && M.Hub && M.Hub.Queue) M.Hub.Queue(() => done(true));
  else done(false);
})"""


class PDFUnavailable(RuntimeError):
    """No PDF could be made here; the message says why."""


def export(assignment, *, folder=".", notebook=None):
    """Write ``<assignment>-submission.zip`` next to the student's notebook.

    The zip holds the notebook as saved on disk, as ``<assignment>.ipynb``, and a PDF of
    its free responses, ``<assignment>-free-responses.pdf`` (also written next to the
    notebook, to look at). An assignment without manual questions has no PDF. If no PDF
    can be made here (no browser, or nbconvert or Playwright missing), the zip holds the
    notebook alone and the export prints how to get the PDF. What it did and what to upload
    is printed.

    Parameters
    ----------
    assignment : str
        The assignment's name, as in the notebook's metadata (``"gradients"``).
    folder : str or path, optional
        The folder searched for the notebook (:func:`find_notebook`); the current one by
        default, which is the notebook's own when the export cell runs in Jupyter.
    notebook : str or path, optional
        The notebook itself, which then is not searched for.

    Returns
    -------
    pathlib.Path
        The zip.

    Raises
    ------
    TypeError
        If ``assignment`` is not a string, or ``folder`` or ``notebook`` not a path.
    ValueError
        If ``assignment`` is not a plain name, or ``notebook`` is another assignment's or
        not a notebook.
    FileNotFoundError
        If ``folder`` or ``notebook`` does not exist, or ``folder`` holds no notebook of
        this assignment.
    """
    _check_assignment(assignment)
    if notebook is None:
        path = find_notebook(assignment, folder)
    else:
        path = _check_notebook(assignment, _as_path(notebook, "notebook"))
    path = path.resolve()
    raw = path.read_bytes()
    nb = json.loads(raw)
    print(f"Exporting {path.name} (saved {_age(path)}).")
    _remind_to_save(path)

    pdf = None
    responses = free_responses(nb, assignment)
    if responses is None:
        print("This assignment has no free-response question: the zip holds the notebook only.")
    else:
        try:
            pdf = render_pdf(responses, folder=path.parent)
        except Exception as error:  # the notebook is handed in all the same
            why = error if isinstance(error, PDFUnavailable) else f"{type(error).__name__}: {error}"
            print(f"\nNo PDF of your free responses could be made here: {why}")
            print(_HOW_TO_GET_A_PDF + "\n")

    target = path.with_name(f"{assignment}-submission.zip")
    members = {f"{assignment}.ipynb": raw}
    if pdf is not None:
        pdf_name = f"{assignment}-free-responses.pdf"
        _write_atomically(path.with_name(pdf_name), pdf)
        members[pdf_name] = pdf
    _write_atomically(target, _zip(members))
    print(f"Wrote {target}")
    print(f"  with: {', '.join(members)}")
    print(f"Upload {target.name} as it is (do not unzip it) where your teacher asked.")
    return target


def find_notebook(assignment, folder="."):
    """The student notebook of ``assignment`` in ``folder``, whatever its file name.

    A notebook is the assignment's when its metadata says so
    (``metadata["ufm_assignment"]["name"] == assignment``). If several are, the one saved
    last is taken, and a message says which.

    Parameters
    ----------
    assignment : str
        The assignment's name.
    folder : str or path, optional
        Where to look (not in its subfolders, nor at hidden files); the current folder by
        default.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    TypeError, ValueError
        If ``assignment`` or ``folder`` is not of the expected kind.
    FileNotFoundError
        If ``folder`` does not exist or holds no notebook of this assignment.
    """
    _check_assignment(assignment)
    folder = _as_path(folder, "folder")
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise FileNotFoundError(f"folder {str(folder)!r} {what}; expected the notebook's folder")
    found, others = [], []
    for candidate in sorted(folder.glob("*.ipynb")):
        if candidate.name.startswith("."):
            continue
        name = _assignment_of(candidate)
        if name == assignment:
            found.append(candidate)
        elif name is not None:
            others.append(f"{candidate.name} (assignment {name!r})")
    if not found:
        hint = f" It has notebooks of other assignments: {', '.join(others)}." if others else ""
        raise FileNotFoundError(
            f"no notebook of assignment {assignment!r} in {str(folder.resolve())!r}.{hint} "
            f"Save this notebook (Ctrl+S) in the folder you run it from, or pass its path: "
            f"export({assignment!r}, notebook='my-notebook.ipynb')"
        )
    if len(found) == 1:
        return found[0]
    newest = max(found, key=lambda p: p.stat().st_mtime)
    rest = [p.name for p in found if p != newest]
    print(
        f"{len(found)} notebooks in {folder.resolve()} are assignment {assignment!r}: "
        f"{', '.join(p.name for p in found)}.\nExporting the one saved last: {newest.name}. "
        f"To export another, pass it: export({assignment!r}, notebook={rest[0]!r})"
    )
    return newest


def free_responses(nb, assignment):
    """The notebook to print for the grader: the answers to the manual questions.

    Parameters
    ----------
    nb : dict
        A notebook (format 4) as read from JSON.
    assignment : str
        The assignment's name, for the title.

    Returns
    -------
    dict or None
        A notebook of a title, then for each question, in the order of the notebook, a
        heading (``q6 (3 points)``) and its answer cells (cell metadata
        ``{"ufm": {"answer": "q6"}}``). Without such cells, the whole notebook under the
        title; None if the notebook's metadata lists questions and none is manual.
    """
    info = nb.get("metadata", {}).get("ufm_assignment") or {}
    questions = {q.get("name"): q for q in info.get("questions", []) if isinstance(q, dict)}
    answers = {}
    for cell in nb.get("cells", []):
        tag = (cell.get("metadata", {}).get("ufm") or {}).get("answer")
        if tag is not None:
            answers.setdefault(str(tag), []).append(cell)
    if not answers and questions and not any(q.get("manual") for q in questions.values()):
        return None

    student = _student(nb)
    title = f"# {assignment}: free responses\n\n" + (f"Student: {student}" if student else "")
    cells = [_markdown(title)]
    if answers:
        for name, group in answers.items():
            points = questions.get(name, {}).get("points")
            cells.append(_markdown(f"## {name}" + (f" ({points} points)" if points else "")))
            cells.extend(group)
            if all(_source(cell).strip() in ("", PLACEHOLDER) for cell in group):
                print(f"Note: your answer to {name} is still empty.")
    else:
        print("No answer cells are marked in this notebook: the PDF shows all of it.")
        cells.extend(nb.get("cells", []))
    return {**nb, "cells": cells}


def render_pdf(nb, *, folder=None):
    """A PDF of a notebook, through its HTML and a headless Chromium.

    The page loads nothing from the network: nbconvert's scripts from a CDN are left out
    and the math is typeset by the first MathJax of :data:`MATHJAX` installed (without one,
    the PDF shows the math as TeX source). The browser is, the first that starts: the one
    named by the environment variable ``UFM_CHROMIUM`` (then the only one tried), a
    ``chromium`` on the PATH, Playwright's own Chromium, Google Chrome, Microsoft Edge.

    Parameters
    ----------
    nb : dict
        A notebook (format 4).
    folder : str or path, optional
        The folder that relative image paths in markdown cells start from (the current
        one by default).

    Returns
    -------
    bytes
        The PDF.

    Raises
    ------
    PDFUnavailable
        If nbconvert or Playwright is missing, or no browser starts.
    """
    try:
        import nbformat
        from jinja2 import DictLoader
        from nbconvert import HTMLExporter
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError as error:
        raise PDFUnavailable(f"the Python package {error.name!r} is not installed.") from None

    mathjax = local_mathjax()
    exporter = HTMLExporter(
        template_name="lab",
        template_file="ufm-submission.html.j2",
        extra_loaders=[DictLoader({"ufm-submission.html.j2": _TEMPLATE})],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        embed_images=True,
    )
    name = (nb.get("metadata", {}).get("ufm_assignment") or {}).get("name", "notebook")
    node = nbformat.v4.reads(json.dumps(nb))
    for number, cell in enumerate(node.cells):
        cell.setdefault("id", f"cell-{number}")
    node.nbformat_minor = max(node.nbformat_minor, 5)
    html, _ = exporter.from_notebook_node(
        node,
        resources={
            "metadata": {"name": name, "path": str(folder or ".")},
            "ufm_mathjax": _mathjax_head(*mathjax) if mathjax else "",
        },
    )
    if mathjax is None:
        print("No local MathJax is installed: the PDF shows the math as TeX source.")
    with tempfile.TemporaryDirectory(prefix="ufm-submit-") as scratch:
        page = Path(scratch, "free-responses.html")
        page.write_text(html, encoding="utf-8")
        # Playwright's sync API refuses to run where an asyncio loop runs, as in a Jupyter
        # kernel: it runs in a thread of its own.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(_print_page, page).result()


def local_mathjax():
    """The first MathJax of :data:`MATHJAX` installed, as ``(path, major version)``, or
    None."""
    for distribution, file, version in MATHJAX:
        try:
            path = Path(importlib.metadata.distribution(distribution).locate_file(file))
        except importlib.metadata.PackageNotFoundError:
            continue
        if path.is_file():
            return path, version
    return None


def _mathjax_head(path, version):
    # MathJax 2's combined configuration (the only one jupyter-server-mathjax ships) comes
    # in the script's query string.
    query = "?config=TeX-AMS-MML_HTMLorMML-full" if version == 2 else ""
    return f'{_MATHJAX_CONFIG[version]}\n<script src="{path.as_uri()}{query}"></script>'


def _print_page(page):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = _launch(playwright.chromium)
        try:
            tab = browser.new_page()
            tab.route("**/*", _offline)
            tab.emulate_media(media="print")
            tab.goto(page.as_uri(), wait_until="load", timeout=RENDER_TIMEOUT)
            tab.evaluate(
                f"() => Promise.race([({_TYPESET})(), "
                f"new Promise(done => setTimeout(() => done(false), {RENDER_TIMEOUT}))])"
            )
            return tab.pdf(print_background=True, format="A4")
        finally:
            browser.close()


def _offline(route):
    if route.request.url.startswith(("file:", "data:", "blob:", "about:")):
        route.continue_()
    else:
        route.abort()


def _browsers():
    chosen = os.environ.get("UFM_CHROMIUM")
    if chosen:
        yield f"UFM_CHROMIUM={chosen}", {"executable_path": chosen}
        return
    for command in ("chromium", "chromium-browser"):
        found = shutil.which(command)
        if found:
            yield found, {"executable_path": found}
    yield "Playwright's Chromium", {}
    yield "Google Chrome", {"channel": "chrome"}
    yield "Microsoft Edge", {"channel": "msedge"}


def _launch(chromium):
    tried = []
    for name, how in _browsers():
        try:
            return chromium.launch(headless=True, **how)
        except Exception as error:
            why = str(error).strip().splitlines()[0].removeprefix("BrowserType.launch: ")
            tried.append(f"\n  - {name}: {why}")
    raise PDFUnavailable("no browser to print it with. Tried:" + "".join(tried))


def _check_assignment(assignment):
    if not isinstance(assignment, str):
        raise TypeError(
            f"assignment must be the assignment's name as a str, like 'gradients'; "
            f"got {type(assignment).__name__} {assignment!r}"
        )
    if not _NAME.match(assignment):
        raise ValueError(
            f"assignment {assignment!r} is not a plain name (letters, digits, '_', '-', '.'); "
            f"expected the name in the export cell, like 'gradients'"
        )


def _as_path(value, argument):
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(
            f"{argument} must be a path (str or pathlib.Path); got {type(value).__name__}"
        )
    return Path(value)


def _check_notebook(assignment, path):
    if not path.is_file():
        raise FileNotFoundError(f"notebook {str(path)!r} does not exist")
    if path.suffix != ".ipynb":
        raise ValueError(f"notebook {str(path)!r} is not a .ipynb file")
    try:
        name = _assignment_of(path, strict=True)
    except ValueError as error:
        raise ValueError(f"notebook {str(path)!r} is not a Jupyter notebook: {error}") from None
    if name is None:
        print(f"{path.name} does not say which assignment it is; exported as {assignment!r}.")
    elif name != assignment:
        raise ValueError(
            f"notebook {str(path)!r} is assignment {name!r}, not {assignment!r}: "
            f"export({name!r}) hands it in"
        )
    return path


def _assignment_of(path, strict=False):
    """The assignment a notebook file says it is, or None (also for an unreadable file,
    unless ``strict``)."""
    try:
        nb = json.loads(path.read_bytes())
        info = nb.get("metadata", {}).get("ufm_assignment") or {}
        return info.get("name")
    except (OSError, ValueError, AttributeError) as error:
        if strict:
            raise ValueError(str(error)) from None
        return None


def _age(path):
    minutes = (time.time() - path.stat().st_mtime) / 60
    return "just now" if minutes < 1 else f"{minutes:.0f} minutes ago"


def _remind_to_save(path):
    if time.time() - path.stat().st_mtime > STALE_AFTER:
        print(
            f"Careful: {path.name} was last saved {_age(path)}. The zip holds "
            f"the notebook as saved on disk, not as on screen: if you changed it since, save "
            f"it (Ctrl+S, or File > Save Notebook) and run this cell again."
        )
    else:
        print("The zip holds the notebook as saved on disk: save (Ctrl+S) before this cell.")


def _student(nb):
    """The value of ``STUDENT = "..."`` in the notebook's code, or None."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(_source(cell))
        except SyntaxError:
            continue
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "STUDENT" for t in node.targets)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                return node.value.value
    return None


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _markdown(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _zip(members):
    with tempfile.SpooledTemporaryFile() as buffer:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        buffer.seek(0)
        return buffer.read()


def _write_atomically(path, data):
    scratch = path.with_name(f".{path.name}.part")
    scratch.write_bytes(data)
    os.replace(scratch, path)
