"""emlib.latent_linear: PPCA and factor analysis against scipy, the closed form and scikit-learn."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from emlib import latent_linear


def data(seed, n=150, d=6, m=2):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(d, m)) * 2.0
    X = rng.normal(size=(n, m)) @ W.T + 3.0 + rng.normal(size=(n, d)) * rng.uniform(0.3, 1.2, d)
    return X


@pytest.mark.parametrize("seed", range(3))
def test_log_likelihood_is_the_gaussian_marginal(seed):
    X = data(seed)
    params = latent_linear.init_params(X, 2, random_state=seed)
    expected = multivariate_normal(params.mean, latent_linear.model_covariance(params)).logpdf(X).sum()
    np.testing.assert_allclose(latent_linear.log_likelihood(X, params), expected, rtol=1e-12)
    _, _, from_e_step = latent_linear.e_step(X, params)
    np.testing.assert_allclose(from_e_step, expected, rtol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_ppca_em_reaches_the_closed_form(seed):
    X = data(seed)
    result = latent_linear.fit(X, 2, noise="isotropic", tol=0.0, max_iter=3000, random_state=seed)
    closed = latent_linear.ppca_maximum_likelihood(X, 2)
    np.testing.assert_allclose(latent_linear.model_covariance(result.params),
                               latent_linear.model_covariance(closed), atol=1e-8)
    np.testing.assert_allclose(result.params.mean, X.mean(axis=0), atol=1e-10)
    assert np.all(np.diff(result.objectives) > -1e-9 * abs(result.objectives[-1]))
    assert np.ptp(result.params.noise_variance) == 0.0


def test_closed_form_sigma2_is_the_mean_of_the_discarded_eigenvalues():
    X = data(0)
    eigenvalues = np.sort(np.linalg.eigvalsh(np.cov(X.T, bias=True)))[::-1]
    closed = latent_linear.ppca_maximum_likelihood(X, 2)
    np.testing.assert_allclose(closed.noise_variance, eigenvalues[2:].mean(), rtol=1e-12)
    # W W^T + σ²I has the leading eigenvalues of S and σ² for the rest.
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(latent_linear.model_covariance(closed)))[::-1],
                               np.r_[eigenvalues[:2], np.full(4, eigenvalues[2:].mean())], rtol=1e-10)


@pytest.mark.parametrize("seed", range(2))
def test_factor_analysis_matches_scikit_learn(seed):
    from sklearn.decomposition import FactorAnalysis

    X = data(seed)
    result = latent_linear.fit(X, 2, noise="diagonal", tol=0.0, max_iter=3000, random_state=seed)
    reference = FactorAnalysis(2, tol=1e-12, max_iter=20_000, svd_method="lapack").fit(X)
    np.testing.assert_allclose(result.objectives[-1], reference.score(X) * len(X), rtol=1e-8)
    np.testing.assert_allclose(result.params.noise_variance, reference.noise_variance_, rtol=1e-3,
                               atol=1e-5)
    np.testing.assert_allclose(latent_linear.model_covariance(result.params),
                               reference.get_covariance(), rtol=1e-4, atol=1e-5)


def test_e_step_posterior_and_m_step_agree_with_the_model():
    X = data(1)
    params = latent_linear.init_params(X, 2, random_state=1)
    Ez, G, _ = latent_linear.e_step(X, params)
    C = latent_linear.model_covariance(params)
    gain = np.linalg.solve(C, params.loadings).T
    np.testing.assert_allclose(Ez, (X - params.mean) @ gain.T, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(G, np.eye(2) - gain @ params.loadings, rtol=1e-9, atol=1e-12)
    model = latent_linear.LatentLinearModel(X, "diagonal")
    via_model = model.m_step(model.e_step(params)[0], params)
    direct = latent_linear.m_step(X, Ez, G, noise="diagonal")
    for a, b in ((via_model.loadings, direct.loadings), (via_model.mean, direct.mean),
                 (via_model.noise_variance, direct.noise_variance)):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    back = model.params_from_vector(model.params_to_vector(params))
    np.testing.assert_allclose(back.loadings, params.loadings)


def test_bad_input():
    X = data(0)
    params = latent_linear.init_params(X, 2, random_state=0)
    with pytest.raises(TypeError, match="X"):
        latent_linear.fit("data", 2)
    with pytest.raises(TypeError, match="booleans"):
        latent_linear.fit(X > 0, 2)
    with pytest.raises(ValueError, match="finite"):
        latent_linear.log_likelihood(np.where(X > 5, np.nan, X), params)
    with pytest.raises(ValueError, match="constant"):
        latent_linear.fit(np.column_stack([X, np.ones(len(X))]), 2)
    with pytest.raises(ValueError, match="n_components"):
        latent_linear.ppca_maximum_likelihood(X, 6)
    with pytest.raises(ValueError, match="noise"):
        latent_linear.m_step(X, np.zeros((len(X), 2)), np.eye(2), noise="full")
    with pytest.raises(ValueError, match="latent_covariance"):
        latent_linear.m_step(X, np.zeros((len(X), 2)), np.eye(3))
    with pytest.raises(ValueError, match="noise_variance"):
        latent_linear.LatentLinearParams(np.zeros(6), np.ones((6, 2)), np.zeros(6))
    with pytest.raises(ValueError, match="loadings"):
        latent_linear.LatentLinearParams(np.zeros(6), np.ones((5, 2)), np.ones(6))
    with pytest.raises(TypeError, match="params"):
        latent_linear.model_covariance(np.eye(3))
    with pytest.raises(ValueError, match="features"):
        latent_linear.e_step(X[:, :5], params)
    with pytest.raises(ValueError, match="components"):
        latent_linear.fit(X, 3, init=params)
