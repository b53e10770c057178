"""The graded assignments, end to end.

The masters (``assignments/masters``) follow the markup of ``assignments/DESIGN.md``; the
hidden checks (``assignments/hidden``) grade four kinds of students built here from the
masters: one who solves everything with their own code (full marks), one with typical
mistakes (partial marks, and the hint of each mistake in the feedback), one who hands in the
untouched student version (almost nothing), and one who games the grader by aliasing
``ufm``, hard-coding outputs or patching ``ufm.check`` (no more than the untouched
version). They are graded as a teacher grades, by the engine's batch command
(``python assignments/grader.py NAME FOLDER``, which ``make grade`` runs): each notebook in
its own confined process, the checks outside it.

No run of eight consecutive words of a solution, a rubric or a hidden check may appear where
a student can read it: the student versions, the book's sources (chapters, exercises, the
docstrings the API page shows) and the built pages.
"""

from __future__ import annotations

import ast
import copy
import csv
import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

pytest_plugins = ["book_build"]

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ROOT / "assignments"
MASTERS = ASSIGNMENTS / "masters"
HIDDEN = ASSIGNMENTS / "hidden"
BOOK = ROOT / "book"
EXERCISES = BOOK / "exercises"
NAMES = sorted(path.stem for path in MASTERS.glob("*.ipynb"))
#: A run of this many consecutive words of a solution or hidden check must not appear anywhere
#: a student can see; shorter runs are too common to mean anything.
SHINGLE = 8
#: The identity of every test submission (the grader derives the parameters from it).
STUDENT = "ada.lovelace"


# --- the markup --------------------------------------------------------------------------


def config(source: str) -> dict:
    """The YAML under the first line of a raw markup cell."""
    return yaml.safe_load(source.split("\n", 1)[1]) if "\n" in source else {}


def questions(name: str) -> dict[str, dict]:
    """Question name -> its configuration (points, manual), in the order of the master."""
    cells = nbformat.read(MASTERS / f"{name}.ipynb", as_version=4).cells
    return {
        config(c.source)["name"]: config(c.source)
        for c in cells
        if c.cell_type == "raw" and c.source.startswith("# BEGIN QUESTION")
    }


def _strip_code(source: str) -> tuple[str, list[str]]:
    """A code cell's student text and its secret lines (DESIGN.md: inline solutions)."""
    kept, secret, block = [], [], False
    for line in source.splitlines():
        marker = line.strip()
        if marker.startswith("# BEGIN SOLUTION"):
            block = True
            if not marker.endswith("NO PROMPT"):
                kept.append(line[: len(line) - len(line.lstrip())] + "...")
        elif marker == "# END SOLUTION":
            block = False
        elif block:
            secret.append(line)
        elif marker.endswith("# SOLUTION"):
            target, _, value = line.partition("=")
            kept.append(f"{target}= ...")
            secret.append(value.rsplit("#", 1)[0])
        else:
            kept.append(line)
    return "\n".join(kept), secret


def split_master(name: str) -> tuple[nbformat.NotebookNode, str, str]:
    """The student version of a master, the text a student may see and the text they must
    not (solutions, rubrics)."""
    nb = nbformat.read(MASTERS / f"{name}.ipynb", as_version=4)
    cells, public, secret = [], [], []
    in_solution = in_rubric = False
    for cell in nb.cells:
        if cell.cell_type == "raw":
            marker = cell.source.split("\n", 1)[0].strip().upper()
            in_solution = {"# BEGIN SOLUTION": True, "# END SOLUTION": False}.get(
                marker, in_solution
            )
            in_rubric = {"# BEGIN RUBRIC": True, "# END RUBRIC": False}.get(marker, in_rubric)
            continue
        if in_rubric or (in_solution and cell.cell_type == "markdown"):
            secret.append(cell.source)
            if not in_rubric:
                cells.append(nbformat.v4.new_markdown_cell("_Type your answer here._"))
            continue
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code":
            cell.source, hidden = _strip_code(cell.source)
            secret.extend(hidden)
        public.append(cell.source)
        cells.append(cell)
    student = nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)
    return student, "\n".join(public), "\n".join(secret)


def master_notebook(name: str, student: str = STUDENT) -> nbformat.NotebookNode:
    """The master with its markup removed and the solutions kept: a perfect submission."""
    nb = nbformat.read(MASTERS / f"{name}.ipynb", as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "raw":
            continue
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code":
            lines = [
                line.replace("  # SOLUTION", "")
                for line in cell.source.splitlines()
                if not line.strip().startswith(("# BEGIN SOLUTION", "# END SOLUTION"))
            ]
            cell.source = "\n".join(lines).replace('STUDENT = "master"', f'STUDENT = "{student}"')
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)


def untouched_notebook(name: str, student: str = STUDENT) -> nbformat.NotebookNode:
    """The student version as handed out, never opened (``student`` is unused)."""
    return split_master(name)[0]


# --- the four students --------------------------------------------------------------------


def edited(nb, edits) -> nbformat.NotebookNode:
    """A copy of ``nb`` with ``(old, new)`` replaced once each, in the one cell holding ``old``."""
    nb = copy.deepcopy(nb)
    for old, new in edits:
        holders = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        assert len(holders) == 1 and holders[0].source.count(old) == 1, f"{old!r} not unique"
        holders[0].source = holders[0].source.replace(old, new)
    return nb


def appended(nb, source: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    nb.cells.append(nbformat.v4.new_code_cell(source))
    return nb


#: Typical mistakes: assignment -> (edits of the master's solutions, {question: hint phrase}).
MISTAKES = {
    "gradients": (
        [
            ("lam / 2 * decay", "lam * decay"),
            (
                "return W.T @ G + lam * H, G @ H.T + lam * W, G.sum(axis=1)",
                "return W.T @ G + lam * H, G @ H.T + lam * W, G.sum(axis=1) + lam * b",
            ),
            (
                "return float(steps[int(np.argmin(errors))])",
                "return float(steps[int(np.argmax(errors))])",
            ),
        ],
        {"q1": "twice too large", "q2": "not to the bias b", "q5": "smallest directional error"},
    ),
    "invariance": (
        [
            (
                "V = (mu * W + np.sqrt(N) * class_means.T) / (1 + mu)",
                "V = (W + mu * np.sqrt(N) * class_means.T) / (1 + mu)",
            ),
            ("return float(np.sqrt(off / total))", "return float(np.sqrt(off))"),
            ("+ lam * np.sum(W**2))", "+ lam / 2 * np.sum(W**2))"),
        ],
        {"q1": "multiplies W", "q2": "divides it by ‖Z‖_μ", "q4": "λ‖W‖²"},
    ),
    "eps_scaling": (
        [
            (
                "return float(np.polyfit(np.log(x), np.log(y), 1)[0])",
                "return float(np.polyfit(np.log(x), y, 1)[0])",
            ),
            ('np.log(params["target"])', "np.log(1e-6)"),
        ],
        {"q2": "logarithm of both", "q4": "aim at your own target"},
    ),
}

#: The gamer: aliasing ufm, hard-coding numbers, patching ufm.check and the grader.
GAMING = {
    "gradients": [
        "import ufm.check\nufm.check.risk = ufm.check.gradients = lambda *a, **k: True",
        "risk = lambda H, W, b, s=0, lam=0: ufm.risk(H, W, b)",
        "gradients = lambda H, W, b, s=0, lam=0: ufm.gradients(H, W, b)",
        "order_of_accuracy = lambda *args: 2.0",
        "best_step = lambda *args: 1e-8",
    ],
    "invariance": [
        "import ufm.check\nufm.check.projection = lambda *a, **k: True",
        "project_onto_S = lambda H, W, b, mu=1.0: ufm.project_S(H, W, b)",
        "distance_from_S = lambda H, W, b, mu=1.0: ufm.distance_to_S(H, W, b)",
        "decay_gradient_distance = lambda *args: 0.0",
        "smoothed_risk_on_S = lambda W, beta, N, s, lam: "
        "sum(ufm.risk_parts_on_S(W, beta + 0 * W[:, 0], N))",
        "a_star = 3 ** 0.5",
    ],
    "eps_scaling": [
        "final_errors = lambda eps, seed: np.array([eps**2, eps, eps])",
        "loglog_slope = lambda x, y: 2.0",
        "finals = np.ones((5, 3, 3))",
        "slopes = np.array([2.0, 1.0, 1.0])",
        "eps_star, measured = 2e-3, 1e-6",
        "final_distance = lambda eps, seed: eps",
        "distance_slope = 1.0",
    ],
}


def gaming_notebook(name: str, student: str = STUDENT) -> nbformat.NotebookNode:
    nb = untouched_notebook(name)
    nb = edited(nb, [("STUDENT = ...", f'STUDENT = "{student}"')])
    for source in GAMING[name]:
        nb = appended(nb, source)
    return nb


def mistaken_notebook(name: str, student: str = STUDENT) -> nbformat.NotebookNode:
    return edited(master_notebook(name, student), MISTAKES[name][0])


# --- grading --------------------------------------------------------------------------------


def hidden_module(name: str):
    """The hidden checks of ``name``, imported as the engine imports them."""
    if str(ASSIGNMENTS) not in sys.path:
        sys.path.insert(0, str(ASSIGNMENTS))
    spec = importlib.util.spec_from_file_location(f"hidden_{name}", HIDDEN / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


KINDS = {
    "solver": master_notebook,
    "mistaken": mistaken_notebook,
    "untouched": untouched_notebook,
    "gamer": gaming_notebook,
}


def batch_grade(name: str, folder: Path) -> dict[str, dict[str, tuple[float, float, str]]]:
    """Grade every notebook of ``folder`` with the batch command, as a teacher does
    (``python assignments/grader.py NAME FOLDER``); student -> question -> (score, points,
    message) for the autograded questions, read back from the gradebook and the feedback."""
    out = folder / "grades" / "gradebook.csv"
    command = [sys.executable, str(ASSIGNMENTS / "grader.py"), name, str(folder)]
    command += ["--out", str(out), "--jobs", "2", "--seed", "0"]
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=600)
    points = {q: float(c["points"]) for q, c in questions(name).items() if not c.get("manual")}
    graded = {}
    with open(out, newline="") as f:
        for row in csv.DictReader(f):
            feedback = (out.parent / "feedback" / f"{row['student']}.txt").read_text()
            messages = dict(re.findall(r"^(q\d+): [^.]*\.\s?(.*)$", feedback, re.M))
            graded[row["student"]] = {
                q: (float(row[q] or 0), p, messages.get(q, "")) for q, p in points.items()
            }
    return graded


@pytest.fixture(scope="module")
def grades(tmp_path_factory):
    """Every assignment graded for the four students by the engine's batch command, one
    batch per assignment: (assignment, kind) -> question -> (score, points, message). Each
    student's identity is the kind, which is also the notebook's file name."""
    out = {}
    for name in NAMES:
        folder = tmp_path_factory.mktemp(name)
        for kind, make in KINDS.items():
            nbformat.write(make(name, kind), folder / f"{kind}.ipynb")
        for kind, results in batch_grade(name, folder).items():
            out[name, kind] = results
    return out


def total(results) -> tuple[float, float]:
    return sum(r[0] for r in results.values()), sum(r[1] for r in results.values())


# --- the masters ----------------------------------------------------------------------------


def test_there_are_at_least_three_assignments():
    assert len(NAMES) >= 3


@pytest.mark.parametrize("name", NAMES)
def test_every_master_has_its_config_questions_and_hidden_checks(name):
    cells = nbformat.read(MASTERS / f"{name}.ipynb", as_version=4).cells
    first = config(cells[0].source)
    assert cells[0].source.startswith("# ASSIGNMENT CONFIG") and first["name"] == name
    assert first["student_parameters"] is True and first["title"]
    module = hidden_module(name)
    found = questions(name)
    assert found and all(float(q["points"]) > 0 for q in found.values())
    for question, conf in found.items():
        if not conf.get("manual"):
            assert callable(getattr(module, question, None)), f"{name}: no hidden {question}"
    assert set(module.FORBIDDEN) <= set(found)
    assert "otter" not in (MASTERS / f"{name}.ipynb").read_text().lower()


@pytest.mark.parametrize("name", NAMES)
def test_every_manual_question_has_a_rubric_and_a_markdown_answer(name):
    cells = nbformat.read(MASTERS / f"{name}.ipynb", as_version=4).cells
    manual = [n for n, q in questions(name).items() if q.get("manual")]
    assert manual, f"{name} has no manual question"
    starts = [i for i, c in enumerate(cells) if c.source.startswith("# BEGIN QUESTION")]
    for start in starts:
        end = next(i for i in range(start, len(cells)) if cells[i].source == "# END QUESTION")
        body = [c.source for c in cells[start:end]]
        if config(cells[start].source)["name"] in manual:
            assert "# BEGIN RUBRIC" in body, f"{name}: a manual question without rubric"
            assert "markdown cell below" in "\n".join(body)


@pytest.mark.parametrize("name", NAMES)
def test_the_answer_cells_of_manual_questions_are_tagged_for_the_pdf(name, tmp_path):
    """The export cell (``ufm.submit``) prints the cells tagged with their question."""
    subprocess.run(
        [sys.executable, str(ASSIGNMENTS / "generate.py"), "--no-run-tests", name,
         "--out", str(tmp_path / "out"), "--book", str(tmp_path / "book")],
        check=True, capture_output=True,
    )  # fmt: skip
    student = nbformat.read(tmp_path / "book" / f"{name}.ipynb", as_version=4)
    tagged = [c.metadata["ufm"]["answer"] for c in student.cells if "ufm" in c.metadata]
    manual = [q for q, conf in questions(name).items() if conf.get("manual")]
    assert manual and sorted(set(tagged)) == sorted(manual)
    assert "zip_path = export(" in student.cells[-1].source


@pytest.mark.parametrize("name", NAMES)
def test_the_first_code_cell_sets_the_student_and_the_parameters(name):
    student, _, _ = split_master(name)
    first = next(c for c in student.cells if c.cell_type == "code").source
    assert "STUDENT = ..." in first
    assert f'params = check.parameters("{name}", STUDENT)' in first


def test_an_empty_student_gets_a_message_saying_what_to_do():
    from ufm import check

    for empty in ("", "   ", ...):
        with pytest.raises(ValueError, match='STUDENT = "your id"'):
            check.parameters("gradients", empty)


# --- the four students ----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_a_student_who_solves_everything_gets_full_marks(grades, name):
    results = grades[name, "solver"]
    score, points = total(results)
    assert points > 0 and score == points, results


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_typical_mistakes_get_partial_marks_and_their_hints(grades, name):
    results = grades[name, "mistaken"]
    score, points = total(results)
    assert 0 < score < points, results
    for question, hint in MISTAKES[name][1].items():
        assert results[question][0] < results[question][1], (question, results[question])
        assert hint in results[question][2], (question, results[question][2])


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_an_untouched_notebook_gets_almost_nothing(grades, name):
    score, points = total(grades[name, "untouched"])
    assert score <= 0.1 * points, grades[name, "untouched"]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_gaming_the_grader_earns_nothing_more_than_an_untouched_notebook(grades, name):
    gamed, untouched = grades[name, "gamer"], grades[name, "untouched"]
    for question, (score, _, message) in gamed.items():
        assert score <= untouched[question][0], (question, message)


@pytest.mark.slow
def test_feedback_never_shows_an_expected_value(grades):
    for results in grades.values():
        for _, _, message in results.values():
            assert not re.search(r"\d\.\d{3,}", message), message
            assert not re.search(r"\[\s*-?\d", message) and "array(" not in message, message


# --- no answers where students can read them -----------------------------------------------


def words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9_]+", text)


def shingles(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + SHINGLE]) for i in range(len(w) - SHINGLE + 1)}


def secret_shingles(name: str) -> set[tuple[str, ...]]:
    """Runs of words of the solutions, rubrics and hidden checks that the student version
    does not show anyway (the questions and public checks may repeat a phrase)."""
    _, public, secret = split_master(name)
    hidden = (HIDDEN / f"{name}.py").read_text()
    return (shingles(secret) | shingles(hidden)) - shingles(public)


def leaks(name: str, text: str) -> list[str]:
    return sorted(" ".join(s) for s in secret_shingles(name) & shingles(text))


def book_sources() -> dict[str, str]:
    """Every text of the book a student can read: chapters, exercises, pages, and the
    docstrings of the modules the API page documents."""
    texts = {}
    for path in sorted(BOOK.rglob("*")):
        if {"assignments", "_build", ".ipynb_checkpoints"} & set(path.parts):
            continue
        if path.suffix == ".md":
            texts[str(path.relative_to(ROOT))] = path.read_text()
        elif path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            texts[str(path.relative_to(ROOT))] = "\n".join(c.source for c in nb.cells)
    api = "\n".join(p.read_text() for p in [BOOK / "api.md", *sorted(BOOK.glob("api/*.md"))])
    for module in sorted(set(re.findall(r"automodule:: (ufm[.\w]*)", api))):
        mod = importlib.import_module(module)
        docs = [inspect.getdoc(mod) or ""]
        for _, member in inspect.getmembers(mod):
            if inspect.isfunction(member) or inspect.isclass(member):
                docs.append(inspect.getdoc(member) or "")
        texts[f"docstrings of {module}"] = "\n".join(docs)
    return texts


import importlib  # noqa: E402  (used by book_sources)


@pytest.mark.parametrize("name", NAMES)
def test_the_leak_check_sees_the_solutions_and_the_hidden_checks(name):
    assert leaks(name, (MASTERS / f"{name}.ipynb").read_text()), "solutions not seen"
    assert leaks(name, (HIDDEN / f"{name}.py").read_text()), "hidden checks not seen"


@pytest.mark.parametrize("name", NAMES)
def test_the_student_version_holds_no_solution_no_rubric_no_hidden_check(name):
    student, _, _ = split_master(name)
    assert not leaks(name, nbformat.writes(student))


@pytest.mark.parametrize("name", NAMES)
def test_the_book_does_not_answer_the_assignments(name):
    for where, text in book_sources().items():
        assert not leaks(name, text), f"{where} shows text of the {name} solutions"


@pytest.mark.build
@pytest.mark.parametrize("name", NAMES)
def test_the_built_pages_do_not_answer_the_assignments(built_book, name):
    """Every page of the book as the session built it (``tests/book_build.py``)."""
    for page in built_book.pages():
        assert not leaks(name, _page_text(page.read_text())), f"{page} shows {name} secrets"


def _page_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_the_assignments_do_not_ask_what_the_book_answers():
    """The variants the assignments build on (label smoothing) are not in the book's
    chapters, exercises or API docstrings."""
    sources = book_sources()
    book = "\n".join(t for where, t in sources.items() if "classroom" not in where).lower()
    assert "label smoothing" not in book and "smoothed targets" not in book


def test_the_hidden_checks_parse_and_name_no_expected_value():
    for name in NAMES:
        tree = ast.parse((HIDDEN / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                shown = ast.unparse(node)
                assert "{right" not in shown and "{expected" not in shown, shown


# --- the exercises of the chapters ---------------------------------------------------

EXERCISE_FILES = sorted(p.stem for p in EXERCISES.glob("*.md"))


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
