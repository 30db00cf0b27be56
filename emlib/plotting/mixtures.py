r"""Pictures of a Gaussian mixture fit: data, covariance ellipses, and the log-likelihood curve.

The ellipse of component k at ``n_std`` standard deviations is the contour

.. math::
    (x - \mu_k)^\top \Sigma_k^{-1} (x - \mu_k) = n_{\text{std}}^2 .

With the eigen-decomposition :math:`\Sigma_k = V \Lambda V^\top`,
:math:`\Lambda = \operatorname{diag}(\lambda_1, \lambda_2)`, :math:`\lambda_1 \ge \lambda_2`, its
semi-axes are :math:`n_{\text{std}}\sqrt{\lambda_i}` along the eigenvectors :math:`v_i`; the major
axis points at the angle of :math:`v_1`.

Every function draws into ``ax`` (the current Axes, ``plt.gca()``, when it is None), returns that
Axes and never calls ``plt.show()``.
"""

from __future__ import annotations

import numbers

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse
from matplotlib.ticker import MaxNLocator

from .._validation import (as_float_array, check_allocation, check_bool, check_data_matrix,
                           check_instance, check_int, check_mixture_log_joint, check_n_features,
                           check_real, check_resp)
from ..gmm import GaussianMixtureParams, e_step, estimate_log_prob, log_likelihood
# The raw log joint (no input checks, -inf where a distance overflows), for the density grid.
from ..gmm import _weighted_log_prob
from ._common import check_plottable, component_colors, get_ax


def _check_params(params) -> GaussianMixtureParams:
    return check_instance(params, GaussianMixtureParams, "params")


def _check_X_params(X, params):
    params = _check_params(params)
    return check_n_features(check_data_matrix(X), params.n_features), params

__all__ = [
    "plot_covariance_ellipses",
    "plot_gmm",
    "plot_mixture_1d",
    "plot_log_likelihood",
    "plot_em_iteration",
]


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------
def _check_dims(dims, n_features: int) -> tuple[int, int]:
    """The two features to draw: ``dims`` or, in 2-D, (0, 1)."""
    if dims is None:
        if n_features != 2:
            raise ValueError(f"the mixture has {n_features} features, not 2: pass dims=(i, j) to "
                             "choose the two to draw")
        return 0, 1
    if isinstance(dims, (str, bytes)) or np.ndim(dims) != 1 or len(dims) != 2:
        raise TypeError(f"dims must be a pair of feature indices (i, j), got {dims!r}")
    i, j = (check_int(d, "dims", minimum=0, maximum=n_features - 1,
                      maximum_reason=f" (there are {n_features} features)") for d in dims)
    if i == j:
        raise ValueError(f"dims must be two different features, got ({i}, {j})")
    return i, j


def _check_n_std(n_std) -> list[float]:
    values = [n_std] if np.ndim(n_std) == 0 else list(np.ravel(n_std))
    if not values:
        raise ValueError("n_std is empty; give a number or a sequence of numbers, e.g. (1, 2)")
    return [check_real(v, "n_std", minimum=0.0, inclusive=False) for v in values]


def _check_ellipse_style(kwargs) -> dict:
    """The ``**kwargs`` of plot_covariance_ellipses, each tried on its own on a throw-away
    ``Ellipse``, so that a bad one is an error naming it before anything is drawn (and not an
    AttributeError five frames deep in matplotlib). A boolean is accepted only for a boolean
    property (fill, visible, …) and text not for a number: linewidth=True or "2" is a mistake,
    not 1.0 or 2.0."""
    for key, value in kwargs.items():
        if key in ("xy", "width", "height", "angle"):
            raise TypeError(f"{key} cannot be passed to plot_covariance_ellipses: each ellipse's "
                            "centre, axes and angle come from its component's mean and covariance")
        try:
            probe = Ellipse((0.0, 0.0), 1.0, 1.0, **{key: value})
        except AttributeError as exc:                 # not a property of Ellipse
            raise TypeError(f"plot_covariance_ellipses got an unexpected keyword argument "
                            f"{key!r}: it is passed to matplotlib.patches.Ellipse, which says: "
                            f"{exc}") from None
        except (TypeError, ValueError) as exc:        # a property, but not that value
            raise type(exc)(f"{key}={value!r} is not a valid value for "
                            f"matplotlib.patches.Ellipse: {exc}") from None
        if isinstance(value, (bool, np.bool_, str)) and hasattr(probe, f"get_{key}"):
            default = getattr(Ellipse((0.0, 0.0), 1.0, 1.0), f"get_{key}")()
            number = isinstance(default, numbers.Real) and not isinstance(default, bool)
            if (isinstance(value, (bool, np.bool_)) and not isinstance(default, bool)) or (
                    isinstance(value, str) and number):
                raise TypeError(f"{key} must be a {type(default).__name__} like its default "
                                f"{default!r}, not {type(value).__name__} ({key}={value!r})")
    return dict(kwargs)


def _responsibilities(X, params, resp) -> np.ndarray:
    """The given (N, K) responsibilities, checked, or those of ``emlib.gmm.e_step`` (after
    checking that the mixture can be evaluated at every point of X in float64)."""
    if resp is None:
        check_mixture_log_joint(estimate_log_prob, X, params)
        return e_step(X, params)[0]
    return check_resp(resp, X.shape[0], params.n_components)


# --------------------------------------------------------------------------------------------
# Ellipses
# --------------------------------------------------------------------------------------------
def _ellipse_geometry(covariance, n_std):
    """(width, height, angle) of ``Ellipse`` for the n_std contour of a 2×2 covariance: the full
    axes 2·n_std·√λ₁ ≥ 2·n_std·√λ₂, and the major axis's anticlockwise angle in degrees, in
    [0, 180)."""
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)         # ascending: λ₂ ≤ λ₁
    major = eigenvectors[:, 1]
    # An eigenvector's sign is arbitrary; the axis direction is only defined modulo 180°.
    angle = float(np.degrees(np.arctan2(major[1], major[0])) % 180.0)
    with np.errstate(over="ignore"):
        width, height = 2.0 * n_std * np.sqrt(eigenvalues[::-1])
    if not (np.isfinite(width) and np.isfinite(height)):
        raise ValueError(f"n_std = {n_std:g} standard deviations of {np.sqrt(eigenvalues[1]):.3g} "
                         "give an ellipse wider than the largest float; use a smaller n_std")
    return float(width), float(height), angle


def plot_covariance_ellipses(params, ax=None, n_std=(1, 2), colors=None, *, dims=None, **kwargs):
    """Draw each component's covariance ellipses, centred at its mean.

    Parameters
    ----------
    params : GaussianMixtureParams with K components in D dimensions.
    ax : the Axes to draw into; None for the current one.
    n_std : a radius or a sequence of radii, in standard deviations (Mahalanobis distance); one
        ellipse per radius and component.
    colors : K matplotlib colours, one per component; default the property cycle "C0", "C1", ….
    dims : (i, j), the two features to draw when D != 2: the ellipse of the marginal over
        (x_i, x_j), i.e. of the 2×2 block Σ_k[[i, j]][:, [i, j]]. Default (0, 1), only for D = 2.
    **kwargs : passed to ``matplotlib.patches.Ellipse`` (e.g. linewidth, linestyle, alpha).

    Returns
    -------
    The Axes. A component with weight 0 (empty, see ``emlib.gmm.m_step``) has no data and is not
    drawn; the others add len(n_std) patches each.
    """
    params = _check_params(params)
    radii = _check_n_std(n_std)
    i, j = _check_dims(dims, params.n_features)
    rgb = component_colors(colors, params.n_components)
    kwargs = _check_ellipse_style(kwargs)
    ax = get_ax(ax)
    block = np.ix_([i, j], [i, j])
    for k in range(params.n_components):
        if params.weights[k] == 0:
            continue
        covariance = params.covariances[k][block]
        for radius in radii:
            width, height, angle = _ellipse_geometry(covariance, radius)
            style = {"fill": False, "edgecolor": rgb[k], "linewidth": 1.5} | kwargs
            ax.add_patch(Ellipse(params.means[k, [i, j]], width, height, angle=angle, **style))
    ax.autoscale_view()    # add_patch grows the data limits but does not rescale the view
    return ax


# --------------------------------------------------------------------------------------------
# Data coloured by responsibility
# --------------------------------------------------------------------------------------------
def plot_gmm(X, params, resp=None, ax=None, *, colors=None, n_std=(1, 2), dims=None,
             xlabel: str | None = None, ylabel: str | None = None, legend: bool = True,
             s: float = 12.0):
    """Scatter the data coloured by responsibility, with the means and covariance ellipses.

    Parameters
    ----------
    X : (N, D) data.
    params : GaussianMixtureParams with K components in D dimensions.
    resp : (N, K) responsibilities γ_nk (rows summing to 1); None computes them with
        ``emlib.gmm.e_step(X, params)``.
    ax : the Axes to draw into; None for the current one.
    colors : K matplotlib colours, one per component; default "C0", "C1", ….
    n_std : radii of the covariance ellipses (see ``plot_covariance_ellipses``); () for none.
    dims : (i, j), the two features to draw; default (0, 1), only for D = 2.
    xlabel, ylabel : axis labels; default "feature i" and "feature j".
    legend : whether to add a legend of the components (their means, labelled with π_k).
    s : marker area of the data points.

    Returns
    -------
    The Axes. Point n is drawn in the colour Σ_k γ_nk c_k, the responsibility-weighted mix of
    the component colours c_k (for K = 2, a blend from one colour to the other), so points the
    model is unsure about show in between. Means are marked with a cross.
    """
    X, params = _check_X_params(X, params)
    check_plottable(X, "X")
    i, j = _check_dims(dims, params.n_features)
    rgb = component_colors(colors, params.n_components)
    radii = [] if np.size(n_std) == 0 else _check_n_std(n_std)
    resp = _responsibilities(X, params, resp)
    if xlabel is not None and not isinstance(xlabel, str):
        raise TypeError(f"xlabel must be a string or None, got {type(xlabel).__name__}")
    if ylabel is not None and not isinstance(ylabel, str):
        raise TypeError(f"ylabel must be a string or None, got {type(ylabel).__name__}")
    legend = check_bool(legend, "legend")
    s = check_real(s, "s", minimum=0.0)
    ax = get_ax(ax)

    # Clip: rows summing to 1 ± 1e-6 could step just outside the RGB cube.
    point_colors = np.clip(resp @ rgb, 0.0, 1.0)
    ax.scatter(X[:, i], X[:, j], c=point_colors, s=s, linewidths=0)
    for k in range(params.n_components):
        if params.weights[k] == 0:
            continue
        ax.scatter(params.means[k, i], params.means[k, j], marker="X", s=120, color=rgb[k],
                   edgecolors="black", linewidths=1.0, zorder=3,
                   label=f"component {k} ($\\pi_{{{k}}}$ = {params.weights[k]:.3f})")
    if radii:
        plot_covariance_ellipses(params, ax=ax, n_std=radii, colors=list(rgb), dims=(i, j))
    ax.set_xlabel(f"feature {i}" if xlabel is None else xlabel)
    ax.set_ylabel(f"feature {j}" if ylabel is None else ylabel)
    if legend:
        ax.legend()
    return ax


# --------------------------------------------------------------------------------------------
# One dimension: densities, histogram and responsibilities on one axis
# --------------------------------------------------------------------------------------------
def _check_X_1d(X) -> np.ndarray:
    """X as an (N, 1) array; (N,) is accepted too."""
    X = as_float_array(X, "X")
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != 1:
        raise ValueError(f"X must have shape (n_samples, 1) or (n_samples,) for a 1-D mixture, "
                         f"got shape {X.shape}")
    return X


def plot_mixture_1d(X, params, ax=None, *, resp=None, bins=30, colors=None, grid_size=400):
    """Histogram of 1-D data with the weighted component densities, the mixture density and a
    rug of the points coloured by responsibility.

    In one dimension every part of a mixture fits on one axis. Since
    γ_nk = π_k N(x_n | μ_k, σ_k²) / p(x_n | θ), the responsibility of component k at x is the
    height of its weighted curve divided by the height of the mixture curve there.

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
    params = _check_params(params)
    if params.n_features != 1:
        raise ValueError(f"params has {params.n_features} features; plot_mixture_1d draws a 1-D "
                         "mixture (for 2-D data use plot_gmm)")
    X = check_plottable(_check_X_1d(X), "X")
    bins = check_int(bins, "bins", minimum=1)
    check_allocation(bins, "bins", f"a histogram of {bins} bins")
    grid_size = check_int(grid_size, "grid_size", minimum=2)
    check_allocation(3 * grid_size * params.n_components, "grid_size",
                     f"the densities of {params.n_components} components at {grid_size} points")
    rgb = component_colors(colors, params.n_components)
    resp = _responsibilities(X, params, resp)
    ax = get_ax(ax)

    x = X[:, 0]
    active = params.weights > 0
    sigmas = np.sqrt(params.covariances[:, 0, 0])
    low = min(x.min(), np.min(params.means[active, 0] - 4 * sigmas[active]))
    high = max(x.max(), np.max(params.means[active, 0] + 4 * sigmas[active]))
    if high <= low:                      # one distinct value and zero-width components
        low, high = low - 0.5, high + 0.5
    grid = np.linspace(low, high, grid_size)
    # log 0 for an empty component; a grid point ~1e308 from a component overflows (density 0)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        weighted = np.exp(_weighted_log_prob(grid[:, None], params))   # π_k N(x | μ_k, σ_k²)
    weighted = np.where(np.isfinite(weighted), weighted, 0.0)

    for k in np.flatnonzero(active):
        ax.plot(grid, weighted[:, k], color=rgb[k], linewidth=2,
                label=f"component {k}: $\\pi_{{{k}}}$ = {params.weights[k]:.2f}, "
                      f"$\\mu_{{{k}}}$ = {params.means[k, 0]:.2f}, "
                      f"$\\sigma_{{{k}}}$ = {sigmas[k]:.2f}")
    ax.plot(grid, weighted.sum(axis=1), color="black", linestyle="--", linewidth=1.5,
            label=r"mixture $p(x \mid \theta)$")
    # Data whose spread the bins cannot resolve (one distinct value, or 1e16 ± 1 in 30 bins)
    # get a range wide enough that every bin edge is a different float.
    resolution = 1e3 * bins * np.spacing(np.abs(x).max())
    span = None
    if x.max() - x.min() < resolution:
        half = max(0.5, resolution)
        span = (x.mean() - half, x.mean() + half)
    heights, _, _ = ax.hist(x, bins=bins, range=span, density=True, color="0.85",
                            edgecolor="white", label="data")
    top = max(float(np.max(heights)), float(weighted.sum(axis=1).max()))
    # Clip: rows summing to 1 ± 1e-6 could step just outside the RGB cube.
    ax.scatter(x, np.full_like(x, -0.06 * top), c=np.clip(resp @ rgb, 0.0, 1.0), marker="|",
               s=80, linewidths=1, label=r"data, coloured by $\gamma$")
    ax.set_ylim(-0.12 * top, 1.08 * top)
    ax.axhline(0.0, color="0.5", linewidth=0.5)
    ax.set_xlabel("$x$")
    ax.set_ylabel("density")
    ax.legend(fontsize="small")
    return ax


# --------------------------------------------------------------------------------------------
# Convergence
# --------------------------------------------------------------------------------------------
def plot_log_likelihood(log_likelihoods, ax=None, label: str | None = None):
    """Plot the total log-likelihood log p(X | θ^(t)) against the EM iteration t = 0, 1, …, T.

    Parameters
    ----------
    log_likelihoods : (T + 1,) values, e.g. ``emlib.gmm.fit(...).log_likelihoods``.
    ax : the Axes to draw into; None for the current one.
    label : legend label for this curve (then a legend is added), e.g. to compare several runs
        on one Axes.

    Returns
    -------
    The Axes, with x from 0 to T on integer ticks and labelled axes. EM never lowers the
    log-likelihood, so the curve should never go down.
    """
    log_likelihoods = as_float_array(log_likelihoods, "log_likelihoods", ndim=1)
    if label is not None and not isinstance(label, str):
        raise TypeError(f"label must be a string or None, got {type(label).__name__}")
    ax = get_ax(ax)
    iterations = np.arange(log_likelihoods.size)
    ax.plot(iterations, log_likelihoods, marker="o", markersize=3, label=label)
    ax.set_xlabel("iteration $t$")
    ax.set_ylabel(r"log-likelihood $\log p(X \mid \theta)$")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if label is not None:
        ax.legend()
    return ax


# --------------------------------------------------------------------------------------------
# One iteration of an EM run (behind the iteration slider)
# --------------------------------------------------------------------------------------------
def _check_history(history) -> list:
    """A non-empty sequence of GaussianMixtureParams, all with the same K and D."""
    if isinstance(history, (str, bytes)) or not hasattr(history, "__len__"):
        raise TypeError("history must be a sequence of GaussianMixtureParams (θ⁰, θ¹, …), got "
                        f"{type(history).__name__}")
    history = list(history)
    if not history:
        raise ValueError("history is empty; record at least θ⁰, e.g. with emlib.gmm.fit's callback")
    for t, params in enumerate(history):
        try:
            _check_params(params)
        except TypeError as exc:
            raise TypeError(f"history[{t}]: {exc}") from None
        if (params.n_components, params.n_features) != (history[0].n_components,
                                                        history[0].n_features):
            raise ValueError(f"history[{t}] has {params.n_components} components in "
                             f"{params.n_features} dimensions but history[0] has "
                             f"{history[0].n_components} in {history[0].n_features}; all "
                             "iterates of one EM run must have the same shape")
    return history


def plot_em_iteration(X, history, t: int, axes=None, *, colors=None, n_std=(1, 2), dims=None,
                      xlabel: str | None = None, ylabel: str | None = None):
    """Iteration t of an EM run: the fit θ^(t) on the data, and the log-likelihood curve with t
    marked.

    Parameters
    ----------
    X : (N, D) data.
    history : sequence of T + 1 GaussianMixtureParams θ^(0), …, θ^(T), all with K components in
        D dimensions, e.g. recorded with ``emlib.gmm.fit(..., callback=...)``.
    t : the iteration to show, 0 <= t <= T.
    axes : a pair (ax_fit, ax_curve) of Axes to draw into; None makes a new figure with the two
        side by side (and lays it out with ``tight_layout``).
    colors, n_std, dims, xlabel, ylabel : as in ``plot_gmm``.

    Returns
    -------
    (ax_fit, ax_curve). ax_fit is ``plot_gmm(X, history[t])``: the points coloured by the
    responsibilities γ_nk under θ^(t) (the E-step that starts iteration t + 1), the means and
    covariance ellipses, titled with t and log p(X | θ^(t)). ax_curve is ``plot_log_likelihood``
    of log p(X | θ^(s)) for s = 0, …, T, each computed from X and history, with a red dot at
    s = t. A pure function of its inputs: behind a slider, each position redraws from scratch.
    """
    history = _check_history(history)
    t = check_int(t, "t", minimum=0, maximum=len(history) - 1,
                  maximum_reason=f" (history holds iterations 0 to {len(history) - 1})")
    new_figure = axes is None
    if not new_figure:
        if isinstance(axes, (str, bytes)) or not hasattr(axes, "__len__") or len(axes) != 2:
            raise TypeError("axes must be a pair of matplotlib Axes (ax_fit, ax_curve) or None, "
                            f"got {axes!r}")
        if any(ax is None for ax in axes):
            raise TypeError("axes must be a pair of matplotlib Axes, not None")
        ax_fit, ax_curve = (get_ax(ax) for ax in axes)
    # Checks X against the mixtures before anything is drawn.
    for index, params in enumerate(history):
        check_mixture_log_joint(estimate_log_prob, X, params, "X", f"history[{index}]")
    log_likelihoods = np.array([log_likelihood(X, params) for params in history])
    if new_figure:
        _, (ax_fit, ax_curve) = plt.subplots(1, 2, figsize=(11, 4.2))

    plot_gmm(X, history[t], ax=ax_fit, colors=colors, n_std=n_std, dims=dims, xlabel=xlabel,
             ylabel=ylabel)
    ax_fit.set_title(f"iteration $t$ = {t}: log-likelihood {log_likelihoods[t]:.2f}")
    plot_log_likelihood(log_likelihoods, ax=ax_curve)
    ax_curve.plot(t, log_likelihoods[t], "o", color="red", markersize=9, zorder=3,
                  label=f"$t$ = {t}")
    ax_curve.set_title("log-likelihood of every iterate")
    ax_curve.legend(loc="lower right")
    if new_figure:
        ax_fit.figure.tight_layout()
    return ax_fit, ax_curve
