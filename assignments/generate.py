"""Generate the student and instructor versions of the graded assignments, and their autograders.

Each master notebook ``<masters>/<name>.ipynb`` (our markup, see DESIGN.md) becomes

- ``<out>/<name>/student/<name>.ipynb``: without solutions and rubrics, with the question table
  in its metadata (``ufm_assignment``) and an export cell at the end; copied to
  ``<book>/<name>.ipynb`` for the book, which shows it without executing it;
- ``<out>/<name>/instructor/<name>.ipynb``: with solutions and rubrics, markup removed;
- ``<out>/<name>/autograder/<name>-autograder.zip``: for Gradescope (or ``grader.py``): the
  engine, the hidden checks ``<masters>/../hidden/<name>.py``, the question table, a wheel of
  ``ufm`` and the pinned requirements.

Unless ``--no-run-tests``, the engine then grades the instructor version, which must get full
marks (its report lands in ``<out>/<name>/check/``).

Usage: ``python assignments/generate.py [--out DIR] [--book DIR] [--masters DIR]
[--no-run-tests] [NAME ...]`` (from the repository root: ``make assignments``).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib.metadata import version
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "assignments"
MASTERS = HERE / "masters"
DEFAULT_OUT = ROOT / "_build" / "assignments"
DEFAULT_BOOK = ROOT / "book" / "assignments"
#: The distributions the engine and the student's kernel import, pinned in the autograder to
#: the versions installed here (ufm's own dependencies included).
PINNED = (
    "numpy",
    "scipy",
    "matplotlib",
    "nbclient",
    "nbformat",
    "ipykernel",
    "ipython",
    "jupyter_client",
    "pyzmq",
)
MARKERS = ("QUESTION", "SOLUTION", "RUBRIC")
EXPORT_TAG = "ufm-export"
EXPORT_TEXT = (
    "## Hand in\n\n"
    "Save the notebook, then run the next cell: it makes the zip to hand in (this notebook and "
    "a PDF of your written answers)."
)

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (the Ubuntu 24.04
# base image has a Python that the pinned requirements support). It makes a virtual
# environment with the engine's requirements and ufm.
set -euo pipefail
ROOT="${UFM_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${UFM_PYTHON:-python3}"
if ! "$PYTHON" -c "import ensurepip, venv" 2>/dev/null; then
    apt-get update && apt-get install -y python3 python3-venv python3-pip
fi
"$PYTHON" -m venv "$ROOT/venv"
cd "$ROOT/source"
"$ROOT/venv/bin/python" -m pip install -r requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission: grade $ROOT/submission into
# $ROOT/results/results.json.
set -euo pipefail
ROOT="${UFM_AUTOGRADER_ROOT:-/autograder}"
export UFM_AUTOGRADER_ROOT="$ROOT"
exec "$ROOT/venv/bin/python" "$ROOT/source/grader.py" --gradescope
"""


class MarkupError(ValueError):
    """A master notebook's markup is wrong; the message names the cell."""


def master_names(masters: Path = MASTERS) -> list[str]:
    """The names of the assignments: the stems of the master notebooks, sorted."""
    return sorted(path.stem for path in masters.glob("*.ipynb"))


def autograder_zip(out: Path, name: str) -> Path:
    """Where :func:`generate` puts the autograder of assignment ``name``."""
    return out / name / "autograder" / f"{name}-autograder.zip"


def student_notebook(out: Path, name: str) -> Path:
    """Where :func:`generate` puts the student version of assignment ``name``."""
    return out / name / "student" / f"{name}.ipynb"


def instructor_notebook(out: Path, name: str) -> Path:
    """Where :func:`generate` puts the instructor version of assignment ``name``."""
    return out / name / "instructor" / f"{name}.ipynb"


# ---------------------------------------------------------------------------------------------
# Reading the markup


def _marker(cell) -> tuple[str, str] | None:
    """(``BEGIN``/``END``/``CONFIG``, what) for a markup cell, None for any other cell."""
    if cell.cell_type != "raw":
        return None
    first = cell.source.strip().split("\n", 1)[0].strip().upper()
    if first == "# ASSIGNMENT CONFIG":
        return "CONFIG", ""
    match = re.fullmatch(r"#\s*(BEGIN|END)\s+(\w+)", first)
    return (match[1], match[2]) if match else None


def _yaml(cell, where: str) -> dict:
    try:
        config = yaml.safe_load(cell.source.split("\n", 1)[1] if "\n" in cell.source else "")
    except yaml.YAMLError as error:
        raise MarkupError(f"{where}: its YAML does not parse: {error}") from None
    if not isinstance(config, dict | None):
        raise MarkupError(f"{where}: expected 'key: value' lines")
    return config or {}


def read_master(path: Path) -> dict:
    """The master at ``path`` as ``{"config", "questions", "cells"}``: ``cells`` lists
    ``(cell, role, question)`` with role ``plain``, ``solution`` or ``rubric`` (markup cells
    dropped) and the name of the question the cell is in (None outside questions).

    Raises
    ------
    MarkupError
        If the markup is wrong: the first cell is not ``# ASSIGNMENT CONFIG``, a block is not
        closed or closes what it did not open, a question has no name or points, two questions
        share a name, a rubric holds code, ...
    """
    nb = nbformat.read(path, as_version=4)
    if not nb.cells or _marker(nb.cells[0]) != ("CONFIG", ""):
        raise MarkupError(f"{path.name}: the first cell must be a raw '# ASSIGNMENT CONFIG' cell")
    config = _yaml(nb.cells[0], f"{path.name}, cell 1")
    if config.get("name") != path.stem:
        raise MarkupError(
            f"{path.name}, cell 1: name is {config.get('name')!r}; expected {path.stem!r}"
        )
    questions, cells, open_blocks = [], [], []
    for index, cell in enumerate(nb.cells[1:], start=2):
        where = f"{path.name}, cell {index}"
        marker = _marker(cell)
        if marker is None:
            role = next((b.lower() for b in open_blocks if b in ("SOLUTION", "RUBRIC")), "plain")
            if role == "rubric" and cell.cell_type != "markdown":
                raise MarkupError(f"{where}: a rubric holds markdown cells only")
            inside = questions[-1]["name"] if "QUESTION" in open_blocks else None
            cells.append((cell, role, inside))
            continue
        kind, what = marker
        if kind == "CONFIG" or what not in MARKERS:
            raise MarkupError(f"{where}: unknown markup {cell.source.strip().splitlines()[0]!r}")
        if kind == "END":
            if not open_blocks or open_blocks[-1] != what:
                raise MarkupError(f"{where}: '# END {what}' closes no '# BEGIN {what}'")
            open_blocks.pop()
            continue
        if what in open_blocks or (what != "QUESTION" and set(open_blocks) - {"QUESTION"}):
            raise MarkupError(f"{where}: '# BEGIN {what}' inside another block")
        if what == "QUESTION":
            questions.append(_question(_yaml(cell, where), where, questions))
        open_blocks.append(what)
    if open_blocks:
        raise MarkupError(f"{path.name}: '# BEGIN {open_blocks[-1]}' is never closed")
    return {"config": config, "questions": questions, "cells": cells, "metadata": nb.metadata}


def _question(config: dict, where: str, earlier: list[dict]) -> dict:
    name, points = config.get("name"), config.get("points")
    if not isinstance(name, str) or not re.fullmatch(r"\w+", name):
        raise MarkupError(f"{where}: a question needs 'name:' (letters, digits, _)")
    if name in (q["name"] for q in earlier):
        raise MarkupError(f"{where}: there is already a question {name}")
    if isinstance(points, bool) or not isinstance(points, int | float) or points < 0:
        raise MarkupError(f"{where}: question {name} needs 'points:' (a number >= 0)")
    return {"name": name, "points": points, "manual": bool(config.get("manual", False))}


def question_table(master: dict) -> dict:
    """What the engine needs of a master (questions.json): name, title, whether the student's
    parameters matter, and the questions with their points."""
    config = master["config"]
    return {
        "name": config["name"],
        "title": str(config.get("title", "")),
        "student_parameters": bool(config.get("student_parameters", False)),
        "questions": master["questions"],
    }


# ---------------------------------------------------------------------------------------------
# Writing the versions


def strip_solution(source: str, where: str = "a cell") -> str:
    """The student's side of a code cell: each ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` line
    block becomes ``...`` at its indentation, and ``x = value  # SOLUTION`` becomes ``x = ...``.

    Raises
    ------
    MarkupError
        If a block is not closed, or a ``# SOLUTION`` line is not an assignment.
    """
    lines, in_block = [], False
    for line in source.splitlines():
        marker = line.strip()
        if marker.startswith("# BEGIN SOLUTION"):
            lines.append(line[: len(line) - len(line.lstrip())] + "...")
            in_block = True
        elif marker.startswith("# END SOLUTION"):
            in_block = False
        elif in_block:
            continue
        elif re.search(r"#\s*SOLUTION\s*$", line):
            code = re.sub(r"\s*#\s*SOLUTION\s*$", "", line)
            indent = code[: len(code) - len(code.lstrip())]
            try:
                (node,) = ast.parse(code.strip()).body
            except (SyntaxError, ValueError):
                node = None
            if not isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                raise MarkupError(f"{where}: a '# SOLUTION' line must be 'x = value  # SOLUTION'")
            lines.append(indent + code.strip()[: node.value.col_offset].rstrip() + " ...")
        else:
            lines.append(line)
    if in_block:
        raise MarkupError(f"{where}: '# BEGIN SOLUTION' is never closed by '# END SOLUTION'")
    return "\n".join(lines)


def strip_markup(source: str) -> str:
    """The instructor's side of a code cell: the solution kept, its markers removed."""
    lines = [
        re.sub(r"\s*#\s*SOLUTION\s*$", "", line)
        for line in source.splitlines()
        if not re.match(r"\s*# (BEGIN|END) SOLUTION", line)
    ]
    return "\n".join(lines)


def _new_cell(cell, source: str):
    make = {
        "code": nbformat.v4.new_code_cell,
        "markdown": nbformat.v4.new_markdown_cell,
        "raw": nbformat.v4.new_raw_cell,
    }[cell.cell_type]
    new = make(source)
    if cell.metadata.get("tags"):
        new.metadata["tags"] = list(cell.metadata["tags"])
    return new


def _notebook(master: dict, cells: list) -> nbformat.NotebookNode:
    metadata = {k: v for k, v in master["metadata"].items() if k in ("kernelspec", "language_info")}
    table = question_table(master)
    metadata["ufm_assignment"] = {"name": table["name"], "questions": table["questions"]}
    return nbformat.v4.new_notebook(cells=cells, metadata=metadata)


def student_version(master: dict) -> nbformat.NotebookNode:
    """The notebook students get: solutions stripped, rubrics removed, an export cell added.

    Raises
    ------
    MarkupError
        If a code cell inside a solution block marks no solution line (nothing would be
        hidden), or :func:`strip_solution` refuses a cell.
    """
    name, cells = master["config"]["name"], []
    manual = {q["name"] for q in master["questions"] if q["manual"]}
    for cell, role, question in master["cells"]:
        where = f"{name}, the cell that starts with {cell.source.strip()[:40]!r}"
        if role == "rubric":
            continue
        if role == "solution" and cell.cell_type == "markdown":
            answer = nbformat.v4.new_markdown_cell("_Type your answer here._")
            if question in manual:  # the export cell prints these to the PDF
                answer.metadata["ufm"] = {"answer": question}
            cells.append(answer)
        elif cell.cell_type == "code":
            source = strip_solution(cell.source, where)
            if role == "solution" and source == cell.source:
                raise MarkupError(f"{where}: a solution cell with no '# SOLUTION' marks")
            cells.append(_new_cell(cell, source))
        else:
            cells.append(_new_cell(cell, cell.source))
    cells.append(nbformat.v4.new_markdown_cell(EXPORT_TEXT))
    source = f'from ufm.submit import export\n\nzip_path = export("{name}")'
    export = nbformat.v4.new_code_cell(source)
    export.metadata["tags"] = [EXPORT_TAG]
    cells.append(export)
    return _notebook(master, cells)


def instructor_version(master: dict) -> nbformat.NotebookNode:
    """The notebook teachers get: solutions and rubrics, without the markup."""
    cells = [
        _new_cell(cell, strip_markup(cell.source) if cell.cell_type == "code" else cell.source)
        for cell, _, _ in master["cells"]
    ]
    return _notebook(master, cells)


# ---------------------------------------------------------------------------------------------
# The autograder


def build_wheel(folder: Path) -> Path:
    """A wheel of ``ufm`` in ``folder``, built from a copy of the sources (so that the build
    leaves nothing in the repository)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="ufm-wheel-") as tmp:
        source = Path(tmp) / "ufm-source"
        shutil.copytree(ROOT / "ufm", source / "ufm", ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copyfile(ROOT / name, source / name)
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp, source]
        subprocess.run(command, check=True)
        (built,) = Path(tmp).glob("ufm-*.whl")
        return Path(shutil.copy(built, folder / built.name))


def requirements(wheel: Path) -> str:
    """requirements.txt of the autograder: the engine's imports pinned to the versions
    installed here, then ufm's wheel (a path relative to the autograder's folder)."""
    lines = [f"{name}=={version(name)}" for name in PINNED]
    return "\n".join([*lines, f"./files/{wheel.name}"]) + "\n"


def write_autograder(name: str, table: dict, hidden: Path, wheel: Path, target: Path) -> None:
    """The Gradescope zip of assignment ``name`` at ``target``."""
    files = {
        "setup.sh": SETUP_SH,
        "run_autograder": RUN_AUTOGRADER,
        "requirements.txt": requirements(wheel),
        "questions.json": json.dumps(table, indent=1) + "\n",
        "grader.py": (HERE / "grader.py").read_text(),
        "sandbox.py": (HERE / "sandbox.py").read_text(),
        f"hidden/{name}.py": hidden.read_text(),
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            executable = path in ("setup.sh", "run_autograder")
            info.external_attr = (0o755 if executable else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
        archive.write(wheel, f"files/{wheel.name}")


def _master_identity(nb: nbformat.NotebookNode) -> str:
    """The ``STUDENT = "..."`` of a notebook, else ``master``."""
    for cell in nb.cells:
        match = re.search(r"^STUDENT\s*=\s*(['\"])(.*?)\1", cell.source, re.M)
        if cell.cell_type == "code" and match:
            return match[2]
    return "master"


def check_solutions(table: dict, hidden: Path, notebook: Path, report: Path) -> None:
    """Grade the instructor version with the engine; it must get full marks.

    Raises
    ------
    RuntimeError
        If it does not, with the engine's feedback.
    """
    spec = importlib.util.spec_from_file_location("grader", HERE / "grader.py")
    grader = sys.modules.get("grader")
    if grader is None:
        grader = importlib.util.module_from_spec(spec)
        sys.modules["grader"] = grader
        spec.loader.exec_module(grader)
    assignment = grader.Assignment.from_json({**table, "checks": str(hidden)})
    identity = _master_identity(nbformat.read(notebook, as_version=4))
    limits = grader.Limits()
    secret = secrets.token_hex(16)
    submissions = [(identity, notebook)]
    (result,) = grader.grade_batch(assignment, submissions, report, limits, secret)
    got, possible, _ = grader.totals(result)
    if got < possible or result["status"] != "ok" or result["errors"]:
        feedback = grader.feedback_text(result) + "\n".join(result["errors"])
        raise RuntimeError(
            f"{table['name']}: the master's solutions get {got:g} of {possible:g}:\n{feedback}"
        )


def generate(
    name: str,
    out: Path,
    book: Path | None,
    wheel: Path,
    run_tests: bool = True,
    masters: Path = MASTERS,
) -> None:
    """Write the student and instructor versions and the autograder of one master; copy the
    student version into ``book``; unless ``run_tests``, skip grading the instructor version.

    Raises
    ------
    FileNotFoundError
        If there is no master notebook called ``name``, or no hidden checks for it.
    MarkupError
        If the master's markup is wrong.
    RuntimeError
        If the master's solutions do not get full marks.
    """
    master_path, hidden = masters / f"{name}.ipynb", masters.parent / "hidden" / f"{name}.py"
    if not master_path.is_file():
        known = ", ".join(master_names(masters))
        raise FileNotFoundError(f"no master notebook {master_path}; the assignments are: {known}")
    if not hidden.is_file():
        raise FileNotFoundError(f"no hidden checks {hidden} for the master {master_path.name}")
    master = read_master(master_path)
    table = question_table(master)
    result = out / name
    shutil.rmtree(result, ignore_errors=True)
    for path, nb in [
        (student_notebook(out, name), student_version(master)),
        (instructor_notebook(out, name), instructor_version(master)),
    ]:
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    write_autograder(name, table, hidden, wheel, autograder_zip(out, name))
    if book is not None:
        book.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(student_notebook(out, name), book / f"{name}.ipynb")
    if run_tests:
        report = result / "check" / "gradebook.csv"
        check_solutions(table, hidden, instructor_notebook(out, name), report)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="assignments to generate (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--book", type=Path, default=DEFAULT_BOOK, help="where the book's student versions go"
    )
    parser.add_argument(
        "--masters", type=Path, default=MASTERS, help="the masters' folder (hidden/ beside it)"
    )
    parser.add_argument(
        "--no-run-tests",
        action="store_true",
        help="skip grading the master's solutions with the engine (they must get full marks)",
    )
    args = parser.parse_args(argv)
    masters = args.masters.resolve()
    if not masters.is_dir():
        parser.error(f"--masters {args.masters}: no such folder")
    known = master_names(masters)
    unknown = [name for name in args.names if name not in known]
    if unknown:
        parser.error(f"no master called {', '.join(unknown)}; the assignments are: {known}")
    names = args.names or known
    out, book = args.out.resolve(), args.book.resolve()
    if not args.names:
        # A full run owns the book's folder: drop student versions of removed masters.
        for stale in book.glob("*.ipynb"):
            if stale.stem not in names:
                stale.unlink()
    wheel = build_wheel(out / "wheel")
    for name in names:
        try:
            generate(name, out, book, wheel, not args.no_run_tests, masters)
        except (MarkupError, FileNotFoundError, RuntimeError) as error:
            sys.exit(f"error: {error}")
        print(f"{name}: student version {book / (name + '.ipynb')}")
        print(f"{' ' * len(name)}  instructor      {instructor_notebook(out, name)}")
        print(f"{' ' * len(name)}  autograder      {autograder_zip(out, name)}")


if __name__ == "__main__":
    main()
