"""Calling the JavaScript of ``ufm/js`` from the tests, through node and JSON.

The harnesses in ``tests/js`` read a JSON list of calls on stdin and write a JSON list of
results (``tests/js/codec.mjs``). Here: :func:`encode` and :func:`decode` (numpy arrays as
``{"shape", "data"}``, a ``ReducedState`` by its parts), :func:`call`, :func:`run_node`, and
:func:`difference`, the one measure of agreement the parity tests use: the largest absolute
difference over the finite entries, relative to the largest magnitude of the expected ones,
with non-finite entries required at the same places.

And the comparison of a JavaScript explorer's view with the Python explorer: its keyed
series with the figure's lines (:func:`series_differences`) and its summary line with
``.message`` (:func:`message_problems`).

PYTEST_DONT_REWRITE: a helper module, with no assertions of its own to rewrite.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np

from ufm.reduced import ReducedState
from ufm.widgets.model import STEERED

#: The parts of a reduced state, in the order of its constructor (then ``N``).
STATE = ("Hbar", "Sigma", "W", "b")
#: The harnesses: calls of ufm/js functions, and runs of the JavaScript explorers.
UFM_CHECK = Path(__file__).resolve().parent / "js" / "ufm_check.mjs"
EXPLORER_CHECK = Path(__file__).resolve().parent / "js" / "explorer_check.mjs"


def encode(x):
    """``x`` with numpy arrays, numbers and reduced states as JSON has them."""
    if isinstance(x, ReducedState):
        return {"type": "ReducedState", **{k: encode(getattr(x, k)) for k in STATE}, "N": x.N}
    if isinstance(x, np.ndarray):
        return {"shape": list(x.shape), "data": x.astype(float).ravel().tolist()}
    if isinstance(x, (list, tuple)):
        return [encode(v) for v in x]
    if isinstance(x, dict):
        return {k: encode(v) for k, v in x.items()}
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


def decode(x):
    """The inverse of :func:`encode` for what the harnesses write."""
    if isinstance(x, list):
        return [decode(v) for v in x]
    if isinstance(x, dict):
        if "shape" in x and "data" in x:
            return np.array(x["data"], dtype=float).reshape(x["shape"])
        if x.get("type") == "ReducedState":
            return ReducedState(*(decode(x[k]) for k in STATE), x["N"])
        return {k: decode(v) for k, v in x.items()}
    return x


def call(fn, *args, **kwargs):
    """A call of ``tests/js/ufm_check.mjs``: ``fn`` is ``"module.name"``."""
    return {"fn": fn, "args": list(args), "kwargs": kwargs}


def run_node(node, script, calls):
    """The JSON list ``script`` writes for ``calls`` (one entry per call, not decoded)."""
    done = subprocess.run(
        [node, str(script)],
        input=json.dumps(encode(calls)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} failed:\n{done.stderr}")
    out = json.loads(done.stdout)
    if len(out) != len(calls):
        raise RuntimeError(f"{script} answered {len(out)} of {len(calls)} calls")
    return out


def difference(got, expected):
    """max |got - expected| / max |expected| over the finite entries; the non-finite entries
    (and which of them are NaN) must sit at the same places, or ``AssertionError``."""
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        raise AssertionError(f"shapes differ: {got.shape} and {expected.shape}")
    finite = np.isfinite(expected)
    if not np.array_equal(finite, np.isfinite(got)):
        raise AssertionError("non-finite entries differ")
    if not np.array_equal(np.isnan(expected), np.isnan(got)):
        raise AssertionError("NaN entries differ")
    if not finite.any():
        return 0.0
    gap = np.abs(got[finite] - expected[finite]).max()
    return 0.0 if gap == 0 else gap / (np.abs(expected[finite]).max() or 1.0)


# Comparing an explorer's view with the Python explorer.


def python_series(explorer):
    """``{(axes index, label): (x, y)}`` of the Python figure's labelled lines."""
    out = {}
    for i, ax in enumerate(explorer.figure.axes):
        for line in ax.lines:
            label = line.get_label()
            if label and not label.startswith("_"):
                out[(i, label)] = (
                    np.asarray(line.get_xdata(), float),
                    np.asarray(line.get_ydata(), float),
                )
    return out


def series_differences(view, explorer, where, rtol=1e-9):
    """The largest relative difference of the keyed series, and the problems found."""
    problems, worst = [], 0.0
    lines = python_series(explorer)
    for i, panel in enumerate(view["panels"]):
        for series in panel.get("series", []):
            key = series.get("key")
            if not key:
                continue
            if (i, key) not in lines:
                problems.append(f"{where}: panel {i} series {key!r} has no Python line")
                continue
            until = series.get("exactUntil")
            x = series.get("x", list(range(len(series["y"]))))
            for axis, ours, theirs in zip("xy", (x, series["y"]), lines[(i, key)]):
                ours = np.asarray([np.nan if v is None else v for v in ours], float)
                # A run that rounding steers may diverge in another stretch between
                # snapshots, and record other steps after it.
                steered = until is not None and min(ours.size, theirs.size) >= until
                if ours.shape != theirs.shape and not steered:
                    problems.append(
                        f"{where}: {key!r} {axis}: {ours.size} points, Python {theirs.size}"
                    )
                    continue
                ours, theirs = ours[:until], theirs[:until]
                finite = np.isfinite(theirs)
                if not np.array_equal(finite, np.isfinite(ours)):
                    problems.append(f"{where}: {key!r} {axis} is not finite at other points")
                    continue
                if finite.any():
                    scale = series.get("parityScale") or np.abs(theirs[finite]).max() or 1.0
                    error = np.abs(ours[finite] - theirs[finite]).max() / scale
                    worst = max(worst, error)
                    if error > rtol:
                        problems.append(f"{where}: {key!r} {axis} differs by {error:.1e}")
    return worst, problems


def drawing_problems(view, where):
    """What ``explorer_check.mjs`` found wrong with how a view would be drawn: panels that
    ``plot.validatePanels`` rejects, and legends inside the axes that cover data."""
    problems = []
    if view.get("invalid"):
        problems.append(f"{where}: plot.validatePanels: {view['invalid']}")
    if view.get("covered"):
        problems.append(f"{where}: a legend covers data: {view['covered']}")
    return problems


def message_problems(ours, theirs, where):
    """Differences between the summary lines.

    A run that diverges says that rounding steers it (``ufm.widgets.model.STEERED``): the
    step at which it diverges is rounding's choice, so there both lines must report a
    divergence, at any step. Everything else is compared as text.
    """
    if STEERED in ours and STEERED in theirs:
        pattern = r"^Diverged at step \d+:"
        ours, theirs = re.sub(pattern, "Diverged:", ours), re.sub(pattern, "Diverged:", theirs)
    if ours != theirs:
        return [f"{where}: JavaScript says {ours!r}, Python {theirs!r}"]
    return []
