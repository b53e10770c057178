"""Self-checks for readers: test your own implementation, get a hint, never the answer.

Each function here calls a reader's function on random inputs, compares what it returns
with the book's formulas (as :mod:`ufm` computes them) and returns a :class:`Feedback`.
``bool(feedback)`` says whether the answer is right; ``feedback.message`` says what is
wrong in words: the shape that is off, the condition of S that fails, or the likely
mistake (a missing normalisation, a sign, a forgotten centring). It never shows the
expected values.

    >>> from ufm import check
    >>> def my_gradients(H, W, b): ...
    >>> check.gradients(my_gradients)          # doctest: +SKIP

The default sizes ``C = 3``, ``N = 4``, ``p = 5`` are chosen so that the usual constant
factors (``2``, ``C``, ``N``, ``CN``, ``2CN``) all differ and no matrix is square, so a
wrong factor or a transpose can be told apart from the others.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from . import _checks
from .collapse import _class_summary
from .model import gradients as _gradients
from .model import risk as _risk
from .model import targets
from .spectrum import largest_stable_step
from .subspace import project_S

#: Relative error below which an answer counts as right (float64 round-off is ~1e-15).
RTOL = 1e-8
#: The same for an answer computed in single precision (float32 round-off is ~1e-7).
RTOL_FLOAT32 = 1e-4
#: Relative error below which an answer is taken to match a known mistake.
MISTAKE_RTOL = 1e-6
#: Sizes ``(C, N)`` at which a step-size formula ``f(C, N)`` is tested.
STEP_SIZES = ((2, 1), (3, 3), (4, 2), (5, 4), (10, 7))
#: The largest number of random states a check tries (each is a call of the reader's code).
MAX_TRIALS = 1000

_GRADIENT_NAMES = ("∇_H", "∇_W", "∇_b")


@dataclass(frozen=True, repr=False)
class Feedback:
    """The outcome of a self-check.

    Attributes
    ----------
    passed : bool
        Whether the reader's answer agrees with the book's formula.
    message : str
        What was checked and, on failure, a hint about what is wrong.
    """

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message


def _ok(message: str) -> Feedback:
    return Feedback(True, "✓ " + message)


def _fail(message: str) -> Feedback:
    return Feedback(False, "✗ " + message)


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / ||b||`` (``||a - b||`` when ``b = 0``)."""
    scale = np.linalg.norm(b)
    diff = np.linalg.norm(a - b)
    return float(diff / scale) if scale > 0 else float(diff)


def _tolerance(*parts) -> float:
    """:data:`RTOL`, or :data:`RTOL_FLOAT32` when a part of the answer is a float32 array or
    scalar: an answer computed in single precision is right to about 7 digits, not 15."""
    single = any(getattr(x, "dtype", None) in (np.float32, np.complex64) for x in parts)
    return RTOL_FLOAT32 if single else RTOL


def _precision_hint(what: str, rel: float) -> str | None:
    """A hint for an answer that agrees to a few digits but not to round-off, or ``None``.

    Such an answer is the right formula computed with too little precision (float32 turned
    into a Python float, or float16); a structural mistake is off by far more."""
    if not rel < RTOL_FLOAT32:
        return None
    digits = max(int(-np.log10(max(rel, 1e-300))), 1)
    return (
        f"{what} agrees with the book's to about {digits} digits only, not to round-off: the "
        "formula looks right, but it was computed in low precision. Compute in float64 "
        "(numpy's default): convert the inputs with np.asarray(x, dtype=float)."
    )


def _callable(fn, name: str) -> None:
    if not callable(fn):
        raise TypeError(f"{name} must be a function (your implementation); got {type(fn).__name__}")


def _random_state(C: int, N: int, p: int, rng: np.random.Generator):
    """A generic state: Gaussian H, W and b."""
    return (
        rng.standard_normal((p, C * N)),
        rng.standard_normal((C, p)),
        rng.standard_normal(C),
    )


def _shapes(state) -> str:
    H, W, b = state
    return f"H of shape {H.shape}, W of shape {W.shape} and b of shape {b.shape}"


def _call(fn, state):
    """Call ``fn(H, W, b)`` on copies of the state; return ``(output, None)`` or
    ``(None, Feedback)`` if it raised."""
    try:
        return fn(*(x.copy() for x in state)), None
    except Exception as exc:  # the reader's code may raise anything; report it as a hint
        return None, _fail(
            f"Your function raised {type(exc).__name__}: {exc}\n"
            f"It was called with {_shapes(state)}."
        )


def _trials(fn, C, N, p, seed, trials):
    """Check the arguments shared by the checks of a reader's function ``f(H, W, b)``.

    Returns the checked ``(C, N, p, trials)``, the random generator, and an iterator over
    ``(state, output, problem)``: one random state after another, the reader's output on
    it, and a :class:`Feedback` instead when the call raised.
    """
    _callable(fn, "fn")
    C, N, p = _checks.sizes(C, N, p)
    trials = _checks.positive_int(trials, "trials", maximum=MAX_TRIALS)
    _checks.fits_in_memory(
        8 * 8 * (p * C * N + C * p + C), f"a random state of sizes C={C}, N={N}, p={p}"
    )
    rng = np.random.default_rng(_checks.seed_or_none(seed))

    def answers():
        for _ in range(trials):
            state = _random_state(C, N, p, rng)
            yield (state, *_call(fn, state))

    return (C, N, p, trials), rng, answers()


def _one_number(value, what: str, hint: str = ""):
    """A reader's answer that must be one finite number: ``(value as float, tolerance for
    its precision, None)``, or ``(value, 0, feedback)`` saying what is wrong (``hint`` is
    added when it is not a number at all)."""
    problem = _unfilled(value)
    if problem is not None:
        return value, 0.0, problem
    tol = _tolerance(value)
    try:
        number = float(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        message = f"Your function returned {type(value).__name__}; expected one number (a float)."
        return value, 0.0, _fail(f"{message} {hint}".strip())
    if not np.isfinite(number):
        message = f"{what} is {number} at a finite input; expected a finite number."
        return number, 0.0, _fail(message)
    return number, tol, None


def _unfilled(output, what: str = "Your function returned") -> Feedback | None:
    """A failure if ``output`` is ``None`` or ``...`` (an answer not filled in), else ``None``."""
    if output is None or output is Ellipsis:
        return _fail(f"{what} {output!r}: it is not filled in yet (or a `return` is missing).")
    return None


def _as_triple(output, names, state, what: str):
    """Read a returned ``(X_H, X_W, X_b)`` with the shapes of ``(H, W, b)``.

    Returns ``(arrays, None)`` or ``(None, Feedback)``.
    """
    unfilled = _unfilled(output)
    if unfilled is not None:
        return None, unfilled
    if not isinstance(output, (tuple, list)) or len(output) != 3:
        kind = type(output).__name__
        size = f" of length {len(output)}" if isinstance(output, (tuple, list)) else ""
        return None, _fail(
            f"Your function returned a {kind}{size}; expected {what}: a tuple of three arrays "
            f"({', '.join(names)}), in that order."
        )
    arrays = []
    for name, part, ref in zip(names, output, state):
        if np.asarray(part).dtype == np.float16:
            return None, _fail(
                f"{name} is a float16 array: half precision keeps about 3 digits, too few to "
                "check anything. Compute in float64 (numpy's default)."
            )
        try:
            arr = np.asarray(part, dtype=np.float64)
        except (TypeError, ValueError):
            return None, _fail(f"{name} is not an array of numbers (got {type(part).__name__}).")
        if arr.shape != ref.shape:
            hint = ""
            if arr.shape == ref.shape[::-1]:
                hint = " It has the transposed shape: check the order of the factors."
            elif arr.size == ref.size:
                hint = " It has the right number of entries: check how it was reshaped."
            elif arr.ndim < ref.ndim or arr.size == 1:
                hint = " Did you sum or average over an axis that should stay?"
            return None, _fail(
                f"{name} has shape {arr.shape}; expected {ref.shape}, the shape of "
                f"{'HWb'[len(arrays)]}.{hint}"
            )
        if not np.isfinite(arr).all():
            return None, _fail(f"{name} has NaN or infinite entries at a finite input.")
        arrays.append(arr)
    return tuple(arrays), None


def _dtypes(output) -> tuple:
    """Zero-size arrays with the dtypes of the parts of ``output``, for :func:`_tolerance`."""
    return tuple(np.empty(0, np.asarray(x).dtype) for x in output)


def _factors(C: int, N: int, kind: str):
    """Constant factors ``yours / right`` that common slips produce, with a hint each."""
    mean_all = (
        "np.mean over every entry of the residual divides by C·CN, but the risk averages over "
        "the CN samples (its columns)."
    )
    table = [
        (C * N, "did you forget the 1/(CN) normalisation (the mean over the CN samples)?"),
        (1.0 / C, mean_all),
        (N, "a factor N: the risk averages over all CN samples, not over the C classes."),
        (C, "a factor C: the risk averages over all CN samples, not over the N per class."),
        (1.0 / (C * N), "the 1/(CN) normalisation is applied twice."),
    ]
    if kind == "risk":
        table += [
            (2.0, "did you forget the 1/2 in front of the risk?"),
            (2 * C * N, "this is the plain sum of squares: the 1/2 and the 1/(CN) are missing."),
            (2.0 / C, mean_all + " The 1/2 in front is missing too."),
            (0.5, "the 1/2 in front is applied twice."),
        ]
    else:
        table += [
            (2.0, "a factor 2: differentiating ‖·‖² gives 2(·), which the 1/2 in front cancels."),
            (0.5, "a factor 1/2: the 1/2 in front of the risk cancels the 2 from ‖·‖²."),
            (-1.0, "the sign is flipped: the gradient points uphill (descent uses minus it)."),
            (
                2 * C * N,
                "the 1/(CN) normalisation is missing, and the 2 from ‖·‖² is not cancelled.",
            ),
        ]
    return table


def _factor_hint(name: str, factor: float, C: int, N: int, kind: str) -> str:
    """A hint for ``yours = factor · right`` with a constant ``factor != 1``."""
    for value, hint in _factors(C, N, kind):
        if abs(factor - value) <= MISTAKE_RTOL * abs(value):
            return f"Your {name} is off by a constant factor: {hint}"
    return (
        f"Your {name} is a constant multiple ({factor:.3g}) of the right one: check the constant "
        "in front of the risk"
        + (" and what differentiating the square gives." if kind != "risk" else ".")
    )


def _best_factor(yours: np.ndarray, right: np.ndarray) -> float | None:
    """``s`` with ``yours ≈ s · right`` exactly (to ``MISTAKE_RTOL``), else ``None``."""
    denom = np.vdot(right, right)
    if denom == 0:
        return None
    s = float(np.vdot(yours, right) / denom)
    if _rel(yours, s * right) <= MISTAKE_RTOL and abs(s - 1) > MISTAKE_RTOL:
        return s
    return None


def _residual_variants(H, W, b):
    """The residual ``W H + b 1^T - Y`` and the residuals of three common slips."""
    C, n = W.shape[0], H.shape[1]
    N = n // C
    Y = targets(C, N)
    WH = W @ H
    return {
        "right": WH + b[:, None] - Y,
        "no targets": WH + b[:, None],
        "no bias": WH - Y,
        "targets interleaved": WH + b[:, None] - np.tile(np.eye(C), N),
    }


_SLIP_HINTS = {
    "no targets": "the residual W H + b 1ᵀ − Y is missing the targets: did you subtract Y?",
    "no bias": "the bias b is missing from the residual W H + b 1ᵀ − Y.",
    "targets interleaved": (
        "the targets Y are in the wrong column order: samples are ordered class by class, so "
        "column c·N + n belongs to class c."
    ),
}


def risk(fn, *, C: int = 3, N: int = 4, p: int = 5, seed: int = 0, trials: int = 3) -> Feedback:
    """Check a reader's empirical risk ``fn(H, W, b) -> float`` against
    ``R_e = 1/(2CN) ||W H + b 1^T - Y||_F^2``.

    Parameters
    ----------
    fn : callable
        The reader's risk, called as ``fn(H, W, b)`` with ``H`` of shape ``(p, C*N)``
        (samples class by class), ``W`` of shape ``(C, p)`` and ``b`` of shape ``(C,)``.
    C, N, p : int
        Sizes of the random test states (``C >= 2``).
    seed : int
        Seed of the random test states.
    trials : int
        Number of random states tried.

    Returns
    -------
    Feedback
        Passed, or a hint (a missing factor, a missing bias or target, a norm not squared).

    Raises
    ------
    TypeError, ValueError
        If ``fn`` is not callable or a size is invalid.
    """
    (C, N, p, trials), _, answers = _trials(fn, C, N, p, seed, trials)
    ratios = []
    for state, value, problem in answers:
        if problem is not None:
            return problem
        value, tol, problem = _one_number(
            value, "Your risk", "Did you forget to sum the squares over all entries?"
        )
        if problem is not None:
            return problem
        right = _risk(*state)
        ratios.append(value / right)
        if abs(value - right) <= tol * right:
            continue
        low_precision = _precision_hint("Your risk", abs(value - right) / right)
        if low_precision:
            return _fail(low_precision)
        for slip, R in _residual_variants(*state).items():
            if slip != "right" and abs(value - np.vdot(R, R) / (2 * C * N)) <= MISTAKE_RTOL * right:
                return _fail("Your risk is wrong: " + _SLIP_HINTS[slip])
        if abs(value**2 - 2 * C * N * right) <= MISTAKE_RTOL * 2 * C * N * right:
            return _fail("Your risk looks like the norm ‖W H + b 1ᵀ − Y‖_F: it should be squared.")
    if all(abs(r - 1) <= tol for r in ratios):
        return _ok(
            f"Your risk agrees with the book's at {trials} random states (C={C}, N={N}, p={p})."
        )
    if np.ptp(ratios) <= MISTAKE_RTOL * abs(ratios[0]):
        return _fail(_factor_hint("risk", ratios[0], C, N, "risk"))
    return _fail(
        "Your risk differs from 1/(2CN)‖W H + b 1ᵀ − Y‖²_F at random states, and not by a "
        "constant factor. Check the residual W H + b 1ᵀ − Y term by term."
    )


def gradients(
    fn, *, C: int = 3, N: int = 4, p: int = 5, seed: int = 0, trials: int = 3
) -> Feedback:
    """Check a reader's gradients ``fn(H, W, b) -> (dH, dW, db)`` of the empirical risk.

    Parameters
    ----------
    fn : callable
        The reader's gradients, called as ``fn(H, W, b)`` with ``H`` of shape ``(p, C*N)``,
        ``W`` of shape ``(C, p)`` and ``b`` of shape ``(C,)``; it must return the three
        gradients ``(∇_H R_e, ∇_W R_e, ∇_b R_e)`` with the shapes of ``H``, ``W``, ``b``.
    C, N, p : int
        Sizes of the random test states (``C >= 2``).
    seed : int
        Seed of the random test states.
    trials : int
        Number of random states tried.

    Returns
    -------
    Feedback
        Passed, or a hint naming the wrong gradient and the likely mistake.

    Raises
    ------
    TypeError, ValueError
        If ``fn`` is not callable or a size is invalid.
    """
    (C, N, p, trials), _, answers = _trials(fn, C, N, p, seed, trials)
    for state, output, problem in answers:
        if problem is not None:
            return problem
        yours, problem = _as_triple(output, _GRADIENT_NAMES, state, "the gradients")
        if problem is not None:
            return problem
        right = _gradients(*state)
        tol = _tolerance(*_dtypes(output))
        wrong = [k for k in range(3) if _rel(yours[k], right[k]) > tol]
        if wrong:
            rel = _rel(yours[wrong[0]], right[wrong[0]])
            low_precision = _precision_hint(f"Your {_GRADIENT_NAMES[wrong[0]]}", rel)
            return _fail(low_precision or _gradient_hint(yours, right, wrong, state))
    return _ok(
        f"Your ∇_H, ∇_W and ∇_b agree with the book's at {trials} random states "
        f"(C={C}, N={N}, p={p})."
    )


def _gradient_hint(yours, right, wrong, state) -> str:
    """The most specific hint for the first wrong gradient."""
    H, W, b = state
    C, N = W.shape[0], H.shape[1] // W.shape[0]
    k = wrong[0]
    name = _GRADIENT_NAMES[k]
    for slip, R in _residual_variants(H, W, b).items():
        if slip == "right":
            continue
        G = R / (C * N)
        candidate = (W.T @ G, G @ H.T, G.sum(axis=1))[k]
        if _rel(yours[k], candidate) <= MISTAKE_RTOL:
            return f"Your {name} is wrong: " + _SLIP_HINTS[slip]
    if not yours[k].any():
        return f"Your {name} is zero at a random state, where the risk is not stationary."
    factor = _best_factor(yours[k], right[k])
    if factor is not None:
        return _factor_hint(name, factor, C, N, "gradient")
    if k == 1 and C == H.shape[0] and _rel(yours[k], right[k].T) <= MISTAKE_RTOL:
        return f"Your {name} is the transpose of the right one: check the order of the factors."
    others = ", ".join(_GRADIENT_NAMES[j] for j in range(3) if j not in wrong)
    right_part = f" ({others} {'is' if len(wrong) == 2 else 'are'} right.)" if others else ""
    return (
        f"Your {name} is wrong at a random state, and not by a constant factor.{right_part} "
        "Write the risk as a function of the residual G = (W H + b 1ᵀ − Y)/(CN) and apply the "
        "chain rule: which matrix multiplies G, and on which side?"
    )


def projection(
    fn, *, C: int = 3, N: int = 4, p: int = 5, seed: int = 0, trials: int = 3
) -> Feedback:
    """Check a reader's orthogonal projection onto S, ``fn(H, W, b) -> (H', W', b')``.

    ``S = {(H, W, b) : 1^T W = 0, H = (1/sqrt(N)) (W ⊗ 1_N)^T, b ∈ span(1)}``, and the
    projection is orthogonal for ``||(H, W, b)||_E^2 = ||H||_F^2 + ||W||_F^2 + ||b||^2``.

    Parameters
    ----------
    fn : callable
        The reader's projection, called as ``fn(H, W, b)`` with ``H`` of shape ``(p, C*N)``
        (samples class by class), ``W`` of shape ``(C, p)``, ``b`` of shape ``(C,)``.
    C, N, p : int
        Sizes of the random test states (``C >= 2``).
    seed : int
        Seed of the random test states.
    trials : int
        Number of random states tried.

    Returns
    -------
    Feedback
        Passed, or a hint: which condition of S the result breaks, a likely slip (no
        centring, only one of W and H used, a wrong factor), or which property of an
        orthogonal projection fails (idempotence, orthogonality of the residual).

    Raises
    ------
    TypeError, ValueError
        If ``fn`` is not callable or a size is invalid.
    """
    (C, N, p, trials), rng, answers = _trials(fn, C, N, p, seed, trials)
    for state, output, problem in answers:
        if problem is not None:
            return problem
        yours, problem = _as_triple(output, ("H'", "W'", "b'"), state, "the projected state")
        if problem is not None:
            return problem
        right = project_S(*state)
        tol = _tolerance(*_dtypes(output))
        rels = [_rel(y, r) for y, r in zip(yours, right)]
        if all(rel <= tol for rel in rels):
            continue
        low_precision = _precision_hint("Your projection", max(rels))
        return _fail(low_precision or _projection_hint(fn, state, yours, rng))
    return _ok(
        f"Your projection agrees with proj_S at {trials} random states (C={C}, N={N}, p={p})."
    )


def _centred(V: np.ndarray) -> np.ndarray:
    """``P V``: subtract the mean row."""
    return V - V.mean(axis=0)


def _projection_slips(H, W, N: int):
    """``(hint, W')`` pairs: the W-part of the projection after each of the common slips."""
    C = W.shape[0]
    M = _class_summary(H, C)[0].T
    power_of_N = (
        "the class means of H enter with the wrong power of N: a point of S has features "
        "W_c/√N, and there are N samples per class."
    )
    return [
        (
            "the rows of W' do not sum to zero: did you forget to centre (apply P = I − 11ᵀ/C)?",
            (W + np.sqrt(N) * M) / 2,
        ),
        (
            "the result uses only W; a projection that is orthogonal for ‖·‖_E weighs W and the "
            "class means of H together.",
            _centred(W),
        ),
        (
            "the result uses only the class means of H; a projection that is orthogonal for "
            "‖·‖_E weighs W and H together.",
            _centred(np.sqrt(N) * M),
        ),
        (power_of_N, _centred((W + M) / 2)),
        (power_of_N, _centred((W + N * M) / 2)),
        (
            "W' is twice too large: it should average the two estimates of W, not add them.",
            _centred(W + np.sqrt(N) * M),
        ),
    ]


def _projection_hint(fn, state, yours, rng) -> str:
    H, W, b = state
    C, N = W.shape[0], H.shape[1] // W.shape[0]
    Hy, Wy, by = yours
    for hint, V in _projection_slips(H, W, N):
        if _rel(Wy, V) <= MISTAKE_RTOL:
            return "Your projection is wrong: " + hint
    scale = np.sqrt(sum(np.vdot(x, x) for x in yours)) or 1.0
    if np.linalg.norm(Wy.sum(axis=0)) > 1e-9 * scale:
        return "The result is not in S: the rows of W' do not sum to zero (1ᵀW' ≠ 0)."
    if _rel(Hy, np.repeat(Wy.T, N, axis=1) / np.sqrt(N)) > 1e-9:
        return (
            "The result is not in S: its features are not H' = (1/√N)(W' ⊗ 1_N)ᵀ (every sample "
            "of class c should have feature W'_c/√N)."
        )
    if np.ptp(by) > 1e-9 * scale:
        return "The result is not in S: b' is not a multiple of 1 (all its entries must be equal)."
    V = rng.standard_normal((C, H.shape[0]))
    V -= V.mean(axis=0)
    probe = (np.repeat(V.T, N, axis=1) / np.sqrt(N), V, np.full(C, rng.standard_normal()))
    image, problem = _call(fn, probe)
    if problem is None:
        image, problem = _as_triple(image, ("H'", "W'", "b'"), probe, "the projected state")
    if problem is None and any(_rel(x, q) > 1e-9 for x, q in zip(image, probe)):
        return (
            "Your map lands in S but moves points that are already in S; a projection onto S "
            "leaves every point of S where it is."
        )
    residual = [x - y for x, y in zip(state, yours)]
    if abs(sum(np.vdot(r, q) for r, q in zip(residual, probe))) > 1e-9 * scale:
        return (
            "Your map lands in S and fixes S, but it is not the orthogonal projection: Z − Π(Z) "
            "should be orthogonal (for ⟨·,·⟩_E) to every point of S, and it is not. Minimise "
            "‖Z − X‖²_E over X in S, written in terms of W' alone."
        )
    return "Your projection differs from proj_S at a random state."


_STEP_SLIPS = (
    (lambda C, N: 2.0, "the largest Hessian eigenvalue at strong collapse is not 1."),
    (
        lambda C, N: 1.0 / (1.0 + 1.0 / (C * np.sqrt(N))),
        "a factor 2 is missing: on a quadratic of curvature λ, gradient descent is stable for "
        "η < 2/λ.",
    ),
    (
        lambda C, N: 1.0 + 1.0 / (C * np.sqrt(N)),
        "that is the largest eigenvalue λ_max itself; the question asks for the step-size bound.",
    ),
    (
        lambda C, N: 2.0 / (1.0 + 1.0 / (C * N)),
        "N appears where √N belongs.",
    ),
    (
        lambda C, N: 2.0 / (1.0 + np.sqrt(N) / C),
        "the classifier part of the Hessian scales like 1/(C√N), not √N/C.",
    ),
)


def step_size_bound(answer, C: int | None = None, N: int | None = None) -> Feedback:
    """Check a reader's bound on the step size: ``2/λ_max`` with ``λ_max`` the largest
    Hessian eigenvalue of ``R_e`` at strong collapse.

    Parameters
    ----------
    answer : float or callable
        Either a number (the bound for the given ``C`` and ``N``) or a function
        ``answer(C, N) -> float``, which is then tested at several sizes.
    C, N : int, optional
        Number of classes and samples per class; required when ``answer`` is a number,
        not allowed when it is a function.

    Returns
    -------
    Feedback
        Passed, or a hint (a missing 2, ``λ_max`` instead of the bound, ``N`` for ``√N``,
        or whether the value is too large or too small).

    Raises
    ------
    TypeError, ValueError
        If ``answer`` is neither a number nor a function, or ``C``/``N`` do not fit.
    """
    if callable(answer):
        if C is not None or N is not None:
            raise TypeError("give C and N only with a number; a function is tested at many sizes")
        for C_, N_ in STEP_SIZES:
            try:
                value = answer(C_, N_)
            except Exception as exc:  # the reader's code may raise anything
                return _fail(f"Your function raised {type(exc).__name__}: {exc} at C={C_}, N={N_}.")
            result = _step_feedback(value, C_, N_, "Your function returned")
            if not result:
                return result
        sizes = ", ".join(f"({c}, {n})" for c, n in STEP_SIZES)
        return _ok(f"Your bound is right at every (C, N) tried: {sizes}.")
    if isinstance(answer, np.ndarray) and answer.dtype.kind in "iuf":
        if answer.size != 1:
            return _fail(
                f"Your answer is an array of shape {answer.shape}; the bound is one number."
            )
        answer = answer.reshape(())[()]
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        unfilled = _unfilled(answer, "Your answer is")
        if unfilled is not None:
            return unfilled
        raise TypeError(
            f"answer must be a number or a function of (C, N); got {type(answer).__name__}"
        )
    if C is None or N is None:
        raise TypeError("with a number as answer, give the sizes too: step_size_bound(x, C=, N=)")
    C, N, _ = _checks.sizes(C, N, 1)
    return _step_feedback(answer, C, N)


def _step_feedback(value, C: int, N: int, what: str = "Your answer is") -> Feedback:
    """Compare one value with ``2/λ_max`` for ``(C, N)``."""
    unfilled = _unfilled(value, what)
    if unfilled is not None:
        return unfilled
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        if value.size != 1:
            return _fail(f"{what} an array of shape {value.shape}; the bound is one number.")
        value = value.reshape(())[()]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return _fail(f"The bound should be one number; got {type(value).__name__}.")
    tol = _tolerance(value)
    value = _checks._as_float(value, "answer", "a number")  # inf for a huge integer
    if not np.isfinite(value):
        return _fail(f"{what} {value}, not a number: the bound is a positive finite number.")
    right = largest_stable_step(C, N)
    if abs(value - right) <= tol * right:
        return _ok(f"Your bound is right for C={C}, N={N}.")
    for formula, hint in _STEP_SLIPS if C < 2**1000 and N < 2**1000 else ():
        slip = formula(C, N)
        if abs(slip - right) <= MISTAKE_RTOL * right:
            continue  # at this size the slip gives the right value (N = 1: N and √N agree)
        if abs(value - slip) <= max(MISTAKE_RTOL, tol) * right:
            return _fail(f"Not the bound for C={C}, N={N}: {hint}")
    low_precision = _precision_hint("Your bound", abs(value - right) / right)
    if low_precision:
        return _fail(low_precision)
    side = "too large" if value > right else "too small"
    return _fail(
        f"Your bound for C={C}, N={N} is {side}. The stability limit of gradient descent near a "
        "minimiser is 2 divided by the largest eigenvalue of the Hessian there."
    )


def distance(fn, *, C: int = 3, N: int = 4, p: int = 5, seed: int = 0, trials: int = 3) -> Feedback:
    """Check a reader's relative distance from S, ``fn(H, W, b) -> ‖Z − proj_S Z‖_E / ‖Z‖_E``.

    Parameters
    ----------
    fn : callable
        The reader's distance, called as ``fn(H, W, b)`` with ``H`` of shape ``(p, C*N)``
        (samples class by class), ``W`` of shape ``(C, p)``, ``b`` of shape ``(C,)``.
    C, N, p : int
        Sizes of the random test states (``C >= 2``).
    seed : int
        Seed of the random test states.
    trials : int
        Number of random states tried (and as many points of S, where the distance is 0).

    Returns
    -------
    Feedback
        Passed, or a hint: a distance that is not relative, not a square root, divided by
        the wrong norm, or not zero on S.

    Raises
    ------
    TypeError, ValueError
        If ``fn`` is not callable or a size is invalid.
    """
    (C, N, p, trials), rng, answers = _trials(fn, C, N, p, seed, trials)
    for state, value, problem in answers:
        if problem is not None:
            return problem
        value, tol, problem = _one_number(value, "Your distance")
        if problem is not None:
            return problem
        off = [x - y for x, y in zip(state, project_S(*state))]
        far = float(np.sqrt(sum(np.vdot(x, x) for x in off)))
        norm = float(np.sqrt(sum(np.vdot(x, x) for x in state)))
        right = far / norm
        if abs(value - right) <= tol * right:
            continue
        near = np.sqrt(max(norm**2 - far**2, 0.0))
        slips = [
            (
                far,
                "this is the distance ‖Z − proj_S Z‖_E itself; the relative distance divides it "
                "by ‖Z‖_E.",
            ),
            (right**2, "this is the square of the relative distance: take the square root."),
            (
                far / near if near > 0 else np.inf,
                "divide by the norm of Z, not by the norm of its projection proj_S Z.",
            ),
            (
                np.sqrt(sum(np.vdot(x, x) for x in off[:2])) / norm,
                "the bias b is part of Z: "
                "its part off S counts in the distance (‖·‖_E includes ‖b‖²).",
            ),
        ]
        for wrong, hint in slips:
            if abs(value - wrong) <= MISTAKE_RTOL * abs(wrong):
                return _fail("Your distance is wrong: " + hint)
        low_precision = _precision_hint("Your distance", abs(value - right) / right)
        return _fail(
            low_precision
            or "Your distance differs from ‖Z − proj_S Z‖_E / ‖Z‖_E at a random state. Check the "
            "projection you subtract and that ‖·‖_E sums the squares of all three parts."
        )
    for _ in range(trials):
        V = _centred(rng.standard_normal((C, p)))
        in_S = (np.repeat(V.T, N, axis=1) / np.sqrt(N), V, np.full(C, rng.standard_normal()))
        value, problem = _call(fn, in_S)
        if problem is not None:
            return problem
        if not abs(float(np.asarray(value, dtype=np.float64))) <= 1e-6:
            return _fail(
                "Your distance is not zero at a point of S: a point of S is its own projection."
            )
    return _ok(
        f"Your distance agrees with the book's at {trials} random states and is zero at "
        f"{trials} points of S (C={C}, N={N}, p={p})."
    )


#: Per-student parameters of each assignment: name -> (name, values to choose from) pairs.
_PARAMETERS = {
    "gradients": (
        ("C", (3, 4, 5)),
        ("N", (2, 3, 4, 5)),
        ("p", (4, 5, 6, 7)),
        ("s", tuple(round(0.05 + 0.01 * k, 2) for k in range(31))),
        ("lam", tuple(round(0.002 + 0.001 * k, 3) for k in range(49))),
        ("seed", tuple(range(10_000))),
    ),
    "invariance": (
        ("C", (3, 4, 5)),
        ("N", (2, 3, 4)),
        ("p", (4, 5, 6)),
        ("mu", (0.25, 0.4, 0.5, 0.6, 0.75, 1.5, 2.0, 2.5, 3.0, 4.0)),
        ("s", tuple(round(0.05 + 0.01 * k, 2) for k in range(31))),
        ("lam", tuple(round(0.002 + 0.001 * k, 3) for k in range(19))),
        ("lam_H", tuple(round(0.01 + 0.01 * k, 2) for k in range(10))),
        ("lam_W", tuple(round(0.12 + 0.01 * k, 2) for k in range(10))),
        ("seed", tuple(range(10_000))),
    ),
    "eps_scaling": (
        ("C", (3, 4)),
        ("N", (2, 3, 4)),
        ("p", tuple(range(10, 17))),
        ("seeds", None),
        ("target", (1e-5, 3e-6, 1e-6, 3e-7)),
    ),
}


def parameters(assignment: str, student: str) -> dict:
    """The numbers of one student's version of an assignment: sizes, seeds, constants.

    They are derived from ``sha256(f"{assignment}:{student}")``, so they are the same every
    time for the same student and differ between students: the public assignments show the
    questions, and each student's answers are numbers nobody else has. The grader derives
    the same numbers from the identity of the submission.

    Parameters
    ----------
    assignment : str
        The assignment's name (``"gradients"``, ``"invariance"``, ``"eps_scaling"``).
    student : str
        The identifier the teacher gave the student (for example a student number).

    Returns
    -------
    dict
        Parameter name -> value (int, float, or a list of ints for ``seeds``).

    Raises
    ------
    ValueError
        If ``student`` is empty or the assignment is unknown.
    """
    import hashlib

    if student is Ellipsis or not isinstance(student, str) or not student.strip():
        raise ValueError(
            'STUDENT is not set: in the first code cell write STUDENT = "your id" (in quotes), '
            "with the identifier your teacher gave you (for example your student number), "
            "then run the cell again. Your numbers in this assignment depend on it, and the "
            "grader uses it."
        )
    if assignment not in _PARAMETERS:
        known = ", ".join(sorted(_PARAMETERS))
        raise ValueError(f"no assignment {assignment!r}; the assignments are: {known}")
    digest = hashlib.sha256(f"{assignment}:{student.strip()}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:16], "big"))
    values = {}
    for name, choices in _PARAMETERS[assignment]:
        if choices is None:  # three distinct seeds
            values[name] = sorted(int(x) for x in rng.choice(1000, size=3, replace=False))
        else:
            values[name] = choices[int(rng.integers(len(choices)))]
    return values
