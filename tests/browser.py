"""The real browser of the tests: Debian's Chromium driven by Playwright, network blocked.

A test module declares ``pytest_plugins = ["browser"]`` and asks for ``serve`` (a local
HTTP server of a folder), ``browser`` (a Chromium context whose every request to another
address than the local server is aborted and recorded in ``network``) and opens pages with
:class:`Visit`, or with the lighter :class:`Load`. :data:`MISSING` / :data:`REQUIRED` are
shared too: a module marks itself with ``pytestmark = browser.needs_browser``, so it is
skipped, with the reason in the test summary, when Playwright or Chromium is missing, except
where ``UFM_REQUIRE_BROWSER`` is set (as .ci/run does): there it fails.

PYTEST_DONT_REWRITE: the test modules import this module before pytest registers it as a
plugin.
"""

import functools
import http.server
import os
import re
import threading
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("UFM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces: no host name resolves except the local server's address.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def _browser_missing():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install playwright; it is in the test extra)"
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


MISSING = _browser_missing()
#: Set by .ci/run: there a missing browser fails the tests instead of skipping them.
REQUIRED = bool(os.environ.get("UFM_REQUIRE_BROWSER"))
needs_browser = pytest.mark.skipif(
    MISSING is not None and not REQUIRED, reason=f"browser tests skipped: {MISSING}"
)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def serve():
    """``serve(folder)`` gives the base URL of a local server of that folder (one server
    per folder for the session: each takes half a second to shut down)."""
    servers = {}

    def start(folder: Path) -> str:
        folder = Path(folder).resolve()
        if folder not in servers:
            handler = functools.partial(_QuietHandler, directory=str(folder))
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers[folder] = server
        return f"http://127.0.0.1:{servers[folder].server_port}/"

    yield start
    for server in servers.values():
        server.shutdown()
        server.server_close()


class Network:
    """Lets through requests to the local server (and ``data:``/``blob:``), aborts and
    records every other."""

    def __init__(self):
        self.blocked = []

    def route(self, route):
        url = route.request.url
        if re.match(r"(https?://127\.0\.0\.1:\d+/|data:|blob:|about:)", url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()


@pytest.fixture(scope="session")
def network():
    return Network()


@pytest.fixture(scope="session")
def playwright():
    """The one Playwright of the session (its sync API cannot run twice at once); modules
    that need a browser of their own launch it from here."""
    if MISSING:
        pytest.fail(f"UFM_REQUIRE_BROWSER is set, but {MISSING}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


def launch_context(playwright, folder, **options):
    """A fresh Chromium profile in ``folder`` (the book's viewport unless ``options`` say
    otherwise)."""
    return playwright.chromium.launch_persistent_context(
        str(folder),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        **{"viewport": {"width": 1280, "height": 900}, "service_workers": "block", **options},
    )


@pytest.fixture(scope="session")
def browser(playwright, tmp_path_factory, network):
    context = launch_context(playwright, tmp_path_factory.mktemp("chromium-profile"))
    context.route("**/*", network.route)
    yield context
    context.close()


def settle(page, timeout_ms=5_000):
    """Wait for the network to fall idle, at most ``timeout_ms``. Everything a page of the
    book loads is local and has loaded by "load"; Chromium sometimes never reports the
    network idle on a busy page (its own request for a favicon, which the book does not
    have, can stay open), so the wait is bounded and its timeout is not an error."""
    try:
        page.wait_for_load_state("networkidle", timeout=timeout_ms)
    except Exception as error:
        if "Timeout" not in type(error).__name__:
            raise


class Visit:
    """A page opened (in a theme, unless ``theme`` is None) once everything it needs is in
    place: loaded, math typeset, every explorer drawn (or saying why it cannot), the layout
    script run and the fonts loaded; with what went wrong meanwhile (``errors``)."""

    def __init__(self, browser, network, url, theme="light"):
        self.network = network
        self.errors = []
        network.blocked.clear()
        self.page = page = browser.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught exception: {error}"))
        page.on("response", self._response)
        if theme is not None:
            page.add_init_script(
                f"try {{ localStorage.setItem('mode', '{theme}'); "
                f"localStorage.setItem('theme', '{theme}'); }} catch (error) {{}}"
            )
        page.goto(url, wait_until="load")
        page.evaluate(READY)
        page.evaluate("() => document.fonts.ready.then(() => true)")

    def _console(self, message):
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")

    def _response(self, response):
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def close(self):
        self.page.close()


def Load(context, network, url):  # noqa: N802 (used like the class it returns)
    """A page opened as :class:`Visit` opens it, in the browser's own theme."""
    return Visit(context, network, url, theme=None)


READY = """async () => {
    const mathjax = window.MathJax;
    if (mathjax && mathjax.startup && mathjax.startup.promise) await mathjax.startup.promise;
    await Promise.all(Array.from(document.querySelectorAll("[data-ufm-explorer]"))
        .map(e => e.ufm ? e.ufm.ready : null));
    for (let i = 0; i < 3; i++) await new Promise(r => requestAnimationFrame(r));
    await new Promise(r => setTimeout(r, 50));
    for (let i = 0; i < 2; i++) await new Promise(r => requestAnimationFrame(r));
}"""
