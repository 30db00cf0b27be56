"""Every check a lecture notebook asserts can fail: each is applied here to the plausible wrong
implementation and must raise, and to the right one and must pass.

The checks live once, in ``emlib.checks``; notebooks 00–05 call the same functions in their
assert cells. Each test names the notebook section whose claim it guards. References are
independent of the code under test (scipy.stats densities and enumeration over z, scipy.optimize,
finite differences, a grid posterior).
"""

import numpy as np
import pytest
from scipy import stats
from scipy.special import softmax

from emlib import checks, coins, gmm, topics
from emlib.datasets import old_faithful
from emlib.gmm import GaussianMixtureParams


# --------------------------------------------------------------------------------------------
# Shared data: notebook 02's 1-D mixture, Old Faithful, a small bars corpus
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mixture_1d():
    truth = GaussianMixtureParams([0.3, 0.7], [[-2.0], [1.5]], [[[0.5]], [[1.0]]])
    X, _ = gmm.sample(truth, 60, random_state=2)
    start = GaussianMixtureParams([0.5, 0.5], [[0.0], [0.5]], [[[3.0]], [[3.0]]])
    resp, _ = gmm.e_step(X, start)
    return X, start, resp


@pytest.fixture(scope="module")
def faithful():
    X = old_faithful(standardized=True)
    start = GaussianMixtureParams([0.5, 0.5], [[-0.2, -0.2], [0.2, 0.2]], [np.eye(2), np.eye(2)])
    resp, _ = gmm.e_step(X, start)
    return X, start, resp


def ml_m_step(X, resp):
    """The textbook M-step, written out (weighted fraction, mean, covariance)."""
    nk = resp.sum(axis=0)
    means = resp.T @ X / nk[:, None]
    covs = np.array([(resp[:, k] * (X - means[k]).T) @ (X - means[k]) / nk[k] for k in range(len(nk))])
    return nk / len(X), means, covs


def map_weights(nk, alpha):
    """The Dirichlet(α) mode: (N_k + α_k − 1) / (N + Σα − K)."""
    return (nk + alpha - 1) / (nk.sum() + alpha.sum() - len(alpha))


# --------------------------------------------------------------------------------------------
# MAP-EM for mixture weights (02 §7, 05 §8)
# --------------------------------------------------------------------------------------------
ALPHA = np.array([5.0, 5.0])


def _map_em(X, start, weights_update, n_iter=15):
    theta, log_posterior = start, []
    for _ in range(n_iter):
        resp, log_p = gmm.e_step(X, theta)
        log_posterior.append(log_p + stats.dirichlet.logpdf(theta.weights, ALPHA))
        _, means, covs = ml_m_step(X, resp)
        theta = GaussianMixtureParams(weights_update(resp.sum(axis=0)), means, covs)
    return log_posterior


WRONG_WEIGHTS = {
    "prior forgotten": lambda nk: nk / nk.sum(),
    # For a Dirichlet the posterior mean and "α as pseudo-counts" are the same formula.
    "posterior mean = alpha (not alpha - 1) as pseudo-counts": lambda nk: (nk + ALPHA) / (nk.sum() + ALPHA.sum()),
    "alpha - 1 added but not normalised by K": lambda nk: (nk + ALPHA - 1) / (nk.sum() + ALPHA.sum()),
}


def test_02_map_weights_right_version_passes(mixture_1d):
    X, _, resp = mixture_1d
    weights = map_weights(resp.sum(axis=0), ALPHA)
    checks.check_dirichlet_map(weights, resp.sum(axis=0), ALPHA)
    _, means, covs = ml_m_step(X, resp)
    checks.check_maximises_q(X, resp, (weights, means, covs), weights_alpha=ALPHA)


@pytest.mark.parametrize("wrong", WRONG_WEIGHTS)
def test_02_map_weights_check_fails_on_wrong_version(mixture_1d, wrong):
    X, start, resp = mixture_1d
    weights = WRONG_WEIGHTS[wrong](resp.sum(axis=0))
    _, means, covs = ml_m_step(X, resp)
    with pytest.raises(AssertionError, match="maximiser"):
        checks.check_maximises_q(X, resp, (weights, means, covs), weights_alpha=ALPHA)
    with pytest.raises(AssertionError, match="maximiser"):
        checks.check_dirichlet_map(weights, resp.sum(axis=0), ALPHA)


@pytest.mark.parametrize("wrong", ["prior forgotten", "posterior mean = alpha (not alpha - 1) as pseudo-counts"])
def test_02_monotone_log_posterior_alone_cannot_tell(mixture_1d, wrong):
    """Why the maximiser check is needed: these wrong M-steps still raise the log-posterior."""
    X, start, _ = mixture_1d
    checks.check_monotone(_map_em(X, start, WRONG_WEIGHTS[wrong]))
    checks.check_monotone(_map_em(X, start, lambda nk: map_weights(nk, ALPHA)))


def test_never_decreases_fails_on_a_dip():
    with pytest.raises(AssertionError, match="fell by 0.5 from t = 1 to t = 2"):
        checks.check_monotone([1.0, 2.0, 1.5])


# --------------------------------------------------------------------------------------------
# MAP-EM for the topic model (04 §3): one M-step of emlib.topics against scipy.optimize
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_corpus():
    theta_true = np.array([[0.40, 0.30, 0.25, 0.00, 0.05, 0.00],
                           [0.00, 0.05, 0.05, 0.30, 0.30, 0.30]])
    pi_true = np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]])
    counts = topics.sample_corpus(pi_true, theta_true, doc_lengths=12, random_state=0).toarray()
    rng = np.random.default_rng(1)
    pi0, theta0 = rng.dirichlet(np.ones(2), size=3), rng.dirichlet(np.ones(6), size=2)
    joint = pi0[:, None, :] * theta0.T[None, :, :]
    expected = counts[:, :, None] * joint / joint.sum(axis=2, keepdims=True)   # n_dv γ_dvk
    return counts, pi0, theta0, expected.sum(axis=1), expected.sum(axis=0).T


def test_04_map_m_step_right_version_passes(tiny_corpus):
    counts, pi0, theta0, doc_counts, word_counts = tiny_corpus
    ratio, _ = topics.e_step(counts, pi0, theta0)
    pi1, theta1 = topics.m_step(ratio, pi0, theta0, alpha=1.5, beta=1.2)
    checks.check_dirichlet_map(pi1, doc_counts, 1.5)
    checks.check_dirichlet_map(theta1, word_counts, 1.2)


@pytest.mark.parametrize("wrong", ["prior forgotten", "posterior mean (alpha as pseudo-counts)"])
def test_04_map_m_step_check_fails_on_wrong_version(tiny_corpus, wrong):
    counts, pi0, theta0, doc_counts, word_counts = tiny_corpus
    add = {"prior forgotten": 0.0, "posterior mean (alpha as pseudo-counts)": 1.0}[wrong]
    pi1 = (doc_counts + (1.5 - 1) + add) / (doc_counts + (1.5 - 1) + add).sum(axis=1, keepdims=True)
    if wrong == "prior forgotten":
        pi1 = doc_counts / doc_counts.sum(axis=1, keepdims=True)
    with pytest.raises(AssertionError):
        checks.check_dirichlet_map(pi1, doc_counts, 1.5)


def test_dirichlet_map_reference_refuses_alpha_below_one():
    with pytest.raises(ValueError, match="alpha must be > 1"):
        checks.dirichlet_map_reference([[3.0, 1.0]], 0.5)


# --------------------------------------------------------------------------------------------
# MAP-EM with a conjugate prior on (μ_k, Σ_k) (05 §8) and an inverse-Wishart prior (03 §8)
# --------------------------------------------------------------------------------------------
NU0, M0, S0, A = 1.0, np.zeros(2), 0.5, np.array([2.0, 2.0])


def pseudo_point_log_prior(mean, cov):
    """ν₀ imaginary points with mean m₀ and covariance s₀² I: ν₀ E[log N(x | μ, Σ)]."""
    return NU0 * (stats.multivariate_normal(mean, cov).logpdf(M0) - 0.5 * S0**2 * np.trace(np.linalg.inv(cov)))


def conjugate_map(X, resp, denominator_shift=0.0, prior=True):
    nk, sums = resp.sum(axis=0), resp.T @ X
    outer = np.einsum("nk,ni,nj->kij", resp, X, X)
    nu0 = NU0 if prior else 0.0
    n_eff = nk + nu0
    means = (sums + nu0 * M0) / n_eff[:, None]
    second = (outer + nu0 * (S0**2 * np.eye(2) + np.outer(M0, M0))) / n_eff[:, None, None]
    covs = (second - means[:, :, None] * means[:, None, :]) * (n_eff / (n_eff + denominator_shift))[:, None, None]
    weights = map_weights(nk, A) if prior else nk / nk.sum()
    return weights, means, covs


def test_05_conjugate_map_right_version_passes(faithful):
    X, _, resp = faithful
    checks.check_maximises_q(X, resp, conjugate_map(X, resp), weights_alpha=A,
                              log_prior_component=pseudo_point_log_prior)


@pytest.mark.parametrize("wrong", ["prior forgotten", "posterior mean of Sigma (NIW)"])
def test_05_conjugate_map_check_fails_on_wrong_version(faithful, wrong):
    X, _, resp = faithful
    # The prior as a Normal-inverse-Wishart density on (μ, Σ) has ν = ν₀ − D − 2 degrees of
    # freedom; its posterior *mean* of Σ divides by N_k + ν₀ − 2D − 3 instead of N_k + ν₀.
    params = (conjugate_map(X, resp, prior=False) if wrong == "prior forgotten"
              else conjugate_map(X, resp, denominator_shift=-(2 * 2 + 3)))
    with pytest.raises(AssertionError, match="maximiser"):
        checks.check_maximises_q(X, resp, params, weights_alpha=A,
                                  log_prior_component=pseudo_point_log_prior)


PSI, NU = 0.07 * np.eye(2), 4.0


def inverse_wishart_log_prior(mean, cov):
    return stats.invwishart.logpdf(cov, df=NU, scale=PSI)


def iw_m_step(X, resp, shift=0.0, reg_covar=None):
    weights, means, covs = ml_m_step(X, resp)
    nk = resp.sum(axis=0)
    if reg_covar is not None:
        return weights, means, covs + reg_covar * np.eye(2)
    scatter = covs * nk[:, None, None]
    return weights, means, (scatter + PSI) / (nk + NU + 2 + 1 + shift)[:, None, None]


def test_03_inverse_wishart_map_right_version_passes(faithful):
    X, _, resp = faithful
    checks.check_maximises_q(X, resp, iw_m_step(X, resp), log_prior_component=inverse_wishart_log_prior)


@pytest.mark.parametrize("wrong", ["reg_covar: Sigma + r I", "posterior mean", "prior forgotten"])
def test_03_inverse_wishart_map_check_fails_on_wrong_version(faithful, wrong):
    X, _, resp = faithful
    params = {"reg_covar: Sigma + r I": iw_m_step(X, resp, reg_covar=0.01),
              # the inverse-Wishart mean divides by N_k + ν − D − 1, the mode by N_k + ν + D + 1
              "posterior mean": iw_m_step(X, resp, shift=-2 * 2 - 2),
              "prior forgotten": ml_m_step(X, resp)}[wrong]
    with pytest.raises(AssertionError, match="maximiser"):
        checks.check_maximises_q(X, resp, params, log_prior_component=inverse_wishart_log_prior)


# --------------------------------------------------------------------------------------------
# Hard EM (04 §2)
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bars():
    side = 5
    images = np.zeros((2 * side, side, side))
    for i in range(side):
        images[i, i, :] = 1.0
        images[side + i, :, i] = 1.0
    theta = images.reshape(2 * side, side * side) / side
    rng = np.random.default_rng(42)
    pi = rng.dirichlet(np.full(2 * side, 0.5), size=60)
    counts = topics.sample_corpus(pi, theta, doc_lengths=50, random_state=rng)
    start = topics.init_params(counts, 2 * side, random_state=0)
    return counts, start


def second_best_hard_e_step(counts, doc_topic, topic_word):
    dense = counts.toarray()
    joint = doc_topic[:, None, :] * topic_word.T[None, :, :]
    choice = np.argsort(joint, axis=2)[:, :, -2]                       # the runner-up topic
    one_hot = np.eye(doc_topic.shape[1])[choice] * dense[:, :, None]
    chosen = np.take_along_axis(joint, choice[:, :, None], axis=2)[:, :, 0]
    observed = dense > 0
    return one_hot.sum(axis=1), one_hot.sum(axis=0).T, float(np.sum(dense[observed] * np.log(chosen[observed])))


def test_04_hard_e_step_right_version_passes(bars):
    counts, (doc_topic, topic_word) = bars
    checks.check_hard_e_step(*topics.hard_e_step(counts, doc_topic, topic_word), counts, doc_topic, topic_word)


def test_04_hard_e_step_check_fails_on_second_best_topic(bars):
    counts, (doc_topic, topic_word) = bars
    with pytest.raises(AssertionError, match="arg-max"):
        checks.check_hard_e_step(*second_best_hard_e_step(counts, doc_topic, topic_word),
                                  counts, doc_topic, topic_word)


def test_04_hard_em_objective_rises_and_stops_at_a_fixed_point(bars):
    counts, start = bars
    run = topics.fit(counts, 10, init=start, hard=True, max_iter=200, tol=0.0)
    assert run.objective_name == "complete_log_likelihood"
    checks.check_monotone(run.objectives)
    again = topics.fit(counts, 10, init=(run.doc_topic, run.topic_word), hard=True, max_iter=1, tol=0.0)
    np.testing.assert_array_equal(again.doc_topic, run.doc_topic)      # a fixed point


# --------------------------------------------------------------------------------------------
# Conjugacy (05 §8): τ → τ + Σφ, ν → ν + N against a grid posterior
# --------------------------------------------------------------------------------------------
FACES = np.arange(1, 7)
GRID = np.linspace(-2.0, 2.0, 2001)
LOG_PARTITION = np.log(np.exp(np.outer(GRID, FACES)).sum(axis=1))
TAU0, NU_PRIOR = 7.0, 2.0


@pytest.fixture(scope="module")
def rolls():
    return np.random.default_rng(5).choice(FACES, size=40, p=softmax(0.37 * FACES))


def _grid_terms(rolls):
    log_prior = GRID * TAU0 - NU_PRIOR * LOG_PARTITION
    per_roll = np.log(softmax(np.outer(GRID, FACES), axis=1))[:, rolls - 1]     # (G, N)
    return log_prior, per_roll.sum(axis=1)


def test_05_conjugate_update_right_version_passes(rolls):
    checks.check_conjugate_posterior(GRID, TAU0 + rolls.sum(), NU_PRIOR + len(rolls), LOG_PARTITION,
                                      *_grid_terms(rolls))


@pytest.mark.parametrize("wrong", ["nu not incremented", "tau + mean instead of sum", "nu + 1"])
def test_05_conjugate_update_check_fails_on_wrong_version(rolls, wrong):
    tau, nu = {"nu not incremented": (TAU0 + rolls.sum(), NU_PRIOR),
               "tau + mean instead of sum": (TAU0 + rolls.mean(), NU_PRIOR + len(rolls)),
               "nu + 1": (TAU0 + rolls.sum(), NU_PRIOR + 1)}[wrong]
    with pytest.raises(AssertionError, match="not prior × likelihood"):
        checks.check_conjugate_posterior(GRID, tau, nu, LOG_PARTITION, *_grid_terms(rolls))


# --------------------------------------------------------------------------------------------
# No closed form (00, 03, 04): EM's fixed point is stationary, a one-shot plug-in is not
# --------------------------------------------------------------------------------------------
HEADS, N_TOSSES = np.array([5, 9, 8, 4, 7]), 10


def test_00_coins_fixed_point_is_stationary_and_plug_ins_are_not():
    fixed_point = coins.fit(HEADS, N_TOSSES, (0.6, 0.5), max_iter=500, tol=0.0).thetas[-1]
    checks.check_coins_stationary(HEADS, N_TOSSES, fixed_point)
    one_shot = coins.m_step(HEADS, N_TOSSES, coins.e_step(HEADS, N_TOSSES, (0.6, 0.5)))
    hard_labels = np.array([HEADS[HEADS >= 7].mean(), HEADS[HEADS < 7].mean()]) / N_TOSSES
    for plug_in in (one_shot, hard_labels):
        with pytest.raises(AssertionError, match="not a stationary point"):
            checks.check_coins_stationary(HEADS, N_TOSSES, plug_in)


def test_03_gmm_fixed_point_is_stationary_and_the_labels_plug_in_is_not(faithful):
    X, start, _ = faithful
    fixed_point = gmm.fit(X, 2, init=start, max_iter=60, tol=0.0, reg_covar=0.0).params
    checks.check_gmm_stationary(X, fixed_point)
    labels = (old_faithful()[:, 0] > 3.0).astype(int)
    plug_in = gmm.m_step(X, np.eye(2)[labels], reg_covar=0.0)
    with pytest.raises(AssertionError, match="not a stationary point"):
        checks.check_gmm_stationary(X, plug_in)


def test_04_topic_model_fixed_point_is_stationary_and_one_step_is_not(bars):
    counts, start = bars
    fitted = topics.fit(counts, 10, init=start, max_iter=2000, tol=1e-10)
    one_shot = topics.m_step(topics.e_step(counts, *start)[0], *start)
    checks.check_topic_model_stationary(counts, fitted.doc_topic, fitted.topic_word, atol=1e-4)
    with pytest.raises(AssertionError, match="not a stationary point"):
        checks.check_topic_model_stationary(counts, *one_shot, atol=1e-4)


def test_simplex_kkt_residual_is_zero_for_a_constant_gradient():
    assert checks.simplex_kkt_residual([0.2, 0.8], [3.0, 3.0]) < 1e-15
    assert checks.simplex_kkt_residual([0.2, 0.8], [1.0, 3.0]) > 0.1


# --------------------------------------------------------------------------------------------
# The weak checks of 01 and 02, now against enumeration over z
# --------------------------------------------------------------------------------------------
def e_step_weights_forgotten(X, params):
    """A plausible bug: Bayes' rule without the prior π_k."""
    log_lik = gmm.estimate_log_prob(X, params) - np.log(params.weights)
    return softmax(log_lik, axis=1)


def test_01_exact_e_step_right_version_passes(mixture_1d):
    X, start, resp = mixture_1d
    checks.check_exact_e_step(resp, X, start)


def test_01_exact_e_step_fails_on_wrong_e_step_even_through_a_shared_helper(mixture_1d):
    from emlib import divergences
    X, _, _ = mixture_1d
    params = GaussianMixtureParams([0.2, 0.8], [[0.0], [0.5]], [[[3.0]], [[3.0]]])
    wrong = e_step_weights_forgotten(X, params)
    # The old check: KL between the E-step and the posterior of the *same* log joint is 0.
    wrong_log_joint = gmm.estimate_log_prob(X, params) - np.log(params.weights)
    assert np.max(divergences.kl_divergence(wrong, divergences.posterior(wrong_log_joint))) < 1e-12
    with pytest.raises(AssertionError, match="KL"):
        checks.check_exact_e_step(wrong, X, params)


@pytest.fixture(scope="module")
def random_q(mixture_1d):
    X, _, _ = mixture_1d
    return np.random.default_rng(0).dirichlet([1.0, 1.0], size=len(X))


def test_01_elbo_terms_right_version_passes(mixture_1d, random_q):
    from emlib import bounds, divergences
    X, start, _ = mixture_1d
    d = bounds.decomposition(X, start, random_q)
    checks.check_elbo_terms(X, start, random_q, log_likelihood=d.log_likelihood, elbo=d.elbo, kl=d.kl,
                             expected_complete=np.sum(random_q * gmm.estimate_log_prob(X, start)),
                             entropy=np.sum(divergences.entropy(random_q)))


@pytest.mark.parametrize("wrong", ["entropy in bits", "entropy with the wrong sign",
                                   "log-likelihood for the log joint"])
def test_01_elbo_terms_check_fails_on_wrong_version(mixture_1d, random_q, wrong):
    X, start, _ = mixture_1d
    log_joint = gmm.estimate_log_prob(X, start)
    entropy = -np.sum(random_q * np.log(random_q))
    expected = np.sum(random_q * log_joint)
    if wrong == "entropy in bits":
        entropy /= np.log(2)
    elif wrong == "entropy with the wrong sign":
        entropy = -entropy
    else:
        expected = np.sum(random_q * gmm.e_step(X, start)[1] / len(X))
    with pytest.raises(AssertionError, match="enumeration"):
        checks.check_elbo_terms(X, start, random_q, expected_complete=expected, entropy=entropy,
                                 elbo=expected + entropy)


def test_02_m_step_gain_right_version_passes(mixture_1d):
    X, start, resp = mixture_1d
    checks.check_m_step_gain(X, start, gmm.m_step(X, resp, reg_covar=0.0), resp)


def test_02_m_step_gain_fails_when_q_is_not_the_posterior(mixture_1d):
    X, start, _ = mixture_1d
    params = GaussianMixtureParams([0.2, 0.8], [[0.0], [0.5]], [[[3.0]], [[3.0]]])
    wrong = e_step_weights_forgotten(X, params)
    with pytest.raises(AssertionError, match="KL"):
        checks.check_m_step_gain(X, params, gmm.m_step(X, wrong, reg_covar=0.0), wrong)


def test_02_m_step_gain_fails_when_the_m_step_lowers_the_bound(mixture_1d):
    X, start, resp = mixture_1d
    weights, means, covs = ml_m_step(X, resp)
    swapped = (weights, means[::-1], covs)                              # means given to the wrong components
    with pytest.raises(AssertionError, match="lowers the bound"):
        checks.check_m_step_gain(X, start, swapped, resp)


def test_02_q_maximised_right_version_passes(mixture_1d):
    X, _, resp = mixture_1d
    checks.check_maximises_q(X, resp, gmm.m_step(X, resp, reg_covar=0.0))


@pytest.mark.parametrize("wrong", ["one gradient step on the means (GEM)", "variances about the old means"])
def test_02_q_maximised_check_fails_on_improving_but_not_maximising_step(mixture_1d, wrong):
    """"Q rises" holds for all three; "θ^(t+1) maximises Q" does not."""
    X, start, resp = mixture_1d
    weights, means, covs = ml_m_step(X, resp)
    nk = resp.sum(axis=0)
    if wrong.startswith("one gradient"):
        variances = start.covariances[:, 0, 0]
        gradient = (resp * (X - start.means[:, 0])).sum(axis=0) / variances
        means = (start.means[:, 0] + gradient / np.max(nk / variances))[:, None]
        covs = ((resp * (X - means[:, 0]) ** 2).sum(axis=0) / nk)[:, None, None]
    else:
        covs = ((resp * (X - start.means[:, 0]) ** 2).sum(axis=0) / nk)[:, None, None]
    q_of = lambda p: np.sum(resp * checks.mixture_log_joint_reference(X, p))
    assert q_of((weights, means, covs)) > q_of(start)                    # Q rises all the same
    with pytest.raises(AssertionError, match="maximiser"):
        checks.check_maximises_q(X, resp, (weights, means, covs))


def test_checks_reject_bad_input():
    with pytest.raises(ValueError, match="must be"):
        checks.mixture_log_joint_reference(np.zeros((3, 2)), ([0.5, 0.5], [[0.0], [1.0]], [[[1.0]], [[1.0]]]))
    with pytest.raises(TypeError, match="theta"):
        checks.coins_log_likelihood_reference(HEADS, N_TOSSES, "0.5")
    with pytest.raises(ValueError, match="h must be > 0"):
        checks.numerical_gradient(np.sum, [1.0], h=0.0)


# Notebook 00 §2c: the log-likelihood grid, one broadcast of the formula, spot-checked against
# coins.log_likelihood. The spot check fails on the plausible slips in that broadcast.
def _coins_grid(heads, n, grid, *, weight=0.5, log_pmf=stats.binom.logpmf):
    log_bin = log_pmf(heads[:, None], n, grid[None, :])                        # (S, G)
    return np.logaddexp(log_bin[:, None, :], log_bin[:, :, None]).sum(axis=0) + len(heads) * np.log(weight)


def _grid_spot_check(surface, heads, n, grid):
    for i, j in [(3, 80), (50, 20), (97, 50), (65, 65)]:
        np.testing.assert_allclose(surface[i, j], coins.log_likelihood(heads, n, (grid[j], grid[i])),
                                   rtol=1e-12)


@pytest.mark.parametrize("wrong", [
    dict(weight=1.0),                                                    # the mixture's ½ forgotten
    dict(log_pmf=lambda h, n, p: h * np.log(p) + (n - h) * np.log1p(-p)),  # log C(n, h) dropped
])
def test_00_grid_spot_check_fails_on_a_wrong_broadcast(wrong):
    heads, n, grid = np.array([5, 9, 8, 4, 7]), 10, np.linspace(0.01, 0.99, 99)
    _grid_spot_check(_coins_grid(heads, n, grid), heads, n, grid)       # as in the notebook
    with pytest.raises(AssertionError):
        _grid_spot_check(_coins_grid(heads, n, grid, **wrong), heads, n, grid)
