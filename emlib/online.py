r"""EM at scale on the driver :mod:`emlib.em`: incremental and stepwise (online) EM for a Gaussian
mixture, and a ``partial_fit`` for streams.

Both use only the statistics seam of :mod:`emlib.gmm`: the expected sufficient statistics
:math:`s = (N_k, s_k, T_k)` of a block of rows are sums over its rows
(:class:`~emlib.gmm.GaussianMixtureStatistics`), so the statistics of the whole data are the sum of
the blocks', and the M-step (:func:`~emlib.gmm.params_from_statistics`) needs nothing else. Every
block's model is a :class:`~emlib.gmm.GaussianMixtureModel` with one shared ``reference`` and
``recentre=False``, so that its statistics always add.

**Incremental EM** (Neal & Hinton, 1998). Split the N rows into B blocks. EM is coordinate ascent
on :math:`\mathcal L(q, \theta) = \sum_b \mathcal L_b(q_b, \theta)`; an E-step on *one* block,
:math:`q_b \leftarrow p(Z_b \mid X_b, \theta)`, already raises it, and so does the M-step from

.. math::
    s = \sum_{b'} s_{b'}, \qquad s_b \leftarrow s_b^{\text{new}}
    \quad(\text{i.e. } s \leftarrow s - s_b^{\text{old}} + s_b^{\text{new}}).

One driver iteration is one such partial step, 1/B of a pass over the data; iteration 0 is a full
E-step (every block at θ^(0)). The objective it reports is :math:`\mathcal L(q, \theta^{(t)})`
after the partial E-step: the refreshed block's log-likelihood plus, for every other block,
:math:`Q(\theta^{(t)}; s_{b'}) + \mathrm H[q_{b'}]` — the bound with the block's older
posterior — which never decreases (with ``reg_covar=0``). The iterate the driver carries is
:class:`IncrementalState`: θ *and* the per-block statistics, since :math:`\mathcal L` depends on
both. With B = 1 it is batch EM exactly.

**Stepwise EM** (Sato & Ishii, 2000; Cappé & Moulines, 2009; Liang & Klein, 2009). Take
mini-batches of m rows in order (cycling through the data) and blend

.. math::
    s \leftarrow (1 - \eta_t)\, s + \eta_t \, \tfrac{N}{m}\, \hat s(\text{mini-batch}_t),
    \qquad \eta_t = (t + 2)^{-\alpha}, \quad \tfrac12 < \alpha \le 1,

then M-step. :math:`\sum_t \eta_t = \infty` and :math:`\sum_t \eta_t^2 < \infty` (Robbins–Monro)
hold exactly for :math:`\alpha \in (\tfrac12, 1]`. ``alpha=0`` (:math:`\eta_t = 1`, the statistics
replaced by each mini-batch's) is allowed for the check that with the full batch it is batch EM
exactly. The objective reported is :math:`\tfrac Nm \log p(\text{mini-batch}_t \mid \theta^{(t)})`,
an unbiased but noisy estimate of :math:`\log p(X \mid \theta^{(t)})` — it is not monotone
(``objective_name`` says so unless the mini-batch is all of X). ``GaussianMixtureStream`` does
the same updates one mini-batch at a time, as they arrive (``partial_fit``).

Rows are visited in the order given: shuffle X first if it is sorted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
from scipy.special import xlogy

from . import gmm
from ._validation import (as_float_array, check_data_matrix, check_instance, check_int,
                          check_n_features, check_random_state, check_real, check_squares_fit)
from .em import EMResult, check_em_arguments, run

__all__ = [
    "IncrementalState",
    "StepwiseState",
    "OnlineResult",
    "IncrementalModel",
    "StepwiseModel",
    "GaussianMixtureStream",
    "step_size",
    "expected_complete_log_likelihood",
    "fit_incremental",
    "fit_stepwise",
]

_LOG_2PI = np.log(2.0 * np.pi)
# A stream's reference may lie at most 10⁴ standard deviations from init's components.
_REFERENCE_LOSS_MAX = 1e8


# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------
def _check_alpha(alpha) -> float:
    alpha = check_real(alpha, "alpha", minimum=0.0)
    if alpha != 0.0 and not 0.5 < alpha <= 1.0:
        raise ValueError(f"alpha must lie in (0.5, 1] (Robbins–Monro: the steps must sum to "
                         f"infinity and their squares must not), or be 0 for η_t = 1; got {alpha}")
    return alpha


def step_size(t, alpha) -> float:
    r"""Stepwise EM's step :math:`\eta_t = (t + 2)^{-\alpha}` for step t >= 0 (0-based).

    alpha in (0.5, 1], or 0 (then η_t = 1 for every t). Returns a float in (0, 1].
    """
    t = check_int(t, "t", minimum=0)
    alpha = _check_alpha(alpha)
    return _step_size(t, alpha)


def _step_size(t: int, alpha: float) -> float:
    return 1.0 if alpha == 0.0 else float((t + 2.0) ** -alpha)


def _q(statistics, params) -> float:
    """Q(θ; s) = Σ_k [N_k log π_k + N_k log N(μ_k…)…] without the input checks (see
    ``expected_complete_log_likelihood``)."""
    about = statistics.about(params.means)                          # T'_k about μ_k
    counts = np.where(statistics.counts < gmm._EMPTY, 0.0, statistics.counts)  # gmm.py: "empty"
    U = params.precisions_cholesky
    log_det_half = np.log(np.diagonal(U, axis1=1, axis2=2)).sum(axis=1)   # ½ log|Λ_k|
    precisions = U @ U.transpose(0, 2, 1)
    trace = np.einsum("kij,kij->k", precisions, about.outer)        # tr(Λ_k T'_k)
    per_component = (xlogy(counts, params.weights)
                     + counts * (log_det_half - 0.5 * params.n_features * _LOG_2PI) - 0.5 * trace)
    return float(per_component.sum())


def expected_complete_log_likelihood(statistics, params) -> float:
    r"""Q(θ; s) = E_q[log p(X, Z | θ)] from the statistics s of q alone.

    .. math::
        Q = \sum_k \Big[N_k \log \pi_k - \tfrac{N_k}{2}\big(D \log 2\pi - \log|\Lambda_k|\big)
            - \tfrac12 \operatorname{tr}\big(\Lambda_k T'_k\big)\Big],
        \qquad T'_k = \sum_n \gamma_{nk}(x_n - \mu_k)(x_n - \mu_k)^\top

    (T'_k from T_k by ``statistics.about(means)``). Linear in s, so the Q of a union of blocks is
    the sum of theirs. Parameters: statistics (GaussianMixtureStatistics, K components in D
    dimensions), params (GaussianMixtureParams, the same K and D). Returns a float.
    """
    statistics = check_instance(statistics, gmm.GaussianMixtureStatistics, "statistics")
    params = check_instance(params, gmm.GaussianMixtureParams, "params")
    if (params.n_components, params.n_features) != (statistics.n_components,
                                                    statistics.n_features):
        raise ValueError(f"params has {params.n_components} components in {params.n_features} "
                         f"dimensions but statistics has {statistics.n_components} in "
                         f"{statistics.n_features}")
    with np.errstate(over="ignore", invalid="ignore"):
        value = _q(statistics, params)
    if not np.isfinite(value):
        raise ValueError("statistics and params give a Q that is not finite in float64 "
                         "(statistics far from params' means); rescale the data")
    return value


def _check_data(X):
    X = check_data_matrix(X)
    check_squares_fit(X)
    return X


def _check_reference(reference, X):
    if reference is None:
        return X.mean(axis=0)
    reference = as_float_array(reference, "reference", ndim=1, copy=True)
    if reference.shape != (X.shape[1],):
        raise ValueError(f"reference has shape {reference.shape} but X has {X.shape[1]} "
                         f"features; it must be ({X.shape[1]},)")
    check_squares_fit(X, centre=reference, centre_name="reference")
    return reference


def _check_regularisation(reg_covar, n_features):
    if reg_covar is None:
        return gmm._DEFAULT_REG_COVAR
    return check_real(reg_covar, "reg_covar", minimum=0.0)


def _start(X, n_components, init, reg_covar, rng):
    """θ^(0) as ``gmm.fit`` makes it: k-means++, random, or given."""
    if isinstance(init, gmm.GaussianMixtureParams):
        if init.n_components != n_components or init.n_features != X.shape[1]:
            raise ValueError(f"init has {init.n_components} components in {init.n_features} "
                             f"dimensions, but n_components={n_components} and X has "
                             f"{X.shape[1]} features")
        return init
    if isinstance(init, str):
        if init not in ("kmeans++", "random"):
            raise ValueError(f'init must be "kmeans++", "random" or a GaussianMixtureParams, '
                             f"got {init!r}")
        return gmm.init_params(X, n_components, method=init, reg_covar=reg_covar,
                               random_state=rng)
    raise TypeError('init must be "kmeans++", "random" or a GaussianMixtureParams, '
                    f"got {type(init).__name__}")


@dataclass(frozen=True, eq=False)
class OnlineResult(EMResult):
    """What ``fit_incremental`` and ``fit_stepwise`` return: an ``emlib.em.EMResult`` whose
    ``params`` is the final state (``IncrementalState`` or ``StepwiseState``), plus

    mixture : the final GaussianMixtureParams (``params.params``).
    passes : (n_iter + 1,) the passes over the data done by the E-steps up to and including the
        one at iterate t (rows visited / N): the x-axis on which to compare the algorithms.
    """

    mixture: gmm.GaussianMixtureParams
    passes: np.ndarray


# --------------------------------------------------------------------------------------------
# Incremental EM
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class IncrementalState:
    """The iterate of incremental EM: θ and the posteriors q_b of every block, as statistics.

    params : GaussianMixtureParams θ^(t).
    block_statistics : None before the first (full) E-step, else a tuple of B
        GaussianMixtureStatistics, s_b of the posterior q_b block b got at its last E-step.
    entropies : None, or (B,) H[q_b] of those posteriors.
    block : the block the next E-step refreshes.
    """

    params: gmm.GaussianMixtureParams
    block_statistics: tuple | None = None
    entropies: np.ndarray | None = None
    block: int = 0


@dataclass(frozen=True, eq=False)
class _IncrementalStatistics:
    total: gmm.GaussianMixtureStatistics
    block_statistics: tuple
    entropies: np.ndarray
    block: int


class IncrementalModel:
    """Incremental EM (Neal & Hinton, 1998) on X split into ``n_blocks`` consecutive blocks, for
    ``emlib.em.run``; its params are ``IncrementalState``.

    Parameters
    ----------
    X : (N, D) data.
    n_blocks : B, between 1 and N; block b holds rows ``np.array_split`` gives it.
    reg_covar : None (1e-6, as ``gmm.fit``) or a float >= 0 added to every Σ_k; 0 for exact EM,
        under which the objective never decreases.
    reference : (D,) the point every block's statistics are taken about; default the mean of X.

    ``e_step(state)`` refreshes block ``state.block`` at θ (every block when the state has no
    statistics yet) and returns (statistics, L(q, θ)); ``m_step(statistics, state)`` returns the
    next state: θ from the sum of the block statistics, the block after this one next.
    """

    def __init__(self, X, n_blocks, *, reg_covar=None, reference=None):
        X = _check_data(X)
        self.n_blocks = check_int(n_blocks, "n_blocks", minimum=1, maximum=X.shape[0],
                                  maximum_reason=" (the number of samples in X)")
        self.reg_covar = _check_regularisation(reg_covar, X.shape[1])
        self.reference = _check_reference(reference, X)
        self.objective_name = "elbo"
        self.n_items = float(X.shape[0])
        self.n_features = X.shape[1]
        self.blocks = [gmm.GaussianMixtureModel(part, reg_covar=self.reg_covar,
                                                reference=self.reference, recentre=False)
                       for part in np.array_split(X, self.n_blocks)]
        self.block_sizes = np.array([block.n_items for block in self.blocks])

    def _refresh(self, b, params):
        """(s_b, log p(X_b | θ), H[q_b]) of block b's posterior at θ."""
        statistics, log_likelihood = self.blocks[b].e_step(params)
        return statistics, log_likelihood, log_likelihood - _q(statistics, params)

    def e_step(self, state):
        state = check_instance(state, IncrementalState, "params")
        params = check_instance(state.params, gmm.GaussianMixtureParams, "params.params")
        check_n_features(np.empty((0, self.n_features)), params.n_features)
        if state.block_statistics is None:                    # the first, full E-step
            parts = [self._refresh(b, params) for b in range(self.n_blocks)]
            blocks = tuple(part[0] for part in parts)
            entropies = np.array([part[2] for part in parts])
            total = sum(blocks[1:], blocks[0])
            return (_IncrementalStatistics(total, blocks, entropies, -1),
                    float(sum(part[1] for part in parts)))
        b = state.block
        statistics, log_likelihood, entropy = self._refresh(b, params)
        blocks = state.block_statistics[:b] + (statistics,) + state.block_statistics[b + 1:]
        entropies = state.entropies.copy()
        entropies[b] = entropy
        others = [s for j, s in enumerate(blocks) if j != b]
        objective = log_likelihood
        total = statistics
        if others:
            rest = sum(others[1:], others[0])                  # s − s_b: the other blocks
            objective += _q(rest, params) + (entropies.sum() - entropy)
            total = rest + statistics
        return _IncrementalStatistics(total, blocks, entropies, b), float(objective)

    def m_step(self, statistics, state=None) -> IncrementalState:
        statistics = check_instance(statistics, _IncrementalStatistics, "statistics")
        params = gmm.params_from_statistics(statistics.total, reg_covar=self.reg_covar)
        return IncrementalState(params, statistics.block_statistics, statistics.entropies,
                                (statistics.block + 1) % self.n_blocks)

    def passes(self, n_iter: int) -> np.ndarray:
        """Passes over the data after the E-steps of iterates 0 … n_iter."""
        sizes = np.concatenate([[self.n_items], np.resize(self.block_sizes, n_iter)])
        return np.cumsum(sizes) / self.n_items


def fit_incremental(X, n_components: int, *, n_blocks: int = 10, init="kmeans++",
                    max_iter: int = 100, tol: float = 1e-6, reg_covar=None, random_state=None,
                    callback: Callable | None = None) -> OnlineResult:
    """Fit a Gaussian mixture by incremental EM, on ``emlib.em.run``.

    Parameters are those of ``gmm.fit`` (X (N, D), n_components K, init, reg_covar,
    random_state) plus ``n_blocks`` B (1 … N). ``max_iter`` counts partial steps (each 1/B of a
    pass; iteration 0 is a full E-step); ``tol`` is the driver's rule on L(q, θ) per sample;
    ``callback(t, state, objective)`` gets the IncrementalState. Returns an OnlineResult.
    """
    X = _check_data(X)
    n_components = check_int(n_components, "n_components", minimum=1, maximum=X.shape[0],
                             maximum_reason=" (the number of samples in X)")
    max_iter, tol = check_em_arguments(max_iter, tol, callback)
    model = IncrementalModel(X, n_blocks, reg_covar=reg_covar)
    params = _start(X, n_components, init, model.reg_covar, check_random_state(random_state))
    result = run(model, IncrementalState(params), max_iter=max_iter, tol=tol, callback=callback)
    result = replace(result, statistics=result.statistics.total)
    return result.extend(OnlineResult, mixture=result.params.params,
                         passes=model.passes(result.n_iter))


# --------------------------------------------------------------------------------------------
# Stepwise EM
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class StepwiseState:
    """The iterate of stepwise EM.

    params : GaussianMixtureParams θ^(t).
    statistics : None (no step yet: zero statistics) or the blended GaussianMixtureStatistics s.
    step : t, the number of mini-batches blended so far.
    """

    params: gmm.GaussianMixtureParams
    statistics: gmm.GaussianMixtureStatistics | None = None
    step: int = 0


def _blend(statistics, batch_statistics, eta, scale):
    """(1 − η) s + η (N/m) ŝ; s = None is zero statistics."""
    new = batch_statistics * (eta * scale)
    if statistics is None:
        return new
    return statistics * (1.0 - eta) + new


class StepwiseModel:
    """Stepwise EM on X in consecutive mini-batches of ``batch_size`` rows (cycling), for
    ``emlib.em.run``; its params are ``StepwiseState``.

    Parameters
    ----------
    X : (N, D) data.
    batch_size : m, between 1 and N. Mini-batch t holds rows (t·m … t·m + m − 1) mod N.
    alpha : α in (0.5, 1] for η_t = (t + 2)^(−α), or 0 for η_t = 1.
    reg_covar, reference : as for ``IncrementalModel``.
    """

    def __init__(self, X, batch_size, *, alpha=0.7, reg_covar=None, reference=None):
        X = _check_data(X)
        self.X = X
        self.batch_size = check_int(batch_size, "batch_size", minimum=1, maximum=X.shape[0],
                                    maximum_reason=" (the number of samples in X)")
        self.alpha = _check_alpha(alpha)
        self.reg_covar = _check_regularisation(reg_covar, X.shape[1])
        self.reference = _check_reference(reference, X)
        self.n_items = float(X.shape[0])
        full = self.batch_size == X.shape[0]
        self.objective_name = "log_likelihood" if full else "minibatch_log_likelihood"
        self._full = gmm.GaussianMixtureModel(X, reg_covar=self.reg_covar,
                                              reference=self.reference,
                                              recentre=False) if full else None

    def _batch(self, t):
        n, m = self.X.shape[0], self.batch_size
        start = (t * m) % n
        rows = self.X[start:start + m]
        if rows.shape[0] < m:                                  # wrap around the end
            rows = np.concatenate([rows, self.X[:m - rows.shape[0]]])
        return rows

    def e_step(self, state):
        state = check_instance(state, StepwiseState, "params")
        params = check_instance(state.params, gmm.GaussianMixtureParams, "params.params")
        check_n_features(self.X, params.n_features)
        model = self._full if self._full is not None else gmm.GaussianMixtureModel(
            self._batch(state.step), reg_covar=self.reg_covar, reference=self.reference,
            recentre=False)
        batch_statistics, log_likelihood = model.e_step(params)
        scale = self.n_items / self.batch_size
        blended = _blend(state.statistics, batch_statistics,
                         _step_size(state.step, self.alpha), scale)
        return (blended, state.step), float(log_likelihood * scale)

    def m_step(self, statistics, state=None) -> StepwiseState:
        blended, step = statistics
        return StepwiseState(gmm.params_from_statistics(blended, reg_covar=self.reg_covar),
                             blended, step + 1)

    def passes(self, n_iter: int) -> np.ndarray:
        return np.arange(1, n_iter + 2) * self.batch_size / self.n_items


def fit_stepwise(X, n_components: int, *, batch_size: int = 1000, alpha: float = 0.7,
                 init="kmeans++", max_iter: int = 100, tol: float = 0.0, reg_covar=None,
                 random_state=None, callback: Callable | None = None) -> OnlineResult:
    """Fit a Gaussian mixture by stepwise (online) EM, on ``emlib.em.run``.

    Parameters are those of ``gmm.fit`` plus ``batch_size`` m (1 … N) and ``alpha`` (see
    ``StepwiseModel``). ``max_iter`` counts mini-batches (each m/N of a pass); ``tol`` (default 0,
    run all ``max_iter`` steps) applies the driver's rule to the noisy mini-batch objective.
    ``callback(t, state, objective)`` gets the StepwiseState. Returns an OnlineResult; its
    ``statistics`` are the blend after the E-step at the final iterate (one more mini-batch).
    """
    X = _check_data(X)
    n_components = check_int(n_components, "n_components", minimum=1, maximum=X.shape[0],
                             maximum_reason=" (the number of samples in X)")
    max_iter, tol = check_em_arguments(max_iter, tol, callback)
    model = StepwiseModel(X, batch_size, alpha=alpha, reg_covar=reg_covar)
    params = _start(X, n_components, init, model.reg_covar, check_random_state(random_state))
    result = run(model, StepwiseState(params), max_iter=max_iter, tol=tol, callback=callback)
    result = replace(result, statistics=result.statistics[0])
    return result.extend(OnlineResult, mixture=result.params.params,
                         passes=model.passes(result.n_iter))


# --------------------------------------------------------------------------------------------
# Streams
# --------------------------------------------------------------------------------------------
class GaussianMixtureStream:
    """Stepwise EM one mini-batch at a time, for data that arrive as a stream.

    Parameters
    ----------
    init : the start θ^(0), a GaussianMixtureParams (e.g. ``gmm.init_params`` on the first
        mini-batch).
    alpha : α in (0.5, 1], or 0 for η_t = 1.
    n_items : N in [1, 2^53], the size of the data the statistics are scaled to (for a stream,
        how many rows the model should weigh like); only relative sizes matter under maximum
        likelihood.
    reg_covar : as for ``gmm.fit``.
    reference : (D,) the point the statistics are taken about; default init's weighted mean.

    ``partial_fit(X_batch)`` does one step of ``StepwiseModel`` on that batch — its E-step, the
    blend with η_t, its M-step — and returns self; ``params`` is the current θ, ``n_steps`` t.
    """

    def __init__(self, init, *, alpha=0.7, n_items=1.0, reg_covar=None, reference=None):
        init = check_instance(init, gmm.GaussianMixtureParams, "init")
        self.alpha = _check_alpha(alpha)
        # fewer than one row is no data (N·γ_nk of 1e-300 rows underflows to 0/0 in the M-step);
        # past 2^53 rows float64 cannot count, and N·x² overflows for ordinary data
        self.n_items = check_real(n_items, "n_items", minimum=1.0, maximum=2.0**53,
                                  why=" (2^53, the largest count float64 holds exactly)")
        self.reg_covar = _check_regularisation(reg_covar, init.n_features)
        if reference is None:
            reference = init.weights @ init.means
        reference = as_float_array(reference, "reference", ndim=1, copy=True)
        if reference.shape != (init.n_features,):
            raise ValueError(f"reference has shape {reference.shape}; it must be "
                             f"({init.n_features},)")
        check_squares_fit(init.means, centre=reference, centre_name="reference")
        # Σ_k = T_k/N_k − d_k d_kᵀ about c loses ~log10(1 + |c − μ_k|²/σ²) digits.
        spread = np.diagonal(init.covariances, axis1=1, axis2=2)
        loss = ((reference - init.means) ** 2 / spread).max()
        if not loss < _REFERENCE_LOSS_MAX:
            raise ValueError(f"reference is {np.sqrt(loss):.3g} standard deviations from a "
                             "component of init: the statistics about it would lose "
                             f"{np.log10(1 + loss):.0f} digits; choose reference near the data")
        self.reference = reference
        self.state = StepwiseState(init)

    @property
    def params(self) -> gmm.GaussianMixtureParams:
        return self.state.params

    @property
    def n_steps(self) -> int:
        return self.state.step

    def partial_fit(self, X):
        """One stepwise-EM update from the (m, D) mini-batch X; returns self."""
        X = _check_data(X)
        check_n_features(X, self.params.n_features)
        check_squares_fit(X, centre=self.reference, centre_name="reference")
        model = StepwiseModel.__new__(StepwiseModel)            # one step on this batch
        model.X, model.batch_size, model.alpha = X, X.shape[0], self.alpha
        model.reg_covar, model.reference, model.n_items = self.reg_covar, self.reference, \
            self.n_items
        model._full = gmm.GaussianMixtureModel(X, reg_covar=self.reg_covar,
                                               reference=self.reference, recentre=False)
        statistics, _ = model.e_step(self.state)
        self.state = model.m_step(statistics)
        return self
