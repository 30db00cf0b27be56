"""The picture behind notebook 05's slider: Jaynes' maximum-entropy die for a given mean."""

from __future__ import annotations

import numpy as np

from ..maxent import dice_max_entropy
from ._common import get_ax

__all__ = ["plot_dice_max_entropy"]


def plot_dice_max_entropy(mean=4.5, ax=None, n_faces: int = 6):
    """Bar chart of the maximum-entropy die with the given mean (the function behind notebook
    05's slider).

    Parameters
    ----------
    mean : target average, strictly between 1 and n_faces.
    ax : the Axes to draw into; None for the current one.
    n_faces : number of faces, >= 2.

    Returns
    -------
    The Axes, holding n_faces bars (``ax.patches``) of heights p_s (from ``dice_max_entropy``),
    then two lines (``ax.lines``): the uniform distribution 1/n_faces (dashed) and the target
    mean (dotted, vertical). The title gives the mean, λ and H[p] against log n_faces, the
    entropy of the fair die; the y axis runs from 0 to 1 so that pictures for different means
    compare.
    """
    result = dice_max_entropy(mean, n_faces)
    ax = get_ax(ax)
    faces = np.arange(1, n_faces + 1)
    ax.bar(faces, result.p, color="C0", label=r"max-entropy $p_s \propto e^{\lambda s}$")
    ax.axhline(1.0 / n_faces, color="0.4", linestyle="--", linewidth=1.2,
               label=f"uniform (mean {(n_faces + 1) / 2:g})")
    ax.axvline(float(mean), color="C3", linestyle=":", linewidth=1.5, label="target mean")
    ax.set_xticks(faces)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("face s")
    ax.set_ylabel("probability $p_s$")
    ax.set_title(f"mean {float(mean):.2f}: λ = {result.natural_params[0]:.3f}, "
                 f"H = {result.entropy:.3f} nats (fair: {np.log(n_faces):.3f})")
    ax.legend(loc="upper center", fontsize="small")  # the tall bars are at the ends
    return ax
