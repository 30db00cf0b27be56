"""emcourse: the course tooling behind the ``emcourse`` command.

- ``emcourse.markup`` — what an nbgrader cell is (answer, test, read-only) and its ``grade_id``.
- ``emcourse.release`` — ``exercises/`` generated from ``solutions/`` with nbgrader's preprocessors.
- ``emcourse.grade`` — grade submissions against the solutions in a fresh kernel.
- ``emcourse.testing`` — checks for test cells whose failures say what was expected.
- ``emcourse.widgets`` — ``interact``: a live slider that also stores pre-rendered frames.
- ``emcourse.figures`` — alt text and compact PNGs for the figures a notebook shows.
- ``emcourse.convert`` — notebooks moved to those conventions and the ipykernel kernelspec.
- ``emcourse.book`` / ``emcourse.book_outputs`` — the course website, from the stored notebooks.
- ``emcourse.cli`` — ``emcourse release``, ``grade``, ``book`` and ``convert``.

The math lives in ``emlib``; this package only moves notebooks around.
"""

__version__ = "0.1.0"
