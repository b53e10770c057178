"""Hidden checks of the toy assignment, for the engine's tests (tests/test_grading.py).

Question 4's check is written carelessly on purpose: its ``assert`` message holds the
expected value, which the engine must not show.
"""

import numpy as np
from grader import Fail, Kernel

import ufm

FORBIDDEN = {"q1": ["ufm.risk", "ufm.model.risk"]}


def _state(rng):
    C, N, p = int(rng.integers(2, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
    return rng.standard_normal((p, C * N)), rng.standard_normal((C, p)), rng.standard_normal(C)


def _number(got, name):
    if isinstance(got, bool) or not isinstance(got, int | float | np.floating):
        raise Fail(f"{name} must return one number (a float).")
    return float(got)


def q1(student, rng, params):
    for _ in range(3):
        state = _state(rng)
        got, right = _number(student.call("risk", *state), "risk"), ufm.risk(*state)
        if np.isclose(got, 2 * right, rtol=1e-8):
            raise Fail("risk is twice too large: did you forget the 1/2 of the 1/(2CN)?")
        if not np.isclose(got, right, rtol=1e-8):
            raise Fail("risk is wrong: compare your formula with the book's, term by term.")
    return 1.0


def q2(student, rng, params):
    state = _state(rng)
    reference = {"risk": Kernel("_grading.reference.risk")}
    got = _number(student.call("double_risk", *state, replace=reference), "double_risk")
    if not np.isclose(got, 2 * ufm.risk(*state), rtol=1e-8):
        raise Fail("double_risk must return twice what risk returns.")
    return 1.0


def q4(student, rng, params):
    order = student.value("order")
    assert order == 2, f"expected order == 2, got {order!r}"
    return 1.0
