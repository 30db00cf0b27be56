r"""The EM iteration, written once for every model in emlib.

Every model in the course is fitted by the same loop (Dempster, Laird & Rubin, *JRSS B* 39, 1977;
Neal & Hinton, "A view of the EM algorithm that justifies incremental, sparse, and other
variants", 1998):

.. math::
    \underbrace{s^{(t)} = \mathbb E_{p(Z \mid X, \theta^{(t)})}\big[\phi(X, Z)\big]}_{\text{E-step}}
    \;\longrightarrow\;
    \underbrace{\theta^{(t+1)} = \arg\max_\theta \; \langle \eta(\theta), s^{(t)} \rangle
        - N A(\theta) \; [+ \log p(\theta)]}_{\text{M-step}} ,

E-step → expected sufficient statistics → M-step → objective. A model supplies the two steps; the
driver, :func:`run`, owns everything else:

* **The E-step** ``model.e_step(params)`` returns ``(statistics, objective)``: the expected
  sufficient statistics :math:`s^{(t)}` under :math:`\theta^{(t)}` and the objective
  :math:`F(\theta^{(t)})` that EM provably never decreases for that model — the log-likelihood
  :math:`\log p(X\mid\theta)`, the log-posterior :math:`\log p(X\mid\theta) + \log p(\theta)` for
  MAP-EM, or a lower bound for hard or variational EM; ``model.objective_name`` says which.
* **The M-step** ``model.m_step(statistics, params)`` returns :math:`\theta^{(t+1)}` from the
  statistics (``params`` is the iterate they were computed at, for the few models whose update
  needs it, such as a topic that received no words keeping its old value).
* **The statistics are a visible object** of the model (counts, sums and outer products for a
  mixture; expected counts for the topic model): sums over data items, so that incremental EM can
  replace one block's, stepwise EM can blend them and distributed EM can add them across workers.

**One convergence rule.** With ``model.n_items`` data items (samples, sets, tokens), EM stops after
the first iteration :math:`t \ge 1` with

.. math::
    |F(\theta^{(t)}) - F(\theta^{(t-1)})| < \text{tol} \cdot n_{\text{items}},

i.e. when the objective per data item changes by less than ``tol``; ``tol = 0`` runs exactly
``max_iter`` iterations (M-steps) and ``max_iter = 0`` only evaluates the start.

**One callback**, ``callback(t, params, objective)``, called for every iterate
:math:`\theta^{(0)}, \dots, \theta^{(T)}` with its objective, before the next M-step.

**One result**, :class:`EMResult`: ``params`` (:math:`\theta^{(T)}`), ``objectives`` (one entry per
iterate, :math:`\theta^{(0)}` included, length ``n_iter + 1``), ``objective_name``, ``n_iter``,
``converged``, and ``statistics``, the E-step's statistics at the final parameters. Each model's
``fit`` returns a subclass that adds what it needs (e.g. the responsibilities).

**Parameters as a vector (optional).** A model that also has ``params_to_vector(params)`` (a 1-D
float array) and ``params_from_vector(vector)`` (its inverse, a ValueError for a vector that is
no valid θ) is a :class:`VectorizedModel`: ``emlib.convergence`` can then differentiate the EM
map θ ↦ M(θ) and accelerate it (SQUAREM) with the model's own ``e_step`` and ``m_step``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Callable, Protocol

import numpy as np

from ._validation import check_callable, check_int, check_real

__all__ = ["EMModel", "VectorizedModel", "EMResult", "SufficientStatistics", "run",
           "check_em_arguments"]


class EMModel(Protocol):
    """What :func:`run` needs from a model (a data set bound to one model family).

    objective_name : str, e.g. ``"log_likelihood"`` or ``"log_posterior"``.
    n_items : float > 0, the number of data items the convergence rule divides by.
    e_step(params) -> (statistics, objective)
    m_step(statistics, params) -> params
    """

    objective_name: str
    n_items: float

    def e_step(self, params) -> tuple[Any, float]: ...

    def m_step(self, statistics, params) -> Any: ...


class VectorizedModel(EMModel, Protocol):
    """An :class:`EMModel` whose parameters map to and from one real vector (for
    ``emlib.convergence``: the EM map's Jacobian, SQUAREM). Choose a parametrisation in which
    every vector is a valid θ where possible (log-variances, Cholesky factors).

    params_to_vector(params) -> (P,) float array
    params_from_vector(vector) -> params (ValueError if the vector is no valid θ)
    """

    def params_to_vector(self, params) -> np.ndarray: ...

    def params_from_vector(self, vector) -> Any: ...


@dataclass(frozen=True, eq=False)
class EMResult:
    """What :func:`run` (and, through a subclass, every model's ``fit``) returns.

    params : the final parameters θ^(n_iter).
    objectives : (n_iter + 1,) the objective F(θ^(t)) for t = 0 (the start) … n_iter.
    objective_name : what ``objectives`` holds, e.g. "log_likelihood" or "log_posterior".
    n_iter : the number of M-steps done.
    converged : whether the objective per data item changed by less than ``tol`` in the last one.
    statistics : the expected sufficient statistics of the E-step at ``params``.
    """

    params: Any
    objectives: np.ndarray
    objective_name: str
    n_iter: int
    converged: bool
    statistics: Any

    def extend(self, result_type: type, **extras):
        """This result as a model's subclass ``result_type``, with its extra fields."""
        return result_type(**{f.name: getattr(self, f.name) for f in fields(EMResult)}, **extras)


class SufficientStatistics:
    """Base for a model's expected sufficient statistics: a frozen dataclass of arrays that are
    sums over data items. Two of them add field by field (the statistics of two blocks of data
    are those of their union) and a number scales them (stepwise EM's blend
    s ← (1 − η) s + η ŝ), which is all incremental, stepwise and distributed EM need."""

    def _combine(self, other, operation):
        return type(self)(**{f.name: operation(getattr(self, f.name), getattr(other, f.name))
                             for f in fields(self)})

    def __add__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self._combine(other, np.add)

    def __mul__(self, scale):
        if isinstance(scale, bool) or not isinstance(scale, (int, float, np.floating, np.integer)):
            return NotImplemented
        return type(self)(**{f.name: getattr(self, f.name) * scale for f in fields(self)})

    __rmul__ = __mul__


def check_em_arguments(max_iter, tol, callback) -> tuple[int, float]:
    """Validate the driver's arguments at a model's edge: ``max_iter`` an int >= 0, ``tol`` a
    real >= 0, ``callback`` None or callable. Returns (max_iter, tol)."""
    max_iter = check_int(max_iter, "max_iter", minimum=0)
    tol = check_real(tol, "tol", minimum=0.0)
    check_callable(callback, "callback")
    return max_iter, tol


def run(model: EMModel, params, *, max_iter: int = 100, tol: float = 1e-6,
        callback: Callable[[int, Any, float], None] | None = None) -> EMResult:
    """Run EM on ``model`` from ``params`` = θ^(0).

    Parameters
    ----------
    model : an :class:`EMModel` (``e_step``, ``m_step``, ``objective_name``, ``n_items``).
    params : the start θ^(0), in the model's own parameter type.
    max_iter : the most M-steps, >= 0; 0 only evaluates the start.
    tol : >= 0; stop when |F(θ^(t)) − F(θ^(t−1))| < tol · model.n_items. 0 never stops early.
    callback : ``callback(t, params, objective)`` for t = 0 … n_iter, or None.

    Returns
    -------
    EMResult. Iteration t does one E-step at θ^(t) (the statistics and F(θ^(t))), calls the
    callback, tests convergence, and — unless EM stops — one M-step to θ^(t+1). So the final
    statistics are those of θ^(n_iter), and ``objectives[t]`` is F(θ^(t)).
    """
    max_iter, tol = check_em_arguments(max_iter, tol, callback)
    objectives = []
    converged = False
    for t in range(max_iter + 1):
        statistics, objective = model.e_step(params)                 # E-step at θ^(t)
        objectives.append(float(objective))
        if callback is not None:
            callback(t, params, objectives[-1])
        if t > 0 and abs(objectives[-1] - objectives[-2]) < tol * model.n_items:
            converged = True
            break
        if t == max_iter:
            break
        params = model.m_step(statistics, params)                    # M-step: θ^(t+1)
    return EMResult(params=params, objectives=np.array(objectives),
                    objective_name=model.objective_name, n_iter=len(objectives) - 1,
                    converged=converged, statistics=statistics)
