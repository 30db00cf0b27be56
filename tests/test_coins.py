"""Tests for emlib.coins: the two-coin EM of Do & Batzoglou (Nature Biotechnology, 2008)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom

from emlib import coins

# Figure 1 of Do & Batzoglou: five sets of ten tosses.
PAPER_HEADS = np.array([5, 9, 8, 4, 7])
PAPER_N = 10
PAPER_START = (0.6, 0.5)


def reference_resp(heads, n_tosses, theta):
    """Responsibilities straight from Bayes' rule with scipy's binomial pmf (prior ½ each)."""
    joint = np.column_stack([0.5 * binom.pmf(heads, n_tosses, theta[0]),
                             0.5 * binom.pmf(heads, n_tosses, theta[1])])
    return joint / joint.sum(axis=1, keepdims=True)


def reference_log_likelihood(heads, n_tosses, theta):
    p = 0.5 * binom.pmf(heads, n_tosses, theta[0]) + 0.5 * binom.pmf(heads, n_tosses, theta[1])
    return float(np.log(p).sum())


@st.composite
def coin_data(draw, max_sets=12, max_tosses=40):
    """Random head counts (one n for all sets, or one per set) and a start inside (0, 1)."""
    n_sets = draw(st.integers(1, max_sets))
    if draw(st.booleans()):
        n_tosses = draw(st.integers(1, max_tosses))
        counts = [n_tosses] * n_sets
    else:
        counts = draw(st.lists(st.integers(1, max_tosses), min_size=n_sets, max_size=n_sets))
        n_tosses = np.array(counts)
    heads = np.array([draw(st.integers(0, n)) for n in counts])
    probability = st.floats(0.02, 0.98)
    theta = (draw(probability), draw(probability))
    return heads, n_tosses, theta


# --------------------------------------------------------------------------------------------
# The paper's numbers
# --------------------------------------------------------------------------------------------
def test_paper_first_e_step_matches_figure():
    # Figure 1b of the paper: P(coin A) for the five sets is ≈ 0.45, 0.80, 0.73, 0.35, 0.65.
    resp = coins.e_step(PAPER_HEADS, PAPER_N, PAPER_START)
    np.testing.assert_allclose(resp[:, 0], [0.45, 0.80, 0.73, 0.35, 0.65], atol=0.005)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, atol=1e-12)


def test_paper_one_iteration():
    result = coins.fit(PAPER_HEADS, PAPER_N, PAPER_START, max_iter=1)
    assert result.n_iter == 1
    np.testing.assert_allclose(result.theta, [0.71, 0.58], atol=0.005)


def test_paper_ten_iterations():
    result = coins.fit(PAPER_HEADS, PAPER_N, PAPER_START)          # default max_iter=10
    assert result.n_iter == 10 and not result.converged
    assert result.thetas.shape == (11, 2)
    assert result.log_likelihoods.shape == (11,)
    np.testing.assert_array_equal(result.thetas[0], PAPER_START)
    np.testing.assert_allclose(result.theta, [0.80, 0.52], atol=0.005)
    np.testing.assert_array_equal(result.theta, result.thetas[-1])


def test_known_labels_are_counting():
    # Figure 1a: with the coins known (B, A, A, B, A), the MLE is 24/30 and 9/20. Hard
    # responsibilities turn the M-step into exactly that count.
    resp = np.array([[0, 1], [1, 0], [1, 0], [0, 1], [1, 0]], dtype=float)
    np.testing.assert_allclose(coins.m_step(PAPER_HEADS, PAPER_N, resp), [0.80, 0.45])


# --------------------------------------------------------------------------------------------
# E-step, M-step and likelihood against independent references
# --------------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(coin_data())
def test_e_step_matches_binomial_pmf(data):
    heads, n_tosses, theta = data
    np.testing.assert_allclose(coins.e_step(heads, n_tosses, theta),
                               reference_resp(heads, n_tosses, theta), rtol=1e-9, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(coin_data())
def test_log_likelihood_matches_binomial_pmf(data):
    heads, n_tosses, theta = data
    np.testing.assert_allclose(coins.log_likelihood(heads, n_tosses, theta),
                               reference_log_likelihood(heads, n_tosses, theta), rtol=1e-10)


def test_m_step_is_weighted_fraction():
    heads = np.array([3, 7, 0])
    n_tosses = np.array([4, 10, 2])
    resp = np.array([[0.25, 0.75], [0.5, 0.5], [1.0, 0.0]])
    theta_a = (0.25 * 3 + 0.5 * 7 + 1.0 * 0) / (0.25 * 4 + 0.5 * 10 + 1.0 * 2)
    theta_b = (0.75 * 3 + 0.5 * 7) / (0.75 * 4 + 0.5 * 10)
    np.testing.assert_allclose(coins.m_step(heads, n_tosses, resp), [theta_a, theta_b])


@settings(max_examples=100, deadline=None)
@given(coin_data())
def test_m_step_maximises_expected_complete_log_likelihood(data):
    heads, n_tosses, theta = data
    resp = coins.e_step(heads, n_tosses, theta)
    n = np.broadcast_to(n_tosses, heads.shape)

    def q(t):   # Q(θ) = Σ_s Σ_k γ_sk [h_s log θ_k + (n_s − h_s) log(1 − θ_k)]
        t = np.clip(t, 1e-300, 1 - 1e-16)
        return np.sum(resp * (heads[:, None] * np.log(t) + (n - heads)[:, None] * np.log1p(-t)))

    best = coins.m_step(heads, n_tosses, resp)
    for step in (1e-3, -1e-3, 0.05, -0.05):
        for k in range(2):
            moved = best.copy()
            moved[k] = np.clip(moved[k] + step, 0.0, 1.0)
            assert q(moved) <= q(best) + 1e-9 * max(1.0, abs(q(best)))


def test_fit_history_is_alternating_e_and_m_steps():
    heads = np.array([2, 9, 5, 10, 1, 6])
    result = coins.fit(heads, 10, (0.3, 0.8), max_iter=5)
    for t in range(result.n_iter):
        resp = coins.e_step(heads, 10, result.thetas[t])
        np.testing.assert_allclose(result.thetas[t + 1], coins.m_step(heads, 10, resp), rtol=1e-12)
        np.testing.assert_allclose(result.log_likelihoods[t],
                                   reference_log_likelihood(heads, 10, result.thetas[t]),
                                   rtol=1e-12)
    np.testing.assert_allclose(result.resp, coins.e_step(heads, 10, result.theta), rtol=1e-12)


# --------------------------------------------------------------------------------------------
# EM's guarantees
# --------------------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(coin_data())
def test_log_likelihood_never_decreases(data):
    heads, n_tosses, theta = data
    result = coins.fit(heads, n_tosses, theta, max_iter=25)
    lls = result.log_likelihoods
    assert np.all(np.isfinite(lls)) and np.all(np.isfinite(result.thetas))
    assert np.all(np.diff(lls) >= -1e-9 * np.maximum(1.0, np.abs(lls[:-1])))
    # ... and the recorded values are the true likelihoods of the recorded thetas.
    for t in (0, result.n_iter):
        np.testing.assert_allclose(lls[t], reference_log_likelihood(heads, n_tosses,
                                                                    result.thetas[t]), rtol=1e-9)


def test_converged_estimate_is_a_fixed_point_and_a_stationary_point():
    result = coins.fit(PAPER_HEADS, PAPER_N, PAPER_START, max_iter=500, tol=1e-13)
    assert result.converged and result.n_iter < 500
    theta = result.theta
    # Fixed point of the EM map θ ↦ M(E(θ)) ...
    again = coins.m_step(PAPER_HEADS, PAPER_N, coins.e_step(PAPER_HEADS, PAPER_N, theta))
    np.testing.assert_allclose(again, theta, atol=1e-6)
    # ... and therefore a stationary point of the observed log-likelihood (central differences
    # of scipy's binomial likelihood, independent of emlib).
    eps = 1e-6
    for k in range(2):
        up, down = theta.copy(), theta.copy()
        up[k] += eps
        down[k] -= eps
        gradient = (reference_log_likelihood(PAPER_HEADS, PAPER_N, up)
                    - reference_log_likelihood(PAPER_HEADS, PAPER_N, down)) / (2 * eps)
        assert abs(gradient) < 1e-3
    # It is the maximum the paper reports, and the mirror image has the same likelihood.
    np.testing.assert_allclose(theta, [0.7968, 0.5196], atol=1e-3)
    assert coins.log_likelihood(PAPER_HEADS, PAPER_N, theta[::-1]) == pytest.approx(
        result.log_likelihoods[-1], rel=1e-12)


def test_equal_start_stays_at_pooled_fraction():
    # θ_A = θ_B makes every set ½/½, so both coins move to Σh/Σn and stay there.
    result = coins.fit(PAPER_HEADS, PAPER_N, (0.5, 0.5), max_iter=4)
    pooled = PAPER_HEADS.sum() / (PAPER_N * PAPER_HEADS.size)
    np.testing.assert_allclose(coins.e_step(PAPER_HEADS, PAPER_N, (0.5, 0.5)), 0.5)
    np.testing.assert_allclose(result.thetas[1:], pooled, rtol=1e-12)


def test_tol_stops_early_and_zero_tol_runs_all_iterations():
    early = coins.fit(PAPER_HEADS, PAPER_N, PAPER_START, max_iter=200, tol=1e-3)
    assert early.converged and early.n_iter < 200
    assert abs(early.log_likelihoods[-1] - early.log_likelihoods[-2]) < 1e-3 * PAPER_HEADS.size
    assert abs(early.log_likelihoods[-2] - early.log_likelihoods[-3]) >= 1e-3 * PAPER_HEADS.size
    assert coins.fit(PAPER_HEADS, PAPER_N, PAPER_START, max_iter=37).n_iter == 37
    zero = coins.fit(PAPER_HEADS, PAPER_N, PAPER_START, max_iter=0)
    assert zero.n_iter == 0 and zero.thetas.shape == (1, 2)


# --------------------------------------------------------------------------------------------
# Numerical robustness: never NaN, no warnings
# --------------------------------------------------------------------------------------------
def test_long_sets_do_not_underflow():
    # θ^h underflows to 0 for h ~ 10⁵; log space keeps the responsibilities exact.
    heads = np.array([30_000, 70_000, 50_001])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resp = coins.e_step(heads, 100_000, (0.3, 0.7))
        result = coins.fit(heads, 100_000, (0.4, 0.6), max_iter=10)
    np.testing.assert_allclose(resp[0], [1.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(resp[1], [0.0, 1.0], atol=1e-300)
    # Set 2 has two more heads than tails, so its odds for B are (0.7/0.3)² : 1 exactly.
    log_odds = 50_001 * np.log(0.7 / 0.3) + 49_999 * np.log(0.3 / 0.7)
    assert log_odds == pytest.approx(2 * np.log(7 / 3))
    np.testing.assert_allclose(resp[2, 1], 1 / (1 + np.exp(-log_odds)), rtol=1e-9)
    assert np.all(np.isfinite(result.thetas)) and np.all(np.isfinite(result.log_likelihoods))


def test_boundary_estimates_stay_finite():
    # All heads: the MLE puts a coin at exactly 1, and the next E-step must cope (0·log 0 = 0).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = coins.fit([10, 10, 10], 10, (0.6, 0.5), max_iter=3)
        extreme = coins.fit([0, 10, 5], 10, (0.2, 0.8), max_iter=5)
    np.testing.assert_allclose(result.thetas[1:], 1.0)
    np.testing.assert_allclose(result.log_likelihoods[1:], 0.0, atol=1e-12)
    assert np.all(np.isfinite(extreme.thetas)) and np.all(np.isfinite(extreme.log_likelihoods))
    assert np.all(np.diff(extreme.log_likelihoods) >= -1e-12)


def test_unused_coin_gets_pooled_fraction():
    resp = np.array([[1.0, 0.0], [1.0, 0.0]])
    theta = coins.m_step([3, 5], 10, resp)
    np.testing.assert_allclose(theta, [0.4, 0.4])


def test_e_step_with_a_coin_at_the_boundary():
    resp = coins.e_step([10, 3], 10, (1.0, 0.5))
    np.testing.assert_allclose(resp[1], [0.0, 1.0])
    assert resp[0, 0] == pytest.approx(1 / (1 + 0.5**10))
    assert coins.log_likelihood([3], 10, (1.0, 1.0)) == -np.inf


# --------------------------------------------------------------------------------------------
# Bad input: every public function names the argument at fault
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("heads, n_tosses, error, match", [
    ([5, 11], 10, ValueError, "heads"),                 # more heads than tosses
    ([5, -1], 10, ValueError, "heads"),                 # negative count
    ([5, 2.5], 10, ValueError, "heads"),                # not a whole number
    ([[5, 2]], 10, ValueError, "heads"),                # 2-D
    ([], 10, ValueError, "heads"),                      # no sets
    ("55", 10, TypeError, "heads"),
    ([True, False], 10, TypeError, "heads"),
    ([5, np.nan], 10, ValueError, "heads"),
    ([5, 2], 0, ValueError, "n_tosses"),
    ([5, 2], 10.0, ValueError, "n_tosses"),             # a float is taken as a per-set array
    ([5, 2], [10, 10, 10], ValueError, "n_tosses"),     # wrong length
    ([5, 2], [10, 0], ValueError, "n_tosses"),
    ([5, 2], [10, 2.5], ValueError, "n_tosses"),
])
def test_bad_counts_are_named_by_every_function(heads, n_tosses, error, match):
    with pytest.raises(error, match=match):
        coins.e_step(heads, n_tosses, (0.6, 0.5))
    with pytest.raises(error, match=match):
        coins.log_likelihood(heads, n_tosses, (0.6, 0.5))
    with pytest.raises(error, match=match):
        coins.m_step(heads, n_tosses, np.full((2, 2), 0.5))
    with pytest.raises(error, match=match):
        coins.fit(heads, n_tosses, (0.6, 0.5))


@pytest.mark.parametrize("theta, error", [
    ((0.6, 1.2), ValueError),
    ((-0.1, 0.5), ValueError),
    ((0.6,), ValueError),
    ((0.6, 0.5, 0.4), ValueError),
    ((0.6, np.inf), ValueError),
    (None, TypeError),
])
def test_e_step_and_log_likelihood_reject_bad_theta(theta, error):
    with pytest.raises(error, match="theta"):
        coins.e_step(PAPER_HEADS, PAPER_N, theta)
    with pytest.raises(error, match="theta"):
        coins.log_likelihood(PAPER_HEADS, PAPER_N, theta)


def test_e_step_rejects_theta_that_makes_a_set_impossible():
    with pytest.raises(ValueError, match="theta"):
        coins.e_step([3, 10], 10, (1.0, 1.0))


@pytest.mark.parametrize("theta_init", [(0.0, 0.5), (0.6, 1.0), (1.5, 0.5), (0.5,)])
def test_fit_rejects_start_outside_open_interval(theta_init):
    with pytest.raises(ValueError, match="theta_init"):
        coins.fit(PAPER_HEADS, PAPER_N, theta_init)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"max_iter": -1}, ValueError, "max_iter"),
    ({"max_iter": 2.5}, TypeError, "max_iter"),
    ({"tol": -1e-3}, ValueError, "tol"),
    ({"tol": "small"}, TypeError, "tol"),
])
def test_fit_rejects_bad_settings(kwargs, error, match):
    with pytest.raises(error, match=match):
        coins.fit(PAPER_HEADS, PAPER_N, PAPER_START, **kwargs)


@pytest.mark.parametrize("resp", [
    np.full((4, 2), 0.5),                            # wrong number of sets
    np.full((5, 3), 1 / 3),                          # three coins
    np.full(5, 0.5),                                 # 1-D
    np.tile([0.7, 0.7], (5, 1)),                     # rows do not sum to 1
    np.tile([1.5, -0.5], (5, 1)),                    # negative
])
def test_m_step_rejects_bad_resp(resp):
    with pytest.raises(ValueError, match="resp"):
        coins.m_step(PAPER_HEADS, PAPER_N, resp)
