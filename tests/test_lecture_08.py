"""Notebook 08's checks, each shown failing on a plausible wrong implementation (small data).

The notebook's by-hand incremental and stepwise EM are repeated here (correct and wrong), and
its checks — the same ``emlib.checks`` calls — are applied to both."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from emlib import checks, em, gmm, online

K = 5


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(8)
    truth = gmm.GaussianMixtureParams(np.full(K, 1 / K),
                                      [[0, 0], [4, 0], [0, 4], [4, 4], [2, 6.5]],
                                      [np.diag(rng.uniform(0.4, 1.2, 2)) for _ in range(K)])
    X, _ = gmm.sample(truth, 6000, random_state=9)
    return X, gmm.init_params(X[:2000], K, random_state=3)


def incremental_by_hand(X, start, n_blocks, n_steps, subtract=True):
    c = X.mean(axis=0)
    models = [gmm.GaussianMixtureModel(part, reg_covar=0.0, reference=c, recentre=False)
              for part in np.array_split(X, n_blocks)]
    block_stats = [model.e_step(start)[0] for model in models]
    s = sum(block_stats[1:], block_stats[0])
    theta = gmm.params_from_statistics(s, reg_covar=0.0)
    for t in range(n_steps):
        b = t % n_blocks
        new = models[b].e_step(theta)[0]
        s = (s + (-1.0) * block_stats[b] + new) if subtract else s + new
        block_stats[b] = new
        theta = gmm.params_from_statistics(s, reg_covar=0.0)
    return theta


def stepwise_by_hand(X, start, batch_size, alpha, n_steps, eta=None):
    c = X.mean(axis=0)
    theta, s = start, None
    for t in range(n_steps):
        rows = X[(t * batch_size) % len(X):][:batch_size]
        batch_stats = gmm.GaussianMixtureModel(rows, reg_covar=0.0, reference=c,
                                               recentre=False).e_step(theta)[0]
        step = (t + 2.0) ** -alpha if eta is None else eta
        scaled = batch_stats * (step * len(X) / batch_size)
        s = scaled if s is None else s * (1.0 - step) + scaled
        theta = gmm.params_from_statistics(s, reg_covar=0.0)
    return theta


def test_the_seam_refuses_statistics_about_different_references(problem):
    X, start = problem
    a = gmm.GaussianMixtureModel(X[:3000], reg_covar=0.0).e_step(start)[0]   # about own means
    b = gmm.GaussianMixtureModel(X[3000:], reg_covar=0.0).e_step(start)[0]
    with pytest.raises(ValueError, match="reference"):
        a + b


def test_incremental_by_hand_check_fails_without_the_subtraction(problem):
    X, start = problem
    library = online.fit_incremental(X, K, n_blocks=6, init=start, max_iter=31, tol=0.0,
                                     reg_covar=0.0).mixture
    checks.check_close(incremental_by_hand(X, start, 6, 30).means, library.means, "means",
                       rtol=0, atol=1e-10)
    with pytest.raises(AssertionError, match="means"):
        checks.check_close(incremental_by_hand(X, start, 6, 30, subtract=False).means,
                           library.means, "means", rtol=0, atol=1e-10)


class _Forgetful(online.IncrementalModel):
    def e_step(self, state):
        statistics, objective = super().e_step(state)
        if state.block_statistics is None:
            return statistics, objective
        old = sum(state.block_statistics[1:], state.block_statistics[0])
        return online._IncrementalStatistics(old + statistics.block_statistics[statistics.block],
                                             statistics.block_statistics, statistics.entropies,
                                             statistics.block), objective


def test_monotone_and_fewer_passes_checks_fail_without_the_subtraction(problem):
    X, start = problem
    wrong = em.run(_Forgetful(X, 20, reg_covar=0.0), online.IncrementalState(start),
                   max_iter=60, tol=0.0)
    with pytest.raises(AssertionError, match="fell"):
        checks.check_monotone(wrong.objectives, "L(q, θ) after each partial step")


def test_stepwise_by_hand_check_fails_for_a_step_that_does_not_decay(problem):
    X, start = problem
    library = online.fit_stepwise(X, K, batch_size=500, alpha=0.7, init=start, max_iter=24,
                                  reg_covar=0.0).mixture
    checks.check_close(stepwise_by_hand(X, start, 500, 0.7, 24).means, library.means, "means",
                       rtol=0, atol=1e-10)
    with pytest.raises(AssertionError, match="means"):
        checks.check_close(stepwise_by_hand(X, start, 500, 0.7, 24, eta=0.5).means,
                           library.means, "means", rtol=0, atol=1e-10)


def test_gap_check_fails_for_a_step_that_does_not_decay():
    # 20,000 rows: on 6,000 stepwise EM and batch EM find different local optima from this start.
    rng = np.random.default_rng(8)
    truth = gmm.GaussianMixtureParams(np.full(K, 1 / K),
                                      [[0, 0], [4, 0], [0, 4], [4, 4], [2, 6.5]],
                                      [np.diag(rng.uniform(0.4, 1.2, 2)) for _ in range(K)])
    X, _ = gmm.sample(truth, 20_000, random_state=9)
    start = gmm.init_params(X[:2000], K, random_state=3)
    optimum = gmm.fit(X, K, init=start, max_iter=300, tol=1e-9, reg_covar=0.0).objectives[-1]
    def gap(alpha):
        result = online.fit_stepwise(X, K, batch_size=300, alpha=alpha, init=start,
                                     max_iter=200, reg_covar=0.0)
        return (optimum - gmm.log_likelihood(X, result.mixture)) / len(X)
    checks.check_close(gap(0.6), 0.0, "stepwise EM's per-sample gap", rtol=0, atol=1e-3)
    with pytest.raises(AssertionError, match="gap"):
        checks.check_close(gap(0.0), 0.0, "stepwise EM's per-sample gap", rtol=0, atol=1e-3)


def test_stream_check_fails_when_the_step_count_restarts(problem):
    X, start = problem
    fitted = online.fit_stepwise(X, K, batch_size=500, alpha=0.7, init=start, max_iter=12,
                                 reg_covar=0.0).mixture
    stream = online.GaussianMixtureStream(start, alpha=0.7, n_items=len(X), reg_covar=0.0,
                                          reference=X.mean(axis=0))
    restarted = online.GaussianMixtureStream(start, alpha=0.7, n_items=len(X), reg_covar=0.0,
                                             reference=X.mean(axis=0))
    for t in range(12):
        stream.partial_fit(X[500 * t:][:500])
        restarted.partial_fit(X[500 * t:][:500])
        restarted.state = online.StepwiseState(restarted.params, restarted.state.statistics, 0)
    assert np.array_equal(stream.params.means, fitted.means)
    assert not np.array_equal(restarted.params.means, fitted.means)   # η_0 at every call
