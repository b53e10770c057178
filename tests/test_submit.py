"""The export cell of a student notebook: ufm.submit.export and the zip it writes.

The notebooks are made here, as the generator makes student versions: notebook metadata
``ufm_assignment`` (name and questions) and answer cells tagged ``{"ufm": {"answer": ...}}``.
The PDF tests print with Debian's Chromium (``UFM_CHROMIUM`` names another) through
Playwright and read the PDF back with pypdf; they are skipped when one of these or nbconvert
is missing, except where ``UFM_REQUIRE_BROWSER`` is set (as .ci/run does): there they fail.
Nothing here uses the network: the page the browser prints loads only local files.
"""

import asyncio
import importlib.util
import io
import os
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
from browser import CHROMIUM, MISSING, REQUIRED

from ufm import submit

PDF_TOOLS = [name for name in ("nbconvert", "pypdf") if importlib.util.find_spec(name) is None]
PDF_MISSING = MISSING or (PDF_TOOLS and f"{', '.join(PDF_TOOLS)} not installed")
needs_pdf = pytest.mark.skipif(
    bool(PDF_MISSING) and not REQUIRED, reason=f"PDF tests skipped: {PDF_MISSING}"
)

ANSWER = "The features of a class collapse to their mean, so the quantity below vanishes:"
MATH = r"$$\frac{1}{2CN}\sum_{c=1}^{C} \|h_c - \bar h\|^2 = 0.$$"
QUESTIONS = [
    {"name": "q1", "points": 2, "manual": False},
    {"name": "q2", "points": 3, "manual": True},
]


def student_notebook(path, assignment="gradients", questions=QUESTIONS, answer=True, age=0):
    """Write a student version of ``assignment`` at ``path``, saved ``age`` seconds ago."""
    v4 = nbformat.v4
    cells = [
        v4.new_code_cell('STUDENT = "s1234"\nparams = {}'),
        v4.new_markdown_cell("**Question 1.** Write `risk`."),
        v4.new_code_cell("def risk(H, W, b):\n    return 0.0"),
        v4.new_markdown_cell("**Question 2.** Why do the features collapse?"),
        v4.new_markdown_cell(
            f"{ANSWER}\n\n{MATH}",
            metadata={"ufm": {"answer": "q2"}} if answer else {},
        ),
        v4.new_code_cell(f"from ufm.submit import export\nexport({assignment!r})"),
    ]
    metadata = {"ufm_assignment": {"name": assignment, "questions": questions}}
    nbformat.write(v4.new_notebook(cells=cells, metadata=metadata), path)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def pdf_text(data):
    import pypdf

    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def chromium(monkeypatch):
    """Only Debian's Chromium may print (the export tries no other browser)."""
    if PDF_MISSING:
        pytest.fail(f"UFM_REQUIRE_BROWSER is set, but {PDF_MISSING}")
    monkeypatch.setenv("UFM_CHROMIUM", str(CHROMIUM))


@needs_pdf
def test_a_renamed_notebook_is_handed_in_with_a_pdf_of_its_free_responses(
    tmp_path, chromium, monkeypatch
):
    notebook = student_notebook(tmp_path / "gradients (1).ipynb")
    requested = []

    def offline(route):
        requested.append(route.request.url)
        offline_as_exported(route)

    offline_as_exported = submit._offline
    monkeypatch.setattr(submit, "_offline", offline)

    async def in_a_running_event_loop():  # as in a Jupyter kernel
        return submit.export("gradients", folder=tmp_path)

    # In a thread of its own: the session's Playwright (other browser tests) may already run
    # an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        zip_path = pool.submit(asyncio.run, in_a_running_event_loop()).result()

    assert zip_path == tmp_path / "gradients-submission.zip"
    with zipfile.ZipFile(zip_path) as archive:
        assert sorted(archive.namelist()) == ["gradients-free-responses.pdf", "gradients.ipynb"]
        assert archive.read("gradients.ipynb") == notebook.read_bytes()
        pdf = archive.read("gradients-free-responses.pdf")
    assert pdf.startswith(b"%PDF-")
    assert (tmp_path / "gradients-free-responses.pdf").read_bytes() == pdf
    text = " ".join(pdf_text(pdf).split())
    assert "gradients: free responses" in text
    assert "s1234" in text
    assert "q2 (3 points)" in text
    assert ANSWER in text
    assert "Write risk" not in text and "def risk" not in text, "only the free responses"
    assert r"\frac" not in text and "$$" not in text, "the math is typeset, not left as TeX"
    assert requested and all(url.startswith("file:") for url in requested), requested


@needs_pdf
@pytest.mark.parametrize("mathjax", submit.MATHJAX, ids=lambda m: f"{m[0]}")
def test_each_local_mathjax_typesets_the_math(tmp_path, chromium, monkeypatch, mathjax):
    monkeypatch.setattr(submit, "MATHJAX", (mathjax,))
    if submit.local_mathjax() is None:
        pytest.skip(f"{mathjax[0]} is not installed")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"Risk: {MATH}")])
    text = pdf_text(submit.render_pdf(nb))
    assert "Risk:" in text and r"\frac" not in text


@needs_pdf
def test_without_a_local_mathjax_the_pdf_shows_the_tex_source(tmp_path, chromium, monkeypatch):
    monkeypatch.setattr(submit, "MATHJAX", ())
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"Risk: {MATH}")])
    assert r"\frac{1}{2CN}" in pdf_text(submit.render_pdf(nb))


def test_without_a_browser_the_zip_holds_the_notebook_and_says_how_to_get_a_pdf(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("UFM_CHROMIUM", str(tmp_path / "no-such-browser"))
    notebook = student_notebook(tmp_path / "gradients.ipynb")
    zip_path = submit.export("gradients", folder=tmp_path)
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.namelist() == ["gradients.ipynb"]
        assert archive.read("gradients.ipynb") == notebook.read_bytes()
    said = capsys.readouterr().out
    assert "No PDF of your free responses could be made here" in said
    assert "no-such-browser" in said
    assert "File > Save and Export Notebook As > HTML" in said
    assert "playwright install chromium" in said


def test_of_two_notebooks_of_the_assignment_the_one_saved_last_is_handed_in(tmp_path, capsys):
    autograded = {"questions": QUESTIONS[:1], "answer": False}
    student_notebook(tmp_path / "gradients.ipynb", age=600, **autograded)
    newest = student_notebook(tmp_path / "gradients-v2.ipynb", age=60, **autograded)
    student_notebook(tmp_path / "risk.ipynb", assignment="risk", **autograded)

    zip_path = submit.export("gradients", folder=tmp_path)

    with zipfile.ZipFile(zip_path) as archive:
        assert archive.read("gradients.ipynb") == newest.read_bytes()
    said = capsys.readouterr().out
    assert "Exporting the one saved last: gradients-v2.ipynb" in said
    assert "notebook='gradients.ipynb'" in said
    assert "no free-response question" in said


def test_a_folder_without_the_notebook_says_what_to_do(tmp_path):
    student_notebook(tmp_path / "risk.ipynb", assignment="risk")
    (tmp_path / "notes.ipynb").write_text("not a notebook")
    with pytest.raises(FileNotFoundError) as error:
        submit.export("gradients", folder=tmp_path)
    message = str(error.value)
    assert "no notebook of assignment 'gradients'" in message
    assert "risk.ipynb (assignment 'risk')" in message
    assert "Save this notebook" in message and "notebook=" in message


def test_a_notebook_named_explicitly_is_handed_in_whatever_its_folder(tmp_path):
    notebook = student_notebook(tmp_path / "mine.ipynb", questions=QUESTIONS[:1], answer=False)
    zip_path = submit.export("gradients", folder=tmp_path / "elsewhere", notebook=notebook)
    assert zip_path == tmp_path / "gradients-submission.zip"
    with pytest.raises(ValueError, match="is assignment 'gradients', not 'risk'"):
        submit.export("risk", notebook=notebook)


def test_a_notebook_saved_long_ago_is_pointed_out(tmp_path, capsys):
    student_notebook(tmp_path / "gradients.ipynb", questions=QUESTIONS[:1], answer=False, age=3600)
    submit.export("gradients", folder=tmp_path)
    said = capsys.readouterr().out
    assert "was last saved 60 minutes ago" in said
    assert "save it (Ctrl+S" in said


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"assignment": 3}, TypeError, "assignment must be the assignment's name as a str"),
        ({"assignment": "../gradients"}, ValueError, "assignment '../gradients' is not a plain"),
        ({"folder": 3}, TypeError, "folder must be a path"),
        ({"folder": "no-such-folder"}, FileNotFoundError, "folder .*no-such-folder.* not exist"),
        ({"notebook": "no-such.ipynb"}, FileNotFoundError, "notebook .*no-such.ipynb.* not exist"),
        ({"notebook": "notes.txt"}, ValueError, "is not a .ipynb file"),
        ({"notebook": "broken.ipynb"}, ValueError, "is not a Jupyter notebook"),
    ],
)
def test_bad_arguments_are_named(tmp_path, monkeypatch, arguments, error, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "broken.ipynb").write_text("{")
    arguments = {"assignment": "gradients", **arguments}
    with pytest.raises(error, match=message):
        submit.export(arguments.pop("assignment"), **arguments)


def test_the_free_responses_are_the_tagged_answers_or_else_the_whole_notebook(tmp_path, capsys):
    def read(**options):
        return nbformat.read(student_notebook(tmp_path / "n.ipynb", **options), as_version=4)

    tagged = submit.free_responses(read(), "gradients")
    sources = [cell["source"] for cell in tagged["cells"]]
    assert sources[1:] == ["## q2 (3 points)", f"{ANSWER}\n\n{MATH}"]

    untagged = read(answer=False)
    whole = submit.free_responses(untagged, "gradients")
    assert whole["cells"][1:] == untagged.cells
    assert "the PDF shows all of it" in capsys.readouterr().out

    assert submit.free_responses(read(questions=QUESTIONS[:1], answer=False), "gradients") is None

    empty = read()
    empty.cells[4].source = submit.PLACEHOLDER
    submit.free_responses(empty, "gradients")
    assert "your answer to q2 is still empty" in capsys.readouterr().out


def test_ufm_does_not_load_submit_and_submit_loads_its_heavy_tools_only_to_print():
    code = (
        "import sys, ufm; assert 'ufm.submit' not in sys.modules\n"
        "import ufm.submit\n"
        "heavy = {'nbconvert', 'nbformat', 'playwright', 'jinja2'} & set(sys.modules)\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
