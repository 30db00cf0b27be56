r"""Entropy, KL divergence and the ELBO for discrete distributions, computed stably.

For a discrete latent variable z with K values, a distribution q(z) and the log joint
:math:`\log p(x, z)` (one number per value of z):

.. math::
    H(q) = -\sum_z q(z) \log q(z), \qquad
    \mathrm{KL}(q \,\|\, p) = \sum_z q(z) \log \frac{q(z)}{p(z)},

.. math::
    \mathcal L(q) = \sum_z q(z) \,[\log p(x, z) - \log q(z)]
                  = \mathbb E_q[\log p(x, z)] + H(q)  \qquad \text{(the ELBO)},

.. math::
    \log p(x) = \operatorname{logsumexp}_z \log p(x, z), \qquad
    p(z \mid x) = \exp(\log p(x, z) - \log p(x)).

They are tied by the identity behind EM (Bishop, *Pattern Recognition and Machine Learning*,
2006, eq. 9.70):

.. math::
    \log p(x) = \mathcal L(q) + \mathrm{KL}(q \,\|\, p(z \mid x)),

so the ELBO is a lower bound on :math:`\log p(x)` (KL ≥ 0), tight exactly when q is the
posterior — which is what the E-step chooses. In code:
``log_evidence(lj) == elbo(lj, q) + kl_divergence(q, posterior(lj))`` to rounding.

Conventions (the limits of the formulas): 0·log 0 = 0, so values with q(z) = 0 contribute
nothing, even where log p(x, z) = -inf; a value with q(z) > 0 but p(z) = 0 makes the KL +inf and
the ELBO -inf.

Every function works on a batch: the distributions lie along ``axis`` (default the last) and
that axis is summed out, so q of shape (N, K) gives N values of shape (N,). A single
distribution gives a float.
"""

from __future__ import annotations

import numpy as np
from scipy.special import entr, logsumexp, rel_entr, softmax

from ._validation import as_float_array, as_log_array, check_distribution, check_int

__all__ = [
    "entropy",
    "kl_divergence",
    "elbo",
    "log_evidence",
    "posterior",
]


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------
def _check_axis(axis, array: np.ndarray, name: str) -> int:
    """``axis`` as a non-negative index into ``array``'s dimensions."""
    if array.ndim == 0:
        raise ValueError(f"{name} must be an array with at least 1 dimension, got a scalar")
    axis = check_int(axis, "axis", minimum=-array.ndim, maximum=array.ndim - 1,
                     maximum_reason=f" ({name} has {array.ndim} dimension(s))")
    return axis % array.ndim


def _check_distributions(p: np.ndarray, name: str, axis: int) -> None:
    """Raise unless every slice of ``p`` along ``axis`` is a probability distribution."""
    if np.any(p < 0):
        check_distribution(p, name)   # raises, with the index of the negative entry as given
    try:
        check_distribution(np.moveaxis(p, axis, -1), name)
    except ValueError as exc:
        if p.ndim == 1:
            raise
        raise ValueError(f"{exc} — the distributions lie along axis {axis} of {name} "
                         "(the argument axis); pass the axis that holds the K values of z") from None


def _as_distributions(value, name: str, axis) -> tuple[np.ndarray, int]:
    """``value`` as a float array whose slices along ``axis`` are probability distributions."""
    p = as_float_array(value, name)
    axis = _check_axis(axis, p, name)
    _check_distributions(p, name, axis)
    return p, axis


def _check_same_shape(a: np.ndarray, a_name: str, b: np.ndarray, b_name: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{a_name} has shape {a.shape} but {b_name} has shape {b.shape}; "
                         "they must match")


# --------------------------------------------------------------------------------------------
# Entropy and KL divergence
# --------------------------------------------------------------------------------------------
def entropy(q, axis: int = -1):
    """Shannon entropy H(q) = -Σ_z q(z) log q(z), in nats, with 0·log 0 = 0.

    Parameters
    ----------
    q : (..., K, ...) probabilities; every slice along ``axis`` sums to 1.
    axis : the axis that holds the K values of z (default the last).

    Returns
    -------
    float for a 1-D q, otherwise an array of q's shape without ``axis``; each value lies in
    [0, log K].
    """
    q, axis = _as_distributions(q, "q", axis)
    # entr(x) = -x log x, and entr(0) = 0 rather than 0·(-inf) = NaN. "+ 0.0" turns the -0.0 that
    # entr(1) gives into 0.0.
    return entr(q).sum(axis=axis) + 0.0


def kl_divergence(q, p, axis: int = -1):
    """Kullback-Leibler divergence KL(q ‖ p) = Σ_z q(z) log(q(z) / p(z)), in nats.

    Parameters
    ----------
    q, p : (..., K, ...) arrays of the same shape; every slice along ``axis`` of each sums to 1.
    axis : the axis that holds the K values of z (default the last).

    Returns
    -------
    float for 1-D inputs, otherwise an array of their shape without ``axis``. Always >= 0 (Gibbs'
    inequality) and 0 when q = p; +inf when q(z) > 0 for some z with p(z) = 0. Terms with
    q(z) = 0 are 0, whatever p(z).

    Not symmetric: KL(q ‖ p) ≠ KL(p ‖ q) in general. When q ≈ p, rounding can make the sum a
    few ulps negative; it is clipped at 0.
    """
    q, axis = _as_distributions(q, "q", axis)
    p = as_float_array(p, "p")
    _check_same_shape(q, "q", p, "p")
    _check_distributions(p, "p", axis)
    # rel_entr(x, y) = x log(x/y), with the limits 0 at x = 0 and +inf at x > 0, y = 0 built in.
    return np.maximum(rel_entr(q, p).sum(axis=axis), 0.0) + 0.0


# --------------------------------------------------------------------------------------------
# Evidence, posterior and the ELBO
# --------------------------------------------------------------------------------------------
def log_evidence(log_joint, axis: int = -1):
    """log p(x) = log Σ_z p(x, z), by log-sum-exp (no overflow or underflow of exp).

    Parameters
    ----------
    log_joint : (..., K, ...) values log p(x, z), finite or -inf (p(x, z) = 0).
    axis : the axis that holds the K values of z (default the last).

    Returns
    -------
    float for a 1-D log_joint, otherwise an array of its shape without ``axis``; -inf where every
    log p(x, z) is -inf.

    For a Gaussian mixture, ``log_joint = emlib.gmm.estimate_log_prob(X, params)`` (N, K) gives
    log p(x_n | θ) for every sample.
    """
    log_joint = as_log_array(log_joint, "log_joint")
    axis = _check_axis(axis, log_joint, "log_joint")
    return _log_evidence(log_joint, axis)


def _log_evidence(log_joint, axis):
    with np.errstate(divide="ignore"):          # log 0 = -inf when a whole slice is -inf
        return logsumexp(log_joint, axis=axis)


def posterior(log_joint, axis: int = -1) -> np.ndarray:
    """The posterior p(z | x) = p(x, z) / p(x) = exp(log p(x, z) − log p(x)) (a softmax).

    Parameters
    ----------
    log_joint : (..., K, ...) values log p(x, z), finite or -inf.
    axis : the axis that holds the K values of z (default the last).

    Returns
    -------
    Array of log_joint's shape; every slice along ``axis`` sums to 1 and is 0 where log_joint is
    -inf. For a Gaussian mixture these are the responsibilities γ_nk of the E-step.

    Raises ValueError when a slice is -inf for every z: then p(x) = 0 and p(z | x) is undefined.
    Where log p(z | x) < -745 the probability underflows to 0.
    """
    log_joint = as_log_array(log_joint, "log_joint")
    axis = _check_axis(axis, log_joint, "log_joint")
    log_norm = _log_evidence(log_joint, axis)
    if np.any(np.isneginf(log_norm)):
        where = [int(i) for i in np.argwhere(np.isneginf(np.atleast_1d(log_norm)))[0]]
        slice_name = (f" at {where} (indexing all axes but axis {axis})"
                      if log_joint.ndim > 1 else "")
        raise ValueError(f"log_joint is -inf for every z{slice_name}: p(x) = 0, so the posterior "
                         "p(z | x) = p(x, z) / p(x) is undefined")
    # softmax shifts by the max, which is exact, before exp; exp(log_joint − log p(x)) would lose
    # ~|log p(x)|·eps in the subtraction.
    return softmax(log_joint, axis=axis)


def elbo(log_joint, q, axis: int = -1):
    """Evidence lower bound L(q) = Σ_z q(z) [log p(x, z) − log q(z)] for a discrete latent z.

    Parameters
    ----------
    log_joint : (..., K, ...) values log p(x, z), finite or -inf.
    q : array of the same shape, a distribution over z along ``axis``.
    axis : the axis that holds the K values of z (default the last). E.g. for a mixture,
        log_joint and q of shape (N, K) (``estimate_log_prob`` and responsibilities) give the
        (N,) per-sample bounds; their sum bounds the total log-likelihood.

    Returns
    -------
    float for 1-D inputs, otherwise an array of their shape without ``axis``.

    Terms with q(z) = 0 are 0 even where log p(x, z) = -inf; if q(z) > 0 where log p(x, z) = -inf,
    the ELBO is -inf. ``elbo <= log_evidence(log_joint)`` (to rounding), with equality exactly when
    q = posterior(log_joint); the gap is KL(q ‖ p(z | x)):

        log_evidence(log_joint) = elbo(log_joint, q) + kl_divergence(q, posterior(log_joint)),

    whenever q(z) = 0 wherever p(x, z) = 0 (otherwise the ELBO is -inf and the KL +inf).
    """
    log_joint = as_log_array(log_joint, "log_joint")
    q = as_float_array(q, "q")
    _check_same_shape(log_joint, "log_joint", q, "q")
    axis = _check_axis(axis, q, "q")
    _check_distributions(q, "q", axis)
    # Mask log p(x, z) where q(z) = 0 so that 0·(-inf) never makes a NaN.
    expected_log_joint = (q * np.where(q > 0, log_joint, 0.0)).sum(axis=axis)   # E_q[log p(x, z)]
    return expected_log_joint + entr(q).sum(axis=axis)                          # + H(q)
