"""The conventions table (ufm/conventions.py, shown in book/measure.ipynb) holds numerically,
and ufm avoids each pitfall it lists.

Each project's measures are transcribed below into numpy, line by line from its code (the
file and function are named in each docstring; ``torch.std`` becomes ``ddof=1``,
``scipy.sparse.linalg.svds`` is called as the notebook calls it). The tests check every
relation of the table on random features with classes of unequal sizes (or equal sizes,
where the table says the relation needs them), and, for each pitfall, build the case where
the project's convention gives a different number and check that ufm gives the documented
one.
"""

import re
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
from scipy.sparse.linalg import svds

import ufm
from ufm import conventions

ROOT = Path(__file__).resolve().parents[1]
RTOL = 1e-9


def problem(seed, sizes, p, spread=0.6):
    """Features ``(p, n)`` with ``sizes[c]`` samples of class ``c`` (shuffled), labels, a
    classifier and its bias."""
    rng = np.random.default_rng(seed)
    C = len(sizes)
    centres = rng.standard_normal((p, C)) + 0.5  # a common offset: μ_G is not 0
    y = rng.permutation(np.repeat(np.arange(C), sizes))
    H = centres[:, y] + spread * rng.standard_normal((p, y.size))
    W = centres.T + 0.4 * rng.standard_normal((C, p))
    b = 0.3 * rng.standard_normal(C)
    return H, y, W, b


def class_means(H, y, C):
    return np.column_stack([H[:, y == c].mean(axis=1) for c in range(C)])


def close(a, b, rtol=RTOL):
    return abs(a - b) <= rtol * max(abs(a), abs(b))


# The notebook that accompanies Papyan, Han and Donoho (2020):
# neuralcollapse/neuralcollapse, neuralcollapse.ipynb, function ``analysis``.


def papyan_analysis(H, y, W, b):
    """neuralcollapse.ipynb: analysis. ``M`` the class means (``mean[c] /= N[c]``), ``Sw``
    over all samples, ``muG = torch.mean(M, dim=1)``, ``Sb = M_ M_^T / C``; the NCC
    decision against the network's output, which includes the bias."""
    C = W.shape[0]
    M = class_means(H, y, C)
    Z = H - M[:, y]
    Sw = Z @ Z.T / y.size
    muG = M.mean(axis=1, keepdims=True)
    M_ = M - muG
    Sb = M_ @ M_.T / C
    M_norms = np.linalg.norm(M_, axis=0)
    W_norms = np.linalg.norm(W.T, axis=0)
    eigvec, eigval, _ = svds(Sb, k=C - 1)
    inv_Sb = eigvec @ np.diag(eigval ** (-1)) @ eigvec.T

    def coherence(V):
        G = V.T @ V
        G += np.ones((C, C)) / (C - 1)
        G -= np.diag(np.diag(G))
        return np.abs(G).sum() / (C * (C - 1))  # torch.norm(G, 1): the entries' 1-norm

    net_pred = np.argmax(W @ H + b[:, None], axis=0)
    NCC_pred = np.array([np.argmin(np.linalg.norm(h[:, None] - M, axis=0)) for h in H.T])
    return {
        "Sw_invSb": np.trace(Sw @ inv_Sb),
        "norm_M_CoV": np.std(M_norms, ddof=1) / np.mean(M_norms),
        "norm_W_CoV": np.std(W_norms, ddof=1) / np.mean(W_norms),
        "W_M_dist": np.linalg.norm(W.T / np.linalg.norm(W) - M_ / np.linalg.norm(M_)) ** 2,
        "cos_M": coherence(M_ / M_norms),
        "cos_W": coherence(W.T / W_norms),
        "NCC_mismatch": 1 - np.mean(NCC_pred == net_pred),
    }


# rhubarbwu/neural-collapse (commit c05a0b8): rows are classes, ``M`` is (K, D).

EPS = np.finfo(np.float64).eps  # the accumulators' dtype, float64 here


def rhubarbwu_means(H, y, C, weighted=False):
    """accumulate.py: MeanAccumulator.accumulate and Accumulator.compute."""
    ns = np.bincount(y, minlength=C).astype(float)
    totals = np.zeros((C, H.shape[0]))
    np.add.at(totals, y, H.T)
    avg = totals / (ns + EPS)[:, None]
    avg_G = ns @ avg / (ns.sum() + EPS) if weighted else avg.mean(axis=0)
    return avg, avg_G


def rhubarbwu_covar(H, y, M):
    """accumulate.py: CovarAccumulator.accumulate and compute (``M`` the class means)."""
    diff = H.T - M[y]
    return diff.T @ diff / (y.size + EPS)


def rhubarbwu_var_norms(H, y, M):
    """accumulate.py: VarNormAccumulator.accumulate, then Accumulator.compute."""
    C = M.shape[0]
    totals = np.bincount(y, weights=np.sum((H.T - M[y]) ** 2, axis=1), minlength=C)
    return totals / (np.bincount(y, minlength=C) + EPS)


def covariance_ratio(V_intra, M, m_G, metric="pinv"):
    """measure.py: covariance_ratio."""
    K = M.shape[0]
    M_centred = M - m_G
    V_inter = M_centred.T @ M_centred / K
    if metric == "pinv":
        return np.trace(np.linalg.pinv(V_inter) @ V_intra) / K
    if metric == "svd":
        eig_vecs, eig_vals, _ = svds(V_inter, k=K - 1)
        inv_Sb = eig_vecs @ np.diag(eig_vals ** (-1)) @ eig_vecs.T
        return np.trace(V_intra @ inv_Sb) / K
    return np.trace(V_intra) / np.trace(V_inter)  # "quotient"


def variability_cdnv(V_norms, M):
    """measure.py: variability_cdnv, kernels.py: class_dist_norm_vars, util.py:
    symm_reduce (the mean over the pairs above the diagonal)."""
    K = M.shape[0]
    rows, cols = np.triu_indices(K, 1)
    grid = ((V_norms[rows] + V_norms[cols]) / 2) / np.sum((M[rows] - M[cols]) ** 2, axis=1)
    return grid.sum() / (K * (K - 1) / 2)


def structure_error(A, B):
    """measure.py: structure_error."""
    K = A.shape[0]
    struct = B @ A.T
    struct = struct / np.linalg.norm(struct)
    struct += 1 / K / np.sqrt(K - 1)
    struct[np.diag_indices(K)] -= 1 / np.sqrt(K - 1)
    return np.linalg.norm(struct)


def similarities_cos(W, M, m_G):
    """measure.py: similarities(..., cos=True)."""
    Mc = M - m_G
    return np.sum(W * Mc, axis=1) / (np.linalg.norm(W, axis=1) * np.linalg.norm(Mc, axis=1))


def clf_ncc_agreement(H, y, W, M, weighted=True):
    """accumulate.py: DecAccumulator.accumulate (manual NCC: no FAISS), then
    measure.py: clf_ncc_agreement. The linear decision is ``(X @ W.mT).argmax``."""
    C = W.shape[0]
    X = H.T
    dists = np.sum(X**2, axis=1)[:, None] + np.sum(M**2, axis=1)[None, :] - 2 * X @ M.T
    Y_ncc = dists.argmin(axis=-1)
    Y_lin = (X @ W.T).argmax(axis=-1)
    matches = np.bincount(y, weights=(Y_lin == Y_ncc).astype(float), minlength=C)
    ns = np.bincount(y, minlength=C).astype(float)
    rates = matches / (ns + EPS)
    return ns @ rates / (ns.sum() + EPS) if weighted else rates.mean()


# tding1/Neural-Collapse (commit 04ef586), validate_NC.py; ``mu_c`` is (p, K).


def tding1_info(H, y, C, counts=None):
    """validate_NC.py: compute_info. ``mu_G`` is the sum of all features over the number
    of samples; each class sum is divided by ``counts`` (the constants
    ``MNIST_TRAIN_SAMPLES`` or ``CIFAR10_TRAIN_SAMPLES`` there; the true sizes if None)."""
    counts = np.bincount(y, minlength=C) if counts is None else np.asarray(counts)
    sums = np.zeros((H.shape[0], C))
    np.add.at(sums.T, y, H.T)
    return H.sum(axis=1) / counts.sum(), sums / counts


def tding1_collapse_metric(H, y, mu_c, mu_G, n=None):
    """validate_NC.py: compute_Sigma_W, compute_Sigma_B and ``collapse_metric`` in main."""
    K = mu_c.shape[1]
    Z = H - mu_c[:, y]
    Sigma_W = Z @ Z.T / (y.size if n is None else n)
    M_ = mu_c - mu_G[:, None]
    Sigma_B = M_ @ M_.T / K
    return np.trace(Sigma_W @ scipy.linalg.pinv(Sigma_B)) / K


def tding1_etf(W):
    """validate_NC.py: compute_ETF."""
    K = W.shape[0]
    WWT = W @ W.T
    WWT /= np.linalg.norm(WWT)
    sub = (np.eye(K) - np.ones((K, K)) / K) / np.sqrt(K - 1)
    return np.linalg.norm(WWT - sub)


def tding1_w_h_relation(W, mu_c, mu_G):
    """validate_NC.py: compute_W_H_relation."""
    K = W.shape[0]
    WH = W @ (mu_c - mu_G[:, None])
    WH /= np.linalg.norm(WH)
    sub = (np.eye(K) - np.ones((K, K)) / K) / np.sqrt(K - 1)
    return np.linalg.norm(WH - sub)


def tding1_wh_b_relation(W, mu_G, b):
    """validate_NC.py: compute_Wh_b_relation."""
    return np.linalg.norm(W @ mu_G + b)


# The table's relations.


@pytest.mark.parametrize("seed", range(4))
def test_the_notebooks_measures_are_ufms_as_the_table_says(seed):
    H, y, W, b = problem(seed, [9, 14, 6, 11], p=7)
    C = W.shape[0]
    ours = ufm.nc_metrics(H, y, W, b, variants=True)
    theirs = papyan_analysis(H, y, W, b)
    torch_std = np.sqrt(C / (C - 1))  # torch.std divides by C - 1, ufm by C
    assert close(theirs["Sw_invSb"], C * ours["nc1"])  # no 1/C
    assert close(theirs["norm_M_CoV"], torch_std * ours["nc2_equinorm"])
    assert close(theirs["norm_W_CoV"], torch_std * ours["nc2_equinorm_W"])
    assert close(theirs["cos_M"], ours["nc2_equiangular"])
    assert close(theirs["cos_W"], ours["nc2_equiangular_W"])
    assert close(theirs["W_M_dist"], ours["nc3"])
    assert close(theirs["NCC_mismatch"], ours["nc4"])
    assert close(1 - theirs["NCC_mismatch"], ours["nc4_agreement"])


@pytest.mark.parametrize("seed", range(4))
def test_rhubarbwus_measures_are_ufms_as_the_table_says(seed):
    H, y, W, b = problem(seed, [9, 14, 6, 11], p=7)
    C = W.shape[0]
    ours = ufm.nc_metrics(H, y, W, b, variants=True)
    means, mG = rhubarbwu_means(H, y, C)
    assert np.allclose(mG, class_means(H, y, C).mean(axis=1), rtol=RTOL, atol=0)
    weighted_mG = rhubarbwu_means(H, y, C, weighted=True)[1]
    assert np.allclose(weighted_mG, H.mean(axis=1), rtol=RTOL, atol=0)  # the sample mean
    covar = rhubarbwu_covar(H, y, means)
    assert close(covariance_ratio(covar, means, mG), ours["nc1"])
    assert close(covariance_ratio(covar, means, mG, "svd"), ours["nc1"])  # full rank here
    assert close(covariance_ratio(covar, means, mG, "quotient"), ours["nc1_trace_ratio"])
    assert close(variability_cdnv(rhubarbwu_var_norms(H, y, means), means), ours["nc1_cdnv"])
    norms = np.linalg.norm(means - mG, axis=1)  # mean_norms(means, mG)
    assert close(norms.std() / norms.mean(), ours["nc2_equinorm"])
    assert close(norms.std(ddof=1) / norms.mean(), np.sqrt(C / (C - 1)) * ours["nc2_equinorm"])
    assert close(structure_error(means - mG, means - mG), ours["nc2_etf"])
    assert close(structure_error(means - mG, W), ours["nc3_etf"])
    assert close(similarities_cos(W, means, mG).mean(), ours["nc3_cos_mean"])
    # Without a bias, the agreement is 1 - nc4 (per sample; the bias case is a pitfall).
    unbiased = ufm.nc_metrics(H, y, W, variants=True)
    assert close(clf_ncc_agreement(H, y, W, means), unbiased["nc4_agreement"])
    # On held-out samples with the training means (its example): 1 - ncc_mismatch.
    H2, y2, _, _ = problem(seed + 100, [5, 8, 7, 4], p=7)
    held_out = ufm.ncc_mismatch(H2, y2, means.T, W, layout="features_by_samples")
    assert close(clf_ncc_agreement(H2, y2, W, means), 1 - held_out["mismatch"])


@pytest.mark.parametrize("seed", range(4))
def test_tding1s_measures_are_ufms_on_classes_of_equal_sizes(seed):
    H, y, W, b = problem(seed, [10, 10, 10, 10, 10], p=6)
    ours = ufm.nc_metrics(H, y, W, b, variants=True)
    mu_G, mu_c = tding1_info(H, y, W.shape[0])
    assert close(tding1_collapse_metric(H, y, mu_c, mu_G), ours["nc1"])
    assert close(tding1_etf(W), ours["nc2_etf_W"])
    assert close(tding1_w_h_relation(W, mu_c, mu_G), ours["nc3_etf"])
    assert close(tding1_wh_b_relation(W, mu_G, b), ours["bias_collapse"])


def test_the_projects_two_passes_give_the_accumulators_means_and_scatter():
    """The notebook's ``analysis`` (and the other two projects) take the means in a first
    pass over the loader and Σ_W with them in a second; NCAccumulator does it in one."""
    H, y, W, b = problem(5, [9, 14, 6, 11], p=7)
    C, p = W.shape
    batches = [slice(k, k + 8) for k in range(0, y.size, 8)]
    acc = ufm.NCAccumulator(C, p, layout="features_by_samples")
    N, total = np.zeros(C), np.zeros((p, C))
    for sl in batches:  # 'Mean'
        acc.update(H[:, sl], y[sl])
        np.add.at(total.T, y[sl], H[:, sl].T)
        N += np.bincount(y[sl], minlength=C)
    M = total / N
    Sw = np.zeros((p, p))
    for sl in batches:  # 'Cov'
        z = H[:, sl] - M[:, y[sl]]
        Sw += z @ z.T
    assert np.allclose(acc.means, M, rtol=RTOL, atol=1e-14)
    assert np.allclose(acc.scatter / acc.n, Sw / N.sum(), rtol=RTOL, atol=1e-14)
    second = acc.nc4_pass(W, b)
    for sl in batches:
        second.update(H[:, sl])
    assert close(second.result(), papyan_analysis(H, y, W, b)["NCC_mismatch"])


# The pitfalls.


def test_sigma_B_is_centred_at_the_mean_of_the_class_means_for_unequal_classes():
    """tding1: validate_NC.py: compute_info, compute_Sigma_B take μ_G as the sample mean."""
    H, y, W, b = problem(6, [40, 5, 25, 8], p=6)
    C = W.shape[0]
    ours = ufm.nc_metrics(H, y, W, b, variants=True)
    M = class_means(H, y, C)
    mean_of_means, sample_mean = M.mean(axis=1), H.mean(axis=1)
    assert np.linalg.norm(mean_of_means - sample_mean) > 0.1  # the two centres differ
    documented = tding1_collapse_metric(H, y, M, mean_of_means)
    with_sample_mean = tding1_collapse_metric(H, y, M, sample_mean)
    assert not close(documented, with_sample_mean, rtol=0.05)
    assert close(ours["nc1"], documented)
    acc = ufm.NCAccumulator(C, H.shape[0], layout="features_by_samples").update(H, y)
    assert close(acc.metrics(W, b)["nc1"], documented)
    assert close(ours["nc3_etf"], tding1_w_h_relation(W, M, mean_of_means))
    assert not close(ours["nc3_etf"], tding1_w_h_relation(W, M, sample_mean), rtol=1e-3)
    assert close(ours["bias_collapse"], tding1_wh_b_relation(W, mean_of_means, b))
    assert not close(ours["bias_collapse"], tding1_wh_b_relation(W, sample_mean, b), rtol=1e-3)


def test_nc4_decides_with_the_bias():
    """rhubarbwu: accumulate.py: DecAccumulator.accumulate decides by (X @ W.mT).argmax.

    The classifier ``W h + b`` with ``w_c`` near ``μ_c`` and ``b_c = -||w_c||^2/2`` ranks
    the classes by ``-||h - w_c||^2/2``: it nearly agrees with the nearest class mean, and
    only with its bias."""
    rng = np.random.default_rng(7)
    C, p = 6, 8
    centres = rng.standard_normal((p, C)) * np.linspace(1, 4, C)  # means of unequal norms
    y = np.repeat(np.arange(C), 30)
    H = centres[:, y] + 0.3 * rng.standard_normal((p, y.size))
    W = centres.T + 0.05 * rng.standard_normal((C, p))
    b = -0.5 * np.sum(W * W, axis=1)
    ours = ufm.nc_metrics(H, y, W, b, variants=True)
    without_bias = 1 - clf_ncc_agreement(H, y, W, class_means(H, y, C).T)
    assert ours["nc4"] < 0.05 < 0.3 < without_bias
    assert close(ours["nc4"], papyan_analysis(H, y, W, b)["NCC_mismatch"])
    held = ufm.ncc_mismatch(H, y, class_means(H, y, C), W, b, layout="features_by_samples")
    assert held["mismatch"] == ours["nc4"]
    acc = ufm.NCAccumulator(C, p, layout="features_by_samples").update(H, y)
    assert acc.nc4_pass(W, b).update(H).result() == ours["nc4"]


def tding1_class_sums(batches):
    """validate_NC.py: compute_info's loop over the batches: the first sample of a class is
    stored as a view of its batch, and the later ones are added into it in place."""
    mu_c = {}
    for features, targets in batches:
        for i, c in enumerate(targets):
            if c not in mu_c:
                mu_c[c] = features[i, :]
            else:
                mu_c[c] += features[i, :]
    return mu_c


def refilled(rows, layout="samples_by_features"):
    """A loader that refills one feature buffer and one label buffer for every batch."""
    features_buffer = np.empty((10, rows[0][0].shape[1]))
    labels_buffer = np.empty(10, dtype=np.int64)
    for features, labels in rows:
        m = labels.size
        features_buffer[:m] = features
        labels_buffer[:m] = labels
        batch = features_buffer[:m]
        yield (batch if layout == "samples_by_features" else batch.T), labels_buffer[:m]


@pytest.mark.parametrize("layout", ["samples_by_features", "features_by_samples"])
def test_accumulator_keeps_no_reference_to_a_batch(layout):
    """tding1: validate_NC.py: compute_info keeps a view of a batch and writes into it; a
    loader that reuses its buffers then changes the sums already taken."""
    H, y, W, b = problem(8, [9, 14, 6, 11], p=5)
    C, p = W.shape
    rows = [(H[:, k : k + 10].T.copy(), y[k : k + 10].copy()) for k in range(0, y.size, 10)]
    # The pitfall is real: it writes into the batch, and a refilled buffer corrupts it.
    batch = rows[0][0].copy()
    tding1_class_sums([(batch, rows[0][1])])
    assert not np.array_equal(batch, rows[0][0])
    sums = tding1_class_sums(refilled(rows))
    truth = {c: H[:, y == c].sum(axis=1) for c in range(C)}
    assert not all(np.allclose(sums[c], truth[c]) for c in range(C))
    # ufm, fed by the same loader: the batches are left as they were, and every measure is
    # that of all the samples at once.
    acc = ufm.NCAccumulator(C, p, layout=layout)
    for features, labels in refilled(rows, layout):
        before = features.copy()
        acc.update(features, labels)
        assert np.array_equal(features, before)
    second = acc.nc4_pass(W, b)
    for features, labels in refilled(rows, layout):
        second.update(features, labels)
    out = {**acc.metrics(W, b), "nc4": second.result()}
    for key, value in ufm.nc_metrics(H, y, W, b).items():
        assert close(out[key], value, rtol=1e-10), key


def test_nc1_ignores_directions_the_class_means_do_not_span():
    """Papyan notebook: analysis, and rhubarbwu: measure.py: covariance_ratio(metric="svd"),
    invert the C - 1 largest singular values of Σ_B, whatever its rank."""
    rng = np.random.default_rng(9)
    C, p, rank = 5, 8, 2
    basis = np.linalg.qr(rng.standard_normal((p, rank)))[0]
    centres = basis @ rng.standard_normal((rank, C))  # the means span 2 < C - 1 directions
    y = np.repeat(np.arange(C), 20)
    noise = 0.1 * rng.standard_normal((p, C, 20))
    noise -= noise.mean(axis=2, keepdims=True)  # so that the class means are the centres
    H = centres[:, y] + noise.reshape(p, -1)
    W = rng.standard_normal((C, p))
    ours = ufm.nc_metrics(H, y, W)["nc1"]
    M = class_means(H, y, C)
    M_ = M - M.mean(axis=1, keepdims=True)
    U, s, _ = np.linalg.svd(M_)
    Sb_pinv = U[:, :rank] @ np.diag(C / s[:rank] ** 2) @ U[:, :rank].T  # exact rank 2
    Z = H - M[:, y]
    exact = np.trace(Z @ Z.T / y.size @ Sb_pinv) / C
    assert close(ours, exact, rtol=1e-8)
    assert papyan_analysis(H, y, W, np.zeros(C))["Sw_invSb"] / C > 1e6 * exact
    # With p <= C - 1, svds(Sb, k=C-1) cannot run at all; ufm measures NC1 there too.
    small = H[: C - 2]
    with pytest.raises(ValueError):
        Sb = np.cov(small)  # any (C - 2) x (C - 2) matrix
        svds(Sb, k=C - 1)
    assert np.isfinite(ufm.nc_metrics(small, y)["nc1"])


def test_class_sizes_are_counted_from_the_labels():
    """tding1: validate_NC.py: compute_info divides by the constant class sizes of the whole
    training set, also when datasets.py: make_dataset(sample_size=...) keeps a subset."""
    H, y, W, b = problem(10, [30, 30, 30, 30], p=5)
    keep = np.concatenate([np.flatnonzero(y == c)[:k] for c, k in enumerate([4, 12, 7, 20])])
    Hs, ys = H[:, keep], y[keep]
    mu_G_constant, mu_c_constant = tding1_info(Hs, ys, 4, counts=[30, 30, 30, 30])
    truth = class_means(Hs, ys, 4)
    assert not np.allclose(mu_c_constant, truth, rtol=0.05)  # divided by the wrong sizes
    acc = ufm.NCAccumulator(4, 5, layout="features_by_samples").update(Hs, ys)
    assert np.array_equal(acc.counts, [4, 12, 7, 20])
    assert np.allclose(acc.means, truth, rtol=RTOL, atol=1e-14)
    ours = ufm.nc_metrics(Hs, ys, W, b)
    streamed = acc.metrics(W, b)
    for key in streamed:
        assert close(streamed[key], ours[key], rtol=1e-10), key


# The table itself.


def test_every_pitfall_names_a_test_of_this_module_and_a_known_project():
    for pitfall in conventions.PITFALLS:
        assert pitfall.project in conventions.PROJECTS
        assert pitfall.test in globals() and pitfall.test.startswith("test_"), pitfall.test
        assert pitfall.source and pitfall.what and pitfall.ufm


def test_the_table_has_a_row_for_every_measure_of_ufm():
    H, y, W, b = problem(0, [9, 14, 6, 11], p=7)
    keys = {row.key for row in conventions.CONVENTIONS}
    assert set(ufm.nc_metrics(H, y, W, b, variants=True)) <= keys
    assert {"ncc_mismatch", "NCAccumulator", "global mean"} <= keys
    for row in conventions.CONVENTIONS:
        for project in conventions.PROJECTS:
            entry = getattr(row, project)
            assert entry.mapping
            if entry.name is not None:
                assert entry.source, (row.key, project)  # where the project computes it


def config_macros():
    text = (ROOT / "_config.yml").read_text()
    block = text[text.index("macros:") :]
    return set(re.findall(r"^\s+([A-Za-z]+):", block, flags=re.M))


#: TeX commands that MathJax knows without the book's macros.
STANDARD_TEX = {"frac", "sum", "mu", "Sigma", "sigma", "dagger", "top", "sqrt", "ne", "le"}
STANDARD_TEX |= {"max", "cos", "bar", "operatorname"}


def test_the_markdown_table_is_well_formed_and_uses_only_known_tex():
    table = conventions.conventions_table()
    lines = table.splitlines()
    assert lines[0] == "```{list-table}" and lines[-1] == "```"
    rows = [line for line in lines if line.startswith("* - ")]
    assert len(rows) == 1 + len(conventions.CONVENTIONS)  # the header and one per measure
    items = [line for line in lines if re.match(r"^ {2}- \+ |^ {4}\+ ", line)]
    assert len(items) == len(conventions.PROJECTS) * len(conventions.CONVENTIONS)
    text = table + conventions.pitfalls_list()
    assert text.count("$") % 2 == 0 and text.count("`") % 2 == 0
    used = set(re.findall(r"\\([A-Za-z]+)", text))
    assert used <= config_macros() | STANDARD_TEX, used - config_macros() - STANDARD_TEX
    assert {"Fnorm", "tr", "norm", "abs"} <= used
    assert "none" in table
