r"""Linear-Gaussian latent variable models by EM: probabilistic PCA and factor analysis.

One concept, two noise models (Bishop, *Pattern Recognition and Machine Learning*, 2006,
sections 12.2 and 12.2.4; Tipping & Bishop, *JRSS B* 61, 1999; Rubin & Thayer, *Psychometrika*
47, 1982): a continuous latent :math:`z_n \in \mathbb R^M` and

.. math::
    z_n \sim \mathcal N(0, I_M), \qquad x_n \mid z_n \sim \mathcal N(W z_n + \mu, \Psi),
    \qquad\text{so}\qquad x_n \sim \mathcal N(\mu, C), \; C = W W^\top + \Psi,

with :math:`\Psi = \sigma^2 I` for **PPCA** (``noise="isotropic"``) and :math:`\Psi` diagonal for
**factor analysis** (``noise="diagonal"``). The E-step and the update of :math:`W` are shared;
only the noise update differs — which is why they live in one module.

**E-step.** With :math:`G = (I + W^\top \Psi^{-1} W)^{-1}` (M × M, the same for every n),

.. math::
    \mathbb E[z_n] = G W^\top \Psi^{-1} (x_n - \mu), \qquad
    \mathbb E[z_n z_n^\top] = G + \mathbb E[z_n]\,\mathbb E[z_n]^\top .

**M-step** (jointly in :math:`W` and :math:`\mu`, with :math:`\tilde z = (z, 1)`):

.. math::
    [W, \mu] = \Big(\sum_n x_n \mathbb E[\tilde z_n]^\top\Big)
               \Big(\sum_n \mathbb E[\tilde z_n \tilde z_n^\top]\Big)^{-1}, \qquad
    \Psi = \operatorname{diag}\Big(\frac1N \sum_n x_n x_n^\top
           - [W, \mu]\,\frac1N\sum_n \mathbb E[\tilde z_n]\, x_n^\top\Big),

and for PPCA :math:`\sigma^2 = \operatorname{tr}\Psi / D`. At the fixed point :math:`\mu = \bar x`.
PPCA also has a closed form (Tipping & Bishop, 1999): :math:`W = U_M(\Lambda_M - \sigma^2 I)^{1/2}R`,
:math:`\sigma^2` the mean of the :math:`D - M` smallest eigenvalues of the sample covariance —
``ppca_maximum_likelihood``. :math:`W` is identified only up to the rotation :math:`R`; compare
:math:`C = WW^\top + \Psi` (``model_covariance``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from ._validation import (as_float_array, check_data_matrix, check_int, check_params,
                          check_squares_fit,
                          check_random_state)
from .em import EMResult, SufficientStatistics, check_em_arguments, run

__all__ = [
    "NOISE_MODELS",
    "LatentLinearParams",
    "LatentLinearStatistics",
    "LatentLinearModel",
    "LatentLinearResult",
    "e_step",
    "m_step",
    "log_likelihood",
    "model_covariance",
    "ppca_maximum_likelihood",
    "init_params",
    "fit",
]

_LOG_2PI = np.log(2.0 * np.pi)
NOISE_MODELS = ("isotropic", "diagonal")


@dataclass(frozen=True, eq=False)
class LatentLinearParams:
    """θ = (μ, W, Ψ) of a linear-Gaussian latent variable model.

    mean : (D,) μ.
    loadings : (D, M) W, the factor loadings (PPCA's principal subspace, scaled).
    noise_variance : (D,) the diagonal of Ψ, all > 0 (all equal to σ² for PPCA).
    """

    mean: np.ndarray
    loadings: np.ndarray
    noise_variance: np.ndarray

    def __post_init__(self):
        mean = as_float_array(self.mean, "mean", ndim=1, copy=True)
        loadings = as_float_array(self.loadings, "loadings", ndim=2, copy=True)
        noise = as_float_array(self.noise_variance, "noise_variance", ndim=1, copy=True)
        if loadings.shape[0] != mean.size or noise.size != mean.size:
            raise ValueError(f"loadings has shape {loadings.shape} and noise_variance "
                             f"{noise.shape}; with mean of shape {mean.shape} they must be "
                             f"({mean.size}, M) and ({mean.size},)")
        if np.any(noise <= 0):
            d = int(np.argmax(noise <= 0))
            raise ValueError(f"noise_variance must be > 0, but noise_variance[{d}] = {noise[d]}")
        # Squared and summed by every evaluation: they must fit in float64 (as data must).
        check_squares_fit(mean[None], "mean")
        check_squares_fit(loadings, "loadings")
        check_squares_fit(np.sqrt(noise)[None], "noise_variance")
        # A noise variance below rounding of its column's variance W_d W_dᵀ + ψ_d makes
        # WWᵀ + Ψ singular in float64 (the M-step keeps ψ_d >= 1e-12 of W_d W_dᵀ and of S_dd).
        # Both arguments set that variance, so the message names both.
        variance = np.sum(loadings**2, axis=1) + noise
        tiny = noise < 1e-14 * variance
        if np.any(tiny):
            d = int(np.argmax(tiny))
            raise ValueError(f"noise_variance[{d}] = {noise[d]:.3g} is below 1e-14 of that "
                             f"feature's variance W_d W_dᵀ + ψ_d = {variance[d]:.3g} (row {d} of "
                             "loadings is too large for it): the model covariance WWᵀ + Ψ is "
                             "singular in float64; use smaller loadings or a larger "
                             "noise_variance")
        for array in (mean, loadings, noise):
            array.setflags(write=False)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "loadings", loadings)
        object.__setattr__(self, "noise_variance", noise)

    @property
    def n_features(self) -> int:
        return self.mean.size

    @property
    def n_components(self) -> int:
        return self.loadings.shape[1]


@dataclass(frozen=True, eq=False)
class LatentLinearStatistics(SufficientStatistics):
    """Expected sufficient statistics, sums over n of the data y_n = x_n − c centred at the
    model's fixed shift c (the data mean):

    count : N.
    sum_y : (D,) Σ y_n.            sum_yy : (D,) Σ y_n ∘ y_n (only the diagonal is needed).
    sum_yz : (D, M) Σ y_n E[z_n]ᵀ.  sum_z : (M,) Σ E[z_n].   sum_zz : (M, M) Σ E[z_n z_nᵀ].
    """

    count: float
    sum_y: np.ndarray
    sum_yy: np.ndarray
    sum_yz: np.ndarray
    sum_z: np.ndarray
    sum_zz: np.ndarray


def _check_noise(noise) -> str:
    if not isinstance(noise, str) or noise not in NOISE_MODELS:
        raise ValueError(f"noise must be 'isotropic' (PPCA) or 'diagonal' (factor analysis), "
                         f"got {noise!r}")
    return noise


def _check_params(params, n_features: int, name: str = "params") -> LatentLinearParams:
    return check_params(params, LatentLinearParams, n_features, name, "(mean, loadings, noise_variance)")


def _check_X(X) -> np.ndarray:
    X = check_data_matrix(X)
    if X.shape[0] < 2:
        raise ValueError(f"X has {X.shape[0]} row; at least two are needed")
    check_squares_fit(X)          # the second moments Σ y_n ∘ y_n
    constant = X.std(axis=0) <= 1e-12 * np.maximum(1.0, np.abs(X).max(axis=0))
    if np.any(constant):
        raise ValueError(f"column {int(np.argmax(constant))} of X is constant: its noise variance "
                         "would be 0 and the likelihood unbounded; drop constant columns")
    return X


# --------------------------------------------------------------------------------------------
# The steps
# --------------------------------------------------------------------------------------------
def _posterior(loadings, noise_variance):
    """G = (I + WᵀΨ⁻¹W)⁻¹ (M, M) and the map GWᵀΨ⁻¹ (M, D) from x − μ to E[z]."""
    scaled = loadings / noise_variance[:, None]                  # Ψ⁻¹W
    precision = np.eye(loadings.shape[1]) + loadings.T @ scaled  # G⁻¹
    factor = cho_factor(precision, lower=True)
    covariance = cho_solve(factor, np.eye(loadings.shape[1]))
    return 0.5 * (covariance + covariance.T), cho_solve(factor, scaled.T)


def _log_likelihood(X, mean, loadings, noise_variance) -> float:
    """Σ_n log N(x_n | μ, WWᵀ + Ψ), with the D × D covariance's Cholesky factor."""
    covariance = loadings @ loadings.T + np.diag(noise_variance)
    factor = cho_factor(covariance, lower=True)
    residual = X - mean
    mahalanobis = np.sum(residual.T * cho_solve(factor, residual.T))
    log_det = 2.0 * np.sum(np.log(np.diag(factor[0])))
    return float(-0.5 * (X.size * _LOG_2PI + X.shape[0] * log_det + mahalanobis))


def _m_step(statistics: LatentLinearStatistics, shift, noise: str) -> LatentLinearParams:
    n_components = statistics.sum_z.size
    cross = np.column_stack([statistics.sum_yz, statistics.sum_y])          # Σ y E[z̃]ᵀ
    second = np.empty((n_components + 1, n_components + 1))                 # Σ E[z̃ z̃ᵀ]
    second[:n_components, :n_components] = statistics.sum_zz
    second[:n_components, -1] = second[-1, :n_components] = statistics.sum_z
    second[-1, -1] = statistics.count
    augmented = np.linalg.solve(second, cross.T).T                          # [W, μ_y]
    noise_variance = (statistics.sum_yy - np.sum(augmented * cross, axis=1)) / statistics.count
    # Rounding can leave a tiny negative value where the model explains a column fully: keep
    # ψ_d >= 1e-12 of the column's sample variance S_dd and of the new W_d W_dᵀ (which can exceed
    # S_dd mid-run), so that WWᵀ + Ψ stays positive definite in float64, as LatentLinearParams
    # requires (ψ_d >= 1e-14 of W_d W_dᵀ + ψ_d).
    floor = 1e-12 * np.maximum(statistics.sum_yy / statistics.count,
                               np.sum(augmented[:, :-1] ** 2, axis=1))
    if noise == "isotropic":
        noise_variance = np.full_like(noise_variance, max(noise_variance.mean(), floor.max()))
    noise_variance = np.maximum(noise_variance, floor)
    return LatentLinearParams(augmented[:, -1] + shift, augmented[:, :-1], noise_variance)


def e_step(X, params: LatentLinearParams) -> tuple[np.ndarray, np.ndarray, float]:
    r"""E-step: the posterior of each z_n given x_n.

    Parameters: X (N, D); params (μ, W, Ψ).

    Returns
    -------
    latent_means : (N, M) E[z_n] = G Wᵀ Ψ⁻¹ (x_n − μ).
    latent_covariance : (M, M) G = Cov[z_n | x_n] = (I + WᵀΨ⁻¹W)⁻¹, the same for every n, so
        E[z_n z_nᵀ] = G + E[z_n] E[z_n]ᵀ.
    log_likelihood : Σ_n log N(x_n | μ, WWᵀ + Ψ).
    """
    X = _check_X(X)
    params = _check_params(params, X.shape[1])
    check_squares_fit(X, centre=params.mean, centre_name="params.mean")
    covariance, gain = _posterior(params.loadings, params.noise_variance)
    latent_means = (X - params.mean) @ gain.T
    return latent_means, covariance, _log_likelihood(X, params.mean, params.loadings,
                                                     params.noise_variance)


def m_step(X, latent_means, latent_covariance, noise: str = "diagonal") -> LatentLinearParams:
    """M-step from the E-step's E[z_n] (N, M) and G (M, M): the joint update of W and μ, then
    Ψ = diag(S − [W, μ] Σ E[z̃] xᵀ / N) (its average σ² for noise="isotropic")."""
    X = _check_X(X)
    noise = _check_noise(noise)
    latent_means = as_float_array(latent_means, "latent_means", ndim=2)
    if latent_means.shape[0] != X.shape[0]:
        raise ValueError(f"latent_means has {latent_means.shape[0]} rows but X has {X.shape[0]}")
    check_squares_fit(latent_means, "latent_means")
    n_components = latent_means.shape[1]
    latent_covariance = as_float_array(latent_covariance, "latent_covariance", ndim=2)
    check_squares_fit(latent_covariance, "latent_covariance")
    if latent_covariance.shape != (n_components, n_components):
        raise ValueError(f"latent_covariance has shape {latent_covariance.shape} but must be "
                         f"({n_components}, {n_components}), like E[z_n]'s M = {n_components}")
    shift = X.mean(axis=0)
    Y = X - shift
    statistics = LatentLinearStatistics(
        float(X.shape[0]), Y.sum(axis=0), np.sum(Y**2, axis=0), Y.T @ latent_means,
        latent_means.sum(axis=0), X.shape[0] * latent_covariance + latent_means.T @ latent_means)
    return _m_step(statistics, shift, noise)


def log_likelihood(X, params: LatentLinearParams) -> float:
    """Σ_n log N(x_n | μ, WWᵀ + Ψ): the marginal log-likelihood (z integrated out)."""
    X = _check_X(X)
    params = _check_params(params, X.shape[1])
    check_squares_fit(X, centre=params.mean, centre_name="params.mean")
    return _log_likelihood(X, params.mean, params.loadings, params.noise_variance)


def model_covariance(params: LatentLinearParams) -> np.ndarray:
    """(D, D) C = WWᵀ + Ψ, the covariance of x — what is identified (W only up to rotation)."""
    if not isinstance(params, LatentLinearParams):
        raise TypeError(f"params must be a LatentLinearParams, got {type(params).__name__}")
    return params.loadings @ params.loadings.T + np.diag(params.noise_variance)


def ppca_maximum_likelihood(X, n_components: int) -> LatentLinearParams:
    r"""The closed-form maximum-likelihood PPCA (Tipping & Bishop, 1999, eqs. 7–8).

    With the eigenvalues λ_0 ≥ … ≥ λ_{D−1} and eigenvectors U of the sample covariance
    S = (1/N) Σ (x_n − x̄)(x_n − x̄)ᵀ: σ² = mean of λ_M … λ_{D−1}, W = U_M (Λ_M − σ²I)^{1/2}
    (the rotation R = I), μ = x̄. Requires 1 <= n_components < D and λ_{M−1} > σ².
    """
    X = _check_X(X)
    n_features = X.shape[1]
    n_components = check_int(n_components, "n_components", minimum=1, maximum=n_features - 1,
                             maximum_reason=" (fewer latent dimensions than features)")
    mean = X.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(X.T, bias=True))
    eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]     # descending
    sigma2 = float(eigenvalues[n_components:].mean())
    if eigenvalues[n_components - 1] <= sigma2 * (1 + 1e-12):
        raise ValueError(f"the {n_components} leading eigenvalues do not exceed the noise "
                         "level σ² (the discarded eigenvalues' mean); choose fewer n_components")
    loadings = eigenvectors[:, :n_components] * np.sqrt(eigenvalues[:n_components] - sigma2)
    return LatentLinearParams(mean, loadings, np.full(n_features, sigma2))


def init_params(X, n_components: int, random_state=None) -> LatentLinearParams:
    """A random start: μ = x̄, W with N(0, s²/M) entries (s² the mean variance of the columns),
    Ψ = the columns' variances."""
    X = _check_X(X)
    n_components = check_int(n_components, "n_components", minimum=1,
                             maximum=X.shape[1] - 1,
                             maximum_reason=" (fewer latent dimensions than features)")
    rng = check_random_state(random_state)
    variance = X.var(axis=0)
    loadings = rng.standard_normal((X.shape[1], n_components)) * np.sqrt(variance.mean()
                                                                         / n_components)
    return LatentLinearParams(X.mean(axis=0), loadings, variance)


# --------------------------------------------------------------------------------------------
# fit: on the EM driver
# --------------------------------------------------------------------------------------------
class LatentLinearModel:
    """PPCA (noise="isotropic") or factor analysis (noise="diagonal") bound to X, for
    ``emlib.em.run``. ``params_to_vector`` gives (μ, W, log Ψ) (log σ² alone for PPCA), for
    ``emlib.convergence``. X and noise are checked here."""

    objective_name = "log_likelihood"

    def __init__(self, X, noise: str = "diagonal"):
        self.X = _check_X(X)
        self.noise = _check_noise(noise)
        self.n_items = float(self.X.shape[0])
        self.shift = self.X.mean(axis=0)
        self.Y = self.X - self.shift
        self.sum_yy = np.sum(self.Y**2, axis=0)

    def e_step(self, params):
        covariance, gain = _posterior(params.loadings, params.noise_variance)
        latent_means = (self.Y - (params.mean - self.shift)) @ gain.T
        statistics = LatentLinearStatistics(
            self.n_items, np.zeros(self.X.shape[1]), self.sum_yy, self.Y.T @ latent_means,
            latent_means.sum(axis=0), self.n_items * covariance + latent_means.T @ latent_means)
        return statistics, _log_likelihood(self.X, params.mean, params.loadings,
                                           params.noise_variance)

    def m_step(self, statistics, params=None):
        return _m_step(statistics, self.shift, self.noise)

    def params_to_vector(self, params):
        noise = np.log(params.noise_variance)
        noise = noise[:1] if self.noise == "isotropic" else noise
        return np.concatenate([params.mean, params.loadings.ravel(), noise])

    def params_from_vector(self, vector):
        vector = np.asarray(vector, dtype=float)
        d = self.X.shape[1]
        n_components = (vector.size - d - (1 if self.noise == "isotropic" else d)) // d
        loadings = vector[d:d + d * n_components].reshape(d, n_components)
        log_noise = vector[d + d * n_components:]
        if np.any(np.abs(log_noise) > 700):
            raise ValueError("the vector's log noise variances are out of range")
        return LatentLinearParams(vector[:d], loadings,
                                  np.broadcast_to(np.exp(log_noise), (d,)))


@dataclass(frozen=True, eq=False)
class LatentLinearResult(EMResult):
    """``emlib.em.EMResult`` (params = the final LatentLinearParams, objectives =
    log p(X | θ^(t))) plus ``noise`` ("isotropic" or "diagonal") and ``latent_means`` (N, M),
    E[z_n] under the final θ (the data's coordinates in the latent space)."""

    noise: str = "diagonal"
    latent_means: np.ndarray = None


def fit(X, n_components: int, *, noise: str = "diagonal", init: LatentLinearParams | None = None,
        max_iter: int = 500, tol: float = 1e-8, callback=None, random_state=None
        ) -> LatentLinearResult:
    """PPCA (noise="isotropic") or factor analysis (noise="diagonal") by EM on the driver.

    Parameters
    ----------
    X : (N, D) data, no constant column.
    n_components : M, 1 <= M < D.
    noise : "isotropic" (Ψ = σ²I, PPCA) or "diagonal" (factor analysis).
    init : θ^(0); None draws one with ``init_params(X, n_components, random_state)``.
    max_iter, tol, callback : as for ``emlib.em.run`` (tol on the log-likelihood per row).
    random_state : None, int or Generator, for the random start.

    Returns
    -------
    LatentLinearResult. For PPCA the noise of ``init`` is replaced by its mean (σ² I).
    """
    model = LatentLinearModel(X, noise)
    max_iter, tol = check_em_arguments(max_iter, tol, callback)
    if init is None:
        params = init_params(model.X, n_components, random_state)
    else:
        params = _check_params(init, model.X.shape[1], "init")
        check_int(n_components, "n_components", minimum=1)
        if params.n_components != n_components:
            raise ValueError(f"init has {params.n_components} components but n_components is "
                             f"{n_components}")
    if noise == "isotropic":
        params = LatentLinearParams(params.mean, params.loadings,
                                    np.full(params.n_features, params.noise_variance.mean()))
    result = run(model, params, max_iter=max_iter, tol=tol, callback=callback)
    _, gain = _posterior(result.params.loadings, result.params.noise_variance)
    latent_means = (model.X - result.params.mean) @ gain.T
    return result.extend(LatentLinearResult, noise=noise, latent_means=latent_means)
