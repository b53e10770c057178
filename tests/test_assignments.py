"""The classroom pipeline, end to end.

Generate the student versions and autograders from the masters (``assignments/generate.py``,
as ``make assignments`` does); grade, with ``otter run`` (locally, no Docker), the masters'
solutions (full marks), the untouched student versions (zero, without crashing) and typical
wrong answers (a partial mark and the targeted hint); build the student versions into a small
book with the book's own configuration and check that neither the student files nor the pages
show any text of the solutions or of the hidden tests, and that the pages are not executed.
The exercises at the end of the chapters are built too: every solution must be collapsed.
"""

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
MASTERS = ROOT / "assignments" / "masters"
EXERCISES = ROOT / "book" / "exercises"
JUPYTER_BOOK = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()"]
#: A run of this many consecutive words of a solution or hidden test must not appear anywhere a
#: student can see; shorter runs are too common to mean anything.
SHINGLE = 8

_spec = importlib.util.spec_from_file_location("generate", ROOT / "assignments" / "generate.py")
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)
NAMES = generate.master_names()

#: Typical wrong answers: (assignment, how the solution cell starts, replace this, by this,
#: the question, a phrase of the hint that the grader must give).
WRONG_ANSWERS = [
    (
        "gradients",
        "def gradients(",
        "G = (W @ H + b[:, None] - ufm.targets(C, N)) / (C * N)",
        "G = W @ H + b[:, None] - ufm.targets(C, N)",
        "q2",
        "did you forget the 1/(CN) normalisation",
    ),
    (
        "invariance",
        "def project_onto_S(",
        "    V -= V.mean(axis=0)\n",
        "",
        "q1",
        "did you forget to centre",
    ),
    (
        "eps_scaling",
        "def loglog_slope(",
        "np.log(y)",
        "y",
        "q2",
        "taking the logarithm of both",
    ),
]


def words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9_]+", text)


def shingles(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + SHINGLE]) for i in range(len(w) - SHINGLE + 1)}


def is_hidden_test(source: str) -> bool:
    config = source.split("# END TEST CONFIG")[0]
    return "BEGIN TEST CONFIG" in config and re.search(r"^hidden:\s*true", config, re.M) is not None


def split_master(path: Path) -> tuple[str, str]:
    """The text of a master a student may see, and the text they must not: solutions (blocks
    and ``# SOLUTION`` lines) and hidden tests."""
    public, secret = [], []
    in_solution = in_tests = False
    for cell in nbformat.read(path, as_version=4).cells:
        source = cell.source
        if cell.cell_type == "raw":
            marker = source.strip().upper()
            in_solution = {"# BEGIN SOLUTION": True, "# END SOLUTION": False}.get(
                marker, in_solution
            )
            in_tests = {"# BEGIN TESTS": True, "# END TESTS": False}.get(marker, in_tests)
            continue
        if in_solution and cell.cell_type == "markdown":
            secret.append(source)
            continue
        if in_tests:
            (secret if is_hidden_test(source) else public).append(source)
            continue
        block = False
        for line in source.splitlines():
            marker = line.strip()
            if marker.startswith("# BEGIN SOLUTION"):
                block = True
            elif marker == "# END SOLUTION":
                block = False
            elif block:
                secret.append(line)
            elif marker.endswith("# SOLUTION"):
                target, _, value = line.partition("=")
                public.append(target)
                secret.append(value.rsplit("#", 1)[0])
            else:
                public.append(line)
    return "\n".join(public), "\n".join(secret)


def secret_shingles(name: str) -> set[tuple[str, ...]]:
    public, secret = split_master(MASTERS / f"{name}.ipynb")
    return shingles(secret) - shingles(public)


def leaks(name: str, text: str) -> list[str]:
    return sorted(" ".join(s) for s in secret_shingles(name) & shingles(text))


class _Text(HTMLParser):
    """The text of an HTML page, scripts and styles left out."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def grade(autograder: Path, submission: Path, out: Path) -> dict:
    """Grade one notebook with ``otter run``; return its total, maximum and output per question."""
    out.mkdir(parents=True, exist_ok=True)
    command = ["run", "--no-logo", "-a", str(autograder), "-o", str(out), str(submission)]
    run = subprocess.run([sys.executable, "-m", "otter", *command], capture_output=True, text=True)
    assert run.returncode == 0, f"otter run crashed on {submission.name}:\n{run.stderr[-3000:]}"
    tests = json.loads((out / "results.json").read_text())["tests"]
    questions = {t["name"]: t for t in tests if "max_score" in t}
    return {
        "score": sum(t["score"] for t in questions.values()),
        "max": sum(t["max_score"] for t in questions.values()),
        "output": {name: t["output"] for name, t in questions.items()},
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Student versions and autograders of every master, generated as ``make assignments``."""
    root = tmp_path_factory.mktemp("assignments")
    out, book = root / "out", root / "book"
    generate.main(["--out", str(out), "--book", str(book), "--no-run-tests"])
    return out, book


def wrong_submission(out: Path, name, cell_start, old, new) -> Path:
    """The master's solutions with one typical mistake."""
    nb = nbformat.read(out / name / "autograder" / f"{name}.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(cell_start)]
    assert cell.source.count(old) == 1, f"the solution of {name} no longer has {old!r}"
    cell.source = cell.source.replace(old, new)
    path = out / "wrong" / f"{name}.ipynb"
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def grades(generated):
    """Every grading of the pipeline, run two at a time."""
    out, _ = generated
    jobs = {}
    for name in NAMES:
        autograder = generate.autograder_zip(out, name)
        jobs[name, "master"] = (autograder, out / name / "autograder" / f"{name}.ipynb")
        jobs[name, "student"] = (autograder, generate.student_notebook(out, name))
    for name, cell_start, old, new, _, _ in WRONG_ANSWERS:
        submission = wrong_submission(out, name, cell_start, old, new)
        jobs[name, "wrong"] = (generate.autograder_zip(out, name), submission)
    with ThreadPoolExecutor(2) as pool:
        futures = {
            key: pool.submit(grade, autograder, nb, out / "grades" / "-".join(key))
            for key, (autograder, nb) in jobs.items()
        }
        return {key: future.result() for key, future in futures.items()}


def test_there_are_at_least_three_assignments():
    assert len(NAMES) >= 3


def test_generation_writes_a_student_version_and_an_autograder_per_master(generated):
    out, book = generated
    for name in NAMES:
        assert generate.autograder_zip(out, name).is_file()
        assert generate.student_notebook(out, name).is_file()
        assert (book / f"{name}.ipynb").read_bytes() == generate.student_notebook(
            out, name
        ).read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_every_master_has_points_public_and_hidden_tests(name):
    sources = [c.source for c in nbformat.read(MASTERS / f"{name}.ipynb", as_version=4).cells]
    tests = [s for s in sources if "BEGIN TEST CONFIG" in s]
    assert any(is_hidden_test(s) for s in tests) and any(not is_hidden_test(s) for s in tests)
    assert all(re.search(r"^points:\s*[\d.]+", s, re.M) for s in tests)


@pytest.mark.parametrize("name", NAMES)
def test_the_masters_solutions_get_full_marks(grades, name):
    result = grades[name, "master"]
    assert result["max"] > 0
    assert result["score"] == result["max"], result["output"]


@pytest.mark.parametrize("name", NAMES)
def test_an_untouched_student_version_gets_zero(grades, name):
    result = grades[name, "student"]
    assert result["max"] > 0
    assert result["score"] == 0, result["output"]


@pytest.mark.parametrize(
    ("name", "question", "hint"),
    [(w[0], w[4], w[5]) for w in WRONG_ANSWERS],
    ids=[w[0] for w in WRONG_ANSWERS],
)
def test_a_typical_wrong_answer_gets_a_partial_mark_and_its_hint(grades, name, question, hint):
    result = grades[name, "wrong"]
    assert 0 < result["score"] < result["max"], result["output"]
    assert hint in result["output"][question]


@pytest.mark.parametrize("name", NAMES)
def test_student_files_hold_no_solution_and_no_hidden_test(generated, name):
    out, book = generated
    assert secret_shingles(name), "the leak check found nothing secret to look for"
    for path in [*(out / name / "student").rglob("*"), book / f"{name}.ipynb"]:
        if path.is_file():
            assert not leaks(name, path.read_text()), f"{path} shows the master's secrets"


@pytest.mark.parametrize("name", NAMES)
def test_the_leak_check_sees_the_solutions_and_hidden_tests_the_autograder_holds(generated, name):
    out, _ = generated
    autograder = out / name / "autograder"
    assert leaks(name, (autograder / f"{name}.ipynb").read_text()), "solutions not seen"
    with zipfile.ZipFile(autograder / f"{name}-autograder.zip") as archive:
        tests = [archive.read(n).decode() for n in archive.namelist() if n.startswith("tests/")]
    assert leaks(name, "\n".join(tests)), "hidden tests not seen"


@pytest.fixture(scope="module")
def built_pages(generated, tmp_path_factory):
    """A small book with the book's configuration: the classroom page, the student versions
    and one page per exercise file, built with warnings as errors."""
    _, book_assignments = generated
    site = tmp_path_factory.mktemp("book")
    shutil.copy(ROOT / "_config.yml", site)
    shutil.copytree(ROOT / "book", site / "book", ignore=shutil.ignore_patterns("assignments"))
    shutil.copytree(book_assignments, site / "book" / "assignments")
    chapters = [{"file": f"book/assignments/{name}"} for name in NAMES]
    for exercises in sorted(EXERCISES.glob("*.md")):
        page = site / "book" / f"exercises_of_{exercises.stem}.md"
        page.write_text(
            f"# Exercises of {exercises.stem}\n\n```{{include}} exercises/{exercises.name}\n```\n"
        )
        chapters.append({"file": f"book/{page.stem}"})
    chapters.append({"file": "book/bibliography"})
    toc = {"format": "jb-book", "root": "book/classroom", "chapters": chapters}
    (site / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    command = ["build", str(site), "-W", "-n", "--keep-going"]
    result = subprocess.run([*JUPYTER_BOOK, *command], capture_output=True, text=True)
    assert result.returncode == 0, (
        f"build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return site / "_build" / "html" / "book"


@pytest.mark.parametrize("name", NAMES)
def test_built_assignment_pages_show_the_questions_and_no_secret(built_pages, name):
    html = (built_pages / "assignments" / f"{name}.html").read_text()
    text = page_text(html)
    assert "Question 1" in text and 'grader.check("q1")' in text
    assert not leaks(name, text), f"the page of {name} shows the master's secrets"


@pytest.mark.parametrize("name", NAMES)
def test_student_versions_are_not_executed_by_the_build(built_pages, name):
    html = (built_pages / "assignments" / f"{name}.html").read_text()
    outputs = re.findall(r'class="[^"]*\bcell_output\b', html)
    assert not outputs, f"the build executed {name}: exclude book/assignments from execution"


EXERCISE_FILES = sorted(p.stem for p in EXERCISES.glob("*.md"))


@pytest.mark.parametrize("chapter", EXERCISE_FILES)
def test_exercise_solutions_are_collapsed_in_the_built_page(built_pages, chapter):
    html = (built_pages / f"exercises_of_{chapter}.html").read_text()
    exercises = re.findall(r'<div class="([^"]*\bexercise\b[^"]*)"', html)
    solutions = re.findall(r'<div class="([^"]*\bsolution\b[^"]*)"', html)
    assert len(exercises) >= 3 and len(solutions) == len(exercises)
    assert all("dropdown" in classes.split() for classes in solutions), solutions


@pytest.mark.parametrize("chapter", EXERCISE_FILES)
def test_every_solution_is_a_dropdown_and_none_uses_the_gated_form(chapter):
    source = (EXERCISES / f"{chapter}.md").read_text()
    assert "solution-start" not in source and "exercise-start" not in source
    solutions = re.findall(r"^`{3,}\{solution\}.*\n((?::\w+:.*\n)*)", source, re.M)
    assert solutions and all(":class: dropdown" in options for options in solutions)


@pytest.mark.parametrize("chapter", EXERCISE_FILES)
def test_every_exercise_file_mixes_a_derivation_a_computation_and_an_exploration(chapter):
    titles = re.findall(
        r"^`{3,}\{exercise\}\s*(.*)$", (EXERCISES / f"{chapter}.md").read_text(), re.M
    )
    for kind in ("Derivation", "Computation", "Exploration"):
        assert any(title.startswith(kind) for title in titles), f"{chapter}: no {kind.lower()}"


def chapter_notebooks():
    """The chapters: the notebooks of the table of contents' part "Reading the paper"."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    (part,) = [p for p in toc["parts"] if p["caption"] == "Reading the paper"]
    chapters = [ROOT / f"{entry['file']}.ipynb" for entry in part["chapters"]]
    assert len(chapters) == 4 and all(path.is_file() for path in chapters), chapters
    return chapters


def test_every_chapter_ends_with_its_exercises():
    for notebook in chapter_notebooks():
        assert (EXERCISES / f"{notebook.stem}.md").is_file(), f"no exercises for {notebook.name}"
        last = nbformat.read(notebook, as_version=4).cells[-1]
        include = f"{{include}} exercises/{notebook.stem}.md"
        assert last.cell_type == "markdown" and include in last.source, (
            f"{notebook.name} must end with a markdown cell that includes its exercises"
        )
