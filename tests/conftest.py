"""Shared test set-up: hypothesis settings and strategies for model sizes.

Two hypothesis profiles. ``ufm`` (the default, used by ``make test`` and CI) is
derandomized: every run draws the same examples, so a green run stays green and a red one
reproduces. ``fuzz`` (``make fuzz``) draws fresh random examples, twenty times as many, to
look for new failures; add each one it finds to the tests as an explicit case.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "ufm",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("fuzz", settings.get_profile("ufm"), max_examples=500, derandomize=False)
settings.load_profile(os.environ.get("UFM_HYPOTHESIS_PROFILE", "ufm"))

#: Small model sizes (C, N, p) with C >= 2.
sizes = st.tuples(st.integers(2, 5), st.integers(1, 4), st.integers(1, 6))
#: Sizes where strong collapse exists (p >= C - 1).
collapsible_sizes = sizes.filter(lambda s: s[2] >= s[0] - 1)
seeds = st.integers(0, 2**31 - 1)


def pytest_collection_modifyitems(config, items):
    """Order the files for two workers (``make test`` passes ``--no-loadscope-reorder``,
    so that pytest-xdist hands out whole files in this order): first a file whose first
    test needs the built book (its worker builds it, in about a minute), then every file
    that does not need it (the other worker runs them meanwhile instead of waiting for the
    book), then the other files that need it. Within each group, files with a test marked slow come
    first, then the files with the most tests, so that the last ones are short."""
    files: dict[str, list] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::")[0], []).append(item)

    def needs_book(name):
        return any("built_book" in getattr(item, "fixturenames", ()) for item in files[name])

    def weight(name):
        slow = any(item.get_closest_marker("slow") for item in files[name])
        return (not slow, -len(files[name]), name)

    book = sorted((f for f in files if needs_book(f)), key=weight)
    other = sorted((f for f in files if not needs_book(f)), key=weight)
    # the builder: a file whose first test needs the book, so that the build starts at once
    builder = next(
        (f for f in book if "built_book" in getattr(files[f][0], "fixturenames", ())), None
    )
    order = [builder] + other + [f for f in book if f != builder] if builder else other + book
    items[:] = [item for name in order for item in files[name]]


def random_state(C, N, p, seed, scale=1.0):
    """A generic state with Gaussian entries (bias included)."""
    rng = np.random.default_rng(seed)
    return (
        scale * rng.standard_normal((p, C * N)),
        scale * rng.standard_normal((C, p)),
        scale * rng.standard_normal(C),
    )


def labels_of(C, N):
    """Class labels of the columns of H, ordered class by class."""
    return np.repeat(np.arange(C), N)


@pytest.fixture
def rng():
    return np.random.default_rng(20201123)


@pytest.fixture(scope="session")
def node():
    """The path of ``node``, which runs the JavaScript of ``ufm/js`` in tests.

    Without node the tests that need it are skipped, with the reason in the summary, unless
    ``UFM_REQUIRE_NODE=1`` (as .ci/run sets): there they fail.
    """
    import os
    import shutil

    path = shutil.which("node")
    if path is None:
        reason = "node is not installed (not on PATH), so the JavaScript of ufm/js cannot run"
        if os.environ.get("UFM_REQUIRE_NODE") == "1":
            pytest.fail(f"{reason}; UFM_REQUIRE_NODE=1 requires these tests to run")
        pytest.skip(reason)
    return path
