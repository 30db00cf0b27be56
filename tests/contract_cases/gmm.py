"""The Gaussian mixture under the EM contract: maximum likelihood (reg_covar=0, the exact EM) and
MAP-EM under an inverse-Wishart / Dirichlet prior (objective: the log-posterior)."""

import numpy as np

from em_contract import DRIVER_BAD_ARGUMENTS, ContractCase
from emlib import gmm


def make_problem(rng):
    """Well-conditioned random clusters: K components with at least 10·(D + 1) points each."""
    n_features = int(rng.integers(1, 4))
    n_components = int(rng.integers(1, 4))
    sizes = rng.integers(10 * (n_features + 1), 60, size=n_components)
    centres = rng.normal(scale=3.0, size=(n_components, n_features))
    X = np.concatenate([c + rng.normal(size=(n, n_features)) @ np.diag(rng.uniform(0.5, 1.5, n_features))
                        for c, n in zip(centres, sizes)])
    return {"X": X, "n_components": n_components}


def make_map_problem(rng):
    problem = make_problem(rng)
    d = problem["X"].shape[1]
    problem["prior"] = gmm.GaussianMixturePrior(scale=rng.uniform(0.2, 2.0) * np.eye(d),
                                                degrees_of_freedom=d + rng.uniform(0.0, 3.0),
                                                weight_concentration=rng.uniform(1.0, 3.0))
    return problem


def fit(problem, **kwargs):
    return gmm.fit(problem["X"], problem["n_components"], **{"reg_covar": 0.0, **kwargs})


def fit_map(problem, **kwargs):
    return gmm.fit(problem["X"], problem["n_components"], prior=problem["prior"], **kwargs)


def arrays(params):
    return [params.weights, params.means, params.covariances]


GMM_BAD_ARGUMENTS = [
    ({"reg_covar": -1e-6}, "reg_covar"),
    ({"reg_covar": "small"}, "reg_covar"),
    ({"init": 3}, "init"),
    ({"init": "spectral"}, "init"),
    ({"random_state": "seed"}, "random_state"),
    ({"prior": "flat"}, "prior"),
]

CASES = [
    ContractCase(
        name="gmm",
        make_problem=make_problem,
        fit=fit,
        objective=lambda p, params: gmm.log_likelihood(p["X"], params),
        arrays=arrays,
        bad_arguments=DRIVER_BAD_ARGUMENTS + GMM_BAD_ARGUMENTS,
    ),
    ContractCase(
        name="gmm-map",
        make_problem=make_map_problem,
        fit=fit_map,
        objective=lambda p, params: gmm.log_posterior(p["X"], params, p["prior"]),
        arrays=arrays,
        bad_arguments=DRIVER_BAD_ARGUMENTS + [({"reg_covar": 1e-3}, "reg_covar"),
                                              ({"prior": 1.0}, "prior")],
    ),
]
