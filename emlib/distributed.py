r"""Distributed EM for a Gaussian mixture on a Dask array: the E-step is a map, the M-step a reduce.

The expected sufficient statistics (:class:`~emlib.gmm.GaussianMixtureStatistics`) are sums over
rows, so for X split into row chunks :math:`X_0, \dots, X_{P-1}`

.. math::
    s(X) = \sum_{p} s(X_p), \qquad \log p(X \mid \theta) = \sum_p \log p(X_p \mid \theta):

each worker maps its chunks to fixed-size statistics (K + KD + KD² numbers and one
log-likelihood, whatever the chunk's length), a tree of additions reduces them, and the M-step
(:func:`~emlib.gmm.params_from_statistics`) is a tiny computation on the client. Every chunk's
model is a :class:`~emlib.gmm.GaussianMixtureModel` with one shared ``reference`` and
``recentre=False``, so its statistics add. Per iteration the work is linear in N and only θ
travels to the workers and the statistics back; a worker's memory is bounded by its chunks.

dask is imported here only, when a Dask array is fitted: ``emlib`` itself never imports it.
``emlib.gmm.fit`` sends a Dask array here. A lost worker's chunks are recomputed by Dask from
the graph (or from the files they were read from), so the result does not change.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import gmm
from ._validation import as_float_array, check_int, check_random_state, check_squares_fit
from .em import check_em_arguments, run

__all__ = ["DaskGaussianMixtureModel", "is_dask_array", "fit"]


def is_dask_array(X) -> bool:
    """Whether X is a ``dask.array.Array`` (without importing dask when it is not)."""
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "chunks")


def _chunk_statistics(chunk, params, reference, reg_covar):
    """The map: one chunk's (statistics, log-likelihood) at θ, on a worker."""
    model = gmm.GaussianMixtureModel(np.asarray(chunk, dtype=np.float64), reg_covar=reg_covar,
                                     reference=reference, recentre=False)
    return model.e_step(params)


def _add(a, b):
    """The reduce: statistics add, log-likelihoods add."""
    return a[0] + b[0], a[1] + b[1]


def _tree_sum(parts, add):
    while len(parts) > 1:
        parts = [add(*parts[i:i + 2]) if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]
    return parts[0]


class DaskGaussianMixtureModel:
    """A Gaussian mixture bound to a Dask array, for ``emlib.em.run``.

    Parameters
    ----------
    X : (N, D) ``dask.array.Array`` of real numbers, chunked along rows (columns are merged
        into one chunk).
    reg_covar : None (1e-6) or a float >= 0, as ``gmm.fit``.
    reference : (D,) the point the statistics are taken about; default the mean of X (one
        pass, computed here).
    scheduler : passed to ``dask.compute``: None (the default scheduler: a running
        ``distributed.Client`` if there is one), "synchronous", "threads", or a Client.

    ``e_step(params)`` maps every chunk to its statistics and log-likelihood and reduces them
    by addition; ``m_step`` is ``gmm.params_from_statistics``.
    """

    def __init__(self, X, *, reg_covar=None, reference=None, scheduler=None):
        import dask
        if not is_dask_array(X):
            raise TypeError(f"X must be a dask array, got {type(X).__name__}")
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (N, D), got {X.ndim}-D")
        if X.dtype.kind not in "iuf":
            raise TypeError(f"X must hold real numbers, got dtype {X.dtype}")
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"X must have at least one row and column, got shape {X.shape}")
        self.X = X.rechunk({1: -1})
        self.scheduler = scheduler
        self.n_items = float(X.shape[0])
        self.n_features = int(X.shape[1])
        self.reg_covar = gmm._check_regularisation(reg_covar, None, self.n_features)[0]
        if reference is None:
            finite, reference = dask.compute(dask.array.isfinite(self.X).all(),
                                             self.X.mean(axis=0), scheduler=scheduler)
            if not finite:
                raise ValueError("X contains NaN or infinite values")
        reference = as_float_array(reference, "reference", ndim=1, copy=True)
        if reference.shape != (self.n_features,):
            raise ValueError(f"reference has shape {reference.shape}; it must be "
                             f"({self.n_features},)")
        self.reference = reference
        self.objective_name = "log_likelihood"
        self._chunks = self.X.to_delayed().ravel().tolist()

    def e_step(self, params):
        import dask
        params = gmm._check_params(params)
        if params.n_features != self.n_features:
            raise ValueError(f"params has {params.n_features} features but X has "
                             f"{self.n_features}")
        statistics = dask.delayed(_chunk_statistics)
        parts = [statistics(chunk, params, self.reference, self.reg_covar)
                 for chunk in self._chunks]                                    # map
        total = _tree_sum(parts, dask.delayed(_add))                           # reduce
        (statistics, log_likelihood), = dask.compute(total, scheduler=self.scheduler)
        return statistics, float(log_likelihood)

    def m_step(self, statistics, params=None) -> gmm.GaussianMixtureParams:
        return gmm.params_from_statistics(statistics, reg_covar=self.reg_covar)


def fit(X, n_components: int, *, init="kmeans++", max_iter: int = 100, tol: float = 1e-6,
        reg_covar=None, random_state=None, callback: Callable | None = None,
        scheduler=None, init_sample: int = 10_000) -> gmm.GaussianMixtureResult:
    """``gmm.fit`` for a Dask array X: the same arguments and the same result type.

    ``init`` "kmeans++" / "random" start from ``gmm.init_params`` on the first ``init_sample``
    rows (brought to the client); give a GaussianMixtureParams to start elsewhere. The result's
    ``resp`` is a lazy (N, K) Dask array of the responsibilities under the final parameters
    (compute it, or a part of it, when needed); everything else is in memory.
    """
    model = DaskGaussianMixtureModel(X, reg_covar=reg_covar, scheduler=scheduler)
    n_components = check_int(n_components, "n_components", minimum=1,
                             maximum=int(model.n_items),
                             maximum_reason=" (the number of samples in X)")
    max_iter, tol = check_em_arguments(max_iter, tol, callback)
    rng = check_random_state(random_state)
    if isinstance(init, gmm.GaussianMixtureParams):
        if init.n_components != n_components or init.n_features != model.n_features:
            raise ValueError(f"init has {init.n_components} components in {init.n_features} "
                             f"dimensions, but n_components={n_components} and X has "
                             f"{model.n_features} features")
        params = init
    elif init in ("kmeans++", "random"):
        init_sample = check_int(init_sample, "init_sample", minimum=n_components)
        head = np.asarray(model.X[:init_sample].compute(scheduler=scheduler), dtype=float)
        check_squares_fit(head)
        params = gmm.init_params(head, n_components, method=init, reg_covar=model.reg_covar,
                                 random_state=rng)
    else:
        raise ValueError(f'init must be "kmeans++", "random" or a GaussianMixtureParams, '
                         f"got {init!r}")
    result = run(model, params, max_iter=max_iter, tol=tol, callback=callback)
    final = result.params
    resp = model.X.map_blocks(lambda chunk: gmm.e_step(chunk, final)[0],
                              chunks=(model.X.chunks[0], (n_components,)), dtype=float)
    return result.extend(gmm.GaussianMixtureResult, resp=resp,
                         log_likelihoods=result.objectives.copy())
