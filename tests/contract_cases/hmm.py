"""Hidden Markov models under the EM contract: categorical and Gaussian emissions, several
sequences of different lengths."""

import numpy as np

from em_contract import DRIVER_BAD_ARGUMENTS, ContractCase
from emlib import hmm


def _lengths(rng):
    return rng.integers(5, 40, size=int(rng.integers(1, 5)))


def make_categorical(rng):
    n_states, n_symbols = int(rng.integers(2, 4)), int(rng.integers(2, 6))
    truth = hmm.CategoricalHMMParams(rng.dirichlet(np.ones(n_states)),
                                     rng.dirichlet(np.ones(n_states), size=n_states),
                                     rng.dirichlet(np.ones(n_symbols), size=n_states))
    lengths = _lengths(rng)
    X, _ = hmm.sample(truth, lengths, random_state=rng)
    return {"X": X, "lengths": lengths, "n_states": n_states, "n_symbols": n_symbols,
            "emissions": "categorical"}


def make_gaussian(rng):
    n_states, n_features = int(rng.integers(2, 4)), int(rng.integers(1, 3))
    means = rng.normal(scale=3.0, size=(n_states, n_features))
    factors = rng.normal(size=(n_states, n_features, n_features))
    covariances = factors @ factors.transpose(0, 2, 1) + 0.5 * np.eye(n_features)
    truth = hmm.GaussianHMMParams(rng.dirichlet(np.ones(n_states)),
                                  hmm.sticky_transitions(n_states, 0.8), means, covariances)
    lengths = _lengths(rng) + 20
    X, _ = hmm.sample(truth, lengths, random_state=rng)
    return {"X": X, "lengths": lengths, "n_states": n_states, "n_symbols": None,
            "emissions": "gaussian"}


def fit(problem, **kwargs):
    n_states = kwargs.pop("n_states", problem["n_states"])
    lengths = kwargs.pop("lengths", problem["lengths"])
    return hmm.fit(problem["X"], n_states, emissions=problem["emissions"], lengths=lengths,
                   n_symbols=problem["n_symbols"], **kwargs)


def objective(problem, params):
    return hmm.log_likelihood(problem["X"], params, lengths=problem["lengths"])


BAD = DRIVER_BAD_ARGUMENTS + [
    ({"lengths": [3, 4]}, "lengths"),
    ({"lengths": "abc"}, "lengths"),
    ({"n_states": 0}, "n_states"),
    ({"n_states": 2.5}, "n_states"),
    ({"init": 3}, "init"),
    ({"init": "kmeans"}, "init"),
    ({"reg_covar": -1.0}, "reg_covar"),
    ({"random_state": "seed"}, "random_state"),
]

CASES = [
    ContractCase(name="hmm-categorical", make_problem=make_categorical, fit=fit,
                 objective=objective,
                 arrays=lambda p: [p.initial, p.transitions, p.emissions], bad_arguments=BAD),
    ContractCase(name="hmm-gaussian", make_problem=make_gaussian, fit=fit, objective=objective,
                 arrays=lambda p: [p.initial, p.transitions, p.means, p.covariances],
                 bad_arguments=BAD),
]
