"""What every plotting module of emlib shares: the Axes to draw into and the component colours.

Every plotting function of ``emlib.plotting`` takes its data first, then keyword options, draws
into ``ax`` (the current Axes, ``plt.gca()``, when it is None), returns that Axes and never calls
``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb


def get_ax(ax) -> Axes:
    """``ax`` itself, or the current Axes when it is None; a TypeError for anything else."""
    if ax is None:
        return plt.gca()
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def component_colors(colors, n_components: int) -> np.ndarray:
    """(K, 3) RGB colours: the given ones, or the property cycle's "C0", "C1", …."""
    if colors is None:
        colors = [f"C{k}" for k in range(n_components)]
    elif isinstance(colors, (str, bytes)) or not hasattr(colors, "__len__"):
        raise TypeError("colors must be a sequence with one colour per component, got "
                        f"{type(colors).__name__}")
    if len(colors) != n_components:
        raise ValueError(f"colors has {len(colors)} entries but the mixture has {n_components} "
                         "components")
    try:
        return np.array([to_rgb(c) for c in colors])
    except ValueError as exc:
        raise ValueError(f"colors must be matplotlib colours ({exc})") from None


# matplotlib's autoscaling adds a margin of 5% of the data range on either side; values beyond
# this (about max float / 10) overflow it, several frames inside matplotlib.
PLOT_LIMIT = 1e307


def check_plottable(values: np.ndarray, name: str) -> np.ndarray:
    """``values`` unchanged if matplotlib can place every one of them on an axis; a ValueError
    naming ``name`` for a value so large that the axis limits would overflow float64."""
    values = np.asarray(values)
    if values.size and not np.abs(values).max() <= PLOT_LIMIT:
        where = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(values)), values.shape))
        label = f"{name}{list(where)}" if where else name
        raise ValueError(f"{label} = {values[where]:.3g} is too large to plot: "
                         f"matplotlib's axis limits overflow float64 beyond ±{PLOT_LIMIT:.0e}; "
                         "rescale the data")
    return values
