"""Hidden checks of the assignment "gradients": the label-smoothed risk with weight decay.

Every check calls the student's own function, in their kernel, on inputs drawn at grading
time, and compares with values computed here. Messages name the mistake and give a hint,
never an expected value.
"""

import numpy as np
from grader import Fail, Kernel

from ufm import check

FORBIDDEN = {
    "q1": ["ufm.risk", "ufm.model.risk", "ufm.extensions.extended_risk"],
    "q2": ["ufm.gradients", "ufm.model.gradients", "ufm.extensions.extended_gradients"],
}


def _targets(C, N, s):
    return (1 - s) * np.repeat(np.eye(C), N, axis=1) + s / C


def _state(rng, C, N, p):
    """A random state (H, W, b) with these sizes."""
    return tuple(rng.standard_normal(shape) for shape in ((p, C * N), (C, p), (C,)))


def _sizes(rng):
    return int(rng.integers(2, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 7))


def _constants(rng, params):
    """The student's (s, λ), then another pair drawn now."""
    return [
        (params["s"], params["lam"]),
        (float(rng.uniform(0.05, 0.5)), float(rng.uniform(0.01, 0.2))),
    ]


def _risk(H, W, b, s, lam, Y=None, decay=0.5, decay_b=False):
    C = W.shape[0]
    N = H.shape[1] // C
    Y = _targets(C, N, s) if Y is None else Y
    R = W @ H + b[:, None] - Y
    norms = np.sum(H**2) + np.sum(W**2) + (np.sum(b**2) if decay_b else 0.0)
    return float(np.sum(R**2) / (2 * C * N) + decay * lam * norms)


def _gradients(H, W, b, s, lam, Y=None, decay=1.0, decay_b=False):
    C = W.shape[0]
    N = H.shape[1] // C
    Y = _targets(C, N, s) if Y is None else Y
    G = (W @ H + b[:, None] - Y) / (C * N)
    db = G.sum(axis=1) + (decay * lam * b if decay_b else 0.0)
    return W.T @ G + decay * lam * H, G @ H.T + decay * lam * W, db


def _slips(H, W, b, s, lam, fn, decay):
    """(what the common slips give, hint) for the risk (fn=_risk) or the gradients."""
    C = W.shape[0]
    N = H.shape[1] // C
    Y = np.repeat(np.eye(C), N, axis=1)
    return [
        (
            fn(H, W, b, s, lam, Y=Y),
            "the targets are not smoothed: Y_s = (1 − s) Y + (s/C) 1 1ᵀ replaces Y.",
        ),
        (
            fn(H, W, b, s, lam, Y=Y + s / C),
            "the smoothed targets keep only (1 − s) of Y: you added (s/C) 1 1ᵀ but did not "
            "scale Y by (1 − s).",
        ),
        (
            fn(H, W, b, s, lam, Y=(1 - s) * Y + s),
            "the smoothing spreads s over the C classes: each target entry gets s/C, not s.",
        ),
        (fn(H, W, b, s, lam, decay=0.0), "the weight-decay term is missing."),
        (
            fn(H, W, b, s, lam, decay=2 * decay),
            "the weight decay is twice too large: the term is (λ/2)(‖H‖² + ‖W‖²), and its "
            "gradient is λ times the matrix.",
        ),
        (
            fn(H, W, b, s, lam, decay=decay / 2),
            "the weight decay is half what it should be: the gradient of (λ/2)‖X‖² is λX.",
        ),
        (
            fn(H, W, b, s, lam, decay_b=True),
            "the weight decay applies to H and W only, not to the bias b.",
        ),
    ]


def _close(a, b, rtol=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.linalg.norm(a - b) <= rtol * max(np.linalg.norm(b), 1e-300)


def _book_case(student, name, checker, rng):
    """The book's risk (s = λ = 0) through the public self-check, called remotely."""
    C, N, p = _sizes(rng)
    seed = int(rng.integers(2**31))

    def remote(H, W, b):
        return student.call(name, H, W, b, 0.0, 0.0)

    try:
        result = checker(remote, C=max(C, 2), N=N, p=p, seed=seed)
    except Fail:
        raise
    return result


def q1(student, rng, params):
    """risk(H, W, b, s, lam): half the points for s = λ = 0, half for the smoothed variant."""
    book = _book_case(student, "risk", check.risk, rng)
    if not book:
        raise Fail(f"With s = 0 and λ = 0 (the book's risk): {book.message.lstrip('✗ ')}")
    for s, lam in _constants(rng, params):
        for _ in range(2):
            state = _state(rng, *_sizes(rng))
            got = student.call("risk", *state, s, lam)
            try:
                got = float(np.asarray(got, dtype=float))
            except (TypeError, ValueError):
                raise Fail("risk must return one number (a float).") from None
            if _close(got, _risk(*state, s, lam)):
                continue
            for wrong, hint in _slips(*state, s, lam, _risk, 0.5):
                if _close(got, wrong, 1e-6):
                    return _partial("Your risk is right for s = λ = 0, but " + hint)
            return _partial(
                "Your risk is right for s = λ = 0 but not with label smoothing and weight decay. "
                "Check the smoothed targets Y_s and the term (λ/2)(‖H‖² + ‖W‖²) separately: set "
                "one of s and λ to zero at a time."
            )
    return 1.0


def q2(student, rng, params):
    """gradients(H, W, b, s, lam): half the points for s = λ = 0, half for the variant."""
    book = _book_case(student, "gradients", check.gradients, rng)
    if not book:
        raise Fail(f"With s = 0 and λ = 0 (the book's risk): {book.message.lstrip('✗ ')}")
    names = ("∇_H", "∇_W", "∇_b")
    for s, lam in _constants(rng, params):
        for _ in range(2):
            state = _state(rng, *_sizes(rng))
            got = student.call("gradients", *state, s, lam)
            if not isinstance(got, (tuple, list)) or len(got) != 3:
                raise Fail("gradients must return a tuple of three arrays (dH, dW, db).")
            right = _gradients(*state, s, lam)
            wrong = [k for k in range(3) if not _close(got[k], right[k])]
            if not wrong:
                continue
            for slip, hint in _slips(*state, s, lam, _gradients, 1.0):
                if all(_close(g, w, 1e-6) for g, w in zip(got, slip)):
                    return _partial("Your gradients are right for s = λ = 0, but " + hint)
            return _partial(
                f"Your gradients are right for s = λ = 0, but {names[wrong[0]]} is wrong with "
                "label smoothing and weight decay. Differentiate the two terms separately; "
                "the smoothing changes only the residual."
            )
    return 1.0


def _partial(message):
    """The book's case is right and the variant is not: half the points, and a hint."""
    raise Fail(message, score=0.5)


# Synthetic directional errors: the grader replaces the student's directional_error by one
# of these, so questions 4 and 5 are graded on their own (no double penalty for question 3).
def _power_law(constant, exponent):
    return Kernel(f"lambda risk_fn, gradients_fn, Z, D, h: {constant!r} * h ** {exponent!r}")


def _valley(best):
    return Kernel(f"lambda risk_fn, gradients_fn, Z, D, h: h / {best!r} + {best!r} / h")


_REFERENCE_RISK = Kernel("_grading.reference.risk")
_REFERENCE_GRADIENTS = Kernel("_grading.reference.gradients")


def _directional(Z, D, h, scale=1.0):
    import ufm

    moved = [z + h * d for z, d in zip(Z, D)]
    forward = (ufm.risk(*moved) - ufm.risk(*Z)) / h
    exact = scale * np.sum([np.sum(part * way) for part, way in zip(ufm.gradients(*Z), D)])
    return abs(forward - exact) / abs(exact)


def _number(x, what="directional_error"):
    try:
        return float(np.asarray(x, dtype=float))
    except (TypeError, ValueError):
        raise Fail(
            f"{what} must return one number (a float); it returned something else."
        ) from None


def q3(student, rng, params):
    """directional_error: the right gradient, a scaled one, at several steps."""
    C, N, p = _sizes(rng)
    Z, D = _state(rng, C, N, p), _state(rng, C, N, p)
    scale = float(rng.choice([0.5, 2.0, 3.0, -1.0]))
    scaled = Kernel(
        f"lambda H, W, b: tuple({scale!r} * g for g in _grading.reference.gradients(H, W, b))"
    )
    h = float(10 ** -rng.uniform(2, 4))
    got = _number(student.call("directional_error", _REFERENCE_RISK, scaled, Z, D, h))
    if not np.isclose(got, _directional(Z, D, h, scale), rtol=1e-6):
        raise Fail(
            "directional_error is wrong for a gradient that is a multiple of the right one: "
            "the relative error divides |central difference − ⟨∇R, D⟩| by |⟨∇R, D⟩|, where "
            "⟨∇R, D⟩ sums the entrywise products over all three parts."
        )
    errors = [
        _number(
            student.call("directional_error", _REFERENCE_RISK, _REFERENCE_GRADIENTS, Z, D, step)
        )
        for step in (h, h / 10)
    ]
    expected = [_directional(Z, D, step) for step in (h, h / 10)]
    if not all(np.isclose(e, x, rtol=1e-3) for e, x in zip(errors, expected)):
        raise Fail(
            "directional_error is wrong for the right gradient: the one-sided difference is "
            "(R(Z + hD) − R(Z))/h, with Z + hD taken part by part (H, W and b)."
        )
    return 1.0


def q4(student, rng, params):
    """order_of_accuracy, fed with synthetic errors c·h^k through directional_error."""
    steps = np.sort(10.0 ** -rng.uniform(0.5, 6, size=int(rng.integers(3, 6))))[::-1]
    C, N, p = _sizes(rng)
    Z, D = _state(rng, C, N, p), _state(rng, C, N, p)
    for _ in range(2):
        exponent, constant = float(rng.uniform(0.5, 3.5)), float(rng.uniform(0.1, 10))
        got = student.call(
            "order_of_accuracy",
            _REFERENCE_RISK,
            _REFERENCE_GRADIENTS,
            Z,
            D,
            steps,
            replace={"directional_error": _power_law(constant, exponent)},
        )
        try:
            got = float(np.asarray(got, dtype=float))
        except (TypeError, ValueError):
            raise Fail("order_of_accuracy must return one number, the fitted slope.") from None
        if np.isclose(got, -exponent, rtol=1e-6):
            raise Fail("The sign of the order is flipped: the error shrinks as h shrinks.")
        if np.isclose(got, exponent * np.log(10), rtol=1e-6) or np.isclose(
            got, exponent / np.log(10), rtol=1e-6
        ):
            raise Fail("Take the same logarithm of h and of the errors.")
        if not np.isclose(got, exponent, rtol=1e-6):
            raise Fail(
                "order_of_accuracy does not recover k from errors c·h^k. It should call "
                "directional_error once per step and fit a line to (log h, log error)."
            )
    return 1.0


def q5(student, rng, params):
    """best_step, fed with synthetic errors h/h* + h*/h (smallest at h*)."""
    for _ in range(2):
        steps = 10.0 ** -np.arange(1, int(rng.integers(10, 14)))
        best = float(rng.choice(steps[1:-1]))
        C, N, p = _sizes(rng)
        got = student.call(
            "best_step",
            _REFERENCE_RISK,
            _REFERENCE_GRADIENTS,
            _state(rng, C, N, p),
            _state(rng, C, N, p),
            steps,
            replace={"directional_error": _valley(best)},
        )
        try:
            got = float(np.asarray(got, dtype=float))
        except (TypeError, ValueError):
            raise Fail("best_step must return one number, one of the steps.") from None
        if not np.isin(got, steps):
            raise Fail("best_step must return one of the steps it was given.")
        if got != best:
            raise Fail(
                "best_step does not return the step of smallest directional error: call "
                "directional_error at each step and pick the step where it is smallest "
                "(np.argmin gives its index)."
            )
    return 1.0
