"""Serve the book's JavaScript from the book itself, so that it reads with no network.

The built HTML loads no script, style sheet or font from another host:

- MathJax 3 comes from the PyPI package ``sphinx-mathjax-offline`` (an extension listed in
  ``sphinx.extra_extensions`` of ``_config.yml``), which copies MathJax into
  ``_static/mathjax`` and sets ``mathjax_path``.
- The explorers run in the page from ``_static/ufm-explorers.js``: the modules of
  ``ufm/js`` bundled into one classic script by :func:`ufm.webview.bundle` (a classic
  script also runs when a page is opened from disk). It is added, deferred, to every page
  that has an explorer (an element with ``data-ufm-explorer``).

The pages need no ipywidgets manager: the book shows each explorer in its static form
(``nb_mime_priority_overrides`` in ``_config.yml`` never renders a widget view), so the
saved widget state that MyST-NB would write into a page is dropped too.

A build fails with a clear message when ``mathjax_path`` points to another host, when a
page still has a widget view, or when the explorers' script cannot be bundled.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from sphinx.application import Sphinx
from sphinx.errors import ConfigError, ExtensionError

#: A saved widget view in a page's body (no page may have one: nothing would render it).
WIDGET_VIEW_MIMETYPE = "application/vnd.jupyter.widget-view+json"
#: The saved widget state MyST-NB writes into a page with widgets.
WIDGET_STATE_MIMETYPE = "application/vnd.jupyter.widget-state+json"

#: The explorers' script, as a path inside ``_static`` of the built HTML.
EXPLORERS_SCRIPT = "ufm-explorers.js"
#: Sphinx orders scripts by this number (default 500; MathJax has 500): larger runs later.
EXPLORERS_PRIORITY = 900


def _is_remote(uri: str) -> bool:
    """Whether ``uri`` names another host (``https://…``, ``//host/…``)."""
    parts = urlsplit(uri)
    return bool(parts.scheme or parts.netloc)


def configure(app: Sphinx, config) -> None:
    """Load no widget manager (MyST-NB's default is on a CDN) and check that MathJax is
    local."""
    config.nb_ipywidgets_js = {}
    if _is_remote(config.mathjax_path):
        raise ConfigError(
            f"mathjax_path is {config.mathjax_path!r}, on another host; add the extension "
            "sphinx-mathjax-offline to sphinx.extra_extensions in _config.yml"
        )


def add_explorer_script(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Load the explorers' script on pages with explorers, and drop saved widget state."""
    body = context.get("body", "")
    if WIDGET_VIEW_MIMETYPE in body:
        raise ExtensionError(
            f"book_offline: {pagename} shows an ipywidgets view, which no script renders on "
            "the static page; give the output a text/html form (see ufm.webview)"
        )
    if "script_files" in context:
        # In place: Sphinx adds this page's scripts (add_js_file below) to the same list.
        context["script_files"][:] = [
            script
            for script in context["script_files"]
            if getattr(script, "attributes", {}).get("type") != WIDGET_STATE_MIMETYPE
        ]
    if "data-ufm-explorer" in body:
        app.add_js_file(EXPLORERS_SCRIPT, priority=EXPLORERS_PRIORITY, defer="defer")


def write_explorer_script(app: Sphinx, exception: Exception | None) -> None:
    """Write ``_static/ufm-explorers.js``: the modules of ``ufm/js``, bundled."""
    if exception is not None or app.builder.format != "html":
        return
    from ufm import webview

    try:
        script = webview.bundle()
    except ValueError as error:
        raise ExtensionError(f"book_offline: cannot bundle ufm/js: {error}") from error
    target = Path(app.outdir) / "_static" / EXPLORERS_SCRIPT
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(script, encoding="utf-8")


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", configure)
    app.connect("html-page-context", add_explorer_script)
    app.connect("build-finished", write_explorer_script)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
