"""Strong neural collapse, its errors, and the NC1–NC4 measures.

Book labels checked here: ``def-strong-collapse``, ``lem-interpolation`` (book/model.ipynb);
``lem-existence``, ``thm-collapse-is-nc`` (book/results.ipynb); ``def-nc-statistics``,
``def-nc1``, ``def-nc2``, ``def-nc3``, ``def-nc4`` (book/observed.ipynb).
"""

import numpy as np
import pytest
from conftest import collapsible_sizes, labels_of, random_state, seeds, sizes
from hypothesis import given

import ufm


@given(collapsible_sizes, seeds)
def test_strong_collapse_point_satisfies_its_three_conditions(size, seed):
    """Book: ``def-strong-collapse``, and the family of ``lem-existence``."""
    C, N, p = size
    for s in (None, seed):
        H, W, b = ufm.strong_collapse(C, N, p, seed=s)
        np.testing.assert_allclose(W @ W.T, np.sqrt(N) * ufm.centering(C), atol=1e-12)
        np.testing.assert_allclose(H, np.repeat(W.T, N, axis=1) / np.sqrt(N), atol=1e-14)
        np.testing.assert_allclose(b, np.full(C, 1 / C))
        assert np.all(ufm.strong_collapse_errors(H, W, b) < 1e-12)


@given(collapsible_sizes, seeds)
def test_strong_collapse_interpolates_so_has_zero_risk(size, seed):
    """Book: ``lem-interpolation`` (and the zero risk of ``thm-collapse-is-nc``)."""
    H, W, b = ufm.strong_collapse(*size, seed=seed)
    C, N, _ = size
    np.testing.assert_allclose(W @ H + b[:, None], ufm.targets(C, N), atol=1e-12)
    assert ufm.risk(H, W, b) < 1e-24


@given(collapsible_sizes.filter(lambda s: s[0] >= 3), seeds)
def test_strong_collapse_has_the_nc_statistics_of_a_simplex_etf(size, seed):
    """Book: ``thm-collapse-is-nc`` (NC1–NC4, ``def-nc1`` to ``def-nc4``)."""
    C, N, p = size
    H, W, b = ufm.strong_collapse(C, N, p, seed=seed)
    m = ufm.nc_metrics(H, labels_of(C, N), W, b)
    assert set(m) == {"nc1", "nc2_equinorm", "nc2_equiangular", "nc2_maxangle", "nc3", "nc4"}
    for key in ("nc1", "nc2_equinorm", "nc2_equiangular", "nc2_maxangle", "nc3"):
        assert m[key] < 1e-12, key
    assert m["nc4"] == 0.0


def test_canonical_point_is_a_simplex_in_the_first_coordinates():
    """Book: ``lem-existence`` (``W = N^{1/4} U Q^T`` with Q the first columns of I)."""
    H, W, b = ufm.strong_collapse(4, 9, 6)
    assert not W[:, 3:].any()
    np.testing.assert_allclose(W, 9**0.25 * np.c_[ufm.simplex_basis(4), np.zeros((4, 3))])


def test_no_strong_collapse_when_p_is_below_C_minus_1():
    """Book: ``lem-existence`` (no point when ``p < C - 1``)."""
    with pytest.raises(ValueError, match=r"p = 2 < C - 1 = 4"):
        ufm.strong_collapse(5, 3, 2)


@given(sizes, seeds)
def test_strong_collapse_errors_match_their_definitions(size, seed):
    """Book: ``def-strong-collapse`` (its three errors)."""
    C, N, p = size
    H, W, b = random_state(C, N, p, seed)
    e = ufm.strong_collapse_errors(H, W, b)
    assert e.shape == (3,)
    want = [
        np.linalg.norm(W @ W.T - np.sqrt(N) * (np.eye(C) - 1 / C)),
        np.linalg.norm(H - np.kron(W, np.ones((N, 1))).T / np.sqrt(N)) / np.linalg.norm(H),
        np.linalg.norm(b - 1 / C),
    ]
    np.testing.assert_allclose(e, want, rtol=1e-10)


def test_relative_error_of_zero_features_is_refused():
    H, W, b = ufm.random_init(3, 2, 4, 1.0, seed=0)
    with pytest.raises(ValueError, match="H is zero"):
        ufm.strong_collapse_errors(np.zeros_like(H), W, b)


@given(sizes.filter(lambda s: s[0] >= 3), seeds)
def test_nc_metrics_agree_with_a_loop_over_samples(size, seed):
    """Book: ``def-nc-statistics``, ``def-nc1`` to ``def-nc4``."""
    C, N, p = size
    X, W, b = random_state(C, N + 1, p, seed)
    rng = np.random.default_rng(seed)
    y = rng.permutation(labels_of(C, N + 1))
    m = ufm.nc_metrics(X, y, W, b)

    mu = np.array([X[:, y == c].mean(axis=1) for c in range(C)]).T
    muG = mu.mean(axis=1)
    M = mu - muG[:, None]
    SW = sum(np.outer(X[:, i] - mu[:, y[i]], X[:, i] - mu[:, y[i]]) for i in range(len(y))) / len(y)
    SB = sum(np.outer(M[:, c], M[:, c]) for c in range(C)) / C
    assert np.isclose(m["nc1"], np.trace(SW @ np.linalg.pinv(SB)) / C, rtol=1e-8)
    norms = [np.linalg.norm(M[:, c]) for c in range(C)]
    assert np.isclose(m["nc2_equinorm"], np.std(norms) / np.mean(norms), rtol=1e-10)
    gaps = [
        [abs(M[:, c] @ M[:, d] / (norms[c] * norms[d]) + 1 / (C - 1)) for d in range(C) if d != c]
        for c in range(C)
    ]
    assert np.isclose(m["nc2_equiangular"], np.mean(gaps), rtol=1e-10)
    assert np.isclose(m["nc2_maxangle"], np.mean([max(g) for g in gaps]), rtol=1e-10)
    dual = W.T / np.linalg.norm(W) - M / np.linalg.norm(M)
    assert np.isclose(m["nc3"], np.sum(dual**2), rtol=1e-10)
    disagree = [
        np.argmax(W @ X[:, i] + b)
        != np.argmin([np.linalg.norm(X[:, i] - mu[:, c]) for c in range(C)])
        for i in range(len(y))
    ]
    assert m["nc4"] == np.mean(disagree)


def test_nc_metrics_without_W_omit_nc3_and_nc4():
    H, W, b = ufm.strong_collapse(3, 2, 4)
    assert set(ufm.nc_metrics(H, labels_of(3, 2))) == {
        "nc1",
        "nc2_equinorm",
        "nc2_equiangular",
        "nc2_maxangle",
    }


def test_nc4_uses_zero_bias_when_b_is_not_given():
    X = np.array([[1.0, 1.1, -1.0, -1.2]])
    y = np.array([0, 0, 1, 1])
    W = np.array([[1.0], [-1.0]])
    assert ufm.nc_metrics(X, y, W)["nc4"] == 0.0
    assert ufm.nc_metrics(X, y, W, b=np.array([0.0, 5.0]))["nc4"] == 0.5


def test_nc_metrics_refuse_an_empty_class():
    with pytest.raises(ValueError, match=r"classes \[1\] have no sample"):
        ufm.nc_metrics(np.ones((2, 3)), [0, 2, 2])
