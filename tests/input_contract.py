"""The shared pieces of the input-contract test (tests/test_input_contract.py): the table's row type.

Each tests/input_examples/<module>.py imports :class:`Example` from here and defines
``EXAMPLES = {"<module>.<name>": Example(...)}`` (and optionally ``SKIPPED = {name: reason}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


def noop(t, params, objective):
    """A valid callback: ``callback(iteration, params, objective)``."""
    return None


@dataclass
class Example:
    """args: returns fresh valid keyword arguments. mutate: argument -> kind (see KINDS).
    check: (result, kwargs) -> None, asserts what a correct result satisfies. allow_inf: ±inf is
    a documented, correct answer (e.g. a KL divergence, a log-likelihood of an impossible word).
    allow_nan: NaN in the result is documented data, not a failure (e.g. ``missing.ampute``
    marks the entries it deletes as NaN); ``check`` must then say where NaN is correct.
    asserts: the function is a check (``emlib.checks``, ``emlib.hmm_reference.check_*``) whose
    answer to a disagreement is an AssertionError: the property accepts one for an extreme
    value (a bad dtype must still be a TypeError/ValueError naming the argument).
    xfail: "argument-attack" (a bad dtype) or "argument-magnitudes" (the property) -> reason,
    for known failures, run as xfail(strict=True) so that a fix is noticed."""

    args: Callable[[], dict]
    mutate: dict[str, str]
    check: Callable[[Any, dict], None] | None = None
    allow_inf: bool = False
    allow_nan: bool = False
    asserts: bool = False
    xfail: dict[str, str] = field(default_factory=dict)
