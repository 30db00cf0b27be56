"""Run a lecture notebook's code cells by id, as written or with a mutant's edits.

Shared by the tests that show every check of a notebook failing on a plausible wrong version
(``test_lecture_07.py``, ``test_lecture_09.py``): each check cell's top-level statements are run
one at a time, in a namespace built from the cells it needs; cells before the first edited one
come from a cache, since mutants of one notebook share long prefixes. The library fits named in
``memoize`` (e.g. ``"hmm.fit"``) are deterministic given their arguments, so a call repeated with
the same arguments by another mutant returns a copy of the first result instead of fitting again;
a mutant that changes an argument changes the key and fits anew.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import functools
import io
import pickle
import types
import warnings
from pathlib import Path

import nbformat
import numpy as np

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


class NotebookCells:
    """The code cells of ``notebooks/<name>`` by id; ``checks`` are those ending in ``-check``."""

    def __init__(self, name: str, memoize: tuple[str, ...] = ()):
        self.path = NOTEBOOKS / name
        self.memoize, self._results = memoize, {}
        self.cells = {cell.id: cell.source for cell in nbformat.read(self.path, as_version=4).cells
                      if cell.cell_type == "code"}
        self.checks = [cell_id for cell_id in self.cells if cell_id.endswith("-check")]
        self._prefix = functools.lru_cache(maxsize=None)(self._run_prefix)

    def statements(self, check_id: str) -> list[tuple[str, bool]]:
        """The top-level statements of a check cell, as (source, is an assignment)."""
        source = self.cells[check_id]
        return [(ast.get_source_segment(source, node), isinstance(node, ast.Assign))
                for node in ast.parse(source).body]

    def execute(self, source: str, cell_id: str, namespace: dict) -> None:
        with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(source, cell_id, "exec"), namespace)
        self._memoize_fits(namespace)

    def _memoize_fits(self, namespace: dict) -> None:
        """Bind each module of ``memoize`` in the namespace to a copy whose fit is memoized."""
        for dotted in self.memoize:
            module_name, function_name = dotted.split(".")
            module = namespace.get(module_name)
            if not isinstance(module, types.ModuleType) or getattr(module, "_memoized", False):
                continue
            proxy = types.ModuleType(module.__name__)
            proxy.__dict__.update(module.__dict__)
            proxy.__dict__[function_name] = self._memoized(dotted, getattr(module, function_name))
            proxy._memoized = True
            namespace[module_name] = proxy

    def _memoized(self, dotted: str, function):
        @functools.wraps(function)
        def memoized(*args, **kwargs):
            try:
                key = (dotted, pickle.dumps((args, sorted(kwargs.items()))))
            except (pickle.PicklingError, AttributeError, TypeError):
                return function(*args, **kwargs)      # e.g. a callback defined in a cell
            if key not in self._results:
                self._results[key] = function(*args, **kwargs)
            return copy.deepcopy(self._results[key])
        return memoized

    def _run_prefix(self, cell_ids: tuple) -> dict:
        """The namespace after running these cells as written (cached)."""
        if not cell_ids:
            return {}
        namespace = dict(self._prefix(cell_ids[:-1]))
        self.execute(self.cells[cell_ids[-1]], cell_ids[-1], namespace)
        return namespace

    def run(self, cell_ids, edits=()) -> dict:
        """Execute cells (sources edited by ``edits`` = [(cell_id, old, new)]) in a namespace of
        its own; every edit must apply, so a mutant cannot silently become the original. The
        cells before the first edited one come from the cache (each cell only calls functions
        defined in it or before it, so re-running the rest rebinds everything a mutant changes)."""
        cell_ids = list(cell_ids)
        edited = [i for i, cell_id in enumerate(cell_ids) if any(e[0] == cell_id for e in edits)]
        first = edited[0] if edited else len(cell_ids)
        namespace = dict(self._prefix(tuple(cell_ids[:first])))
        unused = list(edits)
        for cell_id in cell_ids[first:]:
            source = self.cells[cell_id]
            for edit in edits:
                target, old, new = edit
                if target == cell_id:
                    assert old in source, f"mutant edit {old!r} not found in cell {cell_id!r}"
                    source = source.replace(old, new)
                    unused.remove(edit)
            self.execute(source, cell_id, namespace)
        assert not unused, f"edits for cells that were not run: {unused}"
        return namespace

    @staticmethod
    def check(namespace, statement: str) -> None:
        with np.errstate(all="ignore"):
            exec(compile(statement, "check", "exec"), namespace)

    def assert_breaks(self, cell_ids, check_id: str, broken, edits) -> None:
        """Run ``cell_ids`` with a mutant's ``edits`` (those aimed at ``check_id`` edit the check's
        statements instead) and assert that each statement of ``check_id`` listed in ``broken``
        raises AssertionError, after the check's assignments that come before it."""
        namespace = self.run(cell_ids, [edit for edit in edits if edit[0] != check_id])
        source = [statement for statement, _ in self.statements(check_id)]
        for target, old, new in edits:
            if target == check_id:                      # a mutant of the check itself
                assert any(old in statement for statement in source), old
                source = [statement.replace(old, new) for statement in source]
        assignments = [i for i, (_, assigns) in enumerate(self.statements(check_id)) if assigns]
        for index in broken:
            for before in assignments:                  # the names a check statement uses
                if before < index:
                    self.check(namespace, source[before])
            try:
                self.check(namespace, source[index])
            except AssertionError:
                continue
            raise AssertionError(f"{check_id} statement {index} passed on the mutant: "
                                 f"{source[index].splitlines()[0]}")

    def uncovered(self, mutants) -> list[tuple]:
        """(check id, statement index, first line) of every check statement that no mutant in
        ``mutants`` = [(name, check_id, broken, edits)] shows failing."""
        covered = {(check_id, index) for _, check_id, broken, _ in mutants for index in broken}
        return [(check_id, index, statement.splitlines()[0])
                for check_id in self.checks
                for index, (statement, assigns) in enumerate(self.statements(check_id))
                if not assigns and (check_id, index) not in covered]
