r"""EM for a Gaussian mixture with full covariances, on the driver :mod:`emlib.em`.

The model (Bishop, *Pattern Recognition and Machine Learning*, 2006, section 9.2), with 0-based
components k = 0 … K−1:

.. math::
    p(x \mid \theta) = \sum_{k=0}^{K-1} \pi_k \, \mathcal N(x \mid \mu_k, \Sigma_k).

**E-step**, the responsibilities (posterior of the latent component) and, from them, the expected
sufficient statistics of every component about a *reference point* :math:`c_k`:

.. math::
    \gamma_{nk} = \frac{\pi_k \mathcal N(x_n\mid\mu_k,\Sigma_k)}{\sum_j \pi_j \mathcal N(x_n\mid\mu_j,\Sigma_j)},
    \qquad
    N_k = \sum_n \gamma_{nk}, \quad
    s_k = \sum_n \gamma_{nk} (x_n - c_k), \quad
    T_k = \sum_n \gamma_{nk} (x_n - c_k)(x_n - c_k)^\top .

**M-step**, from the statistics alone, with :math:`d_k = s_k / N_k`:

.. math::
    \pi_k = N_k / N, \quad \mu_k = c_k + d_k, \quad
    \Sigma_k = T_k / N_k - d_k d_k^\top \;(+\, r I).

The statistics (:class:`GaussianMixtureStatistics`) are sums over data points, so those of two
blocks of rows add up to those of their union: this is the seam that incremental, stepwise and
distributed EM use (lecture 08). The reference point only changes the rounding, not the
result; :math:`c_k` = the data mean keeps the numbers small.

**reg_covar** (:math:`r`, default :math:`10^{-6}` as in scikit-learn) adds :math:`rI` to every
:math:`\Sigma_k` after the M-step. That is *not EM*: the M-step no longer maximises the expected
complete-data log-likelihood, so log p(X | θ) can decrease from one iteration to the next
(slightly, or for many iterations in a row near a nearly singular component). Nor is it MAP-EM
under any fixed prior: if :math:`\Sigma = C + rI` (C the weighted covariance) maximised
:math:`Q + \log p(\Sigma)` for component k, the prior's gradient would have to be
:math:`\nabla_\Sigma \log p(\Sigma) = \tfrac{N_k r}{2}\Sigma^{-2}`, which depends on the data
count :math:`N_k`. The principled alternative is ``prior=GaussianMixturePrior(...)``: a conjugate
inverse-Wishart prior on every :math:`\Sigma_k` (and optionally a Dirichlet prior on π), whose
M-step

.. math::
    \Sigma_k = \frac{\Psi + T_k - N_k d_k d_k^\top}{N_k + \nu + D + 1}, \qquad
    \pi_k = \frac{N_k + \alpha_k - 1}{N + \sum_j (\alpha_j - 1)}

is the exact maximiser of :math:`Q(\theta) + \log p(\theta)`, so that EM provably never decreases
the log-posterior :math:`\log p(X\mid\theta) + \log p(\theta)` (:func:`log_posterior`).

Everything is computed in log space from the Cholesky factor of each *precision* matrix
:math:`\Lambda_k = \Sigma_k^{-1} = U_k U_k^\top` (``U_k`` upper triangular):

.. math::
    \log \mathcal N(x\mid\mu_k,\Sigma_k) = -\tfrac D2 \log 2\pi + \sum_i \log (U_k)_{ii}
    - \tfrac12 \lVert (x-\mu_k)^\top U_k \rVert^2 .

``e_step``, ``expected_statistics`` and ``m_step`` are the readable copies, written beside those
equations. ``fit`` runs :class:`GaussianMixtureModel` on ``emlib.em.run``; its E-step computes the
same responsibilities and statistics block by block without storing the (N, K) responsibilities,
in one of two formulations (see "The engine" below): through quadratic features
φ(x) = (1, x, x_i x_j) and natural parameters W at small D, through whitened coordinates
:math:`U_k^\top(x - \mu_k)` at large D. Both are tested against the readable copies and against
scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Callable

import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import gammaln, logsumexp, multigammaln, xlogy

from ._validation import (as_float_array, check_allocation, check_bool, check_data_matrix,
                          check_distribution, check_instance, check_int, check_mixture_log_joint,
                          check_n_features, check_random_state, check_real, check_resp,
                          check_squares_fit)
from .em import EMResult, SufficientStatistics, check_em_arguments, run

__all__ = [
    "GaussianMixtureParams",
    "GaussianMixtureStatistics",
    "GaussianMixturePrior",
    "GaussianMixtureModel",
    "GaussianMixtureResult",
    "e_step",
    "expected_statistics",
    "params_from_statistics",
    "m_step",
    "log_likelihood",
    "log_prior",
    "log_posterior",
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
# scikit-learn's default reg_covar, used when neither reg_covar nor a prior is given.
_DEFAULT_REG_COVAR = 1e-6


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
        # The rule X obeys: a mean whose square overflows makes every point near it overflow.
        check_squares_fit(means, "means")
        _check_normal_variances(covariances)
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


def _check_normal_variances(covariances: np.ndarray, name: str = "covariances") -> None:
    """A variance below the smallest normal float (2.2e-308, e.g. a subnormal 1e-310) has a
    precision whose square overflows: every point off the mean would get log-density −inf."""
    variances = np.diagonal(covariances, axis1=1, axis2=2)
    tiny = np.finfo(np.float64).tiny
    if np.any(variances < tiny):
        k, i = (int(j) for j in np.argwhere(variances < tiny)[0])
        raise ValueError(f"{name}[{k}] has the variance {name}[{k}][{i}, {i}] = "
                         f"{variances[k, i]:.3g}, below the smallest normal float ({tiny:.3g}): "
                         "its precision overflows float64; rescale the data or increase reg_covar")


def _precisions_cholesky(covariances: np.ndarray, name: str = "covariances") -> np.ndarray:
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
            raise ValueError(f"{name}[{k}] is not symmetric")
        try:
            chol = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise ValueError(
                f"{name}[{k}] is not positive definite. A component has collapsed onto too few "
                "points (or a feature is constant): increase reg_covar, give a prior, or use "
                "fewer components.") from None
        # Cholesky can "succeed" on a matrix that is singular to working precision. The pivot²
        # over the variance, C_ii²/Σ_ii, is the fraction of x_i's variance not explained by the
        # earlier features: at rounding level the component lies on a lower-dimensional subspace.
        # (Relative to each feature's own variance, so features in very different units are fine.)
        unexplained = np.diag(chol) ** 2 / np.diag(cov)
        if not np.all(unexplained > 10 * n_features * np.finfo(float).eps):
            raise ValueError(
                f"{name}[{k}] is singular to working precision: the component has collapsed "
                "onto a line, plane or point (too few distinct points): increase reg_covar, give "
                "a prior, or use fewer components.")
        factors[k] = solve_triangular(chol, identity, lower=True).T
    if not np.all(np.isfinite(factors)):
        raise ValueError(f"{name} are too close to singular to invert: increase reg_covar")
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

    One matrix product X @ [U_0 … U_{K−1}] gives (x_n U_k) for all k at once; μ_k U_k is
    subtracted afterwards, so the Mahalanobis term is ‖x_nᵀU_k − μ_kᵀU_k‖².
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
    return check_mixture_log_joint(_weighted_log_prob, X, params)


def _evaluated(function, X, params):
    """``function(X, params)`` (``_e_step``, the log-likelihood) with float64's overflow
    warnings silenced; a result that is not finite is diagnosed by ``check_mixture_log_joint``
    (an error naming X or params) instead of being returned."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = function(X, params)
    parts = result if isinstance(result, tuple) else (result,)
    if not all(np.all(np.isfinite(part)) for part in parts):
        check_mixture_log_joint(_weighted_log_prob, X, params)
        raise ValueError("X and params give log-densities that are not finite in float64; "
                         "rescale the data (emlib.datasets.standardize)")
    return result


def _e_step(X, params):
    """e_step without the input checks, for callers that have done them."""
    log_prob = _weighted_log_prob(X, params)
    log_norm = logsumexp(log_prob, axis=1)
    return np.exp(log_prob - log_norm[:, None]), float(log_norm.sum())


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
    return _evaluated(_e_step, *_check_X_params(X, params))


def log_likelihood(X, params) -> float:
    """Total log-likelihood Σ_n log Σ_k π_k N(x_n | μ_k, Σ_k) (a sum over samples, not a mean)."""
    X, params = _check_X_params(X, params)
    return _evaluated(lambda X, params: float(logsumexp(_weighted_log_prob(X, params), axis=1).sum()),
                      X, params)


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
# Expected sufficient statistics: the seam between the E-step and the M-step
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class GaussianMixtureStatistics(SufficientStatistics):
    r"""The expected sufficient statistics of a Gaussian mixture under θ^(t), about reference points.

    Attributes
    ----------
    counts : (K,) N_k = Σ_n γ_nk, the expected number of points of component k.
    sums : (K, D) s_k = Σ_n γ_nk (x_n − c_k).
    outer : (K, D, D) T_k = Σ_n γ_nk (x_n − c_k)(x_n − c_k)ᵀ, symmetric.
    reference : (K, D) c_k, the point component k's sums and outer products are taken about.
        It is *not* a sum over points: it is carried along, not added.

    ``counts``, ``sums`` and ``outer`` are sums over data points, so for two blocks of rows A
    and B with the same references, ``stats(A) + stats(B)`` equals ``stats(A ∪ B)`` and
    ``0.3 * stats`` scales them (stepwise EM's blend); adding statistics about different
    references raises ValueError (re-express one with :meth:`about` first). The M-step
    (:func:`params_from_statistics`) needs nothing else: the data's own mean and covariance, which
    an empty component falls back to, are the totals over k.

    Which reference? The rounding error of Σ_k = T_k/N_k − d_k d_kᵀ grows with
    |c_k − μ_k|²/σ_k², so c_k should lie near the data. :class:`GaussianMixtureModel` uses one
    point c for every component (its ``reference``, by default the mean of its X), except that with
    ``recentre=True`` a component that is tight and far from c (predicted from θ^(t)) is
    accumulated about its current mean μ_k^(t) instead. **To build per-block models whose
    statistics always add** (incremental, stepwise or distributed EM): give every block's model
    the same ``reference`` (e.g. the mean of the first block, or of all the data if known) and
    ``recentre=False``; then c_k = c for every component at every θ, whichever θ each block's
    E-step ran at::

        c = blocks[0].mean(axis=0)                  # any point near the data, shared
        models = [GaussianMixtureModel(X_b, reference=c, recentre=False) for X_b in blocks]
        parts = [model.e_step(theta)[0] for model in models]      # one per block or worker
        theta = models[0].m_step(sum(parts[1:], parts[0]))        # = the whole data's M-step
    """

    counts: np.ndarray
    sums: np.ndarray
    outer: np.ndarray
    reference: np.ndarray

    def __post_init__(self):
        counts = as_float_array(self.counts, "counts", ndim=1)
        n_components = counts.shape[0]
        sums = as_float_array(self.sums, "sums", ndim=2)
        n_features = sums.shape[1]
        outer = as_float_array(self.outer, "outer", ndim=3)
        reference = as_float_array(self.reference, "reference")
        if reference.ndim == 1:                       # one point shared by every component
            reference = np.broadcast_to(reference, (n_components, reference.shape[0])).copy()
        for name, array, shape in [("sums", sums, (n_components, n_features)),
                                   ("outer", outer, (n_components, n_features, n_features)),
                                   ("reference", reference, (n_components, n_features))]:
            if array.shape != shape:
                raise ValueError(f"{name} has shape {array.shape}; with {n_components} counts and "
                                 f"{n_features} features it must be {shape}")
        for name, array in [("counts", counts), ("sums", sums), ("outer", outer),
                            ("reference", reference)]:
            object.__setattr__(self, name, array)

    @property
    def n_components(self) -> int:
        return self.counts.shape[0]

    @property
    def n_features(self) -> int:
        return self.sums.shape[1]

    def _combine(self, other, operation):
        if not np.array_equal(self.reference, other.reference):
            raise ValueError(
                "these statistics are taken about different reference points and cannot be added "
                "field by field; re-express one about the other's with "
                "other.about(self.reference), or build the models with the same reference and "
                "recentre=False")
        return GaussianMixtureStatistics(operation(self.counts, other.counts),
                                         operation(self.sums, other.sums),
                                         operation(self.outer, other.outer), self.reference)

    def __mul__(self, scale):
        if isinstance(scale, bool) or not isinstance(scale, (int, float, np.floating, np.integer)):
            return NotImplemented
        return GaussianMixtureStatistics(self.counts * scale, self.sums * scale,
                                         self.outer * scale, self.reference)

    __rmul__ = __mul__

    def about(self, reference) -> "GaussianMixtureStatistics":
        r"""The same statistics about other reference points c'_k ((D,) or (K, D)).

        With δ_k = c_k − c'_k: s'_k = s_k + N_k δ_k and T'_k = T_k + s_k δ_kᵀ + δ_k s_kᵀ +
        N_k δ_k δ_kᵀ — exact in exact arithmetic; in floating point it loses about
        log10(1 + |c'_k − μ_k|²/σ_k²) digits of Σ_k, so move references towards the data, not away.
        """
        new = np.broadcast_to(as_float_array(reference, "reference"), self.reference.shape)
        delta = self.reference - new
        sums = self.sums + self.counts[:, None] * delta
        cross = self.sums[:, :, None] * delta[:, None, :]
        outer = (self.outer + cross + cross.transpose(0, 2, 1)
                 + self.counts[:, None, None] * delta[:, :, None] * delta[:, None, :])
        return GaussianMixtureStatistics(self.counts, sums, outer, new.copy())


def _statistics_about(X, resp, reference):
    """(counts, sums, outer) of ``resp`` about the (K, D) ``reference``, one component at a time."""
    n_components, n_features = resp.shape[1], X.shape[1]
    sums = np.empty((n_components, n_features))
    outer = np.empty((n_components, n_features, n_features))
    for k in range(n_components):
        diff = X - reference[k]
        sums[k] = resp[:, k] @ diff                                  # Σ_n γ_nk (x_n − c_k)
        outer[k] = (resp[:, k] * diff.T) @ diff                      # Σ_n γ_nk (x_n − c_k)(…)ᵀ
    return GaussianMixtureStatistics(resp.sum(axis=0), sums, outer, reference)


def expected_statistics(X, resp, reference=None) -> GaussianMixtureStatistics:
    r"""The expected sufficient statistics (N_k, s_k, T_k) of responsibilities ``resp``.

    .. math::
        N_k = \sum_n \gamma_{nk}, \quad s_k = \sum_n \gamma_{nk}(x_n - c_k), \quad
        T_k = \sum_n \gamma_{nk}(x_n - c_k)(x_n - c_k)^\top .

    Parameters
    ----------
    X : (N, D) data.
    resp : (N, K) responsibilities, rows summing to 1.
    reference : None (the mean of X), a (D,) point shared by every component, or (K, D) one per
        component.

    Returns
    -------
    GaussianMixtureStatistics. This is the readable reference computation that the engine of
    ``fit`` (:class:`GaussianMixtureModel`) is tested against.
    """
    X = _check_X(X)
    check_squares_fit(X)
    resp = check_resp(resp, X.shape[0])
    reference = X.mean(axis=0) if reference is None else reference
    reference = as_float_array(reference, "reference")
    if reference.shape not in ((X.shape[1],), (resp.shape[1], X.shape[1])):
        raise ValueError(f"reference has shape {reference.shape}; it must be ({X.shape[1]},) or "
                         f"({resp.shape[1]}, {X.shape[1]})")
    for point in reference.reshape(-1, X.shape[1]):
        check_squares_fit(X, centre=point, centre_name="reference")
    return _statistics_about(X, resp, np.broadcast_to(reference, (resp.shape[1], X.shape[1])))


def _data_moments(statistics):
    """The data's mean and covariance from the totals over k (Σ_k γ_nk = 1 for every point)."""
    reference = statistics.reference
    if not np.all(reference == reference[0]):
        # Per-component references: move every component onto one point near the data first.
        common = statistics.counts @ reference / statistics.counts.sum()
        statistics = statistics.about(common)
    n = statistics.counts.sum()
    d = statistics.sums.sum(axis=0) / n
    return statistics.reference[0] + d, statistics.outer.sum(axis=0) / n - np.outer(d, d)


# --------------------------------------------------------------------------------------------
# The prior of MAP-EM
# --------------------------------------------------------------------------------------------
# α_k above this: log Γ(Σ_k α_k) of the Dirichlet overflows float64 (for any plausible K).
_CONCENTRATION_MAX = 1e250


@dataclass(frozen=True, eq=False)
class GaussianMixturePrior:
    r"""A conjugate prior for MAP-EM: inverse-Wishart on every Σ_k, optionally Dirichlet on π.

    .. math::
        p(\theta) = \mathrm{Dir}(\pi \mid \alpha) \prod_k \mathcal{IW}(\Sigma_k \mid \Psi, \nu),
        \qquad
        \mathcal{IW}(\Sigma \mid \Psi, \nu) \propto |\Sigma|^{-(\nu + D + 1)/2}
            \exp\!\big(-\tfrac12 \operatorname{tr}(\Psi \Sigma^{-1})\big),

    with a flat (improper, constant) prior on the means. This is scipy's
    ``invwishart(df=ν, scale=Ψ)``; its mode is Ψ/(ν + D + 1) and its mean Ψ/(ν − D − 1).

    Attributes
    ----------
    scale : (D, D) Ψ, symmetric positive definite.
    degrees_of_freedom : ν > D − 1 (a proper prior).
    weight_concentration : α_k >= 1, a number (symmetric) or (K,); 1 (the default) is the flat
        Dirichlet, i.e. no prior on π. α_k < 1 is refused: the log-posterior is then unbounded
        (a component with π_k → 0 sends it to +∞), so MAP-EM has no maximiser to approach.

    The MAP M-step is Σ_k = (Ψ + S_k)/(N_k + ν + D + 1) with S_k the scatter of component k
    about μ_k, and π_k ∝ N_k + α_k − 1. Reading: with Ψ = n₀ S₀ and ν = n₀ − D − 1, Σ_k is the
    blend (n₀ S₀ + S_k)/(n₀ + N_k) of n₀ imaginary points with covariance S₀ and the component's
    own points, so a component that owns a single point keeps a positive definite covariance.
    """

    scale: np.ndarray
    degrees_of_freedom: float
    weight_concentration: np.ndarray = 1.0

    def __post_init__(self):
        scale = as_float_array(self.scale, "prior.scale", ndim=2, copy=True)
        if scale.shape[0] != scale.shape[1]:
            raise ValueError(f"prior.scale must be a square (D, D) matrix, got shape {scale.shape}")
        check_squares_fit(scale, "prior.scale")                     # tr(Ψ Σ⁻¹), Ψ + S_k finite
        _precisions_cholesky(scale[None], name="prior.scale")     # symmetric positive definite
        n_features = scale.shape[0]
        nu = check_real(self.degrees_of_freedom, "prior.degrees_of_freedom")
        if nu <= n_features - 1:
            raise ValueError(f"prior.degrees_of_freedom must be > D - 1 = {n_features - 1} for a "
                             f"proper inverse-Wishart prior, got {nu}")
        with np.errstate(over="ignore", invalid="ignore"):
            normaliser = (0.5 * nu * np.linalg.slogdet(scale)[1] - 0.5 * nu * n_features * np.log(2.0)
                          - multigammaln(0.5 * nu, n_features))
        if not np.isfinite(normaliser):
            raise ValueError(f"prior.degrees_of_freedom = {nu:.3g} is too large: the prior's "
                             "normalising constant (ν/2 log|Ψ| − log Γ_D(ν/2) …) overflows float64")
        alpha = self.weight_concentration
        if isinstance(alpha, (bool, np.bool_)):
            raise TypeError("prior.weight_concentration must be a number or an array of numbers")
        alpha = as_float_array(alpha, "prior.weight_concentration", copy=True)
        if np.any(alpha > _CONCENTRATION_MAX):
            raise ValueError(f"prior.weight_concentration must be at most {_CONCENTRATION_MAX:.0e}: "
                             "beyond it the Dirichlet's log Γ(Σ_k α_k) overflows float64")
        if alpha.ndim > 1:
            raise ValueError("prior.weight_concentration must be a number or 1-D (one per "
                             f"component), got shape {alpha.shape}")
        if np.any(alpha < 1):
            raise ValueError(
                "prior.weight_concentration must be >= 1: with α_k < 1 the log-posterior is "
                "unbounded (π_k → 0 sends it to +inf) and has no maximum; use 1 for no prior on "
                "the weights")
        for array in (scale, alpha):
            array.setflags(write=False)
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "degrees_of_freedom", nu)
        object.__setattr__(self, "weight_concentration", alpha)

    @property
    def n_features(self) -> int:
        return self.scale.shape[0]


def _check_prior(prior, n_features: int, n_components: int | None = None):
    """None, or a GaussianMixturePrior for D features (and K components, when α is per-component)."""
    if prior is None:
        return None
    prior = check_instance(prior, GaussianMixturePrior, "prior")
    if prior.n_features != n_features:
        raise ValueError(f"prior.scale is {prior.n_features}×{prior.n_features} but the data have "
                         f"{n_features} features")
    alpha = prior.weight_concentration
    if n_components is not None and alpha.ndim == 1 and alpha.shape[0] != n_components:
        raise ValueError(f"prior.weight_concentration has {alpha.shape[0]} entries but the mixture "
                         f"has {n_components} components")
    return prior


def _check_regularisation(reg_covar, prior, n_features: int, n_components: int | None = None):
    """(reg_covar, prior) resolved: reg_covar None means 1e-6 without a prior and 0 with one; a
    positive reg_covar together with a prior is refused (it would not be the MAP M-step)."""
    if reg_covar is not None:
        reg_covar = check_real(reg_covar, "reg_covar", minimum=0.0)
    prior = _check_prior(prior, n_features, n_components)
    if prior is None:
        return (_DEFAULT_REG_COVAR if reg_covar is None else reg_covar), None
    if reg_covar:
        raise ValueError(
            f"reg_covar={reg_covar} with a prior: adding reg_covar·I after the MAP M-step is "
            "neither EM nor MAP and breaks the monotone log-posterior; the prior already keeps "
            "every covariance positive definite, so leave reg_covar at None (or 0)")
    return 0.0, prior


def _log_prior(params, prior) -> float:
    nu, psi, d = prior.degrees_of_freedom, prior.scale, params.n_features
    U = params.precisions_cholesky
    log_det_precision = 2.0 * np.log(np.diagonal(U, axis1=1, axis2=2)).sum(axis=1)  # −log|Σ_k|
    trace = np.einsum("ij,kij->k", psi, U @ U.transpose(0, 2, 1))                   # tr(Ψ Σ_k⁻¹)
    log_normaliser = (0.5 * nu * np.linalg.slogdet(psi)[1] - 0.5 * nu * d * np.log(2.0)
                      - multigammaln(0.5 * nu, d))
    log_iw = log_normaliser + 0.5 * (nu + d + 1) * log_det_precision - 0.5 * trace
    alpha = np.broadcast_to(prior.weight_concentration, params.weights.shape)
    log_dirichlet = (gammaln(alpha.sum()) - gammaln(alpha).sum()
                     + xlogy(alpha - 1.0, params.weights).sum())
    return float(log_iw.sum() + log_dirichlet)


def log_prior(params, prior) -> float:
    r"""log p(θ) = Σ_k log IW(Σ_k | Ψ, ν) + log Dir(π | α) (the flat prior on μ adds nothing).

    .. math::
        \log \mathcal{IW}(\Sigma \mid \Psi, \nu) = \tfrac\nu2 \log|\Psi| - \tfrac{\nu D}2 \log 2
        - \log\Gamma_D(\tfrac\nu2) - \tfrac{\nu + D + 1}2 \log|\Sigma|
        - \tfrac12 \operatorname{tr}(\Psi\Sigma^{-1}),

    computed from the precision Cholesky factors. Parameters: params (K components, D features),
    prior a GaussianMixturePrior for D features. Returns a float (−inf if some π_k = 0 < α_k − 1).
    """
    params = _check_params(params)
    prior = _check_prior(prior, params.n_features, params.n_components)
    if prior is None:
        raise TypeError("prior must be a GaussianMixturePrior, got None")
    return _log_prior(params, prior)


def log_posterior(X, params, prior) -> float:
    """log p(X | θ) + log p(θ): the objective MAP-EM never decreases (up to the constant log p(X))."""
    X, params = _check_X_params(X, params)
    return log_likelihood(X, params) + log_prior(params, prior)


# --------------------------------------------------------------------------------------------
# M-step
# --------------------------------------------------------------------------------------------
def _params_from_statistics(statistics, reg_covar, prior):
    """The M-step from (N_k, s_k, T_k) alone: ML (+ reg_covar·I) or MAP under ``prior``.

    An empty component (N_k ≈ 0) has no data to estimate μ_k from. Under ML it keeps weight
    exactly 0, so it drops out of the mixture (its log π_k is −inf and it never takes
    responsibility again, which leaves the likelihood and EM's monotonicity untouched); its mean
    and covariance are set to the data's, so that the parameters stay finite and valid. Under MAP
    its covariance is the prior's mode Ψ/(ν + D + 1) (the exact maximiser), its weight
    ∝ α_k − 1 and its mean — on which nothing depends — the data's.
    """
    counts, sums, outer = statistics.counts, statistics.sums, statistics.outer
    n_features = sums.shape[1]
    empty = counts < _EMPTY
    safe_counts = np.maximum(counts, _EMPTY)
    shift = sums / safe_counts[:, None]                              # d_k = μ_k − c_k
    means = statistics.reference + shift                            # μ_k
    data_mean, data_cov = _data_moments(statistics)
    means = np.where(empty[:, None], data_mean, means)
    counts = np.where(empty, 0.0, counts)
    if prior is None:
        second = outer / safe_counts[:, None, None]                  # T_k / N_k
        covariances = second - shift[:, :, None] * shift[:, None, :]  # Σ_k = T_k/N_k − d_k d_kᵀ
        covariances = np.where(empty[:, None, None], data_cov, covariances)
        covariances = covariances + reg_covar * np.eye(n_features)
        weights = counts / counts.sum()                             # π_k = N_k / N
    else:
        scatter = outer - counts[:, None, None] * shift[:, :, None] * shift[:, None, :]   # S_k
        scatter = np.where(empty[:, None, None], 0.0, scatter)
        covariances = ((prior.scale + scatter)
                       / (counts + prior.degrees_of_freedom + n_features + 1)[:, None, None])
        pseudo = np.broadcast_to(prior.weight_concentration, counts.shape) - 1.0   # α_k − 1
        weights = (counts + pseudo) / (counts.sum() + pseudo.sum())
    return GaussianMixtureParams(weights, means, covariances)


def params_from_statistics(statistics, *, reg_covar=None, prior=None) -> GaussianMixtureParams:
    r"""The M-step from the expected sufficient statistics alone.

    Parameters
    ----------
    statistics : GaussianMixtureStatistics (N_k, s_k, T_k about c_k).
    reg_covar : None or a float >= 0 added to every Σ_k's diagonal. None means 1e-6 without a
        prior and 0 with one (see the module docstring: this is neither EM nor MAP).
    prior : None (maximum likelihood) or a GaussianMixturePrior (MAP).

    Returns
    -------
    GaussianMixtureParams. With d_k = s_k/N_k: μ_k = c_k + d_k; under maximum likelihood
    π_k = N_k/N and Σ_k = T_k/N_k − d_k d_kᵀ + reg_covar·I; under the prior
    Σ_k = (Ψ + T_k − N_k d_k d_kᵀ)/(N_k + ν + D + 1) and π_k = (N_k + α_k − 1)/(N + Σ_j(α_j − 1)).
    Each maximises the expected complete-data log-likelihood (plus log p(θ) for MAP).
    """
    statistics = check_instance(statistics, GaussianMixtureStatistics, "statistics")
    reg_covar, prior = _check_regularisation(reg_covar, prior, statistics.n_features,
                                             statistics.n_components)
    return _params_from_statistics(statistics, reg_covar, prior)


def m_step(X, resp, reg_covar=None, *, prior=None) -> GaussianMixtureParams:
    """M-step: the parameters that maximise the expected complete-data log-likelihood.

    Parameters
    ----------
    X : (N, D) data.
    resp : (N, K) responsibilities γ_nk, rows summing to 1.
    reg_covar : None or a float >= 0, added to the diagonal of every Σ_k (guards against a
        component collapsing onto a single point, where the likelihood is unbounded; it makes the
        M-step inexact). None means 1e-6, scikit-learn's default, and 0 when a prior is given.
    prior : None, or a GaussianMixturePrior for the MAP M-step (see ``params_from_statistics``).

    Returns
    -------
    GaussianMixtureParams with π_k = N_k/N, μ_k = Σ_n γ_nk x_n / N_k and
    Σ_k = Σ_n γ_nk (x_n−μ_k)(x_n−μ_k)ᵀ / N_k + reg_covar·I, where N_k = Σ_n γ_nk (or their MAP
    versions under ``prior``). The statistics are taken about each component's own mean μ_k, so
    the covariances are centred products with no cancellation. A component with N_k ≈ 0 is
    *empty*: it gets weight 0 and the data's mean and covariance.
    """
    X = _check_X(X)
    check_squares_fit(X)
    resp = check_resp(resp, X.shape[0])
    reg_covar, prior = _check_regularisation(reg_covar, prior, X.shape[1], resp.shape[1])
    return _m_step(X, resp, reg_covar, prior)


def _m_step(X, resp, reg_covar, prior):
    """m_step without the input checks."""
    means = resp.T @ X / np.maximum(resp.sum(axis=0), _EMPTY)[:, None]   # μ_k, the references
    return _params_from_statistics(_statistics_about(X, resp, means), reg_covar, prior)


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
    check_allocation(float(n_samples) * (2 * params.n_features + 2), "n_samples",
                     f"{n_samples} points in {params.n_features} dimensions with their labels")
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


def init_params(X, n_components: int, *, method: str = "kmeans++", reg_covar=None, prior=None,
                random_state=None) -> GaussianMixtureParams:
    """Starting parameters θ⁰ for EM.

    ``method="kmeans++"`` picks K centres by k-means++ seeding, ``"random"`` picks K distinct data
    points uniformly; each point is then assigned to its nearest centre and one M-step on those
    hard responsibilities (``m_step`` with ``reg_covar`` and ``prior``; reg_covar None means 1e-6
    without a prior, 0 with one) gives π, μ, Σ. A centre that wins no point starts as an empty
    component (see ``m_step``).
    """
    X = _check_X(X)
    check_squares_fit(X)
    n_components = check_int(n_components, "n_components", minimum=1, maximum=X.shape[0],
                             maximum_reason=" (the number of samples)")
    reg_covar, prior = _check_regularisation(reg_covar, prior, X.shape[1], n_components)
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
    return _m_step(X, resp, reg_covar, prior)


# --------------------------------------------------------------------------------------------
# The engine of fit: the same E-step, block by block, in one of two formulations
# --------------------------------------------------------------------------------------------
# Up to this many features the E-step runs through quadratic features, above it through the
# Cholesky form (the crossover measured with ``python benchmarks/bench_gmm.py --forms``).
_FEATURES_MAX_DIM = 12
# The quadratic features of all rows are kept when they take at most this many bytes; above it
# they are rebuilt block by block in every iteration.
_FEATURE_BUDGET = 256 * 2**20
# Bytes of one block's working array (features, or whitened coordinates): small enough to stay
# in cache between the E-step product and the statistics product of that block.
_BLOCK_BYTES = 2**19
# The Cholesky form skips the zero triangle of U_k and the mirror triangle of T_k in panels of
# about this many features.
_PANEL_WIDTH = 8
# exp(log-density) is used directly when a row's total lies in [_TINY, _HUGE]; other rows (far
# outliers, extremely peaked components) are redone with the max-shifted log-sum-exp.
_TINY, _HUGE = 1e-280, 1e280
# φ(x)ᵀW sums xᵀΛx, −2xᵀΛm and mᵀΛm; when those terms are this many times larger than O(1), the
# cancellation costs ~eps·this in the log-density and the component is evaluated centred instead.
_E_CANCELLATION_MAX = 1e5
# Σ_k = T_k/N_k − d_k d_kᵀ loses ~log10(E[(x − c)²]/Var[x]) digits. A component predicted (from
# θ^(t)) to lose more than 3 is accumulated about its current mean μ_k^(t) instead of c ...
_RECENTRE_MIN = 1e3
# ... and one that loses more than 4 all the same (the prediction missed: it became tight and far
# in one step) is accumulated again, about its new mean, in a second pass.
_REDO_MIN = 1e4


def _quadratic_features(x, rows, cols, out):
    """φ(x) = (1, x, x_i x_j for i ≤ j) for every row of x: (B, D) → out (B, F),
    F = 1 + D + D(D+1)/2. ``rows``, ``cols`` are ``np.triu_indices(D)``."""
    d = x.shape[1]
    out[:, 0] = 1.0
    out[:, 1:1 + d] = x
    np.multiply(x[:, rows], x[:, cols], out=out[:, 1 + d:])
    return out


def _natural_parameters(m, params, log_weights, rows, cols):
    r"""W (F, K) with φ(x)ᵀ W[:, k] = log π_k + log N(x | m_k, Σ_k), for x and m_k = μ_k − c
    both taken about the reference c; and which components would lose digits that way.

    Expanding −½(x − m)ᵀΛ(x − m) = −½xᵀΛx + xᵀΛm − ½mᵀΛm gives the natural parameters

    * W[1] (feature 1)       = log π_k + Σ_i log (U_k)_ii − ½ D log 2π − ½ m_kᵀΛ_k m_k;
    * W[x_i]                 = (Λ_k m_k)_i;
    * W[x_i x_j], i ≤ j      = −½ (Λ_k)_ii on the diagonal and −(Λ_k)_ij off it.

    The off-diagonal ½ disappears because xᵀΛx = Σ_i Λ_ii x_i² + 2 Σ_{i<j} Λ_ij x_i x_j: each
    pair i ≠ j appears twice in the double sum (Λ_ij x_i x_j and Λ_ji x_j x_i), while φ lists
    x_i x_j once, so its coefficient is 2 · (−½Λ_ij).
    """
    d = m.shape[1]
    U = params.precisions_cholesky
    precisions = U @ U.transpose(0, 2, 1)                                   # Λ_k
    lin = np.einsum("kij,kj->ki", precisions, m)                           # Λ_k m_k
    mahal_m = np.einsum("ki,ki->k", m, lin)                                 # m_kᵀ Λ_k m_k
    log_det_half = np.log(np.diagonal(U, axis1=1, axis2=2)).sum(axis=1)
    W = np.empty((1 + d + rows.size, params.n_components))
    W[0] = log_weights + log_det_half - 0.5 * (d * _LOG_2PI + mahal_m)
    W[1:1 + d] = lin.T
    W[1 + d:] = -(precisions[:, rows, cols] * np.where(rows == cols, 0.5, 1.0)).T
    return W, _features_lose_digits(m, lin, mahal_m, precisions, params.covariances)


def _features_lose_digits(m, lin, mahal_m, precisions, covariances):
    """Repair 1 (a tight cluster far from c, or a nearly singular component): the size of the
    largest terms φ(x)ᵀW sums for a point within 4σ of m_k, where the component's
    responsibilities live; its log-density is computed centred when that exceeds the limit."""
    reach = np.abs(m) + 4.0 * np.sqrt(np.diagonal(covariances, axis1=1, axis2=2))
    size = (0.5 * mahal_m + np.einsum("ki,ki->k", reach, np.abs(lin))
            + 0.5 * np.einsum("ki,kij,kj->k", reach, np.abs(precisions), reach))
    return size > _E_CANCELLATION_MAX


class _QuadraticFeatureForm:
    """The E-step through quadratic features, for small D.

    With φ(x) of the centred rows and the natural parameters W of ``_natural_parameters``, a block
    of B rows needs two matrix products: the (K, F) × (F, B) product Wᵀφᵀ gives every
    log π_k N(x_n | μ_k, Σ_k), and the (K, B) × (B, F) product γφ gives the block's expected
    statistics Σ_n γ_nk φ(x_n) = (N_k, s_k, upper triangle of T_k). Blocks are laid out
    component-major, (K, B), so that exp, the sum over components and the normalisation are long
    contiguous row operations. φ of all rows is built once and kept if it fits the budget.
    """

    def __init__(self, Xc):
        self.Xc = Xc
        self.n_samples, self.n_features = Xc.shape
        self.rows, self.cols = np.triu_indices(self.n_features)
        self.size = 1 + self.n_features + self.rows.size                   # F
        self.block = int(np.clip(_BLOCK_BYTES // (8 * self.size), 32, 16384))
        if self.n_samples * self.size * 8 <= _FEATURE_BUDGET:
            self.phi = np.empty((self.n_samples, self.size))
            for start in range(0, self.n_samples, self.block):
                _quadratic_features(Xc[start:start + self.block], self.rows, self.cols,
                                    self.phi[start:start + self.block])
        else:
            self.phi = None
            self.buffer = np.empty((self.block, self.size))

    def blocks(self, n_components):
        return [(start, min(start + self.block, self.n_samples))
                for start in range(0, self.n_samples, self.block)]

    def prepare(self, params, m, log_weights):
        W, lossy = _natural_parameters(m, params, log_weights, self.rows, self.cols)
        return np.ascontiguousarray(W.T), lossy

    def block_data(self, start, stop):
        """φ of rows start:stop, (B, F)."""
        if self.phi is not None:
            return self.phi[start:stop]
        return _quadratic_features(self.Xc[start:stop], self.rows, self.cols,
                                   self.buffer[:stop - start])

    def log_joint(self, W_rows, phi):
        return W_rows @ phi.T                                  # log π_k N(x_n | μ_k, Σ_k), (K, B)

    def new_accumulator(self, n_components):
        return np.zeros((n_components, self.size))

    def accumulate(self, statistics, resp, phi, prepared):
        statistics += resp @ phi                               # Σ_n γ_nk φ(x_n)

    def unpack(self, statistics):
        """(counts, sums, outer) from the (K, F) Σ_n γ_nk φ(x_n), T_k filled by symmetry."""
        d = self.n_features
        outer = np.empty((statistics.shape[0], d, d))
        outer[:, self.rows, self.cols] = statistics[:, 1 + d:]
        outer[:, self.cols, self.rows] = statistics[:, 1 + d:]
        return statistics[:, 0].copy(), statistics[:, 1:1 + d].copy(), outer


class _CholeskyForm:
    """The E-step through whitened coordinates y_k = U_kᵀ(x − m_k), for large D.

    log N(x | μ_k, Σ_k) needs ‖y_k‖². Output features j are taken in panels: y_kj for j in a
    panel depends only on x_i, i ≤ j (U_k is upper triangular), so one product
    [−m_kᵀU_k ; U_k[: j_max, panel]]ᵀ · [1 ; x_{< j_max}] per panel, stacked over k, gives them
    for a block of rows without multiplying by the zero triangle. The outer products
    Σ_n γ_nk x_n x_nᵀ are symmetric: panel p of rows needs only the columns from p on, so
    (γ_k ⊙ x_panel) · [x_{≥ panel}, 1] gives the upper block triangle of T_k and, from the column
    of ones, s_k. Every product has a long side (B rows, or K · panel width), where BLAS is fast;
    X itself stays in cache at the sizes where this form is chosen.
    """

    def __init__(self, Xc):
        n, d = Xc.shape
        self.n_samples, self.n_features = n, d
        self.XaT = np.empty((d + 1, n))                    # [1; x] per column: E-step prefixes
        self.XaT[0] = 1.0
        self.XaT[1:] = Xc.T
        self.Xa = np.empty((n, d + 1))                     # [x, 1] per row: M-step suffixes
        self.Xa[:, :d] = Xc
        self.Xa[:, d] = 1.0
        self.Xc = self.Xa[:, :d]
        bounds = np.linspace(0, d, max(1, round(d / _PANEL_WIDTH)) + 1).round().astype(int)
        self.panels = list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))

    def blocks(self, n_components):
        block = self._block(n_components)
        return [(start, min(start + block, self.n_samples))
                for start in range(0, self.n_samples, block)]

    def _block(self, n_components):
        """Rows per block: one panel's scratch (K · width numbers a row) and the block's rows of
        X in both layouts (2 (D + 1)) take about _BLOCK_BYTES."""
        width = max(hi - lo for lo, hi in self.panels)
        per_row = 8 * (n_components * width + 2 * (self.n_features + 1))
        return int(np.clip(_BLOCK_BYTES // per_row, 64, 8192))

    def prepare(self, params, m, log_weights):
        K, d = params.n_components, self.n_features
        U = params.precisions_cholesky
        m_U = np.einsum("kd,kde->ke", m, U)                                 # m_kᵀ U_k
        factors = []
        for lo, hi in self.panels:
            A = np.empty((K, hi - lo, 1 + hi))
            A[:, :, 0] = -m_U[:, lo:hi]
            A[:, :, 1:] = U[:, :hi, lo:hi].transpose(0, 2, 1)   # A[k, j, i] = (U_k)_{i, lo + j}
            factors.append(A.reshape(K * (hi - lo), 1 + hi))
        log_det_half = np.log(np.diagonal(U, axis1=1, axis2=2)).sum(axis=1)
        constant = log_weights + log_det_half - 0.5 * d * _LOG_2PI
        # One panel's (K · width, B) working array, reused by every panel and block.
        width = max(hi - lo for lo, hi in self.panels)
        scratch = np.empty(K * width * self._block(K))
        return (factors, constant, scratch), np.zeros(K, dtype=bool)   # centred: no lost digits

    def block_data(self, start, stop):
        return start, stop

    def log_joint(self, prepared, block):
        (factors, constant, scratch), (start, stop) = prepared, block
        K, b = constant.shape[0], stop - start
        mahalanobis, squares = np.zeros((K, b)), np.empty((K, b))
        for (lo, hi), A in zip(self.panels, factors):
            y = np.matmul(A, self.XaT[:1 + hi, start:stop],
                          out=scratch[:A.shape[0] * b].reshape(A.shape[0], b))   # y_kj, j in panel
            np.multiply(y, y, out=y)
            mahalanobis += np.add.reduce(y.reshape(K, hi - lo, b), axis=1, out=squares)  # Σ_j y_kj²
        mahalanobis *= -0.5
        mahalanobis += constant[:, None]
        return mahalanobis                                      # log π_k N(x_n | μ_k, Σ_k), (K, B)

    def new_accumulator(self, n_components):
        d = self.n_features
        return [np.zeros(n_components)] + [np.zeros((n_components * (hi - lo), d - lo + 1))
                                           for lo, hi in self.panels]

    def accumulate(self, statistics, resp, block, prepared):
        (_, _, scratch), (start, stop) = prepared, block
        K, b = resp.shape
        statistics[0] += resp.sum(axis=1)                                   # N_k
        for (lo, hi), upper in zip(self.panels, statistics[1:]):
            weighted = np.multiply(resp[:, None, :], self.XaT[1 + lo:1 + hi, start:stop],
                                   out=scratch[:K * (hi - lo) * b].reshape(K, hi - lo, b))
            upper += weighted.reshape(K * (hi - lo), b) @ self.Xa[start:stop, lo:]  # γ x xᵀ, γ x

    def unpack(self, statistics):
        """(counts, sums, outer) from the panels, T_k's lower triangle mirrored from the upper."""
        counts, d = statistics[0], self.n_features
        upper = np.zeros((counts.shape[0], d, d))
        sums = np.empty((counts.shape[0], d))
        for (lo, hi), panel in zip(self.panels, statistics[1:]):
            panel = panel.reshape(counts.shape[0], hi - lo, d - lo + 1)
            upper[:, lo:hi, lo:] = panel[:, :, :-1]
            sums[:, lo:hi] = panel[:, :, -1]
        upper = np.triu(upper)
        return counts.copy(), sums, upper + np.triu(upper, 1).transpose(0, 2, 1)


def _responsibilities(prob, xc, m, U, log_weights):
    """γ_nk in place of the (K, B) block of log π_k N(x_n | μ_k, Σ_k), and Σ_n log p(x_n | θ).

    exp without the max-shift of log-sum-exp (one pass instead of three); the rare rows where
    that under- or overflows are redone (``_rescue_extreme_rows``)."""
    np.exp(prob, out=prob)
    total = prob.sum(axis=0)                                            # p(x_n | θ)
    log_total = np.log(total)
    if not (total.min() > _TINY and total.max() < _HUGE):               # NaN fails this too
        _rescue_extreme_rows(prob, total, log_total, xc, m, U, log_weights)
    prob /= total
    return prob, log_total.sum()


def _rescue_extreme_rows(prob, total, log_total, xc, m, U, log_weights):
    """Repair 2 (extreme rows): where p(x_n | θ) under- or overflows the direct exp (a point far
    from every component, or an extremely peaked component), redo the row with the max-shifted
    log-sum-exp. ``prob`` (K, B), ``total`` and ``log_total`` (B,) are fixed in place."""
    bad = ~((total > _TINY) & (total < _HUGE))                         # NaN is bad too
    log_prob = _log_gaussian(xc[bad], m, U) + log_weights
    log_total[bad] = logsumexp(log_prob, axis=1)
    prob[:, bad] = np.exp(log_prob - log_total[bad][:, None]).T
    total[bad] = 1.0


def _far_and_tight(m, covariances):
    """Repair 3 (a tight cluster far from c): components whose outer products about c would lose
    more than log10(_RECENTRE_MIN) digits, predicted from θ^(t): E[(x − c)²]/Var[x] ≈
    1 + m_k²/σ_k² per feature."""
    variances = np.diagonal(covariances, axis1=1, axis2=2)
    return 1.0 + (m**2 / variances).max(axis=1) > _RECENTRE_MIN


def _shifted(params, offset):
    return GaussianMixtureParams(params.weights, params.means + offset, params.covariances)


class GaussianMixtureModel:
    """A Gaussian mixture bound to its data, for ``emlib.em.run`` (``fit`` builds one).

    Parameters
    ----------
    X : (N, D) data.
    reg_covar : None or float >= 0, added to every Σ_k after the M-step (None: 1e-6 without a
        prior, 0 with one). Not EM: with reg_covar > 0 the log-likelihood can decrease.
    prior : None (maximum likelihood, objective "log_likelihood") or a GaussianMixturePrior
        (MAP, objective "log_posterior" = log p(X | θ) + log p(θ)).
    reference : (D,) the point c the statistics are taken about; default the mean of X. Models of
        blocks of one data set must share it for their statistics to add.
    recentre : let a component that is tight and far from c be accumulated about its current mean
        μ_k^(t) (its reference then depends on θ^(t); see GaussianMixtureStatistics). False keeps
        c for every component at every θ, at the cost of digits for such a component.
    form : how the E-step is computed: "features" (quadratic features φ(x) and natural
        parameters W), "cholesky" (whitened coordinates U_kᵀ(x − μ_k)), or "auto" (the default:
        features up to D = 12, the Cholesky form above, where it is faster). Both give the same
        statistics to rounding.

    ``e_step(params)`` returns the GaussianMixtureStatistics under θ = params and the objective
    F(θ); ``m_step(statistics)`` returns the next parameters from the statistics alone.

    The E-step is the readable ``e_step`` followed by ``expected_statistics`` (a test holds it to
    that), computed block by block so that the (N, K) responsibilities are never stored: the rows
    are centred at c once; each block's log-densities come from its quadratic features at small D
    or from whitened coordinates at large D (``_QuadraticFeatureForm``, ``_CholeskyForm``); exp
    without a max-shift, since rows whose total under- or overflows are redone
    (``_rescue_extreme_rows``); the responsibilities go straight into the block's statistics.
    """

    def __init__(self, X, *, reg_covar=None, prior=None, reference=None, recentre=True,
                 form="auto"):
        X = _check_X(X)
        check_squares_fit(X)
        n_samples, n_features = X.shape
        self.reg_covar, self.prior = _check_regularisation(reg_covar, prior, n_features)
        if reference is None:
            reference = X.mean(axis=0)
        reference = as_float_array(reference, "reference", ndim=1, copy=True)
        if reference.shape != (n_features,):
            raise ValueError(f"reference has shape {reference.shape} but X has {n_features} "
                             f"features; it must be ({n_features},)")
        check_squares_fit(X, centre=reference, centre_name="reference")
        self.reference = reference
        self.recentre = check_bool(recentre, "recentre")
        self.objective_name = "log_likelihood" if self.prior is None else "log_posterior"
        self.n_items = float(n_samples)
        if form == "auto":
            form = "features" if n_features <= _FEATURES_MAX_DIM else "cholesky"
        if form not in ("features", "cholesky"):
            raise ValueError(f'form must be "auto", "features" or "cholesky", got {form!r}')
        centred = X - reference
        self.form = (_QuadraticFeatureForm if form == "features" else _CholeskyForm)(centred)
        self.Xc = self.form.Xc                                             # x_n − c

    def e_step(self, params):
        """(GaussianMixtureStatistics, objective) under θ = params."""
        params = _check_params(params)
        check_n_features(self.Xc, params.n_features)
        _check_prior(self.prior, params.n_features, params.n_components)
        m = params.means - self.reference                                   # m_k = μ_k − c
        U = params.precisions_cholesky
        with np.errstate(divide="ignore"):
            log_weights = np.log(params.weights)
        inactive = params.weights == 0
        prepared, lossy = self.form.prepare(params, m, np.where(inactive, 0.0, log_weights))
        recentred = (_far_and_tight(m, params.covariances) & ~inactive if self.recentre
                     else np.zeros(params.n_components, dtype=bool))
        centred = (lossy | recentred) & ~inactive
        statistics = self.form.new_accumulator(params.n_components)
        about = [(k, np.zeros(params.n_features), np.zeros((params.n_features,) * 2))
                 for k in np.flatnonzero(recentred)]
        total_log_likelihood = 0.0
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            for start, stop in self.form.blocks(params.n_components):
                data, xc = self.form.block_data(start, stop), self.Xc[start:stop]
                prob = self.form.log_joint(prepared, data)          # log π_k N(x_n | μ_k, Σ_k)
                if centred.any():                                   # repairs 1 and 3
                    prob[centred] = (_log_gaussian(xc, m[centred], U[centred]).T
                                     + log_weights[centred, None])
                prob[inactive] = -np.inf
                resp, block_log_likelihood = _responsibilities(prob, xc, m, U, log_weights)
                total_log_likelihood += block_log_likelihood
                self.form.accumulate(statistics, resp, data, prepared)   # Σ_n γ_nk φ(x_n)
                for k, sums, outer in about:                        # about μ_k^(t): repair 3
                    diff = xc - m[k]
                    sums += resp[k] @ diff
                    outer += (resp[k] * diff.T) @ diff
        counts, sums, outer = self.form.unpack(statistics)
        reference = np.tile(self.reference, (params.n_components, 1))
        for k, about_sums, about_outer in about:
            sums[k], outer[k], reference[k] = about_sums, about_outer, self.reference + m[k]
        result = GaussianMixtureStatistics(counts, sums, outer, reference)
        if self.recentre:
            result = self._recentre_where_inaccurate(result, params)
        objective = total_log_likelihood
        if self.prior is not None:
            objective += _log_prior(params, self.prior)
        return result, float(objective)

    def _recentre_where_inaccurate(self, statistics, params):
        """Repair 3, second pass: a component whose outer products about its reference lose more
        than log10(_REDO_MIN) digits all the same is accumulated again about its new mean, from
        one more (readable) E-step. Rare: only when a component turns tight and far in one step."""
        counts, sums, outer = statistics.counts, statistics.sums.copy(), statistics.outer.copy()
        safe_counts = np.maximum(counts, _EMPTY)
        shift = sums / safe_counts[:, None]
        second = np.diagonal(outer, axis1=1, axis2=2) / safe_counts[:, None]
        variances = second - shift**2
        with np.errstate(divide="ignore", invalid="ignore"):
            amplification = np.where(variances > 0, second / variances, np.inf)
        redo = (amplification.max(axis=1) > _REDO_MIN) & (counts >= _EMPTY)
        if not redo.any():
            return statistics
        resp, _ = _e_step(self.Xc, _shifted(params, -self.reference))
        centres = statistics.reference[redo] + shift[redo] - self.reference
        again = _statistics_about(self.Xc, resp[:, redo], centres)
        sums[redo], outer[redo] = again.sums, again.outer
        reference = statistics.reference.copy()
        reference[redo] = centres + self.reference
        return GaussianMixtureStatistics(counts, sums, outer, reference)

    def m_step(self, statistics, params=None) -> GaussianMixtureParams:
        """θ^(t+1) from the statistics alone (``params`` is not used)."""
        statistics = check_instance(statistics, GaussianMixtureStatistics, "statistics")
        return _params_from_statistics(statistics, self.reg_covar, self.prior)


@dataclass(frozen=True, eq=False)
class GaussianMixtureResult(EMResult):
    """What ``fit`` returns: an ``emlib.em.EMResult`` plus the responsibilities.

    params : the final GaussianMixtureParams θ^(n_iter).
    objectives : (n_iter + 1,) F(θ^(t)) for t = 0 (the start) … n_iter: the log-likelihood, or
        the log-posterior log p(X | θ) + log p(θ) with a prior (``objective_name`` says which).
        With a prior, or with reg_covar = 0, EM never decreases it (up to rounding). With
        reg_covar > 0 (the default without a prior) it is the log-likelihood of a procedure that
        is not EM, and it *can* decrease.
    objective_name, n_iter, converged, statistics : see ``emlib.em.EMResult``; converged means
        |F(θ^(t)) − F(θ^(t−1))| < tol · N at the last iteration.
    resp : (N, K) responsibilities under the final parameters.
    log_likelihoods : (n_iter + 1,) log p(X | θ^(t)); equal to ``objectives`` without a prior.
        (Under MAP the log-likelihood part alone need not rise.)
    """

    resp: np.ndarray
    log_likelihoods: np.ndarray


def fit(X, n_components: int, *, init="kmeans++", max_iter: int = 100, tol: float = 1e-6,
        reg_covar=None, prior=None, random_state=None,
        callback: Callable[[int, GaussianMixtureParams, float], None] | None = None,
        ) -> GaussianMixtureResult:
    """Fit a K-component full-covariance Gaussian mixture to X by EM, on ``emlib.em.run``.

    Parameters
    ----------
    X : (N, D) data.
    n_components : K, between 1 and N.
    init : "kmeans++" (default), "random", or a GaussianMixtureParams to start from (see
        ``init_params``).
    max_iter : most EM iterations (M-steps); 0 only evaluates the start.
    tol : stop when the objective per sample changes by less than this,
        |F(θ^(t)) − F(θ^(t−1))| < tol · N. tol=0 runs exactly ``max_iter`` iterations.
    reg_covar : None or a float >= 0 added to the diagonal of every covariance in each M-step,
        as scikit-learn's ``reg_covar`` (same results to 1e-8 from the same start). None means
        1e-6 without a prior and 0 with one. It keeps a component that collapses onto a few points
        finite, but it is a repair, not EM and not MAP under any fixed prior: the M-step no longer
        maximises Q, and the log-likelihood history *can decrease* (by O(reg_covar/λ_min) per
        step near a nearly singular component, sometimes for many steps in a row). Use
        reg_covar=0 for exact EM, or a prior for a principled guard.
    prior : None (maximum likelihood) or a GaussianMixturePrior: MAP-EM with inverse-Wishart
        priors on the Σ_k (and a Dirichlet prior on π), whose log-posterior never decreases.
        Cannot be combined with reg_covar > 0.
    random_state : seed or numpy Generator for the initialisation.
    callback : called as ``callback(t, params, objective)`` for t = 0 … n_iter with θ^(t) and
        F(θ^(t)); use it to record snapshots or show progress.

    Returns
    -------
    GaussianMixtureResult (an ``emlib.em.EMResult``) with params, objectives, objective_name
    ("log_likelihood" or "log_posterior"), n_iter, converged, statistics, resp and
    log_likelihoods.

    A component that loses all its responsibility becomes *empty*: weight exactly 0 (it drops out
    of the mixture and never takes responsibility again), the data's mean and covariance as its
    parameters (under MAP: the prior's mode as covariance, weight ∝ α_k − 1). A component that
    collapses onto fewer points than dimensions raises ValueError advising a larger reg_covar or
    a prior.

    Each iteration is the E-step and M-step of ``e_step`` / ``m_step`` through the expected
    sufficient statistics (see ``GaussianMixtureModel``). The result agrees with alternating
    ``e_step``/``m_step`` to rounding.

    A ``dask.array.Array`` X is fitted by distributed EM (``emlib.distributed.fit``: the E-step
    mapped over its chunks, the statistics reduced by addition), with the same result type.
    """
    from .distributed import is_dask_array
    if is_dask_array(X):                      # dask is imported only on this path
        from .distributed import fit as fit_distributed
        if prior is not None:
            raise ValueError("prior is not supported for a dask array X (yet)")
        return fit_distributed(X, n_components, init=init, max_iter=max_iter, tol=tol,
                               reg_covar=reg_covar, random_state=random_state, callback=callback)
    X = _check_X(X)
    check_squares_fit(X)
    n_samples, n_features = X.shape
    n_components = check_int(n_components, "n_components", minimum=1, maximum=n_samples,
                             maximum_reason=" (the number of samples in X)")
    max_iter, tol = check_em_arguments(max_iter, tol, callback)
    reg_covar, prior = _check_regularisation(reg_covar, prior, n_features, n_components)
    rng = check_random_state(random_state)
    if isinstance(init, GaussianMixtureParams):
        if init.n_components != n_components or init.n_features != n_features:
            raise ValueError(f"init has {init.n_components} components in {init.n_features} "
                             f"dimensions, but n_components={n_components} and X has "
                             f"{n_features} features")
        params = init
    elif isinstance(init, str):
        if init not in ("kmeans++", "random"):
            raise ValueError(f'init must be "kmeans++", "random" or a GaussianMixtureParams, '
                             f"got {init!r}")
        params = init_params(X, n_components, method=init, reg_covar=reg_covar, prior=prior,
                             random_state=rng)
    else:
        raise TypeError('init must be "kmeans++", "random" or a GaussianMixtureParams, '
                        f"got {type(init).__name__}")

    log_likelihoods = []

    def record(t, theta, objective):
        log_likelihoods.append(objective if prior is None else objective - _log_prior(theta, prior))
        if callback is not None:
            callback(t, theta, objective)

    model = GaussianMixtureModel(X, reg_covar=reg_covar, prior=prior)
    result = run(model, params, max_iter=max_iter, tol=tol, callback=record)
    resp, _ = _e_step(X, result.params)
    return result.extend(GaussianMixtureResult, resp=resp, log_likelihoods=np.array(log_likelihoods))
