"""Launch buttons: none without a repository URL; well-formed links with one.

``repository.url`` in ``_config.yml`` is empty until the book has a public home, so the book
itself is built without launch buttons (checked on the shared build). A small book made from
the real ``_config.yml`` and ``book/_ext``, with a sample URL and a sample JupyterHub, is
built here to check every button's link: Binder, JupyterHub, Colab, Thebe, the repository,
its issues and the ``.ipynb`` download.
"""

import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest
import yaml
from book_build import ROOT, build, page_tags, source_of, toc_documents
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

pytest_plugins = ["book_build"]

OWNER, REPO, BRANCH = "example-org", "ufm-book", "main"
SAMPLE_URL = f"https://github.com/{OWNER}/{REPO}"
SAMPLE_HUB = "https://hub.example.edu"
#: The ``title`` of each link button of sphinx-book-theme.
TITLES = {
    "binder": "Launch on Binder",
    "jupyterhub": "Launch on JupyterHub",
    "colab": "Launch on Colab",
    "repository": "Source repository",
    "issues": "Open an issue",
    "download": "Download source file",
}


def buttons(page: Path) -> dict:
    """The page's header buttons: link buttons by name (see ``TITLES``) and ``thebe``."""
    tags, _ = page_tags(page)
    found = {}
    for tag, attributes in tags:
        for name, title in TITLES.items():
            if tag == "a" and attributes.get("title") == title:
                found[name] = attributes["href"]
        if tag == "button" and "initThebeSBT" in attributes.get("onclick", ""):
            found["thebe"] = attributes["onclick"]
    return found


def sample_book(folder: Path, url: str, hub: str = "") -> Path:
    """A book with the real configuration and extensions, one page and one chapter."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["repository"]["url"] = url
    config["launch_buttons"]["jupyterhub_url"] = hub
    book = folder / "book"
    shutil.copytree(ROOT / "book" / "_ext", book / "_ext")
    for static in ("vendor", "layout"):  # what the book's extensions put on every page
        shutil.copytree(ROOT / "book" / "_static" / static, book / "_static" / static)
    shutil.copy(ROOT / "book" / "references.bib", book / "references.bib")
    (folder / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    (folder / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nchapters:\n  - file: book/sample\n"
    )
    (book / "index.md").write_text("# A sample book\n\nIt has one chapter.\n")
    notebook = new_notebook(
        cells=[new_markdown_cell("# A sample chapter\n\nIt squares $x$."), new_code_cell("3**2")],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(notebook, book / "sample.ipynb")
    return folder


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory):
    folder = sample_book(tmp_path_factory.mktemp("sample-book"), SAMPLE_URL, SAMPLE_HUB)
    result = build(folder, folder)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return folder / "_build" / "html"


def chapters():
    return [doc for doc in toc_documents() if source_of(doc).suffix == ".ipynb"]


@pytest.mark.build
def test_without_a_repository_url_no_page_has_launch_or_repository_buttons(built_book):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    if config["repository"]["url"]:
        pytest.skip("repository.url is set in _config.yml")
    for page in built_book.pages():
        found = buttons(page)
        assert set(found) <= {"download"}, f"{page.relative_to(built_book.html)}: {found}"
        assert "dropdown-launch-buttons" not in page.read_text(encoding="utf-8")


@pytest.mark.build
def test_each_chapter_can_be_downloaded_as_the_notebook_it_was_built_from(built_book):
    if not chapters():
        pytest.skip("no chapter notebook in _toc.yml yet")
    for document in chapters():
        page = built_book.page(document)
        link = buttons(page).get("download")
        assert link and link.endswith(f"_sources/{document}.ipynb"), f"{document}: {link}"
        downloaded = nbformat.read(page.parent / link, as_version=4)
        source = nbformat.read(source_of(document), as_version=4)
        assert [c.source for c in downloaded.cells] == [c.source for c in source.cells]


@pytest.mark.build
def test_binder_link_opens_the_chapter_in_jupyterlab_from_the_repository(sample_build):
    url = urlsplit(buttons(sample_build / "book" / "sample.html")["binder"])
    assert (url.scheme, url.netloc) == ("https", "mybinder.org")
    assert url.path == f"/v2/gh/{OWNER}/{REPO}/{BRANCH}"
    assert parse_qs(url.query) == {"urlpath": ["lab/tree/book/sample.ipynb"]}


@pytest.mark.build
def test_jupyterhub_link_pulls_the_repository_and_opens_the_chapter(sample_build):
    url = urlsplit(buttons(sample_build / "book" / "sample.html")["jupyterhub"])
    assert f"{url.scheme}://{url.netloc}" == SAMPLE_HUB
    assert url.path == "/hub/user-redirect/git-pull"
    assert parse_qs(url.query) == {
        "repo": [SAMPLE_URL],
        "urlpath": [f"lab/tree/{REPO}/book/sample.ipynb"],
        "branch": [BRANCH],
    }


@pytest.mark.build
def test_colab_link_opens_the_chapter_from_github(sample_build):
    url = urlsplit(buttons(sample_build / "book" / "sample.html")["colab"])
    assert (url.scheme, url.netloc, url.query) == ("https", "colab.research.google.com", "")
    assert url.path == f"/github/{OWNER}/{REPO}/blob/{BRANCH}/book/sample.ipynb"


@pytest.mark.build
def test_thebe_button_runs_the_chapter_on_binder_from_the_repository(sample_build):
    page = sample_build / "book" / "sample.html"
    assert buttons(page)["thebe"] == "initThebeSBT()"
    text = page.read_text(encoding="utf-8")
    assert f'repo: "{OWNER}/{REPO}"' in text and f'ref: "{BRANCH}"' in text


@pytest.mark.build
def test_repository_issues_and_download_buttons_point_at_the_repository_and_the_notebook(
    sample_build,
):
    found = buttons(sample_build / "book" / "sample.html")
    assert found["repository"] == SAMPLE_URL
    assert found["issues"].startswith(f"{SAMPLE_URL}/issues/new?")
    download = (sample_build / "book" / found["download"]).resolve()
    assert download == (sample_build / "_sources" / "book" / "sample.ipynb").resolve()
    assert nbformat.read(download, as_version=4).cells[1].source == "3**2"


@pytest.mark.build
def test_every_launch_link_is_https_and_names_a_file_of_the_book(sample_build):
    found = buttons(sample_build / "book" / "sample.html")
    assert {"binder", "jupyterhub", "colab", "thebe", "repository", "issues", "download"} <= set(
        found
    )
    for name in ("binder", "jupyterhub", "colab"):
        url = found[name]
        assert urlsplit(url).scheme == "https", url
        assert (
            "book/sample.ipynb" in url
            and (sample_build.parents[1] / "book" / "sample.ipynb").is_file()
        )


@pytest.mark.build
def test_a_repository_outside_github_stops_the_build_with_a_message(tmp_path):
    folder = sample_book(tmp_path, "https://example.org/ufm-book")
    result = build(folder, folder)
    assert result.returncode != 0
    assert (
        "expected a GitHub repository https://github.com/OWNER/REPO"
        in result.stdout + result.stderr
    )


def test_binder_installs_the_package_after_the_environment():
    post_build = ROOT / "postBuild"
    assert (ROOT / "environment.yml").is_file()
    assert post_build.is_file() and post_build.stat().st_mode & 0o111, "postBuild is executable"
    assert "pip install --no-deps -e ." in post_build.read_text()
