"""Input-contract rows for emlib.hmm (hidden Markov models, lecture 07): tiny chains (K = 2),
a few short sequences, max_iter small."""

from __future__ import annotations

import numpy as np

from emlib import gmm, hmm
from input_contract import Example, noop

SYMBOLS = [0, 1, 1, 2, 0, 2, 1, 0]
LENGTHS = [5, 3]


def _initial():
    return np.array([0.6, 0.4])


def _transitions():
    return np.array([[0.8, 0.2], [0.3, 0.7]])


def _emissions():
    return np.array([[0.5, 0.3, 0.2], [0.1, 0.4, 0.5]])


def _categorical():
    return hmm.CategoricalHMMParams(_initial(), _transitions(), _emissions())


def _X():
    return np.array([[0.1, -0.2], [0.3, 0.0], [2.9, 3.1], [3.2, 2.8], [0.0, 0.4], [3.0, 3.0]])


def _gaussian():
    return hmm.GaussianHMMParams(_initial(), _transitions(), [[0.0, 0.0], [3.0, 3.0]],
                                 [np.eye(2), 0.5 * np.eye(2)])


def _posteriors():
    resp, xi, _ = hmm.e_step(SYMBOLS, _categorical(), lengths=LENGTHS)
    return resp, xi


def _statistics():
    resp, xi = _posteriors()
    return hmm.expected_statistics(SYMBOLS, resp, xi, _categorical(), lengths=LENGTHS)


def _gaussian_statistics():
    resp, xi, _ = hmm.e_step(_X(), _gaussian())
    return hmm.expected_statistics(_X(), resp, xi, _gaussian())


def _rows_sum_to_one(p, axis=-1):
    p = np.asarray(p)
    assert np.all(p >= 0), p
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, atol=1e-8)


def _check_params(params, kw):
    """Parameters that construct also evaluate (Gaussian: at points one unit from the means)."""
    X = SYMBOLS if isinstance(params, hmm.CategoricalHMMParams) else params.means + 1.0
    assert np.isfinite(hmm.log_likelihood(X, params))


def _check_statistics(params):
    """Statistics that construct give parameters, or an error that blames them."""
    def check(statistics, kw):
        try:
            new = hmm.m_step(statistics, params())
        except ValueError as exc:
            assert "statistics" in str(exc), exc
            return
        _check_m_step(new, kw)
    return check


def _check_posteriors(result, kw):
    _rows_sum_to_one(result[0])
    assert result[2] <= 0 or np.ndim(kw["X"]) == 2


def _check_m_step(params, kw):
    _rows_sum_to_one(params.initial)
    _rows_sum_to_one(params.transitions)


EXAMPLES = {
    "hmm.CategoricalHMMParams": Example(
        lambda: dict(initial=_initial(), transitions=_transitions(), emissions=_emissions()),
        {"initial": "array", "transitions": "array", "emissions": "array"}, check=_check_params),
    "hmm.GaussianHMMParams": Example(
        lambda: dict(initial=_initial(), transitions=_transitions(),
                     means=[[0.0, 0.0], [3.0, 3.0]], covariances=[np.eye(2), 0.5 * np.eye(2)]),
        {"initial": "array", "transitions": "array", "means": "array", "covariances": "array"},
        check=_check_params),
    "hmm.CategoricalHMMStatistics": Example(
        lambda: dict(initial=[1.2, 0.8], transitions=[[3.0, 1.0], [1.0, 1.0]],
                     emissions=[[2.0, 1.0, 1.0], [1.0, 2.0, 1.0]]),
        {"initial": "array", "transitions": "array", "emissions": "array"},
        check=_check_statistics(_categorical)),
    "hmm.GaussianHMMStatistics": Example(
        lambda: dict(initial=[0.6, 0.4], transitions=[[2.0, 1.0], [1.0, 1.0]],
                     counts=[3.0, 3.0], sums=[[0.3, 0.3], [9.0, 9.0]],
                     outer_sums=[3.0 * np.eye(2), 27.0 * np.ones((2, 2)) + 3.0 * np.eye(2)]),
        {"initial": "array", "transitions": "array", "counts": "array", "sums": "array",
         "outer_sums": "array"},
        check=_check_statistics(_gaussian)),
    "hmm.forward_backward": Example(
        lambda: dict(X=SYMBOLS, params=_categorical(), lengths=LENGTHS),
        {"X": "array", "params": "object", "lengths": "counts"},
        check=lambda r, kw: _rows_sum_to_one(r.resp)),
    "hmm.e_step": Example(
        lambda: dict(X=_X(), params=_gaussian(), lengths=[4, 2]),
        {"X": "array", "params": "object", "lengths": "counts"}, check=_check_posteriors),
    "hmm.expected_statistics": Example(
        lambda: dict(X=SYMBOLS, resp=_posteriors()[0], xi=_posteriors()[1],
                     params=_categorical(), lengths=LENGTHS),
        {"X": "array", "resp": "array", "xi": "array", "params": "object",
         "lengths": "counts"}),
    "hmm.m_step": Example(
        lambda: dict(statistics=_gaussian_statistics(), params=_gaussian(), reg_covar=1e-6),
        {"statistics": "object", "params": "object", "reg_covar": "real"},
        check=_check_params),
    "hmm.log_likelihood": Example(
        lambda: dict(X=SYMBOLS, params=_categorical(), lengths=LENGTHS),
        {"X": "array", "params": "object", "lengths": "counts"},
        check=lambda r, kw: r <= 0 or np.ndim(kw["X"]) == 2),
    "hmm.viterbi": Example(
        lambda: dict(X=_X(), params=_gaussian(), lengths=[6]),
        {"X": "array", "params": "object", "lengths": "counts"}),
    "hmm.sample": Example(
        lambda: dict(params=_gaussian(), lengths=[3, 2], random_state=0),
        {"params": "object", "lengths": "counts", "random_state": "seed"}),
    "hmm.sticky_transitions": Example(
        lambda: dict(n_states=3, self_transition=0.9),
        {"n_states": "int", "self_transition": "real"},
        check=lambda r, kw: _rows_sum_to_one(r)),
    "hmm.from_mixture": Example(
        lambda: dict(mixture=gmm.GaussianMixtureParams([0.5, 0.5], [[0.0, 0.0], [3.0, 3.0]],
                                                       [np.eye(2), np.eye(2)])),
        {"mixture": "object"}, check=_check_params),
    "hmm.n_parameters": Example(lambda: dict(params=_categorical()), {"params": "object"}),
    "hmm.init_params": Example(
        lambda: dict(X=SYMBOLS, n_states=2, emissions="categorical", n_symbols=3,
                     reg_covar=1e-6, random_state=0),
        {"X": "array", "n_states": "int", "emissions": "choice", "n_symbols": "int",
         "reg_covar": "real", "random_state": "seed"}, check=_check_params),
    "hmm.fit": Example(
        lambda: dict(X=_X(), n_states=2, emissions="gaussian", init="random", lengths=[4, 2],
                     max_iter=3, tol=1e-6, reg_covar=1e-3, random_state=0, callback=noop),
        {"X": "array", "n_states": "int", "emissions": "choice", "init": "object",
         "lengths": "counts", "max_iter": "int", "tol": "real", "reg_covar": "real",
         "random_state": "seed", "callback": "callable"}),
}

SKIPPED = {
    "hmm.ForwardBackward": "result record", "hmm.HMMResult": "result record",
    # The driver's models, bound to data that fit has already checked (as coins.CoinsModel).
    "hmm.CategoricalHMM": "built from checked data by hmm.fit",
    "hmm.GaussianHMM": "built from checked data by hmm.fit",
}
