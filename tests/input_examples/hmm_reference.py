"""Input-contract rows for emlib.hmm_reference (the brute-force references and checks of
lecture 07): K = 2 states, five symbols (2^5 paths)."""

from __future__ import annotations

import numpy as np

from emlib import gmm, hmm, hmm_reference
from input_contract import Example

SYMBOLS = [0, 1, 2, 2, 0]


def _params():
    return hmm.CategoricalHMMParams([0.6, 0.4], [[0.8, 0.2], [0.3, 0.7]],
                                    [[0.5, 0.3, 0.2], [0.1, 0.4, 0.5]])


def _posteriors():
    return hmm.e_step(SYMBOLS, _params())


def _mixture():
    return gmm.GaussianMixtureParams([0.5, 0.5], [[0.0], [3.0]], [[[1.0]], [[1.0]]])


def _check_enumeration(result, kw):
    np.testing.assert_allclose(result.resp.sum(axis=1), 1.0, atol=1e-12)
    assert result.best_log_joint <= result.log_likelihood


EXAMPLES = {
    "hmm_reference.enumerate_paths": Example(
        lambda: dict(X=SYMBOLS, params=_params()), {"X": "array", "params": "object"},
        check=_check_enumeration),
    "hmm_reference.log_space_log_likelihood": Example(
        lambda: dict(X=SYMBOLS, params=_params(), lengths=[3, 2]),
        {"X": "array", "params": "object", "lengths": "counts"},
        check=lambda r, kw: r <= 0 or np.ndim(kw["X"]) == 2),
    "hmm_reference.hmmlearn_fit": Example(
        lambda: dict(X=SYMBOLS, start=_params(), n_iter=1, lengths=[5]),
        {"X": "array", "start": "object", "n_iter": "int", "lengths": "counts"}),
    "hmm_reference.match_states": Example(
        lambda: dict(params=_params(), reference=_params()),
        {"params": "object", "reference": "object"},
        check=lambda r, kw: np.testing.assert_array_equal(np.sort(r), np.arange(2))),
    # The check_* functions: AssertionError is their answer to a disagreement (asserts=True);
    # a bad dtype must still be a TypeError/ValueError naming the argument. X, params and
    # lengths reach enumerate_paths / log_space_log_likelihood unchanged (attacked above), so
    # only the answers and tolerances are attacked here (the property's time budget).
    "hmm_reference.check_posteriors": Example(
        lambda: dict(X=SYMBOLS, params=_params(), log_likelihood=_posteriors()[2],
                     resp=_posteriors()[0], xi=_posteriors()[1], atol=1e-10),
        {"log_likelihood": "log_array", "resp": "array", "xi": "array", "atol": "real"},
        asserts=True),
    "hmm_reference.check_viterbi": Example(
        lambda: dict(X=SYMBOLS, params=_params(), path=hmm.viterbi(SYMBOLS, _params())[0],
                     log_joint=hmm.viterbi(SYMBOLS, _params())[1]),
        {"path": "counts", "log_joint": "log_array"},
        asserts=True),
    "hmm_reference.check_log_likelihood": Example(
        lambda: dict(X=SYMBOLS, params=_params(), value=hmm.log_likelihood(SYMBOLS, _params()),
                     lengths=[5], rtol=1e-10),
        {"value": "log_array", "rtol": "real"}, asserts=True),
    "hmm_reference.check_same_params": Example(
        lambda: dict(params=_params(), reference=_params(), atol=1e-8, permute=True),
        {"params": "object", "reference": "object", "atol": "real", "permute": "flag"},
        asserts=True),
    "hmm_reference.check_transition_frequencies": Example(
        lambda: dict(states=[0, 0, 1, 1, 0, 1, 0, 0], transitions=[[0.8, 0.2], [0.3, 0.7]],
                     lengths=[5, 3]),
        {"states": "counts", "transitions": "array", "lengths": "counts"}, asserts=True),
    "hmm_reference.check_mixture_as_hmm": Example(
        lambda: dict(X=[[0.1], [2.9], [3.2], [-0.3]], mixture=_mixture(),
                     hmm_params=hmm.from_mixture(_mixture())),
        {"X": "array", "mixture": "object", "hmm_params": "object"}, asserts=True),
}

SKIPPED = {"hmm_reference.PathEnumeration": "result record"}
