"""The ``emcourse`` command.

::

    emcourse release [--check] [--to DIR]
    emcourse grade SUBMISSION... [--roster FILE] [--exercise NAME]... [--csv grades.csv]
                   [--summary summary.csv] [--feedback DIR] [--timeout 60]
                   [--notebook-timeout 600] [--jobs 4]
    emcourse validate NOTEBOOK...
    emcourse book [--out build/site] [--strict]
    emcourse convert NOTEBOOK... [--check]

(``--course DIR``, the course root, may come before or after the sub-command; default: ``.``.)

``release`` regenerates ``exercises/`` from ``solutions/`` (``--check`` only reports whether the
committed exercises are up to date; ``--to DIR`` writes the students' copy of the course, without
the solutions). ``grade`` grades filled-in exercise notebooks (files, or folders with one folder
per student) against the solutions and prints a table; it exits with 0 when every file could be
graded and 1 when some could not (their rows say why). ``validate`` runs a student's notebook
against the released exercise's visible tests; it exits with 0 when they all pass. ``book`` builds
the course website from the stored notebooks (nothing is executed). ``convert`` moves notebooks
to ``emcourse.widgets.interact``, alt text and the ipykernel kernelspec (``--check``: exit 1 if
any needs it).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import feedback as feedbacks
from . import grade as grading
from . import gradebook
from . import release as releasing
from . import validate as validating


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="emcourse",
                                     description="Release, grade and validate the EM course's exercises, build its website, "
                                                 "convert its notebooks.")
    parser.add_argument("--course", default=None, type=Path,
                        help="the course root holding solutions/ and exercises/ (default: .)")
    commands = parser.add_subparsers(dest="command", required=True)

    release = commands.add_parser("release", help="regenerate exercises/ from solutions/")
    release.add_argument("--check", action="store_true",
                         help="do not write; exit 1 if exercises/ is out of date with solutions/")
    release.add_argument("--to", type=Path, metavar="DIR",
                         help="write the students' copy of the course (no solutions/, no git history) to DIR")

    grade = commands.add_parser("grade", help="grade submitted notebooks against the solutions")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                       help="notebook files or folders (e.g. one folder per student)")
    grade.add_argument("--roster", type=Path, metavar="FILE",
                       help="student ids, one per line: every student gets a row, 0 when missing")
    grade.add_argument("--exercise", action="append", metavar="NAME", dest="exercises",
                       help="grade only this exercise (repeatable); with --roster, the exercises expected")
    grade.add_argument("--csv", type=Path, help="write the gradebook (one column per graded cell) to this CSV file")
    grade.add_argument("--summary", type=Path, help="write the student × exercise totals to this CSV file")
    grade.add_argument("--feedback", type=Path, metavar="DIR",
                       help="write one feedback page per student and exercise to DIR/<student>/<exercise>.html")
    grade.add_argument("--timeout", type=float, default=grading.DEFAULT_TIMEOUT,
                       help="seconds a single cell may run before it is interrupted (default: 60)")
    grade.add_argument("--notebook-timeout", type=float, default=grading.DEFAULT_NOTEBOOK_TIMEOUT,
                       help="seconds a whole notebook may run before its kernel is ended (default: 600)")
    grade.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                       help="notebooks graded at once, each in its own kernel (default: min(4, CPUs))")

    validate = commands.add_parser(
        "validate", help="check your notebook against the visible tests before handing it in")
    validate.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    validate.add_argument("--timeout", type=float, default=grading.DEFAULT_TIMEOUT,
                          help="seconds a single cell may run (default: 60)")

    book = commands.add_parser("book", help="build the course website from the stored notebooks")
    book.add_argument("--out", type=Path, default=Path("build/site"),
                      help="folder for the HTML (replaced; default: build/site under the course)")
    book.add_argument("--strict", action="store_true",
                      help="fail on any warning (a notebook that needs `emcourse convert`, a "
                           "Sphinx warning)")

    convert = commands.add_parser("convert", help="convert notebooks to the course's sliders, "
                                                  "alt text and kernelspec")
    convert.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK")
    convert.add_argument("--check", action="store_true",
                         help="do not write; exit 1 if any notebook needs converting")
    for sub in (release, grade, validate, book):  # accept --course after the sub-command too
        sub.add_argument("--course", default=argparse.SUPPRESS, type=Path, help=argparse.SUPPRESS)
    return parser


def _release(args) -> int:
    course = args.course or Path(".")
    solutions, exercises = course / "solutions", course / "exercises"
    if args.check:
        stale = releasing.stale_exercises(solutions, exercises)
        if stale:
            print(f"out of date with solutions/: {', '.join(stale)}; run `emcourse release`.")
            return 1
        print("exercises/ is up to date with solutions/.")
        if args.to is None:
            return 0
    if args.to is not None:
        written = releasing.student_copy(course, args.to)
        print(f"wrote the students' copy ({len(written)} files, no solutions/) to {args.to}")
        return 0
    for path in releasing.release(solutions, exercises):
        print(f"wrote {path}")
    return 0


def _grade(args) -> int:
    if args.timeout <= 0 or args.notebook_timeout <= 0:
        raise ValueError("--timeout and --notebook-timeout must be positive numbers of seconds, "
                         f"got {args.timeout:g} and {args.notebook_timeout:g}.")
    if args.jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {args.jobs}.")
    course = args.course or Path(".")
    roster = grading.load_roster(args.roster) if args.roster is not None else None
    reports = grading.grade(args.submissions, course / "solutions", timeout=args.timeout,
                            notebook_timeout=args.notebook_timeout, jobs=args.jobs, roster=roster,
                            exercises_wanted=args.exercises, course_root=course,
                            progress=lambda line: print(line, file=sys.stderr, flush=True))
    if not reports:
        raise ValueError("no notebooks found in " + ", ".join(args.submissions) + ".")
    print(gradebook.format_table(reports))
    if len({r.exercise for r in reports if r.exercise}) > 1:
        print()
        print(gradebook.format_summary(reports))
    for path, write in ((args.csv, gradebook.write_csv), (args.summary, gradebook.write_summary)):
        if path is not None:
            write(reports, path)
            print(f"wrote {path}", file=sys.stderr)
    if args.feedback is not None:
        written = feedbacks.write_feedback(reports, args.feedback)
        print(f"wrote {len(written)} feedback pages to {args.feedback}", file=sys.stderr)
    return 0 if all(report.error is None for report in reports) else 1


def _validate(args) -> int:
    all_passed = True
    for notebook in args.notebooks:
        course = validating.find_course(Path(notebook), args.course)
        report = validating.validate(notebook, course, timeout=args.timeout)
        text, passed = validating.format_validation(report)
        print(text)
        all_passed &= passed
    return 0 if all_passed else 1


def _book(args) -> int:
    from . import book

    course = args.course or Path(".")
    out = args.out if args.out.is_absolute() else course / args.out
    site = book.build(course, out, strict=args.strict)
    for warning in site.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"built {len(site.pages)} pages ({site.sliders} pre-rendered sliders) in "
          f"{site.seconds:.0f} s: {site.out / 'index.html'}")
    return 0


def _convert(args) -> int:
    from . import convert

    pending = 0
    for path in args.notebooks:
        if not path.is_file():
            raise ValueError(f"{path} is not a file")
        result = convert.convert_file(path, check=args.check)
        for problem in result.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        if result.changes:
            pending += 1
            verb = "needs" if args.check else "converted"
            print(f"{path}: {verb}: " + "; ".join(result.changes))
    if args.check:
        return 1 if pending else 0
    if pending:
        print("Re-execute the converted notebooks to store their new outputs, e.g. "
              "OPENBLAS_NUM_THREADS=1 jupyter nbconvert --to notebook --execute --inplace NOTEBOOK")
    return 0


COMMANDS = {"release": _release, "grade": _grade, "validate": _validate, "book": _book,
            "convert": _convert}


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"emcourse {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
