"""The NC1–NC4 measures of ufm.nc_metrics, beyond the model's own states.

On exactly collapsed features they are exactly those of collapse; on random features they
agree with a slow loop over samples written straight from the definitions; unequal class
sizes and classes with a single sample are handled; malformed input is refused.

Book labels checked here: ``def-nc-statistics``, ``def-nc1``, ``def-nc2``, ``def-nc3``,
``def-nc4`` (book/observed.ipynb) and, for collapsed features, ``thm-collapse-is-nc``
(book/results.ipynb).
"""

import numpy as np
import pytest
from conftest import seeds
from hypothesis import given
from hypothesis import strategies as st

import ufm

KEYS = ("nc1", "nc2_equinorm", "nc2_equiangular", "nc2_maxangle", "nc3", "nc4")


def slow_nc_metrics(X, y, W, b):
    """The definitions, one sample and one pair of classes at a time."""
    p, n = X.shape
    C = W.shape[0]
    members = [[i for i in range(n) if y[i] == c] for c in range(C)]
    mu = [sum(X[:, i] for i in members[c]) / len(members[c]) for c in range(C)]
    mu_G = sum(mu) / C
    M = np.column_stack([mu[c] - mu_G for c in range(C)])
    Sigma_W = np.zeros((p, p))
    for i in range(n):
        d = X[:, i] - mu[y[i]]
        Sigma_W += np.outer(d, d) / n
    Sigma_B = sum(np.outer(M[:, c], M[:, c]) for c in range(C)) / C
    norms = [np.sqrt(M[:, c] @ M[:, c]) for c in range(C)]
    mean_norm = sum(norms) / C
    gaps = {}
    for c in range(C):
        for d in range(C):
            if c != d:
                gaps[c, d] = abs(M[:, c] @ M[:, d] / (norms[c] * norms[d]) + 1 / (C - 1))
    dual = W.T / np.sqrt(np.sum(W * W)) - M / np.sqrt(np.sum(M * M))
    disagree = 0
    for i in range(n):
        scores = [W[c] @ X[:, i] + b[c] for c in range(C)]
        distances = [np.sum((X[:, i] - mu[c]) ** 2) for c in range(C)]
        disagree += int(np.argmax(scores) != np.argmin(distances))
    return {
        "nc1": np.trace(Sigma_W @ np.linalg.pinv(Sigma_B)) / C,
        "nc2_equinorm": np.sqrt(sum((v - mean_norm) ** 2 for v in norms) / C) / mean_norm,
        "nc2_equiangular": sum(gaps.values()) / (C * (C - 1)),
        "nc2_maxangle": sum(max(gaps[c, d] for d in range(C) if d != c) for c in range(C)) / C,
        "nc3": np.sum(dual**2),
        "nc4": disagree / n,
    }


#: Class sizes from 1 to 5 (so some classes have a single sample) for 2 to 5 classes, and a
#: feature dimension; with p >= C - 1 the class means span C - 1 directions almost surely.
unequal = st.tuples(st.lists(st.integers(1, 5), min_size=2, max_size=5), st.integers(1, 7))


@given(unequal, seeds)
def test_random_features_agree_with_a_loop_over_samples(size, seed):
    """Book: ``def-nc-statistics``, ``def-nc1`` to ``def-nc4``."""
    counts, p = size
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    X = rng.standard_normal((p, y.size))
    W = rng.standard_normal((len(counts), p))
    b = rng.standard_normal(len(counts))
    got = ufm.nc_metrics(X, y, W, b)
    want = slow_nc_metrics(X, y, W, b)
    for key in KEYS[:-1]:
        assert np.isclose(got[key], want[key], rtol=1e-8, atol=1e-12), (key, got[key], want[key])
    assert got["nc4"] == want["nc4"]


@given(st.integers(3, 6), st.integers(0, 4), st.floats(0.1, 10.0), seeds)
def test_exactly_collapsed_features_have_the_measures_of_collapse(C, extra, scale, seed):
    """Any simplex ETF of class means, in any position and size, with every sample at its
    class mean and a classifier proportional to the centred means, and any class sizes.

    Book: ``thm-collapse-is-nc`` (NC1–NC4 vanish at collapse).
    """
    rng = np.random.default_rng(seed)
    p = C - 1 + extra
    Q, _ = np.linalg.qr(rng.standard_normal((p, C - 1)))
    M = scale * Q @ ufm.simplex_basis(C).T  # p x C, a simplex ETF centred at 0
    shift = rng.standard_normal(p)
    counts = rng.integers(1, 6, size=C)
    y = rng.permutation(np.repeat(np.arange(C), counts))
    X = M[:, y] + shift[:, None]
    W = 2.5 * M.T
    b = -W @ shift  # the classifier of the shifted features
    m = ufm.nc_metrics(X, y, W, b)
    assert m["nc1"] < 1e-24  # rounding of the class means of shifted features
    for key in ("nc2_equinorm", "nc2_equiangular", "nc2_maxangle", "nc3"):
        assert m[key] < 1e-12, (key, m[key])
    assert m["nc4"] == 0.0


def test_the_global_mean_is_the_mean_of_the_class_means_not_of_the_samples():
    """With 1 and 100 samples per class, the sample mean is pulled towards the big class;
    the measures use the mean of the class means, so an ETF of means still scores 0.

    Book: ``def-nc-statistics`` (the global mean), ``def-nc2``.
    """
    M = ufm.simplex_basis(3).T  # 2 x 3
    y = np.repeat([0, 1, 2], [1, 100, 10])
    m = ufm.nc_metrics(M[:, y], y, M.T)
    assert m["nc2_equinorm"] < 1e-12 and m["nc2_equiangular"] < 1e-12 and m["nc3"] < 1e-12
    sample_mean = M[:, y].mean(axis=1)
    norms = np.linalg.norm(M - sample_mean[:, None], axis=0)
    assert norms.std() / norms.mean() > 0.5  # what a sample-mean convention would report


def test_within_class_covariance_is_averaged_over_all_samples():
    """Doubling every sample of one class leaves the class means but changes Σ_W's
    weights: the class with more samples counts more, as in Papyan, Han and Donoho.

    Book: ``def-nc-statistics`` (the within-class covariance), ``def-nc1``.
    """
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 9))
    y = np.repeat([0, 1, 2], 3)
    doubled = np.hstack([X, X[:, :3]])
    labels = np.r_[y, [0, 0, 0]]
    direct = slow_nc_metrics(doubled, labels, np.eye(3), np.zeros(3))["nc1"]
    assert np.isclose(ufm.nc_metrics(doubled, labels)["nc1"], direct, rtol=1e-10)
    assert not np.isclose(ufm.nc_metrics(X, y)["nc1"], direct, rtol=1e-3)


def test_a_class_with_a_single_sample_is_handled_like_any_other():
    """Book: ``def-nc1`` to ``def-nc4``."""
    rng = np.random.default_rng(1)
    y = np.array([1, 0, 1, 1, 2, 2])
    X = rng.standard_normal((4, 6))
    W = rng.standard_normal((3, 4))
    got = ufm.nc_metrics(X, y, W)
    want = slow_nc_metrics(X, y, W, np.zeros(3))
    for key in KEYS:
        assert np.isclose(got[key], want[key], rtol=1e-10), key
    single = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, -1.0]])
    assert ufm.nc_metrics(single, [0, 1, 2])["nc1"] == 0.0  # every class a single sample


@given(unequal, seeds, st.floats(0.01, 100.0))
def test_measures_ignore_sample_order_and_the_scale_of_features_and_classifier(size, seed, a):
    counts, p = size
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(counts)), counts)
    X = rng.standard_normal((p, y.size))
    W = rng.standard_normal((len(counts), p))
    base = ufm.nc_metrics(X, y, W)
    order = rng.permutation(y.size)
    shuffled = ufm.nc_metrics(X[:, order], y[order], W)
    scaled = ufm.nc_metrics(a * X, y, W / a)
    for key in KEYS[:-1]:
        assert np.isclose(shuffled[key], base[key], rtol=1e-9, atol=1e-13), key
        assert np.isclose(scaled[key], base[key], rtol=1e-8, atol=1e-12), key
    assert shuffled["nc4"] == base["nc4"]


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((np.ones((2, 4)), [0, 1, 1]), ValueError, r"labels has shape \(3,\); expected \(4,\)"),
        ((np.ones((2, 3)), [0.0, 1.5, 1.0]), TypeError, r"labels must be integers"),
        ((np.ones((2, 3)), ["a", "b", "b"]), TypeError, r"labels must be integers"),
        ((np.ones((2, 3)), [0, 1, 3], np.ones((3, 2))), ValueError, r"labels must lie in 0, …, 2"),
        ((np.ones((2, 3)), [-1, 0, 1]), ValueError, r"labels must lie in 0, …, 1"),
        ((np.ones((2, 3)), [0, 0, 0]), ValueError, r"there are C = 1 classes; expected at least 2"),
        (
            (np.ones((2, 3)), [0, 1, 1], np.ones((2, 3))),
            ValueError,
            r"W has 3 columns; expected p = 2",
        ),
        (
            (np.eye(2), [0, 1], np.eye(2), np.ones(3)),
            ValueError,
            r"b has 3 entries; expected C = 2",
        ),
        ((np.eye(2), [0, 1], np.zeros((2, 2))), ValueError, r"W is zero"),
        ((np.ones((2, 4)), [0, 0, 1, 1]), ValueError, r"class means all coincide"),
        ((np.full((2, 2), np.nan), [0, 1]), ValueError, r"features has NaN or infinite entries"),
        ((np.ones(3), [0, 1, 1]), ValueError, r"features must be a 2-dimensional array"),
    ],
)
def test_malformed_input_is_refused_with_a_message(args, error, message):
    with pytest.raises(error, match=message):
        ufm.nc_metrics(*args)


def test_a_class_mean_at_the_global_mean_is_refused_for_its_cosines():
    X = np.array([[1.0, -1.0, 0.0]])
    with pytest.raises(ValueError, match="a class mean of the features equals the global mean"):
        ufm.nc_metrics(X, [0, 1, 2])
