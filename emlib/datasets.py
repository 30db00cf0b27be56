"""Data for the course: the Old Faithful geyser data, and samples from a Gaussian mixture.

``old_faithful`` is the classic two-cluster example for EM (Bishop, *Pattern Recognition and
Machine Learning*, 2006, figure 9.8, uses it standardised: see ``standardize``). ``sample_gmm``
draws data with known parameters and known labels, to check what EM recovers.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from ._validation import as_float_array, check_int, check_random_state
from .gmm import _check_params

__all__ = [
    "old_faithful",
    "standardize",
    "sample_gmm",
]

_OLD_FAITHFUL_HEADER = "eruptions,waiting"
_OLD_FAITHFUL_SHAPE = (272, 2)


def old_faithful(*, standardized: bool = False) -> np.ndarray:
    """The Old Faithful geyser data: 272 eruptions in Yellowstone National Park.

    Returns
    -------
    X : (272, 2) float array, a new copy on every call. Column 0 is the eruption time, column 1
        the waiting time until the next eruption, both in minutes. With ``standardized=True``
        each column is shifted to mean 0 and scaled to standard deviation 1 (``standardize``).

    Source: W. Härdle (1991), *Smoothing Techniques with Implementation in S*, Springer, as
    distributed in R's ``datasets`` package (``faithful``); see also A. Azzalini and
    A. W. Bowman (1990), "A look at some data on the Old Faithful geyser", *Applied Statistics*
    39, 357–365. The file is ``emlib/data/old_faithful.csv``.
    """
    if not isinstance(standardized, bool):
        raise TypeError(f"standardized must be True or False, got {standardized!r}")
    text = resources.files("emlib").joinpath("data", "old_faithful.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    # Guard against an edited or truncated file: the course's numbers depend on exactly this data.
    if lines[0].strip() != _OLD_FAITHFUL_HEADER:
        raise RuntimeError(f"old_faithful.csv should have the header {_OLD_FAITHFUL_HEADER!r}, "
                           f"found {lines[0]!r}")
    X = np.loadtxt(lines[1:], delimiter=",", dtype=np.float64, ndmin=2)
    if X.shape != _OLD_FAITHFUL_SHAPE:
        raise RuntimeError(f"old_faithful.csv should hold {_OLD_FAITHFUL_SHAPE[0]} rows of "
                           f"{_OLD_FAITHFUL_SHAPE[1]} values, found shape {X.shape}")
    return standardize(X) if standardized else X


def standardize(X) -> np.ndarray:
    """Each column shifted to mean 0 and scaled to standard deviation 1: (x − mean) / std.

    Parameters
    ----------
    X : (N, D) data.

    Returns
    -------
    (N, D) array Z with Z[:, d] = (X[:, d] − X[:, d].mean()) / X[:, d].std(), the *population*
    standard deviation (ddof=0), so that every column of Z has mean 0 and ``Z.std(axis=0)`` 1.

    A Gaussian mixture fitted to Z is the one fitted to X in other units: the same weights and
    responsibilities, and a log-likelihood lower by N·Σ_d log std_d (the log-Jacobian).
    """
    X = as_float_array(X, "X", ndim=2)
    mean = X.mean(axis=0)
    centred = X - mean
    std = np.sqrt((centred**2).mean(axis=0))
    # A constant column can come out with a spread at rounding level (~1e-16·|mean|), not 0.
    constant = std <= 1e-12 * np.abs(mean)
    if np.any(constant):
        column = int(np.flatnonzero(constant)[0])
        raise ValueError(f"column {column} of X is constant (standard deviation {std[column]:.3g}),"
                         " so it cannot be standardized")
    return centred / std


def sample_gmm(params, n_samples: int, random_state=None) -> tuple[np.ndarray, np.ndarray]:
    """Draw n_samples points from a Gaussian mixture, with the component each came from.

    For each n: z_n ~ Categorical(π), then x_n ~ N(μ_{z_n}, Σ_{z_n}), drawn as
    x_n = μ_{z_n} + L_{z_n} ε_n with ε_n ~ N(0, I) and Σ_k = L_k L_kᵀ (Cholesky).

    Parameters
    ----------
    params : GaussianMixtureParams with K components in D dimensions.
    n_samples : N >= 1.
    random_state : None, an int seed or a numpy Generator; the same seed gives the same sample.

    Returns
    -------
    X : (N, D) float array, the points.
    labels : (N,) int array, z_n in 0..K−1 (a component with weight 0 never appears).
    """
    params = _check_params(params)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    rng = check_random_state(random_state)
    # params.weights sum to 1 within 1e-8; Generator.choice wants it to rounding.
    weights = params.weights / params.weights.sum()
    labels = rng.choice(params.n_components, size=n_samples, p=weights)
    noise = rng.standard_normal((n_samples, params.n_features))
    chol = np.linalg.cholesky(params.covariances)     # params guarantees positive definite
    X = np.empty((n_samples, params.n_features))
    for k in range(params.n_components):
        members = labels == k
        X[members] = params.means[k] + noise[members] @ chol[k].T
    return X, labels
