"""A check that reports the notebook's list ``outcomes`` as its message, so that the tests can
read what the notebook's attempts to leave its sandbox gave."""

from grader import Fail


def outcomes(student, rng, params):
    raise Fail(" | ".join(student.value("outcomes")))
