"""The Gaussian with missing values under the EM contract: plain EM and SQUAREM on the driver."""

import numpy as np

from em_contract import DRIVER_BAD_ARGUMENTS, ContractCase
from emlib import missing


def make_problem(rng):
    n_features = int(rng.integers(2, 5))
    A = rng.normal(size=(n_features, n_features))
    params = missing.GaussianParams(rng.normal(size=n_features), A @ A.T + 0.5 * np.eye(n_features))
    X = missing.sample(params, int(rng.integers(30, 80)), random_state=rng)
    X[rng.random(X.shape) < 0.3] = np.nan
    X[0] = params.mean                     # keep every column observed at least twice
    X[1] = params.mean + np.sqrt(np.diag(params.covariance))
    return {"X": X}


def random_start(X, random_state):
    """θ^(0) drawn from random_state around the observed means and variances."""
    rng = np.random.default_rng(random_state)
    d = X.shape[1]
    mean = np.nanmean(X, axis=0) + rng.normal(scale=0.5, size=d)
    B = rng.normal(scale=0.3, size=(d, d))
    return missing.GaussianParams(mean, np.diag(np.nanvar(X, axis=0)) + B @ B.T)


def fit_with(acceleration):
    def fit(problem, *, random_state=None, init=None, **kwargs):
        if init is None:
            init = random_start(problem["X"], random_state)
        return missing.fit(problem["X"], init=init, acceleration=acceleration, **kwargs)
    return fit


BAD = DRIVER_BAD_ARGUMENTS + [
    ({"init": "start"}, "init"),
    ({"init": missing.GaussianParams([0.0], [[1.0]])}, "init"),
    ({"acceleration": "aitken"}, "acceleration"),
]


def arrays(params):
    return [params.mean, params.covariance]


CASES = [
    ContractCase(name="missing", make_problem=make_problem, fit=fit_with(None),
                 objective=lambda p, params: missing.log_likelihood(p["X"], params),
                 arrays=arrays, bad_arguments=BAD),
    ContractCase(name="missing-squarem", make_problem=make_problem, fit=fit_with("squarem"),
                 objective=lambda p, params: missing.log_likelihood(p["X"], params),
                 arrays=arrays, bad_arguments=BAD, max_iter=10),
]
