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

from ._validation import (as_float_array, as_log_array, as_real_array, check_callable,
                          check_covariance, check_distribution, check_doc_topic, check_instance,
                          check_int, check_real, check_resp, check_squares_fit, check_text,
                          check_topic_word)

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


def _tolerance(value, name: str) -> float:
    """A tolerance: a finite real number >= 0 (not a bool, not text)."""
    return check_real(value, name, minimum=0.0)


def _answer(value, name: str) -> float:
    """A scalar answer a check judges: any real number, NaN and ±inf included (the check fails
    on those), but not text, a bool, a complex number or an array."""
    return float(as_real_array(value, name, ndim=0))


def _same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they "
                         "must match")


def _close(actual, expected, what: str, rtol: float, atol: float) -> None:
    """check_close for arrays already checked (shapes may differ: that is a failed check)."""
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: shape {actual.shape}, expected {expected.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        difference = np.abs(actual - expected)
        ok = np.all(difference <= atol + rtol * np.abs(expected))
    if not ok:
        worst = float(np.max(difference)) if difference.size else float("nan")
        raise AssertionError(f"{what}: largest difference {worst:.3g} exceeds atol={atol:g}, "
                             f"rtol={rtol:g}")


def _method_and_quantity(estimates, method: str, quantity: str) -> tuple[int, int]:
    from .missing import MechanismEstimates          # here: emlib.missing is heavier to import
    check_instance(estimates, MechanismEstimates, "estimates",
                   " (from emlib.missing.mechanism_estimates)")
    if method not in estimates.methods:
        raise ValueError(f"method must be one of {estimates.methods}, got {method!r}")
    quantities = ("mean", "std", "correlation")
    if quantity not in quantities:
        raise ValueError(f"quantity must be one of {quantities}, got {quantity!r}")
    return estimates.methods.index(method), quantities.index(quantity)


def check_close(actual, expected, what: str, *, rtol: float = 1e-7, atol: float = 0.0) -> None:
    """|actual − expected| <= atol + rtol·|expected| everywhere (shapes equal)."""
    actual, expected = as_real_array(actual, "actual"), as_real_array(expected, "expected")
    what = check_text(what, "what", allow_none=False)
    _close(actual, expected, what, _tolerance(rtol, "rtol"), _tolerance(atol, "atol"))


def check_monotone(objectives, what: str = "log-likelihood", *, rtol: float = 1e-12) -> None:
    """The objective never decreases by more than rounding (rtol·max|F|) from one iterate to
    the next."""
    objectives = as_real_array(objectives, "objectives", ndim=1)
    what = check_text(what, "what", allow_none=False)
    rtol = _tolerance(rtol, "rtol")
    if not np.all(np.isfinite(objectives)):
        raise AssertionError(f"{what}: not finite")
    with np.errstate(over="ignore"):
        steps = np.diff(objectives)
    floor = -rtol * max(1.0, float(np.abs(objectives).max()))
    if steps.size and steps.min() < floor:
        t = int(np.argmin(steps))
        raise AssertionError(f"{what} fell by {-steps[t]:.3g} from t = {t} to t = {t + 1}")


def check_lower(value, bound, what: str, *, margin: float = 0.0) -> None:
    """value < bound − margin (e.g. a wrong M-step's final log-likelihood below EM's)."""
    value, bound = _answer(value, "value"), _answer(bound, "bound")
    what = check_text(what, "what", allow_none=False)
    margin = _tolerance(margin, "margin")
    if not value < bound - margin:
        raise AssertionError(f"{what}: {value:.6g} is not below {bound:.6g} by more than "
                             f"{margin:g}")


def check_conditional_moments(X, mean, covariance, expected_x, conditional_covariances, *,
                              rtol: float = 1e-10) -> None:
    r"""The E-step's E[x_n | x_o] and Cov[x_n | x_o] against the precision-matrix form of the
    Gaussian conditional: with Λ = Σ⁻¹, E[x_m | x_o] = μ_m − Λ_mm⁻¹ Λ_mo (x_o − μ_o) and
    Cov = Λ_mm⁻¹ (another route than the E-step's Σ_mo Σ_oo⁻¹). One row at a time."""
    X = as_real_array(X, "X", ndim=2)
    if np.any(np.isinf(X)):
        raise ValueError("X must be finite where observed (NaN marks a missing entry)")
    mean = as_float_array(mean, "mean", ndim=1)
    covariance = check_covariance(covariance, "covariance", n_features=mean.shape[0])
    if X.shape[1] != mean.shape[0]:
        raise ValueError(f"X has {X.shape[1]} columns but mean has {mean.shape[0]} entries")
    rtol = _tolerance(rtol, "rtol")
    precision = np.linalg.inv(covariance)
    expected_x = as_real_array(expected_x, "expected_x")
    conditional_covariances = as_real_array(conditional_covariances, "conditional_covariances")
    if expected_x.shape != X.shape or conditional_covariances.shape != X.shape + X.shape[1:]:
        raise AssertionError(f"E-step shapes {expected_x.shape} and "
                             f"{conditional_covariances.shape}; expected {X.shape} and "
                             f"{X.shape + X.shape[1:]}")
    scale = max(1.0, float(np.abs(np.nan_to_num(X)).max()))
    for n, row in enumerate(X):
        m, o = np.isnan(row), ~np.isnan(row)
        want_x, want_c = row.copy(), np.zeros_like(covariance)
        block = np.linalg.inv(precision[np.ix_(m, m)])
        with np.errstate(over="ignore", invalid="ignore"):
            want_x[m] = mean[m] - block @ precision[np.ix_(m, o)] @ (row[o] - mean[o])
            agree = np.allclose(expected_x[n], want_x, rtol=rtol, atol=rtol * scale)
        want_c[np.ix_(m, m)] = block
        if not agree:
            raise AssertionError(f"row {n}: E[x | x_obs] = {expected_x[n]} but the conditional "
                                 f"Gaussian gives {want_x} (observed entries unchanged, missing "
                                 "ones from the conditional, not the marginal, mean)")
        with np.errstate(over="ignore", invalid="ignore"):
            agree = np.allclose(conditional_covariances[n], want_c, rtol=rtol,
                                atol=rtol * float(np.abs(covariance).max()))
        if not agree:
            raise AssertionError(f"row {n}: Cov[x | x_obs] differs from Λ_mm⁻¹ placed in the "
                                 "missing rows and columns")


def check_same_gaussian(mean_a, covariance_a, mean_b, covariance_b, what: str, *,
                        rtol: float = 1e-6) -> None:
    """Two Gaussians agree: means to rtol relative to the features' standard deviations, and
    covariances to rtol relative to the product of the standard deviations (unit-free)."""
    mean_a, mean_b = as_real_array(mean_a, "mean_a", ndim=1), as_real_array(mean_b, "mean_b", ndim=1)
    covariance_a = as_real_array(covariance_a, "covariance_a", ndim=2)
    covariance_b = as_real_array(covariance_b, "covariance_b", ndim=2)
    _same_shape(mean_a, mean_b, "mean_a", "mean_b")
    _same_shape(covariance_a, covariance_b, "covariance_a", "covariance_b")
    if covariance_b.shape != mean_b.shape * 2:
        raise ValueError(f"covariance_b has shape {covariance_b.shape} but mean_b has "
                         f"{mean_b.shape[0]} entries; it must be ({mean_b.shape[0]}, "
                         f"{mean_b.shape[0]})")
    what = check_text(what, "what", allow_none=False)
    rtol = _tolerance(rtol, "rtol")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        std = np.sqrt(np.diag(covariance_b))
        mean_gap = np.abs(mean_a - mean_b) / std
        cov_gap = np.abs(covariance_a - covariance_b) / np.outer(std, std)
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
    min_sampling_se = _tolerance(min_sampling_se, "min_sampling_se")
    min_mc_se = _tolerance(min_mc_se, "min_mc_se")
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
    max_mc_se = _tolerance(max_mc_se, "max_mc_se")
    max_sampling_se = _tolerance(max_sampling_se, "max_sampling_se")
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
    X, W = as_float_array(X, "X", ndim=2), as_float_array(loadings, "loadings", ndim=2)
    mean = as_float_array(mean, "mean", ndim=1)
    noise_variance = as_float_array(noise_variance, "noise_variance", ndim=1)
    if not (X.shape[1] == mean.shape[0] == W.shape[0] == noise_variance.shape[0]):
        raise ValueError(f"X {X.shape}, mean {mean.shape}, loadings {W.shape} and noise_variance "
                         f"{noise_variance.shape} must be (N, D), (D,), (D, M) and (D,)")
    rtol = _tolerance(rtol, "rtol")
    check_squares_fit(W, "loadings")                 # W Wᵀ must fit in float64
    C = check_covariance(W @ W.T + np.diag(noise_variance), "loadings and noise_variance "
                         "(the model covariance W Wᵀ + Ψ)")
    check_squares_fit(X, "X", centre=mean, centre_name="mean")
    gain = np.linalg.solve(C, W).T                                  # Wᵀ C⁻¹
    want_means = (X - mean) @ gain.T
    want_cov = np.eye(W.shape[1]) - gain @ W
    _close(as_real_array(latent_means, "latent_means"), want_means, "E[z_n | x_n]", rtol,
           rtol * float(np.abs(want_means).max()))
    _close(as_real_array(latent_covariance, "latent_covariance"), want_cov, "Cov[z_n | x_n]",
           rtol, rtol)


def check_eigenvalues_include(jacobian, expected, *, atol: float = 1e-6) -> None:
    """Each value in ``expected`` is within ``atol`` of some eigenvalue of ``jacobian``."""
    jacobian = as_real_array(jacobian, "jacobian", ndim=2)
    if jacobian.shape[0] != jacobian.shape[1]:
        raise ValueError(f"jacobian must be square, but has shape {jacobian.shape}")
    expected = as_real_array(expected, "expected")
    atol = _tolerance(atol, "atol")
    if not np.all(np.isfinite(jacobian)):
        raise AssertionError("the Jacobian is not finite")
    with np.errstate(over="ignore", invalid="ignore"):
        eigenvalues = np.linalg.eigvals(jacobian)
        for value in np.atleast_1d(expected):
            gap = float(np.min(np.abs(eigenvalues - value)))
            if not gap <= atol:
                raise AssertionError(
                    f"no eigenvalue of the Jacobian is within {atol:g} of {value:.6g} (closest "
                    f"off by {gap:.3g}); eigenvalues: "
                    f"{np.array2string(np.sort(eigenvalues.real)[::-1], precision=6)}")


def check_rates(observed, largest_eigenvalues, *, atol: float = 0.02) -> None:
    """The rates measured from the iterates match λ_max of the EM map's Jacobian within atol,
    and both grow with the missing fraction (the arrays are ordered by it)."""
    observed = as_real_array(observed, "observed", ndim=1)
    largest = as_real_array(largest_eigenvalues, "largest_eigenvalues", ndim=1)
    _same_shape(observed, largest, "observed", "largest_eigenvalues")
    _close(observed, largest, "observed rate vs λ_max(J)", 0.0, _tolerance(atol, "atol"))
    with np.errstate(over="ignore", invalid="ignore"):
        grows = np.all(np.diff(observed) > 0) and np.all(np.diff(largest) > 0)
    if not grows:
        raise AssertionError("the rate does not grow with the missing fraction: observed "
                             f"{np.array2string(observed, precision=4)}, λ_max "
                             f"{np.array2string(largest, precision=4)}")


def check_acceleration(plain, accelerated, plain_vector, accelerated_vector, *,
                       atol: float = 1e-6, max_cost_ratio: float = 0.5) -> None:
    """SQUAREM against plain EM: the same optimum (parameter vectors within atol, the final
    log-likelihoods within 1e-9 relative), a non-decreasing log-likelihood, and at most
    ``max_cost_ratio`` of plain EM's EM steps (``n_em_steps`` vs ``n_iter``)."""
    plain_objectives = _run_attribute(plain, "plain", "objectives")
    fast_objectives = _run_attribute(accelerated, "accelerated", "objectives")
    n_iter = check_int(_run_attribute(plain, "plain", "n_iter"), "plain.n_iter", minimum=0)
    n_em_steps = check_int(_run_attribute(accelerated, "accelerated", "n_em_steps"),
                           "accelerated.n_em_steps", minimum=0)
    plain_objectives = as_real_array(plain_objectives, "plain.objectives", ndim=1)
    fast_objectives = as_real_array(fast_objectives, "accelerated.objectives", ndim=1)
    if not (plain_objectives.size and fast_objectives.size):
        raise ValueError("plain.objectives and accelerated.objectives must not be empty")
    accelerated_vector = as_real_array(accelerated_vector, "accelerated_vector", ndim=1)
    plain_vector = as_real_array(plain_vector, "plain_vector", ndim=1)
    _same_shape(accelerated_vector, plain_vector, "accelerated_vector", "plain_vector")
    max_cost_ratio = _tolerance(max_cost_ratio, "max_cost_ratio")
    _close(accelerated_vector, plain_vector, "SQUAREM's optimum vs EM's", 0.0,
           _tolerance(atol, "atol"))
    _close(fast_objectives[-1:], plain_objectives[-1:], "final log-likelihood", 1e-9, 0.0)
    check_monotone(fast_objectives, "SQUAREM's log-likelihood")
    if not n_em_steps <= max_cost_ratio * n_iter:
        raise AssertionError(f"SQUAREM took {n_em_steps} EM steps against plain EM's "
                             f"{n_iter}: not below {max_cost_ratio:g} of them")


def _run_attribute(run, name: str, attribute: str):
    """``run.attribute`` of a fit's result, or a TypeError naming ``name``."""
    if not hasattr(run, attribute):
        raise TypeError(f"{name} must be a fit's result with .{attribute} (an EMResult or "
                        f"SquaremResult), got {type(run).__name__}")
    return getattr(run, attribute)


# ============================================================================================
# Notebooks 00–05
# ============================================================================================
def _mixture(params, name: str = "params", *, answer: bool = False):
    """(weights (K,), means (K, D), covariances (K, D, D)) from a params object or a 3-tuple,
    checked (weights a distribution, covariances positive definite), or an error naming
    ``name``. An ``answer`` that a check only compares (not evaluates) need not be a valid
    mixture: a wrong one is the check's AssertionError."""
    if all(hasattr(params, a) for a in ("weights", "means", "covariances")):
        weights, means, covariances = params.weights, params.means, params.covariances
    elif isinstance(params, (tuple, list)) and len(params) == 3:
        weights, means, covariances = params
    else:
        raise TypeError(f"{name} must be mixture parameters: a GaussianMixtureParams or a tuple "
                        f"(weights, means, covariances), got {type(params).__name__}")
    weights = as_float_array(weights, f"{name}.weights", ndim=1)
    means = as_float_array(means, f"{name}.means", ndim=2)
    covariances = as_float_array(covariances, f"{name}.covariances", ndim=3)
    if not (weights.shape[0] == means.shape[0] == covariances.shape[0]
            and covariances.shape[1:] == (means.shape[1],) * 2):
        raise ValueError(f"{name}: weights {weights.shape}, means {means.shape} and covariances "
                         f"{covariances.shape} must be (K,), (K, D) and (K, D, D)")
    if answer:
        return weights, means, covariances
    check_distribution(weights, f"{name}.weights")
    for k, covariance in enumerate(covariances):
        check_covariance(covariance, f"{name}.covariances[{k}]")
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
    for mean in means:                           # (x − μ_k)ᵀ Σ_k⁻¹ (x − μ_k) must fit in float64
        check_squares_fit(X, "X", centre=mean, centre_name="params.means")
    return _log_joint(X, weights, means, covariances)


def _log_joint(X, weights, means, covariances) -> np.ndarray:
    """mixture_log_joint_reference of checked arrays."""
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
    q = as_real_array(q, "q", ndim=2)
    atol = _tolerance(atol, "atol")
    posterior = mixture_posterior_reference(X, params)
    if q.shape != posterior.shape:
        raise ValueError(f"q has shape {q.shape}, expected {posterior.shape}")
    kl = _posterior_kl(q, posterior)
    if not kl < atol:
        _fail("KL(q ‖ posterior) after the E-step is not 0", kl, atol)


def _posterior_kl(q, posterior) -> float:
    """Σ_n KL(q_n ‖ posterior_n) with ``scipy.stats.entropy``; NaN when q is not rows of
    probabilities (negative, NaN or overflowing entries), so that the check fails on it."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if not (np.all(q >= 0) and np.all(np.isfinite(q.sum(axis=1)))):
            return float("nan")
        return float(np.sum(stats.entropy(q, posterior, axis=1)))


def check_elbo_terms(X, params, q, *, log_likelihood=None, elbo=None, kl=None,
                      expected_complete=None, entropy=None, rtol: float = 1e-10,
                      atol: float = 1e-10):
    r"""Each given number equals its definition, computed by enumeration over z:

    log p(X|θ) = Σ_n log Σ_k p(x_n, k); E_q[log p(X, Z|θ)] = Σ_nk q_nk log p(x_n, k);
    H[q] = Σ_n scipy.stats.entropy(q_n); L = E_q[log p(X, Z)] + H[q];
    KL = Σ_n scipy.stats.entropy(q_n, p(z | x_n)). And log p = L + KL.
    """
    q = check_resp(q, len(_data(X)), name="q")
    rtol, atol = _tolerance(rtol, "rtol"), _tolerance(atol, "atol")
    given = {"log_likelihood": log_likelihood, "elbo": elbo, "kl": kl,
             "expected_complete": expected_complete, "entropy": entropy}
    given = {name: _answer(value, name) for name, value in given.items() if value is not None}
    log_joint = mixture_log_joint_reference(X, params)
    if q.shape != log_joint.shape:
        raise ValueError(f"q has shape {q.shape}, expected {log_joint.shape}")
    with np.errstate(invalid="ignore"):
        weighted = np.where(q > 0, q * log_joint, 0.0)
    reference = {
        "log_likelihood": float(logsumexp(log_joint, axis=1).sum()),
        "expected_complete": float(weighted.sum()),
        "entropy": float(np.sum(stats.entropy(q, axis=1))),
        "kl": _posterior_kl(q, mixture_posterior_reference(X, params)),
    }
    reference["elbo"] = reference["expected_complete"] + reference["entropy"]
    if abs(reference["log_likelihood"] - reference["elbo"] - reference["kl"]) > atol + rtol * abs(
            reference["log_likelihood"]):
        raise AssertionError("the enumeration itself violates log p = L + KL")        # pragma: no cover
    for name, value in given.items():
        with np.errstate(over="ignore", invalid="ignore"):
            difference = abs(value - reference[name])
            tolerance = atol + rtol * abs(reference[name])
        if not difference <= tolerance:
            _fail(f"{name} = {value:.10g}, but enumeration over z gives "
                  f"{reference[name]:.10g}", difference, tolerance)


def check_m_step_gain(X, params_old, params_new, q, *, rise_log_p=None, rise_elbo=None,
                       atol: float = 1e-9):
    r"""Notebook 02's claim for one EM iteration θ^(t) → θ^(t+1) with q = q^(t):

    (i) q is the posterior at θ^(t) (KL = 0, by enumeration); (ii) the M-step raises the bound,
    ΔL = L(q, θ^(t+1)) − L(q, θ^(t)) ≥ 0; (iii) log p rises by ΔL plus the new KL,
    Δlog p − ΔL = KL(q ‖ p(Z | X, θ^(t+1))) ≥ 0. Recorded rises, if given, must match.
    """
    _mixture(params_new, "params_new")
    _mixture(params_old, "params_old")
    q = as_real_array(q, "q", ndim=2)
    atol = _tolerance(atol, "atol")
    rise_log_p = None if rise_log_p is None else _answer(rise_log_p, "rise_log_p")
    rise_elbo = None if rise_elbo is None else _answer(rise_elbo, "rise_elbo")
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
        if given is not None and not abs(given - reference) <= 1e3 * atol:
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
    check_squares_fit(X, "X")
    resp = check_resp(resp, len(X), name="resp")
    n_components, d = resp.shape[1], X.shape[1]
    counts = resp.sum(axis=0)
    if np.any(counts <= 0):
        raise ValueError(f"resp gives component {int(np.argmin(counts))} no weight: its mean and "
                         "covariance have no maximiser")
    if weights_alpha is not None:
        weights_alpha = as_float_array(weights_alpha, "weights_alpha", ndim=1)
        if weights_alpha.shape != (n_components,) or np.any(weights_alpha <= 0):
            raise ValueError(f"weights_alpha must be {n_components} concentrations > 0, got "
                             f"{weights_alpha}")
    check_callable(log_prior_component, "log_prior_component", ("mean", "cov"))
    if start is not None:
        _mixture(start, "start")

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
    weights, means, covariances = _mixture(params, answer=True)
    X = _data(X, means.shape[1])
    atol = _tolerance(atol, "atol")
    reference = q_maximiser_reference(X, resp, weights_alpha=weights_alpha,
                                      log_prior_component=log_prior_component, start=None)
    for name, mine, theirs in zip(("weights", "means", "covariances"),
                                  (weights, means, covariances), reference):
        if mine.shape != theirs.shape:
            raise ValueError(f"params.{name} has shape {mine.shape}, but resp has "
                             f"{len(weights)} columns: expected {theirs.shape}")
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
    if counts.ndim != 2 or np.any(counts < 0):
        raise ValueError(f"counts must be (R, K) expected counts >= 0, got {counts}")
    check_squares_fit(counts, "counts")
    alpha = as_float_array(alpha, "alpha", ndim=None)
    if alpha.shape not in ((), counts.shape[1:]):
        raise ValueError(f"alpha must be a scalar or {counts.shape[1]} concentrations, got shape "
                         f"{alpha.shape}")
    alpha = np.broadcast_to(alpha, counts.shape[1:]).astype(float)
    check_squares_fit(alpha[None, :], "alpha")         # the optimiser squares the gradient
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
    probs = as_real_array(probs, "probs")
    probs = probs[None, :] if probs.ndim == 1 else probs
    atol = _tolerance(atol, "atol")
    reference = dirichlet_map_reference(counts, alpha)
    if probs.shape != reference.shape:
        raise ValueError(f"probs has shape {probs.shape}, counts {reference.shape}")
    with np.errstate(invalid="ignore"):
        difference = float(np.max(np.abs(probs - reference)))
    if not difference <= atol:
        row = int(np.argmax(np.max(np.abs(probs - reference), axis=1)))
        _fail(f"row {row} is {np.array2string(probs[row], precision=6)}, the maximiser of the "
              f"log-posterior is {np.array2string(reference[row], precision=6)}", difference, atol)


# --------------------------------------------------------------------------------------------
# Hard EM: the arg-max assignment by enumeration
# --------------------------------------------------------------------------------------------
def hard_assignment_reference(counts, doc_topic, topic_word):
    r"""Hard E-step of the topic model by enumerating the K topics of every (d, v), densely:
    c_dv = argmax_k π_dk θ_kv. Returns (doc_topic_counts (D, K) Σ_v n_dv [c_dv = k],
    topic_word_counts (K, V) Σ_d n_dv [c_dv = k], complete Σ_dv n_dv log max_k π_dk θ_kv)."""
    counts, doc_topic, topic_word = _topic_model(counts, doc_topic, topic_word)
    joint = doc_topic[:, None, :] * topic_word.T[None, :, :]           # (D, V, K)
    best = joint.argmax(axis=2)
    one_hot = np.eye(doc_topic.shape[1])[best] * counts[:, :, None]     # n_dv [c_dv = k]
    observed = counts > 0
    with np.errstate(divide="ignore"):
        complete = float(np.sum(counts[observed] * np.log(joint.max(axis=2)[observed])))
    if not np.isfinite(complete):
        raise ValueError("doc_topic and topic_word give a word of counts probability 0 under "
                         "every topic (or the objective overflows): no arg-max topic")
    return one_hot.sum(axis=1), one_hot.sum(axis=0).T, complete


def _topic_model(counts, doc_topic, topic_word):
    """counts (D, V) dense whole numbers >= 0, doc_topic (D, K) and topic_word (K, V) rows of
    probabilities, or errors naming the argument."""
    if hasattr(counts, "toarray"):
        counts = counts.toarray()
    counts = as_float_array(counts, "counts", ndim=2)
    if np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError("counts must hold whole numbers >= 0 (word counts)")
    check_squares_fit(counts, "counts")
    doc_topic = check_doc_topic(doc_topic, n_docs=counts.shape[0])
    topic_word = check_topic_word(topic_word, n_words=counts.shape[1], n_topics=doc_topic.shape[1])
    return counts, doc_topic, topic_word


def check_hard_e_step(doc_topic_counts, topic_word_counts, complete, counts, doc_topic,
                       topic_word, *, atol: float = 1e-9):
    """A hard E-step's counts and complete-data objective are those of the arg-max topic of
    every word (``hard_assignment_reference``)."""
    answers = {"doc_topic_counts": as_real_array(doc_topic_counts, "doc_topic_counts", ndim=2),
               "topic_word_counts": as_real_array(topic_word_counts, "topic_word_counts", ndim=2)}
    complete = _answer(complete, "complete")
    atol = _tolerance(atol, "atol")
    reference = hard_assignment_reference(counts, doc_topic, topic_word)
    for (name, mine), theirs in zip(answers.items(), reference):
        if mine.shape != theirs.shape:
            raise ValueError(f"{name} has shape {mine.shape}, expected {theirs.shape}")
        with np.errstate(over="ignore", invalid="ignore"):
            difference = float(np.max(np.abs(mine - theirs)))
        if not difference <= atol:
            _fail(f"{name} are not the counts of the arg-max topic", difference, atol)
    difference = abs(complete - reference[2])
    if not difference <= atol * max(1.0, abs(reference[2])):
        _fail("the complete-data objective is not Σ n log max_k π_dk θ_kv", difference,
              atol * max(1.0, abs(reference[2])))


# --------------------------------------------------------------------------------------------
# "No closed form": stationarity at EM's fixed point, not at a one-shot plug-in
# --------------------------------------------------------------------------------------------
def numerical_gradient(function: Callable, x, h: float = 1e-6) -> np.ndarray:
    """Central finite differences of a scalar ``function`` at the array ``x`` (any shape)."""
    check_callable(function, "function", ("x",))
    if function is None:
        raise TypeError("function must be callable, got None")
    x = as_float_array(x, "x", ndim=None).astype(float)
    h = check_real(h, "h", minimum=0.0, inclusive=False)
    if not np.isfinite(2 * h):
        raise ValueError(f"h = {h:g} is too large for a finite difference")

    def value(point):
        with np.errstate(over="ignore", invalid="ignore"):
            result = function(point)
        if isinstance(result, np.ndarray) and result.ndim == 0:
            result = result[()]
        if isinstance(result, (bool, np.bool_)) or not isinstance(result, (float, int, np.number)) \
                or np.iscomplexobj(result):
            raise TypeError(f"function must return a real number, got {result!r:.60}")
        if not np.isfinite(result):
            raise ValueError(f"function is {float(result)} near x (at x ± h); the finite "
                             "difference needs finite values")
        return float(result)

    gradient = np.empty_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        if up[index] == x[index] or down[index] == x[index]:
            raise ValueError(f"h = {h:g} is below the rounding of x{list(index)} = "
                             f"{x[index]:g}: x ± h == x")
        if not (np.isfinite(up[index]) and np.isfinite(down[index])):
            raise ValueError(f"x{list(index)} ± h overflows float64 (x = {x[index]:g}, h = {h:g})")
        with np.errstate(over="ignore"):
            gradient[index] = (value(up) - value(down)) / (2 * h)
        if not np.isfinite(gradient[index]):
            raise ValueError(f"the finite difference of function at x{list(index)} overflows "
                             f"(h = {h:g}); choose a larger h")
    return gradient


def simplex_kkt_residual(probs, gradient) -> float:
    r"""How far rows of probabilities are from a stationary point of a function on the simplex:
    :math:`\max_{r,i} |p_{ri}(g_{ri} - \sum_j p_{rj} g_{rj})|`. Zero exactly when, in every row,
    the gradient is the same constant (the Lagrange multiplier) wherever p > 0."""
    probs = np.atleast_2d(as_float_array(probs, "probs"))
    gradient = np.atleast_2d(as_float_array(gradient, "gradient"))
    if probs.ndim != 2 or probs.shape != gradient.shape:
        raise ValueError(f"probs {probs.shape} and gradient {gradient.shape} must be the same "
                         "shape (R, K) (or (K,))")
    check_distribution(probs, "probs")
    with np.errstate(over="ignore", invalid="ignore"):
        multiplier = np.sum(probs * gradient, axis=1, keepdims=True)
        residual = float(np.max(np.abs(probs * (gradient - multiplier))))
    if not np.isfinite(residual):
        raise ValueError("gradient is too large: the residual p (g − Σ p g) overflows float64")
    return residual


def gmm_stationarity_residual(X, params, h: float = 1e-5) -> float:
    r"""Largest violation of the stationarity conditions of log p(X | θ) for a Gaussian mixture,
    by finite differences of ``mixture_log_likelihood_reference`` (scipy densities): the
    gradients in μ_k and in symmetric directions of Σ_k, and the simplex KKT residual of π."""
    weights, means, covariances = _mixture(params)
    X = _data(X, means.shape[1])
    d = means.shape[1]
    h = check_real(h, "h", minimum=0.0, inclusive=False)
    smallest = min(float(weights.min()), float(np.linalg.eigvalsh(covariances).min()))
    if h >= smallest / 2:
        raise ValueError(f"h = {h:g} is too large: the steps must keep the weights positive and "
                         f"the covariances positive definite (h < {smallest / 2:.3g})")

    def log_p(w=weights, m=means, c=covariances):     # off the simplex too: unchecked
        return float(logsumexp(_log_joint(X, w, m, c), axis=1).sum())

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
    atol = _tolerance(atol, "atol")
    residual = gmm_stationarity_residual(X, params)
    if not residual <= atol:
        _fail("not a stationary point of log p(X | θ) (largest gradient component)", residual, atol)


def coins_log_likelihood_reference(heads, n_tosses, theta) -> float:
    """log p(h | θ) of the two-coin experiment (each coin chosen with probability 1/2), with
    ``scipy.stats.binom``."""
    from .coins import _check_counts, _check_theta    # the same rules as coins.e_step's
    heads, n_tosses = _check_counts(heads, n_tosses)
    theta = _check_theta(theta)
    per_set = 0.5 * stats.binom.pmf(heads[:, None], n_tosses[:, None], theta[None, :])
    with np.errstate(divide="ignore"):
        value = float(np.log(per_set.sum(axis=1)).sum())
    if not np.isfinite(value):
        raise ValueError("heads, n_tosses and theta: a set's probability underflows float64 "
                         "(scipy.stats.binom.pmf is 0); give realistic counts")
    return value


def check_coins_stationary(heads, n_tosses, theta, *, atol: float = 1e-6):
    """θ = (θ_A, θ_B) is a stationary point of the two-coin log-likelihood: both partial
    derivatives (finite differences of ``coins_log_likelihood_reference``) are 0."""
    from .coins import _check_theta
    theta = _check_theta(theta)
    if np.any((theta <= 1e-6) | (theta >= 1 - 1e-6)):
        raise ValueError(f"theta must be inside (0, 1), away from 0 and 1 by more than the "
                         f"finite difference's step, got {theta}")
    atol = _tolerance(atol, "atol")
    gradient = numerical_gradient(lambda t: coins_log_likelihood_reference(heads, n_tosses, t),
                                  theta, 1e-7)
    if not np.max(np.abs(gradient)) <= atol:
        _fail(f"not a stationary point of the two-coin log-likelihood (gradient {gradient})",
              float(np.max(np.abs(gradient))), atol)


def topic_model_stationarity_residual(counts, doc_topic, topic_word) -> float:
    r"""Largest simplex KKT residual of log p(W | Π, Θ) = Σ n_dv log (ΠΘ)_dv over the rows of Π
    and Θ, divided by the number of tokens, with the gradients computed densely:
    ∂/∂π_dk = Σ_v n_dv θ_kv / (ΠΘ)_dv and ∂/∂θ_kv = Σ_d n_dv π_dk / (ΠΘ)_dv."""
    counts, doc_topic, topic_word = _topic_model(counts, doc_topic, topic_word)
    if counts.sum() == 0:
        raise ValueError("counts has no tokens")
    probability = doc_topic @ topic_word
    if np.any((probability == 0) & (counts > 0)):
        raise ValueError("doc_topic and topic_word give an observed word probability 0: the "
                         "log-likelihood is -inf there, and has no gradient")
    with np.errstate(over="ignore"):
        ratio = np.divide(counts, probability, out=np.zeros_like(counts), where=counts > 0)
    if not np.all(np.isfinite(ratio)):
        raise ValueError("doc_topic and topic_word give an observed word a probability so small "
                         "that n / p overflows float64")
    residual = max(simplex_kkt_residual(doc_topic, ratio @ topic_word.T),
                   simplex_kkt_residual(topic_word, doc_topic.T @ ratio))
    return residual / counts.sum()


def check_topic_model_stationary(counts, doc_topic, topic_word, *, atol: float = 1e-4):
    """(Π, Θ) is a stationary point of the topic model's log-likelihood on the simplices, up to
    ``atol`` per token (``topic_model_stationarity_residual``)."""
    atol = _tolerance(atol, "atol")
    residual = topic_model_stationarity_residual(counts, doc_topic, topic_word)
    if not residual <= atol:
        _fail("not a stationary point of log p(W | Π, Θ) (KKT residual per token)", residual, atol)


# --------------------------------------------------------------------------------------------
# Conjugacy: the closed-form update against a grid posterior
# --------------------------------------------------------------------------------------------
def grid_posterior(grid, log_prior, log_likelihood) -> np.ndarray:
    """Posterior density on an equally spaced 1-D grid, prior × likelihood normalised by the
    trapezoidal rule. ``log_prior`` and ``log_likelihood`` are arrays of values on the grid."""
    grid = _grid(grid)
    log_prior = as_log_array(log_prior, "log_prior", ndim=1)
    log_likelihood = as_log_array(log_likelihood, "log_likelihood", ndim=1)
    for name, values in (("log_prior", log_prior), ("log_likelihood", log_likelihood)):
        if values.shape != grid.shape:
            raise ValueError(f"{name} has shape {values.shape} but grid has {grid.shape}: one "
                             "value per grid point")
    return _normalised(grid, log_prior, log_likelihood, "log_prior and log_likelihood")


def _grid(grid) -> np.ndarray:
    grid = as_float_array(grid, "grid", ndim=1, min_size=2)
    with np.errstate(over="ignore"):
        steps = np.diff(grid)
    if not (np.all(steps > 0) and np.all(np.isfinite(steps))):
        raise ValueError("grid must increase, with steps that fit in float64")
    return grid


def _normalised(grid, log_prior, log_likelihood, names: str) -> np.ndarray:
    """exp(log_prior + log_likelihood) normalised on ``grid`` by the trapezoidal rule, or a
    ValueError naming ``names`` when that is not a density in float64."""
    with np.errstate(over="ignore", invalid="ignore"):
        log_density = log_prior + log_likelihood
        peak = log_density.max()
        if not np.isfinite(peak) or np.any(np.isnan(log_density)):
            raise ValueError(f"{names}: their sum is not finite anywhere on the grid (or NaN), "
                             "so it is no density")
        density = np.exp(log_density - peak)
        area = np.trapezoid(density, grid)
    if not (np.isfinite(area) and area > 0):
        raise ValueError(f"grid and {names}: the density's area {area:.3g} is not a positive "
                         "float64")
    return density / area


def check_conjugate_posterior(grid, tau, nu, log_partition, log_prior, log_likelihood, *,
                               atol: float = 1e-6):
    r"""The conjugate update's posterior, :math:`\propto \exp(\eta\tau' - \nu' A(\eta))` with the
    updated (τ', ν') = (``tau``, ``nu``), equals the grid posterior prior × likelihood of every
    data point (``grid_posterior``), as densities on ``grid`` (largest difference relative to
    the peak)."""
    grid = _grid(grid)
    tau, nu = check_real(tau, "tau"), check_real(nu, "nu")
    log_partition = as_log_array(log_partition, "log_partition", ndim=1)
    if log_partition.shape != grid.shape:
        raise ValueError(f"log_partition has shape {log_partition.shape} but grid has "
                         f"{grid.shape}: one value A(η) per grid point")
    atol = _tolerance(atol, "atol")
    reference = grid_posterior(grid, log_prior, log_likelihood)
    with np.errstate(over="ignore", invalid="ignore"):
        log_conjugate = grid * tau - nu * log_partition
    conjugate = _normalised(grid, log_conjugate, np.zeros_like(grid),
                            "tau, nu and log_partition")
    difference = float(np.max(np.abs(conjugate - reference)) / reference.max())
    if not difference <= atol:
        _fail(f"the conjugate posterior with τ = {tau:.6g}, ν = {nu:.6g} is not prior × "
              "likelihood", difference, atol)
