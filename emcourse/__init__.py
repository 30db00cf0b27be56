"""emcourse: the course tooling behind the ``emcourse`` command.

- ``emcourse.markup`` — what an nbgrader cell is (answer, test, read-only) and its ``grade_id``.
- ``emcourse.release`` — ``exercises/`` generated from ``solutions/`` with nbgrader's preprocessors.
- ``emcourse.grade`` — grade submissions against the solutions in a fresh kernel.
- ``emcourse.testing`` — checks for test cells whose failures say what was expected.
- ``emcourse.cli`` — ``emcourse release`` and ``emcourse grade``.

The math lives in ``emlib``; this package only moves notebooks around.
"""

__version__ = "0.1.0"
