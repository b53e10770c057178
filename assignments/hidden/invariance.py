"""Hidden checks of the assignment "invariance": S for a weighted norm, label smoothing and
weight decay.

Every check calls the student's own function, in their kernel, on inputs drawn at grading
time (or reads a number that must agree with the student's parameters), and compares with
values computed here. Messages name the mistake and give a hint, never an expected value.
"""

import numpy as np
from grader import Fail, Kernel

from ufm import check

FORBIDDEN = {
    "q1": ["ufm.project_S", "ufm.subspace.project_S"],
    "q2": ["ufm.distance_to_S", "ufm.subspace.distance_to_S"],
}

#: The reference projection for the weighted norm, evaluated in the student's kernel, for the
#: checks that need it (question 2 is graded with it, not with the student's question 1).
PROJECTION = Kernel(
    "lambda H, W, b, mu: (lambda C, N: (lambda V: (V.T.repeat(N, axis=1) / N**0.5, V, "
    "b.mean() + 0 * b))((lambda U: U - U.mean(axis=0))((mu * W + N**0.5 * H.reshape("
    "H.shape[0], C, N).mean(axis=2).T) / (1 + mu))))(W.shape[0], H.shape[1] // W.shape[0])"
)


def _sizes(rng):
    return int(rng.integers(2, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 7))


def _state(rng, C, N, p):
    """A random state (H, W, b) with these sizes."""
    return tuple(rng.standard_normal(shape) for shape in ((p, C * N), (C, p), (C,)))


def _centred(V):
    return V - V.mean(axis=0)


def _in_S(V, N, beta):
    C = V.shape[0]
    return np.repeat(V.T, N, axis=1) / np.sqrt(N), V, np.full(C, beta)


def _means(H, C):
    p, n = H.shape
    return H.reshape(p, C, n // C).mean(axis=2).T


def _projection(H, W, b, mu):
    C = W.shape[0]
    N = H.shape[1] // C
    V = _centred((mu * W + np.sqrt(N) * _means(H, C)) / (1 + mu))
    return _in_S(V, N, b.mean())


def _norm(Z, mu):
    H, W, b = Z
    return float(np.sqrt(np.sum(H**2) + mu * np.sum(W**2) + np.sum(b**2)))


def _close(a, b, rtol=1e-8):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.linalg.norm(a - b) <= rtol * max(np.linalg.norm(b), 1e-300)


def _raise_if_slip(got, slips, prefix, close=lambda a, b: np.isclose(a, b, rtol=1e-6)):
    """Raise ``Fail(prefix + hint)`` for the first ``(wrong, hint)`` of ``slips`` that
    ``got`` matches: the typical mistakes each get their own hint."""
    for wrong, hint in slips:
        if close(got, wrong):
            raise Fail(prefix + hint)


def _number(x, what):
    try:
        return float(np.asarray(x, dtype=float))
    except (TypeError, ValueError):
        raise Fail(f"{what} must be one number (a float).") from None


def _weights(rng, params):
    return [params["mu"], float(rng.choice([0.3, 0.7, 1.8, 3.5]))]


def q1(student, rng, params):
    """project_onto_S(H, W, b, mu): μ = 1 through the public check, then other μ."""
    C, N, p = _sizes(rng)

    def remote(H, W, b):
        return student.call("project_onto_S", H, W, b, 1.0)

    book = check.projection(remote, C=C, N=N, p=p, seed=int(rng.integers(2**31)))
    if not book:
        raise Fail(f"With μ = 1 (the book's norm): {book.message.lstrip('✗ ')}")
    for mu in _weights(rng, params):
        C, N, p = _sizes(rng)
        state = _state(rng, C, N, p)
        got = student.call("project_onto_S", *state, mu)
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise Fail("project_onto_S must return a tuple of three arrays (H_S, W_S, b_S).")
        right = _projection(*state, mu)
        if all(_close(g, r) for g, r in zip(got, right)):
            continue
        H, W, b = state
        M = np.sqrt(N) * _means(H, C)
        slips = [
            (
                _centred((W + mu * M) / (1 + mu)),
                "μ weighs ‖W‖², so it multiplies W in the average, not the class means of H.",
            ),
            (
                _centred((mu * W + M) / 2),
                "the weights of the average must add up: divide by 1 + μ.",
            ),
            (
                (mu * W + M) / (1 + mu),
                "the rows of W_S do not sum to zero: centre after averaging.",
            ),
        ]
        prefix = "Your projection is right for μ = 1 but not for other μ: "
        _raise_if_slip(got[1], slips, prefix, close=lambda a, b: _close(a, b, 1e-6))
        raise Fail(
            "Your projection is right for μ = 1 but not for other μ. Write ‖Z − Z_S(V, β)‖²_μ "
            "as a function of V: the H part is ‖√N H̄ᵀ − V‖²_F plus a constant, the W part is "
            "μ‖W − V‖²_F; minimise over V with 1ᵀV = 0."
        )
    return 1.0


def q2(student, rng, params):
    """distance_from_S(H, W, b, mu), graded with the reference projection."""
    for mu in [1.0, *_weights(rng, params)]:
        C, N, p = _sizes(rng)
        Z = _state(rng, C, N, p)
        got = _number(
            student.call("distance_from_S", *Z, mu, replace={"project_onto_S": PROJECTION}),
            "distance_from_S",
        )
        off = [x - y for x, y in zip(Z, _projection(*Z, mu))]
        far, norm = _norm(off, mu), _norm(Z, mu)
        if np.isclose(got, far / norm, rtol=1e-8):
            continue
        V = rng.standard_normal((C, p))
        on_S = _number(
            student.call(
                "distance_from_S",
                *_in_S(_centred(V), N, 0.3),
                mu,
                replace={"project_onto_S": PROJECTION},
            ),
            "distance_from_S",
        )
        slips = [
            (far, "this is ‖Z − proj_S Z‖_μ itself; the relative distance divides it by ‖Z‖_μ."),
            ((far / norm) ** 2, "take the square root: ‖·‖_μ is the root of a sum of squares."),
            (
                _norm(off, 1.0) / _norm(Z, 1.0),
                "measure in the weighted norm: μ multiplies ‖W‖² in both norms.",
            ),
            (_norm(off, mu) / _norm(Z, 1.0), "the denominator ‖Z‖_μ is weighted too."),
            (_norm(off, 1.0) / norm, "the numerator ‖Z − proj_S Z‖_μ is weighted too."),
        ]
        _raise_if_slip(got, slips, "Your distance is wrong: ")
        if abs(on_S) > 1e-8:
            raise Fail("Your distance is not zero at a point of S: subtract the projection of Z.")
        raise Fail(
            "Your distance differs from ‖Z − proj_S Z‖_μ / ‖Z‖_μ. Call project_onto_S with the "
            "same μ, and sum the squares of all three parts (H, W and b)."
        )
    return 1.0


def q3(student, rng, params):
    """decay_gradient_distance(W, beta, N, lam_H, lam_W): compared with the closed form."""
    cases = [(params["lam_H"], params["lam_W"])]
    cases += [(float(rng.uniform(0, 0.5)), float(rng.uniform(0, 0.5))) for _ in range(2)]
    lam = float(rng.uniform(0.01, 0.3))
    cases.append((lam, lam))
    for lam_H, lam_W in cases:
        C, N, p = _sizes(rng)
        W = _centred(rng.standard_normal((C, p)))
        beta = float(rng.standard_normal())
        got = _number(
            student.call(
                "decay_gradient_distance",
                W,
                beta,
                N,
                lam_H,
                lam_W,
                replace={"project_onto_S": PROJECTION},
            ),
            "decay_gradient_distance",
        )
        right = abs(lam_H - lam_W) * np.linalg.norm(W) / np.sqrt(2)
        if np.isclose(got, right, rtol=1e-7, atol=1e-10):
            continue
        if lam_H == lam_W:
            raise Fail(
                "With λ_H = λ_W your distance is not zero: then the decay term (λH, λW, 0) "
                "is a multiple of Z, which lies in S."
            )
        slips = [
            (
                abs(lam_H - lam_W) * np.linalg.norm(W),
                "the part of (H, −W, 0) off S is the whole "
                "of it, and its norm is √(‖H‖² + ‖W‖²) = √2 ‖W‖; the difference of the decays is "
                "split between H and W.",
            ),
            (
                abs(lam_H - lam_W) * np.linalg.norm(W) / 2,
                "‖H‖_F = ‖W‖_F on S, so ‖(H, −W, 0)‖ is √2 ‖W‖_F, not ‖W‖_F.",
            ),
            (right**2, "this is the square of the distance."),
        ]
        _raise_if_slip(got, slips, "Your distance is wrong: ")
        raise Fail(
            "Your distance of the gradient from S is wrong for λ_H ≠ λ_W. The gradient of the "
            "risk lies in S; write the decay term (λ_H H, λ_W W, 0) as a multiple of Z plus a "
            "multiple of (H, −W, 0), and find the part of each in S."
        )
    return 1.0


def _smoothed_risk(W, beta, N, s, lam):
    C, p = W.shape
    H, W, b = _in_S(W, N, beta)
    Y = (1 - s) * np.repeat(np.eye(C), N, axis=1) + s / C
    R = W @ H + b[:, None] - Y
    return float(np.sum(R**2) / (2 * C * N) + lam / 2 * (np.sum(H**2) + np.sum(W**2)))


def q4(student, rng, params):
    """smoothed_risk_on_S(W, beta, N, s, lam): compared with the risk of the full state."""
    cases = [(params["s"], params["lam"]), (0.0, 0.0)]
    cases += [(float(rng.uniform(0.05, 0.5)), float(rng.uniform(0.0, 0.2))) for _ in range(2)]
    for s, lam in cases:
        C, N, p = _sizes(rng)
        W = _centred(rng.standard_normal((C, p))) * rng.uniform(0.3, 2)
        beta = float(rng.standard_normal())
        got = _number(student.call("smoothed_risk_on_S", W, beta, N, s, lam), "smoothed_risk_on_S")
        right = _smoothed_risk(W, beta, N, s, lam)
        if np.isclose(got, right, rtol=1e-8):
            continue
        where = "even for s = λ = 0 (the book's case)" if s == lam == 0 else "for s, λ > 0"
        P = np.eye(C) - 1 / C
        gap = W @ W.T / np.sqrt(N)
        bias = (C * beta - 1) ** 2 / (2 * C)
        slips = [
            (
                np.sum((gap - P) ** 2) / (2 * C) + bias + lam * np.sum(W**2),
                "the smoothing shrinks the target of W Wᵀ/√N from P to (1 − s) P.",
            ),
            (
                np.sum((gap - (1 - s) * P) ** 2) / (2 * C) + bias + lam / 2 * np.sum(W**2),
                "on S, ‖H‖_F = ‖W‖_F: the decay (λ/2)(‖H‖² + ‖W‖²) is λ‖W‖².",
            ),
            (
                np.sum((gap - (1 - s) * P) ** 2) / (2 * C) + bias,
                "the weight-decay term is missing.",
            ),
            (
                np.sum((gap - (1 - s) * P) ** 2) / (2 * C) + lam * np.sum(W**2),
                "the bias part (Cβ − 1)²/(2C) is missing.",
            ),
        ]
        _raise_if_slip(got, slips, f"Your risk on S is wrong {where}: ")
        raise Fail(
            f"Your risk on S is wrong {where}. On S the residual is A ⊗ 1ᵀ with A symmetric: "
            "split A into its part on 1^⊥ and its part along 11ᵀ, which are orthogonal."
        )
    return 1.0


def q5(student, rng, params):
    """a_star for the student's C, N, s, λ."""
    if not student.defines("a_star"):
        raise Fail("a_star is not defined: run the cell of Question 5.")
    got = _number(student.value("a_star"), "a_star")
    C, N, s, lam = params["C"], params["N"], params["s"], params["lam"]
    right = np.sqrt(N) * (1 - s - lam * C * np.sqrt(N))
    if np.isclose(got, right, rtol=1e-6):
        return 1.0
    slips = [
        (np.sqrt(N) * (1 - s), "the weight decay is missing: it pulls a* below √N(1 − s)."),
        (np.sqrt(N) * (1 - lam * C * np.sqrt(N)), "the smoothing is missing."),
        (
            np.sqrt(N) * (1 - s - lam * C * np.sqrt(N) / 2),
            "the decay on S is λ‖W‖², not (λ/2)‖W‖²: H contributes as much as W.",
        ),
        (np.sqrt(N) * (1 - s - 2 * lam * C * np.sqrt(N)), "the derivative of λ a is λ, not 2λ."),
    ]
    _raise_if_slip(got, slips, "a_star is wrong: ")
    raise Fail(
        "a_star does not minimise the risk on S for your C, N, s and λ (from params). Write the "
        "risk on S as a sum over the eigenvalues a of W Wᵀ on 1^⊥, and minimise each term."
    )
