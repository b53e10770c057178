"""The book, built once per test session, for every test that reads its HTML.

A test module that needs it declares ``pytest_plugins = ["book_build"]`` and asks for the
``built_book`` fixture; however many modules do, the book is built once, as ``make book``
builds it (every notebook executed, warnings as errors), into a temporary folder (shared by
the pytest-xdist workers of ``make test``).

To test a build you already have (say, while working on the browser tests), point
``UFM_BOOK_HTML`` at its HTML folder: ``UFM_BOOK_HTML=_build/html pytest -m build``. The
test of the build itself is then skipped.

Also here: reading a built page's tags (:func:`page_tags`), the documents of the table of
contents (:func:`toc_documents`) and their sources (:func:`source_of`).

PYTEST_DONT_REWRITE: the test modules import this module before pytest registers it as a
plugin, and it has no assertions to rewrite.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# The jupyter-book of the interpreter running the tests, wherever its script was installed.
JUPYTER_BOOK = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()"]


@dataclass(frozen=True)
class BuiltBook:
    """A built book: its HTML folder and, when this session built it, how the build went.

    Attributes
    ----------
    html : Path
        The folder with ``index.html``.
    returncode : int or None
        Exit status of ``jupyter-book build``; ``None`` for a build given by ``UFM_BOOK_HTML``.
    log : str
        The end of the build's standard output and error.
    """

    html: Path
    returncode: int | None
    log: str

    def page(self, document: str) -> Path:
        """The HTML page of a document of the table of contents (``"book/intro"``)."""
        return self.html / f"{document}.html"

    def pages(self) -> list[Path]:
        """Every HTML page of the build (contents, index, search), not the static files."""
        skip = {"_static", "_sources", "_images"}
        return sorted(
            path
            for path in self.html.rglob("*.html")
            if not skip & set(path.relative_to(self.html).parts)
        )


def build(source: Path, output: Path, *options: str) -> subprocess.CompletedProcess:
    """Run ``jupyter-book build`` on ``source`` into ``output`` (the HTML lands in
    ``output/_build/html``); warnings are errors."""
    command = ["build", str(source), "--path-output", str(output), "-W", "-n", "--keep-going"]
    return subprocess.run([*JUPYTER_BOOK, *command, *options], capture_output=True, text=True)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> BuiltBook:
    given = os.environ.get("UFM_BOOK_HTML")
    if given:
        html = Path(given).resolve()
        if not (html / "index.html").is_file():
            pytest.fail(f"UFM_BOOK_HTML={given} has no index.html")
        return BuiltBook(html, None, "")
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # make test runs pytest-xdist workers: the first to need the book builds it in
        # their shared temporary folder; the others wait for it on a lock.
        output = tmp_path_factory.getbasetemp().parent / "built-book"
        with open(output.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            done = output / "build.json"
            if not done.is_file():
                output.mkdir(exist_ok=True)
                result = build(ROOT, output)
                log = f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
                done.write_text(json.dumps({"returncode": result.returncode, "log": log}))
            record = json.loads(done.read_text())
        returncode, log = record["returncode"], record["log"]
    else:
        output = tmp_path_factory.mktemp("book")
        result = build(ROOT, output)
        returncode, log = result.returncode, f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    html = output / "_build" / "html"
    if not (html / "index.html").is_file():
        pytest.fail(f"jupyter-book build wrote no HTML:\n{log}")
    return BuiltBook(html, returncode, log)


def toc_documents(entry=None):
    """Every document the table of contents names, root first (``"book/intro"``, ...)."""
    if entry is None:
        entry = yaml.safe_load((ROOT / "_toc.yml").read_text())
    for key in ("root", "file"):
        if key in entry:
            yield entry[key]
    for key in ("parts", "chapters", "sections"):
        for child in entry.get(key, []):
            yield from toc_documents(child)


def source_of(document: str, root: Path = ROOT) -> Path:
    """The source file of a document: its ``.ipynb`` or ``.md``."""
    for suffix in (".ipynb", ".md"):
        path = root / f"{document}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no .ipynb or .md source for {document} under {root}")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if "style" in attributes:
            self.styles.append(attributes["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def page_tags(path: Path) -> tuple[list[tuple[str, dict[str, str]]], list[str]]:
    """The start tags of a page, as ``(name, attributes)``, and its CSS (``<style>`` blocks
    and ``style`` attributes)."""
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tags, parser.styles
