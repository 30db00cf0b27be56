r"""Maximum-entropy distributions on a finite support, and the exponential family they form.

Given S support points x_1, …, x_S, F features f(x) = (f_1(x), …, f_F(x)) evaluated there — the
(S, F) array ``features``, row s holding f(x_s) — and F target moments m, find the distribution p
on the support with the largest entropy whose expected features are m:

.. math::
    \max_p \; H[p] = -\sum_s p_s \log p_s
    \quad\text{subject to}\quad \sum_s p_s = 1, \quad \sum_s p_s f(x_s) = m .

The Lagrangian gives an exponential family (Jaynes, 1957; Cover & Thomas, *Elements of Information
Theory*, 2nd ed., 2006, chapter 12): the solution is

.. math::
    p_\lambda(x_s) = \exp\big(\lambda^\top f(x_s) - A(\lambda)\big), \qquad
    A(\lambda) = \log \sum_s \exp\big(\lambda^\top f(x_s)\big),

with natural parameters θ = λ (the Lagrange multipliers), sufficient statistics φ = f and
log-partition function A. The multipliers minimise the convex *dual*

.. math::
    g(\lambda) = A(\lambda) - \lambda^\top m, \qquad
    \nabla g = \mathbb E_{p_\lambda}[f] - m, \qquad
    \nabla^2 g = \operatorname{Cov}_{p_\lambda}[f] \succeq 0,

so that at the optimum the moments match, :math:`\nabla A(\lambda) = m`, and
:math:`H[p_\lambda] = g(\lambda) = A(\lambda) - \lambda^\top m` (strong duality).

A finite λ exists exactly when m lies in the *relative interior* of the convex hull of the rows
of ``features``: every p_λ is positive everywhere, so its moments can never reach the hull's
boundary. ``max_entropy_distribution`` checks this first with a linear program (the largest
possible min_s p_s among distributions with the right moments): outside the hull there is no
distribution at all; on its boundary the maximum-entropy distribution exists but gives some
support points probability 0, which needs λ = ±∞. Both raise a ValueError that says which.

Everything is done in log space with ``scipy.special.logsumexp`` / ``softmax``, so λᵀf of
±1000 neither overflows nor underflows.

The dice helper ``dice_max_entropy`` (drawn by ``emlib.plotting.plot_dice_max_entropy``) is Jaynes' Brandeis dice
problem: a die whose long-run average is 4.5 rather than 3.5 (E. T. Jaynes, "On the rationale of
maximum-entropy methods", *Proceedings of the IEEE* 70, 939–952, 1982).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog, minimize, root
from scipy.special import entr, logsumexp, softmax

from ._validation import as_float_array, check_allocation, check_int, check_real

__all__ = [
    "MaxEntropyResult",
    "max_entropy_distribution",
    "exp_family_pmf",
    "log_partition",
    "log_partition_gradient",
    "log_partition_hessian",
    "dice_max_entropy",
]

# The LP's largest achievable min_s p_s below which the targets count as on the hull's boundary
# (features are first centred at the targets and scaled to [-1, 1] per column).
_BOUNDARY_SLACK = 1e-9
# Gradient tolerance of the dual solver, and the largest moment error (relative to each feature's
# spread over the support) accepted after it.
_DUAL_GTOL = 1e-12
_MOMENT_RTOL = 1e-9


@dataclass(frozen=True, eq=False)
class MaxEntropyResult:
    """What ``max_entropy_distribution`` returns.

    p : (S,) the maximum-entropy distribution, p_s = exp(λᵀf(x_s) − A(λ)); positive, sums to 1.
    natural_params : (F,) the Lagrange multipliers λ — the natural parameters θ of the
        exponential family. Unique when the features are affinely independent on the support
        (no column is constant and none is an affine combination of the others); otherwise every
        λ that gives the same p is a solution and one of them is returned.
    log_partition : A(λ) = log Σ_s exp(λᵀf(x_s)).
    entropy : H[p] = −Σ_s p_s log p_s in nats; equals A(λ) − λᵀm (strong duality).
    n_iter : iterations of the dual solver (minimisation plus polishing evaluations).
    """

    p: np.ndarray
    natural_params: np.ndarray
    log_partition: float
    entropy: float
    n_iter: int


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------
def _check_features(features) -> np.ndarray:
    features = as_float_array(features, "features")
    if features.ndim == 1:
        raise ValueError(f"features must be 2-D with shape (n_support, n_features); got shape "
                         f"{features.shape}. For a single feature use features.reshape(-1, 1).")
    if features.ndim != 2:
        raise ValueError("features must be 2-D with shape (n_support, n_features), got shape "
                         f"{features.shape}")
    return features


def _check_natural_params(natural_params, features) -> tuple[np.ndarray, np.ndarray]:
    features = _check_features(features)
    natural_params = as_float_array(natural_params, "natural_params")
    if natural_params.shape != (features.shape[1],):
        raise ValueError(f"natural_params has shape {natural_params.shape} but features has "
                         f"{features.shape[1]} columns; natural_params must have shape "
                         f"({features.shape[1]},)")
    return natural_params, features


# --------------------------------------------------------------------------------------------
# The exponential family on a finite support
# --------------------------------------------------------------------------------------------
def _power_of_two_above(values) -> float:
    """A power of two 2^e with |values| / 2^e < 2 (1.0 for all zeros): dividing by it is exact
    and brings the values into (−2, 2), and 2^e itself never overflows."""
    largest = float(np.max(np.abs(values), initial=0.0))
    if largest == 0.0:
        return 1.0
    return float(np.ldexp(1.0, np.frexp(largest)[1] - 1))


def _scaled_logits(natural_params, features):
    """The S logits θᵀφ(x_s) as ``scale · z`` with z finite (|z_s| < 4F): θ and φ are divided by
    powers of two first, which is exact, so ``z · scale`` is θᵀφ to rounding wherever that is a
    float, and still usable where it overflows (θ ~ 1e308, or φ ~ 1e308)."""
    feature_scale = _power_of_two_above(features)
    param_scale = _power_of_two_above(natural_params)
    z = (features / feature_scale) @ (natural_params / param_scale)
    return z, feature_scale, param_scale


def _pmf(natural_params, features):
    """(S,) p_θ = softmax(θᵀφ) from the scaled logits: the differences z_s − max z, scaled back,
    are <= 0, so they can only underflow (to a probability 0), never overflow."""
    z, feature_scale, param_scale = _scaled_logits(natural_params, features)
    with np.errstate(over="ignore"):            # a difference below −1.8e308 is −inf: p_s = 0
        shifted = ((z - z.max()) * feature_scale) * param_scale
    return softmax(shifted)


def exp_family_pmf(natural_params, features) -> np.ndarray:
    """The exponential-family distribution p_θ(x_s) = exp(θᵀφ(x_s) − A(θ)) on S support points.

    Parameters
    ----------
    natural_params : (F,) natural parameters θ.
    features : (S, F) sufficient statistics, row s = φ(x_s).

    Returns
    -------
    (S,) probabilities, a softmax of the S values θᵀφ(x_s) (max-shifted, no overflow, even for
    θ or φ near 1e308, where p concentrates on the largest θᵀφ).
    """
    natural_params, features = _check_natural_params(natural_params, features)
    return _pmf(natural_params, features)


def log_partition(natural_params, features) -> float:
    """Log-partition function A(θ) = log Σ_s exp(θᵀφ(x_s)), by log-sum-exp.

    Parameters
    ----------
    natural_params : (F,) natural parameters θ.
    features : (S, F) sufficient statistics, row s = φ(x_s).

    Returns
    -------
    float A(θ); convex in θ, with gradient ``log_partition_gradient`` and Hessian
    ``log_partition_hessian``. A ValueError when |A(θ)| itself is beyond float64's range
    (max_s θᵀφ(x_s) > 1.8e308).
    """
    natural_params, features = _check_natural_params(natural_params, features)
    z, feature_scale, param_scale = _scaled_logits(natural_params, features)
    with np.errstate(over="ignore"):
        top = (z.max() * feature_scale) * param_scale                  # max_s θᵀφ(x_s)
        shifted = ((z - z.max()) * feature_scale) * param_scale
    if not np.isfinite(top):
        raise ValueError("A(θ) = max_s θᵀφ(x_s) + log Σ_s exp(θᵀφ(x_s) − max) is beyond float64's "
                         "range: natural_params times features exceeds 1.8e308; rescale the "
                         "features or the natural parameters")
    return float(top + logsumexp(shifted))


def log_partition_gradient(natural_params, features) -> np.ndarray:
    """∇A(θ) = E_θ[φ(x)] = Σ_s p_θ(x_s) φ(x_s), the mean of the sufficient statistics.

    Parameters
    ----------
    natural_params : (F,) natural parameters θ.
    features : (S, F) sufficient statistics, row s = φ(x_s).

    Returns
    -------
    (F,) the expected features under p_θ (the "mean parameters" of the family). Differentiating
    A = log Z gives ∂A/∂θ_j = Σ_s φ_j(x_s) exp(θᵀφ(x_s)) / Z = E_θ[φ_j]. A weighted mean of the
    rows of features, so always within their range.
    """
    natural_params, features = _check_natural_params(natural_params, features)
    scale = _power_of_two_above(features)
    return (_pmf(natural_params, features) @ (features / scale)) * scale


def log_partition_hessian(natural_params, features) -> np.ndarray:
    """∇²A(θ) = Cov_θ[φ(x)] = E_θ[(φ − E_θφ)(φ − E_θφ)ᵀ], positive semi-definite: A is convex.

    Parameters
    ----------
    natural_params : (F,) natural parameters θ.
    features : (S, F) sufficient statistics, row s = φ(x_s).

    Returns
    -------
    (F, F) covariance matrix of the features under p_θ, computed from centred features (scaled
    by a power of two, so features near 1e308 do not overflow). A ValueError when a covariance
    itself exceeds float64's range.
    """
    natural_params, features = _check_natural_params(natural_params, features)
    scale = _power_of_two_above(features)
    with np.errstate(over="ignore"):
        hessian = (_covariance(_pmf(natural_params, features), features / scale) * scale) * scale
    if not np.all(np.isfinite(hessian)):
        raise ValueError("the covariance of the features under p_θ exceeds float64's range "
                         "(features of size ~1e154 or more spread over the support); rescale "
                         "the features")
    return hessian


def _covariance(p, features):
    centred = features - p @ features
    return centred.T @ (p[:, None] * centred)


# --------------------------------------------------------------------------------------------
# Maximum entropy
# --------------------------------------------------------------------------------------------
def _column_scales(features, moments) -> np.ndarray:
    """(F,) powers of two c_j with |f_j| / c_j, |m_j| / c_j < 2: the problem for f_j / c_j and
    m_j / c_j has the same p, and λ_j / c_j as multipliers. Dividing first keeps the differences
    and spreads below from overflowing (features near 1e308) or underflowing (near 1e-300)."""
    return np.array([_power_of_two_above(np.append(features[:, j], moments[j]))
                     for j in range(features.shape[1])])


def _scaled_features(features, moments, original_features, original_moments):
    """The (S, F) features centred at the targets and divided by their spread over the support
    (each column then lies in [-1, 1]), and the (F,) spreads max_s f − min_s f, for features and
    moments already divided by ``_column_scales`` (the originals are for the messages). A column
    constant on the support must equal its target; it becomes 0 (its spread is 0)."""
    centred = features - moments
    spread = features.max(axis=0) - features.min(axis=0)
    for j in np.flatnonzero(spread == 0):
        if abs(moments[j] - features[0, j]) > 1e-12 * max(1.0, abs(features[0, j])):
            value, moments = original_features[0, j], original_moments
            raise ValueError(
                f"features[:, {j}] takes the single value {value:.12g} at every support point, so "
                f"its expectation is {value:.12g} under every distribution; moments[{j}] = "
                f"{moments[j]:.12g} cannot be met (the targets lie outside the convex hull of the "
                "rows of features)")
        centred[:, j] = 0.0
    return centred / np.where(spread > 0, spread, 1.0), spread


def _check_in_range(features, moments):
    """Each target inside its feature's range, with a message naming the feature otherwise."""
    low, high = features.min(axis=0), features.max(axis=0)
    for j in range(features.shape[1]):
        if low[j] == high[j]:
            continue                                   # handled by _scaled_features
        if moments[j] < low[j] or moments[j] > high[j]:
            raise ValueError(
                f"moments[{j}] = {moments[j]:.12g} lies outside [{low[j]:.12g}, {high[j]:.12g}], "
                f"the range of features[:, {j}] over the support: no distribution has that "
                f"expectation (the targets are outside the convex hull of the rows of features)")
        if moments[j] == low[j] or moments[j] == high[j]:
            side, sign = ("smallest", "−") if moments[j] == low[j] else ("largest", "+")
            raise ValueError(
                f"moments[{j}] = {moments[j]:.12g} is the {side} value of features[:, {j}]: only "
                "the support points where the feature takes that value can have probability > 0. "
                "The targets lie on the boundary of the convex hull of the rows of features, "
                f"where the maximum-entropy distribution needs λ_{j} = {sign}∞ (p ∝ exp(λᵀf) is "
                "never 0). Move the target inside the range, or drop the support points that "
                "must get probability 0 and solve on the rest.")


def _interior_slack(scaled):
    """The largest t such that some distribution p with p_s >= t for every s has the targets as
    moments, Σ_s p_s f̃(x_s) = 0; None when no distribution has them (targets outside the hull).

    A linear program in (q, t) with p = q + t·1, q >= 0, 0 <= t <= 1 — equality constraints only:
    Σ_s q_s + S t = 1 and Σ_s q_s f̃(x_s) + t Σ_s f̃(x_s) = 0. t > 0 exactly when the targets lie
    in the relative interior of the hull."""
    n_support, n_features = scaled.shape
    objective = np.zeros(n_support + 1)
    objective[-1] = -1.0                                           # maximise t
    a_eq = np.empty((n_features + 1, n_support + 1))
    a_eq[0, :n_support] = 1.0
    a_eq[0, -1] = n_support
    a_eq[1:, :n_support] = scaled.T
    a_eq[1:, -1] = scaled.sum(axis=0)
    b_eq = np.zeros(n_features + 1)
    b_eq[0] = 1.0
    result = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0.0, 1.0), method="highs",
                     options={"primal_feasibility_tolerance": 1e-10,
                              "dual_feasibility_tolerance": 1e-10})
    if result.status == 2:
        return None
    if result.status != 0:                                         # pragma: no cover
        raise RuntimeError(f"the feasibility linear program failed: {result.message}")
    return float(result.x[-1])


def _solve_dual(reduced):
    """Minimise g(η) = logsumexp(G η) over η, G the (S, r) full-rank reduced features (the
    targets are 0 after centring, so g = A − ηᵀm with m = 0).

    A trust-region Newton method (``minimize``, "trust-exact") with the exact gradient E_p[G] and
    Hessian Cov_p[G] gets close from any start. It judges steps by the decrease of g, which near
    the optimum is ~|∇g|²/2 — below the rounding of g once |∇g| < ~1e-8 — so the answer is then
    polished by solving ∇g(η) = 0 itself (``root``, Powell's hybrid method with the Hessian as
    Jacobian), whose residual keeps its precision. Returns η and the number of iterations."""
    if reduced.shape[1] == 0:                 # nothing varies: the uniform distribution, η = ()
        return np.zeros(0), 0

    def dual(eta):
        return logsumexp(reduced @ eta)

    def gradient(eta):
        return softmax(reduced @ eta) @ reduced

    def hessian(eta):
        return _covariance(softmax(reduced @ eta), reduced)

    result = minimize(dual, np.zeros(reduced.shape[1]), jac=gradient, hess=hessian,
                      method="trust-exact", options={"gtol": _DUAL_GTOL, "maxiter": 500})
    polished = root(gradient, result.x, jac=hessian, method="hybr")
    if np.all(np.isfinite(polished.x)) and (np.abs(gradient(polished.x)).max()
                                            < np.abs(gradient(result.x)).max()):
        return polished.x, int(result.nit) + int(polished.nfev)
    return result.x, int(result.nit)


def max_entropy_distribution(features, moments) -> MaxEntropyResult:
    r"""The distribution of largest entropy on S support points with given expected features.

    Solves max_p H[p] subject to Σ_s p_s = 1 and Σ_s p_s f(x_s) = m through the convex dual

    .. math::
        \min_\lambda \; \log \sum_s \exp\big(\lambda^\top f(x_s)\big) - \lambda^\top m ,

    whose gradient is E_{p_λ}[f] − m and Hessian Cov_{p_λ}[f] (``scipy.optimize.minimize``,
    method "trust-exact", polished by ``scipy.optimize.root`` on the gradient); the answer is
    p_s = exp(λᵀf(x_s) − A(λ)).

    Parameters
    ----------
    features : (S, F) array, row s = f(x_s), the F features at support point x_s. For one
        feature (e.g. the face value of a die) pass shape (S, 1).
    moments : (F,) targets m = E_p[f].

    Returns
    -------
    MaxEntropyResult with ``p`` (S,), ``natural_params`` λ (F,), ``log_partition`` A(λ),
    ``entropy`` H[p] (nats) and ``n_iter``.

    Raises
    ------
    ValueError
        when the shapes do not match or a value is not finite; when m lies outside the convex
        hull of the rows of features (no distribution has these moments); when m lies on the
        hull's boundary (the maximum-entropy distribution then puts probability 0 on some
        support points and λ is infinite) — targets within about 1e-9 of the boundary, in
        features scaled to [-1, 1], count as on it.
    RuntimeError
        if the dual solver fails to meet the moments to 1e-9 of each feature's spread.

    Examples
    --------
    Jaynes' die with mean 4.5: ``max_entropy_distribution(np.arange(1, 7)[:, None], [4.5])``
    gives p ≈ (0.0544, 0.0788, 0.1142, 0.1654, 0.2398, 0.3475) and λ ≈ 0.3710.
    """
    features = _check_features(features)
    n_support, n_features = features.shape
    moments = as_float_array(moments, "moments")
    if moments.shape != (n_features,):
        raise ValueError(f"moments has shape {moments.shape} but features has {n_features} "
                         f"column(s); moments must have shape ({n_features},), one target per "
                         "feature")
    _check_in_range(features, moments)
    # Solve for f / c and m / c (exact powers of two per column), λ_j = λ̂_j / c_j at the end.
    column_scales = _column_scales(features, moments)
    original_features, original_moments = features, moments
    features, moments = features / column_scales, moments / column_scales
    scaled, spread = _scaled_features(features, moments, original_features, original_moments)

    slack = _interior_slack(scaled)
    if slack is None:
        raise ValueError(
            "moments lie outside the convex hull of the rows of features: every target is within "
            "its own feature's range, but no distribution on the support meets them all at once "
            "(the moments of a distribution are a weighted average of the rows f(x_s)). Check "
            "that the targets are consistent, e.g. E[x²] >= E[x]².")
    if slack <= _BOUNDARY_SLACK:
        raise ValueError(
            "moments lie on the boundary of the convex hull of the rows of features: "
            "distributions with these moments exist, but all of them give probability 0 to some "
            "support points, so the maximum-entropy one needs infinite natural parameters, "
            "|λ| = ∞ (p ∝ exp(λᵀf) is never 0). Move the targets inside the hull, or drop the "
            "support points that must get probability 0 and solve on the rest.")

    # Remove directions in which the scaled features do not vary over the support (constant or
    # linearly dependent columns): the dual is flat along them. Solve in the rest, η ∈ R^r.
    _, singular_values, vt = np.linalg.svd(scaled, full_matrices=False)
    rank = int(np.sum(singular_values > 1e-10 * max(singular_values.max(initial=0.0), 1e-300)))
    basis = vt[:rank].T                                             # (F, r)
    eta, n_iter = _solve_dual(scaled @ basis)
    # Undo the scaling: (f − m)/spread · (Vη) = (f − m) · λ̂; a constant column gets λ̂_j = 0.
    multipliers = np.where(spread > 0, (basis @ eta) / np.where(spread > 0, spread, 1.0), 0.0)

    # λ̂ᵀ(f − m) rather than λ̂ᵀf: the same p, without rounding a large common offset into it.
    logits = (features - moments) @ multipliers
    log_norm = float(logsumexp(logits) + moments @ multipliers)     # A(λ) = A for f/c at λ̂
    p = softmax(logits)
    natural_params = multipliers / column_scales                    # λ for the original f
    error = np.abs(p @ features - moments)
    allowed = _MOMENT_RTOL * np.where(spread > 0, spread, np.maximum(1.0, np.abs(moments)))
    if not np.all(error <= allowed):
        worst = int(np.argmax(error / allowed))
        raise RuntimeError(
            f"the dual solver did not meet the moments: |E_p[f_{worst}] − m_{worst}| = "
            f"{error[worst] * column_scales[worst]:.3g}. The targets may be extremely close to the boundary of the "
            f"convex hull of the rows of features (LP slack {slack:.3g}).")
    return MaxEntropyResult(p=p, natural_params=natural_params, log_partition=log_norm,
                            entropy=float(entr(p).sum()), n_iter=n_iter)


# --------------------------------------------------------------------------------------------
# Jaynes' dice
# --------------------------------------------------------------------------------------------
def dice_max_entropy(mean, n_faces: int = 6) -> MaxEntropyResult:
    """The maximum-entropy distribution of a die with faces 1, …, n_faces and a given mean.

    Parameters
    ----------
    mean : target average face value, strictly between 1 and n_faces (the fair die's is
        (n_faces + 1) / 2, which gives the uniform distribution).
    n_faces : number of faces, >= 2.

    Returns
    -------
    MaxEntropyResult: p_s ∝ exp(λ s) for s = 1, …, n_faces, with a single natural parameter λ
    (> 0 tilts towards the high faces, < 0 towards the low ones). Jaynes' Brandeis dice problem
    is ``dice_max_entropy(4.5)``.
    """
    mean = check_real(mean, "mean")
    n_faces = check_int(n_faces, "n_faces", minimum=2)
    # The support, the feasibility LP and the dual solver's work arrays: ~16 numbers a face.
    check_allocation(16 * n_faces, "n_faces", f"a die with {n_faces} faces")
    if not 1.0 < mean < n_faces:
        raise ValueError(f"mean must lie strictly between 1 and n_faces = {n_faces}, got {mean}. "
                         f"Outside [1, {n_faces}] no die has that average; at the ends only one "
                         "face can come up, which needs λ = ±∞.")
    faces = np.arange(1, n_faces + 1, dtype=np.float64)
    return max_entropy_distribution(faces[:, None], [mean])
