"""emlib.online: incremental and stepwise EM and the stream, against batch EM (emlib.gmm) and
scikit-learn; every check shown failing on a plausible wrong implementation."""

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from emlib import checks, gmm, online


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    with threadpool_limits(limits=1):
        yield


TRUTH = gmm.GaussianMixtureParams([0.3, 0.3, 0.4], [[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]],
                                  [0.5 * np.eye(2), [[0.5, 0.2], [0.2, 0.5]], 0.8 * np.eye(2)])


@pytest.fixture(scope="module")
def data():
    X, _ = gmm.sample(TRUTH, 6000, random_state=0)
    start = gmm.init_params(X, 3, random_state=1)
    reference = GaussianMixture(3, tol=1e-12, max_iter=1000, reg_covar=0.0,
                                weights_init=start.weights, means_init=start.means,
                                precisions_init=np.linalg.inv(start.covariances)).fit(X)
    return X, start, reference.score(X)                       # optimum per sample (sklearn)


def _same(a, b):
    for x, y in zip((a.weights, a.means, a.covariances), (b.weights, b.means, b.covariances)):
        assert np.array_equal(x, y)


def test_one_block_is_batch_em_exactly(data):
    X, start, _ = data
    batch = gmm.fit(X, 3, init=start, max_iter=15, tol=0.0, reg_covar=0.0)
    one = online.fit_incremental(X, 3, n_blocks=1, init=start, max_iter=15, tol=0.0,
                                 reg_covar=0.0)
    _same(one.mixture, batch.params)
    assert np.array_equal(one.objectives, batch.objectives)
    np.testing.assert_array_equal(one.passes, np.arange(1.0, 17.0))


def test_eta_one_with_the_full_batch_is_batch_em_exactly(data):
    X, start, _ = data
    batch = gmm.fit(X, 3, init=start, max_iter=15, tol=0.0, reg_covar=0.0)
    full = online.fit_stepwise(X, 3, batch_size=len(X), alpha=0, init=start, max_iter=15,
                               reg_covar=0.0)
    _same(full.mixture, batch.params)
    assert np.array_equal(full.objectives, batch.objectives)
    assert full.objective_name == "log_likelihood"


def test_incremental_bound_never_decreases_and_reaches_the_optimum(data):
    X, start, optimum = data
    result = online.fit_incremental(X, 3, n_blocks=7, init=start, max_iter=70, tol=0.0,
                                    reg_covar=0.0)
    checks.check_monotone(result.objectives, "L(q, θ) after each partial step", rtol=1e-12)
    checks.check_close(gmm.log_likelihood(X, result.mixture) / len(X), optimum,
                       "incremental EM's per-sample log-likelihood", rtol=0.0, atol=1e-4)
    # The bound is below the log-likelihood of the same θ (a stale q), and equal at t = 0.
    assert result.objectives[0] == pytest.approx(gmm.log_likelihood(X, start), rel=1e-12)


def test_stepwise_reaches_the_optimum_within_1e_3_per_sample(data):
    X, start, optimum = data
    result = online.fit_stepwise(X, 3, batch_size=300, alpha=0.7, init=start, max_iter=150,
                                 reg_covar=0.0)
    assert result.passes[-1] == pytest.approx(151 * 300 / len(X))
    checks.check_close(gmm.log_likelihood(X, result.mixture) / len(X), optimum,
                       "stepwise EM's per-sample log-likelihood", rtol=0.0, atol=1e-3)


def test_the_stream_is_fit_stepwise(data):
    X, start, _ = data
    fitted = online.fit_stepwise(X, 3, batch_size=500, alpha=0.8, init=start, max_iter=12,
                                 reg_covar=0.0)
    stream = online.GaussianMixtureStream(start, alpha=0.8, n_items=len(X), reg_covar=0.0,
                                          reference=X.mean(axis=0))
    for t in range(12):
        stream.partial_fit(X[500 * t:500 * (t + 1)])
    assert stream.n_steps == 12
    _same(stream.params, fitted.mixture)


def test_step_size():
    assert online.step_size(0, 1.0) == 0.5 and online.step_size(2, 0.0) == 1.0
    assert online.step_size(7, 0.5 + 1e-9) == pytest.approx(9 ** -0.5)
    for alpha in (0.5, 0.3, 1.5, -1.0):
        with pytest.raises(ValueError, match="alpha"):
            online.step_size(1, alpha)


def test_q_is_the_expected_complete_log_likelihood(data):
    """Q from the statistics = Σ_n Σ_k γ_nk log π_k N(x_n | μ_k, Σ_k) from scipy's densities."""
    from scipy import stats
    X, start, _ = data
    X = X[:200]
    resp = gmm.e_step(X, TRUTH)[0]
    log_joint = np.column_stack([np.log(start.weights[k]) + stats.multivariate_normal(
        start.means[k], start.covariances[k]).logpdf(X) for k in range(3)])
    q = online.expected_complete_log_likelihood(gmm.expected_statistics(X, resp), start)
    assert q == pytest.approx(np.sum(resp * log_joint), rel=1e-12)


# --------------------------------------------------------------------------------------------
# The checks fail on plausible wrong implementations
# --------------------------------------------------------------------------------------------
class _ForgetfulIncremental(online.IncrementalModel):
    """Forgets to subtract the block's old statistics: s ← s + s_b^new."""

    def e_step(self, state):
        statistics, objective = super().e_step(state)
        if state.block_statistics is None:
            return statistics, objective
        old_total = sum(state.block_statistics[1:], state.block_statistics[0])
        new_block = statistics.block_statistics[statistics.block]
        return online._IncrementalStatistics(old_total + new_block, statistics.block_statistics,
                                             statistics.entropies, statistics.block), objective


def test_forgetting_to_subtract_the_old_block_fails_the_checks(data):
    X, start, optimum = data
    from emlib import em
    model = _ForgetfulIncremental(X, 1, reg_covar=0.0)
    wrong = em.run(model, online.IncrementalState(start), max_iter=15, tol=0.0)
    batch = gmm.fit(X, 3, init=start, max_iter=15, tol=0.0, reg_covar=0.0)
    with pytest.raises(AssertionError):
        _same(wrong.params.params, batch.params)               # one block ≠ batch EM
    model = _ForgetfulIncremental(X, 7, reg_covar=0.0)
    wrong = em.run(model, online.IncrementalState(start), max_iter=70, tol=0.0)
    with pytest.raises(AssertionError, match="fell"):
        checks.check_monotone(wrong.objectives, "L(q, θ)", rtol=1e-12)


def test_a_step_size_that_does_not_decay_fails_the_optimum_check(data):
    X, start, optimum = data
    wrong = online.fit_stepwise(X, 3, batch_size=300, alpha=0, init=start, max_iter=150,
                                reg_covar=0.0)                  # η_t = 1 on mini-batches
    with pytest.raises(AssertionError, match="per-sample"):
        checks.check_close(gmm.log_likelihood(X, wrong.mixture) / len(X), optimum,
                           "stepwise EM's per-sample log-likelihood", rtol=0.0, atol=1e-3)


def test_alpha_outside_robbins_monro_is_refused(data):
    X, start, _ = data
    for alpha in (0.5, 0.4, 1.2, True, "0.7"):
        with pytest.raises((ValueError, TypeError), match="alpha"):
            online.fit_stepwise(X, 3, batch_size=100, alpha=alpha, init=start, max_iter=1)
