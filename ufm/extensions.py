"""Beyond the paper: weight decay, cross-entropy loss and unequal class sizes.

The discussion chapter tests the limits of the unconstrained features model by changing
one ingredient at a time. The extended objective is

    R(H, W, b) = L(H, W, b) + (λ_W/2) ||W||_F^2 + (λ_H/2) ||H||_F^2 + (λ_b/2) ||b||_2^2,

with ``n = N_1 + … + N_C`` samples grouped class by class (``N_c`` columns of class ``c``)
and one of two losses, both means over the ``n`` samples:

- ``"squared"``: ``L = 1/(2n) ||W H + b 1_n^T - Y||_F^2``, with ``Y`` block one-hot;
- ``"cross_entropy"``: ``L = (1/n) Σ_i -log softmax(W h_i + b)_{y_i}``.

With equal class sizes, squared loss and no weight decay, ``R`` is the book's risk ``R_e``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import _checks

LOSSES = ("squared", "cross_entropy")


def class_labels(class_sizes) -> np.ndarray:
    """Labels of samples ordered class by class: ``N_1`` zeros, then ``N_2`` ones, ….

    Parameters
    ----------
    class_sizes : sequence of int
        ``N_1, …, N_C``: at least 2 classes, each with at least one sample.

    Returns
    -------
    ndarray of int, shape (n,)
    """
    sizes = _class_sizes(class_sizes)
    return np.repeat(np.arange(len(sizes)), sizes)


def class_targets(class_sizes) -> np.ndarray:
    """Block one-hot targets ``Y`` (shape ``(C, n)``): column ``i`` is ``e_{y_i}``.

    Parameters
    ----------
    class_sizes : sequence of int
        ``N_1, …, N_C``.

    Returns
    -------
    ndarray, shape (C, n)
    """
    sizes = _class_sizes(class_sizes)
    C, n = len(sizes), int(sizes.sum())
    _checks.fits_in_memory(8 * C * n, f"class_targets with C={C} classes and n={n} samples")
    return np.repeat(np.eye(C), sizes, axis=1)


def extended_init(class_sizes, p: int, eps: float, seed=None):
    """Random start of size ``eps`` with unequal class sizes (as :func:`ufm.random_init`).

    ``H`` (drawn first) and ``W`` get i.i.d. standard Gaussian entries and are rescaled to
    Frobenius norm ``eps``; the bias starts at zero. With equal class sizes it returns the
    same state as :func:`ufm.random_init` for the same seed.

    Parameters
    ----------
    class_sizes : sequence of int
        ``N_1, …, N_C``.
    p : int
        Feature dimension, ``>= 1``.
    eps : float
        ``||H_0||_F = ||W_0||_F = eps > 0``.
    seed : int, numpy.random.Generator or None

    Returns
    -------
    H, W, b : ndarray
        Shapes ``(p, n)``, ``(C, p)``, ``(C,)``.
    """
    sizes = _class_sizes(class_sizes)
    p = _checks.positive_int(p, "p")
    eps = _checks.positive_float(eps, "eps")
    C, n = len(sizes), int(sizes.sum())
    _checks.fits_in_memory(16 * p * (n + C), f"extended_init with n={n} samples, C={C}, p={p}")
    rng = np.random.default_rng(_checks.seed_or_none(seed))
    H = rng.standard_normal((p, int(sizes.sum())))
    W = rng.standard_normal((len(sizes), p))
    return eps * H / np.linalg.norm(H), eps * W / np.linalg.norm(W), np.zeros(len(sizes))


def extended_risk(
    H, W, b, *, class_sizes=None, loss="squared", lambda_W=0.0, lambda_H=0.0, lambda_b=0.0
) -> float:
    """The extended objective ``R = L + (λ_W/2)||W||_F^2 + (λ_H/2)||H||_F^2 + (λ_b/2)||b||^2``.

    Parameters
    ----------
    H : array_like, shape (p, n)
        Features, one column per sample, grouped class by class.
    W : array_like, shape (C, p)
    b : array_like, shape (C,)
    class_sizes : sequence of int, optional
        ``N_1, …, N_C`` (summing to ``n``); default equal sizes ``n/C``.
    loss : {"squared", "cross_entropy"}
    lambda_W, lambda_H, lambda_b : float
        Weight-decay coefficients, ``>= 0``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the shapes do not fit together or with ``class_sizes``, the loss is unknown, or a
        coefficient is negative or not finite.
    """
    H, W, b, setting = _state_and_setting(
        H, W, b, class_sizes, loss, lambda_W, lambda_H, lambda_b, batch=False
    )
    return float(_objective_and_G(H[None], W[None], b[None], setting)[0][0])


def extended_gradients(
    H, W, b, *, class_sizes=None, loss="squared", lambda_W=0.0, lambda_H=0.0, lambda_b=0.0
):
    """Gradients of :func:`extended_risk`.

    With ``G = (W H + b 1^T - Y)/n`` (squared loss) or ``G = (softmax(W H + b 1^T) - Y)/n``
    (cross-entropy, softmax down each column), ``∇_H = W^T G + λ_H H``,
    ``∇_W = G H^T + λ_W W`` and ``∇_b = G 1_n + λ_b b``.

    Parameters
    ----------
    H, W, b, class_sizes, loss, lambda_W, lambda_H, lambda_b
        As in :func:`extended_risk`.

    Returns
    -------
    dH, dW, db : ndarray
        Arrays with the shapes of ``H``, ``W`` and ``b``.
    """
    H, W, b, setting = _state_and_setting(
        H, W, b, class_sizes, loss, lambda_W, lambda_H, lambda_b, batch=False
    )
    _, G = _objective_and_G(H[None], W[None], b[None], setting)
    dH, dW, db = _gradients(H[None], W[None], b[None], G, setting)
    return dH[0], dW[0], db[0]


@dataclass(frozen=True)
class ExtendedRun:
    """A run (or a batch of ``K`` runs) of gradient descent on the extended objective.

    Attributes
    ----------
    final : tuple of ndarray
        Last iterate ``(H, W, b)`` (the last finite one for a diverged run); batched runs
        have a leading ``K`` axis.
    steps : ndarray of int, shape (T,)
        Recorded step indices (0 is the start; the last step is always included).
    objective : ndarray, shape (T,) or (K, T)
        The objective ``R`` at each recorded step; NaN from the step of divergence on.
    states : tuple of ndarray or None
        With ``record_states=True``, the recorded iterates ``(H, W, b)`` with a ``T`` axis
        after the batch axis (shapes ``(T, p, n)``, … or ``(K, T, p, n)``, …); otherwise None.
    diverged_at : int or None, or ndarray of int, shape (K,)
        First step whose iterate is not finite (``None``/``-1``: no divergence).
    lr : float or ndarray, shape (K,)
        The step size(s).
    """

    final: tuple
    steps: np.ndarray
    objective: np.ndarray
    states: tuple | None
    diverged_at: object
    lr: object


def extended_descent(
    H,
    W,
    b,
    lr,
    steps: int,
    *,
    class_sizes=None,
    loss="squared",
    lambda_W=0.0,
    lambda_H=0.0,
    lambda_b=0.0,
    bias: bool = True,
    record_every: int = 1,
    record_steps=None,
    record_states: bool = False,
) -> ExtendedRun:
    """Plain gradient descent ``Z_{k+1} = Z_k - η ∇R(Z_k)`` on the extended objective.

    Parameters
    ----------
    H, W, b : array_like
        Initial state, shapes ``(p, n)``, ``(C, p)``, ``(C,)``; or ``K`` states stacked on a
        leading axis, which advance together.
    lr : float or array_like of float, shape (K,)
        Step size ``η > 0``; a batch may have one step size per run.
    steps : int
        Number of steps, ``>= 1``.
    class_sizes, loss, lambda_W, lambda_H, lambda_b
        As in :func:`extended_risk`.
    bias : bool
        Train the bias (default). With ``bias=False`` the bias is not updated: it keeps
        its initial value, so a start with ``b = 0`` runs descent on the bias-free model
        ``L = 1/(2n) ||W H - Y||_F^2 + …``.
    record_every : int
        Record every this many steps (and the last).
    record_steps : array_like of int, optional
        Record exactly these steps instead (each in ``0, …, steps``; the last step is
        always added), for example logarithmically spaced ones.
    record_states : bool
        Keep the recorded iterates (memory ``T`` times the state).

    Returns
    -------
    ExtendedRun

    Notes
    -----
    A run whose iterate stops being finite is frozen at its last finite iterate, and its
    later recorded values are NaN; no overflow warning is emitted.
    """
    H, W, b, setting = _state_and_setting(
        H, W, b, class_sizes, loss, lambda_W, lambda_H, lambda_b, batch=True
    )
    steps = _checks.positive_int(steps, "steps")
    record_every = _checks.positive_int(record_every, "record_every")
    if not isinstance(record_states, bool):
        raise TypeError(f"record_states must be True or False; got {record_states!r}")
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True or False; got {bias!r}")
    batched = W.ndim == 3
    if not batched:
        H, W, b = H[None], W[None], b[None]
    K = W.shape[0]
    rates = _step_sizes(lr, K, batched)
    eta = rates[:, None, None]

    if record_steps is None:
        records = steps // record_every + 2
    else:
        recorded = _record_steps(record_steps, steps)
        records = recorded.size
    per_record = 1 + (H[0].size + W[0].size + b[0].size if record_states else 0)
    _checks.fits_in_memory(
        8 * records * (K * per_record + 1),
        f"extended_descent with steps={steps}, record_every={record_every} ({records} records)",
    )
    if record_steps is None:
        recorded = np.unique(np.r_[np.arange(0, steps + 1, record_every), steps])
    values = np.full((K, recorded.size), np.nan)
    kept = (
        tuple(np.full((K, recorded.size, *x.shape[1:]), np.nan) for x in (H, W, b))
        if record_states
        else None
    )
    diverged_at = np.full(K, -1)
    alive = np.ones(K, dtype=bool)
    previous = (H, W, b)
    t = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(steps + 1):
            value, G = _objective_and_G(H, W, b, setting)
            finite = np.isfinite(value)
            if not finite.all() and not finite[alive].all():
                newly = alive & ~finite
                diverged_at[newly] = k
                alive &= finite
                H, W, b = (_where(newly, old, x) for x, old in zip((H, W, b), previous))
            if recorded[t] == k:
                values[:, t] = value
                if kept is not None:
                    for store, x in zip(kept, (H, W, b)):
                        store[:, t] = x
                t += 1
            if k == steps or not alive.any():
                break
            dH, dW, db = _gradients(H, W, b, G, setting)
            new = (H - eta * dH, W - eta * dW, b - rates[:, None] * db if bias else b)
            if not alive.all():
                new = tuple(_where(alive, x, old) for x, old in zip(new, (H, W, b)))
            previous = (H, W, b)
            H, W, b = new

    dead = (diverged_at[:, None] >= 0) & (recorded[None, :] >= diverged_at[:, None])
    values[dead] = np.nan
    if not batched:
        return ExtendedRun(
            final=(H[0], W[0], b[0]),
            steps=recorded,
            objective=values[0],
            states=None if kept is None else tuple(x[0] for x in kept),
            diverged_at=None if diverged_at[0] < 0 else int(diverged_at[0]),
            lr=float(rates[0]),
        )
    return ExtendedRun((H, W, b), recorded, values, kept, diverged_at, rates)


def row_cosines(W) -> np.ndarray:
    """Cosines between the classifier rows, ``W_c W_{c'}^T / (||W_c|| ||W_{c'}||)``.

    In a simplex ETF every off-diagonal entry is ``-1/(C-1)``; minority collapse shows as
    entries near 1 between the rows of the small classes.

    Parameters
    ----------
    W : array_like, shape (C, p) or (..., C, p)

    Returns
    -------
    ndarray, shape (C, C) or (..., C, C)

    Raises
    ------
    ValueError
        If a row of ``W`` is zero (its cosines are 0/0).
    """
    W = _checks.as_array(W, "W", (2, 3, 4))
    norms = np.linalg.norm(W, axis=-1)
    if not (norms > 0).all():
        raise ValueError("W has a zero row, so its cosines with the other rows are 0/0")
    unit = W / norms[..., None]
    return unit @ np.swapaxes(unit, -1, -2)


# --- internals -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Setting:
    loss: str
    Y: np.ndarray
    lambdas: tuple


def _class_sizes(class_sizes) -> np.ndarray:
    # No np.ndim here: a ragged list such as [[3], 2] would make numpy raise its own error.
    if isinstance(class_sizes, np.ndarray):
        flat = class_sizes.ndim == 1
    else:
        flat = isinstance(class_sizes, Sequence) and not isinstance(class_sizes, (str, bytes))
    if not flat:
        raise TypeError(
            f"class_sizes must be a sequence of integers N_1, …, N_C; got {class_sizes!r}"
        )
    sizes = [_checks.positive_int(size, f"class_sizes[{c}]") for c, size in enumerate(class_sizes)]
    if len(sizes) < 2:
        raise ValueError(f"class_sizes has {len(sizes)} entry; expected C >= 2 classes")
    _checks.fits_in_memory(8 * sum(sizes), f"class_sizes with {sum(sizes)} samples")
    return np.array(sizes, dtype=np.int64)


def _record_steps(record_steps, steps: int) -> np.ndarray:
    try:
        wanted = np.asarray(record_steps)
    except ValueError:  # ragged
        wanted = np.empty(0)
    if wanted.ndim != 1 or wanted.size == 0 or not np.issubdtype(wanted.dtype, np.integer):
        raise TypeError(
            "record_steps must be a non-empty 1-dimensional array of integers; "
            f"got {record_steps!r}"
        )
    if wanted.min() < 0 or wanted.max() > steps:
        raise ValueError(
            f"record_steps must lie in 0, …, steps = {steps}; got {wanted.min()} … {wanted.max()}"
        )
    return np.unique(np.r_[wanted, steps])


def _step_sizes(lr, K: int, batched: bool) -> np.ndarray:
    if _checks.is_scalar(lr):
        return np.full(K, _checks.positive_float(lr, "lr"))
    rates = _checks.as_array(lr, "lr", 1)
    if not batched or rates.shape != (K,):
        raise ValueError(
            f"lr has shape {rates.shape}; expected a number, or one step size per run ({K},) "
            "for a batch of states"
        )
    if not (rates > 0).all():
        raise ValueError(f"lr must be > 0 for every run; got minimum {rates.min()}")
    return rates


def _state_and_setting(H, W, b, class_sizes, loss, lambda_W, lambda_H, lambda_b, batch):
    W = _checks.as_array(W, "W", (2, 3) if batch else 2)
    H = _checks.as_array(H, "H", W.ndim)
    b = _checks.as_array(b, "b", W.ndim - 1)
    C, p = W.shape[-2:]
    if C < 2:
        raise ValueError(f"W has {C} row; expected one row per class and C >= 2 classes")
    if H.shape[-2] != p:
        raise ValueError(f"H has {H.shape[-2]} rows; expected p = {p} (the number of columns of W)")
    if b.shape[-1] != C:
        raise ValueError(f"b has {b.shape[-1]} entries; expected C = {C} (one per class)")
    if W.ndim == 3 and not (H.shape[0] == W.shape[0] == b.shape[0]):
        raise ValueError(
            f"batch sizes differ: H has {H.shape[0]} runs, W has {W.shape[0]}, b has {b.shape[0]}"
        )
    n = H.shape[-1]
    if class_sizes is None:
        if n % C:
            raise ValueError(
                f"H has {n} columns, not a multiple of C = {C}; pass class_sizes for "
                "unequal classes"
            )
        sizes = np.full(C, n // C)
    else:
        sizes = _class_sizes(class_sizes)
        if len(sizes) != C:
            raise ValueError(f"class_sizes has {len(sizes)} entries; expected C = {C} (rows of W)")
        if sizes.sum() != n:
            raise ValueError(
                f"H has {n} columns; expected n = sum(class_sizes) = {int(sizes.sum())}"
            )
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}")
    lambdas = tuple(
        _checks.nonnegative_float(x, name)
        for x, name in ((lambda_W, "lambda_W"), (lambda_H, "lambda_H"), (lambda_b, "lambda_b"))
    )
    Y = np.repeat(np.eye(C), sizes, axis=1)
    return H, W, b, _Setting(loss, Y, lambdas)


def _objective_and_G(H, W, b, setting):
    """Objective values ``(K,)`` and the scaled loss residual ``G`` ``(K, C, n)``."""
    n = H.shape[-1]
    Z = W @ H
    Z += b[..., None]
    if setting.loss == "squared":
        Z -= setting.Y
        value = np.einsum("kij,kij->k", Z, Z) / (2 * n)
        G = Z / n
    else:
        Z -= Z.max(axis=1, keepdims=True)
        E = np.exp(Z)
        total = E.sum(axis=1, keepdims=True)
        value = (np.log(total[:, 0]).sum(axis=-1) - np.einsum("kij,ij->k", Z, setting.Y)) / n
        G = (E / total - setting.Y) / n
    lam_W, lam_H, lam_b = setting.lambdas
    if lam_W:
        value = value + lam_W / 2 * np.einsum("kij,kij->k", W, W)
    if lam_H:
        value = value + lam_H / 2 * np.einsum("kij,kij->k", H, H)
    if lam_b:
        value = value + lam_b / 2 * np.einsum("ki,ki->k", b, b)
    return value, G


def _gradients(H, W, b, G, setting):
    lam_W, lam_H, lam_b = setting.lambdas
    dH = np.swapaxes(W, 1, 2) @ G
    dW = G @ np.swapaxes(H, 1, 2)
    db = G.sum(axis=2)
    if lam_H:
        dH += lam_H * H
    if lam_W:
        dW += lam_W * W
    if lam_b:
        db += lam_b * b
    return dH, dW, db


def _where(mask, x, y):
    """Per run, ``x`` where ``mask`` (shape ``(K,)``) is true and ``y`` elsewhere."""
    return np.where(mask.reshape(-1, *([1] * (x.ndim - 1))), x, y)
