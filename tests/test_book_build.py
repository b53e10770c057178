"""The book builds as `make book` builds it: every notebook executed, warnings as errors.

Slow (it executes every chapter); deselect with `pytest -m "not build"`. The build is shared
with the other tests of the built HTML (tests/book_build.py).
"""

import pytest
from book_build import toc_documents

pytest_plugins = ["book_build"]


@pytest.mark.build
def test_book_builds_without_warnings_and_has_a_page_per_toc_entry(built_book):
    if built_book.returncode is None:
        pytest.skip("UFM_BOOK_HTML names an existing build; this test checks a fresh one")
    assert built_book.returncode == 0, f"jupyter-book build failed:\n{built_book.log}"

    assert (built_book.html / "index.html").is_file()
    documents = list(toc_documents())
    assert {"book/intro", "book/notation", "book/api", "book/bibliography"} <= set(documents)
    missing = [doc for doc in documents if not built_book.page(doc).is_file()]
    assert not missing, f"no HTML page for {missing}"
