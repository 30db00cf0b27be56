"""Input-contract rows for emlib.missing (a Gaussian with missing values, lecture 06): eight
points in two dimensions, a few missing, max_iter small."""

from __future__ import annotations

import numpy as np

from emlib import missing
from input_contract import Example, noop


def _X():
    X = np.array([[0.1, 0.3], [1.2, 0.9], [-0.4, -0.1], [0.8, 1.1], [2.0, 1.4], [-1.1, -0.7],
                  [0.5, 0.2], [1.5, 1.8]])
    X[[1, 4], 0] = np.nan
    X[6, 1] = np.nan
    return X


def _complete():
    return np.where(np.isnan(_X()), 0.3, _X())


def _params():
    return missing.GaussianParams([0.5, 0.5], [[1.0, 0.6], [0.6, 1.0]])


def _statistics():
    return missing.e_step(_X(), _params())[0]


def _check_params(params, kw):
    """Parameters that construct also evaluate, at points one unit from the mean."""
    points = params.mean + np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 1.0]])
    assert np.isfinite(missing.log_likelihood(points, params))


def _check_statistics(statistics, kw):
    """Statistics that construct give parameters, or an error that blames them."""
    try:
        params = missing.m_step(statistics)
    except ValueError as exc:
        assert "statistics" in str(exc), exc
        return
    _check_params(params, kw)


def _check_moments(result, kw):
    expected_x, covariances = result
    observed = ~np.isnan(np.asarray(kw["X"], dtype=float))
    np.testing.assert_array_equal(expected_x[observed], np.asarray(kw["X"])[observed])
    assert np.all(np.linalg.eigvalsh(covariances) >= -1e-12)


def _check_ampute(amputed, kw):
    """NaN exactly at round(fraction·N) entries of column; everything else unchanged."""
    X = np.asarray(kw["X"], dtype=float)
    lost = np.isnan(amputed)
    assert lost.sum() == round(kw["fraction"] * X.shape[0]), lost.sum()
    assert not np.any(np.delete(lost, kw["column"], axis=1))
    np.testing.assert_array_equal(amputed[~lost], X[~lost])


def _check_log_likelihood(value, kw):
    assert np.isfinite(value)


EXAMPLES = {
    "missing.GaussianParams": Example(
        lambda: dict(mean=[0.5, 0.5], covariance=[[1.0, 0.6], [0.6, 1.0]]),
        {"mean": "array", "covariance": "array"}, check=_check_params),
    "missing.GaussianStatistics": Example(
        lambda: dict(count=8.0, sum_x=[4.0, 4.0], sum_xx=[[10.0, 5.0], [5.0, 10.0]]),
        {"count": "real", "sum_x": "array", "sum_xx": "array"}, check=_check_statistics),
    "missing.MissingGaussianModel": Example(lambda: dict(X=_X()), {"X": "array"}),
    "missing.conditional_moments": Example(
        lambda: dict(X=_X(), params=_params()), {"X": "array", "params": "object"},
        check=_check_moments),
    "missing.e_step": Example(
        lambda: dict(X=_X(), params=_params()), {"X": "array", "params": "object"},
        check=lambda r, kw: _check_statistics(r[0], kw)),
    "missing.m_step": Example(lambda: dict(statistics=_statistics()), {"statistics": "object"},
                              check=_check_params),
    "missing.log_likelihood": Example(
        lambda: dict(X=_X(), params=_params()), {"X": "array", "params": "object"},
        check=_check_log_likelihood),
    "missing.fit": Example(
        lambda: dict(X=_X(), init=None, max_iter=3, tol=1e-8, acceleration=None,
                     callback=noop),
        {"X": "array", "init": "object", "max_iter": "int", "tol": "real",
         "acceleration": "choice", "callback": "callable"},
        check=lambda r, kw: _check_params(r.params, kw)),
    "missing.direct_maximum_likelihood": Example(
        lambda: dict(X=_X(), init=None, gtol=1e-6), {"X": "array", "init": "object",
                                                     "gtol": "real"}, check=_check_params),
    "missing.complete_case_estimate": Example(lambda: dict(X=_X()), {"X": "array"},
                                              check=_check_params),
    "missing.mean_imputation_estimate": Example(lambda: dict(X=_X()), {"X": "array"},
                                                check=_check_params),
    "missing.sample": Example(
        lambda: dict(params=_params(), n_samples=4, random_state=0),
        {"params": "object", "n_samples": "int", "random_state": "seed"}),
    "missing.ampute": Example(
        lambda: dict(X=_complete(), fraction=0.25, mechanism="MAR", column=0, driver=1,
                     strength=2.0, random_state=0),
        {"X": "array", "fraction": "real", "mechanism": "choice", "column": "int",
         "driver": "int", "strength": "real", "random_state": "seed"},
        check=_check_ampute, allow_nan=True),
    "missing.mechanism_estimates": Example(
        lambda: dict(params=_params(), mechanism="MAR", fraction=0.3, n_samples=10,
                     strength=1.0, n_repeats=2, random_state=0),
        {"params": "object", "mechanism": "choice", "fraction": "real", "n_samples": "int",
         "strength": "real", "n_repeats": "int", "random_state": "seed"}),
}

SKIPPED = {
    "missing.MissingGaussianResult": "result record",
    "missing.MechanismEstimates": "result record",
}
