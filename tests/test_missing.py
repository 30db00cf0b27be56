"""emlib.missing: the Gaussian with missing values, against scipy and a direct maximiser."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from emlib import missing


def problem(seed, n=60, d=3, fraction=0.3):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    params = missing.GaussianParams(rng.normal(size=d), A @ A.T + 0.5 * np.eye(d))
    X = missing.sample(params, n, random_state=rng)
    X[rng.random(X.shape) < fraction] = np.nan
    X[:2] = missing.sample(params, 2, random_state=rng)       # every column observed
    return X, params


def scipy_log_likelihood(X, params):
    total = 0.0
    for x in X:
        o = ~np.isnan(x)
        if o.any():
            total += multivariate_normal(params.mean[o], params.covariance[np.ix_(o, o)]).logpdf(x[o])
    return total


@pytest.mark.parametrize("seed", range(4))
def test_log_likelihood_is_the_sum_of_observed_marginals(seed):
    X, params = problem(seed)
    X[5] = np.nan                                        # a row with nothing observed adds 0
    np.testing.assert_allclose(missing.log_likelihood(X, params), scipy_log_likelihood(X, params),
                               rtol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_e_step_statistics_are_sums_of_the_conditional_moments(seed):
    X, params = problem(seed)
    statistics, log_lik = missing.e_step(X, params)
    x_hat, C = missing.conditional_moments(X, params)
    np.testing.assert_allclose(statistics.sum_x, x_hat.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(statistics.sum_xx, x_hat.T @ x_hat + C.sum(axis=0), rtol=1e-12)
    assert statistics.count == len(X)
    np.testing.assert_allclose(log_lik, scipy_log_likelihood(X, params), rtol=1e-12)
    observed = ~np.isnan(X)
    np.testing.assert_array_equal(x_hat[observed], X[observed])


def test_complete_data_em_is_one_step_to_the_sample_moments():
    X, params = problem(0, fraction=0.0)
    result = missing.fit(X, init=params, max_iter=1, tol=0.0)
    np.testing.assert_allclose(result.params.mean, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(result.params.covariance, np.cov(X.T, bias=True), rtol=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_em_and_squarem_reach_the_direct_maximiser(seed):
    X, _ = problem(seed)
    direct = missing.direct_maximum_likelihood(X)
    for acceleration in (None, "squarem"):
        result = missing.fit(X, tol=0.0, max_iter=400 if acceleration is None else 60,
                             acceleration=acceleration)
        assert np.all(np.diff(result.objectives) > -1e-9)
        np.testing.assert_allclose(result.params.mean, direct.mean, atol=1e-6)
        np.testing.assert_allclose(result.params.covariance, direct.covariance, atol=1e-6)
        assert result.objectives[-1] >= missing.log_likelihood(X, direct) - 1e-8
    assert result.n_em_steps >= result.n_iter


def test_shortcuts():
    X = np.array([[1.0, 2.0], [3.0, np.nan], [5.0, 4.0], [np.nan, 0.0], [2.0, 5.0], [0.0, 1.0]])
    cc = missing.complete_case_estimate(X)
    complete = X[[0, 2, 4, 5]]
    np.testing.assert_allclose(cc.mean, complete.mean(axis=0))
    np.testing.assert_allclose(cc.covariance, np.cov(complete.T, bias=True))
    mi = missing.mean_imputation_estimate(X)
    np.testing.assert_allclose(mi.mean, np.nanmean(X, axis=0))
    filled = np.where(np.isnan(X), np.nanmean(X, axis=0), X)
    np.testing.assert_allclose(mi.covariance, np.cov(filled.T, bias=True))


@pytest.mark.parametrize("mechanism", missing.MECHANISMS)
def test_ampute_deletes_the_exact_fraction_of_one_column(mechanism):
    X, _ = problem(1, n=200, fraction=0.0)
    Y = missing.ampute(X, 0.25, mechanism, column=2, driver=0, random_state=3)
    assert np.isnan(Y[:, 2]).sum() == 50 and not np.isnan(Y[:, :2]).any()
    np.testing.assert_array_equal(Y[~np.isnan(Y)], X[~np.isnan(Y)])
    np.testing.assert_array_equal(Y, missing.ampute(X, 0.25, mechanism, column=2, driver=0,
                                                    random_state=3))


def test_ampute_mechanisms_select_as_documented():
    X, _ = problem(2, n=2000, fraction=0.0)
    lost = {m: np.isnan(missing.ampute(X, 0.3, m, column=0, driver=1, random_state=0)[:, 0])
            for m in missing.MECHANISMS}
    assert abs(X[lost["MCAR"], 1].mean() - X[:, 1].mean()) < 0.2 * X[:, 1].std()
    assert X[lost["MAR"], 1].mean() > X[:, 1].mean() + 0.5 * X[:, 1].std()     # driver high
    assert X[lost["MNAR"], 0].mean() > X[:, 0].mean() + 0.5 * X[:, 0].std()    # itself high


def test_mechanism_estimates_shape_and_reproducibility():
    params = missing.GaussianParams([0.0, 1.0], [[1.0, 0.5], [0.5, 2.0]])
    a = missing.mechanism_estimates(params, "MAR", 0.3, n_samples=50, n_repeats=5, random_state=1)
    b = missing.mechanism_estimates(params, "MAR", 0.3, n_samples=50, n_repeats=5, random_state=1)
    assert a.mean.shape == (4,) and a.methods[-1] == "EM"
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_allclose(a.truth, [0.0, 1.0, 0.5 / np.sqrt(2.0)])
    with pytest.raises(ValueError, match="quantity"):
        a.bias("variance")


def test_vector_round_trip():
    X, params = problem(0)
    model = missing.MissingGaussianModel(X)
    back = model.params_from_vector(model.params_to_vector(params))
    np.testing.assert_allclose(back.mean, params.mean)
    np.testing.assert_allclose(back.covariance, params.covariance, rtol=1e-12)
    with pytest.raises(ValueError, match="too large"):
        model.params_from_vector(np.full(model.params_to_vector(params).size, 400.0))


GOOD_X = problem(0)[0]
GOOD_PARAMS = problem(0)[1]


@pytest.mark.parametrize("X, error, name", [
    ("abc", TypeError, "X"),
    (np.ones((3, 2), dtype=bool), TypeError, "booleans"),
    (np.ones((3, 2)) * 1j, TypeError, "complex"),
    (np.ones(5), ValueError, "reshape"),
    (np.array([[1.0, np.inf], [2.0, 3.0]]), ValueError, "finite"),
    (np.array([[1.0, np.nan], [2.0, np.nan]]), ValueError, "no observed value"),
    (np.zeros((0, 2)), ValueError, "empty"),
    (np.ma.masked_array(np.ones((3, 2)), mask=[[0, 1], [0, 0], [0, 0]]), TypeError, "masked"),
    (np.array([[1.0, None], [2.0, 3.0]], dtype=object), TypeError, "objects"),
])
def test_bad_data(X, error, name):
    with pytest.raises(error, match=name):
        missing.fit(X)
    with pytest.raises(error, match=name):
        missing.log_likelihood(X, missing.GaussianParams([0.0, 0.0], np.eye(2)))


def test_bad_params_and_arguments():
    with pytest.raises(ValueError, match="positive definite"):
        missing.GaussianParams([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="symmetric"):
        missing.GaussianParams([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match="mean"):
        missing.GaussianParams([0.0, np.nan], np.eye(2))
    with pytest.raises(TypeError, match="params"):
        missing.e_step(GOOD_X, (np.zeros(3), np.eye(3)))
    with pytest.raises(ValueError, match="features"):
        missing.conditional_moments(GOOD_X, missing.GaussianParams([0.0], [[1.0]]))
    with pytest.raises(TypeError, match="statistics"):
        missing.m_step({"count": 3})
    with pytest.raises(ValueError, match="fraction"):
        missing.ampute(np.ones((5, 2)), 1.0)
    with pytest.raises(ValueError, match="mechanism"):
        missing.ampute(np.ones((5, 2)), 0.2, "MAYBE")
    with pytest.raises(ValueError, match="driver"):
        missing.ampute(np.ones((5, 2)), 0.2, "MAR", column=1, driver=1)
    with pytest.raises(TypeError, match="booleans"):
        missing.ampute(np.ones((5, 2), dtype=bool), 0.2)
    with pytest.raises(TypeError, match="fraction"):
        missing.ampute(np.ones((5, 2)), "0.2")
    with pytest.raises(ValueError, match="complete rows"):
        missing.complete_case_estimate(np.array([[1.0, np.nan], [np.nan, 2.0], [3.0, 4.0]]))
    with pytest.raises(ValueError, match="singular"):
        missing.complete_case_estimate(np.array([[1.0, 2.0], [np.nan, 2.0], [3.0, 4.0]]))
    with pytest.raises(ValueError, match="variance"):
        missing.fit(np.array([[1.0, 2.0], [1.0, 3.0], [np.nan, 5.0]]))
    with pytest.raises(ValueError, match="bivariate"):
        missing.mechanism_estimates(GOOD_PARAMS)
    with pytest.raises(ValueError, match="gtol"):
        missing.direct_maximum_likelihood(GOOD_X, gtol=0.0)
    with pytest.raises(TypeError, match="n_samples"):
        missing.sample(GOOD_PARAMS, 2.5)
