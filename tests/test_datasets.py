"""Tests for emlib.datasets: the Old Faithful data and its known maximum-likelihood fit, and
sampling from a Gaussian mixture."""

import numpy as np
import pytest

from emlib.datasets import old_faithful, standardize
from emlib.gmm import sample as sample_gmm
from emlib.gmm import GaussianMixtureParams, fit


# --------------------------------------------------------------------------------------------
# Old Faithful
# --------------------------------------------------------------------------------------------
def test_old_faithful_shape_and_values():
    X = old_faithful()
    assert X.shape == (272, 2)
    assert X.dtype == np.float64
    np.testing.assert_array_equal(X[0], [3.6, 79.0])
    np.testing.assert_array_equal(X[-1], [4.467, 74.0])
    np.testing.assert_allclose(X.mean(axis=0), [3.487783, 70.897059], atol=5e-7)
    assert X[:, 0].min() == 1.6 and X[:, 0].max() == 5.1
    assert X[:, 1].min() == 43.0 and X[:, 1].max() == 96.0


def test_old_faithful_returns_a_fresh_copy():
    X = old_faithful()
    X[0, 0] = -1.0
    assert old_faithful()[0, 0] == 3.6


def test_old_faithful_loads_from_the_package_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert old_faithful().shape == (272, 2)


def test_old_faithful_standardized():
    Z = old_faithful(standardized=True)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-14)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-14)      # population std, ddof=0
    X = old_faithful()
    np.testing.assert_allclose(Z, (X - X.mean(axis=0)) / X.std(axis=0), rtol=1e-14, atol=1e-14)


def test_old_faithful_rejects_non_bool():
    with pytest.raises(TypeError, match=r"^standardized must be True or False"):
        old_faithful(standardized="yes")


def _fit_two_components(X):
    result = fit(X, 2, tol=1e-10, max_iter=1000, reg_covar=0, random_state=0)
    assert result.converged
    return np.sort(result.params.weights), result.log_likelihoods[-1]


def test_old_faithful_known_two_component_fit():
    weights, log_likelihood = _fit_two_components(old_faithful())
    np.testing.assert_allclose(weights, [0.3559, 0.6441], atol=5e-5)
    assert log_likelihood == pytest.approx(-1130.26, abs=5e-3)


def test_old_faithful_known_two_component_fit_standardized():
    # Same weights; the log-likelihood drops by the log-Jacobian N·Σ_d log std_d.
    X = old_faithful()
    weights, log_likelihood = _fit_two_components(standardize(X))
    np.testing.assert_allclose(weights, [0.3559, 0.6441], atol=5e-5)
    assert log_likelihood == pytest.approx(-385.46, abs=5e-3)
    shift = X.shape[0] * np.log(X.std(axis=0)).sum()
    assert log_likelihood == pytest.approx(_fit_two_components(X)[1] + shift, abs=1e-5)


# --------------------------------------------------------------------------------------------
# standardize
# --------------------------------------------------------------------------------------------
def test_standardize_uses_population_std():
    X = np.array([[1.0, 10.0], [2.0, 10.5], [3.0, 12.0], [6.0, 11.5]])
    Z = standardize(X)
    np.testing.assert_allclose(Z[:, 0], (X[:, 0] - 3.0) / np.sqrt(3.5), rtol=1e-15)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-15)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-15)


@pytest.mark.parametrize("X, error, message", [
    ([1.0, 2.0, 3.0], ValueError, r"^X must be 2-D"),
    ([[1.0, 5.0], [2.0, 5.0]], ValueError, r"^column 1 of X is constant"),
    ([[0.1, 1.0], [0.1, 2.0], [0.1, 4.0]], ValueError, r"^column 0 of X is constant"),
    ([[1.0, np.nan], [2.0, 3.0]], ValueError, r"^X must be finite"),
    ("data", TypeError, r"^X must be an array of numbers"),
])
def test_standardize_rejects_bad_input(X, error, message):
    with pytest.raises(error, match=message):
        standardize(X)


# --------------------------------------------------------------------------------------------
# sample_gmm
# --------------------------------------------------------------------------------------------
def _params():
    return GaussianMixtureParams(
        [0.2, 0.5, 0.3],
        [[-4.0, 0.0], [0.0, 3.0], [5.0, -1.0]],
        [[[1.0, 0.6], [0.6, 2.0]], [[0.5, 0.0], [0.0, 0.5]], [[3.0, -1.0], [-1.0, 1.0]]])


def test_sample_gmm_shapes_and_types():
    X, labels = sample_gmm(_params(), 17, random_state=0)
    assert X.shape == (17, 2) and X.dtype == np.float64
    assert labels.shape == (17,) and np.issubdtype(labels.dtype, np.integer)
    assert set(labels) <= {0, 1, 2}


def test_sample_gmm_is_reproducible():
    X1, labels1 = sample_gmm(_params(), 100, random_state=42)
    X2, labels2 = sample_gmm(_params(), 100, random_state=np.random.default_rng(42))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(labels1, labels2)
    X3, _ = sample_gmm(_params(), 100, random_state=43)
    assert not np.allclose(X1, X3)


def test_sample_gmm_matches_the_parameters():
    params = _params()
    n = 200_000
    X, labels = sample_gmm(params, n, random_state=1)
    # Label frequencies: binomial standard error sqrt(π(1-π)/n) ≤ 0.0012.
    np.testing.assert_allclose(np.bincount(labels, minlength=3) / n, params.weights, atol=0.006)
    for k in range(3):
        members = X[labels == k]
        # Standard error of a mean coordinate ≤ sqrt(3 / 40_000) ≈ 0.009; of a covariance entry
        # ≈ 0.02. Tolerances are ~5 standard errors.
        np.testing.assert_allclose(members.mean(axis=0), params.means[k], atol=0.05)
        np.testing.assert_allclose(np.cov(members.T), params.covariances[k], atol=0.1)


def test_sample_gmm_never_draws_an_empty_component():
    params = GaussianMixtureParams([0.0, 1.0], [[100.0], [0.0]], [[[1.0]], [[1.0]]])
    X, labels = sample_gmm(params, 1000, random_state=0)
    assert np.all(labels == 1)
    assert np.abs(X).max() < 10.0


def test_sample_gmm_one_dimension():
    params = GaussianMixtureParams([1.0], [[2.0]], [[[4.0]]])
    X, _ = sample_gmm(params, 50_000, random_state=0)
    assert X.shape == (50_000, 1)
    assert X.mean() == pytest.approx(2.0, abs=0.05)
    assert X.std() == pytest.approx(2.0, abs=0.05)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"n_samples": 0}, ValueError, r"^n_samples must be at least 1"),
    ({"n_samples": 2.5}, TypeError, r"^n_samples must be an integer"),
    ({"n_samples": True}, TypeError, r"^n_samples must be an integer"),
    ({"n_samples": 10, "random_state": "seed"}, TypeError, r"^random_state must be None"),
    ({"n_samples": 10, "random_state": -1}, ValueError, r"^random_state must be a non-negative"),
])
def test_sample_gmm_rejects_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        sample_gmm(_params(), **kwargs)


def test_sample_gmm_rejects_non_params():
    with pytest.raises(TypeError, match=r"^params must be a GaussianMixtureParams, got dict"):
        sample_gmm({"weights": [1.0], "means": [[0.0]], "covariances": [[[1.0]]]}, 10)


# --------------------------------------------------------------------------------------------
# Bad dtypes: strings, complex numbers, booleans, dates, objects and masked arrays
# --------------------------------------------------------------------------------------------
_DATA = np.array([[1.0, 5.0], [2.0, 7.0], [4.0, 6.0]])


@pytest.mark.parametrize("X", [
    _DATA.astype(str), _DATA.astype(complex), _DATA > 2,
    np.array([[1.0, None], [2.0, 7.0], [4.0, 6.0]], dtype=object),
    np.full(_DATA.shape, np.datetime64("2024-01-01")),
    np.ma.masked_array(_DATA, mask=[[0, 1], [0, 0], [0, 0]]), "1, 2; 3, 4"])
def test_standardize_rejects_bad_dtypes(X):
    with pytest.raises(TypeError, match=r"^X "):
        standardize(X)


def test_standardized_flag_is_a_bool_numpy_or_python():
    np.testing.assert_array_equal(old_faithful(standardized=np.True_),
                                  old_faithful(standardized=True))
    for bad in (1, "yes", None):
        with pytest.raises(TypeError, match="standardized"):
            old_faithful(standardized=bad)


# --------------------------------------------------------------------------------------------
# Finite but huge (or tiny) values: standardize works, or says why
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [1e200, 1e-300, 1e307, 2.0**-1000, -1e250])
def test_standardize_is_scale_free_across_the_float_range(scale):
    # Once: all zeros for data near 1e200 (squares overflow), "constant" near 1e-300.
    X = np.random.default_rng(0).normal(size=(50, 2)) + [0.0, 3.0]
    np.testing.assert_allclose(standardize(X * scale), standardize(X) * np.sign(scale),
                               rtol=1e-13, atol=1e-12)


def test_standardize_unchanged_for_ordinary_data():
    X = old_faithful()
    centred = X - X.mean(axis=0)
    np.testing.assert_array_equal(standardize(X), centred / np.sqrt((centred**2).mean(axis=0)))


def test_a_column_constant_to_working_precision_says_why():
    X = np.column_stack([[1e16, 1e16 + 2, 1e16], [1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match=r"^column 0 of X is constant to working precision "
                                         r"\(standard deviation .* around a mean of 1e\+16, less "
                                         r"than 1e-12 of it\)"):
        standardize(X)
