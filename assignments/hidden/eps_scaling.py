"""Hidden checks of the assignment "eps_scaling": how the final errors depend on ε, for
the sizes and seeds of the student.

Functions are called on inputs drawn at grading time and compared with runs made here;
numbers are compared with what the grader computes from the student's own functions and
arrays and from their parameters, so a number copied from elsewhere fails. Messages name
the mistake and give a hint, never an expected value.
"""

import numpy as np
from grader import Fail

import ufm

FORBIDDEN = {}

EPS_GRID = np.array([1e-1, 3e-2, 1e-2, 3e-3, 1e-3])
LR, STEPS = 1.0, 4000


def _run(params, eps, seed):
    start = ufm.random_init(params["C"], params["N"], params["p"], eps, seed=seed)
    return ufm.gradient_descent(*start, lr=LR, steps=STEPS, record_every=STEPS)


def _slope(x, y):
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def _array(x, what, shape=None):
    try:
        x = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise Fail(f"{what} must be numbers.") from None
    if shape is not None and x.shape != shape:
        raise Fail(f"{what} has shape {x.shape}; the question asks for shape {shape}.")
    if not np.isfinite(x).all():
        raise Fail(f"{what} has NaN or infinite entries.")
    return x


def _draws(rng, params):
    return [(float(10 ** rng.uniform(-2.8, -1.2)), int(rng.integers(1000))) for _ in range(2)]


def q1(student, rng, params):
    """final_errors(eps, seed) against runs made here, at the student's sizes."""
    for eps, seed in _draws(rng, params):
        got = _array(student.call("final_errors", eps, seed), "final_errors(eps, seed)", (3,))
        run = _run(params, eps, seed)
        if np.allclose(got, run.errors[-1], rtol=1e-6):
            continue
        if np.allclose(got, run.errors[0], rtol=1e-6):
            raise Fail("final_errors returns the errors at the start: take the last record.")
        other = ufm.gradient_descent(
            *ufm.random_init(3, 3, 15, eps, seed=seed), lr=LR, steps=STEPS, record_every=STEPS
        )
        if np.allclose(got, other.errors[-1], rtol=1e-6):
            raise Fail("final_errors uses the sizes of Figure 1; use your C, N and p (params).")
        raise Fail(
            "final_errors differs from a run of 4000 steps with step size 1 from "
            "ufm.random_init(C, N, p, eps, seed=seed) with your C, N and p."
        )
    return 1.0


def q2(student, rng, params):
    """loglog_slope on power laws with random exponents, then on noisy data."""
    x = np.sort(10 ** rng.uniform(-3, 1, size=int(rng.integers(4, 9))))
    exponent, constant = float(rng.uniform(-3, 3)), float(10 ** rng.uniform(-2, 2))
    got = float(_array(student.call("loglog_slope", x, constant * x**exponent), "loglog_slope"))
    if np.isclose(got, -exponent, rtol=1e-6):
        raise Fail("loglog_slope has the wrong sign: fit log y against log x.")
    if not np.isclose(got, exponent, rtol=1e-6, atol=1e-9):
        raise Fail(
            "loglog_slope(x, a·x^k) should return k: fit a line to the points (log x, log y), "
            "taking the logarithm of both coordinates."
        )
    y = constant * x**exponent * np.exp(0.3 * rng.standard_normal(x.size))
    got = float(_array(student.call("loglog_slope", x, y), "loglog_slope"))
    if not np.isclose(got, _slope(x, y), rtol=1e-6):
        raise Fail(
            "loglog_slope is right on exact powers but not on noisy data: it should be the "
            "least-squares slope over all points, not a slope from two of them."
        )
    return 1.0


def _finals(student):
    if not student.defines("finals"):
        raise Fail("finals is not defined: run the cell of Question 3.")
    finals = _array(student.value("finals"), "finals", (5, 3, 3))
    if (finals <= 0).any():
        raise Fail("finals has entries that are not positive; errors are positive numbers.")
    return finals


def _consistent(student, params, finals, rng):
    """Two entries of finals must be what the student's own final_errors gives."""
    for _ in range(2):
        i, k = int(rng.integers(5)), int(rng.integers(3))
        again = _array(
            student.call("final_errors", float(EPS_GRID[i]), params["seeds"][k]), "final_errors"
        )
        if not np.allclose(finals[i, k], again, rtol=1e-9):
            raise Fail(
                "finals does not hold what your final_errors gives for eps_grid and your seeds "
                "(params['seeds']), in the order (size, seed, error)."
            )


def _own_fit(student, data, slopes) -> bool:
    """Whether ``slopes`` is what the student's own loglog_slope gives on ``data``: a wrong
    loglog_slope costs points in question 2 only."""
    try:
        own = [float(np.asarray(student.call("loglog_slope", x, y), dtype=float)) for x, y in data]
    except (Fail, TypeError, ValueError):
        return False
    return bool(np.allclose(slopes, own, rtol=1e-9))


def q3(student, rng, params):
    """slopes: the fit of the student's own finals."""
    finals = _finals(student)
    _consistent(student, params, finals, rng)
    slopes = _array(student.value("slopes"), "slopes", (3,))
    pooled = np.repeat(EPS_GRID, 3)
    right = np.array([_slope(pooled, finals[..., j].ravel()) for j in range(3)])
    if np.allclose(slopes, right, rtol=1e-6):
        return 1.0
    if _own_fit(student, [(pooled, finals[..., j].ravel()) for j in range(3)], slopes):
        return 1.0  # their loglog_slope is wrong, but that is question 2's loss
    means = np.array([_slope(EPS_GRID, finals[..., j].mean(axis=1)) for j in range(3)])
    if np.allclose(slopes, means, rtol=1e-6):
        raise Fail("slopes fits the means over the seeds; pool all seeds in one fit instead.")
    raise Fail(
        "slopes is not the log-log fit of your finals: for each error j, fit "
        "finals[..., j].ravel() against eps_grid repeated once per seed."
    )


def q4(student, rng, params):
    """eps_star from the student's own fit and target; measured from their final_errors."""
    finals = _finals(student)
    for name in ("eps_star", "measured"):
        if not student.defines(name):
            raise Fail(f"{name} is not defined: run the cell of Question 4.")
    eps_star = float(_array(student.value("eps_star"), "eps_star"))
    slope, log_a = np.polyfit(np.log(np.repeat(EPS_GRID, 3)), np.log(finals[..., 0].ravel()), 1)
    if abs(slope) < 1e-3:
        raise Fail("The first final error of finals does not change with eps: check finals.")
    right = float(np.exp((np.log(params["target"]) - log_a) / slope))
    if not np.isclose(eps_star, right, rtol=1e-6):
        if np.isclose(eps_star, float(np.exp((np.log(1e-6) - log_a) / slope)), rtol=1e-6):
            raise Fail("eps_star aims at 1e-6; aim at your own target, params['target'].")
        raise Fail(
            "eps_star does not solve a·eps^s = target for the fit of the first error (all "
            "seeds pooled) and your target: solve log target = log a + s log eps."
        )
    measured = float(_array(student.value("measured"), "measured"))
    again = _array(student.call("final_errors", eps_star, params["seeds"][0]), "final_errors")
    if not np.isclose(measured, again[0], rtol=1e-9):
        raise Fail(
            "measured is not the first final error of a run from eps_star with your first seed."
        )
    return 1.0


def q5(student, rng, params):
    """final_distance against runs made here; distance_slope from the student's own values."""
    for eps, seed in _draws(rng, params):
        got = float(_array(student.call("final_distance", eps, seed), "final_distance(eps, seed)"))
        run = _run(params, eps, seed)
        if not np.isclose(got, run.distance_to_S[-1], rtol=1e-6):
            if np.isclose(got, run.distance_to_S[0], rtol=1e-6):
                raise Fail(
                    "final_distance returns the distance at the start: take the last record."
                )
            raise Fail(
                "final_distance differs from the relative distance from S after the last "
                "step; take it from the Trajectory of the run."
            )
    slope = float(_array(student.value("distance_slope"), "distance_slope"))
    distances = [
        float(_array(student.call("final_distance", float(e), s), "final_distance"))
        for e in EPS_GRID
        for s in params["seeds"]
    ]
    pooled = np.repeat(EPS_GRID, 3)
    right = _slope(pooled, distances)
    if not np.isclose(slope, right, rtol=1e-6) and not _own_fit(
        student, [(pooled, np.array(distances))], [slope]
    ):
        raise Fail(
            "distance_slope is not the log-log fit of your final distances over eps_grid and "
            "your seeds, pooled in one fit."
        )
    return 1.0
