"""The book builds as `make book` builds it: every notebook executed, warnings as errors.

Slow (it executes every chapter); deselect with `pytest -m "not build"`.
"""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# The jupyter-book of the interpreter running the tests, wherever its script was installed.
JUPYTER_BOOK = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()"]


def toc_documents(entry):
    """Every document the table of contents names, root first."""
    for key in ("root", "file"):
        if key in entry:
            yield entry[key]
    for key in ("parts", "chapters", "sections"):
        for child in entry.get(key, []):
            yield from toc_documents(child)


@pytest.mark.build
def test_book_builds_without_warnings_and_has_a_page_per_toc_entry(tmp_path):
    command = ["build", str(ROOT), "--path-output", str(tmp_path), "-W", "-n", "--keep-going"]
    result = subprocess.run([*JUPYTER_BOOK, *command], capture_output=True, text=True)
    assert result.returncode == 0, (
        f"jupyter-book build failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    )

    html = tmp_path / "_build" / "html"
    assert (html / "index.html").is_file()
    documents = list(toc_documents(yaml.safe_load((ROOT / "_toc.yml").read_text())))
    assert {"book/intro", "book/notation", "book/api", "book/bibliography"} <= set(documents)
    missing = [doc for doc in documents if not (html / f"{doc}.html").is_file()]
    assert not missing, f"no HTML page for {missing}"
