r"""The checks behind the lecture notebooks' asserts, in one copy.

Each function raises ``AssertionError`` with a message that says what failed, and returns None
otherwise (a few helpers return the reference they compare against). The notebooks assert their
claims through them, and the tests apply the same functions to plausible wrong implementations
and show each one failing — a check that cannot fail would prove nothing:
``tests/test_lecture_claims.py`` for notebooks 00–05 (the prior forgotten, the posterior mean for
the mode, α instead of α − 1, the second-best topic, an E-step through a wrong shared helper, a
one-shot plug-in, …) and ``tests/test_lecture_06.py`` for notebook 06 (the marginal instead of the
conditional mean, an M-step without the conditional covariance, the rate measured from
log-likelihood increments, SQUAREM without its safeguard, …). Every check compares against an
independent reference, never the code path it checks:

* **enumeration over z** with ``scipy.stats`` densities and Bayes' rule (posteriors, the ELBO and
  its terms, the KL divergence, hard-EM assignments);
* **scipy.optimize** for "this M-step is the maximiser" (of :math:`Q`, or of :math:`Q + \log p(\theta)`
  with the prior from ``scipy.stats.dirichlet`` / ``invwishart``), over the simplex through a
  softmax and over covariances through a Cholesky factor;
* **finite differences** of a scipy-based log-likelihood for "EM's fixed point is a stationary
  point" (and a one-shot plug-in is not);
* **a grid posterior**, prior × likelihood of every data point, for conjugate updates;
* another formula, another optimiser, scikit-learn or a closed form (notebook 06).

Mixture parameters are passed as ``(weights, means, covariances)`` arrays of shapes (K,), (K, D)
and (K, D, D), or as anything with those three attributes (``emlib.gmm.GaussianMixtureParams``).
Indices are 0-based, as in ``notebooks/NOTATION.md``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import optimize, stats
from scipy.special import logsumexp, softmax

from ._validation import as_float_array, check_real

__all__ = [
    "check_close",
    "check_monotone",
    "check_lower",
    "check_conditional_moments",
    "check_same_gaussian",
    "check_biased",
    "check_unbiased",
    "check_latent_posterior",
    "check_eigenvalues_include",
    "check_rates",
    "check_acceleration",
    "mixture_log_joint_reference",
    "mixture_posterior_reference",
    "mixture_log_likelihood_reference",
    "check_exact_e_step",
    "check_elbo_terms",
    "check_m_step_gain",
    "q_maximiser_reference",
    "check_maximises_q",
    "dirichlet_map_reference",
    "check_dirichlet_map",
    "hard_assignment_reference",
    "check_hard_e_step",
    "numerical_gradient",
    "simplex_kkt_residual",
    "gmm_stationarity_residual",
    "check_gmm_stationary",
    "coins_log_likelihood_reference",
    "check_coins_stationary",
    "topic_model_stationarity_residual",
    "check_topic_model_stationary",
    "grid_posterior",
    "check_conjugate_posterior",
]


def _numbers(value, name: str) -> np.ndarray:
    """``value`` as a float array (NaN allowed: a check fails on it), or a TypeError naming it."""
    if isinstance(value, (str, bytes)) or np.asarray(value).dtype.kind not in "biuf":
        raise TypeError(f"{name} must be real numbers, got {type(value).__name__}")
    return np.asarray(value, dtype=float)


def _method_and_quantity(estimates, method: str, quantity: str) -> tuple[int, int]:
    if method not in estimates.methods:
        raise ValueError(f"method must be one of {estimates.methods}, got {method!r}")
    quantities = ("mean", "std", "correlation")
    if quantity not in quantities:
        raise ValueError(f"quantity must be one of {quantities}, got {quantity!r}")
    return estimates.methods.index(method), quantities.index(quantity)


def check_close(actual, expected, what: str, *, rtol: float = 1e-7, atol: float = 0.0) -> None:
    """|actual − expected| <= atol + rtol·|expected| everywhere (shapes equal)."""
    actual, expected = _numbers(actual, "actual"), _numbers(expected, "expected")
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: shape {actual.shape}, expected {expected.shape}")
    if not np.all(np.abs(actual - expected) <= atol + rtol * np.abs(expected)):
        worst = float(np.max(np.abs(actual - expected)))
        raise AssertionError(f"{what}: largest difference {worst:.3g} exceeds atol={atol:g}, "
                             f"rtol={rtol:g}")


def check_monotone(objectives, what: str = "log-likelihood", *, rtol: float = 1e-12) -> None:
    """The objective never decreases by more than rounding (rtol·max|F|) from one iterate to
    the next."""
    objectives = np.asarray(objectives, dtype=float)
    if not np.all(np.isfinite(objectives)):
        raise AssertionError(f"{what}: not finite")
    steps = np.diff(objectives)
    floor = -rtol * max(1.0, float(np.abs(objectives).max()))
    if steps.size and steps.min() < floor:
        t = int(np.argmin(steps))
        raise AssertionError(f"{what} fell by {-steps[t]:.3g} from t = {t} to t = {t + 1}")


def check_lower(value, bound, what: str, *, margin: float = 0.0) -> None:
    """value < bound − margin (e.g. a wrong M-step's final log-likelihood below EM's)."""
    if not float(value) < float(bound) - margin:
        raise AssertionError(f"{what}: {float(value):.6g} is not below {float(bound):.6g} by "
                             f"more than {margin:g}")


def check_conditional_moments(X, mean, covariance, expected_x, conditional_covariances, *,
                              rtol: float = 1e-10) -> None:
    r"""The E-step's E[x_n | x_o] and Cov[x_n | x_o] against the precision-matrix form of the
    Gaussian conditional: with Λ = Σ⁻¹, E[x_m | x_o] = μ_m − Λ_mm⁻¹ Λ_mo (x_o − μ_o) and
    Cov = Λ_mm⁻¹ (another route than the E-step's Σ_mo Σ_oo⁻¹). One row at a time."""
    X = np.asarray(X, dtype=float)
    mean, covariance = np.asarray(mean, dtype=float), np.asarray(covariance, dtype=float)
    precision = np.linalg.inv(covariance)
    expected_x = np.asarray(expected_x, dtype=float)
    conditional_covariances = np.asarray(conditional_covariances, dtype=float)
    if expected_x.shape != X.shape or conditional_covariances.shape != X.shape + X.shape[1:]:
        raise AssertionError(f"E-step shapes {expected_x.shape} and "
                             f"{conditional_covariances.shape}; expected {X.shape} and "
                             f"{X.shape + X.shape[1:]}")
    scale = max(1.0, float(np.abs(np.nan_to_num(X)).max()))
    for n, row in enumerate(X):
        m, o = np.isnan(row), ~np.isnan(row)
        want_x, want_c = row.copy(), np.zeros_like(covariance)
        block = np.linalg.inv(precision[np.ix_(m, m)])
        want_x[m] = mean[m] - block @ precision[np.ix_(m, o)] @ (row[o] - mean[o])
        want_c[np.ix_(m, m)] = block
        if not np.allclose(expected_x[n], want_x, rtol=rtol, atol=rtol * scale):
            raise AssertionError(f"row {n}: E[x | x_obs] = {expected_x[n]} but the conditional "
                                 f"Gaussian gives {want_x} (observed entries unchanged, missing "
                                 "ones from the conditional, not the marginal, mean)")
        if not np.allclose(conditional_covariances[n], want_c, rtol=rtol,
                           atol=rtol * float(np.abs(covariance).max())):
            raise AssertionError(f"row {n}: Cov[x | x_obs] differs from Λ_mm⁻¹ placed in the "
                                 "missing rows and columns")


def check_same_gaussian(mean_a, covariance_a, mean_b, covariance_b, what: str, *,
                        rtol: float = 1e-6) -> None:
    """Two Gaussians agree: means to rtol relative to the features' standard deviations, and
    covariances to rtol relative to the product of the standard deviations (unit-free)."""
    std = np.sqrt(np.diag(np.asarray(covariance_b, dtype=float)))
    mean_gap = np.abs(np.asarray(mean_a) - np.asarray(mean_b)) / std
    cov_gap = np.abs(np.asarray(covariance_a) - np.asarray(covariance_b)) / np.outer(std, std)
    worst = max(float(mean_gap.max()), float(cov_gap.max()))
    if not worst <= rtol:
        raise AssertionError(f"{what}: the Gaussians differ by {worst:.3g} (in standard "
                             f"deviations), more than {rtol:g}")


def check_biased(estimates, method: str, quantity: str = "mean", *,
                 min_sampling_se: float = 1.0, min_mc_se: float = 5.0) -> None:
    """``method``'s average estimate misses the truth by more than ``min_sampling_se`` of the
    complete-data estimate's spread and by more than ``min_mc_se`` Monte-Carlo standard errors
    (``estimates``: an ``emlib.missing.MechanismEstimates``)."""
    index, q = _method_and_quantity(estimates, method, quantity)
    bias = estimates.bias(quantity)[index]
    mc_se = getattr(estimates, f"{quantity}_se")[index]
    if not (abs(bias) > min_sampling_se * estimates.sampling_se[q] and abs(bias) > min_mc_se * mc_se):
        raise AssertionError(f"{method} under {estimates.mechanism}: the {quantity} is off by "
                             f"{bias:.3g}, which is not clearly biased ({min_sampling_se:g} "
                             f"sampling s.e. = {min_sampling_se * estimates.sampling_se[q]:.3g},"
                             f" {min_mc_se:g} Monte-Carlo s.e. = {min_mc_se * mc_se:.3g})")


def check_unbiased(estimates, method: str, quantity: str = "mean", *, max_mc_se: float = 3.0,
                   max_sampling_se: float = 0.2) -> None:
    """``method``'s average estimate is within ``max_mc_se`` Monte-Carlo standard errors of the
    truth, and within ``max_sampling_se`` of the complete-data estimate's spread."""
    index, q = _method_and_quantity(estimates, method, quantity)
    bias = estimates.bias(quantity)[index]
    mc_se = getattr(estimates, f"{quantity}_se")[index]
    if not (abs(bias) <= max_mc_se * mc_se or abs(bias) <= 1e-12) \
            or abs(bias) > max_sampling_se * estimates.sampling_se[q]:
        raise AssertionError(f"{method} under {estimates.mechanism}: the {quantity} is off by "
                             f"{bias:.3g}, more than {max_mc_se:g} Monte-Carlo s.e. "
                             f"({max_mc_se * mc_se:.3g}) or {max_sampling_se:g} sampling s.e.")


def check_latent_posterior(X, mean, loadings, noise_variance, latent_means, latent_covariance,
                           *, rtol: float = 1e-8) -> None:
    r"""The PPCA / factor-analysis E-step against the joint-Gaussian conditioning of z on x:
    (z, x) is Gaussian with Cov[z, x] = Wᵀ and Cov[x] = C = WWᵀ + Ψ, so
    E[z | x] = Wᵀ C⁻¹ (x − μ) and Cov[z | x] = I − Wᵀ C⁻¹ W (the D × D route, not the M × M one)."""
    X, W = np.asarray(X, dtype=float), np.asarray(loadings, dtype=float)
    C = W @ W.T + np.diag(np.asarray(noise_variance, dtype=float))
    gain = np.linalg.solve(C, W).T                                  # Wᵀ C⁻¹
    want_means = (X - mean) @ gain.T
    want_cov = np.eye(W.shape[1]) - gain @ W
    check_close(latent_means, want_means, "E[z_n | x_n]", rtol=rtol,
                atol=rtol * float(np.abs(want_means).max()))
    check_close(latent_covariance, want_cov, "Cov[z_n | x_n]", rtol=rtol, atol=rtol)


def check_eigenvalues_include(jacobian, expected, *, atol: float = 1e-6) -> None:
    """Each value in ``expected`` is within ``atol`` of some eigenvalue of ``jacobian``."""
    eigenvalues = np.linalg.eigvals(np.asarray(jacobian, dtype=float))
    for value in np.atleast_1d(expected):
        gap = float(np.min(np.abs(eigenvalues - value)))
        if gap > atol:
            raise AssertionError(f"no eigenvalue of the Jacobian is within {atol:g} of {value:.6g}"
                                 f" (closest off by {gap:.3g}); eigenvalues: "
                                 f"{np.round(np.sort(eigenvalues.real)[::-1], 6)}")


def check_rates(observed, largest_eigenvalues, *, atol: float = 0.02) -> None:
    """The rates measured from the iterates match λ_max of the EM map's Jacobian within atol,
    and both grow with the missing fraction (the arrays are ordered by it)."""
    observed = np.asarray(observed, dtype=float)
    largest = np.asarray(largest_eigenvalues, dtype=float)
    check_close(observed, largest, "observed rate vs λ_max(J)", rtol=0.0, atol=atol)
    if not (np.all(np.diff(observed) > 0) and np.all(np.diff(largest) > 0)):
        raise AssertionError("the rate does not grow with the missing fraction: "
                             f"observed {np.round(observed, 4)}, λ_max {np.round(largest, 4)}")


def check_acceleration(plain, accelerated, plain_vector, accelerated_vector, *,
                       atol: float = 1e-6, max_cost_ratio: float = 0.5) -> None:
    """SQUAREM against plain EM: the same optimum (parameter vectors within atol, the final
    log-likelihoods within 1e-9 relative), a non-decreasing log-likelihood, and at most
    ``max_cost_ratio`` of plain EM's EM steps (``n_em_steps`` vs ``n_iter``)."""
    check_close(accelerated_vector, plain_vector, "SQUAREM's optimum vs EM's", rtol=0.0,
                atol=atol)
    check_close(accelerated.objectives[-1], plain.objectives[-1], "final log-likelihood",
                rtol=1e-9)
    check_monotone(accelerated.objectives, "SQUAREM's log-likelihood")
    if not accelerated.n_em_steps <= max_cost_ratio * plain.n_iter:
        raise AssertionError(f"SQUAREM took {accelerated.n_em_steps} EM steps against plain EM's "
                             f"{plain.n_iter}: not below {max_cost_ratio:g} of them")


# ============================================================================================
# Notebooks 00–05
# ============================================================================================
def _mixture(params):
    """(weights (K,), means (K, D), covariances (K, D, D)) from a params object or a 3-tuple."""
    if hasattr(params, "weights"):
        weights, means, covariances = params.weights, params.means, params.covariances
    else:
        weights, means, covariances = params
    weights = as_float_array(weights, "weights", ndim=1)
    means = as_float_array(means, "means", ndim=2)
    covariances = as_float_array(covariances, "covariances", ndim=3)
    if not (weights.shape[0] == means.shape[0] == covariances.shape[0]
            and covariances.shape[1:] == (means.shape[1],) * 2):
        raise ValueError(f"weights {weights.shape}, means {means.shape} and covariances "
                         f"{covariances.shape} must be (K,), (K, D) and (K, D, D)")
    return weights, means, covariances


def _data(X, n_features=None):
    X = as_float_array(X, "X")
    X = X.reshape(-1, 1) if X.ndim == 1 else X
    if X.ndim != 2 or (n_features is not None and X.shape[1] != n_features):
        raise ValueError(f"X must be (N, {n_features or 'D'}), got shape {X.shape}")
    return X


def _fail(what: str, difference: float, tolerance: float):
    raise AssertionError(f"{what}: off by {difference:.3g} (tolerance {tolerance:.3g})")


# --------------------------------------------------------------------------------------------
# Enumeration over z with scipy.stats densities
# --------------------------------------------------------------------------------------------
def mixture_log_joint_reference(X, params) -> np.ndarray:
    """(N, K) log p(x_n, z_n = k | θ) = log π_k + log N(x_n | μ_k, Σ_k), with
    ``scipy.stats.multivariate_normal`` (no emlib code)."""
    weights, means, covariances = _mixture(params)
    X = _data(X, means.shape[1])
    with np.errstate(divide="ignore"):
        log_weights = np.log(weights)
    return np.column_stack([log_weights[k] + stats.multivariate_normal(means[k], covariances[k]).logpdf(X)
                            .reshape(len(X)) for k in range(len(weights))])


def mixture_posterior_reference(X, params) -> np.ndarray:
    """(N, K) p(z_n = k | x_n, θ) by Bayes' rule over the K values of z_n."""
    log_joint = mixture_log_joint_reference(X, params)
    joint = np.exp(log_joint - log_joint.max(axis=1, keepdims=True))    # rescaled: no underflow
    return joint / joint.sum(axis=1, keepdims=True)


def mixture_log_likelihood_reference(X, params) -> float:
    """log p(X | θ) = Σ_n log Σ_k π_k N(x_n | μ_k, Σ_k)."""
    return float(logsumexp(mixture_log_joint_reference(X, params), axis=1).sum())


def check_exact_e_step(q, X, params, *, atol: float = 1e-10):
    """The E-step's q is the exact posterior: Σ_n KL(q_n ‖ p(z_n | x_n, θ)) < atol, with the
    posterior by enumeration and the KL by ``scipy.stats.entropy``."""
    posterior = mixture_posterior_reference(X, params)
    q = as_float_array(q, "q", ndim=2)
    if q.shape != posterior.shape:
        raise ValueError(f"q has shape {q.shape}, expected {posterior.shape}")
    kl = float(np.sum(stats.entropy(q, posterior, axis=1)))
    if not kl < atol:
        _fail("KL(q ‖ posterior) after the E-step is not 0", kl, atol)


def check_elbo_terms(X, params, q, *, log_likelihood=None, elbo=None, kl=None,
                      expected_complete=None, entropy=None, rtol: float = 1e-10,
                      atol: float = 1e-10):
    r"""Each given number equals its definition, computed by enumeration over z:

    log p(X|θ) = Σ_n log Σ_k p(x_n, k); E_q[log p(X, Z|θ)] = Σ_nk q_nk log p(x_n, k);
    H[q] = Σ_n scipy.stats.entropy(q_n); L = E_q[log p(X, Z)] + H[q];
    KL = Σ_n scipy.stats.entropy(q_n, p(z | x_n)). And log p = L + KL.
    """
    log_joint = mixture_log_joint_reference(X, params)
    q = as_float_array(q, "q", ndim=2)
    with np.errstate(invalid="ignore"):
        weighted = np.where(q > 0, q * log_joint, 0.0)
    reference = {
        "log_likelihood": float(logsumexp(log_joint, axis=1).sum()),
        "expected_complete": float(weighted.sum()),
        "entropy": float(np.sum(stats.entropy(q, axis=1))),
        "kl": float(np.sum(stats.entropy(q, mixture_posterior_reference(X, params), axis=1))),
    }
    reference["elbo"] = reference["expected_complete"] + reference["entropy"]
    if abs(reference["log_likelihood"] - reference["elbo"] - reference["kl"]) > atol + rtol * abs(
            reference["log_likelihood"]):
        raise AssertionError("the enumeration itself violates log p = L + KL")        # pragma: no cover
    given = {"log_likelihood": log_likelihood, "elbo": elbo, "kl": kl,
             "expected_complete": expected_complete, "entropy": entropy}
    for name, value in given.items():
        if value is None:
            continue
        difference = abs(float(value) - reference[name])
        tolerance = atol + rtol * abs(reference[name])
        if not difference <= tolerance:
            _fail(f"{name} = {float(value):.10g}, but enumeration over z gives "
                  f"{reference[name]:.10g}", difference, tolerance)


def check_m_step_gain(X, params_old, params_new, q, *, rise_log_p=None, rise_elbo=None,
                       atol: float = 1e-9):
    r"""Notebook 02's claim for one EM iteration θ^(t) → θ^(t+1) with q = q^(t):

    (i) q is the posterior at θ^(t) (KL = 0, by enumeration); (ii) the M-step raises the bound,
    ΔL = L(q, θ^(t+1)) − L(q, θ^(t)) ≥ 0; (iii) log p rises by ΔL plus the new KL,
    Δlog p − ΔL = KL(q ‖ p(Z | X, θ^(t+1))) ≥ 0. Recorded rises, if given, must match.
    """
    check_exact_e_step(q, X, params_old, atol=atol)

    def elbo(params):
        log_joint = mixture_log_joint_reference(X, params)
        return float(np.sum(np.where(q > 0, q * log_joint, 0.0)) + np.sum(stats.entropy(q, axis=1)))

    gain_elbo = elbo(params_new) - elbo(params_old)
    gain_log_p = (mixture_log_likelihood_reference(X, params_new)
                  - mixture_log_likelihood_reference(X, params_old))
    new_kl = float(np.sum(stats.entropy(q, mixture_posterior_reference(X, params_new), axis=1)))
    if gain_elbo < -atol:
        _fail("the M-step lowers the bound L(q, θ)", -gain_elbo, atol)
    if abs(gain_log_p - gain_elbo - new_kl) > 1e3 * atol:
        _fail("Δlog p − ΔL is not the new KL", abs(gain_log_p - gain_elbo - new_kl), 1e3 * atol)
    for name, given, reference in (("rise of log p", rise_log_p, gain_log_p),
                                   ("rise of L", rise_elbo, gain_elbo)):
        if given is not None and abs(given - reference) > 1e3 * atol:
            _fail(f"recorded {name} {given:.8g} ≠ enumeration {reference:.8g}",
                  abs(given - reference), 1e3 * atol)


# --------------------------------------------------------------------------------------------
# "This M-step is the maximiser": scipy.optimize
# --------------------------------------------------------------------------------------------
def _softmax_maximiser(objective, n: int, start=None) -> np.ndarray:
    """The point of the simplex in R^n that maximises ``objective(p)``, by BFGS on n − 1 free
    logits (the last is 0)."""
    def negative(logits):
        return -objective(softmax(np.append(logits, 0.0)))

    x0 = np.zeros(n - 1) if start is None else np.log(start[:-1] / start[-1])
    result = optimize.minimize(negative, x0, method="BFGS", options={"gtol": 1e-10, "xrtol": 1e-12})
    return softmax(np.append(result.x, 0.0))


def _cholesky_vector(cov):
    lower = np.linalg.cholesky(cov)
    d = len(cov)
    rows, cols = np.tril_indices(d)
    vector = lower[rows, cols].copy()
    vector[rows == cols] = np.log(np.diag(lower))
    return vector


def _cov_from_vector(vector, d):
    rows, cols = np.tril_indices(d)
    lower = np.zeros((d, d))
    lower[rows, cols] = vector
    lower[np.diag_indices(d)] = np.exp(np.diag(lower))
    return lower @ lower.T


def q_maximiser_reference(X, resp, *, weights_alpha=None,
                          log_prior_component: Callable | None = None, start=None):
    r"""The maximiser of :math:`Q(\theta) + \log p(\theta)` for a Gaussian mixture, by
    ``scipy.optimize`` (independent of any closed form):

    .. math::
        Q(\theta) = \sum_{n,k} \gamma_{nk} \big[\log\pi_k + \log\mathcal N(x_n \mid \mu_k, \Sigma_k)\big],

    with the Gaussian log-density from ``scipy.stats.multivariate_normal``. Q separates into the
    weights (maximised over the simplex, plus ``scipy.stats.dirichlet.logpdf(π, weights_alpha)``
    when given) and one (μ_k, Σ_k) per component (BFGS over μ_k and a log-Cholesky factor of Σ_k,
    plus ``log_prior_component(mean, cov)`` when given).

    Parameters
    ----------
    X : (N, D) data. resp : (N, K) the E-step's γ (held fixed).
    weights_alpha : (K,) Dirichlet concentration of a prior on π, or None (flat).
    log_prior_component : callable (mean (D,), cov (D, D)) -> float, the log prior of one
        component's parameters, or None (flat).
    start : optional params to start the optimiser from (default: weighted moments).

    Returns
    -------
    (weights (K,), means (K, D), covariances (K, D, D)).
    """
    X = _data(X)
    resp = as_float_array(resp, "resp", ndim=2)
    n_components, d = resp.shape[1], X.shape[1]
    counts = resp.sum(axis=0)

    def weights_objective(p):
        value = float(counts @ np.log(p))
        if weights_alpha is not None:
            value += float(stats.dirichlet.logpdf(p / p.sum(), weights_alpha))
        return value

    weights = _softmax_maximiser(weights_objective, n_components,
                                 None if start is None else _mixture(start)[0])
    means, covariances = np.empty((n_components, d)), np.empty((n_components, d, d))
    for k in range(n_components):
        if start is None:
            mean0 = resp[:, k] @ X / counts[k]
            diff = X - mean0
            cov0 = (resp[:, k] * diff.T) @ diff / counts[k] + 1e-3 * np.eye(d)
        else:
            mean0, cov0 = _mixture(start)[1][k], _mixture(start)[2][k]

        def negative(vector, k=k):
            mean, cov = vector[:d], _cov_from_vector(vector[d:], d)
            value = float(resp[:, k] @ stats.multivariate_normal(mean, cov).logpdf(X).reshape(len(X)))
            if log_prior_component is not None:
                value += float(log_prior_component(mean, cov))
            return -value

        x0 = np.concatenate([mean0, _cholesky_vector(cov0)])
        result = optimize.minimize(negative, x0, method="BFGS",
                                   options={"gtol": 1e-9, "xrtol": 1e-12, "maxiter": 2000})
        means[k], covariances[k] = result.x[:d], _cov_from_vector(result.x[d:], d)
    return weights, means, covariances


def check_maximises_q(X, resp, params, *, weights_alpha=None, log_prior_component=None,
                       atol: float = 1e-4):
    r"""``params`` maximises :math:`Q(\theta \mid \theta^{(t)}) + \log p(\theta)` for the E-step's
    ``resp``: it equals ``q_maximiser_reference`` to ``atol`` (weights, means, covariances), and
    no value found by the optimiser is higher. See ``q_maximiser_reference`` for the priors."""
    weights, means, covariances = _mixture(params)
    X = _data(X, means.shape[1])
    resp = as_float_array(resp, "resp", ndim=2)
    reference = q_maximiser_reference(X, resp, weights_alpha=weights_alpha,
                                      log_prior_component=log_prior_component, start=None)
    for name, mine, theirs in zip(("weights", "means", "covariances"),
                                  (weights, means, covariances), reference):
        difference = float(np.max(np.abs(mine - theirs)))
        if not difference <= atol:
            _fail(f"{name} of the M-step are not the maximiser found by scipy.optimize "
                  f"(max of Q{' + log prior' if weights_alpha is not None or log_prior_component else ''})",
                  difference, atol)


def dirichlet_map_reference(counts, alpha) -> np.ndarray:
    r"""Row by row, the point of the simplex maximising
    :math:`\sum_k c_k \log p_k + \log \mathrm{Dir}(p \mid \alpha)`, the Dirichlet prior's log
    density from ``scipy.stats.dirichlet``, by ``scipy.optimize`` (no closed form used).

    counts : (R, K) expected counts, one row per distribution (a document's E_dk, a topic's
    E_kv). alpha : a scalar (symmetric prior) or (K,) concentrations, > 1 so that the maximiser
    is inside the simplex. Returns (R, K)."""
    counts = as_float_array(counts, "counts")
    counts = counts[None, :] if counts.ndim == 1 else counts
    alpha = np.broadcast_to(as_float_array(alpha, "alpha", ndim=None), counts.shape[1:]).astype(float)
    if np.any(alpha <= 1):
        raise ValueError("alpha must be > 1: for alpha <= 1 the maximiser is on the boundary or "
                         "does not exist (the log-posterior is unbounded)")
    rows = []
    for row in counts:
        def objective(p, row=row):
            return float(row @ np.log(p)) + float(stats.dirichlet.logpdf(p / p.sum(), alpha))
        rows.append(_softmax_maximiser(objective, len(row), (row + alpha) / (row + alpha).sum()))
    return np.array(rows)


def check_dirichlet_map(probs, counts, alpha, *, atol: float = 1e-6):
    """Each row of ``probs`` is the MAP estimate of a categorical distribution from ``counts``
    under a Dir(alpha) prior, as found by ``dirichlet_map_reference``."""
    probs = as_float_array(probs, "probs")
    probs = probs[None, :] if probs.ndim == 1 else probs
    reference = dirichlet_map_reference(counts, alpha)
    if probs.shape != reference.shape:
        raise ValueError(f"probs has shape {probs.shape}, counts {reference.shape}")
    difference = float(np.max(np.abs(probs - reference)))
    if not difference <= atol:
        row = int(np.argmax(np.max(np.abs(probs - reference), axis=1)))
        _fail(f"row {row} is {np.round(probs[row], 6)}, the maximiser of the log-posterior is "
              f"{np.round(reference[row], 6)}", difference, atol)


# --------------------------------------------------------------------------------------------
# Hard EM: the arg-max assignment by enumeration
# --------------------------------------------------------------------------------------------
def hard_assignment_reference(counts, doc_topic, topic_word):
    r"""Hard E-step of the topic model by enumerating the K topics of every (d, v), densely:
    c_dv = argmax_k π_dk θ_kv. Returns (doc_topic_counts (D, K) Σ_v n_dv [c_dv = k],
    topic_word_counts (K, V) Σ_d n_dv [c_dv = k], complete Σ_dv n_dv log max_k π_dk θ_kv)."""
    counts = np.asarray(counts.toarray() if hasattr(counts, "toarray") else counts, dtype=float)
    doc_topic = as_float_array(doc_topic, "doc_topic", ndim=2)
    topic_word = as_float_array(topic_word, "topic_word", ndim=2)
    joint = doc_topic[:, None, :] * topic_word.T[None, :, :]           # (D, V, K)
    best = joint.argmax(axis=2)
    one_hot = np.eye(doc_topic.shape[1])[best] * counts[:, :, None]     # n_dv [c_dv = k]
    observed = counts > 0
    complete = float(np.sum(counts[observed] * np.log(joint.max(axis=2)[observed])))
    return one_hot.sum(axis=1), one_hot.sum(axis=0).T, complete


def check_hard_e_step(doc_topic_counts, topic_word_counts, complete, counts, doc_topic,
                       topic_word, *, atol: float = 1e-9):
    """A hard E-step's counts and complete-data objective are those of the arg-max topic of
    every word (``hard_assignment_reference``)."""
    reference = hard_assignment_reference(counts, doc_topic, topic_word)
    for name, mine, theirs in (("doc_topic_counts", doc_topic_counts, reference[0]),
                               ("topic_word_counts", topic_word_counts, reference[1])):
        difference = float(np.max(np.abs(np.asarray(mine, dtype=float) - theirs)))
        if not difference <= atol:
            _fail(f"{name} are not the counts of the arg-max topic", difference, atol)
    difference = abs(float(complete) - reference[2])
    if not difference <= atol * max(1.0, abs(reference[2])):
        _fail("the complete-data objective is not Σ n log max_k π_dk θ_kv", difference,
              atol * max(1.0, abs(reference[2])))


# --------------------------------------------------------------------------------------------
# "No closed form": stationarity at EM's fixed point, not at a one-shot plug-in
# --------------------------------------------------------------------------------------------
def numerical_gradient(function: Callable, x, h: float = 1e-6) -> np.ndarray:
    """Central finite differences of a scalar ``function`` at the array ``x`` (any shape)."""
    x = as_float_array(x, "x", ndim=None).astype(float)
    h = check_real(h, "h", minimum=0.0, inclusive=False)
    gradient = np.empty_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        gradient[index] = (function(up) - function(down)) / (2 * h)
    return gradient


def simplex_kkt_residual(probs, gradient) -> float:
    r"""How far rows of probabilities are from a stationary point of a function on the simplex:
    :math:`\max_{r,i} |p_{ri}(g_{ri} - \sum_j p_{rj} g_{rj})|`. Zero exactly when, in every row,
    the gradient is the same constant (the Lagrange multiplier) wherever p > 0."""
    probs = as_float_array(probs, "probs")
    gradient = as_float_array(gradient, "gradient")
    probs, gradient = np.atleast_2d(probs), np.atleast_2d(gradient)
    multiplier = np.sum(probs * gradient, axis=1, keepdims=True)
    return float(np.max(np.abs(probs * (gradient - multiplier))))


def gmm_stationarity_residual(X, params, h: float = 1e-5) -> float:
    r"""Largest violation of the stationarity conditions of log p(X | θ) for a Gaussian mixture,
    by finite differences of ``mixture_log_likelihood_reference`` (scipy densities): the
    gradients in μ_k and in symmetric directions of Σ_k, and the simplex KKT residual of π."""
    weights, means, covariances = _mixture(params)
    X = _data(X, means.shape[1])
    d = means.shape[1]

    def log_p(w=weights, m=means, c=covariances):
        return mixture_log_likelihood_reference(X, (w, m, c))

    g_weights = numerical_gradient(lambda w: log_p(w=w), weights, h)
    g_means = numerical_gradient(lambda m: log_p(m=m), means, h)
    residual = max(simplex_kkt_residual(weights, g_weights), float(np.abs(g_means).max()))
    for k in range(len(weights)):
        for i, j in zip(*np.triu_indices(d)):
            direction = np.zeros((d, d))
            direction[i, j] = direction[j, i] = 1.0

            def along(s, k=k, direction=direction):
                shifted = covariances.copy()
                shifted[k] = shifted[k] + s[0] * direction
                return log_p(c=shifted)

            residual = max(residual, abs(float(numerical_gradient(along, [0.0], h)[0])))
    return residual


def check_gmm_stationary(X, params, *, atol: float = 1e-4):
    """``params`` is a stationary point of the mixture's log-likelihood (gradient 0, up to the
    simplex constraint on π), by finite differences: true at EM's fixed point, false at a
    one-shot plug-in of the M-step formulas."""
    residual = gmm_stationarity_residual(X, params)
    if not residual <= atol:
        _fail("not a stationary point of log p(X | θ) (largest gradient component)", residual, atol)


def coins_log_likelihood_reference(heads, n_tosses, theta) -> float:
    """log p(h | θ) of the two-coin experiment (each coin chosen with probability 1/2), with
    ``scipy.stats.binom``."""
    heads = np.asarray(heads)
    theta = as_float_array(theta, "theta", ndim=1)
    per_set = 0.5 * stats.binom.pmf(heads[:, None], n_tosses, theta[None, :])
    return float(np.log(per_set.sum(axis=1)).sum())


def check_coins_stationary(heads, n_tosses, theta, *, atol: float = 1e-6):
    """θ = (θ_A, θ_B) is a stationary point of the two-coin log-likelihood: both partial
    derivatives (finite differences of ``coins_log_likelihood_reference``) are 0."""
    gradient = numerical_gradient(lambda t: coins_log_likelihood_reference(heads, n_tosses, t),
                                  theta, 1e-7)
    if not np.max(np.abs(gradient)) <= atol:
        _fail(f"not a stationary point of the two-coin log-likelihood (gradient {gradient})",
              float(np.max(np.abs(gradient))), atol)


def topic_model_stationarity_residual(counts, doc_topic, topic_word) -> float:
    r"""Largest simplex KKT residual of log p(W | Π, Θ) = Σ n_dv log (ΠΘ)_dv over the rows of Π
    and Θ, divided by the number of tokens, with the gradients computed densely:
    ∂/∂π_dk = Σ_v n_dv θ_kv / (ΠΘ)_dv and ∂/∂θ_kv = Σ_d n_dv π_dk / (ΠΘ)_dv."""
    counts = np.asarray(counts.toarray() if hasattr(counts, "toarray") else counts, dtype=float)
    doc_topic = as_float_array(doc_topic, "doc_topic", ndim=2)
    topic_word = as_float_array(topic_word, "topic_word", ndim=2)
    probability = doc_topic @ topic_word
    ratio = np.divide(counts, probability, out=np.zeros_like(counts), where=counts > 0)
    residual = max(simplex_kkt_residual(doc_topic, ratio @ topic_word.T),
                   simplex_kkt_residual(topic_word, doc_topic.T @ ratio))
    return residual / counts.sum()


def check_topic_model_stationary(counts, doc_topic, topic_word, *, atol: float = 1e-4):
    """(Π, Θ) is a stationary point of the topic model's log-likelihood on the simplices, up to
    ``atol`` per token (``topic_model_stationarity_residual``)."""
    residual = topic_model_stationarity_residual(counts, doc_topic, topic_word)
    if not residual <= atol:
        _fail("not a stationary point of log p(W | Π, Θ) (KKT residual per token)", residual, atol)


# --------------------------------------------------------------------------------------------
# Conjugacy: the closed-form update against a grid posterior
# --------------------------------------------------------------------------------------------
def grid_posterior(grid, log_prior, log_likelihood) -> np.ndarray:
    """Posterior density on an equally spaced 1-D grid, prior × likelihood normalised by the
    trapezoidal rule. ``log_prior`` and ``log_likelihood`` are arrays of values on the grid."""
    grid = as_float_array(grid, "grid", ndim=1)
    log_density = as_float_array(log_prior, "log_prior", ndim=1) + as_float_array(
        log_likelihood, "log_likelihood", ndim=1)
    density = np.exp(log_density - log_density.max())
    return density / np.trapezoid(density, grid)


def check_conjugate_posterior(grid, tau, nu, log_partition, log_prior, log_likelihood, *,
                               atol: float = 1e-6):
    r"""The conjugate update's posterior, :math:`\propto \exp(\eta\tau' - \nu' A(\eta))` with the
    updated (τ', ν') = (``tau``, ``nu``), equals the grid posterior prior × likelihood of every
    data point (``grid_posterior``), as densities on ``grid`` (largest difference relative to
    the peak)."""
    grid = as_float_array(grid, "grid", ndim=1)
    reference = grid_posterior(grid, log_prior, log_likelihood)
    conjugate = grid_posterior(grid, grid * float(tau) - float(nu) * np.asarray(log_partition, float),
                               np.zeros_like(grid))
    difference = float(np.max(np.abs(conjugate - reference)) / reference.max())
    if not difference <= atol:
        _fail(f"the conjugate posterior with τ = {float(tau):.6g}, ν = {float(nu):.6g} is not prior × "
              "likelihood", difference, atol)
