r"""How fast EM converges, and SQUAREM to make it faster — for any model on ``emlib.em``.

**The EM map.** One EM iteration is a map :math:`\theta^{(t+1)} = M(\theta^{(t)})`, the model's
M-step applied to its E-step's statistics. Near a fixed point :math:`\hat\theta`,

.. math::
    \theta^{(t+1)} - \hat\theta \approx J\,(\theta^{(t)} - \hat\theta), \qquad
    J = \frac{\partial M}{\partial \theta}\Big|_{\hat\theta},

so EM converges *linearly*, the error shrinking by about the largest eigenvalue
:math:`\lambda_{\max}(J)` per iteration. Dempster, Laird & Rubin (1977, section 3) showed
:math:`J = I_{\mathrm{mis}} I_{\mathrm{com}}^{-1}`: the fraction of the complete-data information
that is missing. Much missing information, a rate near 1: EM creeps.

* ``em_map`` — M(θ), one E-step and one M-step of the model.
* ``em_map_jacobian`` — J by central finite differences of M in the model's parameter vector
  (``params_to_vector`` / ``params_from_vector``, see ``emlib.em.VectorizedModel``).
* ``error_ratios``, ``observed_rate`` — the rate measured from successive errors
  :math:`\lVert\theta^{(t+1)} - \hat\theta\rVert / \lVert\theta^{(t)} - \hat\theta\rVert`.
* ``squarem`` — SQUAREM (Varadhan & Roland, 2008, scheme S3): from θ₀, two EM steps give
  θ₁ = M(θ₀), θ₂ = M(θ₁); with r = θ₁ − θ₀, v = θ₂ − 2θ₁ + θ₀ and α = −‖r‖/‖v‖ (at most −1), the
  extrapolation θ′ = θ₀ − 2αr + α²v is followed by one stabilising EM step, M(θ′). A monotonicity
  safeguard keeps the objective non-decreasing: if F(M(θ′)) < F(θ₀), α moves halfway to −1 and the
  step is retried; α = −1 is the plain two-step EM point θ₂, which never decreases F.

  SQUAREM runs *on the driver*: ``squarem`` wraps the model in ``SquaremModel``, whose ``m_step``
  is one SQUAREM cycle built from the model's own ``e_step`` and ``m_step``, and hands it to
  ``emlib.em.run`` — so tol, max_iter, the callback, the history and the contract are those of
  every other EM in the course.
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from ._validation import as_float_array, check_int, check_real
from .em import EMResult, check_em_arguments, run

__all__ = ["em_map", "em_map_jacobian", "error_ratios", "observed_rate", "SquaremModel",
           "SquaremResult", "squarem"]


def _check_model(model, *, vectorized: bool = True):
    needed = ["e_step", "m_step", "objective_name", "n_items"]
    if vectorized:
        needed += ["params_to_vector", "params_from_vector"]
    missing = [name for name in needed if not hasattr(model, name)]
    if missing:
        raise TypeError(f"model must be an emlib EM model with {', '.join(needed)}; "
                        f"{type(model).__name__} lacks {', '.join(missing)} (see "
                        "emlib.em.VectorizedModel)")
    return model


def _check_params(model, params, name: str = "params"):
    """``params`` unchanged if the (vectorized) model can read it as its parameters — a wrong
    type is a TypeError naming ``name``, not an AttributeError from inside the model's E-step."""
    if hasattr(model, "params_to_vector"):
        try:
            model.params_to_vector(params)
        except (AttributeError, TypeError, IndexError, KeyError) as exc:
            raise TypeError(f"{name} must be the parameters of {type(model).__name__}, got "
                            f"{type(params).__name__} ({type(exc).__name__}: {exc})") from None
    return params


def em_map(model, params):
    """M(θ): the model's M-step applied to its E-step's statistics at θ = params."""
    _check_model(model, vectorized=False)
    _check_params(model, params)
    statistics, _ = model.e_step(params)
    return model.m_step(statistics, params)


def em_map_jacobian(model, params, *, step: float = 1e-5) -> np.ndarray:
    r"""(P, P) Jacobian of the EM map in the model's parameter vector, by central differences:
    column j is [v(M(θ + h e_j)) − v(M(θ − h e_j))] / 2h, v = ``model.params_to_vector``.

    At a fixed point its eigenvalues (all in [0, 1] for a maximum) are the rates at which EM
    removes the error along each eigenvector; the largest is EM's rate of convergence. ``step``
    h > 0 is absolute, in the vector's units (the default suits standardised data).
    """
    _check_model(model)
    _check_params(model, params)
    step = check_real(step, "step", minimum=0.0, inclusive=False)
    centre = np.asarray(model.params_to_vector(params), dtype=float)
    if np.any(centre + step == centre) or np.any(centre - step == centre):
        j = int(np.argmax((centre + step == centre) | (centre - step == centre)))
        raise ValueError(f"step = {step:g} is below the rounding of the parameter vector "
                         f"(entry {j} is {centre[j]:.3g}): θ ± h e_j would equal θ and the "
                         "difference quotient 0; use a larger step")
    jacobian = np.empty((centre.size, centre.size))
    for j in range(centre.size):
        shift = np.zeros(centre.size)
        shift[j] = step
        try:
            with np.errstate(over="raise", invalid="raise"):
                forward = model.params_to_vector(
                    em_map(model, model.params_from_vector(centre + shift)))
                backward = model.params_to_vector(
                    em_map(model, model.params_from_vector(centre - shift)))
                jacobian[:, j] = (np.asarray(forward) - np.asarray(backward)) / (2.0 * step)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            raise ValueError(f"step = {step:g} moves θ out of the model's parameter space along "
                             f"entry {j} of its vector ({exc}); use a smaller step") from None
    return jacobian


def _errors(iterates, fixed_point) -> np.ndarray:
    """(T + 1,) ‖θ^(t) − θ̂‖ of checked iterates, computed scaled so that no square overflows."""
    iterates = as_float_array(iterates, "iterates", ndim=2, min_size=2)
    fixed_point = as_float_array(fixed_point, "fixed_point", ndim=1)
    if iterates.shape[1] != fixed_point.size or iterates.shape[0] < 2:
        raise ValueError(f"iterates has shape {iterates.shape} but must be (T + 1, "
                         f"{fixed_point.size}) with T >= 1, one row per iterate")
    with np.errstate(over="ignore", invalid="ignore"):
        differences = iterates - fixed_point
    if not np.all(np.isfinite(differences)):
        raise ValueError("iterates are too far from fixed_point: their differences overflow "
                         "float64")
    # Each row scaled by its own largest entry: no square overflows, and none that matters
    # underflows (a global scale would flush the small rows' squares to subnormals).
    scale = np.abs(differences).max(axis=1)
    safe = np.where(scale > 0, scale, 1.0)
    return scale * np.linalg.norm(differences / safe[:, None], axis=1)


def error_ratios(iterates, fixed_point) -> np.ndarray:
    """(T,) ‖θ^(t+1) − θ̂‖ / ‖θ^(t) − θ̂‖ for iterates (T + 1, P) and the fixed point θ̂ (P,),
    both as parameter vectors. Infinite where an error is already 0."""
    errors = _errors(iterates, fixed_point)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):   # 1e300 / 1e-300: inf
        return np.where(errors[:-1] > 0, errors[1:] / np.where(errors[:-1] > 0, errors[:-1], 1),
                        np.inf)


def observed_rate(iterates, fixed_point, *, floor: float = 1e-9, ceiling: float = 1e-3
                  ) -> float:
    """EM's linear rate from its iterates: the median of the error ratios over the iterations
    whose error ‖θ^(t) − θ̂‖ lies between ``floor`` and ``ceiling`` (past the start-up, before
    rounding error dominates). ValueError when fewer than 3 iterations fall in that window."""
    floor = check_real(floor, "floor", minimum=0.0, inclusive=False)
    ceiling = check_real(ceiling, "ceiling", minimum=0.0, inclusive=False)
    if ceiling <= floor:
        raise ValueError(f"ceiling ({ceiling:g}) must exceed floor ({floor:g}): they bound the "
                         "window of errors the rate is measured in")
    ratios = error_ratios(iterates, fixed_point)
    errors = _errors(iterates, fixed_point)[:-1]
    window = (errors > floor) & (errors < ceiling)
    if window.sum() < 3:
        raise ValueError(f"only {int(window.sum())} of the iterates have an error "
                         f"‖iterates[t] − fixed_point‖ between floor ({floor:g}) and ceiling "
                         f"({ceiling:g}); run EM longer or widen them")
    return float(np.median(ratios[window]))


# --------------------------------------------------------------------------------------------
# SQUAREM on the driver
# --------------------------------------------------------------------------------------------
class SquaremModel:
    """``model`` with one SQUAREM cycle as its M-step, for ``emlib.em.run``.

    ``e_step(θ)`` is the model's (answered from a cache when the last cycle already evaluated θ);
    ``m_step(statistics, θ₀)`` does the cycle of the module docstring. ``n_em_steps`` counts the
    model's M-steps, ``n_backtracks`` the safeguard's step halvings.
    """

    def __init__(self, model, max_backtracks: int = 10):
        self.model = _check_model(model)
        max_backtracks = check_int(max_backtracks, "max_backtracks", minimum=0)
        self.objective_name = model.objective_name
        self.n_items = model.n_items
        self.max_backtracks = max_backtracks
        self.n_em_steps = 0
        self.n_backtracks = 0
        self._cache = None                      # (params, statistics, objective)

    def _evaluate(self, params):
        statistics, objective = self.model.e_step(params)
        self._cache = (params, statistics, float(objective))
        return statistics, float(objective)

    def e_step(self, params):
        if self._cache is not None and self._cache[0] is params:
            return self._cache[1], self._cache[2]
        return self._evaluate(params)

    def _em_step(self, statistics, params):
        self.n_em_steps += 1
        return self.model.m_step(statistics, params)

    def _try(self, params):
        """(statistics, objective) at params, or None if params is invalid or F not finite."""
        try:
            statistics, objective = self.model.e_step(params)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            return None
        return (statistics, float(objective)) if np.isfinite(objective) else None

    def m_step(self, statistics, params):
        model = self.model
        objective0 = self.e_step(params)[1]
        theta1 = self._em_step(statistics, params)
        statistics1, _ = self._evaluate(theta1)
        theta2 = self._em_step(statistics1, theta1)
        v0, v1, v2 = (np.asarray(model.params_to_vector(p), dtype=float)
                      for p in (params, theta1, theta2))
        r, v = v1 - v0, v2 - 2.0 * v1 + v0
        norm_v = np.linalg.norm(v)
        alpha = -np.linalg.norm(r) / norm_v if norm_v > 0 else -1.0
        alpha = min(alpha, -1.0)
        for _ in range(self.max_backtracks):
            if alpha >= -1.0:
                break
            try:
                extrapolated = model.params_from_vector(v0 - 2.0 * alpha * r + alpha**2 * v)
            except ValueError:
                extrapolated = None
            evaluated = None if extrapolated is None else self._try(extrapolated)
            if evaluated is not None:
                stabilised = self._em_step(evaluated[0], extrapolated)   # one EM step from θ′
                checked = self._try(stabilised)
                if checked is not None and checked[1] >= objective0:     # the safeguard
                    self._cache = (stabilised, checked[0], checked[1])
                    return stabilised
            alpha = 0.5 * (alpha - 1.0)          # halfway towards α = −1 (plain EM)
            self.n_backtracks += 1
        self._evaluate(theta2)                   # θ₂: two EM steps, F(θ₂) >= F(θ₀)
        return theta2


@dataclass(frozen=True, eq=False)
class SquaremResult(EMResult):
    """``emlib.em.EMResult`` of a SQUAREM run (n_iter counts cycles) plus

    n_em_steps : the model's M-steps (EM-map evaluations) done, the fair cost to compare with
        plain EM's n_iter.
    n_backtracks : how often the safeguard halved a step.
    """

    n_em_steps: int = 0
    n_backtracks: int = 0


def squarem(model, params, *, max_iter: int = 300, tol: float = 1e-8, callback=None
            ) -> SquaremResult:
    """SQUAREM-accelerated EM on the driver (Varadhan & Roland, 2008; see the module docstring).

    Parameters
    ----------
    model : an ``emlib.em.VectorizedModel`` (e.g. ``emlib.missing.MissingGaussianModel``).
    params : θ^(0), in the model's parameter type.
    max_iter, tol, callback : as for ``emlib.em.run``; an iteration is one SQUAREM cycle (about
        three EM steps), the objective never decreases.

    Returns
    -------
    SquaremResult (params, objectives, n_iter, converged, statistics, n_em_steps, n_backtracks).
    """
    _check_model(model)
    _check_params(model, params)
    max_iter, tol = check_em_arguments(max_iter, tol, callback)
    accelerated = SquaremModel(model)
    result = run(accelerated, params, max_iter=max_iter, tol=tol, callback=callback)
    return result.extend(SquaremResult, n_em_steps=accelerated.n_em_steps,
                         n_backtracks=accelerated.n_backtracks)

