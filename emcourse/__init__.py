"""emcourse: the course tooling behind the ``emcourse`` command.

- ``emcourse.markup`` — what an nbgrader cell is (answer, test, read-only), its ``grade_id`` and
  marking, and the course's own notebook metadata (``emcourse.forbidden``).
- ``emcourse.release`` — ``exercises/`` generated from ``solutions/`` with nbgrader's
  preprocessors; the students' copy of the course (``release --to``).
- ``emcourse.grade`` — grade submissions against the solutions: assemble, run, score.
- ``emcourse.execute`` — run a notebook in the grading kernel, in a sandbox, with time limits.
- ``emcourse.kernel`` — the grading kernel, which runs the course's cells out of the answers' reach.
- ``emcourse.scan`` — the static scan of students' cells for patching, internals, forbidden imports.
- ``emcourse.testing`` — checks for test cells whose failures say what was expected.
- ``emcourse.gradebook`` — the grades as a table, a CSV and a student × exercise summary.
- ``emcourse.feedback`` — one feedback page per student and exercise.
- ``emcourse.validate`` — a student's check of a notebook before handing it in.
- ``emcourse.widgets`` — ``interact``: a live slider that also stores pre-rendered frames.
- ``emcourse.figures`` — alt text and compact PNGs for the figures a notebook shows.
- ``emcourse.convert`` — notebooks moved to those conventions and the ipykernel kernelspec.
- ``emcourse.book`` / ``emcourse.book_outputs`` — the course website, from the stored notebooks.
- ``emcourse.cli`` — ``emcourse release``, ``grade``, ``validate``, ``book`` and ``convert``.

The math lives in ``emlib``; this package only moves notebooks around.
"""

import sys

__version__ = "0.1.0"

# nbformat validates notebooks with jsonschema, which imports the optional rfc3987_syntax when it
# is installed (JupyterLab's jupyter_events pulls it in); that module compiles an Earley grammar
# at import, 2–6 s for every process that reads a notebook, for an "iri" format check that no
# notebook schema uses. Without it jsonschema skips that one format. The test suite loads this
# package first (``-p emcourse`` in pyproject.toml), so pytest and its workers benefit too.
sys.modules.setdefault("rfc3987_syntax", None)
