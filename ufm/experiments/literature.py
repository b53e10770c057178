"""The experiments of the appendix on other papers' results (``book/literature.ipynb``).

With weight decay the unconstrained features model has global minimisers in closed form.
This module computes them, in the book's normalisation

    R = L + (λ_W/2) ||W||_F^2 + (λ_H/2) ||H||_F^2,    n = CN samples,

for three settings: the squared loss ``L = 1/(2n) ||W H + b 1^T - Y||_F^2`` with a free bias
(``"squared"``), the same loss without a bias (``"squared_no_bias"``, the model of
Tirer & Bruna 2022) and cross-entropy with a free bias (``"cross_entropy"``, the model of
Zhu et al. 2021). In all three the minimiser is collapsed, balanced and fixed by one number,
the *score margin* ``q``: every sample of class ``k`` gets a score ``q`` higher for class
``k`` than for any other class. With ``τ = C sqrt(N λ_W λ_H)``,

- squared loss, with or without bias: ``q = 1 - τ`` for ``τ < 1``, and 0 for ``τ >= 1``;
- cross-entropy: ``q = log((C - (C - 1) τ)/τ)`` for ``τ < 1``, and 0 for ``τ >= 1``.

The weight decays split the product between the classifier and the features:
``||w_k||^2 = sqrt(N λ_H/λ_W) q f`` and ``||h̄_k||^2 = sqrt(λ_W/(N λ_H)) q f`` with
``f = (C - 1)/C`` for a simplex ETF (with a bias) and ``f = 1`` for an orthogonal frame
(without). :func:`ufm.experiments.decay_prediction` returns these numbers,
:func:`ufm.experiments.collapsed_objective` the one-variable problem they solve, and
:func:`ufm.experiments.decay_check` runs gradient descent to compare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _checks
from ..collapse import class_summary
from ..extensions import extended_descent, extended_init
from .model import snapshot_schedule

#: The settings and how the chapter names them.
SETTING_NAMES = {
    "squared": "squared loss with bias",
    "squared_no_bias": "squared loss without bias",
    "cross_entropy": "cross-entropy",
}

#: The sizes of the chapter's runs, its start size and seed.
LIT_C, LIT_N, LIT_P = 4, 4, 8
LIT_EPS = 0.1
LIT_SEED = 0

#: Step sizes of the runs, per setting, and their number of steps (the explorer's runs).
LIT_LR = {"squared": 1.5, "squared_no_bias": 1.5, "cross_entropy": 4.0}
LIT_STEPS = 1500


def _setting(setting) -> str:
    if setting not in SETTING_NAMES:
        raise ValueError(f"setting must be one of {tuple(SETTING_NAMES)}; got {setting!r}")
    return setting


def _classes(C, N=1) -> tuple[int, int]:
    """``C`` and ``N`` checked, and small enough to be floats (``<= 2**53``)."""
    C, N, _ = _checks.sizes(C, N, 1)
    for value, name in ((C, "C"), (N, "N")):
        if value > 2**53:
            raise ValueError(f"{name} must be at most 2**53 here (a float); got {value}")
    return C, N


def _decays(lambda_W, lambda_H) -> tuple[float, float]:
    lambda_W = _checks.positive_float(lambda_W, "lambda_W")
    lambda_H = _checks.positive_float(lambda_H, "lambda_H")
    return lambda_W, lambda_H


def decay_threshold(C: int, N: int, lambda_W: float, lambda_H: float) -> float:
    """``τ = C sqrt(N λ_W λ_H)``: the minimiser is zero exactly when ``τ >= 1``.

    Parameters
    ----------
    C, N : int
        Classes (``>= 2``) and samples per class (``>= 1``).
    lambda_W, lambda_H : float
        Weight decays, ``> 0``.

    Returns
    -------
    float
    """
    C, N = _classes(C, N)
    lambda_W, lambda_H = _decays(lambda_W, lambda_H)
    return float(C * np.sqrt(N) * np.sqrt(lambda_W) * np.sqrt(lambda_H))  # no overflow


def margin_closed_form(setting: str, C: int, tau) -> np.ndarray | float:
    """The score margin ``q`` of the minimiser as a function of ``τ`` (see the module).

    Squared loss (with or without bias): ``q = max(1 - τ, 0)``. Cross-entropy:
    ``q = log((C - (C - 1) τ)/τ)`` for ``0 < τ < 1`` and 0 for ``τ >= 1``.

    Parameters
    ----------
    setting : {"squared", "squared_no_bias", "cross_entropy"}
    C : int
        Number of classes, ``>= 2``.
    tau : float or array_like of float
        Values of ``τ > 0``.

    Returns
    -------
    float or ndarray
        The margin(s), with the shape of ``τ``.
    """
    setting = _setting(setting)
    C, _ = _classes(C)
    values = np.atleast_1d(_checks.as_array(tau, "tau", (0, 1)))
    if not (values > 0).all():
        raise ValueError(f"tau must be > 0; got minimum {values.min()}")
    if setting == "cross_entropy":
        capped = np.minimum(values, 1.0)  # q = 0 from τ = 1 on
        q = np.log(C - (C - 1) * capped) - np.log(capped)  # no overflow for tiny τ
    else:
        q = np.maximum(1.0 - values, 0.0)
    return float(q[0]) if np.ndim(tau) == 0 else q


def collapsed_objective(setting: str, q, C: int, tau: float) -> np.ndarray | float:
    """The objective ``R`` on the collapsed, balanced states with score margin ``q >= 0``.

    On those states the objective depends on ``q`` and ``τ`` only:

    - ``"squared"``: ``(C - 1)/(2C) ((1 - q)^2 + 2 τ q)``;
    - ``"squared_no_bias"``: ``((1 - q)^2 + 2 τ q)/2``;
    - ``"cross_entropy"``: ``log(1 + (C - 1) e^{-q}) + (C - 1) τ q / C``.

    Its minimiser over ``q >= 0`` is :func:`margin_closed_form`.

    Parameters
    ----------
    setting : {"squared", "squared_no_bias", "cross_entropy"}
    q : float or array_like of float
        Margins, ``>= 0``.
    C : int
        Number of classes, ``>= 2``.
    tau : float
        ``C sqrt(N λ_W λ_H) > 0``.

    Returns
    -------
    float or ndarray
    """
    setting = _setting(setting)
    C, _ = _classes(C)
    tau = _checks.positive_float(tau, "tau")
    values = np.atleast_1d(_checks.as_array(q, "q", (0, 1)))
    if not (values >= 0).all():
        raise ValueError(f"q must be >= 0; got minimum {values.min()}")
    # beyond these the objective is too large for a float
    for name, top in (("tau", tau), ("q", values.max(initial=0.0))):
        if top > 1e150:
            raise ValueError(f"{name} must be at most 1e150 (the objective overflows); got {top}")
    if setting == "cross_entropy":
        out = np.log1p((C - 1) * np.exp(-values)) + (C - 1) * tau * values / C
    else:
        out = ((1 - values) ** 2 + 2 * tau * values) / 2
        if setting == "squared":
            out = out * (C - 1) / C
    return float(out[0]) if np.ndim(q) == 0 else out


@dataclass(frozen=True)
class DecayPrediction:
    """The global minimiser of the regularised model, in closed form.

    Attributes
    ----------
    setting : str
    C : int
    N : int
    lambda_W : float
    lambda_H : float
    tau : float
        ``C sqrt(N λ_W λ_H)``.
    margin : float
        Score margin ``q`` (:func:`margin_closed_form`).
    row_norm_sq : float
        ``||w_k||^2 = sqrt(N λ_H/λ_W) q f`` (every row).
    mean_norm_sq : float
        ``||h̄_k||^2 = sqrt(λ_W/(N λ_H)) q f`` (every class mean).
    frame : str
        ``"simplex"`` (``W W^T = ||w_k||^2 C/(C - 1) P``, ``f = (C - 1)/C``) or
        ``"orthogonal"`` (``W W^T = ||w_k||^2 I``, ``f = 1``).
    bias : float
        Every entry of ``b``: ``1/C`` for the squared loss with bias, 0 otherwise.
    """

    setting: str
    C: int
    N: int
    lambda_W: float
    lambda_H: float
    tau: float
    margin: float
    row_norm_sq: float
    mean_norm_sq: float
    frame: str
    bias: float

    def gram(self) -> np.ndarray:
        """``W W^T`` of the minimiser, shape ``(C, C)``."""
        if self.frame == "orthogonal":
            return self.row_norm_sq * np.eye(self.C)
        P = np.eye(self.C) - 1.0 / self.C
        return self.row_norm_sq * self.C / (self.C - 1) * P


def decay_prediction(
    setting: str, C: int, N: int, lambda_W: float, lambda_H: float
) -> DecayPrediction:
    """The minimiser of the regularised model in closed form (``p >= C - 1``, and
    ``p >= C`` without bias): thm-decay-squared, thm-decay-no-bias and thm-decay-ce.

    Parameters
    ----------
    setting : {"squared", "squared_no_bias", "cross_entropy"}
    C, N : int
    lambda_W, lambda_H : float
        Weight decays, ``> 0`` (no decay on the bias).

    Returns
    -------
    DecayPrediction
    """
    setting = _setting(setting)
    tau = decay_threshold(C, N, lambda_W, lambda_H)
    q = margin_closed_form(setting, C, tau)
    frame = "orthogonal" if setting == "squared_no_bias" else "simplex"
    f = 1.0 if frame == "orthogonal" else (C - 1) / C
    # sqrt(N λ_H / λ_W), the length ratio of a classifier row to a class mean, in Python
    # floats (no overflow warning); zero norms when the minimiser is zero
    ratio = math.sqrt(int(N)) * math.sqrt(float(lambda_H)) / math.sqrt(float(lambda_W))
    if q > 0 and not 0 < ratio < math.inf:
        raise ValueError(
            f"lambda_H / lambda_W = {float(lambda_H)!r} / {float(lambda_W)!r} is too extreme: "
            "the minimiser's norms are not representable"
        )
    return DecayPrediction(
        setting=setting,
        C=int(C),
        N=int(N),
        lambda_W=float(lambda_W),
        lambda_H=float(lambda_H),
        tau=tau,
        margin=q,
        row_norm_sq=ratio * q * f if q > 0 else 0.0,
        mean_norm_sq=q * f / ratio if q > 0 else 0.0,
        frame=frame,
        bias=1.0 / C if setting == "squared" else 0.0,
    )


def score_margin(H, W, C: int) -> float:
    """The score margin of a state: with ``M = W H̄`` (class means ``H̄``, ``p x C``),
    ``(C tr M - 1^T M 1)/(C (C - 1))``, the mean over classes ``k`` of
    ``M_kk - mean_{j != k} M_jk``; it equals ``q`` when ``M = q P`` or ``M = q I``.

    Parameters
    ----------
    H : array_like, shape (p, C*N)
    W : array_like, shape (C, p)
    C : int

    Returns
    -------
    float
    """
    means, _ = class_summary(_checks.as_array(H, "H", 2), C)
    W = _checks.as_array(W, "W", 2)
    if W.shape != (C, means.shape[0]):
        raise ValueError(
            f"W has shape {W.shape}; expected ({C}, {means.shape[0]}): C rows, one column "
            "per row of H"
        )
    return float(_margins(W, means, C))


def _margins(W, means, C: int):
    """:func:`score_margin` from classifiers ``(..., C, p)`` and class means ``(..., p, C)``."""
    M = W @ means
    return (C * np.trace(M, axis1=-2, axis2=-1) - M.sum(axis=(-2, -1))) / (C * (C - 1))


@dataclass(frozen=True)
class DecayCheck:
    """Gradient descent on the regularised model, beside the closed form.

    Attributes
    ----------
    prediction : DecayPrediction
    steps : ndarray of int, shape (T,)
        Recorded steps.
    margin : ndarray, shape (T,)
        :func:`score_margin` at each recorded step.
    row_norm_sq : ndarray, shape (T,)
        Mean of ``||w_k||^2`` over the rows.
    mean_norm_sq : ndarray, shape (T,)
        Mean of ``||h̄_k||^2`` over the classes.
    gram_error : float
        Final ``||W W^T - (W W^T)_pred||_F``, absolute.
    within : float
        Final ``||H - H̄ ⊗ 1_N^T||_F``, the distance of the features from their class means.
    bias : ndarray, shape (C,)
        Final bias.
    """

    prediction: DecayPrediction
    steps: np.ndarray
    margin: np.ndarray
    row_norm_sq: np.ndarray
    mean_norm_sq: np.ndarray
    gram_error: float
    within: float
    bias: np.ndarray


def decay_check(
    setting: str,
    lambda_W: float,
    lambda_H: float,
    C: int = LIT_C,
    N: int = LIT_N,
    p: int = LIT_P,
    steps: int = LIT_STEPS,
    lr: float | None = None,
    seed: int = LIT_SEED,
) -> DecayCheck:
    """Gradient descent from a random start of size 0.1 on the regularised model.

    Parameters
    ----------
    setting : {"squared", "squared_no_bias", "cross_entropy"}
    lambda_W, lambda_H : float
        Weight decays, ``> 0``.
    C, N, p : int
        Sizes; ``p >= C - 1`` (``p >= C`` without bias) for the closed form to apply.
    steps : int
    lr : float, optional
        Step size; default ``LIT_LR[setting]``.
    seed : int

    Returns
    -------
    DecayCheck
    """
    prediction = decay_prediction(setting, C, N, lambda_W, lambda_H)
    C, N, p = _checks.sizes(C, N, p)
    steps = _checks.positive_int(steps, "steps")
    run = extended_descent(
        *extended_init([N] * C, p, LIT_EPS, seed=seed),
        LIT_LR[setting] if lr is None else lr,
        steps,
        loss="cross_entropy" if setting == "cross_entropy" else "squared",
        lambda_W=prediction.lambda_W,
        lambda_H=prediction.lambda_H,
        bias=setting != "squared_no_bias",
        record_steps=snapshot_schedule(steps, 60),
        record_states=True,
    )
    if run.diverged_at is not None:
        raise ValueError(f"descent diverged at step {run.diverged_at}; take a smaller lr")
    Hs, Ws, _ = run.states
    means, within = class_summary(Hs, C)  # every recorded state at once
    _, W, b = run.final
    return DecayCheck(
        prediction=prediction,
        steps=run.steps,
        margin=_margins(Ws, means, C),
        row_norm_sq=np.einsum("tcp,tcp->t", Ws, Ws) / C,
        mean_norm_sq=np.einsum("tpc,tpc->t", means, means) / C,
        gram_error=float(np.linalg.norm(W @ W.T - prediction.gram())),
        within=float(np.sqrt(within[-1])),
        bias=b,
    )
