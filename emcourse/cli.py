"""The ``emcourse`` command.

::

    emcourse release [--course DIR] [--check]
    emcourse grade SUBMISSION... [--course DIR] [--csv grades.csv] [--timeout 60] [--jobs 4]

``release`` regenerates ``exercises/`` from ``solutions/`` (``--check`` only reports whether the
committed exercises are up to date). ``grade`` grades filled-in exercise notebooks (files, or
folders with one folder per student) against the solutions and prints a table; it exits with 0
when every file could be graded and 1 when some could not (their rows say why).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import grade as grading
from . import release as releasing


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="emcourse", description="Release and grade the EM course's exercises.")
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
    for sub in (release, grade):  # accept --course after the sub-command too
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


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _release(args) if args.command == "release" else _grade(args)
    except ValueError as error:
        print(f"emcourse {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
