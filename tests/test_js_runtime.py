"""ufm/js/runtime.js and ufm/js/plot.js in a real browser, with the network blocked.

tests/js/runtime_page.html registers test explorers (a sine wave on an int and a float
slider; log, select and choice controls with three panels, one of which throws and one
that returns a NaN limit; a slow one) and mounts them. Headless Chromium (Debian's
``chromium``, ``/usr/bin/chromium``; ``UFM_CHROMIUM`` names another) driven by Playwright
loads it from a local server of the repository on 127.0.0.1; any other request is aborted
and fails the test, as does any console error or uncaught exception.

Checked: the controls follow the spec (attributes, ranges, labels, readouts); keyboard and
programmatic changes redraw the panels, the summary and the alternative text; errors show
"Cannot show this setting: …" and the explorer recovers; the URL fragment round-trips
through a reload and invalid values in it are ignored; fast explorers follow a dragged
slider and slow ones update on release with a painted "computing…" state; nothing
overflows at 390 px and panels sit side by side in the book's column; the dark theme
changes the colours of text and axes; data that cannot be drawn never reaches the SVG.
(How fast a redraw is, is measured by ``make bench``, not asserted here.)

Skipped, with the reason, when Playwright or Chromium is missing, except where
``UFM_REQUIRE_BROWSER`` is set (as .ci/run does): there it fails.
"""

import json
import re
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, Network, needs_browser

pytest_plugins = ["browser"]
pytestmark = needs_browser

ROOT = Path(__file__).resolve().parents[1]
PAGE = "tests/js/runtime_page.html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
WAVE = '[data-ufm-explorer="test.wave"]'
LOG = '[data-ufm-explorer="test.log"]'
SLOW = '[data-ufm-explorer="test.slow"]'


@pytest.fixture(scope="module")
def base_url(serve):
    return serve(ROOT)


@pytest.fixture(scope="module")
def browser(playwright):
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


class Visit:
    """The test page in a fresh context, with what went wrong while it was open."""

    def __init__(self, browser, base_url, width=1280, fragment="", theme="light"):
        self.errors = []
        self.network = Network()
        self.context = browser.new_context(
            viewport={"width": width, "height": 900}, service_workers="block"
        )
        self.context.route("**/*", self.network.route)
        self.page = page = self.context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught exception: {error}"))
        page.on("response", self._response)
        self.url = base_url + PAGE
        page.goto(self.url + fragment, wait_until="load")
        if theme == "dark":
            page.evaluate("() => { document.documentElement.dataset.theme = 'dark'; }")
        self.ready()

    def ready(self):
        assert self.page.evaluate("() => window.ufmReady") is True

    def _console(self, message):
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")

    def _response(self, response):
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def js(self, script, arg=None):
        return self.page.evaluate(script, arg)

    def summary(self, explorer):
        return self.page.locator(f"{explorer} [data-ufm-summary]").text_content()

    def wait_summary(self, explorer, text):
        self.page.wait_for_function(
            "([sel, text]) => document.querySelector(sel + ' [data-ufm-summary]')"
            ".textContent.includes(text)",
            arg=[explorer, text],
            timeout=5_000,
        )

    def values(self, explorer):
        return self.js("sel => document.querySelector(sel).ufm.values()", explorer)

    def set(self, explorer, values):
        return self.js("([sel, v]) => document.querySelector(sel).ufm.set(v)", [explorer, values])

    def close(self):
        problems = self.errors + [f"request to another host: {url}" for url in self.network.blocked]
        self.context.close()
        assert not problems, "\n".join(problems)


@pytest.fixture
def visit(browser, base_url):
    opened = []

    def open_page(**options):
        page = Visit(browser, base_url, **options)
        opened.append(page)
        return page

    yield open_page
    for page in opened:
        page.close()


CONTROLS = """() => Array.from(document.querySelectorAll('[data-ufm-control]')).map(e => ({
    explorer: e.closest('[data-ufm-explorer]').dataset.ufmExplorer,
    name: e.dataset.ufmControl,
    tag: e.tagName.toLowerCase(),
    type: e.type,
    min: e.getAttribute('min'), max: e.getAttribute('max'), step: e.getAttribute('step'),
    position: e.value,
    value: JSON.parse(e.dataset.ufmValue),
    valuetext: e.getAttribute('aria-valuetext'),
    label: (document.querySelector(`label[for="${e.id}"]`) || {}).textContent,
    readout: (e.closest('.ufm-control').querySelector('.ufm-readout') || {}).textContent,
    options: e.tagName === 'SELECT' ? Array.from(e.options).map(o => o.textContent) : null,
}))"""


def test_controls_follow_the_spec_and_replace_the_image(visit):
    v = visit()
    controls = {(c["explorer"], c["name"]): c for c in v.js(CONTROLS)}
    assert list(controls) == [
        ("test.wave", "A"),
        ("test.wave", "f"),
        ("test.log", "eps"),
        ("test.log", "loss"),
        ("test.log", "lam"),
        ("test.slow", "n"),
    ]
    a = controls["test.wave", "A"]
    assert [a[k] for k in ("type", "min", "max", "step", "position")] == [
        "range",
        "1",
        "5",
        "1",
        "2",
    ]
    assert (a["value"], a["valuetext"], a["readout"], a["label"]) == (2, "2", "2", "amplitude A")
    f = controls["test.wave", "f"]
    assert [f[k] for k in ("min", "max", "step", "value", "readout")] == [
        "0.5",
        "3",
        "0.25",
        1,
        "1.00",
    ]
    eps = controls["test.log", "eps"]
    assert (eps["min"], eps["max"], eps["step"], eps["position"]) == ("-6", "0", "0.25", "-2")
    assert (eps["value"], eps["readout"], eps["label"]) == (0.01, "0.01", "start size ε")
    loss = controls["test.log", "loss"]
    assert loss["tag"] == "select" and loss["value"] == "squared"
    assert loss["options"] == ["squared loss", "cross-entropy", "broken"]
    lam = controls["test.log", "lam"]
    assert (lam["min"], lam["max"], lam["step"], lam["position"]) == ("0", "3", "1", "1")
    assert (lam["value"], lam["readout"], lam["valuetext"]) == (0.001, "0.001", "0.001")

    state = v.js(
        """() => Array.from(document.querySelectorAll('[data-ufm-explorer]')).map(e => ({
            name: e.dataset.ufmExplorer,
            mounted: Boolean(e.ufm),
            images: e.querySelectorAll('img').length,
            panels: Array.from(e.querySelectorAll('svg.ufm-panel')).map(s =>
                [s.getAttribute('role'), s.getAttribute('aria-label')]),
            controls: e.querySelectorAll('[data-ufm-control]').length,
            alt: (e.querySelector('.ufm-plot') || {getAttribute: () => null})
                .getAttribute('aria-label'),
            lastAlt: e.ufm && e.ufm.last && e.ufm.last.alt,
            summary: e.querySelector('[data-ufm-summary]').textContent,
            live: e.querySelector('[data-ufm-summary]').getAttribute('aria-live'),
        }))"""
    )
    by_name = {s["name"]: s for s in state}
    for name, count in (("test.wave", 1), ("test.log", 3), ("test.slow", 1)):
        s = by_name[name]
        assert s["mounted"] and s["images"] == 0, s
        assert len(s["panels"]) == count
        assert all(role == "img" and label for role, label in s["panels"])
        assert s["alt"] == s["lastAlt"] and s["alt"], s
        assert s["live"] == "polite"
    assert by_name["test.log"]["panels"][1][1] == "cosines between classifier rows"
    assert by_name["test.wave"]["summary"] == "A = 2, f = 1: the peak is 2.00"
    # no JavaScript explorer, or no spec: left exactly as it was
    for name, summary in [
        ("test.python_only", "the Python message"),
        ("test.nospec", "no spec here"),
    ]:
        s = by_name[name]
        assert not s["mounted"] and s["images"] == 1 and s["controls"] == 0 and not s["panels"]
        assert s["summary"] == summary
    assert v.js("() => window.ufmHandles") == ["test.wave", "test.log", "test.slow"]


def _wave_path(v):
    line = f"{WAVE} svg.ufm-panel path[style*='#1f77b4']"
    return v.js("sel => document.querySelector(sel).getAttribute('d')", line)


def test_keyboard_and_set_values_redraw_everything(visit):
    v = visit()
    before = _wave_path(v)
    amplitude = v.page.locator(f"{WAVE} [data-ufm-control=A]")
    amplitude.focus()
    v.page.keyboard.press("ArrowRight")
    v.wait_summary(WAVE, "A = 3, f = 1: the peak is 3.00")
    assert amplitude.get_attribute("data-ufm-value") == "3"
    assert amplitude.get_attribute("aria-valuetext") == "3"
    assert _wave_path(v) != before
    assert v.js(f"() => document.querySelector('{WAVE} .ufm-plot').getAttribute('aria-label')") == (
        "A sine wave of amplitude 3 and frequency 1."
    )
    v.page.keyboard.press("End")
    v.wait_summary(WAVE, "A = 5,")
    v.page.keyboard.press("Home")
    v.wait_summary(WAVE, "A = 1,")

    frequency = v.page.locator(f"{WAVE} [data-ufm-control=f]")
    frequency.fill("2.25")
    v.wait_summary(WAVE, "A = 1, f = 2.25")
    assert frequency.get_attribute("data-ufm-value") == "2.25"
    assert v.page.locator(f"{WAVE} .ufm-readout").nth(1).text_content() == "2.25"
    frequency.focus()
    v.page.keyboard.press("ArrowLeft")
    v.wait_summary(WAVE, "f = 2:")

    # the log slider moves its exponent by 0.25: value 10 ** -2.25 as Math.pow computes it
    eps = v.page.locator(f"{LOG} [data-ufm-control=eps]")
    eps.focus()
    v.page.keyboard.press("ArrowLeft")
    v.wait_summary(LOG, "ε = 0.0056")
    value = json.loads(eps.get_attribute("data-ufm-value"))
    assert value == v.js("() => Math.pow(10, -2.25)")
    assert abs(value - 10**-2.25) <= 1e-18
    assert eps.get_attribute("aria-valuetext") == "0.00562"
    v.page.keyboard.press("ArrowRight")
    v.wait_summary(LOG, "ε = 0.01")
    assert eps.get_attribute("data-ufm-value") == "0.01"

    v.page.locator(f"{LOG} [data-ufm-control=loss]").select_option(label="cross-entropy")
    v.wait_summary(LOG, "cross-entropy, λ = 0.001")
    assert v.values(LOG)["loss"] == "cross_entropy"
    lam = v.page.locator(f"{LOG} [data-ufm-control=lam]")
    lam.focus()
    v.page.keyboard.press("ArrowRight")
    v.wait_summary(LOG, "λ = 0.01,")
    assert lam.get_attribute("data-ufm-value") == "0.01"
    assert lam.get_attribute("aria-valuetext") == "0.01"

    # set() resolves after the redraw; it clamps as ipywidgets does and rejects bad input
    v.set(WAVE, {"A": 4, "f": 0.75})
    assert v.summary(WAVE) == "A = 4, f = 0.75: the peak is 4.00"
    assert amplitude.get_attribute("data-ufm-value") == "4" and amplitude.input_value() == "4"
    v.set(WAVE, {"A": 99})
    assert v.values(WAVE) == {"A": 5, "f": 0.75}
    errors = v.js(
        f"""async () => {{
            const ufm = document.querySelector('{WAVE}').ufm;
            const out = [];
            for (const bad of [{{B: 1}}, {{A: 2.5}}, {{f: NaN}}]) {{
                try {{ await ufm.set(bad); out.push('accepted'); }}
                catch (error) {{ out.push(error.message); }}
            }}
            try {{ await document.querySelector('{LOG}').ufm.set({{lam: 0.5}}); }}
            catch (error) {{ out.push(error.message); }}
            return out;
        }}"""
    )
    assert errors[0].startswith('unknown controls ["B"]')
    assert errors[1] == "A must be an integer; got 2.5"
    assert errors[2] == "f must be a finite number; got null"
    assert errors[3].startswith("lam must be one of 0, 0.001, 0.01, 1")


def test_errors_show_a_message_and_the_explorer_recovers(visit):
    v = visit()
    figure = v.page.locator(f"{LOG} figure.ufm-figure")
    assert figure.is_visible()
    v.page.locator(f"{LOG} [data-ufm-control=loss]").select_option(label="broken")
    v.wait_summary(LOG, "Cannot show")
    assert v.summary(LOG) == "Cannot show this setting: the broken loss is not implemented"
    assert not figure.is_visible()
    assert v.js(f"() => document.querySelector('{LOG}').ufm.last.error") == (
        "the broken loss is not implemented"
    )
    v.page.locator(f"{LOG} [data-ufm-control=loss]").select_option(label="squared loss")
    v.wait_summary(LOG, "squared loss, λ = 0.001")
    assert figure.is_visible()
    assert v.page.locator(f"{LOG} svg.ufm-panel").count() == 3

    # a view with a NaN where a finite number is needed
    v.set(LOG, {"lam": 1.0})
    assert v.summary(LOG) == (
        "Cannot show this setting: panel 1: the y-axis limit max is NaN; a finite number is needed"
    )
    assert not figure.is_visible()
    lam = v.page.locator(f"{LOG} [data-ufm-control=lam]")
    lam.focus()
    v.page.keyboard.press("ArrowLeft")
    v.wait_summary(LOG, "squared loss, λ = 0.01,")
    assert figure.is_visible()
    # the other explorers were not disturbed
    assert v.summary(WAVE) == "A = 2, f = 1: the peak is 2.00"


def test_url_fragment_round_trips_and_invalid_values_are_ignored(visit):
    v = visit()
    assert v.js("() => location.hash") == ""
    v.set(WAVE, {"A": 4, "f": 2.5})
    v.set(LOG, {"eps": 0.001, "loss": "cross_entropy"})
    expected = "#test.wave:A=4,f=2.5;test.log:eps=0.001,loss=cross_entropy"
    assert v.js("() => location.hash") == expected
    # a slider moved by the reader is recorded too
    v.page.locator(f"{SLOW} [data-ufm-control=n]").fill("7")
    v.wait_summary(SLOW, "n = 7")
    assert v.js("() => location.hash") == expected + ";test.slow:n=7"

    v.page.reload(wait_until="load")
    v.ready()
    assert v.values(WAVE) == {"A": 4, "f": 2.5}
    assert v.values(LOG) == {"eps": 0.001, "loss": "cross_entropy", "lam": 0.001}
    assert v.values(SLOW) == {"n": 7}
    assert v.summary(WAVE) == "A = 4, f = 2.5: the peak is 4.00"
    eps = v.page.locator(f"{LOG} [data-ufm-control=eps]")
    assert eps.get_attribute("data-ufm-value") == "0.001" and eps.input_value() == "-3"

    # back at the defaults, the fragment is emptied
    v.set(WAVE, {"A": 2, "f": 1.0})
    v.set(LOG, {"eps": 0.01, "loss": "squared"})
    v.set(SLOW, {"n": 3})
    assert v.js("() => location.hash") == ""

    # following a link to a state on the same page
    v.js("() => { location.hash = '#test.wave:A=5'; }")
    v.wait_summary(WAVE, "A = 5, f = 1")

    bad = "#test.wave:A=99,f=abc,zzz=1;test.log:eps=0.001,lam=0.5,loss=nope;test.slow:n=2.5"
    w = visit(fragment=bad)
    assert w.values(WAVE) == {"A": 2, "f": 1.0}
    assert w.values(LOG) == {"eps": 0.001, "loss": "squared", "lam": 0.001}
    assert w.values(SLOW) == {"n": 3}
    anchor = visit(fragment="#intro")
    assert anchor.values(WAVE) == {"A": 2, "f": 1.0}
    assert anchor.js("() => location.hash") == "#intro"


def test_fast_explorers_follow_a_drag_and_slow_ones_wait_for_the_release(visit):
    v = visit()
    # the first update runs cold; a fast explorer is timed again, warm, when the page is idle
    v.page.wait_for_function(
        f"() => {{ const t = document.querySelector('{WAVE}').ufm.timing;"
        " return t.compute + t.render <= 30; }",
        timeout=5_000,
    )
    # an 'input' event alone (a drag in progress) redraws a fast explorer
    v.js(
        f"""() => {{
            const input = document.querySelector('{WAVE} [data-ufm-control=A]');
            input.value = '3';
            input.dispatchEvent(new Event('input', {{bubbles: true}}));
        }}"""
    )
    v.wait_summary(WAVE, "A = 3,")

    slow = v.js(f"() => document.querySelector('{SLOW}').ufm.timing")
    assert slow["compute"] >= 30, slow
    runs = v.js("() => window.ufmRuns['test.slow']")
    v.js(
        f"""() => {{
            const input = document.querySelector('{SLOW} [data-ufm-control=n]');
            input.value = '5';
            input.dispatchEvent(new Event('input', {{bubbles: true}}));
        }}"""
    )
    v.page.wait_for_timeout(200)
    assert v.js("() => window.ufmRuns['test.slow']") == runs
    assert v.summary(SLOW) == "n = 3"
    slider = v.page.locator(f"{SLOW} [data-ufm-control=n]")
    assert slider.get_attribute("data-ufm-value") == "5"
    assert v.page.locator(f"{SLOW} .ufm-readout").text_content() == "5"

    busy = v.js(
        f"""() => {{
            const root = document.querySelector('{SLOW}');
            const input = root.querySelector('[data-ufm-control=n]');
            input.dispatchEvent(new Event('change', {{bubbles: true}}));
            requestAnimationFrame(() => {{ window.frameAt = performance.now(); }});
            return [root.classList.contains('ufm-busy'), root.getAttribute('aria-busy'),
                    getComputedStyle(root.querySelector('.ufm-status')).display,
                    root.querySelector('.ufm-status').textContent];
        }}"""
    )
    assert busy == [True, "true", "block", "computing…"]
    v.wait_summary(SLOW, "n = 5")
    record = v.js("() => window.slowLog[window.slowLog.length - 1]")
    assert record["n"] == 5 and record["busy"] and record["ariaBusy"] == "true"
    # a frame was drawn between "computing…" and the computation
    assert v.js("() => window.frameAt") <= record["at"]
    assert v.js(f"() => document.querySelector('{SLOW}').getAttribute('aria-busy')") is None
    assert not v.js(f"() => document.querySelector('{SLOW}').classList.contains('ufm-busy')")
    assert v.js("() => window.ufmRuns['test.slow']") == runs + 1


OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const wide = Array.from(document.querySelectorAll('main *'))
        .filter(e => e.getBoundingClientRect().right > width + 0.5)
        .map(e => e.tagName + '.' + e.className.baseVal + e.className);
    return [document.documentElement.scrollWidth, width, wide.slice(0, 5)];
}"""
FONT_SIZES = """() => Array.from(document.querySelectorAll('svg.ufm-panel text'))
    .map(t => parseFloat(getComputedStyle(t).fontSize))"""
PANEL_BOXES = """sel => Array.from(document.querySelectorAll(sel + ' svg.ufm-panel')).map(s => {
    const r = s.getBoundingClientRect();
    return [Math.round(r.left), Math.round(r.top), Math.round(r.width)];
})"""


def _screenshot(v, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    v.page.screenshot(path=str(SCREENSHOTS / f"js-runtime-{name}.png"), full_page=True)


def test_layout_fits_a_phone_and_sits_side_by_side_in_the_book_column(visit):
    phone = visit(width=390)
    scroll, width, wide = phone.js(OVERFLOW)
    assert scroll <= 390 and not wide, wide
    assert min(phone.js(FONT_SIZES)) >= 11
    boxes = phone.js(PANEL_BOXES, LOG)
    assert len({top for _, top, _ in boxes}) == 3, boxes  # one panel per row
    assert all(left >= 0 and left + w <= width for left, _, w in boxes)
    columns = phone.js(
        f"() => getComputedStyle(document.querySelector('{LOG} .ufm-controls'))"
        ".gridTemplateColumns.split(' ').length"
    )
    assert columns == 1
    _screenshot(phone, "390-light")

    desk = visit(width=1280)
    assert desk.js(OVERFLOW)[2] == []
    assert min(desk.js(FONT_SIZES)) >= 11
    column = desk.js("() => document.querySelector('main').getBoundingClientRect().width")
    boxes = desk.js(PANEL_BOXES, LOG)
    assert boxes[0][1] == boxes[1][1] and boxes[1][0] > boxes[0][0], boxes  # side by side
    assert all(w <= column for _, _, w in boxes)
    _screenshot(desk, "1280-light")

    # resized to a phone's width, the same page redraws its panels to fit
    desk.page.set_viewport_size({"width": 390, "height": 900})
    desk.page.wait_for_function(
        "sel => Array.from(document.querySelectorAll(sel + ' svg.ufm-panel'))"
        ".every(s => s.getBoundingClientRect().right <= document.documentElement.clientWidth)",
        arg=LOG,
        timeout=5_000,
    )
    assert len({top for _, top, _ in desk.js(PANEL_BOXES, LOG)}) == 3
    assert desk.js(OVERFLOW)[2] == []


STYLE = """sel => {
    const svg = document.querySelector(sel + ' svg.ufm-panel');
    const text = svg.querySelector('text');
    const frame = svg.querySelector('.ufm-frame');
    const black = svg.querySelector('path[style*="--ufm-plot-fg"]');
    return [getComputedStyle(text).fill, getComputedStyle(frame).stroke,
            black && getComputedStyle(black).stroke];
}"""


def _luminance(css):
    r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_dark_theme_changes_text_and_axes(visit):
    v = visit()
    light = v.js(STYLE, LOG)
    v.js("() => { document.documentElement.dataset.theme = 'dark'; }")
    dark = v.js(STYLE, LOG)
    assert all(d != li for d, li in zip(dark, light)), (light, dark)
    assert _luminance(light[0]) < 0.3 < 0.6 < _luminance(dark[0])
    assert _luminance(dark[2]) > 0.6  # a "k" line is light on the dark page
    # cell text on a heatmap keeps its contrast with the cell, whatever the theme
    cells = v.js(
        f"""() => Array.from(document.querySelectorAll('{LOG} text.ufm-cell-text'))
            .map(t => getComputedStyle(t).fill)"""
    )
    assert set(cells) == {"rgb(0, 0, 0)", "rgb(255, 255, 255)"}
    _screenshot(v, "1280-dark")


PLOT_CHECK = """async () => {
    const plot = await import('/ufm/js/plot.js');
    const host = document.createElement('div');
    host.style.width = '720px';
    document.querySelector('main').appendChild(host);
    const figure = new plot.Figure(host);
    const n = 500;
    const panel = (title, shift) => ({
        title, legend: 'upper right',
        x: {scale: 'log', label: 'iteration k'}, y: {scale: 'log', label: 'error'},
        series: [0, 1, 2].map(j => {
            const x = new Float64Array(n), y = new Float64Array(n);
            for (let i = 0; i < n; i++) {
                x[i] = i + 1;
                y[i] = Math.exp(-(i + shift) / (50 + 40 * j));
            }
            return {x, y, label: 'series ' + j};
        }),
        hlines: [{y: 1e-3, line: '--', color: '0.4', label: 'floor'}],
    });
    const panels = [panel('a', 0), panel('b', 10), panel('c', 20)];
    const times = [];
    for (let k = 0; k < 25; k++) times.push(figure.draw(panels, {alt: 'three panels'}));
    times.sort((a, b) => a - b);
    const speed = {median: times[12], paths: host.querySelectorAll('path').length};

    // what cannot be drawn is skipped
    const awkward = [{
        title: 'awkward', x: {scale: 'log'}, y: {scale: 'log'},
        series: [
            {x: [1, 2, 3, 4, 5, 6, 7, 8], y: [1, 2, 0, -1, NaN, 10, 20, Infinity], label: 'broken'},
            {x: [], y: []},
            {x: [1, 2], y: [NaN, NaN], marker: 'o'},
            {y: [3, 4, 5]},
        ],
        vlines: [{x: 0}], hlines: [{y: -2}],
        legend: 'lower left',
    }, {
        title: 'empty', x: {scale: 'log', label: 'ε'}, y: {}, series: [],
    }, {
        title: 'map', heatmap: {values: [[NaN, 0.5], [-1, 1]], vmin: -1, vmax: 1,
            rows: ['a', 'b'], cols: ['c', 'd'], text: [['–', '0.50'], ['-1.00', '1.00']]},
    }, {
        title: 'symlog', x: {scale: 'symlog', linthresh: 10, linscale: 0.5, min: 0, max: 4000},
        series: [{x: [0, 1, 5, 10, 100, 4000], y: [1, 2, 3, 4, 5, 6]}],
    }, {note: 'The plane view is drawn for C = 3.', title: 'the plane of the simplex'}];
    let thrown = null;
    try { figure.draw(awkward, {alt: 'awkward'}); } catch (error) { thrown = error.message; }
    const markup = host.innerHTML;
    const broken = host.querySelector('svg path[style*="#1f77b4"]');
    const tickTexts = Array.from(host.querySelectorAll('svg')[0].querySelectorAll('text'))
        .map(t => t.textContent);
    const symlogTexts = Array.from(host.querySelectorAll('svg')[3].querySelectorAll('text'))
        .map(t => t.textContent);
    const invalid = [];
    for (const bad of [
        [{x: {min: NaN}}],
        [{y: {scale: 'log', min: 0}}],
        [{series: [{x: [1, 2], y: [1]}]}],
        [{hlines: [{y: Infinity}]}],
        [{heatmap: {values: [[1]], vmin: 0, vmax: NaN}}],
    ]) {
        try { plot.validatePanels(bad); invalid.push(null); }
        catch (error) { invalid.push(error.message); }
    }
    figure.destroy();
    host.remove();
    return {
        speed, thrown, broken: broken && broken.getAttribute('d'),
        hasNaN: /NaN|Infinity|undefined/.test(markup), tickTexts, symlogTexts, invalid,
        note: markup.includes('The plane view is drawn for C = 3.'),
        cells: [0.0, 0.3, 0.5, 0.77, 0.999, 1.0].map(t => plot.colormap('RdBu_r', t)),
        colors: ['C0', 'C3', 'k', '0.4', '#123456'].map(c => plot.resolveColor(c)),
        linear: plot.linearTicks(-0.05, 1.05, 6),
        log: plot.logTicks(1e-7, 3, 6).major.map(t => t.label),
    };
}"""


def test_plot_skips_what_cannot_be_drawn(visit):
    v = visit()
    result = v.js(PLOT_CHECK)
    assert result["thrown"] is None
    assert not result["hasNaN"]
    # the line breaks at 0, -1, NaN (log axis) and stops at Infinity: two pieces
    assert result["broken"].count("M") == 2 and result["broken"].count("L") == 2
    assert "10⁰" in result["tickTexts"] and "10¹" in result["tickTexts"]
    assert {"0", "10¹", "10²", "10³"} <= set(result["symlogTexts"])
    assert result["note"]
    assert [message and message.split(";")[0] for message in result["invalid"]] == [
        "panel 1: the x-axis limit min is NaN",
        "panel 1: the y-axis limit min is 0",
        "panel 1, series 1: x has 2 values and y 1",
        "panel 1: horizontal line 1 (y) is Infinity",
        "panel 1: the heatmap's vmax is NaN",
    ]
    from matplotlib import colormaps

    points = (0.0, 0.3, 0.5, 0.77, 0.999, 1.0)
    expected = [[round(255 * c) for c in colormaps["RdBu_r"](t)[:3]] for t in points]
    assert all(
        abs(a - b) <= 1 for got, want in zip(result["cells"], expected) for a, b in zip(got, want)
    ), (result["cells"], expected)
    assert result["colors"][:2] == ["#1f77b4", "#d62728"]
    assert result["colors"][2] == "var(--ufm-plot-fg)" and "60%" in result["colors"][3]
    assert result["linear"] == [0, 0.2, 0.4, 0.6, 0.8, 1]
    assert result["log"][0] == "10⁻⁶" and "10⁰" in result["log"]
