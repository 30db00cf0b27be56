"""PPCA and factor analysis (emlib.latent_linear) under the EM contract."""

import numpy as np

from em_contract import DRIVER_BAD_ARGUMENTS, ContractCase
from emlib import latent_linear


def make_problem(rng):
    n_features = int(rng.integers(3, 7))
    n_components = int(rng.integers(1, n_features))
    W = rng.normal(size=(n_features, n_components))
    Z = rng.normal(size=(int(rng.integers(20, 60)), n_components))
    X = Z @ W.T + rng.normal(size=n_features) + rng.normal(size=(Z.shape[0], n_features)) * \
        rng.uniform(0.2, 1.0, size=n_features)
    return {"X": X, "n_components": n_components}


def fit_with(default_noise):
    def fit(problem, *, noise=default_noise, **kwargs):
        return latent_linear.fit(problem["X"], problem["n_components"], noise=noise, **kwargs)
    return fit


BAD = DRIVER_BAD_ARGUMENTS + [
    ({"n_components": 0}, "n_components"),
    ({"n_components": 2.0}, "n_components"),
    ({"random_state": "seed"}, "random_state"),
    ({"noise": "spherical"}, "noise"),
    ({"init": np.eye(2)}, "init"),
]


def arrays(params):
    return [params.mean, params.loadings, params.noise_variance]


def case(name, noise):
    return ContractCase(name=name, make_problem=make_problem, fit=fit_with(noise),
                        objective=lambda p, params: latent_linear.log_likelihood(p["X"], params),
                        arrays=arrays, bad_arguments=BAD, rtol=1e-9)


CASES = [case("latent_linear-ppca", "isotropic"), case("latent_linear-fa", "diagonal")]
