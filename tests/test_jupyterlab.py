"""The chapters in JupyterLab, as a reader of the notebooks sees them (real browser).

JupyterLab with jupyterlab-myst (the ``lab`` and ``test`` extras, ``make lab``) serves a
copy of ``book/``; each chapter is opened, run top to bottom from the Run menu, and read:
the Markdown (rendered by jupyterlab-myst, math by KaTeX) must show no raw MyST markup, no
TeX error (the book's macros come from the chapter's front-matter cell), every number of
the text evaluated, and a live explorer that redraws when a control moves.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import browser
import pytest

pytest_plugins = ["browser"]

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["observed", "model", "results", "discussion"]
TOKEN = "ufm-test"


def _lab_missing():
    for module in ("jupyterlab", "jupyterlab_myst"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (it is in the test extra; make lab installs it)"
    return browser.MISSING


MISSING = _lab_missing()
pytestmark = pytest.mark.skipif(
    MISSING is not None and not browser.REQUIRED, reason=f"JupyterLab tests skipped: {MISSING}"
)

#: MyST roles and directives as they read when nothing renders them.
RAW = re.compile(r"\{(?:glue|eval|prf:\w+|cite|doc|numref|ref|py:\w+|solution|exercise)\}`?")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The base URL of a JupyterLab serving a copy of the book (its own settings, no news)."""
    if MISSING:
        pytest.fail(f"UFM_REQUIRE_BROWSER is set, but {MISSING}")
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(
        ROOT / "book", root / "book", ignore=shutil.ignore_patterns("assignments", "_build")
    )
    shutil.copytree(ROOT / "benchmarks", root / "benchmarks")
    home = tmp_path_factory.mktemp("lab-home")
    # Every cell in the page (no windowing), so that the whole notebook can be read.
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }
    port = _free_port()
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        f"--port={port}", f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    log = open(home / "lab.log", "w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2) as r:
                json.load(r)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail(f"JupyterLab did not start: {(home / 'lab.log').read_text()[-2000:]}")
    yield base
    server.terminate()  # its kernels exit when they see it gone (ipykernel's parent poller)
    try:
        server.wait(timeout=5)
    except subprocess.TimeoutExpired:  # still shutting its kernels down one by one
        server.kill()
        server.wait()
    log.close()


def _run_all(page, timeout_s=240):
    """Run every cell from the Run menu; wait until each code cell has its number."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        page.wait_for_timeout(1000)
        prompts = page.evaluate(
            """() => Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt'))
                .map(e => e.textContent.trim())"""
        )
        if prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
            return
    raise AssertionError(f"the notebook did not finish within {timeout_s} s: {prompts}")


@pytest.mark.slow
@pytest.mark.parametrize("name", CHAPTERS)
def test_a_chapter_in_jupyterlab_reads_like_the_page_and_its_explorer_is_live(
    lab, playwright, tmp_path, name
):
    context = browser.launch_context(playwright, tmp_path / "profile")
    errors = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{lab}/lab/workspaces/t{name}/tree/book/{name}.ipynb?reset&token={TOKEN}")
        page.wait_for_selector(".jp-MarkdownCell .myst", timeout=90_000)
        _run_all(page)
        page.wait_for_timeout(2000)  # the last Markdown cells re-render with their numbers
        text = page.evaluate(
            """() => Array.from(document.querySelectorAll('.jp-MarkdownCell .myst'))
                .map(e => e.innerText).join('\\n')"""
        )
        assert not RAW.findall(text), RAW.findall(text)[:5]
        assert "prose[" not in text, "a number of the text was not evaluated"
        # jupyterlab-myst typesets with KaTeX, which marks what it cannot read .katex-error.
        assert page.locator(".katex-error").count() == 0, "a TeX error (an undefined macro?)"
        assert page.locator(".jp-MarkdownCell .katex").count() > 20

        # A live explorer (in the chapters that have one): moving its first slider redraws it.
        if "_explorer(" not in (ROOT / "book" / f"{name}.ipynb").read_text():
            assert not errors, errors
            return
        slider = page.locator(".jp-OutputArea-output .widget-slider").first
        slider.scroll_into_view_if_needed()
        explorer = slider.locator("xpath=ancestor::div[contains(@class, 'jp-OutputArea-output')]")
        before = explorer.inner_html()
        slider.locator(".noUi-handle").focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        for _ in range(60):
            page.wait_for_timeout(250)
            if explorer.inner_html() != before:
                break
        assert explorer.inner_html() != before, "the explorer did not respond to its slider"
        assert not errors, errors
    finally:
        context.close()
