"""The contract every EM model in emlib keeps, as check functions, and the registry of models.

Each model contributes ``ContractCase``s from a module in ``tests/contract_cases/`` (a module-level
list ``CASES``); ``tests/test_em_contract.py`` runs every check on every case. The checks are plain
functions that raise ``AssertionError``, so ``test_em_contract.py`` can also show each of them
failing on a deliberately broken model: a check that cannot fail would be a defect.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np


@dataclass
class ContractCase:
    """One model (or one variant of a model, e.g. MAP) under the contract.

    name : shown in the test ids.
    make_problem : rng -> a random problem (whatever ``fit`` and ``objective`` need).
    fit : (problem, **kwargs) -> an ``emlib.em.EMResult``; kwargs are the model's fit arguments
        (at least max_iter, tol, callback, random_state), passed through unchanged.
    objective : (problem, params) -> F(params) recomputed independently of the fit (through the
        model's public objective function, e.g. ``log_likelihood`` or ``log_posterior``).
    arrays : params -> list of arrays, to compare two parameter values.
    bad_arguments : [(kwargs, name)]: ``fit(problem, **kwargs)`` must raise ValueError or
        TypeError whose message names ``name``.
    rtol : relative tolerance of "never decreases" and of the recomputed objective.
    """

    name: str
    make_problem: Callable[[np.random.Generator], Any]
    fit: Callable[..., Any]
    objective: Callable[[Any, Any], float]
    arrays: Callable[[Any], list]
    bad_arguments: list = field(default_factory=list)
    rtol: float = 1e-10
    max_iter: int = 25

    def __str__(self):
        return self.name


def load_cases() -> list[ContractCase]:
    """Every ``CASES`` entry of the modules in tests/contract_cases/, in file-name order."""
    folder = Path(__file__).parent / "contract_cases"
    cases = []
    for info in sorted(pkgutil.iter_modules([str(folder)]), key=lambda i: i.name):
        module = importlib.import_module(f"contract_cases.{info.name}")
        cases.extend(module.CASES)
    return cases


class Recorder:
    """A callback that keeps every (t, params, objective) it is given."""

    def __init__(self):
        self.calls = []

    def __call__(self, t, params, objective):
        self.calls.append((t, params, objective))


def _scale(values) -> float:
    return max(1.0, float(np.max(np.abs(values))))


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------
def check_monotone(result, rtol: float) -> None:
    """The objective never decreases beyond rounding: F(θ^(t+1)) >= F(θ^(t)) − rtol·|F|."""
    objectives = np.asarray(result.objectives)
    assert np.all(np.isfinite(objectives)), f"objectives are not finite: {objectives}"
    steps = np.diff(objectives)
    floor = -rtol * _scale(objectives)
    if steps.size and steps.min() < floor:
        t = int(np.argmin(steps))
        raise AssertionError(f"{result.objective_name} fell from {objectives[t]!r} at t = {t} to "
                             f"{objectives[t + 1]!r} at t = {t + 1} (by {-steps[t]:.3g})")


def check_callback(recorder: Recorder, result, arrays) -> None:
    """The callback saw t = 0 … n_iter in order, with the objectives of the history, and last the
    final parameters."""
    ts = [t for t, _, _ in recorder.calls]
    assert ts == list(range(result.n_iter + 1)), \
        f"callback saw t = {ts}, expected 0 … {result.n_iter}"
    seen = np.array([objective for _, _, objective in recorder.calls])
    assert np.array_equal(seen, result.objectives), \
        f"callback objectives {seen} differ from the history {result.objectives}"
    for a, b in zip(arrays(recorder.calls[-1][1]), arrays(result.params)):
        assert np.array_equal(a, b), "the callback's last parameters are not the result's"


def check_history(case: ContractCase, problem, recorder: Recorder) -> None:
    """Each recorded objective equals F(θ^(t)) recomputed from the θ^(t) the callback was given."""
    for t, params, objective in recorder.calls:
        expected = case.objective(problem, params)
        tolerance = case.rtol * _scale([expected])
        assert abs(objective - expected) <= tolerance, \
            f"objective at t = {t} is {objective!r} but F(θ^({t})) = {expected!r}"


def check_stopping(case: ContractCase, problem, seed: int) -> None:
    """tol = 0 runs exactly max_iter M-steps; max_iter = 0 only evaluates the start; a huge tol
    stops after one iteration, converged."""
    n = 4
    exact = case.fit(problem, max_iter=n, tol=0.0, random_state=seed)
    assert exact.n_iter == n and len(exact.objectives) == n + 1 and not exact.converged, \
        f"tol=0, max_iter={n} gave n_iter={exact.n_iter}, {len(exact.objectives)} objectives, " \
        f"converged={exact.converged}"
    start = case.fit(problem, max_iter=0, tol=0.0, random_state=seed)
    assert start.n_iter == 0 and len(start.objectives) == 1, \
        f"max_iter=0 gave n_iter={start.n_iter} and {len(start.objectives)} objectives"
    assert start.objectives[0] == exact.objectives[0], "max_iter=0 did not evaluate the start"
    recorder = Recorder()
    case.fit(problem, max_iter=0, tol=0.0, random_state=seed, callback=recorder)
    first = case.fit(problem, max_iter=1, tol=0.0, random_state=seed)
    for a, b in zip(case.arrays(recorder.calls[0][1]), case.arrays(start.params)):
        assert np.array_equal(a, b), "max_iter=0 changed the parameters"
    loose = case.fit(problem, max_iter=n, tol=1e300, random_state=seed)
    assert loose.converged and loose.n_iter == 1, \
        f"tol=1e300 gave n_iter={loose.n_iter}, converged={loose.converged}; expected 1, True"
    for a, b in zip(case.arrays(loose.params), case.arrays(first.params)):
        assert np.array_equal(a, b), "stopping at t = 1 should return θ^(1)"


def check_reproducible(case: ContractCase, problem, seed: int) -> None:
    """The same random_state gives the same result, bit for bit."""
    a = case.fit(problem, max_iter=case.max_iter, tol=0.0, random_state=seed)
    b = case.fit(problem, max_iter=case.max_iter, tol=0.0, random_state=seed)
    assert np.array_equal(a.objectives, b.objectives), "same random_state, different objectives"
    for x, y in zip(case.arrays(a.params), case.arrays(b.params)):
        assert np.array_equal(x, y), "same random_state, different parameters"


def check_bad_arguments(case: ContractCase, problem) -> None:
    """Every bad argument raises ValueError or TypeError naming it."""
    for kwargs, name in case.bad_arguments:
        try:
            case.fit(problem, **kwargs)
        except (ValueError, TypeError) as error:
            assert name in str(error), f"{kwargs} raised {error!r}, which does not name {name!r}"
        else:
            raise AssertionError(f"{kwargs} was accepted; expected an error naming {name!r}")


# The driver's own arguments, bad in the same way for every model.
DRIVER_BAD_ARGUMENTS = [
    ({"max_iter": -1}, "max_iter"),
    ({"max_iter": 2.5}, "max_iter"),
    ({"max_iter": True}, "max_iter"),
    ({"tol": -1e-3}, "tol"),
    ({"tol": float("nan")}, "tol"),
    ({"tol": "1e-3"}, "tol"),
    ({"callback": 3}, "callback"),
]
