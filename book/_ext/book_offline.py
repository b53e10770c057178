"""Serve the book's JavaScript from the book itself, so that it reads with no network.

The built HTML loads no script, style sheet or font from another host:

- MathJax 3 comes from the PyPI package ``sphinx-mathjax-offline`` (an extension listed in
  ``sphinx.extra_extensions`` of ``_config.yml``), which copies MathJax into
  ``_static/mathjax`` and sets ``mathjax_path``.
- RequireJS and the ipywidgets HTML manager (``@jupyter-widgets/html-manager`` 1.x, for
  ipywidgets 8), which render the saved widget views of a page, are committed under
  ``book/_static/vendor`` (see ``scripts/refresh_vendor.sh``). This extension copies
  ``book/_static`` into ``_static`` of the built HTML, unpacking the gzipped files, and adds
  the scripts to every page that has saved widget views (in place of MyST-NB's
  ``nb_ipywidgets_js``, whose defaults are on a CDN), after ``widget-typeset.js``, which lets
  the widgets typeset their labels with MathJax 3 (they call MathJax 2's API).

Load order matters. RequireJS defines a global ``define``; a UMD script that runs after it
registers itself as an anonymous AMD module instead of a global, and RequireJS then reports
"Mismatched anonymous define() module". MathJax is loaded with ``defer``, so it runs after
the whole page is parsed; the widget scripts are therefore deferred too and placed after
MathJax (a higher priority number), so that they run last, in order, after every UMD script
of the page (the sphinx-copybutton's clipboard.js is one).

A build fails with a clear message when ``mathjax_path`` points to another host, or when a
widget script is missing from ``book/_static``.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from sphinx.application import Sphinx
from sphinx.errors import ConfigError, ExtensionError

#: The book's own static files (copied into ``_static`` of the HTML).
STATIC = Path(__file__).resolve().parent.parent / "_static"

#: The widget scripts, as paths inside ``_static`` of the built HTML, in loading order.
WIDGET_SCRIPTS = ("widget-typeset.js", "vendor/require.js", "vendor/html-manager/embed-amd.js")

#: A saved widget view in a page's body (the manager renders each one).
WIDGET_VIEW_MIMETYPE = "application/vnd.jupyter.widget-view+json"

#: Sphinx orders scripts by this number (default 500; MathJax has 500): larger runs later.
WIDGET_SCRIPT_PRIORITY = 900


def _is_remote(uri: str) -> bool:
    """Whether ``uri`` names another host (``https://…``, ``//host/…``)."""
    parts = urlsplit(uri)
    return bool(parts.scheme or parts.netloc)


def _served_name(path: Path) -> str:
    """The name a vendored file has in the built HTML (``x.js.gz`` is served as ``x.js``)."""
    return path.name[: -len(".gz")] if path.suffix == ".gz" else path.name


def configure(app: Sphinx, config) -> None:
    """Take the widget scripts over from MyST-NB and check that MathJax is local."""
    missing = [
        name
        for name in WIDGET_SCRIPTS
        if not any((STATIC / candidate).is_file() for candidate in (name, f"{name}.gz"))
    ]
    if missing:
        raise ExtensionError(
            f"book_offline: {missing} missing under {STATIC}; run scripts/refresh_vendor.sh"
        )
    # MyST-NB still writes the saved widget state into each page that has widgets.
    config.nb_ipywidgets_js = {}
    if _is_remote(config.mathjax_path):
        raise ConfigError(
            f"mathjax_path is {config.mathjax_path!r}, on another host; add the extension "
            "sphinx-mathjax-offline to sphinx.extra_extensions in _config.yml"
        )


def add_widget_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Load RequireJS and the widget manager, deferred and last, on pages with widget views."""
    if WIDGET_VIEW_MIMETYPE in context.get("body", ""):
        for name in WIDGET_SCRIPTS:
            app.add_js_file(name, priority=WIDGET_SCRIPT_PRIORITY, defer="defer")


def copy_static(app: Sphinx, exception: Exception | None) -> None:
    """Copy ``book/_static`` into ``_static`` of the HTML, unpacking ``.gz`` files."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static"
    for source in sorted(STATIC.rglob("*")):
        if not source.is_file():
            continue
        destination = target / source.relative_to(STATIC).parent / _served_name(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".gz":
            with gzip.open(source, "rb") as packed, destination.open("wb") as out:
                shutil.copyfileobj(packed, out)
        else:
            shutil.copyfile(source, destination)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", configure)
    app.connect("html-page-context", add_widget_scripts)
    app.connect("build-finished", copy_static)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
