r"""EM for a multivariate Gaussian with missing values (Dempster, Laird & Rubin, 1977, section 4.1).

The data: :math:`x_n \in \mathbb R^D`, :math:`n = 0, \dots, N-1`, drawn from
:math:`\mathcal N(\mu, \Sigma)`, of which only the entries :math:`x_{n,o}` (indices :math:`o = o_n`)
were recorded and the rest, :math:`x_{n,m}`, are missing (NaN). Assuming the values are *missing at
random* (whether an entry is missing may depend on what was observed, not on the missing value
itself), the observed-data log-likelihood is a sum over rows of Gaussian marginals,

.. math::
    \log p(X_{\mathrm{obs}} \mid \theta) = \sum_n \log \mathcal N(x_{n,o} \mid \mu_o, \Sigma_{oo}),

which has no closed-form maximiser. The complete data would have the sufficient statistics
:math:`\sum_n x_n` and :math:`\sum_n x_n x_n^\top`, so

**E-step** (per missingness pattern: every row with the same missing entries shares
:math:`B = \Sigma_{mo}\Sigma_{oo}^{-1}` and :math:`C`):

.. math::
    \hat x_{n,m} = \mathbb E[x_{n,m} \mid x_{n,o}] = \mu_m + \Sigma_{mo}\Sigma_{oo}^{-1}(x_{n,o} - \mu_o),
    \qquad
    C_n = \mathrm{Cov}[x_{n,m} \mid x_{n,o}] = \Sigma_{mm} - \Sigma_{mo}\Sigma_{oo}^{-1}\Sigma_{om},

and :math:`\mathbb E[x_n x_n^\top \mid x_{n,o}] = \hat x_n \hat x_n^\top + C_n` (with :math:`C_n`
placed in the missing rows and columns, zero elsewhere).

**M-step** (moment matching, with the expected statistics):

.. math::
    \mu = \frac1N \sum_n \hat x_n, \qquad
    \Sigma = \frac1N \sum_n \big(\hat x_n \hat x_n^\top + C_n\big) - \mu\mu^\top .

Forgetting :math:`C_n` (imputing the conditional mean and taking the sample covariance) still
converges, to a covariance that is too small: the classic mistake.

Also here: the direct maximiser of the observed-data log-likelihood over :math:`\mu` and a
Cholesky factor of :math:`\Sigma` (BFGS with the analytic gradient) that EM is checked against;
complete-case analysis and mean imputation, the two shortcuts EM is compared with; ``ampute``,
which deletes entries by an MCAR, MAR or MNAR mechanism; and ``mechanism_estimates``, the numbers
behind notebook 06's widget.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import cho_factor, cho_solve, solve_triangular
from scipy.optimize import minimize

from ._validation import (as_float_array, check_allocation, check_covariance,
                          check_data_with_missing, check_int, check_params, check_random_state,
                          check_real, check_squares_fit)
from .em import EMResult, SufficientStatistics, check_em_arguments, run

__all__ = [
    "GaussianParams",
    "GaussianStatistics",
    "MissingGaussianModel",
    "MissingGaussianResult",
    "MechanismEstimates",
    "MECHANISMS",
    "conditional_moments",
    "e_step",
    "m_step",
    "log_likelihood",
    "fit",
    "direct_maximum_likelihood",
    "complete_case_estimate",
    "mean_imputation_estimate",
    "sample",
    "ampute",
    "mechanism_estimates",
]

_LOG_2PI = np.log(2.0 * np.pi)
MECHANISMS = ("MCAR", "MAR", "MNAR")


# --------------------------------------------------------------------------------------------
# Parameters and statistics
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class GaussianParams:
    """θ = (μ, Σ) of a D-dimensional Gaussian.

    mean : (D,) μ.
    covariance : (D, D) Σ, symmetric positive definite (checked; stored read-only).
    """

    mean: np.ndarray
    covariance: np.ndarray

    def __post_init__(self):
        mean = as_float_array(self.mean, "mean", ndim=1, copy=True)
        check_squares_fit(mean[None], "mean")     # μμᵀ and the data's second moments about it
        covariance = check_covariance(self.covariance, "covariance", n_features=mean.shape[0])
        for array in (mean, covariance):
            array.setflags(write=False)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "covariance", covariance)

    @property
    def n_features(self) -> int:
        return self.mean.shape[0]


@dataclass(frozen=True, eq=False)
class GaussianStatistics(SufficientStatistics):
    """The expected complete-data sufficient statistics under θ^(t).

    count : N ≥ 1, the number of rows (the M-step divides by it).
    sum_x : (D,) Σ_n E[x_n | x_{n,o}] = Σ_n x̂_n.
    sum_xx : (D, D) Σ_n E[x_n x_nᵀ | x_{n,o}] = Σ_n (x̂_n x̂_nᵀ + C_n).
    """

    count: float
    sum_x: np.ndarray
    sum_xx: np.ndarray

    def __post_init__(self):
        count = check_real(self.count, "count", minimum=1.0)
        sum_x = as_float_array(self.sum_x, "sum_x", ndim=1, copy=True)
        sum_xx = as_float_array(self.sum_xx, "sum_xx", ndim=2, copy=True)
        if sum_xx.shape != (sum_x.size, sum_x.size):
            raise ValueError(f"sum_xx has shape {sum_xx.shape} but must be ({sum_x.size}, "
                             f"{sum_x.size}), like sum_x's D = {sum_x.size}")
        for array in (sum_x, sum_xx):
            array.setflags(write=False)
        object.__setattr__(self, "count", count)
        object.__setattr__(self, "sum_x", sum_x)
        object.__setattr__(self, "sum_xx", sum_xx)


def _check_params(params, n_features: int, name: str = "params") -> GaussianParams:
    return check_params(params, GaussianParams, n_features, name, "(mean, covariance)")


# --------------------------------------------------------------------------------------------
# Missingness patterns: the E-step's unit of work
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Pattern:
    rows: np.ndarray          # (n_p,) row indices
    observed: np.ndarray      # (|o|,) observed feature indices
    missing: np.ndarray       # (|m|,) missing feature indices
    values: np.ndarray        # (n_p, |o|) the observed entries


def _patterns(X: np.ndarray) -> list[_Pattern]:
    """The rows of X grouped by which entries are missing, in a fixed order."""
    mask = np.isnan(X)
    unique, inverse = np.unique(mask, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    patterns = []
    for p, missing in enumerate(unique):
        rows = np.flatnonzero(inverse == p)
        observed = np.flatnonzero(~missing)
        patterns.append(_Pattern(rows, observed, np.flatnonzero(missing),
                                 X[np.ix_(rows, observed)]))
    return patterns


def _pattern_moments(pattern: _Pattern, mean, covariance):
    """(x̂ for the rows (n_p, D), C (|m|, |m|), Σ_n log N(x_o | μ_o, Σ_oo))."""
    o, m = pattern.observed, pattern.missing
    completed = np.empty((pattern.rows.size, mean.size))
    completed[:, o] = pattern.values
    if o.size == 0:                                   # nothing observed: the prior itself
        completed[:] = mean
        return completed, covariance.copy(), 0.0
    factor = cho_factor(covariance[np.ix_(o, o)], lower=True)
    residual = pattern.values - mean[o]               # x_o − μ_o, (n_p, |o|)
    whitened = solve_triangular(factor[0], residual.T, lower=True)
    log_det = 2.0 * np.sum(np.log(np.diag(factor[0])))
    log_lik = -0.5 * (residual.size * _LOG_2PI + pattern.rows.size * log_det
                      + np.sum(whitened**2))
    if m.size == 0:
        return completed, np.zeros((0, 0)), float(log_lik)
    cov_mo = covariance[np.ix_(m, o)]
    regression = cho_solve(factor, cov_mo.T).T        # B = Σ_mo Σ_oo⁻¹, (|m|, |o|)
    completed[:, m] = mean[m] + residual @ regression.T
    conditional = covariance[np.ix_(m, m)] - regression @ cov_mo.T
    return completed, 0.5 * (conditional + conditional.T), float(log_lik)


def _statistics(patterns, mean, covariance, n_features):
    """GaussianStatistics and log p(X_obs | θ) from every pattern's moments."""
    count, sum_x, sum_xx, log_lik = 0.0, np.zeros(n_features), np.zeros((n_features,) * 2), 0.0
    for pattern in patterns:
        completed, conditional, pattern_log_lik = _pattern_moments(pattern, mean, covariance)
        count += pattern.rows.size
        sum_x += completed.sum(axis=0)
        sum_xx += completed.T @ completed
        m = pattern.missing
        sum_xx[np.ix_(m, m)] += pattern.rows.size * conditional   # Σ_n C_n
        log_lik += pattern_log_lik
    return GaussianStatistics(count, sum_x, sum_xx), log_lik


def _m_step(statistics: GaussianStatistics) -> GaussianParams:
    mean = statistics.sum_x / statistics.count
    with np.errstate(over="ignore", invalid="ignore"):    # inf/NaN: GaussianParams refuses it
        covariance = statistics.sum_xx / statistics.count - np.outer(mean, mean)
        covariance = 0.5 * (covariance + covariance.T)
    return GaussianParams(mean, covariance)


# --------------------------------------------------------------------------------------------
# The readable steps
# --------------------------------------------------------------------------------------------
def conditional_moments(X, params: GaussianParams) -> tuple[np.ndarray, np.ndarray]:
    r"""The E-step row by row: E[x_n | x_{n,o}] and Cov[x_n | x_{n,o}].

    Parameters
    ----------
    X : (N, D) data, NaN where an entry is missing.
    params : GaussianParams (μ, Σ).

    Returns
    -------
    expected_x : (N, D) x̂_n: the observed entries unchanged, each missing block replaced by
        μ_m + Σ_mo Σ_oo⁻¹ (x_o − μ_o) (the conditional, not the marginal, mean).
    conditional_covariances : (N, D, D) C_n = Σ_mm − Σ_mo Σ_oo⁻¹ Σ_om in the missing rows and
        columns of each row, zero elsewhere, so that E[x_n x_nᵀ | x_o] = x̂_n x̂_nᵀ + C_n.
    """
    X = check_data_with_missing(X)
    params = _check_params(params, X.shape[1])
    check_squares_fit(X, centre=params.mean, centre_name="params.mean")
    expected_x = np.empty_like(X)
    covariances = np.zeros((X.shape[0], X.shape[1], X.shape[1]))
    for pattern in _patterns(X):
        completed, conditional, _ = _pattern_moments(pattern, params.mean, params.covariance)
        expected_x[pattern.rows] = completed
        m = pattern.missing
        covariances[np.ix_(pattern.rows, m, m)] = conditional
    return expected_x, covariances


def e_step(X, params: GaussianParams) -> tuple[GaussianStatistics, float]:
    """E-step: the expected sufficient statistics (Σ x̂_n, Σ x̂_n x̂_nᵀ + C_n) and the
    observed-data log-likelihood at θ = params. X (N, D) with NaN for missing."""
    X = check_data_with_missing(X)
    params = _check_params(params, X.shape[1])
    check_squares_fit(X, centre=params.mean, centre_name="params.mean")
    return _statistics(_patterns(X), params.mean, params.covariance, X.shape[1])


def m_step(statistics: GaussianStatistics) -> GaussianParams:
    """M-step: μ = Σ x̂_n / N and Σ = Σ (x̂_n x̂_nᵀ + C_n) / N − μμᵀ."""
    if not isinstance(statistics, GaussianStatistics):
        raise TypeError("statistics must be the GaussianStatistics of e_step, got "
                        f"{type(statistics).__name__}")
    try:                                  # the fields were checked when statistics was built
        return _m_step(statistics)
    except ValueError as error:
        raise ValueError(f"statistics give no valid covariance ({error}); were they summed from "
                         "the E-step, with the conditional covariances?") from None


def log_likelihood(X, params: GaussianParams) -> float:
    r"""Observed-data log-likelihood Σ_n log N(x_{n,o} | μ_o, Σ_oo); a row with nothing
    observed contributes 0. X (N, D) with NaN for missing."""
    X = check_data_with_missing(X)
    params = _check_params(params, X.shape[1])
    check_squares_fit(X, centre=params.mean, centre_name="params.mean")
    return _statistics(_patterns(X), params.mean, params.covariance, X.shape[1])[1]


# --------------------------------------------------------------------------------------------
# Parameters as one vector: μ and the Cholesky factor of Σ with its log-diagonal
# --------------------------------------------------------------------------------------------
def _to_vector(params: GaussianParams) -> np.ndarray:
    chol = np.linalg.cholesky(params.covariance)
    rows, cols = np.tril_indices(params.n_features)
    values = chol[rows, cols]
    diagonal = rows == cols
    values[diagonal] = np.log(values[diagonal])      # Cholesky's diagonal is positive
    return np.concatenate([params.mean, values])


def _from_vector(vector: np.ndarray, n_features: int) -> GaussianParams:
    return GaussianParams(vector[:n_features], _covariance_from_vector(vector, n_features)[0])


def _covariance_from_vector(vector: np.ndarray, n_features: int):
    """(Σ = LLᵀ, L) from the packed lower triangle of L with its diagonal in logs."""
    rows, cols = np.tril_indices(n_features)
    values = np.array(vector[n_features:], dtype=float)
    diagonal = rows == cols
    if np.any(values[diagonal] > 350.0):            # exp would overflow
        raise ValueError("the vector's log-diagonal of the Cholesky factor is too large")
    values[diagonal] = np.exp(values[diagonal])
    chol = np.zeros((n_features, n_features))
    chol[rows, cols] = values
    return chol @ chol.T, chol


# --------------------------------------------------------------------------------------------
# fit: on the EM driver
# --------------------------------------------------------------------------------------------
class MissingGaussianModel:
    """A Gaussian bound to data with missing entries, for ``emlib.em.run``.

    ``e_step(params)`` → (GaussianStatistics, log p(X_obs | θ)); ``m_step(statistics, params)``
    → the moment-matching M-step. ``params_to_vector`` / ``params_from_vector`` map θ to
    (μ, the Cholesky factor of Σ with its diagonal in logs) and back, for the EM-map Jacobian and
    SQUAREM in ``emlib.convergence``: every vector is a valid θ. X is checked here.
    """

    objective_name = "log_likelihood"

    def __init__(self, X):
        self.X = check_data_with_missing(X)
        # The M-step's Σ = Σ x̂x̂ᵀ/N − μμᵀ loses (μ/σ)²·1e-16 of its digits: a column that
        # hardly varies about a large mean gives a covariance that is not positive definite.
        spread = np.nanstd(self.X, axis=0)
        flat = spread <= 1e-6 * np.nanmax(np.abs(self.X), axis=0)
        if np.any(flat):
            d = int(np.argmax(flat))
            raise ValueError(f"column {d} of X varies too little about its size (standard "
                             f"deviation {spread[d]:.3g}, largest |entry| "
                             f"{np.nanmax(np.abs(self.X[:, d])):.3g}): its variance cannot be "
                             "estimated, EM's moments would lose every digit in float64; "
                             "subtract the column means first, or drop a constant column")
        small = spread**2 < 1e-290        # the variances (and conditional ones) near underflow
        if np.any(small):
            d = int(np.argmax(small))
            raise ValueError(f"column {d} of X is too small for float64: its standard deviation "
                             f"{spread[d]:.3g} gives a variance near the smallest float, whose "
                             "inverse overflows; rescale the data (emlib.datasets.standardize)")
        self.n_items = float(self.X.shape[0])
        self.n_features = self.X.shape[1]
        self.patterns = _patterns(self.X)

    def e_step(self, params):
        return _statistics(self.patterns, params.mean, params.covariance, self.n_features)

    def m_step(self, statistics, params=None):
        return _m_step(statistics)

    def params_to_vector(self, params):
        return _to_vector(params)

    def params_from_vector(self, vector):
        return _from_vector(np.asarray(vector, dtype=float), self.n_features)

    def start(self) -> GaussianParams:
        """θ^(0): each column's observed mean and variance, no correlation."""
        mean = np.nanmean(self.X, axis=0)
        variance = np.nanvar(self.X, axis=0)
        if np.any(variance <= 0):
            d = int(np.argmax(variance <= 0))
            raise ValueError(f"column {d} of X has fewer than two distinct observed values; its "
                             "variance cannot be estimated")
        return GaussianParams(mean, np.diag(variance))


@dataclass(frozen=True, eq=False)
class MissingGaussianResult(EMResult):
    """What ``fit`` returns: an ``emlib.em.EMResult`` (params = the final GaussianParams,
    objectives = log p(X_obs | θ^(t)), n_iter, converged, statistics) plus

    expected_x : (N, D) the data completed with E[x_m | x_o] under the final θ.
    n_em_steps : the number of EM steps (M-steps) done: n_iter for plain EM, about 3 per
        iteration for SQUAREM.
    """

    expected_x: np.ndarray = field(repr=False)
    n_em_steps: int = 0


def fit(X, *, init: GaussianParams | None = None, max_iter: int = 1000, tol: float = 1e-10,
        acceleration: str | None = None, callback=None) -> MissingGaussianResult:
    """Maximum-likelihood (μ, Σ) from data with missing entries, by EM on ``emlib.em.run``.

    Parameters
    ----------
    X : (N, D) data, NaN for a missing entry (assumed missing at random).
    init : θ^(0); None starts from each column's observed mean and variance (no correlation).
    max_iter : the most iterations (M-steps of EM; SQUAREM cycles with ``acceleration``).
    tol : stop when the log-likelihood per row changes by less than this; 0 runs max_iter.
    acceleration : None (plain EM) or "squarem" (Varadhan & Roland, 2008, with a monotonicity
        safeguard; ``emlib.convergence.squarem``).
    callback : ``callback(t, params, log_likelihood)`` for t = 0 … n_iter, or None.

    Returns
    -------
    MissingGaussianResult.
    """
    from .convergence import squarem       # convergence builds on the driver, like this module

    model = MissingGaussianModel(X)
    max_iter, tol = check_em_arguments(max_iter, tol, callback)
    params = model.start() if init is None else _check_params(init, model.n_features, "init")
    if acceleration is None:
        result = run(model, params, max_iter=max_iter, tol=tol, callback=callback)
        n_em_steps = result.n_iter
    elif acceleration == "squarem":
        result = squarem(model, params, max_iter=max_iter, tol=tol, callback=callback)
        n_em_steps = result.n_em_steps
    else:
        raise ValueError(f"acceleration must be None or 'squarem', got {acceleration!r}")
    expected_x = np.empty_like(model.X)
    for pattern in model.patterns:
        expected_x[pattern.rows] = _pattern_moments(pattern, result.params.mean,
                                                    result.params.covariance)[0]
    return result.extend(MissingGaussianResult, expected_x=expected_x, n_em_steps=n_em_steps)


# --------------------------------------------------------------------------------------------
# The direct maximiser: BFGS on the observed-data log-likelihood, no E-step
# --------------------------------------------------------------------------------------------
def _negative_log_likelihood_and_gradient(vector, patterns, n_features, n_rows):
    r"""−ℓ/N and its gradient in (μ, L with log-diagonal), Σ = LLᵀ. Per pattern, with
    S = Σ_oo and residuals r_n = x_o − μ_o: ∂ℓ/∂μ_o = S⁻¹ Σ r_n, ∂ℓ/∂S = ½(S⁻¹ R S⁻¹ − n S⁻¹)
    (R = Σ r_n r_nᵀ), and ∂ℓ/∂L = 2 G L for G the embedded ∂ℓ/∂Σ."""
    mean = vector[:n_features]
    rows, cols = np.tril_indices(n_features)
    covariance, chol = _covariance_from_vector(vector, n_features)
    log_lik, grad_mean, grad_cov = 0.0, np.zeros(n_features), np.zeros((n_features,) * 2)
    for pattern in patterns:
        o = pattern.observed
        if o.size == 0:
            continue
        factor = cho_factor(covariance[np.ix_(o, o)], lower=True)
        residual = pattern.values - mean[o]
        solved = cho_solve(factor, residual.T)                     # S⁻¹ r_n, (|o|, n_p)
        n_p = pattern.rows.size
        log_lik -= 0.5 * (residual.size * _LOG_2PI
                          + n_p * 2.0 * np.sum(np.log(np.diag(factor[0])))
                          + np.sum(residual.T * solved))
        grad_mean[o] += solved.sum(axis=1)
        inverse = cho_solve(factor, np.eye(o.size))
        grad_cov[np.ix_(o, o)] += 0.5 * (solved @ solved.T - n_p * inverse)
    grad_chol = 2.0 * grad_cov @ chol
    grad_values = grad_chol[rows, cols]
    grad_values = np.where(rows == cols, grad_values * chol[rows, cols], grad_values)
    gradient = np.concatenate([grad_mean, grad_values])
    return -log_lik / n_rows, -gradient / n_rows


def direct_maximum_likelihood(X, *, init: GaussianParams | None = None,
                              gtol: float = 1e-10) -> GaussianParams:
    r"""Maximise log p(X_obs | μ, Σ) directly, without EM: BFGS over μ and the Cholesky factor
    L of Σ = LLᵀ (diagonal in logs, so Σ stays positive definite), with the analytic gradient.

    The reference EM is checked against. Parameters: X (N, D) with NaN for missing; init (None:
    observed means and variances); gtol, BFGS's gradient tolerance on −ℓ/N (a ValueError naming
    it when BFGS stops at rounding precision short of it). Raises RuntimeError if BFGS reports
    another failure with a gradient far from zero.
    """
    model = MissingGaussianModel(X)
    params = model.start() if init is None else _check_params(init, model.n_features, "init")
    gtol = check_real(gtol, "gtol", minimum=0.0, inclusive=False)
    # Work in standardised units (a fixed affine map: the ML estimate maps with it), so that
    # BFGS sees a well-scaled problem whatever the units of the columns.
    shift, scale = np.nanmean(model.X, axis=0), np.sqrt(np.diag(model.start().covariance))
    scaled = MissingGaussianModel((model.X - shift) / scale)
    start = GaussianParams((params.mean - shift) / scale,
                           params.covariance / np.outer(scale, scale))
    args = (scaled.patterns, model.n_features, model.n_items)
    solution = minimize(_negative_log_likelihood_and_gradient, _to_vector(start), args=args,
                        jac=True, method="BFGS", options={"gtol": gtol, "maxiter": 10_000})
    gradient = _negative_log_likelihood_and_gradient(solution.x, *args)[1]
    if not solution.success and np.max(np.abs(gradient)) > 1e3 * gtol:
        if solution.status == 2:          # precision loss: float64 resolves no smaller gradient
            raise ValueError(f"gtol = {gtol:g} is below what float64 resolves here: BFGS stopped "
                             f"at rounding precision with max |gradient| = "
                             f"{np.max(np.abs(gradient)):.2g} (of −ℓ/N, standardised units); use "
                             "a larger gtol (the default is 1e-10)")
        raise RuntimeError(f"BFGS did not converge: {solution.message}")
    found = _from_vector(solution.x, model.n_features)
    return GaussianParams(found.mean * scale + shift, found.covariance * np.outer(scale, scale))


# --------------------------------------------------------------------------------------------
# The shortcuts EM is compared with
# --------------------------------------------------------------------------------------------
def complete_case_estimate(X) -> GaussianParams:
    """Sample mean and covariance (divided by N_cc) of the rows with no missing entry."""
    X = check_data_with_missing(X)
    complete = X[~np.any(np.isnan(X), axis=1)]
    if complete.shape[0] < 2:
        raise ValueError(f"X has {complete.shape[0]} complete rows; complete-case analysis "
                         "needs at least two")
    try:
        return GaussianParams(complete.mean(axis=0), np.cov(complete.T, bias=True).reshape(
            X.shape[1], X.shape[1]))
    except ValueError as error:
        raise ValueError(f"the {complete.shape[0]} complete rows of X give a singular or unusable "
                         f"covariance ({error}; too few rows for the D features, or data too small for "
                         "float64?)") from None


def mean_imputation_estimate(X) -> GaussianParams:
    """Sample mean and covariance after replacing each missing entry by its column's observed
    mean: the mean is each column's observed mean, the variances shrink."""
    X = check_data_with_missing(X)
    filled = np.where(np.isnan(X), np.nanmean(X, axis=0), X)
    try:
        return GaussianParams(filled.mean(axis=0),
                              np.cov(filled.T, bias=True).reshape(X.shape[1], X.shape[1]))
    except ValueError as error:
        raise ValueError(f"the mean-imputed X gives no valid covariance ({error}; a column "
                         "with one observed value, or data too small for float64?)") from None


# --------------------------------------------------------------------------------------------
# Making data and making it incomplete
# --------------------------------------------------------------------------------------------
def sample(params: GaussianParams, n_samples: int, random_state=None) -> np.ndarray:
    """(n_samples, D) independent draws from N(μ, Σ)."""
    if not isinstance(params, GaussianParams):
        raise TypeError(f"params must be a GaussianParams, got {type(params).__name__}")
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    check_allocation(2.0 * n_samples * params.n_features, "n_samples",
                     f"({n_samples}, {params.n_features}) draws")
    rng = check_random_state(random_state)
    chol = np.linalg.cholesky(params.covariance)
    return params.mean + rng.standard_normal((n_samples, params.n_features)) @ chol.T


def ampute(X, fraction: float, mechanism: str = "MCAR", *, column: int = 0, driver: int = 1,
           strength: float = 2.0, random_state=None) -> np.ndarray:
    r"""A copy of complete data X with round(fraction·N) entries of ``column`` set to NaN.

    Which rows lose the entry is drawn without replacement with probabilities proportional to

    * "MCAR" (missing completely at random): 1 — unrelated to the data;
    * "MAR" (missing at random): exp(strength · z_driver), z the standardised value of the
      always-observed column ``driver`` — the probability depends only on observed data;
    * "MNAR" (missing not at random): exp(strength · z_column) — large values of ``column``
      itself go missing more often.

    Parameters: X (N, D) complete; fraction in [0, 1); mechanism one of ``MECHANISMS``; column,
    driver distinct column indices; strength >= 0; random_state None, int or Generator.
    """
    X = as_float_array(X, "X", ndim=2, copy=True)
    check_squares_fit(X)                  # the driver's standard deviation squares it
    fraction = check_real(fraction, "fraction", minimum=0.0)
    if fraction >= 1.0:
        raise ValueError(f"fraction must be below 1 (some values must stay observed), got "
                         f"{fraction}")
    if not isinstance(mechanism, str) or mechanism not in MECHANISMS:
        raise ValueError(f"mechanism must be one of {MECHANISMS}, got {mechanism!r}")
    n_samples, n_features = X.shape
    column = check_int(column, "column", minimum=0, maximum=n_features - 1)
    driver = check_int(driver, "driver", minimum=0, maximum=n_features - 1)
    if driver == column:
        raise ValueError(f"driver ({driver}) must differ from column ({column}): under MAR the "
                         "missingness depends on another, observed, column")
    strength = check_real(strength, "strength", minimum=0.0)
    rng = check_random_state(random_state)
    n_missing = int(round(fraction * n_samples))
    if mechanism == "MCAR":
        score = np.zeros(n_samples)
    else:
        values = X[:, driver if mechanism == "MAR" else column]
        spread = values.std()
        with np.errstate(over="ignore"):     # a huge strength: inf, caught below
            score = strength * ((values - values.mean()) / (spread if spread > 0 else 1.0))
    with np.errstate(over="ignore", invalid="ignore"):   # strength · z past float64: inf − inf
        weights = np.exp(score - score.max())
    if np.count_nonzero(weights > 0) < n_missing:         # NaN > 0 is False
        raise ValueError(f"strength = {strength:g} is too large: the selection probabilities "
                         f"exp(strength · z) underflow to 0 for all but "
                         f"{np.count_nonzero(weights > 0)} rows, fewer than the {n_missing} to "
                         "delete; use a smaller strength")
    rows = rng.choice(n_samples, size=n_missing, replace=False, p=weights / weights.sum())
    X[rows, column] = np.nan
    return X


@dataclass(frozen=True, eq=False)
class MechanismEstimates:
    """Estimates of column 0's mean and standard deviation, and of its correlation with column
    1, by each method, averaged over ``n_repeats`` samples that each lost entries of column 0.

    methods : ("complete data", "complete cases", "mean imputation", "EM").
    mean, std, correlation : (4,) the averages over the repeats, in that order.
    mean_se, std_se, correlation_se : (4,) the Monte-Carlo standard errors of those averages.
    truth : (3,) the mean, standard deviation and correlation of the Gaussian sampled from.
    sampling_se : (3,) the spread (standard deviation over repeats) of the complete-data
        estimates: the scale a bias should be compared with.
    mechanism, fraction : the settings.
    """

    methods: tuple
    mean: np.ndarray
    std: np.ndarray
    correlation: np.ndarray
    mean_se: np.ndarray
    std_se: np.ndarray
    correlation_se: np.ndarray
    truth: np.ndarray
    sampling_se: np.ndarray
    mechanism: str
    fraction: float

    def bias(self, quantity: str = "mean") -> np.ndarray:
        """(4,) average estimate minus the true value, per method."""
        index = _QUANTITIES.index(quantity) if quantity in _QUANTITIES else None
        if index is None:
            raise ValueError(f"quantity must be one of {_QUANTITIES}, got {quantity!r}")
        return getattr(self, quantity) - self.truth[index]


_QUANTITIES = ("mean", "std", "correlation")


def _summaries(params: GaussianParams) -> np.ndarray:
    cov = params.covariance
    return np.array([params.mean[0], np.sqrt(cov[0, 0]),
                     cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])])


def mechanism_estimates(params: GaussianParams, mechanism: str = "MAR", fraction: float = 0.4,
                        *, n_samples: int = 200, strength: float = 2.0, n_repeats: int = 100,
                        random_state=0) -> MechanismEstimates:
    """What complete-case analysis, mean imputation and EM estimate when column 0 loses
    ``fraction`` of its entries by ``mechanism`` (see ``ampute``; MAR is driven by column 1):
    over ``n_repeats`` fresh samples of ``n_samples`` rows from the bivariate Gaussian
    ``params``. The function behind notebook 06's widget.

    Returns MechanismEstimates (mean, standard deviation and correlation, per method).
    """
    if not isinstance(params, GaussianParams):
        raise TypeError(f"params must be a GaussianParams, got {type(params).__name__}")
    if params.n_features != 2:
        raise ValueError(f"params must be bivariate (column 0 loses values, column 1 drives MAR)"
                         f", but has {params.n_features} features")
    n_samples = check_int(n_samples, "n_samples", minimum=10)
    check_allocation(4.0 * n_samples, "n_samples", f"samples of {n_samples} rows")
    n_repeats = check_int(n_repeats, "n_repeats", minimum=2)
    check_allocation(12.0 * n_repeats, "n_repeats", f"the estimates of {n_repeats} repeats")
    rng = check_random_state(random_state)
    draws = np.empty((n_repeats, 4, 3))
    for r in range(n_repeats):
        X = sample(params, n_samples, random_state=rng)
        incomplete = ampute(X, fraction, mechanism, column=0, driver=1, strength=strength,
                            random_state=rng)
        draws[r, 0] = _summaries(GaussianParams(X.mean(axis=0), np.cov(X.T, bias=True)))
        draws[r, 1] = _summaries(complete_case_estimate(incomplete))
        draws[r, 2] = _summaries(mean_imputation_estimate(incomplete))
        draws[r, 3] = _summaries(fit(incomplete, tol=1e-10, max_iter=5000).params)
    average, spread = draws.mean(axis=0), draws.std(axis=0, ddof=1)
    se = spread / np.sqrt(n_repeats)
    return MechanismEstimates(("complete data", "complete cases", "mean imputation", "EM"),
                              average[:, 0], average[:, 1], average[:, 2], se[:, 0], se[:, 1],
                              se[:, 2], _summaries(params), spread[0], mechanism,
                              float(fraction))
