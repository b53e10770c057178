"""The variants of NC1–NC4 that ufm.nc_metrics(..., variants=True) adds, and ufm.ncc_mismatch.

Each variant agrees with a slow loop written straight from its formula on random features
with unequal classes; each is 0 at exactly collapsed features (the mean cosine of NC3 and
the NC4 agreement are 1 there; the bias term is 1/sqrt(C) at the book's strong collapse);
they ignore the order of the samples and the scale of features and classifier; the default
keys are unchanged. ufm.ncc_mismatch, the nearest class mean of held-out samples, agrees
with a loop and, on the training samples, with NC4. The accumulator's variants are checked
in tests/test_streaming.py.

Book labels: ``def-nc1`` to ``def-nc4`` (book/observed.ipynb), ``thm-collapse-is-nc``
(book/results.ipynb).
"""

import itertools

import numpy as np
import pytest
from conftest import collapsible_sizes, seeds
from hypothesis import given
from hypothesis import strategies as st

import ufm

BASE = ("nc1", "nc2_equinorm", "nc2_equiangular", "nc2_maxangle")
WITHOUT_W = ("nc1_trace_ratio", "nc1_cdnv", "nc2_cos_std", "nc2_etf")
WITH_W = (
    "nc2_equinorm_W",
    "nc2_equiangular_W",
    "nc2_cos_std_W",
    "nc2_etf_W",
    "nc3_etf",
    "nc3_cos_mean",
    "nc4_agreement",
)
#: Every variant key, in the order nc_metrics gives them.
VARIANTS = (*WITHOUT_W, *WITH_W, "bias_collapse")


def cos(u, v):
    return u @ v / np.sqrt((u @ u) * (v @ v))


def slow_variants(X, y, W, b):
    """The formulas of the variants, one sample, class and pair of classes at a time."""
    p, n = X.shape
    C = W.shape[0]
    members = [[i for i in range(n) if y[i] == c] for c in range(C)]
    mu = [sum(X[:, i] for i in members[c]) / len(members[c]) for c in range(C)]
    mu_G = sum(mu) / C
    m = [mu[c] - mu_G for c in range(C)]
    var = [
        sum(np.sum((X[:, i] - mu[c]) ** 2) for i in members[c]) / len(members[c]) for c in range(C)
    ]
    trace_W = sum(np.sum((X[:, i] - mu[y[i]]) ** 2) for i in range(n)) / n
    trace_B = sum(m[c] @ m[c] for c in range(C)) / C
    pairs = list(itertools.combinations(range(C), 2))
    cdnv = [(var[c] + var[d]) / (2 * np.sum((mu[c] - mu[d]) ** 2)) for c, d in pairs]
    cos_M = [cos(m[c], m[d]) for c, d in pairs]
    cos_W = [cos(W[c], W[d]) for c, d in pairs]
    norms_W = [np.sqrt(W[c] @ W[c]) for c in range(C)]
    mean_norm = sum(norms_W) / C
    P = np.eye(C) - np.ones((C, C)) / C

    def etf(G):
        return np.sqrt(np.sum((G / np.sqrt(np.sum(G**2)) - P / np.sqrt(np.sum(P**2))) ** 2))

    Mmat = np.column_stack(m)
    disagree = 0
    for i in range(n):
        scores = [W[c] @ X[:, i] + b[c] for c in range(C)]
        distances = [np.sum((X[:, i] - mu[c]) ** 2) for c in range(C)]
        disagree += int(np.argmax(scores) != np.argmin(distances))
    return {
        "nc1_trace_ratio": trace_W / trace_B,
        "nc1_cdnv": sum(cdnv) / len(pairs),
        "nc2_cos_std": np.sqrt(sum((v - np.mean(cos_M)) ** 2 for v in cos_M) / len(pairs)),
        "nc2_etf": etf(Mmat.T @ Mmat),
        "nc2_equinorm_W": np.sqrt(sum((v - mean_norm) ** 2 for v in norms_W) / C) / mean_norm,
        "nc2_equiangular_W": sum(abs(v + 1 / (C - 1)) for v in cos_W) / len(pairs),
        "nc2_cos_std_W": np.sqrt(sum((v - np.mean(cos_W)) ** 2 for v in cos_W) / len(pairs)),
        "nc2_etf_W": etf(W @ W.T),
        "nc3_etf": etf(W @ Mmat),
        "nc3_cos_mean": sum(cos(W[c], m[c]) for c in range(C)) / C,
        "bias_collapse": np.sqrt(np.sum((W @ mu_G + b) ** 2)),
        "nc4_agreement": 1 - disagree / n,
    }


#: Class sizes 1 to 5 (some classes of a single sample) for 2 to 5 classes; a dimension.
unequal = st.tuples(st.lists(st.integers(1, 5), min_size=2, max_size=5), st.integers(1, 7))


def random_problem(counts, p, seed):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    X = rng.standard_normal((p, y.size))
    W = rng.standard_normal((len(counts), p))
    b = rng.standard_normal(len(counts))
    return X, y, W, b


@given(unequal, seeds)
def test_each_variant_agrees_with_a_loop_over_its_formula(size, seed):
    X, y, W, b = random_problem(*size, seed)
    got = ufm.nc_metrics(X, y, W, b, variants=True)
    want = slow_variants(X, y, W, b)
    for key in VARIANTS:
        assert np.isclose(got[key], want[key], rtol=1e-9, atol=1e-12), (key, got[key], want[key])


def test_variants_are_opt_in_and_need_what_they_measure():
    """The default keys are those of before; keys that need W (or W and b) are absent
    without them."""
    X, y, W, b = random_problem([3, 4, 2], 4, 0)
    assert tuple(ufm.nc_metrics(X, y)) == BASE
    assert tuple(ufm.nc_metrics(X, y, W, b)) == (*BASE, "nc3", "nc4")
    assert set(ufm.nc_metrics(X, y, variants=True)) == {*BASE, *WITHOUT_W}
    assert set(ufm.nc_metrics(X, y, b=b, variants=True)) == {*BASE, *WITHOUT_W}
    with_W = {*BASE, "nc3", "nc4", *WITHOUT_W, *WITH_W}
    assert set(ufm.nc_metrics(X, y, W, variants=True)) == with_W
    full = ufm.nc_metrics(X, y, W, b, variants=True)
    assert set(full) == with_W | {"bias_collapse"}
    assert all(type(v) is float for v in full.values())
    for key, value in ufm.nc_metrics(X, y, W, b).items():
        assert full[key] == value  # the variants leave the default keys unchanged
    assert full["nc4_agreement"] == 1 - full["nc4"]


@given(st.integers(3, 6), st.integers(0, 4), st.floats(0.1, 10.0), seeds)
def test_every_variant_vanishes_at_exactly_collapsed_features(C, extra, scale, seed):
    """A simplex ETF of class means in any position and size, every sample at its class
    mean, unequal classes, a classifier proportional to the centred means and the bias that
    makes W μ_G + b = 0.

    Book: ``thm-collapse-is-nc``.
    """
    rng = np.random.default_rng(seed)
    p = C - 1 + extra
    Q, _ = np.linalg.qr(rng.standard_normal((p, C - 1)))
    M = scale * Q @ ufm.simplex_basis(C).T
    shift = rng.standard_normal(p)
    y = rng.permutation(np.repeat(np.arange(C), rng.integers(1, 6, size=C)))
    W = 2.5 * M.T
    m = ufm.nc_metrics(M[:, y] + shift[:, None], y, W, -W @ shift, variants=True)
    assert m["nc1_trace_ratio"] < 1e-24 and m["nc1_cdnv"] < 1e-24  # rounding of the means
    for key in (*WITHOUT_W[2:], *WITH_W[:5]):
        assert m[key] < 1e-12, (key, m[key])
    assert abs(m["nc3_cos_mean"] - 1) < 1e-12
    assert m["bias_collapse"] < 1e-12 * (1 + np.abs(W @ shift).max())
    assert m["nc4_agreement"] == 1.0


@given(collapsible_sizes.filter(lambda s: s[0] >= 3), seeds)
def test_at_strong_collapse_the_variants_vanish_and_the_bias_term_is_that_of_the_mean_target(
    size, seed
):
    """At strong collapse ``μ_G = 0`` and ``b = 1_C/C``, so ``||W μ_G + b|| = 1/sqrt(C)``.

    Book: ``def-strong-collapse``, ``thm-collapse-is-nc``.
    """
    C, N, p = size
    H, W, b = ufm.strong_collapse(C, N, p, seed=seed)
    m = ufm.nc_metrics(H, np.repeat(np.arange(C), N), W, b, variants=True)
    for key in (*WITHOUT_W, *WITH_W[:5]):
        assert m[key] < 1e-12, (key, m[key])
    assert abs(m["nc3_cos_mean"] - 1) < 1e-12
    assert np.isclose(m["bias_collapse"], 1 / np.sqrt(C), rtol=1e-12)
    assert m["nc4_agreement"] == 1.0


@given(unequal, seeds, st.floats(0.01, 100.0), st.floats(0.01, 100.0))
def test_variants_ignore_sample_order_scale_and_shift(size, seed, a, w):
    """Order of the samples: every key. Features times ``a``, ``W`` times ``w`` and ``b``
    times ``a w`` (so that the decisions stay): every key but the bias term, which is
    multiplied by ``a w``. A common shift ``s`` of the features with ``b - W s``: every key.
    """
    X, y, W, b = random_problem(*size, seed)
    base = ufm.nc_metrics(X, y, W, b, variants=True)
    order = np.random.default_rng(seed).permutation(y.size)
    shift = np.random.default_rng(seed + 1).standard_normal(X.shape[0])
    shuffled = ufm.nc_metrics(X[:, order], y[order], W, b, variants=True)
    scaled = ufm.nc_metrics(a * X, y, w * W, a * w * b, variants=True)
    shifted = ufm.nc_metrics(X + shift[:, None], y, W, b - W @ shift, variants=True)
    for key in VARIANTS:
        assert np.isclose(shuffled[key], base[key], rtol=1e-9, atol=1e-12), key
        factor = a * w if key == "bias_collapse" else 1.0
        assert np.isclose(scaled[key], factor * base[key], rtol=1e-8, atol=1e-12), key
        if key != "nc4_agreement":  # rounding may move a sample across a decision boundary
            assert np.isclose(shifted[key], base[key], rtol=1e-7, atol=1e-10), key


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.array([[0.0, 2.0, 1.0, 1.0, 5.0]]), [0, 0, 1, 1, 2]), r"classes 0 and 1 have "),
        ((np.eye(3), [0, 1, 2], np.array([[1.0, 0, 0], [0, 0, 0], [0, 0, 1]])), r"row 1 of W"),
        ((np.eye(3), [0, 1, 2], np.ones((3, 3))), r"W M is zero up to rounding"),
    ],
)
def test_variants_refuse_what_they_cannot_measure(args, message):
    ufm.nc_metrics(*args)  # the default keys are defined
    with pytest.raises(ValueError, match=message):
        ufm.nc_metrics(*args, variants=True)


# --- ufm.ncc_mismatch --------------------------------------------------------------------


def slow_ncc(X, y, means, W, b):
    C = means.shape[1]
    ncc = [
        int(np.argmin([np.sum((X[:, i] - means[:, c]) ** 2) for c in range(C)]))
        for i in range(y.size)
    ]
    net = [int(np.argmax([W[c] @ X[:, i] + b[c] for c in range(C)])) for i in range(y.size)]
    return np.mean(np.array(ncc) != net), np.mean(np.array(ncc) == y)


@pytest.mark.parametrize("layout", ["samples_by_features", "features_by_samples"])
@pytest.mark.parametrize(("C", "p"), [(2, 1), (3, 5), (6, 2)])
def test_ncc_mismatch_on_held_out_samples_agrees_with_a_loop(layout, C, p):
    rng = np.random.default_rng(C * 10 + p)
    means = 2.0 * rng.standard_normal((p, C))
    y = rng.integers(0, C, 57)
    X = means[:, y] + rng.standard_normal((p, y.size))
    W = means.T + rng.standard_normal((C, p))
    b = rng.standard_normal(C)
    features = X.T if layout == "samples_by_features" else X
    got = ufm.ncc_mismatch(features, y, means, W, b, layout=layout)
    mismatch, accuracy = slow_ncc(X, y, means, W, b)
    assert got == {"mismatch": mismatch, "ncc_accuracy": accuracy}
    assert 0 < got["mismatch"] < 1 and 0 < got["ncc_accuracy"] <= 1
    without_b = ufm.ncc_mismatch(features, y, means, W, layout=layout)
    assert without_b["mismatch"] == slow_ncc(X, y, means, W, np.zeros(C))[0]


def test_on_the_training_samples_ncc_mismatch_is_nc4():
    rng = np.random.default_rng(3)
    for seed, (C, p, n) in enumerate([(3, 4, 40), (5, 2, 90), (4, 8, 33)]):
        X, y, W, b = random_problem(np.bincount(np.arange(n) % C), p, seed)
        acc = ufm.NCAccumulator(C, p, layout="features_by_samples").update(X, y)
        got = ufm.ncc_mismatch(X, y, acc.means, W, b, layout="features_by_samples")
        assert got["mismatch"] == ufm.nc_metrics(X, y, W, b)["nc4"]
        assert got["ncc_accuracy"] == slow_ncc(X, y, acc.means, W, b)[1]
        order = rng.permutation(n)
        again = ufm.ncc_mismatch(
            X[:, order].T, y[order], acc.means, W, b, layout="samples_by_features"
        )
        assert again == got


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"layout": "rows"}, ValueError, "layout"),
        ({"layout": None}, TypeError, "layout"),
        ({"features": np.ones((3, 5))}, ValueError, r"features has shape \(3, 5\)"),
        ({"features": np.zeros((2, 0)), "labels": []}, ValueError, "features has no sample"),
        ({"labels": [0, 1]}, ValueError, "labels has shape"),
        ({"labels": [0, 1, 3, 0]}, ValueError, r"labels must lie in 0, …, 2"),
        ({"means": np.ones((2, 1))}, ValueError, "means has 1 column"),
        ({"means": np.full((2, 3), np.nan)}, ValueError, "means has NaN"),
        ({"W": np.ones((3, 3))}, ValueError, r"W has shape \(3, 3\); expected \(C, p\)"),
        ({"b": np.ones(2)}, ValueError, "b has 2 entries"),
    ],
)
def test_ncc_mismatch_refuses_malformed_input_naming_it(kwargs, error, message):
    args = {
        "features": np.arange(8.0).reshape(2, 4),
        "labels": [0, 1, 2, 0],
        "means": np.eye(2, 3),
        "W": np.eye(3, 2),
        "b": None,
        "layout": "features_by_samples",
    } | kwargs
    with pytest.raises(error, match=message):
        ufm.ncc_mismatch(**args)
