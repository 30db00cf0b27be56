r"""Jensen's inequality, the evidence lower bound and EM's bound in parameter space, as numbers
and pictures (notebooks 01 and 02).

**Jensen's inequality** for the concave logarithm and a positive random variable X:

.. math::
    \log \mathbb E[X] \;\ge\; \mathbb E[\log X],

with equality exactly when X is constant (with probability 1). ``jensen_gap`` computes both sides.

**The decomposition behind EM** (Bishop, *Pattern Recognition and Machine Learning*, 2006,
eq. 9.70). For a Gaussian mixture, data X (N, D), parameters θ and any distributions
:math:`q_n(z)` over the K components, one per point (an (N, K) array ``q``):

.. math::
    \log p(X\mid\theta) = \mathcal L(q, \theta) + \mathrm{KL}\big(q \,\|\, p(Z\mid X, \theta)\big),

.. math::
    \mathcal L(q, \theta) = \sum_{n,k} q_{nk}\,[\log p(x_n, z_n{=}k\mid\theta) - \log q_{nk}], \qquad
    \mathrm{KL} = \sum_n \sum_k q_{nk} \log\frac{q_{nk}}{p(z_n{=}k \mid x_n, \theta)}.

``decomposition`` returns the three totals, computed independently of each other with
``emlib.divergences`` (``log_evidence``, ``elbo``, ``kl_divergence``, ``posterior``) on the log
joint of ``emlib.gmm.estimate_log_prob``; that they add up is a check, not a construction.

**EM in parameter space** (Bishop's figure 9.14, computed). Free one coordinate of one mean,
:math:`m = \mu_{kd}`, and fix every other parameter: θ(m). From :math:`m_0`, EM on m alternates

.. math::
    q_t = p(Z \mid X, \theta(m_t)), \qquad m_{t+1} = \arg\max_m \mathcal L(q_t, \theta(m)),

and every bound :math:`m \mapsto \mathcal L(q_t, \theta(m))` lies below
:math:`\log p(X\mid\theta(m))`, touching it (same value, same slope) at :math:`m_t`.
``bound_curves`` computes these curves on a grid; ``plot_bound_curves`` draws step t.

**The half-steps of EM**: ``em_half_steps`` records (log p, L, KL) after every E- and M-step of
a run of EM on a mixture, for the classic picture (the E-step closes the gap, the M-step raises
L and log p rises at least as much), which ``plot_half_steps`` draws.

Every plotting function draws into ``ax`` (the current Axes when None), labels its axes, adds a
legend, returns the Axes and never calls ``plt.show()``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import logsumexp

from . import gmm
from ._validation import (as_float_array, check_allocation, check_data_matrix, check_distribution,
                          check_instance, check_int, check_mixture_log_joint, check_n_features,
                          check_real, check_resp)
from .divergences import elbo, kl_divergence, log_evidence, posterior
from .em import run
from .gmm import GaussianMixtureParams, e_step
# The raw log joint (no input checks, -inf where a distance overflows): every caller below has
# checked X and params, and check_mixture_log_joint or the grid check says which one is at fault.
from .gmm import _weighted_log_prob as estimate_log_prob

__all__ = [
    "JensenGap",
    "jensen_gap",
    "Decomposition",
    "decomposition",
    "ElboForPoint",
    "elbo_for_point",
    "BoundCurves",
    "bound_curves",
    "HalfSteps",
    "em_half_steps",
]


def _check_X_params(X, params):
    params = check_instance(params, GaussianMixtureParams, "params")
    return check_n_features(check_data_matrix(X), params.n_features), params


# --------------------------------------------------------------------------------------------
# Jensen's inequality for the logarithm
# --------------------------------------------------------------------------------------------
class JensenGap(NamedTuple):
    """The two sides of Jensen's inequality for log and their difference (floats)."""

    log_mean: float   # log E[X]
    mean_log: float   # E[log X]
    gap: float        # log E[X] − E[log X] >= 0


def _check_discrete_variable(values, probs):
    values = as_float_array(values, "values", ndim=1)
    probs = as_float_array(probs, "probs", ndim=1)
    if probs.shape != values.shape:
        raise ValueError(f"probs has shape {probs.shape} but values has shape {values.shape}; "
                         "give one probability per value")
    if np.any(values <= 0):
        i = int(np.flatnonzero(values <= 0)[0])
        raise ValueError(f"values must be positive (log X needs X > 0), but values[{i}] = "
                         f"{values[i]}")
    check_distribution(probs, "probs")
    return values, probs


def _jensen(values, probs) -> JensenGap:
    # Relative to the largest value of positive probability, r = x / x_max, so that a constant X gives r = 1 exactly and
    # both sides exactly log x_max: the gap is then exactly 0, not a rounding error. log1p keeps
    # log E[r] accurate when E[r] is close to 1 (X nearly constant); when E[r] is small (values
    # spanning many orders of magnitude, some r underflowing) log E[r] is a weighted log-sum-exp
    # of log r instead. log r = log x − log x_max never underflows, so E[log X] stays finite.
    support = probs > 0                        # values of probability 0 play no part
    values, probs = values[support], probs[support]
    scale = values.max()
    log_ratio = np.log(values) - np.log(scale)                   # log(x / x_max) <= 0, exact 0 at max
    mean_ratio = float(np.dot(probs, np.exp(log_ratio)))
    if mean_ratio >= 0.5:
        log_mean_ratio = float(np.log1p(np.dot(probs, np.expm1(log_ratio))))   # log E[X / x_max]
    else:
        log_mean_ratio = float(logsumexp(log_ratio, b=probs))
    mean_log_ratio = float(np.dot(probs, log_ratio))              # E[log(X / x_max)]
    gap = max(log_mean_ratio - mean_log_ratio, 0.0)               # >= 0 up to rounding
    log_scale = float(np.log(scale))
    return JensenGap(log_scale + log_mean_ratio, log_scale + mean_log_ratio, gap)


def jensen_gap(values, probs) -> JensenGap:
    r"""Both sides of Jensen's inequality log E[X] ≥ E[log X] for a discrete positive X.

    Parameters
    ----------
    values : (M,) positive values x_i that X takes.
    probs : (M,) their probabilities p_i = P(X = x_i), non-negative, summing to 1.

    Returns
    -------
    JensenGap(log_mean, mean_log, gap) with

    .. math::
        \text{log\_mean} = \log \textstyle\sum_i p_i x_i, \quad
        \text{mean\_log} = \textstyle\sum_i p_i \log x_i, \quad
        \text{gap} = \text{log\_mean} - \text{mean\_log} \ge 0 .

    The gap is exactly 0.0 when X is constant with probability 1 (every x_i with p_i > 0 equal)
    and positive otherwise; for a small spread it is about Var[X] / (2 E[X]²).
    """
    return _jensen(*_check_discrete_variable(values, probs))


# --------------------------------------------------------------------------------------------
# log p = L + KL for a Gaussian mixture
# --------------------------------------------------------------------------------------------
class Decomposition(NamedTuple):
    """log p(X | θ) = L(q, θ) + KL(q ‖ p(Z | X, θ)), each a float summed over the samples."""

    log_likelihood: float   # log p(X | θ)
    elbo: float             # L(q, θ)
    kl: float               # KL(q ‖ p(Z | X, θ)) >= 0


def _decomposition(log_joint, q) -> Decomposition:
    """The three totals from the (N, K) log joint and the (N, K) q, each computed on its own."""
    kl = kl_divergence(q, posterior(log_joint))
    if np.any(np.isinf(kl)):
        # A posterior that underflowed to 0 where q > 0 (log γ_nk < −745, e.g. a component
        # collapsing onto few points) makes KL +inf although it is finite: redo those rows from
        # log γ = log p(x, z) − log p(x), which does not underflow. (+inf stays where
        # log p(x, z) = −inf, a component of weight 0.)
        rows = np.isinf(kl)
        log_posterior = log_joint[rows] - log_evidence(log_joint[rows])[:, None]
        q_rows = q[rows]
        with np.errstate(invalid="ignore"):             # −inf − (−inf) where q = 0: masked
            terms = np.where(q_rows > 0, q_rows * (np.log(np.where(q_rows > 0, q_rows, 1.0))
                                                   - log_posterior), 0.0)
        kl = kl.copy()
        kl[rows] = terms.sum(axis=1)
    return Decomposition(float(np.sum(log_evidence(log_joint))),
                         float(np.sum(elbo(log_joint, q))),
                         float(np.sum(kl)))


def decomposition(X, params, q) -> Decomposition:
    r"""log p(X | θ), L(q, θ) and KL(q ‖ p(Z | X, θ)) for a Gaussian mixture and distributions q.

    Parameters
    ----------
    X : (N, D) data. For one point use ``X[[n]]`` (shape (1, D)).
    params : GaussianMixtureParams θ with K components in D dimensions.
    q : (N, K), row n a distribution q_n(z) over the components (non-negative, summing to 1).

    Returns
    -------
    Decomposition(log_likelihood, elbo, kl), each summed over the N samples:

    .. math::
        \log p(X\mid\theta) = \sum_n \log \sum_k \pi_k \mathcal N(x_n\mid\mu_k,\Sigma_k), \quad
        \mathcal L(q,\theta) = \sum_{n,k} q_{nk}\,[\log \pi_k\mathcal N(x_n\mid\mu_k,\Sigma_k)
            - \log q_{nk}], \quad
        \mathrm{KL} = \sum_{n,k} q_{nk} \log \frac{q_{nk}}{\gamma_{nk}},

    γ_nk the responsibilities (posterior). The three are computed separately (``log_evidence``,
    ``elbo``, ``kl_divergence`` of ``emlib.divergences``), so log_likelihood = elbo + kl holds to
    rounding as a fact, not by construction; kl = 0 exactly when q = γ.

    A component whose posterior underflows to 0 for a point (log γ_nk < -745) while q_nk > 0
    still gets its finite KL term, from log γ_nk computed in log space; kl is +inf (and elbo
    -inf) only where q_nk > 0 on a component of weight 0.
    """
    X, params = _check_X_params(X, params)
    q = check_resp(q, X.shape[0], params.n_components, name="q", atol=1e-8)
    return _decomposition(check_mixture_log_joint(estimate_log_prob, X, params), q)


def _check_one_point(x, n_features):
    x = as_float_array(x, "x")
    if x.ndim == 0 or (x.ndim == 2 and x.shape[0] == 1):
        x = x.reshape(1, -1)
    elif x.ndim == 1:
        x = x[None, :]
    else:
        raise ValueError("x must be one point: a number, shape (D,) or (1, D), got shape "
                         f"{x.shape}")
    if x.shape[1] != n_features:
        raise ValueError(f"x has {x.shape[1]} features but params.means has {n_features}; "
                         "they must match")
    return x


class ElboForPoint(NamedTuple):
    """L(q, θ) for one point as q = (q0, 1 − q0) moves over two components (``elbo_for_point``).

    grid : (G,) values of q0 in [0, 1].
    bound : (G,) L(q, θ) at each q0 of the grid.
    q0 : the chosen q0; at_q : Decomposition(log_likelihood, elbo, kl) at it.
    posterior0 : γ_0 = p(z = 0 | x, θ), where the bound touches log p(x | θ).
    """

    grid: np.ndarray
    bound: np.ndarray
    q0: float
    at_q: Decomposition
    posterior0: float


def elbo_for_point(x, params, q0, *, grid_size: int = 201) -> ElboForPoint:
    r"""For one point x and a two-component mixture: the bound L(q, θ) as q = (q0, 1 − q0) moves.

    .. math::
        \mathcal L(q, \theta) = q_0 \log\frac{p(x, z{=}0\mid\theta)}{q_0}
            + (1-q_0) \log\frac{p(x, z{=}1\mid\theta)}{1-q_0},

    concave in q0 and equal to log p(x | θ) only at q0 = γ_0, the posterior p(z = 0 | x, θ).

    Parameters
    ----------
    x : the point: a number (D = 1), or shape (D,) or (1, D).
    params : GaussianMixtureParams with exactly K = 2 components in D dimensions.
    q0 : q(z = 0), in [0, 1].
    grid_size : number of values of q0 (>= 2) on the grid.

    Returns
    -------
    ElboForPoint (grid, bound, q0, at_q, posterior0); ``emlib.plotting.plot_elbo_for_point``
    draws it.
    """
    params = check_instance(params, GaussianMixtureParams, "params")
    if params.n_components != 2:
        raise ValueError(f"params has {params.n_components} components; elbo_for_point uses "
                         "q = (q0, 1 − q0) over two components, so it needs exactly 2")
    x = _check_one_point(x, params.n_features)
    q0 = check_real(q0, "q0", minimum=0.0)
    if q0 > 1.0:
        raise ValueError(f"q0 is the probability q(z = 0), so it must be <= 1, got {q0}")
    grid_size = check_int(grid_size, "grid_size", minimum=2)
    check_allocation(4 * grid_size, "grid_size", f"a grid of {grid_size} values of q0")
    log_joint = check_mixture_log_joint(estimate_log_prob, x, params, "x")[0]    # (2,)
    grid = np.linspace(0.0, 1.0, grid_size)
    family = np.column_stack([grid, 1.0 - grid])
    bound = elbo(np.broadcast_to(log_joint, family.shape), family)      # (grid_size,)
    at_q = _decomposition(log_joint[None, :], np.array([[q0, 1.0 - q0]]))
    return ElboForPoint(grid, np.asarray(bound), q0, at_q, float(posterior(log_joint)[0]))


# --------------------------------------------------------------------------------------------
# EM along one mean: Bishop's figure 9.14
# --------------------------------------------------------------------------------------------
class BoundCurves(NamedTuple):
    """What ``bound_curves`` returns (T = n_iter steps of EM on the free mean m = μ_kd).

    grid : (G,) values of m.
    log_likelihood : (G,) log p(X | θ(m)) on the grid.
    bounds : (T, G) L(q_t, θ(m)) on the grid, q_t = p(Z | X, θ(m_t)), for t = 0 … T−1.
    iterates : (T + 1,) m_0, …, m_T, with m_{t+1} = argmax_m L(q_t, θ(m)).
    iterate_log_likelihoods : (T + 1,) log p(X | θ(m_t)).
    bound_at_next : (T,) L(q_t, θ(m_{t+1})), the maximum of bound t.
    component, feature : k and d, which mean coordinate is free.
    """

    grid: np.ndarray
    log_likelihood: np.ndarray
    bounds: np.ndarray
    iterates: np.ndarray
    iterate_log_likelihoods: np.ndarray
    bound_at_next: np.ndarray
    component: int
    feature: int


def _with_mean(params, component, feature, value):
    """θ(m): ``params`` with means[component, feature] = value (same weights, covariances)."""
    means = params.means.copy()
    means[component, feature] = value
    return GaussianMixtureParams(params.weights, means, params.covariances)


def _best_mean(X, params, q, component, feature):
    r"""argmax_m L(q, θ(m)): with every other parameter fixed, the bound depends on m only through
    -½ Σ_n q_nk (x_n − μ)ᵀ Λ_k (x_n − μ), a parabola in m whose maximum is one Newton step,

        m* = m + [Λ_k (x̄_k − μ_k)]_d / (Λ_k)_dd,   x̄_k = Σ_n q_nk x_n / Σ_n q_nk.

    When Σ_n q_nk = 0 the bound does not depend on m: m is kept."""
    total = q[:, component].sum()
    mean = params.means[component]
    if total <= 0.0:
        return float(mean[feature])
    weighted_mean = q[:, component] @ X / total
    factor = params.precisions_cholesky[component]
    precision = factor @ factor.T                                       # Λ_k
    step = precision[feature] @ (weighted_mean - mean) / precision[feature, feature]
    return float(mean[feature] + step)


class _MeanCoordinate:
    """EM on one mean coordinate m = μ_kd with every other parameter fixed, for ``emlib.em.run``:
    the E-step's statistics are the responsibilities q = p(Z | X, θ(m)), the M-step is
    ``_best_mean``, the objective log p(X | θ(m))."""

    objective_name = "log_likelihood"

    def __init__(self, X, params, component, feature):
        self.X, self.params, self.component, self.feature = X, params, component, feature
        self.n_items = float(X.shape[0])

    def theta(self, m) -> GaussianMixtureParams:
        return _with_mean(self.params, self.component, self.feature, m)

    def e_step(self, m):
        return e_step(self.X, self.theta(m))

    def m_step(self, resp, m):
        return _best_mean(self.X, self.theta(m), resp, self.component, self.feature)


def bound_curves(X, params, *, component: int = 0, feature: int = 0, n_iter: int = 5,
                 grid=None) -> BoundCurves:
    r"""EM on one mean coordinate, with the log-likelihood and every lower bound along it.

    Free m = μ_kd (``component`` k, ``feature`` d) and fix all other parameters at ``params``;
    start from m_0 = params.means[k, d] and run ``n_iter`` steps of

    .. math::
        q_t = p(Z\mid X, \theta(m_t)) \;\text{(E-step)}, \qquad
        m_{t+1} = \arg\max_m \mathcal L(q_t, \theta(m)) \;\text{(M-step, in closed form)}.

    Each bound :math:`m \mapsto \mathcal L(q_t, \theta(m))` equals log p(X | θ(m)) at m_t, has the
    same derivative there, and lies below it everywhere else.

    Parameters
    ----------
    X : (N, D) data.
    params : GaussianMixtureParams θ with K components; gives m_0 and the fixed parameters.
    component : k, in 0 … K−1; must have a positive weight (otherwise μ_k does not matter).
    feature : d, in 0 … D−1.
    n_iter : T >= 1, the number of EM steps (and of bounds).
    grid : (G,) values of m (at least 2) at which to evaluate the curves; default 301 points
        spanning the data's feature d, every iterate, and a margin of 10 %.

    Returns
    -------
    BoundCurves (see its docstring). The log joints on the grid take G·N·K floats.
    """
    X, params = _check_X_params(X, params)
    component = check_int(component, "component", minimum=0, maximum=params.n_components - 1,
                          maximum_reason=f" (params has {params.n_components} components)")
    feature = check_int(feature, "feature", minimum=0, maximum=params.n_features - 1,
                        maximum_reason=f" (params has {params.n_features} features)")
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    if params.weights[component] == 0:
        raise ValueError(f"component {component} has weight 0, so its mean does not affect the "
                         "likelihood: choose a component with a positive weight")
    if grid is not None:
        grid = as_float_array(grid, "grid", ndim=1, min_size=2)
    n_grid = 301 if grid is None else grid.size
    cells = X.shape[0] * params.n_components
    # The T responsibilities q_t (N, K) and bounds (G,), and the (G, N, K) log joints.
    check_allocation(n_iter * (2 * cells + n_grid), "n_iter", f"{n_iter} EM steps on {cells} "
                     "responsibilities")
    check_allocation(2 * n_grid * cells, "grid", f"the log joints at {n_grid} grid values")
    check_mixture_log_joint(estimate_log_prob, X, params)

    # EM on m, on the driver: the E-step's statistics are q_t, the M-step is _best_mean.
    model = _MeanCoordinate(X, params, component, feature)
    iterates = []
    run(model, float(params.means[component, feature]), max_iter=n_iter, tol=0.0,
        callback=lambda t, m, objective: iterates.append((m, objective)))
    iterates, iterate_log_likelihoods = (np.array(column) for column in zip(*iterates))
    resps = [e_step(X, model.theta(m))[0] for m in iterates[:-1]]       # q_0 … q_{T−1}
    bound_at_next = np.array([np.sum(elbo(estimate_log_prob(X, model.theta(m_next)), resp))
                              for resp, m_next in zip(resps, iterates[1:])])

    if grid is None:
        low = min(X[:, feature].min(), iterates.min())
        high = max(X[:, feature].max(), iterates.max())
        margin = 0.1 * (high - low) if high > low else 1.0
        grid = np.linspace(low - margin, high + margin, 301)
    # Log joints log p(x_n, z_n = k | θ(m)) for every grid value: (G, N, K).
    thetas = []
    for g, m in enumerate(grid):
        try:
            thetas.append(_with_mean(params, component, feature, m))
        except ValueError as exc:             # μ so far out that θ(m) cannot be evaluated
            raise ValueError(f"grid[{g}] = {m:.6g} cannot be a value of μ[{component}, {feature}]: "
                             f"{exc}") from None
    with np.errstate(over="ignore", invalid="ignore"):     # a far grid value: checked below
        log_joint = np.stack([estimate_log_prob(X, theta) for theta in thetas])
    # NaN, or a point with no finite log joint, at a grid value: its squared distances overflow.
    unusable = np.isnan(log_joint).any(axis=(1, 2)) | ~np.isfinite(
        np.where(np.isnan(log_joint), 0.0, log_joint).max(axis=2)).all(axis=1)
    if np.any(unusable):
        g = int(np.flatnonzero(unusable)[0])
        raise ValueError(f"grid[{g}] = {grid[g]:.6g} puts μ[{component}, {feature}] so far from "
                         "the data that log p(X | θ(m)) is not finite in float64; choose a grid "
                         "closer to the data")
    log_likelihood = log_evidence(log_joint).sum(axis=1)
    bounds = np.stack([elbo(log_joint, np.broadcast_to(resp, log_joint.shape)).sum(axis=1)
                       for resp in resps])
    if not np.all(np.isfinite(bounds)):
        g = int(np.flatnonzero(~np.all(np.isfinite(bounds), axis=0))[0])
        raise ValueError(f"grid[{g}] = {grid[g]:.6g} puts μ[{component}, {feature}] so far from "
                         "the points q_t gives that component that the bound L(q_t, θ(m)) is "
                         "below float64's range; choose a grid closer to the data")
    return BoundCurves(grid, log_likelihood, bounds, iterates, iterate_log_likelihoods,
                       bound_at_next, component, feature)


# --------------------------------------------------------------------------------------------
# log p, L and KL after every half-step of EM
# --------------------------------------------------------------------------------------------
class HalfSteps(NamedTuple):
    """(log p, L, KL) after every half-step of EM; arrays of length 2T + 1.

    labels : "start", "E1", "M1", "E2", "M2", …, "MT".
    log_likelihood, elbo, kl : (2T + 1,) log p(X | θ), L(q, θ), KL(q ‖ p(Z | X, θ)) at each
        state (θ, q); log_likelihood = elbo + kl to rounding.
    params : the 2T + 1 parameters θ in force at each state.
    """

    labels: list
    log_likelihood: np.ndarray
    elbo: np.ndarray
    kl: np.ndarray
    params: list


class _TextbookMixture:
    """A Gaussian mixture's EM as the textbook writes it, for ``emlib.em.run``: the statistics
    are the (N, K) responsibilities of ``gmm.e_step``, the M-step is ``gmm.m_step``."""

    objective_name = "log_likelihood"

    def __init__(self, X, reg_covar):
        self.X, self.reg_covar, self.n_items = X, reg_covar, float(X.shape[0])

    def e_step(self, params):
        return e_step(self.X, params)

    def m_step(self, resp, params):
        return gmm.m_step(self.X, resp, reg_covar=self.reg_covar)


def em_half_steps(X, params, q=None, *, n_iter: int = 3, reg_covar: float = 0.0) -> HalfSteps:
    """Run EM on a Gaussian mixture and record (log p, L, KL) after every E- and M-step.

    States: start (θ_0, q); after E-step t, (θ_{t-1}, p(Z | X, θ_{t-1})), where KL = 0 and
    L = log p; after M-step t, (θ_t, same q), where L has risen (``emlib.gmm.m_step``
    maximises it over θ) and log p has risen at least as much (KL >= 0 again).

    Parameters
    ----------
    X : (N, D) data.
    params : GaussianMixtureParams θ_0 with K components.
    q : (N, K) starting distributions (rows on the simplex); default uniform, q_nk = 1/K.
    n_iter : T >= 1, the number of E/M pairs.
    reg_covar : passed to ``emlib.gmm.m_step``. The default 0 makes the M-step the exact
        maximiser of L, so the bound provably rises; a positive value can cost a little.

    Returns
    -------
    HalfSteps with 2T + 1 states (see its docstring).
    """
    X, params = _check_X_params(X, params)
    n_samples, n_components = X.shape[0], params.n_components
    if q is None:
        q = np.full((n_samples, n_components), 1.0 / n_components)
    else:
        q = check_resp(q, n_samples, n_components, name="q", atol=1e-8)
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    reg_covar = check_real(reg_covar, "reg_covar", minimum=0.0)
    # 2T + 1 states, each a θ (with its Cholesky factors) and an (N, K) q or log joint.
    state = 3 * params.n_components * (params.n_features + 1) ** 2 + 2 * n_samples * n_components
    check_allocation((2 * n_iter + 1) * state, "n_iter", f"{2 * n_iter + 1} recorded states of EM")

    # EM in its textbook form on the driver: the statistics are q = p(Z | X, θ^(t)) and the
    # M-step is gmm.m_step. The states are then rebuilt from the recorded iterates θ^(0) … θ^(T).
    check_mixture_log_joint(estimate_log_prob, X, params)
    model = _TextbookMixture(X, reg_covar)
    thetas = []
    try:
        run(model, params, max_iter=n_iter, tol=0.0,
            callback=lambda t, theta, objective: thetas.append(theta))
    except ValueError as exc:            # an M-step whose covariance is singular in float64
        raise ValueError(f"EM on X failed at M-step {len(thetas)}: {exc} (reg_covar = "
                         f"{reg_covar:g}; data on a scale near 1e-150 or below gives covariances "
                         "that underflow: standardize X)") from None
    labels, states, in_force = ["start"], [(thetas[0], q)], [thetas[0]]
    for t in range(1, n_iter + 1):
        posterior_q = e_step(X, thetas[t - 1])[0]                   # E-step: q = p(Z | X, θ)
        labels += [f"E{t}", f"M{t}"]
        states += [(thetas[t - 1], posterior_q), (thetas[t], posterior_q)]
        in_force += [thetas[t - 1], thetas[t]]
    values = np.array([_decomposition(estimate_log_prob(X, theta), q) for theta, q in states])
    return HalfSteps(labels, values[:, 0], values[:, 1], values[:, 2], in_force)
