r"""Pictures of Jensen's inequality and of EM's lower bound (notebooks 01 and 02).

The numbers come from ``emlib.bounds`` (``jensen_gap``, ``elbo_for_point``, ``bound_curves``,
``em_half_steps``), which also checks the input; these functions only draw them. Each draws into
``ax`` (the current Axes when None), labels its axes, adds a legend, returns the Axes and never
calls ``plt.show()``.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_bool, check_instance, check_int
from ..bounds import BoundCurves, HalfSteps, elbo_for_point, jensen_gap
from ._common import get_ax

__all__ = ["plot_jensen", "plot_elbo_for_point", "plot_bound_curves", "plot_half_steps"]


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
    terms = jensen_gap(values, probs)                                   # checks the input
    values, probs = np.asarray(values, dtype=float), np.asarray(probs, dtype=float)
    ax = get_ax(ax)
    mean = float(np.dot(probs, values))
    low, high = values.min(), values.max()
    margin = 0.15 * max(high - low, 0.5 * low)
    grid = np.linspace(max(low - margin, 0.5 * low), high + margin, 300)
    ax.plot(grid, np.log(grid), color="black", linewidth=1.5, label=r"$\log x$")
    ax.plot([mean, mean], [terms.mean_log, terms.log_mean], color="C3", linewidth=3, zorder=5,
            label=rf"gap $= \log \mathbb{{E}}[X] - \mathbb{{E}}[\log X]$ = {terms.gap:.4f}")
    order = np.argsort(values)
    ax.plot(values[order], np.log(values[order]), color="0.5", linestyle="--", linewidth=1,
            label="chords (lie below the curve)")
    ax.scatter(values, np.log(values), s=20 + 400 * probs, color="C0", alpha=0.7, zorder=3,
               label=r"values $(x_i, \log x_i)$, area $\propto p_i$")
    # An open ring on top, so that a value x_i = E[X] (drawn as a disc) does not hide it.
    ax.scatter([mean], [terms.log_mean], marker="o", s=110, facecolors="none", edgecolors="black",
               linewidths=2, zorder=6, label=rf"$\log \mathbb{{E}}[X]$ = {terms.log_mean:.4f}")
    ax.scatter([mean], [terms.mean_log], marker="s", s=60, color="C3", zorder=6,
               label=rf"$\mathbb{{E}}[\log X]$ = {terms.mean_log:.4f}")
    ax.set_xlabel("$x$")
    ax.set_ylabel(r"$\log x$")
    ax.legend(fontsize="small", loc="lower right")
    return ax




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
    numbers = elbo_for_point(x, params, q0, grid_size=grid_size)       # checks the input
    ax = get_ax(ax)
    grid, bound, at_q, gamma0 = numbers.grid, numbers.bound, numbers.at_q, numbers.posterior0
    q0 = numbers.q0
    ax.plot(grid, bound, color="C0", linewidth=2, label=r"$\mathcal{L}(q, \theta)$ for $q = (q_0, 1 - q_0)$")
    ax.axhline(at_q.log_likelihood, color="black", linestyle="--", linewidth=1.5,
               label=rf"$\log p(x \mid \theta)$ = {at_q.log_likelihood:.4f}")
    ax.plot([q0, q0], [at_q.elbo, at_q.log_likelihood], color="C3", linewidth=3,
            label=rf"gap $= \mathrm{{KL}}(q \,\|\, p(z \mid x, \theta))$ = {at_q.kl:.4f}")
    ax.scatter([q0], [at_q.elbo], color="C3", s=50, zorder=3, label=rf"$\mathcal{{L}}(q, \theta)$ = {at_q.elbo:.4f}")
    ax.scatter([gamma0], [at_q.log_likelihood], color="black", marker="*", s=150, zorder=4,
               label=rf"posterior $\gamma_0$ = {gamma0:.3f}: bound tight")
    spread = at_q.log_likelihood - bound.min()
    ax.set_ylim(bound.min() - 0.05 * spread, at_q.log_likelihood + 0.15 * spread)
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel(r"$q_0 = q(z = 0)$")
    ax.set_ylabel("nats")
    ax.legend(fontsize="small", loc="lower center")
    return ax




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
    check_instance(curves, BoundCurves, "curves", " (the result of emlib.bounds.bound_curves)")
    n_steps = curves.bounds.shape[0]
    t = check_int(t, "t", minimum=0, maximum=n_steps - 1,
                  maximum_reason=f" (curves has {n_steps} EM steps)")
    show_previous = check_bool(show_previous, "show_previous")
    ax = get_ax(ax)
    k, d = curves.component, curves.feature
    name = rf"\mu_{{{k},{d}}}"
    m_t, m_next = curves.iterates[t], curves.iterates[t + 1]

    ax.plot(curves.grid, curves.log_likelihood, color="black", linewidth=2,
            label=r"$\log p(X \mid \theta)$")
    if show_previous:
        for s in range(t):
            ax.plot(curves.grid, curves.bounds[s], color="0.7", linewidth=1,
                    label="earlier bounds" if s == 0 else None)
    ax.plot(curves.grid, curves.bounds[t], color="C0", linewidth=2,
            label=rf"bound $\mathcal{{L}}(q^{{({t})}}, \theta)$, $q^{{({t})}} = p(Z \mid X, \theta^{{({t})}})$")
    ax.axvline(m_t, color="C0", linestyle=":", linewidth=1)
    ax.axvline(m_next, color="C2", linestyle=":", linewidth=1)
    ax.scatter([m_t], [curves.iterate_log_likelihoods[t]], color="C0", s=60, zorder=3,
               label=rf"$\theta^{{({t})}}$ (${name}$ = {m_t:.3f}): bound touches")
    ax.scatter([m_next], [curves.bound_at_next[t]], color="C2", marker="s", s=50, zorder=3,
               label=rf"$\theta^{{({t + 1})}}$ (${name}$ = {m_next:.3f}): top of the bound")
    ax.scatter([m_next], [curves.iterate_log_likelihoods[t + 1]], color="C2", s=60, zorder=3,
               label=rf"$\log p(X \mid \theta^{{({t + 1})}})$")
    low, high = curves.log_likelihood.min(), curves.log_likelihood.max()
    ax.set_ylim(low - 0.05 * (high - low), high + 0.5 * (high - low))    # room for the legend
    ax.set_xlim(curves.grid.min(), curves.grid.max())
    ax.set_xlabel(f"${name}$ (every other parameter fixed)")
    ax.set_ylabel("log-likelihood and lower bound (nats)")
    ax.legend(fontsize="small", loc="upper right")
    return ax




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
    check_instance(half_steps, HalfSteps, "half_steps", " (the result of emlib.bounds.em_half_steps)")
    ax = get_ax(ax)
    steps = np.arange(len(half_steps.labels))
    ax.plot(steps, half_steps.log_likelihood, "o-", color="black", linewidth=2,
            label=r"$\log p(X \mid \theta)$")
    ax.plot(steps, half_steps.elbo, "s--", color="C0", linewidth=1.5, label=r"$\mathcal{L}(q, \theta)$")
    for s in steps:
        ax.plot([s, s], [half_steps.elbo[s], half_steps.log_likelihood[s]], color="C3",
                linewidth=4, alpha=0.6, label=r"gap $= \mathrm{KL}(q \,\|\, p(Z \mid X, \theta))$" if s == 0 else None)
    ax.set_xticks(steps, half_steps.labels)
    ax.set_xlabel(r"state after each half-step (E: $q \leftarrow$ posterior, M: $\theta \leftarrow \arg\max\, \mathcal{L}$)")
    ax.set_ylabel("nats")
    ax.legend(fontsize="small", loc="lower right")
    return ax
