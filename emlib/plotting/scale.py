"""EM at scale (lecture 08): how close stepwise EM gets to batch EM's optimum, against passes over
the data (deterministic, unlike timings)."""

from __future__ import annotations

import numpy as np

from .. import gmm, online
from .._validation import check_instance, check_int, check_real
from ._common import get_ax

__all__ = ["plot_stepwise"]


def plot_stepwise(X, init, optimum, *, alpha=0.7, batch_size=500, n_passes=2.0, ax=None):
    """Run stepwise EM (``emlib.online.fit_stepwise``, reg_covar=0) on X from ``init`` and draw
    the per-sample log-likelihood gap to ``optimum`` against passes over the data.

    Parameters
    ----------
    X : (N, D) data. init : GaussianMixtureParams θ^(0).
    optimum : batch EM's per-sample log-likelihood (1/N) log p(X | θ*) on X.
    alpha : α in (0.5, 1] of η_t = (t + 2)^(−α), or 0. batch_size : m. n_passes : > 0, how many
        passes over X to run (rounded to whole mini-batches).
    ax : Axes or None. Returns the Axes (log-scale gap, the 1e-3 target drawn dotted).
    """
    X = np.asarray(gmm._check_X(X))
    init = check_instance(init, gmm.GaussianMixtureParams, "init")
    # a per-sample log-likelihood; the gap to it is drawn on a log axis, whose margins overflow
    # long before 1e308
    optimum = check_real(optimum, "optimum", minimum=-1e100, maximum=1e100,
                         why=" in magnitude (nats per sample; rescale the data)")
    n_passes = check_real(n_passes, "n_passes", minimum=0.0, inclusive=False)
    batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=X.shape[0],
                           maximum_reason=" (the number of samples in X)")
    n_steps = n_passes * X.shape[0] / batch_size
    if not n_steps <= 10**5:
        raise ValueError(f"n_passes = {n_passes:g} with batch_size = {batch_size} is "
                         f"{n_steps:.3g} steps; at most 100000")
    n_steps = max(1, int(round(n_steps)))
    evaluation = gmm.GaussianMixtureModel(X, reg_covar=0.0)
    every = max(1, n_steps // 40)
    passes, gaps = [], []

    def record(t, state, objective):
        if t % every == 0 or t == n_steps:
            passes.append((t + 1) * batch_size / X.shape[0])
            gaps.append(optimum - evaluation.e_step(state.params)[1] / X.shape[0])

    try:
        online.fit_stepwise(X, init.n_components, batch_size=batch_size, alpha=alpha, init=init,
                            max_iter=n_steps, tol=0.0, reg_covar=0.0, callback=record)
    except ValueError as error:
        if "alpha" in str(error) or "X" in str(error):
            raise
        raise ValueError(f"stepwise EM on X from init fails: {error}") from None
    ax = get_ax(ax)
    ax.semilogy(passes, np.maximum(gaps, 1e-7), marker=".", label=f"α = {alpha:g}, m = {batch_size}")
    ax.axhline(1e-3, color="0.5", linestyle=":", label="1e-3 per sample")
    ax.set_xlabel("passes over the data")
    ax.set_ylabel("gap to batch EM's optimum (nats per sample)")
    ax.set_title(f"Stepwise EM, α = {alpha:g}, m = {batch_size}")
    ax.set_ylim(1e-7, None)
    ax.legend(loc="upper right", fontsize="small")
    return ax
