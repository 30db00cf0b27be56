"""The picture behind notebook 06's widget: what each method estimates under MCAR, MAR, MNAR."""

from __future__ import annotations

import numpy as np

from ..missing import mechanism_estimates
from ._common import get_ax

__all__ = ["plot_mechanism_bias"]

_LABELS = {"mean": r"mean $\mu_0$", "std": r"std. dev. $\sigma_0$",
           "correlation": r"correlation $\rho_{01}$"}


def plot_mechanism_bias(params, mechanism: str = "MAR", fraction: float = 0.4, *, ax=None,
                        n_samples: int = 153, n_repeats: int = 60, random_state=0):
    """Grouped bars: the bias of each method's estimate of column 0's mean, standard deviation
    and correlation with column 1, in units of the complete-data estimate's sampling spread,
    when column 0 loses ``fraction`` of its values by ``mechanism`` (``emlib.missing.ampute``).

    Parameters
    ----------
    params : the bivariate ``emlib.missing.GaussianParams`` the samples are drawn from.
    mechanism : "MCAR", "MAR" (driven by column 1) or "MNAR".
    fraction : the fraction of column 0 that goes missing, in [0, 1).
    ax : the Axes to draw into; None for the current one.
    n_samples, n_repeats, random_state : passed to ``emlib.missing.mechanism_estimates``.

    Returns
    -------
    The Axes: 3 × 3 bars (``ax.patches``; complete cases, mean imputation, EM for each quantity),
    a line at 0 and a band of ±1 sampling standard deviation (a bias inside it is small next to
    the estimate's own noise). The y axis is fixed at [−8, 8] so that settings compare.
    """
    estimates = mechanism_estimates(params, mechanism, fraction, n_samples=n_samples,
                                    n_repeats=n_repeats, random_state=random_state)
    ax = get_ax(ax)
    quantities = ("mean", "std", "correlation")
    width = 0.25
    for j, method in enumerate(estimates.methods[1:], start=1):
        bias = [estimates.bias(q)[j] / estimates.sampling_se[i] for i, q in enumerate(quantities)]
        ax.bar(np.arange(3) + (j - 2) * width, np.clip(bias, -8, 8), width, color=f"C{j}",
               label=method)
    ax.axhspan(-1.0, 1.0, color="0.9", zorder=0, label="±1 sampling s.d.")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xticks(np.arange(3), [_LABELS[q] for q in quantities])
    ax.set_ylim(-8.0, 8.0)
    ax.set_ylabel("bias / sampling s.d. of the estimate")
    ax.set_title(f"{mechanism}, {fraction:.0%} of $x_0$ missing "
                 f"({n_repeats} samples of {n_samples})")
    ax.legend(loc="upper right", fontsize="small")   # the bars are mostly below 0
    return ax
