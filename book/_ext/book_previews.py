"""Previews of references and citations, from the book itself: no network at build or read.

Hovering over (or focusing) a link to a theorem, a definition, a figure, a section, a
function of ``ufm`` or a work of the bibliography shows what it points to: the box of the
theorem, the first lines of the section, the signature and summary of the function, the
entry of the bibliography. sphinx-tippy makes these previews when the book is built and
writes them, for each page, into a small script (``_static/tippy/<page>.<id>.js``);
tippy.js and Popper show them. The settings are in ``_config.yml`` (``tippy_*``).

This extension keeps that offline:

- tippy.js and Popper are served from the book: ``book/_static/vendor/tippy/`` holds them,
  from npm with their licences (``scripts/refresh_vendor.sh tippy``), and they are copied
  to ``_static/vendor/tippy/`` of the built HTML; the build fails when ``tippy_js`` names
  another host or a file that is not there;
- previews that sphinx-tippy would fetch while building (Wikipedia, DOI metadata, other
  Read the Docs sites) must be off: the build fails when one is on.

Previews of math are typeset by the book's MathJax when they open
(``tippy_enable_mathjax``). ``tests/test_layout.py`` hovers over references and
citations in a browser with the network blocked.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

from sphinx.application import Sphinx
from sphinx.errors import ConfigError

#: The vendored tippy.js and Popper, and where they are served from in ``_static``.
VENDOR = Path(__file__).resolve().parents[1] / "_static" / "vendor" / "tippy"
SERVED = Path("vendor") / "tippy"
#: sphinx-tippy's settings that fetch from the network while building, if on.
FETCHING = ("tippy_enable_wikitips", "tippy_enable_doitips")


def check(app: Sphinx, config) -> None:
    """Fail on settings that would fetch previews or scripts from another host."""
    for name in FETCHING:
        if getattr(config, name, False):
            raise ConfigError(f"{name} fetches previews from the network; set it to false")
    if getattr(config, "tippy_rtd_urls", None):
        raise ConfigError("tippy_rtd_urls fetches previews from the network; leave it empty")
    for script in getattr(config, "tippy_js", ()):
        parts = urlsplit(script)
        if parts.scheme or parts.netloc:
            raise ConfigError(
                f"tippy_js names {script!r}, on another host; name the copies in "
                f"_static/{SERVED.as_posix()}/ (scripts/refresh_vendor.sh tippy)"
            )
        path = Path(script)
        if path.parent != SERVED or not (VENDOR / path.name).is_file():
            raise ConfigError(
                f"tippy_js names {script!r}; expected one of the files of {VENDOR} as "
                f"{SERVED.as_posix()}/NAME (run bash scripts/refresh_vendor.sh tippy)"
            )


def copy_vendored(app: Sphinx, exception: Exception | None) -> None:
    """Copy tippy.js, Popper and their licences into ``_static/vendor/tippy``."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / SERVED
    target.mkdir(parents=True, exist_ok=True)
    for path in VENDOR.iterdir():
        if path.is_file():
            shutil.copyfile(path, target / path.name)


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx_tippy")
    app.connect("config-inited", check)
    app.connect("build-finished", copy_vendored)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
