"""Every explorer is live on the built static page, and shows what the notebook shows.

For each explorer of ``ufm.widgets.REGISTRY``, on its chapter's built page, in Chromium with
the network blocked: the JavaScript twin mounts (controls, SVG figure, summary); each
control is moved to its minimum, a middle value and its maximum (the others at their
defaults), and each time

- the summary line equals, as text, the Python explorer's ``.message`` at those values;
- the figure changes (the drawn SVG differs from the one at the defaults);
- every plotted series that has a ``key`` agrees with the line of the Python figure with
  that label, in the panel of the same index, to 1e-9 relative to the series' largest
  magnitude (or to its ``parityScale``: the scale of the two quantities a plotted
  difference is taken of), up to ``exactUntil`` points where rounding steers the run (see
  ``ufm/js/README.md``);

with zero console errors, and the settings survive a reload through the URL fragment. (A
run that diverges says that rounding steers it, so the step it names may differ.)
"""

import json

import pytest
from browser import Visit, needs_browser
from js_bridge import message_problems, series_differences

import ufm.widgets as uw

pytest_plugins = ["book_build", "browser"]
pytestmark = [needs_browser, pytest.mark.build]

#: The chapter page of each group of explorers.
PAGES = {
    "model": "book/model",
    "results": "book/results",
    "limits": "book/discussion",
    "literature": "book/literature",
}
RTOL = 1e-9


def grid(control):
    """Minimum, middle and maximum of a control, as values (JSON-ready)."""
    kind = control["kind"]
    if kind in ("select", "choice"):
        options = [value for _, value in control["options"]]
        return [options[0], options[len(options) // 2], options[-1]]
    low, high, step = control["min"], control["max"], control["step"]
    middle = low + round((high - low) / 2 / step) * step
    points = [low, middle, high]
    if kind == "int":
        return [int(x) for x in points]
    points = [round(x, 10) for x in points]
    if kind == "log":
        return [control["base"] ** x for x in points]
    return points


def same(a, b):
    """Equal values of a control (numbers to rounding)."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return a == pytest.approx(b, rel=1e-9)


#: The last view as JSON, typed arrays as lists (NaN and infinities become null).
LAST_VIEW = """el => JSON.stringify(el.ufm.last,
    (key, value) => ArrayBuffer.isView(value) ? Array.from(value) : value)"""

SNAPSHOT = """el => {
    const figure = el.querySelector('.ufm-figure');
    return figure ? figure.innerHTML : '';
}"""


@pytest.mark.parametrize("name", sorted(uw.REGISTRY))
def test_every_control_recomputes_the_static_page_as_the_notebook_does(
    name, built_book, serve, browser, network
):
    document = PAGES[name.split(".")[0]]
    visit = Visit(browser, network, serve(built_book.html) + f"{document}.html")
    page = visit.page
    problems = []
    try:
        element = page.locator(f'[data-ufm-explorer="{name}"]')
        handle = element.element_handle()
        page.wait_for_function("el => el.ufm && el.ufm.ready", arg=handle, timeout=30_000)
        page.evaluate("el => el.ufm.ready", handle)
        spec = page.evaluate("el => el.ufm.spec", handle)
        defaults = {c["name"]: c["value"] for c in spec["controls"]}
        assert element.locator("[data-ufm-control]").count() == len(spec["controls"])
        explorer = uw.REGISTRY[name].factory()
        at_defaults = page.evaluate(SNAPSHOT, handle)

        def visit_setting(values, where):
            explorer.set(**values)
            page.evaluate("([el, v]) => el.ufm.set(v)", [handle, values])
            summary = element.locator("[data-ufm-summary]").text_content().strip()
            problems.extend(message_problems(summary, explorer.message, where))
            view = json.loads(page.evaluate(LAST_VIEW, handle))
            problems.extend(series_differences(view, explorer, where, RTOL)[1])
            return page.evaluate(SNAPSHOT, handle)

        visit_setting(defaults, "defaults")
        for control in spec["controls"]:
            for value in grid(control):
                values = {**defaults, control["name"]: value}
                where = f"{control['name']}={value!r}"
                drawn = visit_setting(values, where)
                shown = json.loads(
                    element.locator(f'[data-ufm-control="{control["name"]}"]').get_attribute(
                        "data-ufm-value"
                    )
                )
                if not same(shown, value):
                    problems.append(f"{where}: the control shows {shown!r}")
                if not same(value, control["value"]) and drawn == at_defaults:
                    problems.append(f"{where}: the figure did not change")
        problems += visit.errors
    finally:
        visit.close()
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_a_link_with_settings_in_its_fragment_opens_the_explorer_at_those_settings(
    built_book, serve, browser, network
):
    base = serve(built_book.html) + "book/model.html"
    visit = Visit(browser, network, base)
    try:
        handle = visit.page.locator('[data-ufm-explorer="model.descent"]').element_handle()
        visit.page.wait_for_function("el => el.ufm && el.ufm.ready", arg=handle)
        visit.page.evaluate("el => el.ufm.ready", handle)
        visit.page.evaluate("el => el.ufm.set({eps: 0.001, lr: 1.5, C: 4})", handle)
        fragment = visit.page.evaluate("() => location.hash")
        summary = visit.page.locator(
            '[data-ufm-explorer="model.descent"] [data-ufm-summary]'
        ).text_content()
    finally:
        visit.close()
    assert fragment.startswith("#model.descent:")
    reopened = Visit(browser, network, base + fragment)
    try:
        handle = reopened.page.locator('[data-ufm-explorer="model.descent"]').element_handle()
        reopened.page.wait_for_function("el => el.ufm && el.ufm.ready", arg=handle)
        reopened.page.evaluate("el => el.ufm.ready", handle)
        values = reopened.page.evaluate("el => el.ufm.values()", handle)
        again = reopened.page.locator(
            '[data-ufm-explorer="model.descent"] [data-ufm-summary]'
        ).text_content()
        errors = reopened.errors
    finally:
        reopened.close()
    assert (values["eps"], values["lr"], values["C"]) == (pytest.approx(0.001), 1.5, 4)
    assert again == summary
    assert not errors


# Watches one update: the animation frames drawn and the progress shown while it computes.
WATCH = """([el, values]) => new Promise(resolve => {
    const status = el.querySelector('.ufm-status');
    let frames = 0;
    const shown = new Set();
    let done = false;
    const frame = () => {
        frames += 1;
        if (/%/.test(status.textContent)) shown.add(status.textContent);
        if (!done) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    el.ufm.set(values).then(() => {
        done = true;
        resolve({frames, shown: [...shown]});
    });
})"""

# Sets `first`, and `second` as soon as the first shows some progress (not after a fixed
# time, which a slow or a fast machine would get wrong): records every summary drawn
# meanwhile and the progress shown when the second setting was chosen.
SUPERSEDE = """([el, first, second]) => new Promise(resolve => {
    const status = el.querySelector('.ufm-status');
    const summary = el.querySelector('[data-ufm-summary]');
    const drawn = [];
    const record = new MutationObserver(() => drawn.push(summary.textContent));
    record.observe(summary, {childList: true, characterData: true, subtree: true});
    let chosenAt = null;
    const wait = new MutationObserver(() => {
        if (chosenAt !== null || !/[1-9]\\d* %/.test(status.textContent)) return;
        chosenAt = status.textContent;
        wait.disconnect();
        el.ufm.set(second).then(() => {
            record.disconnect();
            resolve({chosenAt, drawn, values: el.ufm.values()});
        });
    });
    wait.observe(status, {childList: true, characterData: true, subtree: true});
    el.ufm.set(first);
})"""


def test_a_long_update_leaves_the_page_responsive_and_gives_way_to_a_newer_setting(
    built_book, serve, browser, network
):
    # model.descent at its heaviest settings computes for seconds: the page keeps drawing
    # frames and the status shows the progress; a setting chosen meanwhile abandons the
    # running one (only the newest is drawn, equal to the notebook's). How long the page
    # goes without a frame is a speed measurement: benchmarks/run.py part f reports it.
    name = "model.descent"
    visit = Visit(browser, network, serve(built_book.html) + f"{PAGES['model']}.html")
    try:
        handle = visit.page.locator(f'[data-ufm-explorer="{name}"]').element_handle()
        visit.page.wait_for_function("el => el.ufm && el.ufm.ready", arg=handle)
        visit.page.evaluate("el => el.ufm.ready", handle)
        heaviest = {**uw.REGISTRY[name].factory().values(), **uw.REGISTRY[name].maxima}
        watched = visit.page.evaluate(WATCH, [handle, heaviest])
        newest = {**heaviest, "steps": 2000, "seed": 1}
        superseded = visit.page.evaluate(SUPERSEDE, [handle, {**heaviest, "seed": 2}, newest])
        summary = visit.page.locator(f'[data-ufm-explorer="{name}"] [data-ufm-summary]')
        shown = summary.text_content().strip()
        errors = visit.errors
    finally:
        visit.close()
    # the computation gave the page many turns, each showing its progress
    progress = [
        int(text.split()[-2]) for text in watched["shown"] if text.startswith("computing… ")
    ]
    assert len(progress) >= 10 and watched["frames"] >= len(progress), watched
    assert progress == sorted(progress) and progress[-1] > 50, watched
    # the second setting was chosen mid-run, and the first was never drawn
    assert superseded["chosenAt"] != "computing… 100 %", superseded
    assert superseded["values"]["seed"] == 1 and superseded["values"]["steps"] == 2000
    assert {text.strip() for text in superseded["drawn"]} == {shown}, superseded
    explorer = uw.REGISTRY[name].factory()
    explorer.set(**newest)
    assert not message_problems(shown, explorer.message, "newest")
    assert not errors


CONTRAST = """el => {
    const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
    const background = node => {
        for (; node; node = node.parentElement) {
            const c = rgb(getComputedStyle(node).backgroundColor);
            if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
        }
        return [255, 255, 255];
    };
    const luminance = ([r, g, b]) => {
        const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    return Array.from(el.querySelectorAll('label, [data-ufm-summary], svg text')).map(t => {
        const a = luminance(rgb(getComputedStyle(t).color).slice(0, 3));
        const b = luminance(background(t));
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    });
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_explorers_text_reads_on_its_background_in_both_themes(
    theme, built_book, serve, browser, network
):
    visit = Visit(browser, network, serve(built_book.html) + "book/results.html", theme)
    try:
        low = {}
        for name in ("results.perturbation", "results.riccati"):
            handle = visit.page.locator(f'[data-ufm-explorer="{name}"]').element_handle()
            visit.page.wait_for_function("el => el.ufm", arg=handle)
            visit.page.evaluate("el => el.ufm.ready", handle)
            ratios = visit.page.evaluate(CONTRAST, handle)
            assert len(ratios) > 10, name
            low[name] = min(ratios)
        errors = visit.errors
    finally:
        visit.close()
    assert all(ratio >= 4.5 for ratio in low.values()), low
    assert not errors
