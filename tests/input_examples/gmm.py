"""Input-contract rows for emlib.gmm's statistics seam, MAP prior and model (the functions that
came with the gmm rewrite; the older gmm rows are in tests/test_input_contract.py)."""

from __future__ import annotations

import numpy as np

from emlib import gmm
from input_contract import Example


def _X():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(0.0, 1.0, (8, 2)), rng.normal(3.0, 0.5, (8, 2))])


def _resp():
    return np.full((16, 2), 0.5)


def _params():
    return gmm.GaussianMixtureParams([0.5, 0.5], [[0.0, 0.0], [3.0, 3.0]],
                                     [np.eye(2), 0.25 * np.eye(2)])


def _prior():
    return gmm.GaussianMixturePrior(scale=np.eye(2), degrees_of_freedom=3.0)


def _statistics():
    return gmm.expected_statistics(_X(), _resp())


def _check_statistics(statistics, kw):
    """N_k are the column sums of resp, and the M-step from them is the readable one's."""
    np.testing.assert_allclose(statistics.counts, np.asarray(kw["resp"], float).sum(axis=0),
                               rtol=1e-12)
    assert np.all(np.linalg.eigvalsh(statistics.outer) >= -1e-9 * np.abs(statistics.outer).max())


def _check_usable_params(params, kw):
    resp, log_likelihood = gmm.e_step(params.means + 1.0, params)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, atol=1e-8)
    assert np.isfinite(log_likelihood)


def _check_prior(prior, kw):
    assert np.isfinite(gmm.log_prior(_params(), prior))


def _check_model(model, kw):
    statistics, objective = model.e_step(_params())
    assert np.isfinite(objective)
    assert np.all(np.isfinite(statistics.outer))


EXAMPLES = {
    "gmm.GaussianMixtureStatistics": Example(
        lambda: dict(counts=[8.0, 8.0], sums=np.zeros((2, 2)), outer=np.stack([np.eye(2)] * 2),
                     reference=[0.0, 0.0]),
        {"counts": "array", "sums": "array", "outer": "array", "reference": "array"}),
    "gmm.GaussianMixturePrior": Example(
        lambda: dict(scale=np.eye(2), degrees_of_freedom=3.0, weight_concentration=2.0),
        {"scale": "array", "degrees_of_freedom": "real", "weight_concentration": "array"},
        check=_check_prior),
    "gmm.GaussianMixtureModel": Example(
        lambda: dict(X=_X(), reg_covar=1e-6, reference=[1.0, 1.0], recentre=True,
                     form="features"),
        {"X": "array", "reg_covar": "real", "reference": "array", "recentre": "flag",
         "form": "choice", "prior": "object"}, check=_check_model),
    "gmm.expected_statistics": Example(
        lambda: dict(X=_X(), resp=_resp(), reference=[1.0, 1.0]),
        {"X": "array", "resp": "array", "reference": "array"}, check=_check_statistics),
    "gmm.params_from_statistics": Example(
        lambda: dict(statistics=_statistics(), reg_covar=1e-6),
        {"statistics": "object", "reg_covar": "real", "prior": "object"},
        check=_check_usable_params),
    "gmm.log_prior": Example(
        lambda: dict(params=_params(), prior=_prior()), {"params": "object", "prior": "object"}),
    "gmm.log_posterior": Example(
        lambda: dict(X=_X(), params=_params(), prior=_prior()),
        {"X": "array", "params": "object", "prior": "object"}),
}
