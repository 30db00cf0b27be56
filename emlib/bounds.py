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

from ._validation import as_float_array, check_distribution, check_int, check_real
from .divergences import elbo, kl_divergence, log_evidence, posterior
from .gmm import (GaussianMixtureParams, _check_params, _check_resp, _check_X_params, _e_step,
                  e_step, estimate_log_prob, m_step)
from .plotting import _get_ax

__all__ = [
    "JensenGap",
    "jensen_gap",
    "plot_jensen",
    "Decomposition",
    "decomposition",
    "plot_elbo_for_point",
    "BoundCurves",
    "bound_curves",
    "plot_bound_curves",
    "HalfSteps",
    "em_half_steps",
    "plot_half_steps",
]


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
    # Relative to the largest value r = x / x_max, so that a constant X gives r = 1 exactly and
    # both sides exactly log x_max: the gap is then exactly 0, not a rounding error. log1p keeps
    # log E[r] accurate when E[r] is close to 1 (X nearly constant).
    scale = values.max()
    ratio = values / scale
    log_mean_ratio = np.log1p(np.dot(probs, ratio - 1.0))        # log E[X / x_max]
    mean_log_ratio = float(np.dot(probs, np.log(ratio)))          # E[log(X / x_max)]
    gap = max(float(log_mean_ratio - mean_log_ratio), 0.0)        # >= 0 up to rounding
    log_scale = float(np.log(scale))
    return JensenGap(log_scale + float(log_mean_ratio), log_scale + mean_log_ratio, gap)


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


def plot_jensen(values, probs, ax=None):
    """Picture of Jensen's inequality for log: the curve log x, the points (x_i, log x_i) sized by
    p_i, and at x = E[X] the two sides: E[log X], a weighted average of the points and so on or
    below the chords between them, and log E[X] on the curve, joined by a red segment whose
    length is the gap.

    Parameters
    ----------
    values, probs : as for ``jensen_gap``: (M,) positive values and their probabilities.
    ax : the Axes to draw into; None for the current one.

    Returns
    -------
    The Axes: lines[0] is log x on a grid spanning the values, lines[1] the gap segment,
    lines[2] the chords joining the points in order of x; the collections are the points
    (x_i, log x_i) with area ∝ p_i, then the markers (E[X], log E[X])
    and (E[X], E[log X]). The legend gives the three numbers.
    """
    values, probs = _check_discrete_variable(values, probs)
    ax = _get_ax(ax)
    terms = _jensen(values, probs)
    mean = float(np.dot(probs, values))
    low, high = values.min(), values.max()
    margin = 0.15 * max(high - low, 0.5 * low)
    grid = np.linspace(max(low - margin, 0.5 * low), high + margin, 300)
    ax.plot(grid, np.log(grid), color="black", linewidth=1.5, label="log x")
    ax.plot([mean, mean], [terms.mean_log, terms.log_mean], color="C3", linewidth=3,
            label=f"gap = log E[X] − E[log X] = {terms.gap:.4f}")
    order = np.argsort(values)
    ax.plot(values[order], np.log(values[order]), color="0.5", linestyle="--", linewidth=1,
            label="chords (lie below the curve)")
    ax.scatter(values, np.log(values), s=20 + 400 * probs, color="C0", alpha=0.7, zorder=3,
               label="values (x_i, log x_i), area ∝ p_i")
    ax.scatter([mean], [terms.log_mean], marker="o", s=60, color="black", zorder=4,
               label=f"log E[X] = {terms.log_mean:.4f}")
    ax.scatter([mean], [terms.mean_log], marker="s", s=60, color="C3", zorder=4,
               label=f"E[log X] = {terms.mean_log:.4f}")
    ax.set_xlabel("x")
    ax.set_ylabel("log x")
    ax.legend(fontsize="small", loc="lower right")
    return ax


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
    return Decomposition(float(np.sum(log_evidence(log_joint))),
                         float(np.sum(elbo(log_joint, q))),
                         float(np.sum(kl_divergence(q, posterior(log_joint)))))


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
    gives kl = +inf although L is finite: keep q away from such components.
    """
    X, params = _check_X_params(X, params)
    q = _check_resp(q, X.shape[0], params.n_components, name="q", atol=1e-8)
    return _decomposition(estimate_log_prob(X, params), q)


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


def plot_elbo_for_point(x, params, q0, ax=None, *, grid_size: int = 201):
    r"""For one point x and a two-component mixture: the bound L(q, θ) as q moves, below
    log p(x | θ), with the gap at the chosen q drawn and labelled as KL(q ‖ p(z | x, θ)).

    The distributions over the two components are q = (q0, 1 − q0), so the x-axis is q0 = q(z=0)
    ∈ [0, 1] and the curve is

    .. math::
        \mathcal L(q, \theta) = q_0 \log\frac{p(x, z{=}0\mid\theta)}{q_0}
            + (1-q_0) \log\frac{p(x, z{=}1\mid\theta)}{1-q_0},

    concave in q0 and touching the horizontal line log p(x | θ) only at q0 = γ_0, the posterior
    p(z = 0 | x, θ).

    Parameters
    ----------
    x : the point: a number (D = 1), or shape (D,) or (1, D).
    params : GaussianMixtureParams with exactly K = 2 components in D dimensions.
    q0 : q(z = 0), in [0, 1].
    ax : the Axes to draw into; None for the current one.
    grid_size : number of values of q0 (>= 2) at which the curve is drawn.

    Returns
    -------
    The Axes: lines[0] the curve L(q, θ) over q0, lines[1] log p(x | θ) (dashed), lines[2] the
    gap at q0 (red); collections: the point (q0, L) and the posterior (γ_0, log p). The legend
    gives log p, L and KL at q0.
    """
    params = _check_params(params)
    if params.n_components != 2:
        raise ValueError(f"params has {params.n_components} components; plot_elbo_for_point draws "
                         "q = (q0, 1 − q0) over two components, so it needs exactly 2")
    x = _check_one_point(x, params.n_features)
    q0 = check_real(q0, "q0", minimum=0.0)
    if q0 > 1.0:
        raise ValueError(f"q0 is the probability q(z = 0), so it must be <= 1, got {q0}")
    grid_size = check_int(grid_size, "grid_size", minimum=2)
    ax = _get_ax(ax)

    log_joint = estimate_log_prob(x, params)[0]                         # (2,)
    grid = np.linspace(0.0, 1.0, grid_size)
    family = np.column_stack([grid, 1.0 - grid])
    bound = elbo(np.broadcast_to(log_joint, family.shape), family)      # (grid_size,)
    at_q = _decomposition(log_joint[None, :], np.array([[q0, 1.0 - q0]]))
    gamma0 = float(posterior(log_joint)[0])

    ax.plot(grid, bound, color="C0", linewidth=2, label="L(q, θ) for q = (q0, 1 − q0)")
    ax.axhline(at_q.log_likelihood, color="black", linestyle="--", linewidth=1.5,
               label=f"log p(x | θ) = {at_q.log_likelihood:.4f}")
    ax.plot([q0, q0], [at_q.elbo, at_q.log_likelihood], color="C3", linewidth=3,
            label=f"gap = KL(q ‖ p(z | x, θ)) = {at_q.kl:.4f}")
    ax.scatter([q0], [at_q.elbo], color="C3", s=50, zorder=3, label=f"L(q, θ) = {at_q.elbo:.4f}")
    ax.scatter([gamma0], [at_q.log_likelihood], color="black", marker="*", s=150, zorder=4,
               label=f"posterior γ_0 = {gamma0:.3f}: bound tight")
    spread = at_q.log_likelihood - bound.min()
    ax.set_ylim(bound.min() - 0.05 * spread, at_q.log_likelihood + 0.15 * spread)
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("q0 = q(z = 0)")
    ax.set_ylabel("nats")
    ax.legend(fontsize="small", loc="lower center")
    return ax


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

    # EM on m.
    iterates = [float(params.means[component, feature])]
    iterate_log_likelihoods, resps = [], []
    current = params
    for _ in range(n_iter):
        resp, total = _e_step(X, current)                               # q_t and log p at m_t
        iterate_log_likelihoods.append(total)
        resps.append(resp)
        iterates.append(_best_mean(X, current, resp, component, feature))
        current = _with_mean(params, component, feature, iterates[-1])
    iterate_log_likelihoods.append(_e_step(X, current)[1])
    iterates = np.array(iterates)
    bound_at_next = np.array([
        np.sum(elbo(estimate_log_prob(X, _with_mean(params, component, feature, m_next)), resp))
        for resp, m_next in zip(resps, iterates[1:])])

    if grid is None:
        low = min(X[:, feature].min(), iterates.min())
        high = max(X[:, feature].max(), iterates.max())
        margin = 0.1 * (high - low) if high > low else 1.0
        grid = np.linspace(low - margin, high + margin, 301)
    # Log joints log p(x_n, z_n = k | θ(m)) for every grid value: (G, N, K).
    log_joint = np.stack([estimate_log_prob(X, _with_mean(params, component, feature, m))
                          for m in grid])
    log_likelihood = log_evidence(log_joint).sum(axis=1)
    bounds = np.stack([elbo(log_joint, np.broadcast_to(resp, log_joint.shape)).sum(axis=1)
                       for resp in resps])
    return BoundCurves(grid, log_likelihood, bounds, iterates, np.array(iterate_log_likelihoods),
                       bound_at_next, component, feature)


def plot_bound_curves(curves, t: int = 0, ax=None, *, show_previous: bool = True):
    """Bishop's figure 9.14 for step t: log p(X | θ(m)), the bound L(q_t, θ(m)) touching it at
    m_t, and the next iterate m_{t+1} at the bound's maximum.

    Parameters
    ----------
    curves : BoundCurves from ``bound_curves``.
    t : the step to draw, 0 … T−1.
    ax : the Axes to draw into; None for the current one.
    show_previous : also draw the bounds of steps 0 … t−1, thin and grey.

    Returns
    -------
    The Axes: lines[0] is log p(X | θ(m)); then (if shown) the t earlier bounds; then bound t;
    then two dotted verticals at m_t and m_{t+1}. Markers: (m_t, log p) where the bound
    touches, (m_{t+1}, L(q_t, θ(m_{t+1}))) its maximum, and (m_{t+1}, log p(X | θ(m_{t+1}))),
    higher by at least as much as the bound rose. The y-range follows log p on the grid (with
    room above for the legend), so the bounds, which fall off fast, are cut off below.
    """
    if not isinstance(curves, BoundCurves):
        raise TypeError(f"curves must be the BoundCurves returned by bound_curves, got "
                        f"{type(curves).__name__}")
    n_steps = curves.bounds.shape[0]
    t = check_int(t, "t", minimum=0, maximum=n_steps - 1,
                  maximum_reason=f" (curves has {n_steps} EM steps)")
    if not isinstance(show_previous, bool):
        raise TypeError(f"show_previous must be True or False, got {show_previous!r}")
    ax = _get_ax(ax)
    k, d = curves.component, curves.feature
    name = f"μ[{k}, {d}]"
    m_t, m_next = curves.iterates[t], curves.iterates[t + 1]

    ax.plot(curves.grid, curves.log_likelihood, color="black", linewidth=2,
            label="log p(X | θ)")
    if show_previous:
        for s in range(t):
            ax.plot(curves.grid, curves.bounds[s], color="0.7", linewidth=1,
                    label="earlier bounds" if s == 0 else None)
    ax.plot(curves.grid, curves.bounds[t], color="C0", linewidth=2,
            label=f"bound L(q_{t}, θ), q_{t} = p(Z | X, θ_{t})")
    ax.axvline(m_t, color="C0", linestyle=":", linewidth=1)
    ax.axvline(m_next, color="C2", linestyle=":", linewidth=1)
    ax.scatter([m_t], [curves.iterate_log_likelihoods[t]], color="C0", s=60, zorder=3,
               label=f"θ_{t} ({name} = {m_t:.3f}): bound touches")
    ax.scatter([m_next], [curves.bound_at_next[t]], color="C2", marker="s", s=50, zorder=3,
               label=f"θ_{t + 1} ({name} = {m_next:.3f}): top of the bound")
    ax.scatter([m_next], [curves.iterate_log_likelihoods[t + 1]], color="C2", s=60, zorder=3,
               label=f"log p(X | θ_{t + 1})")
    low, high = curves.log_likelihood.min(), curves.log_likelihood.max()
    ax.set_ylim(low - 0.05 * (high - low), high + 0.5 * (high - low))    # room for the legend
    ax.set_xlim(curves.grid.min(), curves.grid.max())
    ax.set_xlabel(f"{name} (every other parameter fixed)")
    ax.set_ylabel("log-likelihood and lower bound (nats)")
    ax.legend(fontsize="small", loc="upper right")
    return ax


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
        q = _check_resp(q, n_samples, n_components, name="q", atol=1e-8)
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    reg_covar = check_real(reg_covar, "reg_covar", minimum=0.0)

    labels, states, thetas = ["start"], [_decomposition(estimate_log_prob(X, params), q)], [params]
    for t in range(1, n_iter + 1):
        q, _ = e_step(X, params)                                    # E-step: q = p(Z | X, θ)
        labels.append(f"E{t}")
        states.append(_decomposition(estimate_log_prob(X, params), q))
        thetas.append(params)
        params = m_step(X, q, reg_covar=reg_covar)                  # M-step: θ = argmax L(q, ·)
        labels.append(f"M{t}")
        states.append(_decomposition(estimate_log_prob(X, params), q))
        thetas.append(params)
    values = np.array(states)
    return HalfSteps(labels, values[:, 0], values[:, 1], values[:, 2], thetas)


def plot_half_steps(half_steps, ax=None):
    """The classic picture of EM from a real run: log p(X | θ) and L(q, θ) after every half-step,
    the gap between them (the KL) shaded red.

    Parameters
    ----------
    half_steps : HalfSteps from ``em_half_steps``.
    ax : the Axes to draw into; None for the current one.

    Returns
    -------
    The Axes: lines[0] log p, lines[1] L, then one red vertical segment per state from L to
    log p (its length is the KL; after an E-step it is 0); the x tick labels are the states'
    labels ("start", "E1", "M1", …).
    """
    if not isinstance(half_steps, HalfSteps):
        raise TypeError("half_steps must be the HalfSteps returned by em_half_steps, got "
                        f"{type(half_steps).__name__}")
    ax = _get_ax(ax)
    steps = np.arange(len(half_steps.labels))
    ax.plot(steps, half_steps.log_likelihood, "o-", color="black", linewidth=2,
            label="log p(X | θ)")
    ax.plot(steps, half_steps.elbo, "s--", color="C0", linewidth=1.5, label="L(q, θ)")
    for s in steps:
        ax.plot([s, s], [half_steps.elbo[s], half_steps.log_likelihood[s]], color="C3",
                linewidth=4, alpha=0.6, label="gap = KL(q ‖ p(Z | X, θ))" if s == 0 else None)
    ax.set_xticks(steps, half_steps.labels)
    ax.set_xlabel("state after each half-step (E: q ← posterior, M: θ ← argmax L)")
    ax.set_ylabel("nats")
    ax.legend(fontsize="small", loc="lower right")
    return ax
