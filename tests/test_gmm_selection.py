"""Tests for emlib.gmm.n_parameters and emlib.gmm.bic against scikit-learn and closed forms."""

import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from emlib import datasets, gmm
from emlib.gmm import GaussianMixtureParams


def random_params(rng, n_components, n_features):
    weights = rng.dirichlet(np.ones(n_components) * 2)
    means = rng.normal(scale=3.0, size=(n_components, n_features))
    factors = rng.normal(size=(n_components, n_features, n_features))
    covariances = factors @ factors.transpose(0, 2, 1) + 0.3 * np.eye(n_features)
    return GaussianMixtureParams(weights, means, covariances)


@pytest.mark.parametrize("n_components, n_features", [(1, 1), (2, 1), (3, 2), (4, 3), (2, 5)])
def test_n_parameters_counts_free_entries(n_components, n_features):
    params = random_params(np.random.default_rng(0), n_components, n_features)
    # Counted entry by entry: K − 1 free weights, K·D means, the upper triangle of each Σ_k.
    upper = np.triu_indices(n_features)[0].size
    expected = (n_components - 1) + params.means.size + n_components * upper
    assert gmm.n_parameters(params) == expected
    assert isinstance(gmm.n_parameters(params), int)


def test_n_parameters_of_old_faithful_k2_is_11():
    params = random_params(np.random.default_rng(1), 2, 2)
    assert gmm.n_parameters(params) == 1 + 4 + 6


def test_empty_component_still_counts():
    params = GaussianMixtureParams([1.0, 0.0], [[0.0], [1.0]], [[[1.0]], [[1.0]]])
    assert gmm.n_parameters(params) == 1 + 2 + 2


@pytest.mark.parametrize("n_components, n_features", [(1, 2), (2, 2), (3, 1), (3, 3)])
def test_bic_matches_scikit_learn(n_components, n_features):
    rng = np.random.default_rng(2)
    X, _ = gmm.sample(random_params(rng, 3, n_features), 300, random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = GaussianMixture(n_components, covariance_type="full", max_iter=5,
                                random_state=0).fit(X)
    params = GaussianMixtureParams(model.weights_, model.means_, model.covariances_)
    assert gmm.bic(X, params) == pytest.approx(model.bic(X), rel=1e-10)
    # Also on data the model was not fitted to (N differs too).
    X_new = rng.normal(size=(57, n_features))
    assert gmm.bic(X_new, params) == pytest.approx(model.bic(X_new), rel=1e-10)


def test_bic_is_minus_twice_the_log_likelihood_plus_the_penalty():
    rng = np.random.default_rng(4)
    params = random_params(rng, 2, 3)
    X = rng.normal(scale=3.0, size=(40, 3))
    density = sum(w * multivariate_normal(m, c).pdf(X)
                  for w, m, c in zip(params.weights, params.means, params.covariances))
    expected = -2.0 * np.log(density).sum() + (1 + 6 + 12) * np.log(40)
    assert gmm.bic(X, params) == pytest.approx(expected, rel=1e-12)


def test_bic_chooses_the_number_of_clusters_that_generated_the_data():
    truth = GaussianMixtureParams([0.3, 0.3, 0.4], [[-6.0, 0.0], [0.0, 6.0], [6.0, 0.0]],
                                  [np.eye(2), [[1.0, 0.5], [0.5, 1.0]], 0.5 * np.eye(2)])
    X, _ = gmm.sample(truth, 450, random_state=5)
    scores = []
    for k in range(1, 6):
        fits = [gmm.fit(X, k, random_state=seed, tol=1e-6) for seed in range(3)]
        best = max(fits, key=lambda result: result.log_likelihoods[-1])
        scores.append(gmm.bic(X, best.params))
    assert int(np.argmin(scores)) + 1 == 3


@pytest.mark.parametrize("params, error, match", [
    ("params", TypeError, "params"),
    (None, TypeError, "params"),
    ((np.ones(1), np.zeros((1, 2)), np.eye(2)[None]), TypeError, "params"),
])
def test_n_parameters_bad_input(params, error, match):
    with pytest.raises(error, match=match):
        gmm.n_parameters(params)


@pytest.mark.parametrize("X, params, error, match", [
    (np.zeros((5, 3)), None, ValueError, "features"),
    (np.zeros(5), None, ValueError, "X must be 2-D"),
    ([[0.0, np.nan]], None, ValueError, "X must be finite"),
    ("X", None, TypeError, "X"),
    (np.zeros((5, 2)), {"weights": [1.0]}, TypeError, "params"),
])
def test_bic_bad_input(X, params, error, match):
    if params is None:
        params = random_params(np.random.default_rng(6), 2, 2)
    with pytest.raises(error, match=match):
        gmm.bic(X, params)
