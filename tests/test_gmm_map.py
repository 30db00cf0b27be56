"""MAP-EM for the Gaussian mixture (inverse-Wishart prior on Σ_k, Dirichlet on π), and the truth
about reg_covar.

The MAP M-step is checked against an independent maximiser of Q(θ) + log p(θ) (scipy.optimize
over a Cholesky parametrisation, with scipy.stats densities) and against the closed form written
out here; the check is shown to fail on the plausible wrong versions (the prior forgotten, the
posterior mean instead of the mode, ν without the +D+1, α used as pseudo-counts instead of α − 1).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.special import softmax
from scipy.stats import dirichlet, invwishart, multivariate_normal

from emlib import datasets, gmm
from emlib.gmm import GaussianMixtureParams, GaussianMixturePrior

from test_gmm import assert_close, clusters, random_params


def small_problem(seed=0):
    """Few points per component, so that the prior visibly moves the estimate."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(size=(12, 2)) @ [[1.0, 0.4], [0.0, 0.7]],
                   [3.0, 1.0] + 0.6 * rng.normal(size=(9, 2))])
    resp, _ = gmm.e_step(X, random_params(rng, 2, 2, spread=1.5))
    prior = GaussianMixturePrior(scale=[[0.8, 0.2], [0.2, 0.5]], degrees_of_freedom=3.5,
                                 weight_concentration=[2.5, 1.5])
    return X, resp, prior


# ------------------------------------------------------------------------- the MAP M-step
def closed_form(X, resp, prior, *, with_prior=True, covariance_offset=None, pseudo_counts=None):
    """The MAP M-step written out from its derivation, with knobs for the plausible mistakes:
    Σ_k = (Ψ + S_k)/(N_k + ν + offset), offset = D + 1 for the mode; π_k ∝ N_k + (α_k − 1)."""
    d = X.shape[1]
    offset = d + 1 if covariance_offset is None else covariance_offset
    alpha = np.broadcast_to(prior.weight_concentration, resp.shape[1])
    pseudo = alpha - 1.0 if pseudo_counts is None else pseudo_counts
    counts = resp.sum(axis=0)
    means = resp.T @ X / counts[:, None]
    scatter = np.stack([(resp[:, k] * (X - means[k]).T) @ (X - means[k])
                        for k in range(resp.shape[1])])
    if not with_prior:
        return GaussianMixtureParams(counts / counts.sum(), means, scatter / counts[:, None, None])
    covariances = (prior.scale + scatter) / (counts + prior.degrees_of_freedom + offset)[:, None, None]
    weights = (counts + pseudo) / (counts + pseudo).sum()
    return GaussianMixtureParams(weights, means, covariances)


def independent_maximiser(X, resp, prior):
    """argmax over θ of Σ_nk γ_nk [log π_k + log N(x_n | μ_k, Σ_k)] + log p(θ), by BFGS over
    (logits of π, μ_k, Cholesky factors of Σ_k with log-diagonals), every density from scipy.stats."""
    n_components, d = resp.shape[1], X.shape[1]
    rows, cols = np.tril_indices(d)
    alpha = np.broadcast_to(prior.weight_concentration, n_components)

    def unpack(z):
        logits = np.concatenate([[0.0], z[:n_components - 1]])
        means = z[n_components - 1:n_components - 1 + n_components * d].reshape(n_components, d)
        factors = np.zeros((n_components, d, d))
        factors[:, rows, cols] = z[n_components - 1 + n_components * d:].reshape(n_components, -1)
        diagonal = np.arange(d)
        factors[:, diagonal, diagonal] = np.exp(factors[:, diagonal, diagonal])
        return softmax(logits), means, factors @ factors.transpose(0, 2, 1)

    def negative(z):
        weights, means, covariances = unpack(z)
        value = dirichlet.logpdf(weights, alpha)
        for k in range(n_components):
            value += resp[:, k] @ (np.log(weights[k])
                                   + multivariate_normal(means[k], covariances[k]).logpdf(X))
            value += invwishart.logpdf(covariances[k], df=prior.degrees_of_freedom,
                                       scale=prior.scale)
        return -value

    start = np.concatenate([np.zeros(n_components - 1), np.tile(X.mean(axis=0), n_components),
                            np.zeros(n_components * rows.size)])
    solution = minimize(negative, start, method="BFGS", options={"gtol": 1e-9, "maxiter": 5000})
    return GaussianMixtureParams(*unpack(solution.x))


_MAXIMISERS = {}


def check_map_m_step(m_step, X, resp, prior, rtol=1e-6):
    """The MAP M-step ``m_step(X, resp, prior)`` equals the independent maximiser of
    Q(θ) + log p(θ) (to the optimiser's precision, ~1e-7 here)."""
    ours = m_step(X, resp, prior)
    key = (X.tobytes(), resp.tobytes(), prior.scale.tobytes(), prior.degrees_of_freedom,
           prior.weight_concentration.tobytes())
    if key not in _MAXIMISERS:
        _MAXIMISERS[key] = independent_maximiser(X, resp, prior)
    reference = _MAXIMISERS[key]
    for name in ("weights", "means", "covariances"):
        assert_close(getattr(ours, name), getattr(reference, name), rtol)


def library_m_step(X, resp, prior):
    return gmm.m_step(X, resp, prior=prior)


def test_map_m_step_is_the_maximiser_and_the_closed_form():
    X, resp, prior = small_problem()
    check_map_m_step(library_m_step, X, resp, prior)
    ours, written_out = gmm.m_step(X, resp, prior=prior), closed_form(X, resp, prior)
    for name in ("weights", "means", "covariances"):
        assert_close(getattr(ours, name), getattr(written_out, name), 1e-12)


@pytest.mark.parametrize("mistake", [
    {"with_prior": False},                  # the prior forgotten: the ML M-step
    {"covariance_offset": -3},              # the posterior mean (ν − D − 1) instead of the mode
    {"covariance_offset": 0},               # ν alone, as if it counted pseudo-points
    {"pseudo_counts": np.array([2.5, 1.5])},  # α as pseudo-counts instead of α − 1
])
def test_the_maximiser_check_fails_on_plausible_wrong_m_steps(mistake):
    X, resp, prior = small_problem()
    with pytest.raises(AssertionError, match="relative differences"):
        check_map_m_step(lambda *args: closed_form(*args, **mistake), X, resp, prior)


def test_map_with_a_flat_weight_prior_and_a_tiny_prior():
    """α = 1 leaves π_k = N_k/N; a prior of vanishing weight gives the ML M-step."""
    X, resp, _ = small_problem(1)
    counts = resp.sum(axis=0)
    flat = GaussianMixturePrior(scale=np.eye(2), degrees_of_freedom=1.5)
    np.testing.assert_allclose(gmm.m_step(X, resp, prior=flat).weights, counts / counts.sum(),
                               rtol=1e-14)
    tiny = GaussianMixturePrior(scale=1e-12 * np.eye(2), degrees_of_freedom=1.0 + 1e-9)
    ml = gmm.m_step(X, resp, reg_covar=0.0)
    scale = counts / (counts + 1.0 + 1e-9 + 3)           # (S_k)/(N_k + ν + D + 1) vs S_k/N_k
    np.testing.assert_allclose(gmm.m_step(X, resp, prior=tiny).covariances,
                               ml.covariances * scale[:, None, None], rtol=1e-9)


def test_an_empty_component_gets_the_prior_mode():
    X, _, prior = small_problem()
    resp = np.zeros((X.shape[0], 2))
    resp[:, 0] = 1.0
    params = gmm.m_step(X, resp, prior=prior)
    np.testing.assert_allclose(params.covariances[1], prior.scale / (3.5 + 2 + 1), rtol=1e-14)
    np.testing.assert_allclose(params.weights, [(21 + 1.5) / 23, 0.5 / 23], rtol=1e-14)
    np.testing.assert_allclose(params.means[1], X.mean(axis=0), rtol=1e-12)


# ---------------------------------------------------------------------------- the log-prior
def test_log_prior_matches_scipy():
    rng = np.random.default_rng(2)
    params = random_params(rng, 3, 3)
    prior = GaussianMixturePrior(scale=np.diag([0.5, 1.0, 2.0]) + 0.1, degrees_of_freedom=4.2,
                                 weight_concentration=[1.0, 2.0, 3.5])
    expected = dirichlet.logpdf(params.weights, [1.0, 2.0, 3.5]) + sum(
        invwishart.logpdf(cov, df=4.2, scale=prior.scale) for cov in params.covariances)
    assert gmm.log_prior(params, prior) == pytest.approx(expected, rel=1e-12)
    X = rng.normal(size=(20, 3))
    assert gmm.log_posterior(X, params, prior) == pytest.approx(
        gmm.log_likelihood(X, params) + expected, rel=1e-12)


def test_log_prior_of_an_empty_component():
    """π_k = 0 costs nothing under α_k = 1 (0·log 0 = 0) and is impossible under α_k > 1."""
    params = GaussianMixtureParams([1.0, 0.0], [[0.0], [1.0]], [[[1.0]], [[2.0]]])
    flat = GaussianMixturePrior(scale=[[1.0]], degrees_of_freedom=2.0)
    assert np.isfinite(gmm.log_prior(params, flat))
    peaked = GaussianMixturePrior(scale=[[1.0]], degrees_of_freedom=2.0, weight_concentration=2.0)
    assert gmm.log_prior(params, peaked) == -np.inf


# ------------------------------------------------------------------- MAP-EM in fit, monotone
def test_map_fit_equals_alternating_e_step_and_map_m_step():
    rng = np.random.default_rng(3)
    X = clusters(rng, 150, 2, 3)
    prior = GaussianMixturePrior(scale=0.3 * np.eye(2), degrees_of_freedom=2.5,
                                 weight_concentration=1.7)
    start = gmm.init_params(X, 3, random_state=0, prior=prior)
    params, objectives, log_likelihoods = start, [], []
    for _ in range(8):
        resp, total = gmm.e_step(X, params)
        log_likelihoods.append(total)
        objectives.append(total + gmm.log_prior(params, prior))
        params = gmm.m_step(X, resp, prior=prior)
    objectives.append(gmm.log_posterior(X, params, prior))
    log_likelihoods.append(gmm.log_likelihood(X, params))
    result = gmm.fit(X, 3, init=start, max_iter=8, tol=0.0, prior=prior)
    assert result.objective_name == "log_posterior"
    np.testing.assert_allclose(result.objectives, objectives, rtol=1e-12)
    np.testing.assert_allclose(result.log_likelihoods, log_likelihoods, rtol=1e-12)
    for name in ("weights", "means", "covariances"):
        assert_close(getattr(result.params, name), getattr(params, name), 1e-10)


map_problems = st.fixed_dictionaries({
    "seed": st.integers(0, 2**32 - 1),
    "n_features": st.integers(1, 3),
    "n_components": st.integers(1, 5),
    "n_samples": st.integers(3, 40),
    "duplicates": st.booleans(),             # many copies of one point: ML would collapse
    "alpha": st.sampled_from([1.0, 2.0]),
})


@settings(max_examples=30, deadline=None)
@given(map_problems)
def test_log_posterior_never_decreases(problem):
    """MAP-EM's defining property, on data where maximum likelihood collapses (few points,
    duplicates, more components than clusters): the prior keeps every Σ_k positive definite."""
    rng = np.random.default_rng(problem["seed"])
    d, k = problem["n_features"], problem["n_components"]
    X = rng.normal(scale=3.0, size=(problem["n_samples"], d))
    if problem["duplicates"]:
        X[: problem["n_samples"] // 2] = X[0]
    prior = GaussianMixturePrior(scale=0.1 * np.eye(d), degrees_of_freedom=d + 0.5,
                                 weight_concentration=problem["alpha"])
    k = min(k, problem["n_samples"])
    result = gmm.fit(X, k, init="random", max_iter=30, tol=0.0, prior=prior,
                     random_state=problem["seed"])
    objectives = result.objectives
    assert np.all(np.isfinite(objectives))
    assert np.all(np.diff(objectives) >= -1e-9 * np.abs(objectives[:-1])), np.diff(objectives).min()


# ---------------------------------------------------------------------------- reg_covar's truth
def spike_start(X):
    """Notebook 03 §8: a narrow third component on the first eruption."""
    return GaussianMixtureParams([0.45, 0.45, 0.1], [[-1.0, -1.0], [1.0, 1.0], X[0]],
                                 [0.3 * np.eye(2), 0.3 * np.eye(2), 1e-3 * np.eye(2)])


def test_reg_covar_is_not_em_the_log_likelihood_falls_for_many_iterations():
    """With reg_covar = 1e-2 on Old Faithful the log-likelihood peaks early and then falls in most
    iterations, and fit still converges; the MAP fit from the same start never goes down."""
    X = datasets.old_faithful(standardized=True)
    regularised = gmm.fit(X, 3, init=spike_start(X), max_iter=500, tol=1e-9, reg_covar=1e-2)
    steps = np.diff(regularised.log_likelihoods)
    assert regularised.converged
    assert (steps < 0).sum() > 100
    assert regularised.log_likelihoods.max() - regularised.log_likelihoods[-1] > 0.1
    prior = GaussianMixturePrior(scale=0.05 * np.eye(2), degrees_of_freedom=2.0)
    posterior = gmm.fit(X, 3, init=spike_start(X), max_iter=500, tol=1e-9, prior=prior)
    assert posterior.converged
    assert np.diff(posterior.objectives).min() > -1e-9 * abs(posterior.objectives[-1])
    assert np.linalg.eigvalsh(posterior.params.covariances).min() > 1e-3


def test_reg_covar_is_not_map_under_a_fixed_prior():
    """Duplicating every point leaves reg_covar's M-step unchanged (C + rI depends on the data only
    through the weighted covariance C), while any MAP M-step under a fixed prior weighs the prior
    against twice the data; so no fixed prior reproduces reg_covar for every data set."""
    X, resp, prior = small_problem()
    twice, resp_twice = np.vstack([X, X]), np.vstack([resp, resp])
    once = gmm.m_step(X, resp, reg_covar=1e-2).covariances
    np.testing.assert_allclose(gmm.m_step(twice, resp_twice, reg_covar=1e-2).covariances, once,
                               rtol=1e-12)
    map_once = gmm.m_step(X, resp, prior=prior).covariances
    map_twice = gmm.m_step(twice, resp_twice, prior=prior).covariances
    assert np.abs(map_twice - map_once).max() > 1e-2 * np.abs(map_once).max()


# -------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, error, match", [
    (dict(scale=[[1.0, 2.0], [2.0, 1.0]]), ValueError, r"prior.scale\[0\] is not positive definite"),
    (dict(scale=[[1.0, 0.5], [0.0, 1.0]]), ValueError, r"prior.scale\[0\] is not symmetric"),
    (dict(scale=np.ones(2)), ValueError, "prior.scale must be 2-D"),
    (dict(scale=np.ones((2, 3))), ValueError, "prior.scale must be a square"),
    (dict(scale="I"), TypeError, "prior.scale"),
    (dict(degrees_of_freedom=1.0), ValueError, r"prior.degrees_of_freedom must be > D - 1 = 1"),
    (dict(degrees_of_freedom="3"), TypeError, "prior.degrees_of_freedom"),
    (dict(degrees_of_freedom=np.inf), ValueError, "prior.degrees_of_freedom must be finite"),
    (dict(weight_concentration=0.5), ValueError, "prior.weight_concentration must be >= 1"),
    (dict(weight_concentration=[[2.0]]), ValueError, "prior.weight_concentration must be a number"),
    (dict(weight_concentration=True), TypeError, "prior.weight_concentration"),
])
def test_prior_rejects_bad_input(kwargs, error, match):
    args = dict(scale=np.eye(2), degrees_of_freedom=3.0)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        GaussianMixturePrior(**args)


def test_prior_must_fit_the_data_and_exclude_reg_covar():
    X = np.random.default_rng(0).normal(size=(20, 2))
    prior = GaussianMixturePrior(scale=np.eye(3), degrees_of_freedom=3.0)
    with pytest.raises(ValueError, match="prior.scale is 3×3 but the data have 2 features"):
        gmm.fit(X, 2, prior=prior)
    prior = GaussianMixturePrior(scale=np.eye(2), degrees_of_freedom=3.0,
                                 weight_concentration=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="weight_concentration has 3 entries.*2 components"):
        gmm.fit(X, 2, prior=prior)
    prior = GaussianMixturePrior(scale=np.eye(2), degrees_of_freedom=3.0)
    with pytest.raises(ValueError, match="reg_covar=0.001 with a prior"):
        gmm.fit(X, 2, prior=prior, reg_covar=1e-3)
    with pytest.raises(ValueError, match="reg_covar=0.001 with a prior"):
        gmm.m_step(X, np.full((20, 2), 0.5), reg_covar=1e-3, prior=prior)
    with pytest.raises(TypeError, match="prior must be a GaussianMixturePrior"):
        gmm.log_prior(gmm.init_params(X, 2, random_state=0), None)
    assert gmm.fit(X, 2, prior=prior, reg_covar=0.0, max_iter=2).objective_name == "log_posterior"
