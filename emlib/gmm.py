r"""EM for a Gaussian mixture with full covariances.

The model (Bishop, *Pattern Recognition and Machine Learning*, 2006, section 9.2):

.. math::
    p(x \mid \theta) = \sum_{k=1}^K \pi_k \, \mathcal N(x \mid \mu_k, \Sigma_k).

E-step, the responsibilities (posterior of the latent component):

.. math::
    \gamma_{nk} = \frac{\pi_k \mathcal N(x_n\mid\mu_k,\Sigma_k)}{\sum_j \pi_j \mathcal N(x_n\mid\mu_j,\Sigma_j)}.

M-step, with :math:`N_k = \sum_n \gamma_{nk}`:

.. math::
    \pi_k = N_k / N, \quad
    \mu_k = \frac{1}{N_k}\sum_n \gamma_{nk} x_n, \quad
    \Sigma_k = \frac{1}{N_k}\sum_n \gamma_{nk} (x_n-\mu_k)(x_n-\mu_k)^\top + \text{reg\_covar}\, I.

Everything is computed in log space from the Cholesky factor of each *precision* matrix
:math:`\Lambda_k = \Sigma_k^{-1} = U_k U_k^\top` (``U_k`` upper triangular), so that

.. math::
    \log \mathcal N(x\mid\mu_k,\Sigma_k) = -\tfrac D2 \log 2\pi + \sum_i \log (U_k)_{ii}
    - \tfrac12 \lVert (x-\mu_k)^\top U_k \rVert^2 .

``e_step`` and ``m_step`` are written to be read beside those equations. ``fit`` runs the same
iteration through the *expected sufficient statistics* :math:`\sum_n\gamma_{nk}`,
:math:`\sum_n\gamma_{nk}x_n`, :math:`\sum_n\gamma_{nk}x_nx_n^\top`: with quadratic features
:math:`\phi(x) = (1, x, x_ix_j)`, one matrix product gives every component's log-density and one
more gives every statistic (see ``fit``). The two paths agree to ~1e-12 and are tested against
each other and against scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import logsumexp

from ._validation import (as_float_array, check_callable, check_data_matrix, check_distribution,
                          check_instance, check_int, check_n_features, check_random_state,
                          check_real, check_resp)

__all__ = [
    "GaussianMixtureParams",
    "GaussianMixtureResult",
    "e_step",
    "m_step",
    "log_likelihood",
    "estimate_log_prob",
    "n_parameters",
    "bic",
    "fit",
    "init_params",
    "sample",
]

_LOG_2PI = np.log(2.0 * np.pi)
# A component whose total responsibility N_k is below this is *empty*: it holds no data.
_EMPTY = 10.0 * np.finfo(np.float64).eps


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class GaussianMixtureParams:
    """Parameters θ = (π, μ, Σ) of a K-component Gaussian mixture in D dimensions.

    Attributes
    ----------
    weights : (K,) mixing weights π_k, non-negative, summing to 1. A weight of exactly 0 marks an
        empty component (see ``m_step``).
    means : (K, D) component means μ_k.
    covariances : (K, D, D) component covariances Σ_k, each symmetric positive definite.

    The arrays are validated and stored read-only: the Cholesky factors of the precisions,
    ``precisions_cholesky`` (K, D, D), are computed once here and must stay in step with them.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        weights = as_float_array(self.weights, "weights", ndim=1, copy=True)
        means = as_float_array(self.means, "means", ndim=2, copy=True)
        covariances = as_float_array(self.covariances, "covariances", ndim=3, copy=True)
        n_components, n_features = means.shape
        if weights.shape != (n_components,):
            raise ValueError(f"weights has shape {weights.shape} but means has {n_components} rows "
                             f"(components); weights must have shape ({n_components},)")
        if covariances.shape != (n_components, n_features, n_features):
            raise ValueError(f"covariances has shape {covariances.shape}; with means of shape "
                             f"{means.shape} it must be ({n_components}, {n_features}, {n_features})")
        check_distribution(weights, "weights")
        for array in (weights, means, covariances):
            array.setflags(write=False)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "covariances", covariances)
        object.__setattr__(self, "precisions_cholesky", _precisions_cholesky(covariances))

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    @property
    def n_features(self) -> int:
        return self.means.shape[1]


def _precisions_cholesky(covariances: np.ndarray) -> np.ndarray:
    """Upper-triangular U_k with Σ_k⁻¹ = U_k U_kᵀ, from the Cholesky factor Σ_k = C_k C_kᵀ.

    U_k = C_k⁻ᵀ; its diagonal gives log|Σ_k⁻¹|^½ = Σ_i log (U_k)_ii without a determinant.
    Raises ValueError naming the component when Σ_k is not symmetric positive definite.
    """
    n_components, n_features, _ = covariances.shape
    factors = np.empty_like(covariances)
    identity = np.eye(n_features)
    for k, cov in enumerate(covariances):
        scale = max(np.abs(cov).max(), np.finfo(float).tiny)
        if np.abs(cov - cov.T).max() > 1e-8 * scale:
            raise ValueError(f"covariances[{k}] is not symmetric")
        try:
            chol = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise ValueError(
                f"covariances[{k}] is not positive definite. A component has collapsed onto too few "
                "points (or a feature is constant): increase reg_covar, or use fewer components."
            ) from None
        # Cholesky can "succeed" on a matrix that is singular to working precision. The pivot²
        # over the variance, C_ii²/Σ_ii, is the fraction of x_i's variance not explained by the
        # earlier features: at rounding level the component lies on a lower-dimensional subspace.
        # (Relative to each feature's own variance, so features in very different units are fine.)
        unexplained = np.diag(chol) ** 2 / np.diag(cov)
        if not np.all(unexplained > 10 * n_features * np.finfo(float).eps):
            raise ValueError(
                f"covariances[{k}] is singular to working precision: the component has collapsed "
                "onto a line, plane or point (too few distinct points): increase reg_covar, or "
                "use fewer components.")
        factors[k] = solve_triangular(chol, identity, lower=True).T
    if not np.all(np.isfinite(factors)):
        raise ValueError("covariances are too close to singular to invert: increase reg_covar")
    return factors


_check_X = check_data_matrix


def _check_params(params) -> GaussianMixtureParams:
    return check_instance(params, GaussianMixtureParams, "params")


def _check_X_params(X, params):
    X = check_data_matrix(X)
    params = _check_params(params)
    return check_n_features(X, params.n_features), params


# --------------------------------------------------------------------------------------------
# E-step
# --------------------------------------------------------------------------------------------
def _log_gaussian(X, means, precisions_cholesky):
    """log N(x_n | μ_k, Σ_k) for every n, k: (N, D) × (K, D) × (K, D, D) → (N, K).

    One matrix product X @ [U_1 … U_K] gives (x_n U_k) for all k at once; μ_k U_k is subtracted
    afterwards, so the Mahalanobis term is ‖x_nᵀU_k − μ_kᵀU_k‖².
    """
    n_samples, n_features = X.shape
    n_components = means.shape[0]
    log_det_half = np.log(np.diagonal(precisions_cholesky, axis1=1, axis2=2)).sum(axis=1)
    all_factors = precisions_cholesky.transpose(1, 0, 2).reshape(n_features, -1)   # (D, K·D)
    shifted_means = np.einsum("kd,kde->ke", means, precisions_cholesky)            # μ_kᵀ U_k
    # Rows in blocks so the (block, K, D) intermediate stays small.
    block = max(1, 2**20 // max(1, n_components * n_features))
    mahalanobis = np.empty((n_samples, n_components))
    for start in range(0, n_samples, block):
        y = (X[start:start + block] @ all_factors).reshape(-1, n_components, n_features)
        y -= shifted_means
        np.einsum("nkd,nkd->nk", y, y, out=mahalanobis[start:start + block])
    return -0.5 * (n_features * _LOG_2PI + mahalanobis) + log_det_half


def _weighted_log_prob(X, params):
    """log π_k + log N(x_n | μ_k, Σ_k), shape (N, K); -inf for an empty component."""
    with np.errstate(divide="ignore"):
        log_weights = np.log(params.weights)
    return _log_gaussian(X, params.means, params.precisions_cholesky) + log_weights


def estimate_log_prob(X, params) -> np.ndarray:
    """Per-sample, per-component log π_k + log N(x_n | μ_k, Σ_k).

    Parameters: X (N, D); params with K components. Returns (N, K). Used for the log joint
    log p(x_n, z_n = k | θ) in ELBO and KL computations.
    """
    X, params = _check_X_params(X, params)
    return _weighted_log_prob(X, params)


def e_step(X, params):
    """E-step: responsibilities γ_nk = p(z_n = k | x_n, θ) and the total log-likelihood.

    Parameters
    ----------
    X : (N, D) data.
    params : GaussianMixtureParams with K components in D dimensions.

    Returns
    -------
    resp : (N, K), rows summing to 1, γ_nk = exp(log π_k N(x_n|μ_k,Σ_k) − log p(x_n|θ)).
    log_likelihood : float, Σ_n log p(x_n | θ) with log p(x_n|θ) = logsumexp_k log π_k N(x_n|μ_k,Σ_k).

    Done in log space: a point thousands of standard deviations from every component still gets
    finite responsibilities (all of them go to the least-distant component).
    """
    return _e_step(*_check_X_params(X, params))


def log_likelihood(X, params) -> float:
    """Total log-likelihood Σ_n log Σ_k π_k N(x_n | μ_k, Σ_k) (a sum over samples, not a mean)."""
    X, params = _check_X_params(X, params)
    return float(logsumexp(_weighted_log_prob(X, params), axis=1).sum())


# --------------------------------------------------------------------------------------------
# Model selection
# --------------------------------------------------------------------------------------------
def n_parameters(params) -> int:
    r"""Number of free parameters of a K-component, D-dimensional full-covariance mixture.

    .. math::
        p = \underbrace{(K - 1)}_{\pi} + \underbrace{K D}_{\mu}
            + \underbrace{K \tfrac{D (D + 1)}{2}}_{\Sigma} ,

    the weights losing one degree of freedom to Σ_k π_k = 1 and each symmetric Σ_k having
    D(D+1)/2. Every component counts, an empty one (weight 0) included, as in scikit-learn.
    """
    params = _check_params(params)
    k, d = params.n_components, params.n_features
    return (k - 1) + k * d + k * d * (d + 1) // 2


def bic(X, params) -> float:
    r"""Bayesian information criterion of the mixture ``params`` on the data X (lower is better).

    .. math::
        \mathrm{BIC} = -2 \log p(X \mid \theta) + p \log N ,

    with the total log-likelihood ``log_likelihood(X, params)``, p = ``n_parameters(params)``
    and N the number of rows of X (Schwarz, *Annals of Statistics* 6, 461–464, 1978). To choose
    K, fit each K on the same X and take the smallest BIC.

    Parameters: X (N, D); params with K components in D dimensions. Returns a float.
    """
    total = log_likelihood(X, params)                  # checks X and params
    return -2.0 * total + n_parameters(params) * np.log(np.shape(X)[0])


# --------------------------------------------------------------------------------------------
# M-step
# --------------------------------------------------------------------------------------------
def _params_from_moments(nk, means, covariances, reg_covar, X_mean, X_cov):
    """π_k = N_k/N and Σ_k + reg_covar·I; an empty component (N_k ≈ 0) gets weight 0.

    An empty component has no data to estimate μ_k, Σ_k from. It keeps weight exactly 0, so it
    drops out of the mixture (its log π_k is -inf and it never takes responsibility again, which
    leaves the likelihood and EM's monotonicity untouched); its mean and covariance are set to
    the data's so that the parameters stay finite and valid.
    """
    n_features = means.shape[1]
    empty = nk < _EMPTY
    weights = np.where(empty, 0.0, nk) / nk.sum()
    means = np.where(empty[:, None], X_mean, means)
    covariances = np.where(empty[:, None, None], X_cov, covariances)
    covariances = covariances + reg_covar * np.eye(n_features)
    return GaussianMixtureParams(weights, means, covariances)


def _data_moments(X):
    mean = X.mean(axis=0)
    centred = X - mean
    return mean, centred.T @ centred / X.shape[0]


_check_resp = check_resp


def m_step(X, resp, reg_covar: float = 1e-6) -> GaussianMixtureParams:
    """M-step: the parameters that maximise the expected complete-data log-likelihood.

    Parameters
    ----------
    X : (N, D) data.
    resp : (N, K) responsibilities γ_nk, rows summing to 1.
    reg_covar : float >= 0, added to the diagonal of every Σ_k (guards against a component
        collapsing onto a single point, where the likelihood is unbounded).

    Returns
    -------
    GaussianMixtureParams with π_k = N_k/N, μ_k = Σ_n γ_nk x_n / N_k and
    Σ_k = Σ_n γ_nk (x_n−μ_k)(x_n−μ_k)ᵀ / N_k + reg_covar·I, where N_k = Σ_n γ_nk.
    A component with N_k ≈ 0 is *empty*: it gets weight 0 and the data's mean and covariance.
    """
    X = _check_X(X)
    resp = _check_resp(resp, X.shape[0])
    reg_covar = check_real(reg_covar, "reg_covar", minimum=0.0)
    nk = resp.sum(axis=0)                                           # N_k
    safe_nk = np.maximum(nk, _EMPTY)
    means = resp.T @ X / safe_nk[:, None]                           # μ_k
    covariances = np.empty((resp.shape[1], X.shape[1], X.shape[1]))
    for k in range(resp.shape[1]):
        diff = X - means[k]                                         # centred: no cancellation
        covariances[k] = (resp[:, k] * diff.T) @ diff / safe_nk[k]  # Σ_k
    return _params_from_moments(nk, means, covariances, reg_covar, *_data_moments(X))


# --------------------------------------------------------------------------------------------
# Sampling from known parameters
# --------------------------------------------------------------------------------------------
def sample(params, n_samples: int, random_state=None) -> tuple[np.ndarray, np.ndarray]:
    """Draw n_samples points from a Gaussian mixture, with the component each came from.

    For each n: z_n ~ Categorical(π), then x_n ~ N(μ_{z_n}, Σ_{z_n}), drawn as
    x_n = μ_{z_n} + L_{z_n} ε_n with ε_n ~ N(0, I) and Σ_k = L_k L_kᵀ (Cholesky).

    Parameters
    ----------
    params : GaussianMixtureParams with K components in D dimensions.
    n_samples : N >= 1.
    random_state : None, an int seed or a numpy Generator; the same seed gives the same sample.

    Returns
    -------
    X : (N, D) float array, the points.
    labels : (N,) int array, z_n in 0..K−1 (a component with weight 0 never appears).
    """
    params = _check_params(params)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    rng = check_random_state(random_state)
    # params.weights sum to 1 within 1e-8; Generator.choice wants it to rounding.
    weights = params.weights / params.weights.sum()
    labels = rng.choice(params.n_components, size=n_samples, p=weights)
    noise = rng.standard_normal((n_samples, params.n_features))
    chol = np.linalg.cholesky(params.covariances)     # params guarantees positive definite
    X = np.empty((n_samples, params.n_features))
    for k in range(params.n_components):
        members = labels == k
        X[members] = params.means[k] + noise[members] @ chol[k].T
    return X, labels


# --------------------------------------------------------------------------------------------
# Initialisation
# --------------------------------------------------------------------------------------------
def _kmeans_plusplus(X, n_components, rng):
    """k-means++ seeding (Arthur & Vassilvitskii, 2007): each new centre is a data point drawn
    with probability proportional to its squared distance to the nearest centre so far."""
    n_samples = X.shape[0]
    centres = np.empty((n_components, X.shape[1]))
    centres[0] = X[rng.integers(n_samples)]
    closest = ((X - centres[0]) ** 2).sum(axis=1)
    for k in range(1, n_components):
        total = closest.sum()
        index = rng.choice(n_samples, p=closest / total) if total > 0 else rng.integers(n_samples)
        centres[k] = X[index]
        np.minimum(closest, ((X - centres[k]) ** 2).sum(axis=1), out=closest)
    return centres


def init_params(X, n_components: int, *, method: str = "kmeans++", reg_covar: float = 1e-6,
                random_state=None) -> GaussianMixtureParams:
    """Starting parameters θ⁰ for EM.

    ``method="kmeans++"`` picks K centres by k-means++ seeding, ``"random"`` picks K distinct data
    points uniformly; each point is then assigned to its nearest centre and one M-step on those
    hard responsibilities gives π, μ, Σ. A centre that wins no point starts as an empty
    component (see ``m_step``).
    """
    X = _check_X(X)
    n_components = check_int(n_components, "n_components", minimum=1, maximum=X.shape[0],
                             maximum_reason=" (the number of samples)")
    reg_covar = check_real(reg_covar, "reg_covar", minimum=0.0)
    rng = check_random_state(random_state)
    if method == "kmeans++":
        centres = _kmeans_plusplus(X, n_components, rng)
    elif method == "random":
        centres = X[rng.choice(X.shape[0], size=n_components, replace=False)]
    else:
        raise ValueError(f'method must be "kmeans++" or "random", got {method!r}')
    distances = np.column_stack([((X - centre) ** 2).sum(axis=1) for centre in centres])
    resp = np.zeros((X.shape[0], n_components))
    resp[np.arange(X.shape[0]), distances.argmin(axis=1)] = 1.0
    return m_step(X, resp, reg_covar)


# --------------------------------------------------------------------------------------------
# fit: the same E- and M-step through expected sufficient statistics
# --------------------------------------------------------------------------------------------
# Quadratic features are kept in memory when they take at most this many bytes; above it they
# are rebuilt block by block in every iteration.
_FEATURE_BUDGET = 512 * 2**20
# Rows per block: small enough that a block's features and probabilities stay in cache.
_BLOCK_BYTES = 2**19
# exp(log-density) is used directly when a row's total lies in [_TINY, _HUGE]; other rows (far
# outliers, extremely peaked components) are redone with the max-shifted log-sum-exp.
_TINY, _HUGE = 1e-280, 1e280
# The feature path computes xᵀΛx − 2xᵀΛμ + μᵀΛμ; when those terms are this many times larger
# than O(1) the cancellation costs ~eps·this in the log-density and the component is evaluated
# with the centred Cholesky form instead.
_E_CANCELLATION_MAX = 1e5
# Σγxxᵀ/N_k − μμᵀ loses ~log10(amplification) digits, amplification = E[x_d²]/Var[x_d]; above this
# the component's covariance is recomputed from centred products (x − μ_k).
_M_AMPLIFICATION_MAX = 1e4
# The E-step keeps the responsibilities of components predicted (from the current parameters) to
# come close to that limit, so the centred recomputation needs no second E-step.
_M_KEEP_MIN = 1e3


@dataclass(frozen=True, eq=False)
class GaussianMixtureResult:
    """What ``fit`` returns.

    params : the final GaussianMixtureParams θ^(n_iter).
    resp : (N, K) responsibilities under the final parameters.
    log_likelihoods : (n_iter + 1,) total log-likelihood log p(X | θ^(t)) for t = 0 (the start)
        to t = n_iter (the final parameters); never decreasing (up to rounding).
    n_iter : number of M-steps done.
    converged : whether the mean per-sample log-likelihood rose by less than ``tol``.
    """

    params: GaussianMixtureParams
    resp: np.ndarray
    log_likelihoods: np.ndarray
    n_iter: int
    converged: bool


class _ExpectedStatistics:
    """E-step and M-step of ``fit`` through expected sufficient statistics.

    X is centred at its mean c once, and each row gets quadratic features
    φ(x) = (1, x − c, (x_i − c_i)(x_j − c_j) for i ≤ j), F = 1 + D + D(D+1)/2 of them. Then

    * every component's log π_k N(x|μ_k, Σ_k) is linear in φ(x) — its natural parameters
      (log-normaliser, Λ_k m_k, −½Λ_k) — so one matrix product ``Wᵀ φᵀ`` gives the (K, B)
      log-densities of a block of B rows;
    * the expected sufficient statistics (Σ_n γ_nk, Σ_n γ_nk x_n, Σ_n γ_nk x_n x_nᵀ) are the
      (K, F) product ``γ φ`` of the (K, B) responsibilities and the features, accumulated block
      by block, so the (N, K) responsibilities are never stored.

    Centring keeps the uncentred second moments accurate for most data; the components for which
    it does not (a tight cluster far from the data mean) are detected and done the centred way.
    """

    def __init__(self, X):
        n_samples, n_features = X.shape
        self.n_samples, self.n_features = n_samples, n_features
        self.shift, self.data_cov = _data_moments(X)
        self.Xc = X - self.shift
        self.rows, self.cols = np.triu_indices(n_features)
        self.n_quadratic = 1 + n_features + self.rows.size
        self.block = int(np.clip(_BLOCK_BYTES // (8 * self.n_quadratic), 32, 16384))
        if n_samples * self.n_quadratic * 8 <= _FEATURE_BUDGET:
            self.phi = np.empty((n_samples, self.n_quadratic))
            for start in range(0, n_samples, self.block):
                self._fill_features(self.Xc[start:start + self.block],
                                    self.phi[start:start + self.block])
        else:
            self.phi = None
            self.buffer = np.empty((self.block, self.n_quadratic))

    def _fill_features(self, x, out):
        d = self.n_features
        out[:, 0] = 1.0
        out[:, 1:1 + d] = x
        np.multiply(x[:, self.rows], x[:, self.cols], out=out[:, 1 + d:])

    def _features(self, start, stop):
        if self.phi is not None:
            return self.phi[start:stop]
        out = self.buffer[:stop - start]
        self._fill_features(self.Xc[start:stop], out)
        return out

    def _natural_params(self, params, log_weights):
        """W (F, K) with φ(x)ᵀ W[:, k] = log π_k + log N(x | μ_k, Σ_k) in centred coordinates,
        and the components whose cancellation is too large for that form."""
        d = self.n_features
        m = params.means - self.shift
        U = params.precisions_cholesky
        precisions = U @ U.transpose(0, 2, 1)                                   # Λ_k
        lin = np.einsum("kij,kj->ki", precisions, m)                           # Λ_k m_k
        mahal_m = np.einsum("ki,ki->k", m, lin)                                 # m_kᵀ Λ_k m_k
        log_det_half = np.log(np.diagonal(U, axis1=1, axis2=2)).sum(axis=1)
        W = np.empty((self.n_quadratic, params.n_components))
        W[0] = log_weights + log_det_half - 0.5 * (d * _LOG_2PI + mahal_m)
        W[1:1 + d] = lin.T
        off_diagonal = np.where(self.rows == self.cols, 0.5, 1.0)
        W[1 + d:] = -(precisions[:, self.rows, self.cols] * off_diagonal).T
        # Size of the largest terms summed for a point within 4σ of μ_k, where the component's
        # responsibilities live; the rounding error of the sum is ~eps times this.
        a = np.abs(m) + 4.0 * np.sqrt(np.diagonal(params.covariances, axis1=1, axis2=2))
        cancellation = (0.5 * mahal_m + np.einsum("ki,ki->k", a, np.abs(lin))
                        + 0.5 * np.einsum("ki,kij,kj->k", a, np.abs(precisions), a))
        return W, cancellation > _E_CANCELLATION_MAX

    def expected(self, params):
        """One E-step: the (K, F) expected statistics γᵀφ and the total log-likelihood."""
        n_components, d = params.n_components, self.n_features
        m = params.means - self.shift
        U = params.precisions_cholesky
        with np.errstate(divide="ignore"):
            log_weights = np.log(params.weights)
        inactive = params.weights == 0
        W, exact = self._natural_params(params, np.where(inactive, 0.0, log_weights))
        exact &= ~inactive
        # Components whose covariance will probably need the centred recomputation in the
        # M-step keep their responsibilities (predicted from the current parameters).
        variances = np.diagonal(params.covariances, axis1=1, axis2=2)
        keep = (1.0 + (m**2 / variances).max(axis=1) > _M_KEEP_MIN) & ~inactive
        kept = np.empty((self.n_samples, int(keep.sum()))) if keep.any() else None

        stats = np.zeros((n_components, self.n_quadratic))
        total_log_likelihood = 0.0
        W_rows = np.ascontiguousarray(W.T)
        # Blocks are laid out component-major, (K, B), so that the exp, the sum over components
        # and the normalisation below are long contiguous row operations.
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            for start in range(0, self.n_samples, self.block):
                stop = min(start + self.block, self.n_samples)
                phi = self._features(start, stop)
                prob = W_rows @ phi.T                               # log π_k N(x_n | μ_k, Σ_k)
                if exact.any():
                    prob[exact] = (_log_gaussian(self.Xc[start:stop], m[exact], U[exact]).T
                                   + log_weights[exact, None])
                if inactive.any():
                    prob[inactive] = -np.inf
                np.exp(prob, out=prob)
                total = prob.sum(axis=0)                            # p(x_n | θ)
                log_total = np.log(total)
                if not (total.min() > _TINY and total.max() < _HUGE):   # NaN fails this too
                    bad = ~((total > _TINY) & (total < _HUGE))      # rare: shift by the max
                    log_prob = _log_gaussian(self.Xc[start:stop][bad], m, U) + log_weights
                    log_total[bad] = logsumexp(log_prob, axis=1)
                    prob[:, bad] = np.exp(log_prob - log_total[bad][:, None]).T
                    total[bad] = 1.0
                total_log_likelihood += log_total.sum()
                prob /= total                                       # γ_nk, shape (K, B)
                stats += prob @ phi                                 # Σ_n γ_nk φ(x_n)
                if kept is not None:
                    kept[start:stop] = prob[keep].T
        return (stats, keep, kept), float(total_log_likelihood)

    def maximize(self, expected, params, reg_covar):
        """One M-step from the expected statistics of ``expected`` (under ``params``)."""
        stats, keep, kept = expected
        d = self.n_features
        nk = stats[:, 0]
        safe_nk = np.maximum(nk, _EMPTY)
        means = stats[:, 1:1 + d] / safe_nk[:, None]                  # centred μ_k
        second = np.empty((params.n_components, d, d))
        second[:, self.rows, self.cols] = stats[:, 1 + d:]
        second[:, self.cols, self.rows] = stats[:, 1 + d:]
        second /= safe_nk[:, None, None]                               # E_γ[(x−c)(x−c)ᵀ]
        covariances = second - means[:, :, None] * means[:, None, :]
        variances = np.diagonal(covariances, axis1=1, axis2=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            amplification = np.where(variances > 0,
                                     np.diagonal(second, axis1=1, axis2=2) / variances, np.inf)
        redo = (amplification.max(axis=1) > _M_AMPLIFICATION_MAX) & (nk >= _EMPTY)
        if redo.any():
            kept_index = np.cumsum(keep) - 1
            resp = None
            for k in np.flatnonzero(redo):
                if keep[k]:
                    gamma = kept[:, kept_index[k]]
                else:                     # not predicted: recompute this iteration's γ (rare)
                    if resp is None:
                        resp, _ = _e_step(self.Xc, _shifted(params, -self.shift))
                    gamma = resp[:, k]
                diff = self.Xc - means[k]
                covariances[k] = (gamma * diff.T) @ diff / safe_nk[k]
        return _params_from_moments(nk, means + self.shift, covariances, reg_covar,
                                    self.shift, self.data_cov)


def _shifted(params, offset):
    return GaussianMixtureParams(params.weights, params.means + offset, params.covariances)


def _e_step(X, params):
    """e_step without the input checks, for callers that have done them."""
    log_prob = _weighted_log_prob(X, params)
    log_norm = logsumexp(log_prob, axis=1)
    return np.exp(log_prob - log_norm[:, None]), float(log_norm.sum())


def fit(X, n_components: int, *, init="kmeans++", max_iter: int = 100, tol: float = 1e-6,
        reg_covar: float = 1e-6, random_state=None,
        callback: Callable[[int, GaussianMixtureParams, float], None] | None = None,
        ) -> GaussianMixtureResult:
    """Fit a K-component full-covariance Gaussian mixture to X by EM.

    Parameters
    ----------
    X : (N, D) data.
    n_components : K, between 1 and N.
    init : "kmeans++" (default), "random", or a GaussianMixtureParams to start from (see
        ``init_params``).
    max_iter : most EM iterations (M-steps); 0 only evaluates the start.
    tol : stop when the mean log-likelihood per sample, log p(X|θ)/N, rises by less than this.
        tol=0 runs exactly ``max_iter`` iterations.
    reg_covar : added to the diagonal of every covariance in each M-step (>= 0). It keeps a
        component that collapses onto a few points finite; it also makes the M-step inexact, so
        the log-likelihood of a nearly singular component can fall by O(reg_covar / λ_min).
    random_state : seed or numpy Generator for the initialisation.
    callback : called as ``callback(t, params, log_likelihood)`` for t = 0, 1, … with θ^(t) and
        log p(X | θ^(t)); use it to record snapshots or show progress.

    Returns
    -------
    GaussianMixtureResult with params, resp, log_likelihoods (length n_iter + 1), n_iter and
    converged.

    A component that loses all its responsibility becomes *empty*: weight exactly 0 (it drops out
    of the mixture and never takes responsibility again), the data's mean and covariance as its
    parameters. A component that collapses onto fewer points than dimensions raises ValueError
    advising a larger reg_covar.

    Each iteration is the E-step and M-step of ``e_step`` / ``m_step``, computed through the
    expected sufficient statistics (see ``_ExpectedStatistics``): one matrix product for all K
    log-densities of a block of rows, one for all statistics, and no (N, K) array kept between
    steps. The result agrees with alternating ``e_step``/``m_step`` to rounding.
    """
    X = _check_X(X)
    n_samples, n_features = X.shape
    n_components = check_int(n_components, "n_components", minimum=1, maximum=n_samples,
                             maximum_reason=" (the number of samples in X)")
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    tol = check_real(tol, "tol", minimum=0.0)
    reg_covar = check_real(reg_covar, "reg_covar", minimum=0.0)
    check_callable(callback, "callback")
    if isinstance(init, GaussianMixtureParams):
        if init.n_components != n_components or init.n_features != n_features:
            raise ValueError(f"init has {init.n_components} components in {init.n_features} "
                             f"dimensions, but n_components={n_components} and X has "
                             f"{n_features} features")
        params = init
    elif isinstance(init, str):
        params = init_params(X, n_components, method=init, reg_covar=reg_covar,
                             random_state=random_state)
    else:
        raise TypeError('init must be "kmeans++", "random" or a GaussianMixtureParams, '
                        f"got {type(init).__name__}")

    engine = _ExpectedStatistics(X)
    log_likelihoods = []
    converged = False
    for iteration in range(max_iter):
        expected, current = engine.expected(params)                 # E-step at θ^(t)
        log_likelihoods.append(current)
        if callback is not None:
            callback(iteration, params, current)
        if iteration > 0 and abs(current - log_likelihoods[-2]) < tol * n_samples:
            converged = True
            break
        params = engine.maximize(expected, params, reg_covar)       # M-step: θ^(t+1)
    n_iter = len(log_likelihoods) - 1 if converged else max_iter
    resp, final = _e_step(X, params)
    if not converged:
        log_likelihoods.append(final)
        if callback is not None:
            callback(n_iter, params, final)
        converged = n_iter > 0 and abs(final - log_likelihoods[-2]) < tol * n_samples
    return GaussianMixtureResult(params, resp, np.array(log_likelihoods), n_iter, bool(converged))
