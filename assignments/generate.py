"""Generate the student versions and the autograders of the graded assignments.

Each master notebook in ``assignments/masters/`` (solutions and hidden tests included) goes
through ``otter assign``, which writes

- ``<out>/<name>/student/<name>.ipynb``: the student version, without solutions and without
  hidden tests (its public tests travel in the notebook's metadata, for ``grader.check``);
- ``<out>/<name>/autograder/<name>-autograder.zip``: the autograder, with every test;
- ``<out>/<name>/autograder/<name>.ipynb``: the master with the otter markup removed.

The student version is then copied to ``<book>/<name>.ipynb`` for the book, which shows it
without executing it. Grade a submission locally, without Docker::

    otter run -a _build/assignments/<name>/autograder/<name>-autograder.zip submission.ipynb

Usage: ``python assignments/generate.py [--out DIR] [--book DIR] [--no-run-tests] [NAME ...]``
(from the repository root: ``make assignments``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MASTERS = ROOT / "assignments" / "masters"
DEFAULT_OUT = ROOT / "_build" / "assignments"
DEFAULT_BOOK = ROOT / "book" / "assignments"


def master_names() -> list[str]:
    """The names of the assignments: the stems of the master notebooks, sorted."""
    return sorted(path.stem for path in MASTERS.glob("*.ipynb"))


def autograder_zip(out: Path, name: str) -> Path:
    """Where :func:`generate` puts the autograder of assignment ``name``."""
    return out / name / "autograder" / f"{name}-autograder.zip"


def student_notebook(out: Path, name: str) -> Path:
    """Where :func:`generate` puts the student version of assignment ``name``."""
    return out / name / "student" / f"{name}.ipynb"


def generate(name: str, out: Path, book: Path | None, run_tests: bool = True) -> None:
    """Run ``otter assign`` on one master; copy its student version into ``book``.

    Raises
    ------
    FileNotFoundError
        If there is no master notebook called ``name``.
    subprocess.CalledProcessError
        If ``otter assign`` fails (for example, a test fails on the master's solutions).
    """
    master = MASTERS / f"{name}.ipynb"
    if not master.is_file():
        known = ", ".join(master_names())
        raise FileNotFoundError(f"no master notebook {master}; the assignments are: {known}")
    result = out / name
    shutil.rmtree(result, ignore_errors=True)
    options = ["--no-pdfs"] + ([] if run_tests else ["--no-run-tests"])
    command = [sys.executable, "-m", "otter", "assign", *options, str(master), str(result)]
    subprocess.run(command, check=True, cwd=MASTERS)
    # otter names the zip with a timestamp; give it a stable name.
    (stamped,) = (result / "autograder").glob(f"{name}-autograder_*.zip")
    stamped.rename(autograder_zip(out, name))
    if book is not None:
        book.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(student_notebook(out, name), book / f"{name}.ipynb")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="assignments to generate (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--book", type=Path, default=DEFAULT_BOOK, help="where the book's student versions go"
    )
    parser.add_argument(
        "--no-run-tests",
        action="store_true",
        help="skip otter's check that the tests pass on the master's solutions",
    )
    args = parser.parse_args(argv)
    names = args.names or master_names()
    out, book = args.out.resolve(), args.book.resolve()
    if not args.names:
        # A full run owns the book's folder: drop student versions of removed masters.
        for stale in book.glob("*.ipynb"):
            if stale.stem not in names:
                stale.unlink()
    for name in names:
        generate(name, out, book, run_tests=not args.no_run_tests)
        print(f"{name}: student version {book / (name + '.ipynb')}")
        print(f"{' ' * len(name)}  autograder      {autograder_zip(out, name)}")


if __name__ == "__main__":
    main()
