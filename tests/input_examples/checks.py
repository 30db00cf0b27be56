"""Input-contract rows for emlib.checks (the lecture claims' reference checks): K = 2
components in one dimension, four points, a 2 × 3 corpus, a three-point grid.

The check_* functions answer a disagreement with an AssertionError (``asserts=True``); a bad
dtype must still be a TypeError/ValueError naming the argument. Where a check passes an
argument unchanged to a reference function of this module (X and params to
mixture_log_joint_reference, counts/alpha to dirichlet_map_reference, …), it is attacked
there only (the property's time budget)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from emlib import bounds, coins, gmm, missing
from emlib.checks import (coins_log_likelihood_reference, dirichlet_map_reference,
                          hard_assignment_reference, mixture_log_joint_reference)
from input_contract import Example

X = [[0.1], [2.9], [3.2], [-0.3]]
HEADS, N_TOSSES = [5, 9, 8, 4, 7], 10
COUNTS = [[3.0, 0.0, 1.0], [0.0, 4.0, 2.0]]
DOC_TOPIC = [[0.7, 0.3], [0.2, 0.8]]
TOPIC_WORD = [[0.6, 0.1, 0.3], [0.1, 0.6, 0.3]]
GRID = [0.1, 0.2, 0.3]


def _params():
    return gmm.GaussianMixtureParams([0.5, 0.5], [[0.0], [3.0]], [[[1.0]], [[1.0]]])


def _resp():
    return gmm.e_step(np.array(X), _params())[0]


def _decomposition():
    return bounds.decomposition(np.array(X), _params(), _resp())


def _estimates():
    """A hand-made MechanismEstimates: method 1 biased, method 3 unbiased (mean and std)."""
    return missing.MechanismEstimates(
        methods=("complete data", "complete cases", "mean imputation", "EM"),
        mean=np.array([0.0, 1.0, 0.5, 0.01]), std=np.array([1.0, 0.5, 0.6, 1.0]),
        correlation=np.array([0.5, 0.5, 0.3, 0.5]), mean_se=np.full(4, 0.05),
        std_se=np.full(4, 0.05), correlation_se=np.full(4, 0.05),
        truth=np.array([0.0, 1.0, 0.5]), sampling_se=np.array([0.1, 0.1, 0.1]),
        mechanism="MAR", fraction=0.4)


def _latent():
    """PPCA's posterior of z (M = 1) for two points in D = 2, by the M × M route."""
    X2, mean = np.array([[1.0, 0.5], [-0.2, 0.3]]), np.array([0.1, 0.0])
    W, psi = np.array([[1.0], [0.5]]), np.array([0.3, 0.3])
    M = W.T @ np.diag(1 / psi) @ W + np.eye(1)
    cov = np.linalg.inv(M)
    means = (X2 - mean) @ np.diag(1 / psi) @ W @ cov
    return dict(X=X2, mean=mean, loadings=W, noise_variance=psi, latent_means=means,
                latent_covariance=cov, rtol=1e-8)


def _runs():
    plain = SimpleNamespace(objectives=np.array([-3.0, -2.0, -1.0]), n_iter=10)
    fast = SimpleNamespace(objectives=np.array([-3.0, -1.0]), n_em_steps=4)
    return plain, fast


def _grid_terms():
    grid = np.array(GRID)
    return dict(log_prior=1.0 * grid, log_likelihood=2.0 * grid)


def _hard():
    return hard_assignment_reference(np.array(COUNTS), np.array(DOC_TOPIC), np.array(TOPIC_WORD))


# Time budget (each attacked argument costs 9 dtype cases or 4, and 10 property calls): of
# several arguments a function reads through the same helper line (as_real_array for the
# answers, _tolerance for tolerances, check_text for labels, _topic_model, coins' own
# _check_counts/_check_theta, attacked in the coins rows), only one or two are attacked.
EXAMPLES = {
    # ---- notebook 06 ---------------------------------------------------------------------------
    "checks.check_close": Example(
        lambda: dict(actual=[1.0, 2.0], expected=[1.0, 2.0 + 1e-9], what="x", rtol=1e-7, atol=0.0),
        {"actual": "array", "what": "label", "atol": "real"},
        asserts=True),
    "checks.check_monotone": Example(
        lambda: dict(objectives=[-3.0, -2.0, -1.5], what="F", rtol=1e-12),
        {"objectives": "log_array", "rtol": "real"}, asserts=True),
    "checks.check_lower": Example(
        lambda: dict(value=-2.0, bound=-1.0, what="wrong", margin=0.1),
        {"value": "real", "margin": "real"}, asserts=True),
    "checks.check_conditional_moments": Example(
        lambda: dict(X=np.array([[1.0, np.nan], [0.5, 0.2]]), mean=np.array([0.0, 0.0]),
                     covariance=np.array([[1.0, 0.5], [0.5, 1.0]]),
                     expected_x=np.array([[1.0, 0.5], [0.5, 0.2]]),
                     conditional_covariances=np.array([[[0.0, 0.0], [0.0, 0.75]], np.zeros((2, 2))]),
                     rtol=1e-10),
        {"X": "array", "covariance": "array", "expected_x": "array"}, asserts=True),
    "checks.check_same_gaussian": Example(
        lambda: dict(mean_a=[0.0, 1.0], covariance_a=[[1.0, 0.2], [0.2, 2.0]], mean_b=[0.0, 1.0],
                     covariance_b=[[1.0, 0.2], [0.2, 2.0]], what="g", rtol=1e-6),
        {"mean_a": "array", "covariance_b": "array"}, asserts=True),
    "checks.check_biased": Example(
        lambda: dict(estimates=_estimates(), method="complete cases", quantity="mean",
                     min_sampling_se=1.0, min_mc_se=5.0),
        {"estimates": "object", "method": "choice", "min_mc_se": "real"}, asserts=True),
    "checks.check_unbiased": Example(
        lambda: dict(estimates=_estimates(), method="EM", quantity="mean", max_mc_se=3.0,
                     max_sampling_se=0.2),
        {"estimates": "object", "method": "choice", "max_sampling_se": "real"}, asserts=True),
    "checks.check_latent_posterior": Example(
        _latent, {"loadings": "array", "noise_variance": "array",
                  "latent_means": "array"},
        asserts=True),
    "checks.check_eigenvalues_include": Example(
        lambda: dict(jacobian=[[0.5, 0.0], [0.0, 0.2]], expected=[0.5], atol=1e-6),
        {"jacobian": "array", "expected": "array"}, asserts=True),
    "checks.check_rates": Example(
        lambda: dict(observed=[0.2, 0.4, 0.6], largest_eigenvalues=[0.21, 0.41, 0.6], atol=0.02),
        {"observed": "array", "atol": "real"}, asserts=True),
    "checks.check_acceleration": Example(
        lambda: dict(plain=_runs()[0], accelerated=_runs()[1], plain_vector=[0.5, 0.25],
                     accelerated_vector=[0.5, 0.25], atol=1e-6, max_cost_ratio=0.5),
        {"plain": "object", "accelerated_vector": "array", "max_cost_ratio": "real"}, asserts=True),
    # ---- notebooks 00–05: enumeration over z -------------------------------------------------
    # Time budget: where a check costs a reference evaluation per call (scipy densities, BFGS,
    # finite differences), only the arguments it reads itself are attacked, and of several
    # answers or tolerances read by the same helper (_answer, _tolerance) only one: elbo, kl,
    # rtol and atol of check_elbo_terms go through the same lines as log_likelihood and the
    # other checks' atol. X of q_maximiser_reference goes through _data and check_squares_fit
    # as in mixture_log_joint_reference.
    "checks.mixture_log_joint_reference": Example(
        lambda: dict(X=X, params=_params()), {"X": "array", "params": "object"}),
    # X and params reach mixture_log_joint_reference unchanged (attacked there).
    "checks.mixture_posterior_reference": Example(lambda: dict(X=X, params=_params()), {}),
    "checks.mixture_log_likelihood_reference": Example(lambda: dict(X=X, params=_params()), {}),
    "checks.check_exact_e_step": Example(
        lambda: dict(q=_resp(), X=X, params=_params(), atol=1e-10),
        {"q": "array"}, asserts=True),
    "checks.check_elbo_terms": Example(
        lambda: dict(X=X, params=_params(), q=np.full((4, 2), 0.5),
                     log_likelihood=_decomposition_of_half().log_likelihood,
                     elbo=_decomposition_of_half().elbo, kl=_decomposition_of_half().kl,
                     rtol=1e-8, atol=1e-8),
        {"q": "array"}, asserts=True),      # the given terms: _answer, as in check_lower
    "checks.check_m_step_gain": Example(
        lambda: dict(X=X, params_old=_params(), params_new=gmm.m_step(np.array(X), _resp()),
                     q=_resp(), atol=1e-9),
        {"params_new": "object"}, asserts=True),
    # ---- scipy.optimize maximisers (BFGS runs on each case: few attacks) -------------------
    "checks.q_maximiser_reference": Example(lambda: dict(X=X, resp=_resp()), {"resp": "array"}),
    "checks.check_maximises_q": Example(
        lambda: dict(X=X, resp=_resp(), params=gmm.m_step(np.array(X), _resp(), reg_covar=0.0),
                     atol=1e-3),
        {"params": "object"}, asserts=True),
    "checks.dirichlet_map_reference": Example(
        lambda: dict(counts=[[3.0, 1.0]], alpha=1.5), {"counts": "array", "alpha": "real"}),
    "checks.check_dirichlet_map": Example(
        lambda: dict(probs=[[3.5 / 5.0, 1.5 / 5.0]], counts=[[3.0, 1.0]], alpha=1.5, atol=1e-6),
        {"probs": "array"}, asserts=True),
    # ---- hard EM ---------------------------------------------------------------------------------
    "checks.hard_assignment_reference": Example(
        lambda: dict(counts=COUNTS, doc_topic=DOC_TOPIC, topic_word=TOPIC_WORD),
        {"counts": "counts", "doc_topic": "array"}),
    "checks.check_hard_e_step": Example(
        lambda: dict(doc_topic_counts=_hard()[0], topic_word_counts=_hard()[1],
                     complete=_hard()[2], counts=COUNTS, doc_topic=DOC_TOPIC,
                     topic_word=TOPIC_WORD, atol=1e-9),
        {"doc_topic_counts": "array", "complete": "real"}, asserts=True),
    # ---- stationarity --------------------------------------------------------------------------
    "checks.numerical_gradient": Example(
        lambda: dict(function=np.sum, x=[1.0, 2.0], h=1e-6),
        {"function": "callable", "x": "array", "h": "real"}),
    "checks.simplex_kkt_residual": Example(
        lambda: dict(probs=[0.2, 0.8], gradient=[1.0, 3.0]),
        {"probs": "array", "gradient": "array"}),
    "checks.gmm_stationarity_residual": Example(
        lambda: dict(X=X, params=_params(), h=1e-5), {"h": "real"}),
    "checks.check_gmm_stationary": Example(
        lambda: dict(X=X, params=_params(), atol=10.0), {}, asserts=True),
    "checks.coins_log_likelihood_reference": Example(
        lambda: dict(heads=HEADS, n_tosses=N_TOSSES, theta=[0.6, 0.5]),
        {"heads": "counts", "theta": "array"}),
    "checks.check_coins_stationary": Example(
        lambda: dict(heads=HEADS, n_tosses=N_TOSSES, theta=[0.66, 0.66], atol=10.0),
        {"theta": "array"}, asserts=True),
    "checks.topic_model_stationarity_residual": Example(
        lambda: dict(counts=COUNTS, doc_topic=DOC_TOPIC, topic_word=TOPIC_WORD),
        {"counts": "counts"}),
    "checks.check_topic_model_stationary": Example(
        lambda: dict(counts=COUNTS, doc_topic=DOC_TOPIC, topic_word=TOPIC_WORD, atol=10.0),
        {}, asserts=True),
    # ---- conjugacy -------------------------------------------------------------------------------
    "checks.grid_posterior": Example(
        lambda: dict(grid=GRID, **_grid_terms()),
        {"grid": "array", "log_prior": "log_array"}),
    "checks.check_conjugate_posterior": Example(
        lambda: dict(grid=GRID, tau=3.0, nu=0.0, log_partition=[0.0, 0.0, 0.0], **_grid_terms(),
                     atol=1e-6),
        {"tau": "real", "log_partition": "log_array"},
        asserts=True),
}


def _decomposition_of_half():
    return bounds.decomposition(np.array(X), _params(), np.full((4, 2), 0.5))
