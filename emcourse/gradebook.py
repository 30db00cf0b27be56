"""The gradebook: the grades of many submissions as a table, a CSV and a student × exercise summary.

``grades.csv`` has one row per student and exercise and the columns::

    student, exercise, file, <exercise>:<grade_id> (one per graded cell of every exercise), total, max, notes

A missing submission (with ``--roster``) has 0 points and the note ``missing: no submission``; a
file that could not be graded has ``-`` for its points and ``ERROR: ...`` in its notes. The
summary has one row per student and one column per exercise (its total), then the overall total
and maximum.
"""

from __future__ import annotations

import csv

from .grade import GradeReport

FIRST_COLUMNS = ("student", "exercise", "file")
LAST_COLUMNS = ("total", "max", "notes")
NOTE_SEPARATOR = " | "


def _number(value: float) -> str:
    return f"{value:g}"


def cell_columns(reports) -> list[str]:
    """``<exercise>:<grade_id>`` for every graded cell of every exercise in ``reports``, in order."""
    columns = []
    for report in sorted(reports, key=lambda r: r.exercise or ""):
        for cell in report.cells:
            column = f"{report.exercise}:{cell.grade_id}"
            if column not in columns:
                columns.append(column)
    return columns


def _notes(report: GradeReport) -> str:
    if report.error is not None:
        return NOTE_SEPARATOR.join([f"ERROR: {report.error}", *report.notes])
    return NOTE_SEPARATOR.join(report.notes)


def rows(reports) -> list[dict[str, str]]:
    """One row per report, keyed by :func:`columns`."""
    table = []
    for report in reports:
        graded = report.error is None
        row = {"student": report.student, "exercise": report.exercise or "-",
               "file": str(report.path) if report.path is not None else "-"}
        for cell in report.cells:
            row[f"{report.exercise}:{cell.grade_id}"] = _number(cell.points)
        row.update(total=_number(report.total) if graded else "-",
                   max=_number(report.max_points) if graded else "-", notes=_notes(report))
        table.append(row)
    return table


def columns(reports) -> list[str]:
    """The CSV's columns (see the module docstring)."""
    return [*FIRST_COLUMNS, *cell_columns(reports), *LAST_COLUMNS]


def write_csv(reports, path) -> None:
    """``grades.csv``: one row per student and exercise, one column per graded cell."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns(reports), restval="")
        writer.writeheader()
        writer.writerows(rows(reports))


def _aligned(header, body) -> str:
    widths = [max([len(h)] + [len(row[i]) for row in body]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in body]
    return "\n".join(lines)


def format_table(reports) -> str:
    """The grades as an aligned plain-text table (per-cell points as ``grade_id=points/max``)."""
    body = []
    for report, row in zip(reports, rows(reports)):
        cells = " ".join(f"{c.grade_id}={_number(c.points)}/{_number(c.max_points)}"
                         for c in report.cells) if report.error is None else ""
        body.append([row["student"], row["exercise"], cells, row["total"], row["max"], row["notes"]])
    return _aligned(["student", "exercise", "points", "total", "max", "notes"], body)


def summary(reports) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the student × exercise table: each exercise's total, then total and max."""
    exercises = sorted({r.exercise for r in reports if r.exercise})
    maxima = {}
    for report in reports:
        if report.exercise and report.error is None:
            maxima[report.exercise] = report.max_points
    students = sorted({r.student for r in reports})
    body = []
    for student in students:
        row, total = [student], 0.0
        for name in exercises:
            mine = [r for r in reports if r.student == student and r.exercise == name]
            if not mine:
                row.append("")
            elif mine[0].error is not None:
                row.append("ERROR")
            else:
                row.append(_number(mine[0].total))
                total += mine[0].total
        row += [_number(total), _number(sum(maxima.get(name, 0.0) for name in exercises))]
        body.append(row)
    return ["student", *exercises, "total", "max"], body


def format_summary(reports) -> str:
    """The student × exercise summary as an aligned plain-text table."""
    return _aligned(*summary(reports))


def write_summary(reports, path) -> None:
    """The student × exercise summary as CSV."""
    header, body = summary(reports)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(body)


__all__ = ["columns", "rows", "write_csv", "format_table", "summary", "format_summary",
           "write_summary", "cell_columns", "NOTE_SEPARATOR"]
