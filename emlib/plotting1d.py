r"""A picture of a one-dimensional Gaussian mixture and its responsibilities.

For D = 1 a mixture's parts can all be drawn on one axis: the data as a histogram, each
*weighted* component density

.. math::
    x \mapsto \pi_k \, \mathcal N(x \mid \mu_k, \sigma_k^2), \qquad \sigma_k^2 = \Sigma_k,

their sum (the mixture density :math:`p(x \mid \theta)`), and a rug of the data points coloured
by responsibility. Since :math:`\gamma_{nk} = \pi_k \mathcal N(x_n\mid\mu_k,\sigma_k^2) /
p(x_n\mid\theta)`, the responsibility of component k at x is the height of its weighted curve
divided by the height of the mixture curve there.

Like ``emlib.plotting``, the function draws into ``ax`` (the current Axes when None), returns
it and never calls ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb

from ._validation import as_float_array, check_distribution, check_int
from .gmm import GaussianMixtureParams, e_step

__all__ = ["plot_mixture_1d"]


def _check_X_1d(X) -> np.ndarray:
    """X as an (N, 1) array; (N,) is accepted too."""
    X = as_float_array(X, "X")
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != 1:
        raise ValueError(f"X must have shape (n_samples, 1) or (n_samples,) for a 1-D mixture, "
                         f"got shape {X.shape}")
    return X


def _weighted_densities(x, params):
    """π_k N(x | μ_k, σ_k²) for every grid point and component: (G,) → (G, K)."""
    means = params.means[:, 0]
    variances = params.covariances[:, 0, 0]
    z = (x[:, None] - means) ** 2 / variances
    return params.weights * np.exp(-0.5 * z) / np.sqrt(2.0 * np.pi * variances)


def plot_mixture_1d(X, params, ax=None, *, resp=None, bins=30, colors=None, grid_size=400):
    """Histogram of 1-D data with the weighted component densities, the mixture density and a
    rug of the points coloured by responsibility.

    Parameters
    ----------
    X : (N, 1) or (N,) data.
    params : GaussianMixtureParams with K components in 1 dimension.
    ax : the Axes to draw into; None for the current one.
    resp : (N, K) responsibilities γ_nk (rows summing to 1); None computes them with
        ``emlib.gmm.e_step(X, params)``.
    bins : number of histogram bins (>= 1).
    colors : K matplotlib colours, one per component; default "C0", "C1", ….
    grid_size : number of points (>= 2) at which the densities are drawn.

    Returns
    -------
    The Axes, holding (in this order) one line per non-empty component,
    π_k N(x | μ_k, σ_k²), then the mixture density Σ_k π_k N(x | μ_k, σ_k²) as a black dashed
    line, on a grid spanning the data and every non-empty component's μ_k ± 4σ_k; the histogram
    (``density=True``, so it is on the same scale); a thin baseline at 0 (the last line); and the
    rug, a scatter just below zero in
    which point n has the colour Σ_k γ_nk c_k — for K = 2 a blend from one component's colour to
    the other's. The axes are labelled and a legend gives π, μ and σ of each component.
    """
    if not isinstance(params, GaussianMixtureParams):
        raise TypeError(f"params must be a GaussianMixtureParams, got {type(params).__name__}")
    if params.n_features != 1:
        raise ValueError(f"params has {params.n_features} features; plot_mixture_1d draws a 1-D "
                         "mixture (for 2-D data use emlib.plotting.plot_gmm)")
    X = _check_X_1d(X)
    if ax is None:
        ax = plt.gca()
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    bins = check_int(bins, "bins", minimum=1)
    grid_size = check_int(grid_size, "grid_size", minimum=2)
    n_components = params.n_components
    if colors is None:
        colors = [f"C{k}" for k in range(n_components)]
    elif isinstance(colors, (str, bytes)) or not hasattr(colors, "__len__"):
        raise TypeError("colors must be a sequence with one colour per component, got "
                        f"{type(colors).__name__}")
    if len(colors) != n_components:
        raise ValueError(f"colors has {len(colors)} entries but the mixture has {n_components} "
                         "components")
    try:
        rgb = np.array([to_rgb(c) for c in colors])
    except ValueError as exc:
        raise ValueError(f"colors must be matplotlib colours ({exc})") from None
    if resp is None:
        resp, _ = e_step(X, params)
    else:
        resp = as_float_array(resp, "resp", ndim=2)
        if resp.shape != (X.shape[0], n_components):
            raise ValueError(f"resp has shape {resp.shape}; with {X.shape[0]} samples and "
                             f"{n_components} components it must be "
                             f"({X.shape[0]}, {n_components})")
        check_distribution(resp, "resp", atol=1e-6)

    x = X[:, 0]
    active = params.weights > 0
    sigmas = np.sqrt(params.covariances[:, 0, 0])
    low = min(x.min(), np.min(params.means[active, 0] - 4 * sigmas[active]))
    high = max(x.max(), np.max(params.means[active, 0] + 4 * sigmas[active]))
    if high <= low:                      # one distinct value and zero-width components
        low, high = low - 0.5, high + 0.5
    grid = np.linspace(low, high, grid_size)
    weighted = _weighted_densities(grid, params)

    for k in np.flatnonzero(active):
        ax.plot(grid, weighted[:, k], color=rgb[k], linewidth=2,
                label=f"component {k}: π = {params.weights[k]:.2f}, "
                      f"μ = {params.means[k, 0]:.2f}, σ = {sigmas[k]:.2f}")
    ax.plot(grid, weighted.sum(axis=1), color="black", linestyle="--", linewidth=1.5,
            label="mixture p(x | θ)")
    heights, _, _ = ax.hist(x, bins=bins, density=True, color="0.85", edgecolor="white",
                            label="data")
    top = max(float(np.max(heights)), float(weighted.sum(axis=1).max()))
    # Clip: rows summing to 1 ± 1e-6 could step just outside the RGB cube.
    ax.scatter(x, np.full_like(x, -0.06 * top), c=np.clip(resp @ rgb, 0.0, 1.0), marker="|",
               s=80, linewidths=1, label="data, coloured by γ")
    ax.set_ylim(-0.12 * top, 1.08 * top)
    ax.axhline(0.0, color="0.5", linewidth=0.5)
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.legend(fontsize="small")
    return ax
