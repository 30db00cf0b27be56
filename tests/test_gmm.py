"""Tests for emlib.gmm against closed forms, scipy.stats and scikit-learn's GaussianMixture."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from emlib import gmm
from emlib.gmm import GaussianMixtureParams


def random_params(rng, n_components, n_features, spread=3.0):
    """Random valid parameters with correlated, anisotropic covariances."""
    weights = rng.dirichlet(np.ones(n_components) * 2)
    means = rng.normal(scale=spread, size=(n_components, n_features))
    factors = rng.normal(size=(n_components, n_features, n_features))
    covariances = factors @ factors.transpose(0, 2, 1) + 0.3 * np.eye(n_features)
    return GaussianMixtureParams(weights, means, covariances)


def clusters(rng, n_samples, n_features, n_components):
    params = random_params(rng, n_components, n_features)
    labels = rng.choice(n_components, size=n_samples, p=params.weights)
    chol = np.linalg.cholesky(params.covariances)
    noise = np.einsum("nij,nj->ni", chol[labels], rng.normal(size=(n_samples, n_features)))
    return params.means[labels] + noise


def far_tight_data(rng):
    """Data 1000 units from the origin with one cluster of spread 1e-4, 20 units from the others.

    Even after centring at the data mean, E[x²]/Var[x] ≈ 4e10 for the tight cluster, so the
    uncentred second moments Σγx²/N_k − μ² lose ten of their sixteen digits (about 5e-6 relative
    error after 25 iterations); about the origin they would lose all of them."""
    offset = np.array([1000.0, -1000.0])
    parts = [offset + 1e-4 * rng.normal(size=(200, 2)),
             offset + [20.0, 20.0] + rng.normal(size=(300, 2)) @ np.array([[1.0, 0.6], [0.0, 0.8]]),
             offset + [-20.0, 20.0] + 0.5 * rng.normal(size=(250, 2))]
    return np.concatenate(parts)


FAR_TIGHT_REG = 1e-10     # well below the tight cluster's variance of 1e-8


def sklearn_fit(X, start, n_iter, reg_covar):
    model = GaussianMixture(start.n_components, covariance_type="full", tol=0.0, max_iter=n_iter,
                            reg_covar=reg_covar, weights_init=start.weights,
                            means_init=start.means,
                            precisions_init=np.linalg.inv(start.covariances))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X)


def assert_close(actual, expected, rtol):
    """Relative agreement per component (first axis), measured against each component's largest
    entry, so a tight component's 1e-8 covariance is held to the same standard as a broad one's."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    axes = tuple(range(1, expected.ndim))
    scale = np.abs(expected).max(axis=axes) if axes else np.abs(expected)
    error = np.abs(actual - expected).max(axis=axes) if axes else np.abs(actual - expected)
    assert np.all(error <= rtol * scale), f"relative differences {error / scale} exceed {rtol}"


def assert_same_params(a, b, rtol):
    for name in ("weights", "means", "covariances"):
        assert_close(getattr(a, name), getattr(b, name), rtol)


# ---------------------------------------------------------------------------- closed forms
def test_log_prob_matches_scipy_multivariate_normal():
    rng = np.random.default_rng(0)
    params = random_params(rng, 4, 3)
    X = rng.normal(scale=4, size=(50, 3))
    expected = np.column_stack([
        np.log(w) + multivariate_normal(mu, cov).logpdf(X)
        for w, mu, cov in zip(params.weights, params.means, params.covariances)])
    np.testing.assert_allclose(gmm.estimate_log_prob(X, params), expected, rtol=1e-12)


def test_e_step_is_the_normalised_posterior():
    rng = np.random.default_rng(1)
    params = random_params(rng, 3, 2)
    X = rng.normal(scale=3, size=(40, 2))
    joint = np.column_stack([w * multivariate_normal(mu, cov).pdf(X) for w, mu, cov in
                             zip(params.weights, params.means, params.covariances)])
    resp, total = gmm.e_step(X, params)
    np.testing.assert_allclose(resp, joint / joint.sum(axis=1, keepdims=True), rtol=1e-10)
    assert total == pytest.approx(np.log(joint.sum(axis=1)).sum(), rel=1e-12)
    assert gmm.log_likelihood(X, params) == pytest.approx(total, rel=1e-14)


def test_one_component_is_the_sample_mean_and_covariance_in_one_step():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 3)) @ rng.normal(size=(3, 3)) + [1.0, -2.0, 3.0]
    start = random_params(rng, 1, 3)
    result = gmm.fit(X, 1, init=start, max_iter=1, tol=0.0, reg_covar=1e-6)
    np.testing.assert_allclose(result.params.means[0], X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(result.params.covariances[0],
                               np.cov(X.T, bias=True) + 1e-6 * np.eye(3), rtol=1e-10)
    assert result.params.weights[0] == 1.0
    expected = multivariate_normal(X.mean(axis=0), result.params.covariances[0]).logpdf(X).sum()
    assert result.log_likelihoods[-1] == pytest.approx(expected, rel=1e-12)


def test_m_step_with_known_labels_is_per_class_maximum_likelihood():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    labels = np.repeat([0, 1, 2], 20)
    resp = np.eye(3)[labels]
    params = gmm.m_step(X, resp, reg_covar=0.0)
    for k in range(3):
        np.testing.assert_allclose(params.means[k], X[labels == k].mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(params.covariances[k], np.cov(X[labels == k].T, bias=True),
                                   rtol=1e-12)
    np.testing.assert_allclose(params.weights, [1 / 3] * 3, rtol=1e-15)


# ------------------------------------------------------------------- scikit-learn contract
# The two formulations of the engine: quadratic features (small D) and the Cholesky form (large D).
FORMS = {"features": {}, "cholesky": {"_FEATURES_MAX_DIM": 0}}


@pytest.fixture(params=list(FORMS))
def form(request, monkeypatch):
    """Run the test with fit's engine forced into one formulation."""
    for name, value in FORMS[request.param].items():
        monkeypatch.setattr(gmm, name, value)
    return request.param


@pytest.mark.parametrize("case", ["clusters", "far_and_tight", "one_dimensional", "23_dimensional"])
@pytest.mark.parametrize("n_iter", [1, 25])
def test_fit_matches_scikit_learn_from_the_same_start(case, n_iter, form):
    rng = np.random.default_rng(4)
    reg_covar = 1e-6
    if case == "clusters":
        X, k = clusters(rng, 500, 3, 4), 4
    elif case == "23_dimensional":              # several panels in the Cholesky form
        X, k = clusters(rng, 900, 23, 3), 3
    elif case == "far_and_tight":
        X, k, reg_covar = far_tight_data(rng), 3, FAR_TIGHT_REG
    else:
        X, k = clusters(rng, 300, 1, 2), 2
    start = gmm.init_params(X, k, random_state=0)
    ours = gmm.fit(X, k, init=start, max_iter=n_iter, tol=0.0, reg_covar=reg_covar)
    theirs = sklearn_fit(X, start, n_iter, reg_covar=reg_covar)
    assert ours.n_iter == theirs.n_iter_ == n_iter
    for name, theirs_value in [("weights", theirs.weights_), ("means", theirs.means_),
                               ("covariances", theirs.covariances_)]:
        assert_close(getattr(ours.params, name), theirs_value, rtol=1e-8)
    # sklearn's lower_bound_ is the mean log-likelihood at the parameters before the last M-step.
    assert ours.log_likelihoods[-2] / len(X) == pytest.approx(theirs.lower_bound_, rel=1e-9)


def test_far_and_tight_data_defeats_uncentred_moments(monkeypatch, form):
    """The trap is real: with the centred repairs switched off, the answer is wrong."""
    rng = np.random.default_rng(4)
    X = far_tight_data(rng)
    start = gmm.init_params(X, 3, random_state=0)
    theirs = sklearn_fit(X, start, 25, reg_covar=FAR_TIGHT_REG)
    monkeypatch.setattr(gmm, "_RECENTRE_MIN", np.inf)
    monkeypatch.setattr(gmm, "_REDO_MIN", np.inf)
    monkeypatch.setattr(gmm, "_E_CANCELLATION_MAX", np.inf)
    try:
        ours = gmm.fit(X, 3, init=start, max_iter=25, tol=0.0, reg_covar=FAR_TIGHT_REG).params
    except ValueError:          # uncentred covariances may not even be positive definite
        return
    with pytest.raises(AssertionError, match="relative differences"):
        assert_close(ours.covariances, theirs.covariances_, rtol=1e-6)


def test_fit_equals_alternating_e_step_and_m_step():
    rng = np.random.default_rng(5)
    X = clusters(rng, 400, 2, 3)
    start = gmm.init_params(X, 3, random_state=1)
    params, log_likelihoods = start, []
    for _ in range(10):
        resp, total = gmm.e_step(X, params)
        log_likelihoods.append(total)
        params = gmm.m_step(X, resp, reg_covar=1e-6)
    resp, total = gmm.e_step(X, params)
    log_likelihoods.append(total)
    result = gmm.fit(X, 3, init=start, max_iter=10, tol=0.0)
    assert_same_params(result.params, params, rtol=1e-11)
    np.testing.assert_allclose(result.log_likelihoods, log_likelihoods, rtol=1e-12)
    np.testing.assert_allclose(result.resp, resp, atol=1e-12)


@pytest.mark.parametrize("switches", [
    {"_FEATURE_BUDGET": 0},                                   # features rebuilt block by block
    {"_E_CANCELLATION_MAX": 0.0},                             # every E-step column centred
    {"_RECENTRE_MIN": 0.0},                                   # all statistics about μ_k^(t)
    {"_REDO_MIN": 0.0},                                       # ... and all again, second pass
    {"_TINY": np.inf},                                        # every row through log-sum-exp
    {"_BLOCK_BYTES": 1},                                      # smallest blocks
    {"_FEATURES_MAX_DIM": 0},                                 # the Cholesky form
    {"_FEATURES_MAX_DIM": 0, "_PANEL_WIDTH": 1},              # ... one feature per panel
    {"_FEATURES_MAX_DIM": 0, "_PANEL_WIDTH": 100},            # ... one panel
    {"_FEATURES_MAX_DIM": 0, "_RECENTRE_MIN": 0.0},           # ... all about μ_k^(t)
    {"_FEATURES_MAX_DIM": 0, "_TINY": np.inf},                # ... every row log-sum-exp
    {"_FEATURES_MAX_DIM": 0, "_BLOCK_BYTES": 1},              # ... smallest blocks
])
def test_every_internal_path_gives_the_same_fit(monkeypatch, switches):
    rng = np.random.default_rng(6)
    X = clusters(rng, 300, 3, 3)
    start = gmm.init_params(X, 3, random_state=2)
    reference = gmm.fit(X, 3, init=start, max_iter=8, tol=0.0)
    for name, value in switches.items():
        monkeypatch.setattr(gmm, name, value)
    result = gmm.fit(X, 3, init=start, max_iter=8, tol=0.0)
    assert_same_params(result.params, reference.params, rtol=1e-10)
    np.testing.assert_allclose(result.log_likelihoods, reference.log_likelihoods, rtol=1e-12)


# ----------------------------------------------------------------------- monotonic likelihood
problems = st.fixed_dictionaries({
    "seed": st.integers(0, 2**32 - 1),
    "n_features": st.integers(1, 4),
    "n_components": st.integers(1, 4),
    "points_per_component": st.integers(10, 40),
    "separation": st.sampled_from([0.5, 3.0, 1e3]),    # overlapping … far-apart clusters
    "decimals": st.sampled_from([None, 1]),            # rounding makes duplicate points
})


def random_problem(problem):
    rng = np.random.default_rng(problem["seed"])
    d, k = problem["n_features"], problem["n_components"]
    labels = np.repeat(np.arange(k), problem["points_per_component"] * (d + 1))
    centres = rng.normal(scale=problem["separation"], size=(k, d))
    X = centres[labels] + rng.normal(size=(labels.size, d))
    if problem["decimals"] is not None:
        X = X.round(problem["decimals"])
    # A soft start, half on each point's own cluster and half random: every component sees every
    # point, so none starts singular, and each starts with a cluster of its own. (With reg_covar=0,
    # a component that loses its points collapses: that singularity is tested separately.)
    resp = 0.5 * np.eye(k)[labels] + 0.5 * rng.dirichlet(np.ones(k), size=labels.size)
    return X, gmm.m_step(X, resp, reg_covar=0.0)


@settings(max_examples=40, deadline=None)
@given(problems)
def test_log_likelihood_never_decreases(problem):
    """EM's defining property (Dempster, Laird & Rubin, 1977), with the exact M-step (reg_covar=0:
    Σ_k + reg·I does not maximise Q, and near a singular component that can cost ~reg/λ_min)."""
    X, start = random_problem(problem)
    result = gmm.fit(X, start.n_components, init=start, max_iter=30, tol=0.0, reg_covar=0.0)
    lls = result.log_likelihoods
    assert np.all(np.isfinite(lls)) and np.all(np.isfinite(result.resp))
    assert np.all(np.diff(lls) >= -1e-9 * np.abs(lls[:-1])), np.diff(lls).min()
    # the same iterates from the readable e_step/m_step
    resp, total = gmm.e_step(X, start)
    assert total == pytest.approx(lls[0], rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 12), st.integers(1, 3), st.integers(1, 4),
       st.sampled_from([1e-6, 1e-3]))
def test_degenerate_data_stays_finite(seed, n_samples, n_features, n_components, reg_covar):
    """Few points, half of them on one spot, far outliers: regularised EM must not crash or NaN."""
    rng = np.random.default_rng(seed)
    n_components = min(n_components, n_samples)
    X = rng.normal(size=(n_samples, n_features))
    X[: n_samples // 2] = X[0]
    X[-1] *= 1e4
    result = gmm.fit(X, n_components, max_iter=20, tol=0.0, reg_covar=reg_covar, random_state=seed)
    assert np.all(np.isfinite(result.log_likelihoods)) and np.all(np.isfinite(result.resp))
    np.testing.assert_allclose(result.resp.sum(axis=1), 1.0, rtol=1e-12)


def test_regularisation_can_cost_a_little_likelihood():
    """Why the monotonicity test uses reg_covar=0: with few points per dimension the regularised
    M-step is not exact and log p(X|θ) can fall slightly (here by ~3e-7) — documented in fit."""
    rng = np.random.default_rng(41191617)
    centres = rng.normal(scale=0.5, size=(2, 4))
    X = centres[rng.integers(2, size=11)] + rng.normal(size=(11, 4))
    result = gmm.fit(X, 2, init="random", max_iter=5, tol=0.0, reg_covar=1e-6,
                     random_state=41191617)
    assert -1e-6 < np.diff(result.log_likelihoods).min() < 0


# ---------------------------------------------------------------------- numerical robustness
def test_points_far_from_every_component_get_finite_responsibilities():
    params = GaussianMixtureParams([0.5, 0.5], [[0.0, 0.0], [1.0, 0.0]],
                                   [np.eye(2) * 1e-2, np.eye(2) * 1e-2])
    X = np.array([[5000.0, 0.0], [-5000.0, 0.0], [0.5, 3000.0]])   # ~50,000 standard deviations
    resp, total = gmm.e_step(X, params)
    assert np.all(np.isfinite(resp)) and np.isfinite(total)
    np.testing.assert_allclose(resp, [[0, 1], [1, 0], [0.5, 0.5]], atol=1e-12)
    result = gmm.fit(np.vstack([X, np.random.default_rng(0).normal(size=(50, 2))]), 2,
                     init=params, max_iter=5, tol=0.0)
    assert np.all(np.isfinite(result.log_likelihoods))


def test_a_component_that_loses_all_responsibility_becomes_empty():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(100, 2))
    start = GaussianMixtureParams([0.5, 0.5], [[0.0, 0.0], [1e4, 1e4]], [np.eye(2), np.eye(2)])
    result = gmm.fit(X, 2, init=start, max_iter=5, tol=0.0)
    weights, means, covariances = result.params.weights, result.params.means, result.params.covariances
    assert weights[1] == 0.0 and weights[0] == pytest.approx(1.0)
    np.testing.assert_allclose(means[1], X.mean(axis=0), rtol=1e-12)   # data's mean and covariance
    np.testing.assert_allclose(covariances[1], np.cov(X.T, bias=True) + 1e-6 * np.eye(2), rtol=1e-10)
    np.testing.assert_allclose(means[0], X.mean(axis=0), rtol=1e-12)   # the other one holds all
    assert np.all(result.resp[:, 1] == 0.0)
    assert np.all(np.diff(result.log_likelihoods) >= -1e-9)


def test_collapse_without_regularisation_raises_advice():
    X = np.array([[0.0, 0.0]] * 5 + [[1.0, 2.0], [2.0, 1.0], [3.0, 3.5]])
    resp = np.zeros((8, 2))
    resp[:5, 0] = 1.0
    resp[5:, 1] = 1.0
    with pytest.raises(ValueError, match="reg_covar"):
        gmm.m_step(X, resp, reg_covar=0.0)
    assert np.all(np.isfinite(gmm.m_step(X, resp, reg_covar=1e-6).covariances))


# --------------------------------------------------------------------------- fit behaviour
def test_fit_stops_at_tol_and_reports_convergence():
    rng = np.random.default_rng(8)
    X = clusters(rng, 300, 2, 2)
    result = gmm.fit(X, 2, tol=1e-3, max_iter=500, random_state=0)
    assert result.converged and 0 < result.n_iter < 500
    assert len(result.log_likelihoods) == result.n_iter + 1
    assert abs(result.log_likelihoods[-1] - result.log_likelihoods[-2]) < 1e-3 * len(X)
    resp, total = gmm.e_step(X, result.params)
    np.testing.assert_allclose(result.resp, resp, atol=1e-12)
    assert result.log_likelihoods[-1] == pytest.approx(total, rel=1e-12)
    capped = gmm.fit(X, 2, tol=0.0, max_iter=3, random_state=0)
    assert not capped.converged and capped.n_iter == 3


def test_callback_sees_every_iterate_and_seed_reproduces():
    rng = np.random.default_rng(9)
    X = clusters(rng, 200, 2, 3)
    seen = []
    result = gmm.fit(X, 3, max_iter=6, tol=0.0, random_state=3,
                     callback=lambda t, params, ll: seen.append((t, params, ll)))
    assert [t for t, _, _ in seen] == list(range(7))
    np.testing.assert_allclose([ll for _, _, ll in seen], result.log_likelihoods, rtol=1e-12)
    for t, params, ll in seen:
        assert gmm.log_likelihood(X, params) == pytest.approx(ll, rel=1e-11)
    again = gmm.fit(X, 3, max_iter=6, tol=0.0, random_state=3)
    assert_same_params(again.params, result.params, rtol=0.0)


def test_zero_iterations_evaluate_the_start():
    rng = np.random.default_rng(10)
    X = clusters(rng, 100, 2, 2)
    start = gmm.init_params(X, 2, random_state=0)
    result = gmm.fit(X, 2, init=start, max_iter=0)
    assert result.n_iter == 0 and result.params is start
    assert result.log_likelihoods.tolist() == [pytest.approx(gmm.log_likelihood(X, start))]


def test_kmeans_plus_plus_starts_from_distinct_data_points():
    rng = np.random.default_rng(11)
    X = np.concatenate([rng.normal(size=(50, 2)) + c for c in ([0, 0], [20, 0], [0, 20])])
    params = gmm.init_params(X, 3, random_state=0)
    # well-separated clusters: k-means++ puts one centre in each, so each gets a third of the data
    np.testing.assert_allclose(np.sort(params.weights), [1 / 3] * 3)


def test_params_are_read_only():
    params = GaussianMixtureParams([1.0], [[0.0]], [[[1.0]]])
    with pytest.raises(ValueError):
        params.means[0, 0] = 5.0


# ------------------------------------------------------------------------------ bad input
def good_params():
    return GaussianMixtureParams([0.4, 0.6], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2), np.eye(2)])


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(weights=[0.5, 0.6]), ValueError, "weights must sum to 1"),
    (dict(weights=[-0.2, 1.2]), ValueError, "weights must be non-negative"),
    (dict(weights=[1.0]), ValueError, "weights has shape"),
    (dict(weights=[[0.4, 0.6]]), ValueError, "weights must be 1-D"),
    (dict(means=[0.0, 1.0]), ValueError, "means must be 2-D"),
    (dict(means=[[0.0, np.nan], [1.0, 1.0]]), ValueError, "means must be finite"),
    (dict(means="abc"), TypeError, "means must be an array of numbers"),
    (dict(covariances=[np.eye(2)]), ValueError, "covariances has shape"),
    (dict(covariances=[np.eye(2), [[1.0, 0.5], [0.0, 1.0]]]), ValueError,
     r"covariances\[1\] is not symmetric"),
    (dict(covariances=[np.eye(2), [[1.0, 2.0], [2.0, 1.0]]]), ValueError,
     r"covariances\[1\] is not positive definite"),
    (dict(covariances=[np.eye(2), np.zeros((2, 2))]), ValueError, r"covariances\[1\]"),
    (dict(covariances=[np.eye(2), [[1.0, 1.0], [1.0, 1.0 + 1e-15]]]), ValueError,
     r"covariances\[1\] is singular to working precision"),
    (dict(covariances=[np.eye(2), np.diag([1.0, np.inf])]), ValueError, "covariances must be finite"),
])
def test_params_reject_bad_input(kwargs, error, match):
    args = dict(weights=[0.4, 0.6], means=[[0.0, 0.0], [1.0, 1.0]], covariances=[np.eye(2)] * 2)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        GaussianMixtureParams(**args)


@pytest.mark.parametrize("function", [gmm.e_step, gmm.log_likelihood, gmm.estimate_log_prob])
def test_evaluation_functions_reject_bad_input(function):
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match=r"X must be 2-D.*reshape\(-1, 1\)"):
        function(np.zeros(5), good_params())
    with pytest.raises(ValueError, match="X must be finite"):
        function(np.array([[0.0, np.inf]]), good_params())
    with pytest.raises(ValueError, match="X is empty"):
        function(np.zeros((0, 2)), good_params())
    with pytest.raises(ValueError, match="X has 3 features.*params.means has 2"):
        function(np.zeros((5, 3)), good_params())
    with pytest.raises(TypeError, match="params must be a GaussianMixtureParams"):
        function(X, (np.ones(2) / 2, np.zeros((2, 2)), np.stack([np.eye(2)] * 2)))
    with pytest.raises(TypeError, match="X must be an array of numbers"):
        function([["a", "b"]], good_params())


@pytest.mark.parametrize("resp, reg_covar, error, match", [
    (np.full((4, 2), 0.5), -1.0, ValueError, "reg_covar must be >= 0"),
    (np.full((4, 2), 0.5), np.nan, ValueError, "reg_covar must be finite"),
    (np.full((4, 2), 0.5), "1e-6", TypeError, "reg_covar must be a real number"),
    (np.full((3, 2), 0.5), 1e-6, ValueError, "resp has 3 rows but X has 4 samples"),
    (np.full((4, 2), 0.6), 1e-6, ValueError, "each row of resp must sum to 1"),
    (np.array([[1.5, -0.5]] * 4), 1e-6, ValueError, "resp must be non-negative"),
    (np.full(4, 1.0), 1e-6, ValueError, "resp must be 2-D"),
])
def test_m_step_rejects_bad_input(resp, reg_covar, error, match):
    with pytest.raises(error, match=match):
        gmm.m_step(np.arange(8.0).reshape(4, 2), resp, reg_covar)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n_components=0), ValueError, "n_components must be at least 1"),
    (dict(n_components=11), ValueError, "n_components must be at most 10 .*number of samples"),
    (dict(n_components=2.0), TypeError, "n_components must be an integer"),
    (dict(n_components=True), TypeError, "n_components must be an integer"),
    (dict(max_iter=-1), ValueError, "max_iter must be at least 0"),
    (dict(tol=-1e-3), ValueError, "tol must be >= 0"),
    (dict(reg_covar=-1e-6), ValueError, "reg_covar must be >= 0"),
    (dict(init="kmeans"), ValueError, "init must be"),        # names fit's argument (issue 15)
    (dict(init=42), TypeError, "init must be"),
    (dict(init=GaussianMixtureParams([1.0], [[0.0, 0.0]], [np.eye(2)])), ValueError,
     "init has 1 components"),
    (dict(callback="print"), TypeError, "callback must be callable"),
    (dict(random_state="seed"), TypeError, "random_state must be"),
    (dict(random_state=-1), ValueError, "random_state must be a non-negative seed"),
])
def test_fit_rejects_bad_input(kwargs, error, match):
    X = np.random.default_rng(0).normal(size=(10, 2))
    args = dict(n_components=2)
    args.update(kwargs)
    n_components = args.pop("n_components")
    with pytest.raises(error, match=match):
        gmm.fit(X, n_components, **args)


def test_init_params_rejects_bad_input():
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="method must be"):
        gmm.init_params(X, 2, method="spectral")
    with pytest.raises(ValueError, match="n_components must be at most 10"):
        gmm.init_params(X, 20)
    with pytest.raises(ValueError, match="X must be 2-D"):
        gmm.init_params(X[:, 0], 2)
