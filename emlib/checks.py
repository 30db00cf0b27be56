r"""The checks behind notebook 06's asserts, in one copy.

Each function raises ``AssertionError`` with a message that says what failed, and returns None
otherwise. The notebook asserts its claims through them, and ``tests/test_lecture_06.py`` applies
the same functions to plausible wrong implementations (the marginal instead of the conditional
mean, an M-step without the conditional covariance, the rate measured from log-likelihood
increments, SQUAREM without its safeguard, ...) and shows each one failing — a check that
cannot fail would prove nothing. Every check compares against an independent reference: another
formula, another optimiser, scikit-learn, a closed form.
"""

from __future__ import annotations

import numpy as np

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
