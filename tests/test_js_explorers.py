"""The JavaScript explorers of the model and results chapters show what the Python ones show.

For each of ``model.descent``, ``results.perturbation``, ``results.invariance``,
``results.convergence``, ``results.riccati`` and ``results.linearisation``, at its defaults,
at each control's minimum, middle and maximum (the others at their defaults) and at a few
random settings (fixed seed), the JavaScript twin (``ufm/js/explorers/*.js``, run by ONE
node process per explorer through ``tests/js/explorer_check.mjs``) is compared with
``REGISTRY[name].factory()`` → ``.set(**values)``:

- its summary line equals the explorer's ``.message`` as text, except the numbers that are
  rounding noise in ufm itself (``ROUNDING``: their digits depend on the order of every
  floating-point operation, so numpy on another machine prints others too), where both
  must be at rounding level and the rest of the line equal, and the step at which a run
  that rounding steers diverges;
- every series with a ``key`` equals the line of the Python figure with that label, in the
  axes of the same index, to 1e-9 relative to the series' largest magnitude, or to its
  ``parityScale`` (a plotted difference: the size of the quantities it is taken of), and
  in its first ``exactUntil`` points only when rounding steers the run after them (descent
  above the stability limit); NaN at the same places (see ``ufm/js/README.md``).

The Python figures are not rendered (only their artists' data are read). Without node the
tests are skipped, unless UFM_REQUIRE_NODE=1. With UFM_PARITY_REPORT=1 the largest
difference and the number of settings compared are printed per explorer.
"""

import os

import numpy as np
import pytest
from js_bridge import (
    EXPLORER_CHECK,
    drawing_problems,
    message_problems,
    run_node,
    series_differences,
)

from ufm import webview
from ufm.widgets import REGISTRY

RTOL = 1e-9
#: Random settings per explorer, besides the defaults and the corners of each control.
RANDOM_SETTINGS = 6
NAMES = (
    "model.descent",
    "results.perturbation",
    "results.invariance",
    "results.convergence",
    "results.riccati",
    "results.linearisation",
)
#: Per explorer: [largest series difference, settings compared] (UFM_PARITY_REPORT=1).
REPORT: dict[str, list] = {}


@pytest.fixture(scope="module", autouse=True)
def parity_report():
    """With UFM_PARITY_REPORT=1, print the largest series difference per explorer."""
    yield
    if os.environ.get("UFM_PARITY_REPORT") == "1":
        print("\nlargest series difference (relative), settings compared:")
        for name, (worst, count) in sorted(REPORT.items()):
            print(f"  {name:<24} {worst:.2e}  {count}")


# ---------------------------------------------------------------------------------------
# The settings visited.


def grid_values(control):
    """Every value of a control's slider (kind int, float or log)."""
    low, high, step = control["min"], control["max"], control["step"]
    count = int(round((high - low) / step)) + 1
    points = [round(low + k * step, 10) for k in range(count)]
    if control["kind"] == "int":
        return [int(x) for x in points]
    if control["kind"] == "log":
        return [control["base"] ** x for x in points]
    return points


def settings_of(name):
    """Defaults; each control at its minimum, middle and maximum; random combinations."""
    spec = webview.spec(REGISTRY[name].factory())
    controls = spec["controls"]
    defaults = {c["name"]: c["value"] for c in controls}
    out = [defaults]
    for control in controls:
        values = grid_values(control)
        for value in (values[0], values[(len(values) - 1) // 2], values[-1]):
            out.append({**defaults, control["name"]: value})
    rng = np.random.default_rng(20240611)
    for _ in range(RANDOM_SETTINGS):
        setting = {}
        for control in controls:
            values = grid_values(control)
            setting[control["name"]] = values[int(rng.integers(len(values)))]
        out.append(setting)
    return spec, out


@pytest.mark.parametrize("name", NAMES)
def test_the_javascript_explorer_shows_the_python_explorers_message_and_curves(node, name):
    spec, settings = settings_of(name)
    calls = [{"name": name, "values": v, "data": spec["data"]} for v in settings]
    views = run_node(node, EXPLORER_CHECK, calls)
    explorer = REGISTRY[name].factory()
    explorer.figure.canvas.draw = lambda: None  # the artists' data suffice
    problems, worst = [], 0.0
    for values, view in zip(settings, views):
        where = ", ".join(f"{k}={v!r}" for k, v in values.items())
        explorer.set(**values)
        if "error" in view:
            message = f"Cannot show this setting: {view['error']}"
            if message != explorer.message:
                problems.append(
                    f"{where}: JavaScript raised {message!r}, Python {explorer.message!r}"
                )
            continue
        assert set(view) >= {"message", "alt", "panels"}
        problems += drawing_problems(view, where)
        assert len(view["panels"]) == len(explorer.figure.axes), where
        assert view["alt"], where
        problems += message_problems(view["message"], explorer.message, where)
        difference, found = series_differences(view, explorer, where, RTOL)
        worst = max(worst, difference)
        problems += found
    REPORT[name] = [worst, len(settings)]
    assert not problems, f"{name}:\n" + "\n".join(problems)
