"""What every page carries around its content: launch buttons, colour mode, scripts once.

Launch buttons (Binder, JupyterHub, Colab, Thebe) appear only when the repository URL is set.
``_config.yml`` names the repository once, as ``repository.url``, and every launch button
opens a chapter from that repository, so:

- with the URL empty (the default: the book has no public home yet), every launch button and
  Thebe are removed, and the pages carry only the download buttons (each chapter as
  ``.ipynb``);
- with the URL set, it must be a GitHub repository ``https://github.com/OWNER/REPO`` (Colab
  opens notebooks from GitHub only), and the repository and issues buttons appear too.

A JupyterHub button appears when ``launch_buttons.jupyterhub_url`` is set as well (a hub
belongs to an institution, so the book sets none).

Two fixes keep the browser console free of errors:

- the theme's colour mode defaults to ``auto`` (without a default, a first visit logs
  "Got invalid theme mode");
- a script registered after the builder started (sphinx-thebe's inline configuration) is
  listed twice by Sphinx 7.4 (once with the file name ``None``, once with ``""``), and its
  second copy fails with "Identifier 'THEBE_JS_URL' has already been declared"; each page
  keeps one copy of every script.

Every page also loads the book's layout script and style sheet (``book/_static/layout``):
a box wider than the column scrolls sideways and says so, and a click anywhere on the title
of a solution opens it (see ``ufm-layout.js``; ``tests/test_layout.py`` checks both).
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ConfigError

#: A GitHub repository URL: ``https://github.com/OWNER/REPO`` (no trailing part).
GITHUB_REPOSITORY = re.compile(r"https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")

#: The book's layout script and style sheet, copied into ``_static`` of the built HTML.
LAYOUT = Path(__file__).resolve().parents[1] / "_static" / "layout"

#: Theme options that need the repository URL.
REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button")


def configure(app: Sphinx, config) -> None:
    """Drop the launch buttons without a repository URL; check the URL when there is one."""
    config.html_context.setdefault("default_mode", "auto")
    config.html_static_path = [*config.html_static_path, str(LAYOUT)]
    options = config.html_theme_options
    url = (options.get("repository_url") or "").strip().rstrip("/")
    if not url:
        options["launch_buttons"] = {}
        for button in REPOSITORY_BUTTONS:
            options[button] = False
        return
    if not GITHUB_REPOSITORY.fullmatch(url):
        raise ConfigError(
            f"repository.url in _config.yml is {url!r}; expected a GitHub repository "
            "https://github.com/OWNER/REPO (Binder, Colab and Thebe open chapters from it)"
        )
    options["repository_url"] = url
    for button in REPOSITORY_BUTTONS:
        options[button] = True


def each_script_once(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Remove the second copy of a script that is listed twice on the page."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, unique = set(), []
    for script in scripts:
        key = (
            str(getattr(script, "filename", script) or ""),
            tuple(sorted(getattr(script, "attributes", {}).items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", configure)
    app.add_css_file("ufm-layout.css")
    app.add_js_file("ufm-layout.js", defer="defer")
    # After every other extension has added its scripts to the page.
    app.connect("html-page-context", each_script_once, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
