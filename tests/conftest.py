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
