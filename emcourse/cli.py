"""The ``emcourse`` command.

::

    emcourse release [--course DIR] [--check]
    emcourse grade SUBMISSION... [--course DIR] [--csv grades.csv] [--timeout 60] [--jobs 4]
    emcourse book [--course DIR] [--out build/site] [--strict]
    emcourse convert NOTEBOOK... [--check]

``release`` regenerates ``exercises/`` from ``solutions/`` (``--check`` only reports whether the
committed exercises are up to date). ``grade`` grades filled-in exercise notebooks (files, or
folders with one folder per student) against the solutions and prints a table; it exits with 0
when every file could be graded and 1 when some could not (their rows say why). ``book`` builds
the course website from the stored notebooks (nothing is executed). ``convert`` moves notebooks
to ``emcourse.widgets.interact``, alt text and the ipykernel kernelspec (``--check``: exit 1 if
any needs it).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import grade as grading
from . import release as releasing


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="emcourse", description="Release and grade the EM course's "
                                     "exercises, build its website, convert its notebooks.")
    parser.add_argument("--course", default=".", type=Path,
                        help="the course root holding solutions/ and exercises/ (default: .)")
    commands = parser.add_subparsers(dest="command", required=True)

    release = commands.add_parser("release", help="regenerate exercises/ from solutions/")
    release.add_argument("--check", action="store_true",
                         help="do not write; exit 1 if exercises/ is out of date with solutions/")

    grade = commands.add_parser("grade", help="grade submitted notebooks against the solutions")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                       help="notebook files or folders (e.g. one folder per student)")
    grade.add_argument("--csv", type=Path, help="also write the table to this CSV file")
    grade.add_argument("--timeout", type=float, default=60.0,
                       help="seconds a single cell may run before it is stopped (default: 60)")
    grade.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                       help="notebooks graded at once, each in its own kernel (default: min(4, CPUs))")
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
    for sub in (release, grade, book):  # accept --course after the sub-command too
        sub.add_argument("--course", default=argparse.SUPPRESS, type=Path, help=argparse.SUPPRESS)
    return parser


def _release(args) -> int:
    solutions, exercises = args.course / "solutions", args.course / "exercises"
    if args.check:
        stale = releasing.stale_exercises(solutions, exercises)
        if stale:
            print(f"out of date with solutions/: {', '.join(stale)}; run `emcourse release`.")
            return 1
        print("exercises/ is up to date with solutions/.")
        return 0
    for path in releasing.release(solutions, exercises):
        print(f"wrote {path}")
    return 0


def _grade(args) -> int:
    if args.timeout <= 0:
        raise ValueError(f"--timeout must be a positive number of seconds, got {args.timeout:g}.")
    if args.jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {args.jobs}.")
    reports = grading.grade(args.submissions, args.course / "solutions", timeout=args.timeout,
                            jobs=args.jobs, progress=lambda line: print(line, file=sys.stderr, flush=True))
    if not reports:
        raise ValueError("no notebooks found in " + ", ".join(args.submissions) + ".")
    print(grading.format_table(reports))
    if args.csv is not None:
        grading.write_csv(reports, args.csv)
        print(f"wrote {args.csv}", file=sys.stderr)
    return 0 if all(report.error is None for report in reports) else 1


def _book(args) -> int:
    from . import book

    out = args.out if args.out.is_absolute() else args.course / args.out
    site = book.build(args.course, out, strict=args.strict)
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


COMMANDS = {"release": _release, "grade": _grade, "book": _book, "convert": _convert}


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"emcourse {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
