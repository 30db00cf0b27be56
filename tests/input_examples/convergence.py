"""Input-contract rows for emlib.convergence (EM's rate of convergence and SQUAREM, lecture
06), on emlib.missing's model with eight points in two dimensions, a few iterations."""

from __future__ import annotations

import math

import numpy as np

from emlib import convergence, missing
from input_contract import Example, noop


def _model():
    X = np.array([[0.1, 0.3], [1.2, 0.9], [-0.4, -0.1], [0.8, 1.1], [2.0, 1.4], [-1.1, -0.7],
                  [0.5, 0.2], [1.5, 1.8]])
    X[[1, 4], 0] = np.nan
    return missing.MissingGaussianModel(X)


def _params():
    return missing.GaussianParams([0.5, 0.5], [[1.0, 0.6], [0.6, 1.0]])


def _iterates():
    """Errors 1e-4 · 0.5^t along (1, 1) about the fixed point (1, 2): rate 0.5."""
    return np.array([1.0, 2.0]) + 1e-4 * 0.5 ** np.arange(8)[:, None] * np.array([1.0, 1.0])


def _check_params(params, kw):
    assert isinstance(params, missing.GaussianParams)
    assert np.all(np.linalg.eigvalsh(params.covariance) > 0)


def _check_jacobian(jacobian, kw):
    # EM's rates: the eigenvalues of J lie in [0, 1] near a maximum (the start is not one, so
    # only their finiteness and the size are checked).
    size = kw["model"].params_to_vector(kw["params"]).size
    assert jacobian.shape == (size, size)


def _check_ratios(ratios, kw):
    iterates = np.asarray(kw["iterates"], dtype=float)
    # math.hypot scales internally: no square overflows, unlike a textbook norm at 1e300.
    errors = np.array([math.hypot(*row) for row in
                       iterates - np.asarray(kw["fixed_point"], dtype=float)])
    assert ratios.shape == (iterates.shape[0] - 1,)
    assert np.all(ratios >= 0)
    finite = errors[:-1] > 0
    np.testing.assert_allclose(ratios[finite], errors[1:][finite] / errors[:-1][finite],
                               rtol=1e-9)


def _check_rate(rate, kw):
    assert 0.0 <= rate


def _check_squarem(result, kw):
    steps = np.diff(result.objectives)
    assert np.all(steps >= -1e-9 * np.maximum(1.0, np.abs(result.objectives[1:])))


EXAMPLES = {
    "convergence.em_map": Example(
        lambda: dict(model=_model(), params=_params()), {"model": "object", "params": "object"},
        check=_check_params),
    "convergence.em_map_jacobian": Example(
        lambda: dict(model=_model(), params=_params(), step=1e-5),
        {"model": "object", "params": "object", "step": "real"}, check=_check_jacobian),
    "convergence.error_ratios": Example(
        lambda: dict(iterates=_iterates(), fixed_point=[1.0, 2.0]),
        {"iterates": "array", "fixed_point": "array"}, check=_check_ratios, allow_inf=True),
    "convergence.observed_rate": Example(
        lambda: dict(iterates=_iterates(), fixed_point=[1.0, 2.0], floor=1e-9, ceiling=1e-3),
        {"iterates": "array", "fixed_point": "array", "floor": "real", "ceiling": "real"},
        check=_check_rate),
    "convergence.SquaremModel": Example(
        lambda: dict(model=_model(), max_backtracks=3),
        {"model": "object", "max_backtracks": "int"}),
    "convergence.squarem": Example(
        lambda: dict(model=_model(), params=_params(), max_iter=2, tol=1e-8, callback=noop),
        {"model": "object", "params": "object", "max_iter": "int", "tol": "real",
         "callback": "callable"}, check=_check_squarem),
}

SKIPPED = {"convergence.SquaremResult": "result record"}
