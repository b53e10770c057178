"""The grading engine (assignments/grader.py, sandbox.py, generate.py) on a toy assignment.

The toy master and its hidden checks are in tests/grading_fixtures/ (so that these tests do
not depend on the real assignments): q1 asks for ``risk`` (``ufm.risk`` forbidden), q2 for
``double_risk`` (graded with the reference ``risk``), q3 is manual, q4 reads a variable with a
careless ``assert``. One batch grades a handful of typical submissions, each in its own
process; the other tests read its gradebook and feedback.
"""

import csv
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ROOT / "assignments"
FIXTURES = Path(__file__).resolve().parent / "grading_fixtures"
GRADER = ASSIGNMENTS / "grader.py"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ASSIGNMENTS / f"{name}.py")
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate, sandbox = _load("generate"), _load("sandbox")
grader = sys.modules.get("grader") or _load("grader")


def grade(assignment, submissions, out, options=()):
    """Run the grader's command line; return (gradebook rows by student, the run)."""
    command = [sys.executable, str(GRADER), str(assignment), *map(str, submissions)]
    command += ["--out", str(out), "--seed", "7", *options]
    run = subprocess.run(command, capture_output=True, text=True, check=True, timeout=300)
    rows = {}
    if out.exists():
        with open(out, newline="") as f:
            rows = {row["student"]: row for row in csv.DictReader(f)}
    return rows, run


def feedback(out, student):
    return (out.parent / "feedback" / f"{student}.txt").read_text()


def edited(nb, cells):
    """A copy of ``nb`` where each cell starting with a key of ``cells`` gets that value as its
    source (a list of sources: the cell is replaced by several)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    new = []
    for cell in nb.cells:
        key = next((k for k in cells if cell.source.startswith(k)), None)
        sources = [] if key is None else cells[key]
        sources = [sources] if isinstance(sources, str) else sources
        if key is None:
            new.append(cell)
        for source in sources:
            new.append(nbformat.v4.new_code_cell(source))
    nb.cells = new
    return nb


@pytest.fixture(scope="session")
def sandboxed():
    """Landlock is there (else skip, or fail under UFM_REQUIRE_SANDBOX=1)."""
    if not sandbox.landlock_abi():
        reason = "Landlock is unavailable, so reads and writes of notebooks are not confined"
        if os.environ.get("UFM_REQUIRE_SANDBOX") == "1":
            pytest.fail(f"{reason}; UFM_REQUIRE_SANDBOX=1 requires it")
        pytest.skip(reason)
    return sandbox.landlock_abi()


@pytest.fixture(scope="session")
def toy(tmp_path_factory):
    """The toy's student and instructor versions and autograder, built by generate.py, which
    also grades the instructor version (it must get full marks)."""
    out = tmp_path_factory.mktemp("toy-build")
    masters = FIXTURES / "masters"
    generate.main(["--masters", str(masters), "--out", str(out), "--book", str(out / "book")])
    return out


@pytest.fixture(scope="session")
def versions(toy):
    read = lambda path: nbformat.read(path, as_version=4)  # noqa: E731
    return {
        "student": read(generate.student_notebook(toy, "toy")),
        "instructor": read(generate.instructor_notebook(toy, "toy")),
    }


@pytest.fixture(scope="session")
def batch(toy, versions, tmp_path_factory):
    """Typical submissions, graded in one batch from the autograder zip."""
    folder = tmp_path_factory.mktemp("submissions")
    solution, untouched = versions["instructor"], versions["student"]
    risk = "def risk(H, W, b):"
    notebooks = {
        "ada": edited(
            solution, {"import numpy": 'import numpy as np\nimport ufm\nSTUDENT = "ada"'}
        ),
        "bob": edited(solution, {"check.risk": ["while True:\n    pass", "check.risk(risk)"]}),
        "carl": edited(solution, {risk: "risk = ufm.risk"}),
        "dan": edited(solution, {risk: f'{risk}\n    return getattr(ufm, "ri" + "sk")(H, W, b)'}),
        "eve": edited(
            solution,
            {
                risk: f"{risk}\n    C = W.shape[0]\n    N = H.shape[1] // C\n"
                "    return float(np.sum((W @ H + b[:, None] - ufm.targets(C, N)) ** 2) / (C * N))",
                "check.risk": [
                    "check.risk = lambda *args, **kwargs: True\n"
                    "check.Feedback.__bool__ = lambda self: True",
                    f"import sys\nsys.path.insert(0, {str(ASSIGNMENTS)!r})\nimport grader\n"
                    "grader.Fail = None",
                ],
                "order = ": "order = 3",
            },
        ),
    }
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    (folder / "fay").mkdir()
    nbformat.write(untouched, folder / "fay" / "toy.ipynb")
    with zipfile.ZipFile(folder / "gus.zip", "w") as archive:
        archive.writestr("toy.ipynb", nbformat.writes(notebooks["ada"]))
        archive.writestr("answers.pdf", b"%PDF-1.4")
    out = tmp_path_factory.mktemp("grades") / "gradebook.csv"
    zipped = generate.autograder_zip(toy, "toy")
    rows, run = grade(zipped, [folder], out, ["--cell-timeout", "3", "--jobs", "2"])
    return rows, run, out


def test_the_masters_solutions_get_full_marks(toy):
    with open(toy / "toy" / "check" / "gradebook.csv", newline="") as f:
        (row,) = csv.DictReader(f)
    assert (row["autograded"], row["autograded_max"], row["status"]) == ("4", "4", "ok")


def test_the_gradebook_has_a_column_per_question_then_the_totals_and_the_status(batch):
    rows, _, out = batch
    with open(out, newline="") as f:
        header = next(csv.reader(f))
    assert header == [
        "student",
        *["q1", "q2", "q3", "q4"],
        *["autograded", "autograded_max", "manual_pending", "status"],
    ]
    assert sorted(rows) == ["ada", "bob", "carl", "dan", "eve", "fay", "gus"]
    assert rows["ada"]["q3"] == "", "a manual question's column stays blank"


def test_a_correct_submission_gets_full_marks(batch):
    rows, _, out = batch
    assert {k: rows["ada"][k] for k in ("q1", "q2", "q4", "autograded", "status")} == {
        "q1": "2",
        "q2": "1",
        "q4": "1",
        "autograded": "4",
        "status": "ok",
    }
    text = feedback(out, "ada")
    assert "Note:" not in text
    assert text.strip().endswith("Total: 4 of 4 autograded; 3 manual pending")


def test_a_zip_from_the_export_cell_is_graded_like_its_notebook(batch):
    rows, _, _ = batch
    assert (rows["gus"]["autograded"], rows["gus"]["status"]) == ("4", "ok")


def test_an_endless_cell_is_stopped_the_row_says_timed_out_and_the_batch_goes_on(batch):
    rows, _, out = batch
    assert rows["bob"]["status"].startswith("timed out")
    assert rows["bob"]["autograded"] == "4", "the cells after the endless one still ran"
    assert "`while True:` ran over 3 s and was stopped" in feedback(out, "bob")
    assert rows["carl"]["status"] == "ok"


def test_the_feedback_says_when_the_notebooks_student_is_not_the_submission(batch):
    _, _, out = batch
    first_note = feedback(out, "bob").splitlines()[1]
    assert first_note.startswith("Note: Your notebook says STUDENT = 'master'")
    assert "'bob'" in first_note


def test_a_forbidden_alias_scores_zero_with_a_message(batch):
    rows, _, out = batch
    assert (rows["carl"]["q1"], rows["carl"]["q2"]) == ("0", "1")
    assert "q1 asks you to write risk yourself; your notebook uses ufm.risk" in feedback(
        out, "carl"
    )


def test_a_forbidden_call_the_scan_cannot_see_is_caught_when_it_runs(batch):
    rows, _, out = batch
    assert rows["dan"]["q1"] == "0"
    assert "q1 asks you to write risk yourself; your code calls ufm.risk" in feedback(out, "dan")


def test_patching_ufm_check_or_the_grader_from_a_cell_changes_nothing(batch):
    rows, _, out = batch
    assert rows["eve"]["q1"] == "0"
    assert "risk is twice too large" in feedback(out, "eve")


def test_replace_gives_a_later_question_the_reference_for_an_earlier_function(batch):
    rows, _, _ = batch
    assert rows["eve"]["q2"] == "1", "double_risk is right although eve's risk is not"


def test_feedback_shows_no_traceback_assert_or_expected_value(batch):
    rows, run, out = batch
    assert rows["eve"]["q4"] == "0"
    for text in (out.parent / "feedback").glob("*.txt"):
        text = text.read_text()
        for word in ("Traceback", "assert", "expected", 'File "', "line "):
            assert word not in text
        assert not re.search(r"\d\.\d{4,}", text), "no computed value in feedback"
    assert "eve: q4: AssertionError" in run.stderr, "the teacher sees the broken check"


def test_the_untouched_student_version_scores_at_most_ten_percent(batch):
    rows, _, _ = batch
    assert rows["fay"]["status"] == "ok"
    assert float(rows["fay"]["autograded"]) <= 0.1 * float(rows["fay"]["autograded_max"])


def test_a_notebook_that_ignores_interrupts_is_cut_off_and_the_batch_goes_on(toy, tmp_path):
    stubborn = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import time\nwhile True:\n    try:\n        time.sleep(1)\n"
                "    except BaseException:\n        pass"
            )
        ]
    )
    nbformat.write(stubborn, tmp_path / "stubborn.ipynb")
    shutil.copy(generate.instructor_notebook(toy, "toy"), tmp_path / "next.ipynb")
    out = tmp_path / "grades" / "gradebook.csv"
    submissions = [tmp_path / "stubborn.ipynb", tmp_path / "next.ipynb"]
    rows, _ = grade(generate.autograder_zip(toy, "toy"), submissions, out, ["--timeout", "8"])
    assert rows["stubborn"]["status"] == "timed out: over 8 s, not graded"
    assert rows["stubborn"]["autograded"] == "0"
    assert rows["next"]["status"] == "ok"


def test_a_notebook_cannot_leave_its_scratch_folder(sandboxed, tmp_path, monkeypatch):
    hidden = FIXTURES / "probe" / "hidden" / "probe.py"
    outside = [FIXTURES / f"escaped-{uuid.uuid4().hex}", Path(f"/tmp/escaped-{uuid.uuid4().hex}")]
    listener = socket.create_server(("127.0.0.1", 0))
    attempts = {
        "read the hidden checks": f"open({str(hidden)!r}).read()",
        "list the grading folder": f"os.listdir({str(FIXTURES)!r})",
        "write in the tests": f"open({str(outside[0])!r}, 'w').write('x')",
        "write in /tmp": f"open({str(outside[1])!r}, 'w').write('x')",
        "connect over TCP": f"socket.create_connection(('127.0.0.1', {listener.getsockname()[1]}))",
        "write its own folder": "open('mine.txt', 'w').write('x')",
        "read the teacher's environment": "os.environ['UFM_TEST_TOKEN']",
        "signal the grader": "os.kill(os.getppid(), 0)",
    }
    monkeypatch.setenv("UFM_TEST_TOKEN", "secret")
    lines = ["import os, socket", "outcomes = []"]
    for what, action in attempts.items():
        lines += [
            "try:",
            f"    {action}",
            f"    outcomes.append({what!r} + ': done')",
            "except Exception as error:",
            f"    outcomes.append({what!r} + ': ' + type(error).__name__)",
        ]
    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("\n".join(lines))])
    nbformat.write(probe, tmp_path / "attempts.ipynb")
    out = tmp_path / "grades" / "gradebook.csv"
    try:
        grade(FIXTURES / "probe", [tmp_path / "attempts.ipynb"], out)
    finally:
        listener.close()
    outcomes = feedback(out, "attempts").split("outcomes: 0 / 1. ")[1].splitlines()[0].split(" | ")
    assert outcomes == [
        "read the hidden checks: PermissionError",
        "list the grading folder: PermissionError",
        "write in the tests: PermissionError",
        "write in /tmp: PermissionError",
        "connect over TCP: PermissionError" if sandboxed >= 4 else "connect over TCP: done",
        "write its own folder: done",
        "read the teacher's environment: KeyError",
        "signal the grader: PermissionError" if sandboxed >= 6 else "signal the grader: done",
    ]
    assert not any(path.exists() for path in outside)


def test_the_sandbox_refuses_to_run_unconfined_when_required(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "landlock_abi", lambda: 0)
    monkeypatch.setattr(sandbox.os, "execve", lambda *args: pytest.fail("ran unconfined"))
    with pytest.raises(sandbox.SandboxUnavailable, match="UFM_REQUIRE_SANDBOX=1"):
        sandbox.main(["--root", str(tmp_path), "--require", "--", "true"])


def test_the_scan_sees_through_aliases_getattr_and_imports():
    cells = [
        "import ufm as u\nfrom ufm import model as m",
        "f = u.risk\ng = getattr(m, 'risk')\nfrom ufm.model import risk as r",
        "import importlib\nimportlib.reload(u)",
        "label = 'ufm.risk'",
    ]
    names = {name for name, _, string in grader.scan(cells) if not string}
    assert {"ufm.risk", "ufm.model.risk", "importlib.reload"} <= names
    assert ("ufm.risk", "label = 'ufm.risk'", False) not in grader.scan(cells), "a mere string"
    assert ("ufm.risk", "label = 'ufm.risk'", True) in grader.scan(cells)
    aliases = grader.forbidden_aliases({"q1": ["ufm.risk"]})
    assert aliases["ufm.model.risk"] == ("q1", "ufm.risk"), "an alias of the same function"


def test_gradescope_results_keep_manual_questions_out_of_the_score():
    assignment = grader.Assignment.from_json(
        {
            "name": "toy",
            "checks": "",
            "questions": [
                {"name": "q1", "points": 2, "manual": False},
                {"name": "q2", "points": 3, "manual": True},
            ],
        }
    )
    result = {
        "student": "ada",
        "status": "ok",
        "notes": [],
        "errors": [],
        "questions": [
            {"name": "q1", "points": 2, "manual": False, "score": 1.0, "message": "Half."},
            {"name": "q2", "points": 3, "manual": True, "score": None, "message": ""},
        ],
    }
    results = grader.gradescope_results(result, assignment)
    assert [(t["name"], t["score"], t["max_score"]) for t in results["tests"]] == [
        ("q1", 1.0, 2),
        ("q2", 0.0, 0.0),
    ]
    assert "1 of 2 autograded; 3 manual pending" in results["output"]


def test_the_student_version_hides_solutions_and_rubrics_and_ends_with_the_export_cell(versions):
    student, instructor = versions["student"], versions["instructor"]
    text = "\n".join(cell.source for cell in student.cells)
    for secret in ("residual", "the secret explanation", "the rubric of the toy", "order = 2"):
        assert secret not in text
        assert secret in "\n".join(cell.source for cell in instructor.cells)
    assert "order = ..." in text and "# SOLUTION" not in text and "BEGIN" not in text
    assert student.cells[-1].source == 'from ufm.submit import export\n\nzip_path = export("toy")'
    assert student.metadata["ufm_assignment"] == {
        "name": "toy",
        "questions": [
            {"name": "q1", "points": 2, "manual": False},
            {"name": "q2", "points": 1, "manual": False},
            {"name": "q3", "points": 3, "manual": True},
            {"name": "q4", "points": 1, "manual": False},
        ],
    }


def test_strip_solution_keeps_the_indentation_and_the_assignment_targets():
    source = "def f(x):\n    # BEGIN SOLUTION\n    y = x\n    return y\n    # END SOLUTION\n"
    source += "a, b = 1, 2  # SOLUTION\nc: int = 3 # SOLUTION"
    assert generate.strip_solution(source) == "def f(x):\n    ...\na, b = ...\nc: int = ..."
    with pytest.raises(generate.MarkupError, match="'x = value  # SOLUTION'"):
        generate.strip_solution("print(1)  # SOLUTION")
    with pytest.raises(generate.MarkupError, match="never closed"):
        generate.strip_solution("# BEGIN SOLUTION\nx = 1")


def test_bad_arguments_get_a_message_that_names_them(tmp_path, capsys):
    for argv, phrase in [
        ([], "give ASSIGNMENT and at least one SUBMISSION"),
        (["nosuch", str(tmp_path)], "ASSIGNMENT 'nosuch' is not a folder with questions.json"),
        ([str(FIXTURES / "probe"), str(tmp_path / "absent.ipynb")], "absent.ipynb: no such"),
        ([str(FIXTURES / "probe"), str(tmp_path)], "has no notebook, zip or folder"),
        ([str(FIXTURES / "probe"), str(tmp_path), "--timeout", "-1"], "'-1' must be positive"),
    ]:
        with pytest.raises(SystemExit):
            grader.main(argv)
        assert phrase in capsys.readouterr().err
    with pytest.raises(SystemExit):
        sandbox.main(["--root", str(tmp_path / "absent"), "--", "true"])
    assert "--root" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        generate.main(["--masters", str(FIXTURES / "masters"), "nosuch"])
    assert "no master called nosuch" in capsys.readouterr().err


@pytest.fixture(scope="session")
def real(tmp_path_factory):
    """The real assignments' versions and autograder zips, as make assignments builds them."""
    out = tmp_path_factory.mktemp("real-build")
    generate.main(["--no-run-tests", "--out", str(out), "--book", str(out / "book")])
    return out


@pytest.mark.slow
def test_each_autograder_zip_grades_in_a_fresh_environment(toy, real, tmp_path):
    """As on Gradescope: unpack a zip, run its setup.sh (a new virtual environment, without
    the repository), then its run_autograder on the instructor version (full marks) and on
    the untouched student version (at most 10%), for the toy and for each real assignment.
    The zips declare the same requirements and wheel (asserted), so one environment, built
    by the first zip's setup.sh, serves them all."""
    python = Path(getattr(sys, "_base_executable", sys.executable))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "UFM_PYTHON": str(python)}
    env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})
    env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    builds = [(toy, "toy")] + [(real, name) for name in generate.master_names()]
    first = None
    for out, name in builds:
        root = tmp_path / name
        with zipfile.ZipFile(generate.autograder_zip(out, name)) as archive:
            archive.extractall(root / "source")
        env["UFM_AUTOGRADER_ROOT"] = str(root)
        if first is None:
            subprocess.run(["bash", root / "source" / "setup.sh"], env=env, check=True, cwd=root)
            config = (root / "venv" / "pyvenv.cfg").read_text()
            assert "include-system-site-packages = false" in config
            where = subprocess.run(
                [root / "venv" / "bin" / "python", "-c", "import ufm; print(ufm.__file__)"],
                env=env, cwd=root, capture_output=True, text=True, check=True,
            )  # fmt: skip
            assert where.stdout.startswith(str(root / "venv")), "ufm from the wheel, not the repo"
            first = root
        else:
            # The same pinned requirements and the same wheel (by name: a wheel built in
            # another run differs in its files' timestamps only).
            for declared in ("requirements.txt",):
                same = (first / "source" / declared).read_text() == (
                    root / "source" / declared
                ).read_text()
                assert same, f"{name}'s zip declares other requirements than the first zip"
            wheels = [
                sorted(p.name for p in (r / "source" / "files").iterdir()) for r in (first, root)
            ]
            assert wheels[0] == wheels[1], wheels
            (root / "venv").symlink_to(first / "venv")
        scores = {}
        for version in ("instructor", "student"):
            notebook = nbformat.read(getattr(generate, f"{version}_notebook")(out, name), 4)
            shutil.rmtree(root / "submission", ignore_errors=True)
            (root / "submission").mkdir()
            nbformat.write(notebook, root / "submission" / f"{name}.ipynb")
            metadata = json.dumps({"users": [{"sid": "master"}]})
            (root / "submission_metadata.json").write_text(metadata)
            run_autograder = root / "source" / "run_autograder"
            subprocess.run(["bash", run_autograder], env=env, check=True, cwd=root, timeout=300)
            results = json.loads((root / "results" / "results.json").read_text())
            scores[version] = (
                sum(t["score"] for t in results["tests"]),
                sum(t["max_score"] for t in results["tests"]),
            )
        assert scores["instructor"][0] == scores["instructor"][1] > 0, (name, scores)
        assert scores["student"][0] <= 0.1 * scores["student"][1], (name, scores)
