"""Input-contract rows for emlib.plotting.missing (notebook 06's widget): the smallest study
mechanism_estimates allows (two repeats of ten rows)."""

from __future__ import annotations

import numpy as np

from emlib import missing
from input_contract import Example


def _check_bars(ax, kw):
    bars = [patch for container in ax.containers for patch in container]
    assert len(bars) == 9                # 3 methods × 3 quantities
    heights = np.array([patch.get_height() for patch in bars])
    assert np.all(np.isfinite(heights)) and np.all(np.abs(heights) <= 8.0)


EXAMPLES = {
    "plotting.missing.plot_mechanism_bias": Example(
        lambda: dict(params=missing.GaussianParams([0.0, 0.0], [[1.0, 0.6], [0.6, 1.0]]),
                     mechanism="MAR", fraction=0.3, n_samples=10, n_repeats=2, random_state=0),
        {"params": "object", "mechanism": "choice", "fraction": "real", "n_samples": "int",
         "n_repeats": "int", "random_state": "seed"}, check=_check_bars),
}
